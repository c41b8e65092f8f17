"""Working days and service levels at their boundaries (issue 15, item 1).

Every expected value here is a literal date read off a calendar and the rule's source,
never computed with the code under test:

- LAPOR!-SP4N (README "Reports"): verify within 3 working days, agency follow-up within
  5, auto-close 10 working days after resolution; urgent reports count in minutes.
- Working days skip Saturday, Sunday, Indonesian public holidays and, by default,
  collective leave (*cuti bersama*), in the tenant's own time zone.
- ``sla.add_working_days``: a start outside working days counts from the next working
  day's opening, 08:00 local time.

November 2026 has no public holiday nor collective leave; 17 August 2026 (a Monday) is
Independence Day; 24 December 2026 (Thursday) is collective leave and 25 December
(Friday) Christmas.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from jogo.tenants.reports.sla import (
    WorkingCalendar,
    add_working_days,
    autoclose_at,
    followup_due,
    verify_due,
)

WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))
WIT = timezone(timedelta(hours=9))
CATEGORY = {
    "verify_working_days": 3,
    "followup_working_days": 5,
    "autoclose_working_days": 10,
    "urgent_verify_minutes": 30,
    "urgent_followup_minutes": 120,
}


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 6), True),  # Friday
        (date(2026, 11, 7), False),  # Saturday
        (date(2026, 11, 8), False),  # Sunday
        (date(2026, 11, 9), True),  # Monday
        (date(2026, 11, 10), True),  # Tuesday (Hari Pahlawan is not a day off)
        (date(2026, 8, 17), False),  # Independence Day, a Monday
        (date(2026, 8, 18), True),
        (date(2026, 12, 24), False),  # collective leave, a Thursday
        (date(2026, 12, 25), False),  # Christmas, a Friday
        (date(2026, 3, 19), False),  # Nyepi, a Thursday
    ],
)
def test_which_days_are_working_days(day, working):
    assert WorkingCalendar("WIB").is_working_day(day) is working


def test_collective_leave_counts_as_working_when_the_tenant_says_so():
    assert WorkingCalendar("WIB", collective_leave_off=False).is_working_day(date(2026, 12, 24))
    # A public holiday stays a day off whatever the setting.
    assert not WorkingCalendar("WIB", collective_leave_off=False).is_working_day(date(2026, 12, 25))
    own = WorkingCalendar("WIB", extra_days=frozenset({date(2026, 11, 10)}))
    assert not own.is_working_day(date(2026, 11, 10))


def test_friday_morning_with_three_working_days_is_due_wednesday():
    friday = datetime(2026, 11, 6, 10, 0, tzinfo=WIB)
    assert verify_due(friday, CATEGORY, False, WorkingCalendar("WIB")) == datetime(
        2026, 11, 11, 10, 0, tzinfo=WIB
    )
    assert followup_due(friday, CATEGORY, False, WorkingCalendar("WIB")) == datetime(
        2026, 11, 13, 10, 0, tzinfo=WIB
    )
    assert autoclose_at(friday, CATEGORY, WorkingCalendar("WIB")) == datetime(
        2026, 11, 20, 10, 0, tzinfo=WIB
    )


def test_monday_with_three_working_days_is_due_thursday():
    monday = datetime(2026, 11, 2, 15, 45, tzinfo=WIB)
    assert add_working_days(monday, 3, WorkingCalendar("WIB")) == datetime(
        2026, 11, 5, 15, 45, tzinfo=WIB
    )


def test_a_report_sent_on_saturday_starts_on_monday_at_eight():
    saturday_night = datetime(2026, 11, 7, 21, 30, tzinfo=WIB)
    assert verify_due(saturday_night, CATEGORY, False, WorkingCalendar("WIB")) == datetime(
        2026, 11, 12, 8, 0, tzinfo=WIB
    )
    sunday = datetime(2026, 11, 8, 7, 0, tzinfo=WIB)
    assert add_working_days(sunday, 3, WorkingCalendar("WIB")) == datetime(
        2026, 11, 12, 8, 0, tzinfo=WIB
    )


def test_a_report_sent_on_a_holiday_starts_the_next_working_day_at_eight():
    independence_day = datetime(2026, 8, 17, 10, 0, tzinfo=WIB)
    assert add_working_days(independence_day, 3, WorkingCalendar("WIB")) == datetime(
        2026, 8, 21, 8, 0, tzinfo=WIB
    )
    # Thu 24 Dec (collective leave), Fri 25 (Christmas), the weekend: Mon 28 Dec 08:00
    # starts the clock; three working days later is Thu 31 Dec.
    christmas_eve = datetime(2026, 12, 24, 9, 0, tzinfo=WIB)
    assert add_working_days(christmas_eve, 3, WorkingCalendar("WIB")) == datetime(
        2026, 12, 31, 8, 0, tzinfo=WIB
    )
    # With collective leave worked, 24 Dec is a working day: the clock runs from 09:00
    # and skips only Christmas and the weekend: Mon 28, Tue 29, Wed 30.
    worked = WorkingCalendar("WIB", collective_leave_off=False)
    assert add_working_days(christmas_eve, 3, worked) == datetime(2026, 12, 30, 9, 0, tzinfo=WIB)


def test_readme_example_over_lebaran_2026():
    tuesday = datetime(2026, 3, 17, 10, 0, tzinfo=WIB)
    assert add_working_days(tuesday, 3, WorkingCalendar("WIB")) == datetime(
        2026, 3, 27, 10, 0, tzinfo=WIB
    )
    assert add_working_days(
        tuesday, 3, WorkingCalendar("WIB", collective_leave_off=False)
    ) == datetime(2026, 3, 23, 10, 0, tzinfo=WIB)


def test_days_are_counted_in_the_tenants_time_zone():
    # Fri 6 Nov 2026 17:30 UTC is already Saturday 00:30 in WIB: the clock starts Monday.
    late_friday_utc = datetime(2026, 11, 6, 17, 30, tzinfo=UTC)
    due = add_working_days(late_friday_utc, 3, WorkingCalendar("WIB"))
    assert due == datetime(2026, 11, 12, 8, 0, tzinfo=WIB)
    assert due.tzinfo == UTC  # answered in the zone it was asked in
    # Fri 6 Nov 2026 15:30 UTC is 22:30 Friday in WIB, 23:30 Friday in WITA, but
    # 00:30 Saturday in WIT.
    friday_utc = datetime(2026, 11, 6, 15, 30, tzinfo=UTC)
    assert add_working_days(friday_utc, 3, WorkingCalendar("WIB")) == datetime(
        2026, 11, 11, 22, 30, tzinfo=WIB
    )
    assert add_working_days(friday_utc, 3, WorkingCalendar("WITA")) == datetime(
        2026, 11, 11, 23, 30, tzinfo=WITA
    )
    assert add_working_days(friday_utc, 3, WorkingCalendar("WIT")) == datetime(
        2026, 11, 12, 8, 0, tzinfo=WIT
    )


def test_urgent_reports_count_minutes_even_on_a_day_off():
    saturday = datetime(2026, 11, 7, 21, 30, tzinfo=WIB)
    calendar = WorkingCalendar("WIB")
    assert verify_due(saturday, CATEGORY, True, calendar) == datetime(
        2026, 11, 7, 22, 0, tzinfo=WIB
    )
    assert followup_due(saturday, CATEGORY, True, calendar) == datetime(
        2026, 11, 7, 23, 30, tzinfo=WIB
    )


def test_the_tenants_day_is_read_in_its_own_time_zone():
    # Fri 6 Nov 2026 15:30 UTC: Friday 22:30 WIB, 23:30 WITA, Saturday 00:30 WIT.
    moment = datetime(2026, 11, 6, 15, 30, tzinfo=UTC)
    assert WorkingCalendar("WIB").today(moment) == date(2026, 11, 6)
    assert WorkingCalendar("WITA").today(moment) == date(2026, 11, 6)
    assert WorkingCalendar("WIT").today(moment) == date(2026, 11, 7)


def test_zero_working_days_is_due_at_the_start():
    monday = datetime(2026, 11, 9, 9, 15, tzinfo=WIB)
    assert add_working_days(monday, 0, WorkingCalendar("WIB")) == monday
    # From a Saturday, zero working days is Monday's opening.
    saturday = datetime(2026, 11, 7, 9, 15, tzinfo=WIB)
    assert add_working_days(saturday, 0, WorkingCalendar("WIB")) == datetime(
        2026, 11, 9, 8, 0, tzinfo=WIB
    )


def test_one_working_day_from_friday_is_monday():
    friday = datetime(2026, 11, 6, 16, 5, tzinfo=WIB)
    assert add_working_days(friday, 1, WorkingCalendar("WIB")) == datetime(
        2026, 11, 9, 16, 5, tzinfo=WIB
    )
    thursday = datetime(2026, 11, 5, 16, 5, tzinfo=WIB)
    assert add_working_days(thursday, 1, WorkingCalendar("WIB")) == datetime(
        2026, 11, 6, 16, 5, tzinfo=WIB
    )


def test_a_calendar_cannot_be_changed_in_place():
    import dataclasses

    calendar = WorkingCalendar("WIB")
    with pytest.raises(dataclasses.FrozenInstanceError):
        calendar.collective_leave_off = False  # type: ignore[misc]
    assert calendar.collective_leave_off is True
    assert calendar.extra_days == frozenset()
