"""Report statuses and the transitions between them, with their public wording.

The chain runs forward only (``TRANSITIONS``): SUBMITTED → VERIFIED → DISPATCHED →
IN_PROGRESS → RESOLVED → CLOSED, or REJECTED from the first two.

Police-handled cases skip the agency: a VERIFIED report that is assigned to an officer or
a unit may go straight to IN_PROGRESS (the police work it themselves: a crime, a public
order disturbance, a complaint about police service), then RESOLVED and CLOSED as usual.
Unassigned, VERIFIED → IN_PROGRESS is ``ILLEGAL_TRANSITION`` (:data:`NEEDS_ASSIGNEE`):
assign an officer or unit, or dispatch it. Who may move it: operators, and an officer
the report is assigned to (directly or through a unit). Its follow-up service level runs
from that start as an agency's runs from the dispatch, and the citizen reads
:data:`POLICE_LABEL` on the timeline.

One way back exists,
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
    # → IN_PROGRESS only when assigned to an officer or unit (police-handled; see above).
    Status.VERIFIED: frozenset({Status.DISPATCHED, Status.IN_PROGRESS, Status.REJECTED}),
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

# A VERIFIED report the police took on themselves (no agency).
POLICE_LABEL = (
    "Laporan sedang ditangani langsung oleh petugas kepolisian",
    "Being handled by the police",
)

NEEDS_ASSIGNEE = (
    "a VERIFIED report can become IN_PROGRESS only when the police handle it: assign an"
    " officer or a unit first, or dispatch it to an agency"
)

# A report an agency handed back: what the citizen reads instead of "verified".
RETURNED_LABEL = (
    "Laporan dikembalikan instansi ke petugas dan masih ditangani",
    "Handed back by the agency to the operators; still being handled",
)


def label(from_status: Status | None, to_status: Status) -> tuple[str, str]:
    """The public wording of a status change (Bahasa Indonesia, English)."""
    if from_status is not None and to_status in RETURNS.get(from_status, frozenset()):
        return RETURNED_LABEL
    if from_status == Status.VERIFIED and to_status == Status.IN_PROGRESS:
        return POLICE_LABEL
    return LABELS[to_status]


class IllegalTransition(JogoError):
    code = "ILLEGAL_TRANSITION"


def check_transition(current: str, target: Status, *, assigned: bool = False) -> Status:
    """``target`` if ``current`` may move there, else :class:`IllegalTransition`.
    ``assigned``: the report has an officer or unit (VERIFIED → IN_PROGRESS needs one)."""
    now = Status(current)
    if now == Status.VERIFIED and target == Status.IN_PROGRESS and not assigned:
        raise IllegalTransition(NEEDS_ASSIGNEE, field="status")
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
