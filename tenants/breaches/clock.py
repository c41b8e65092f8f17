"""The breach clock: one place for the deadline and its escalation thresholds.

UU PDP No. 27/2022, Pasal 46 ayat (1): on a failure of personal data protection the
controller notifies, in writing, at the latest 3 x 24 hours, (a) the data subjects and
(b) the authority ("lembaga"). Ayat (2): the notice holds at least the personal data
disclosed, when and how it was disclosed, and the handling and recovery measures. The
clock here starts when the command found the incident (``found_at``): the law does not
say "found", but a controller cannot notify before it knows, and the elucidation and
practice read it so. A data-protection officer who reads it otherwise changes
:data:`NOTIFY_WITHIN` here, and nothing else.

Escalations, each recorded once per incident (``breach_escalations``), while either
notification is still missing:

- level 1 at 24 h: two thirds of the time left; the tenant admins are reminded;
- level 2 at 48 h: one day left;
- level 3 at 66 h: six hours left, the last working stretch of a day;
- level 4 at 72 h: overdue.

Each escalation goes to the command's tenant admins (their own notification channels,
through the outbox like every message), into the command's audit log
(``breach.escalated``, which the national oversight auditor reads), and shows as the
incident's level on the national ``breachOversight`` view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

NOTIFY_WITHIN = timedelta(hours=72)  # 3 x 24 jam, UU PDP Pasal 46 ayat (1)


@dataclass(frozen=True)
class Threshold:
    level: int
    hours: int
    name_id: str
    name_en: str


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(1, 24, "Sisa 48 jam", "48 hours left"),
    Threshold(2, 48, "Sisa 24 jam", "24 hours left"),
    Threshold(3, 66, "Sisa 6 jam", "6 hours left"),
    Threshold(4, 72, "Lewat batas waktu", "Overdue"),
)
OVERDUE_LEVEL = THRESHOLDS[-1].level


def due_at(found_at: datetime) -> datetime:
    """When both notices are due: ``found_at`` plus :data:`NOTIFY_WITHIN` (72 h)."""
    return found_at + NOTIFY_WITHIN


def threshold(level: int) -> Threshold:
    """The threshold of ``level`` (1-4); ``KeyError`` otherwise."""
    for t in THRESHOLDS:
        if t.level == level:
            return t
    raise KeyError(level)


def is_open(row: dict[str, object]) -> bool:
    """True while either notification (subjects, authority) is still to be recorded."""
    return row.get("subjects_notified_at") is None or row.get("authority_notified_at") is None


def is_overdue(row: dict[str, object], now: datetime) -> bool:
    """True when a notification is still missing past ``due_at``, or one was recorded after
    it (late)."""
    due = row["due_at"]
    assert isinstance(due, datetime)
    if is_open(row) and now >= due:
        return True
    return any(
        isinstance(at, datetime) and at > due
        for at in (row.get("subjects_notified_at"), row.get("authority_notified_at"))
    )
