"""Service levels after LAPOR!-SP4N: verify within 3 working days, agency follow-up
within 5, auto-close 10 working days after resolution without a reply. Working days skip
weekends and Indonesian public holidays (the ``holidays`` package), counted in the
tenant's own time zone. Urgent reports count in minutes instead."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from jogo.platform.regions import TIME_ZONES


@cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", years=[year]).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: datetime, days: int, time_zone: str) -> datetime:
    """``start`` plus ``days`` working days, at the same local time of day.

    A start outside working days counts from the next working day's opening (08:00),
    so a report sent on a Saturday night is due three working days after Monday 08:00.
    """
    tz = ZoneInfo(TIME_ZONES[time_zone])
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


def verify_due(now: datetime, category: dict, urgent: bool, time_zone: str) -> datetime:
    if urgent:
        return now + timedelta(minutes=category["urgent_verify_minutes"])
    return add_working_days(now, category["verify_working_days"], time_zone)


def followup_due(now: datetime, category: dict, urgent: bool, time_zone: str) -> datetime:
    if urgent:
        return now + timedelta(minutes=category["urgent_followup_minutes"])
    return add_working_days(now, category["followup_working_days"], time_zone)


def autoclose_at(now: datetime, category: dict, time_zone: str) -> datetime:
    return add_working_days(now, category["autoclose_working_days"], time_zone)
