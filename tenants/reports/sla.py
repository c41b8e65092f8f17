"""Service levels after LAPOR!-SP4N: verify within 3 working days, agency follow-up
within 5, auto-close 10 working days after resolution without a reply. Working days skip
weekends and Indonesian public holidays (the ``holidays`` package), counted in the
tenant's own time zone. Urgent reports count in minutes instead.

A tenant's :class:`WorkingCalendar` adds to that: collective leave (*cuti bersama*, the
``government`` category of ``holidays``) is a day off unless the tenant turns that off,
and a tenant may name its own non-working days (regional holidays). See
``tenants/reports/calendar.py`` for loading and changing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from jogo.platform.regions import TIME_ZONES


@cache
def _holidays(year: int, collective_leave: bool) -> frozenset[date]:
    """Indonesia's days off in ``year``: public holidays, plus collective leave (*cuti
    bersama*, the ``government`` category) when ``collective_leave``."""
    categories = ("public", "government") if collective_leave else ("public",)
    return frozenset(holidays.country_holidays("ID", years=[year], categories=categories).keys())


@dataclass(frozen=True)
class WorkingCalendar:
    """One tenant's working days.

    ``time_zone``: WIB, WITA or WIT. ``collective_leave_off``: cuti bersama is a day off
    (the default). ``extra_days``: the tenant's own non-working days (regional holidays).
    """

    time_zone: str
    collective_leave_off: bool = True
    extra_days: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (a tenant-local date) is a working day: Monday to Friday, not an
        Indonesian public holiday, not collective leave (unless the tenant turned that off) and not
        one of the tenant's own days off."""
        return (
            day.weekday() < 5
            and day not in self.extra_days
            and day not in _holidays(day.year, self.collective_leave_off)
        )

    def today(self, now: datetime) -> date:
        """The tenant's calendar day at the moment ``now`` (zone-aware)."""
        return now.astimezone(ZoneInfo(TIME_ZONES[self.time_zone])).date()


def add_working_days(start: datetime, days: int, calendar: WorkingCalendar) -> datetime:
    """``start`` plus ``days`` working days of ``calendar``, at the same local time of day.

    A start outside working days counts from the next working day's opening (08:00),
    so a report sent on a Saturday night is due three working days after Monday 08:00.
    """
    tz = ZoneInfo(TIME_ZONES[calendar.time_zone])
    is_working_day = calendar.is_working_day
    local = start.astimezone(tz)
    if not is_working_day(local.date()):
        day = local.date()
        while not is_working_day(day):
            day += timedelta(days=1)
        local = datetime(day.year, day.month, day.day, 8, 0, tzinfo=tz)
    day, remaining = local.date(), days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    due = datetime.combine(day, local.timetz())
    return due.astimezone(start.tzinfo) if start.tzinfo else due


def verify_due(now: datetime, category: dict, urgent: bool, calendar: WorkingCalendar) -> datetime:
    """When a report sent at ``now`` must be verified: after the category's
    ``urgent_verify_minutes`` minutes for an urgent report, else after its ``verify_working_days``
    working days (default 3, after LAPOR!-SP4N) of ``calendar``. In ``now``'s zone."""
    if urgent:
        return now + timedelta(minutes=category["urgent_verify_minutes"])
    return add_working_days(now, category["verify_working_days"], calendar)


def followup_due(
    now: datetime, category: dict, urgent: bool, calendar: WorkingCalendar
) -> datetime:
    """When the follow-up of a report is due, counted from ``now``: its dispatch to an agency,
    or the police taking it on themselves (``police_started_at``):
    ``urgent_followup_minutes`` minutes if urgent, else ``followup_working_days`` working days
    (default 5, after LAPOR!-SP4N)."""
    if urgent:
        return now + timedelta(minutes=category["urgent_followup_minutes"])
    return add_working_days(now, category["followup_working_days"], calendar)


def autoclose_at(now: datetime, category: dict, calendar: WorkingCalendar) -> datetime:
    """When a report resolved at ``now`` closes by itself without a reply:
    ``autoclose_working_days`` working days later (default 10, after LAPOR!-SP4N), urgent or not."""
    return add_working_days(now, category["autoclose_working_days"], calendar)
