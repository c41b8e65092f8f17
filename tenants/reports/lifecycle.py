"""Report statuses and the transitions between them, with their public wording."""

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
