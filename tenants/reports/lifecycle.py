"""Report statuses and the transitions between them, with their public wording.

The chain runs forward only (``TRANSITIONS``): SUBMITTED → VERIFIED → DISPATCHED →
IN_PROGRESS → RESOLVED → CLOSED, or REJECTED from the first two. One way back exists,
and only an agency's answer takes it (``RETURNS``, checked by :func:`check_return`):
when the last agency working on a DISPATCHED or IN_PROGRESS report answers with an
outcome other than done (declined, duplicate, not theirs, needs more information), the
report goes back to VERIFIED, the operators' queue, to be sent elsewhere, completed or
rejected. Operators cannot choose that move themselves.
"""

from __future__ import annotations

from enum import StrEnum

from jogo.platform.errors import JogoError


class Status(StrEnum):
    SUBMITTED = "SUBMITTED"
    VERIFIED = "VERIFIED"
    DISPATCHED = "DISPATCHED"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.VERIFIED, Status.REJECTED}),
    Status.VERIFIED: frozenset({Status.DISPATCHED, Status.REJECTED}),
    Status.DISPATCHED: frozenset({Status.IN_PROGRESS}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.REJECTED: frozenset(),
}

# The agency-return move (tenants/agencies/answers.py), and nothing else.
RETURNS: dict[Status, frozenset[Status]] = {
    Status.DISPATCHED: frozenset({Status.VERIFIED}),
    Status.IN_PROGRESS: frozenset({Status.VERIFIED}),
}

OPEN = frozenset({Status.SUBMITTED, Status.VERIFIED, Status.DISPATCHED, Status.IN_PROGRESS})
# The same, as an SQL list: ``status IN (...)``.
OPEN_SQL = "(" + ", ".join(f"'{s.value}'" for s in sorted(OPEN)) + ")"

# What a citizen reads on the timeline (Bahasa Indonesia), and its English.
LABELS: dict[Status, tuple[str, str]] = {
    Status.SUBMITTED: ("Laporan diterima", "Report received"),
    Status.VERIFIED: ("Laporan diverifikasi petugas", "Report verified"),
    Status.DISPATCHED: ("Laporan diteruskan ke instansi terkait", "Sent to the agency"),
    Status.IN_PROGRESS: ("Laporan sedang ditangani", "Being handled"),
    Status.RESOLVED: ("Laporan selesai ditangani", "Resolved"),
    Status.CLOSED: ("Laporan ditutup", "Closed"),
    Status.REJECTED: ("Laporan ditolak", "Rejected"),
}

# A report an agency handed back: what the citizen reads instead of "verified".
RETURNED_LABEL = (
    "Laporan dikembalikan instansi ke petugas dan masih ditangani",
    "Handed back by the agency to the operators; still being handled",
)


def label(from_status: Status | None, to_status: Status) -> tuple[str, str]:
    """The public wording of a status change (Bahasa Indonesia, English)."""
    if from_status is not None and to_status in RETURNS.get(from_status, frozenset()):
        return RETURNED_LABEL
    return LABELS[to_status]


class IllegalTransition(JogoError):
    code = "ILLEGAL_TRANSITION"


def check_transition(current: str, target: Status) -> Status:
    now = Status(current)
    if target not in TRANSITIONS[now]:
        allowed = ", ".join(sorted(TRANSITIONS[now])) or "none (final)"
        raise IllegalTransition(
            f"a {now.value} report cannot become {target.value}; next: {allowed}", field="status"
        )
    return target


def check_return(current: str) -> Status:
    """The agency-return move: DISPATCHED or IN_PROGRESS → VERIFIED, else raises."""
    now = Status(current)
    if Status.VERIFIED not in RETURNS.get(now, frozenset()):
        raise IllegalTransition(
            f"a {now.value} report cannot be handed back to the operators", field="status"
        )
    return Status.VERIFIED
