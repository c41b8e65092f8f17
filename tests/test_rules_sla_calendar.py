"""A tenant's working-day calendar at its boundaries (issue 15, item 1), called at the
rule (``tenants/reports/calendar.py``) on real PostgreSQL.

From the rule's source (the module docstring, migration 0013, README "Reports"): a day
off's name is 2-120 characters after whitespace is collapsed; a tenant has at most 500
own days off; only a tenant admin changes the calendar; with no setting, collective
leave is a day off; a change re-times the open reports' working-day deadlines from each
clock's start (verify from submission, follow-up from the dispatch or the police's
start, auto-close from resolution) but not a breached or an urgent one. Service levels
after LAPOR!-SP4N: 3, 5 and 10 working days. November 2026 has no public holiday.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from helpers import make_user, onboard, submit

from jogo.platform.auth.principal import ANONYMOUS, Membership, Principal
from jogo.platform.auth.roles import Role
from jogo.platform.errors import JogoError
from jogo.tenants.reports import calendar

WIB = timezone(timedelta(hours=7))
START = datetime(2026, 11, 2, 10, 0, tzinfo=WIB)  # a Monday
DAY_OFF = date(2026, 11, 4)  # the Wednesday after
SENTINEL = datetime(2000, 1, 3, 12, 0, tzinfo=WIB)


async def _admin(tenant, role: Role = Role.TENANT_ADMIN) -> Principal:
    user_id, username = await make_user(role, tenant)
    return Principal(
        kind="user", id=user_id, name=username, memberships=(Membership(role, tenant.id),)
    )


async def _days(owner, tenant) -> list[tuple[date, str]]:
    rows = await owner.fetch(
        "SELECT day, name FROM sla_non_working_days WHERE tenant_id = $1 ORDER BY day",
        tenant.id,
    )
    return [(r["day"], r["name"]) for r in rows]


async def test_names_are_two_to_120_characters_after_collapsing_spaces(owner):
    tenant = await onboard()
    admin = await _admin(tenant)
    for n, name in enumerate(["x", "  y  ", "x" * 121, "", "   "]):
        with pytest.raises(JogoError) as raised:
            await calendar.do_add_non_working_day(tenant, admin, date(2030, 1, 1 + n), name)
        assert (raised.value.code, raised.value.field) == ("INVALID_INPUT", "name")
    assert await _days(owner, tenant) == []
    shortest = await calendar.do_add_non_working_day(tenant, admin, date(2030, 2, 1), " a  b ")
    assert shortest == calendar.NonWorkingDay(date(2030, 2, 1), "a b")
    two = await calendar.do_add_non_working_day(tenant, admin, date(2030, 2, 2), "ab")
    assert two.name == "ab"
    longest = await calendar.do_add_non_working_day(tenant, admin, date(2030, 2, 3), "y" * 120)
    assert longest.name == "y" * 120
    assert await _days(owner, tenant) == [
        (date(2030, 2, 1), "a b"),
        (date(2030, 2, 2), "ab"),
        (date(2030, 2, 3), "y" * 120),
    ]


async def test_a_tenant_has_at_most_500_own_days_off(owner):
    tenant = await onboard()
    admin = await _admin(tenant)
    first = date(2031, 1, 1)
    await owner.executemany(
        "INSERT INTO sla_non_working_days (tenant_id, day, name) VALUES ($1, $2, 'Libur')",
        [(tenant.id, first + timedelta(days=i)) for i in range(499)],
    )
    await calendar.do_add_non_working_day(tenant, admin, date(2035, 1, 1), "Ke-500")
    assert len(await _days(owner, tenant)) == 500
    with pytest.raises(JogoError) as raised:
        await calendar.do_add_non_working_day(tenant, admin, date(2035, 1, 2), "Ke-501")
    assert (raised.value.code, raised.value.field) == ("INVALID_INPUT", "day")
    assert len(await _days(owner, tenant)) == 500


async def test_a_day_is_added_once_and_removed_only_when_it_is_one(owner):
    tenant = await onboard()
    admin = await _admin(tenant)
    await calendar.do_add_non_working_day(tenant, admin, date(2030, 3, 1), "Hari Jadi")
    with pytest.raises(JogoError) as raised:
        await calendar.do_add_non_working_day(tenant, admin, date(2030, 3, 1), "Lagi")
    assert (raised.value.code, raised.value.field) == ("CONFLICT", "day")
    assert await _days(owner, tenant) == [(date(2030, 3, 1), "Hari Jadi")]
    with pytest.raises(JogoError) as raised:
        await calendar.do_remove_non_working_day(tenant, admin, date(2030, 3, 2))
    assert (raised.value.code, raised.value.field) == ("NOT_FOUND", "day")
    await calendar.do_remove_non_working_day(tenant, admin, date(2030, 3, 1))
    assert await _days(owner, tenant) == []


async def test_only_a_tenant_admin_changes_the_calendar(owner):
    tenant = await onboard()
    admin = await _admin(tenant)
    await calendar.do_add_non_working_day(tenant, admin, date(2030, 4, 1), "Hari Jadi")
    operator = await _admin(tenant, Role.OPERATOR)
    other_admin = await _admin(await onboard())  # an admin of another tenant
    for principal, code in (
        (operator, "FORBIDDEN"),
        (other_admin, "FORBIDDEN"),
        (ANONYMOUS, "UNAUTHENTICATED"),
    ):
        for change in (
            calendar.do_add_non_working_day(tenant, principal, date(2030, 4, 2), "Libur"),
            calendar.do_remove_non_working_day(tenant, principal, date(2030, 4, 1)),
            calendar.do_set_collective_leave(tenant, principal, False),
        ):
            with pytest.raises(JogoError) as raised:
                await change
            assert raised.value.code == code
    assert await _days(owner, tenant) == [(date(2030, 4, 1), "Hari Jadi")]
    settings = await owner.fetchval(
        "SELECT count(*) FROM sla_calendar_settings WHERE tenant_id = $1", tenant.id
    )
    assert settings == 0


async def test_collective_leave_is_a_day_off_until_the_admin_says_otherwise(owner):
    tenant = await onboard()
    admin = await _admin(tenant)
    view = await calendar.get_calendar(tenant)
    assert (view.time_zone, view.collective_leave_off, view.days) == ("WIB", True, [])
    await calendar.do_set_collective_leave(tenant, admin, False)
    assert (await calendar.get_calendar(tenant)).collective_leave_off is False
    await calendar.do_set_collective_leave(tenant, admin, True)
    assert (await calendar.get_calendar(tenant)).collective_leave_off is True
    # Days come back in date order, whatever order they were added in.
    await calendar.do_add_non_working_day(tenant, admin, date(2030, 5, 2), "Kedua")
    await calendar.do_add_non_working_day(tenant, admin, date(2030, 5, 1), "Pertama")
    assert (await calendar.get_calendar(tenant)).days == [
        calendar.NonWorkingDay(date(2030, 5, 1), "Pertama"),
        calendar.NonWorkingDay(date(2030, 5, 2), "Kedua"),
    ]


async def _report(app_client, owner, tenant, status: str, urgent: bool = False, **columns):
    report = (await submit(app_client, tenant.slug, anonymous=True, urgent=urgent))["report"]
    rid = uuid.UUID(report["id"])
    sets = ", ".join(f"{name} = ${i + 3}" for i, name in enumerate(columns))
    await owner.execute(
        f"UPDATE reports SET status = $2, {sets} WHERE id = $1", rid, status, *columns.values()
    )
    return rid


async def _column(owner, rid, column):
    return await owner.fetchval(f"SELECT {column} FROM reports WHERE id = $1", rid)


async def test_a_change_re_times_each_open_clock_from_its_start(app_client, owner):
    tenant = await onboard()
    admin = await _admin(tenant)
    await owner.execute(
        "UPDATE report_categories SET verify_working_days = 3, followup_working_days = 5,"
        " autoclose_working_days = 10 WHERE tenant_id = $1",
        tenant.id,
    )
    urgent = await _report(
        app_client,
        owner,
        tenant,
        "SUBMITTED",
        urgent=True,
        created_at=START,
        verify_due_at=SENTINEL,
    )
    dispatched = await _report(
        app_client, owner, tenant, "DISPATCHED", dispatched_at=START, followup_due_at=SENTINEL
    )
    police = await _report(
        app_client, owner, tenant, "IN_PROGRESS", police_started_at=START, followup_due_at=SENTINEL
    )
    resolved = await _report(
        app_client, owner, tenant, "RESOLVED", resolved_at=START, autoclose_at=SENTINEL
    )
    breached = await _report(
        app_client,
        owner,
        tenant,
        "DISPATCHED",
        dispatched_at=START,
        followup_due_at=SENTINEL,
        followup_breached_at=SENTINEL,
    )
    # No ordinary SUBMITTED report yet: the first clock finds nothing, the others still run.
    await calendar.do_add_non_working_day(tenant, admin, DAY_OFF, "Hari Jadi Kota")
    # Mon 2 Nov + 5 working days without Wed 4 Nov: Tue 10 Nov; + 10: Tue 17 Nov.
    assert await _column(owner, dispatched, "followup_due_at") == datetime(
        2026, 11, 10, 10, tzinfo=WIB
    )
    assert await _column(owner, police, "followup_due_at") == datetime(2026, 11, 10, 10, tzinfo=WIB)
    assert await _column(owner, resolved, "autoclose_at") == datetime(2026, 11, 17, 10, tzinfo=WIB)
    # Breached and urgent deadlines stay as they were.
    assert await _column(owner, breached, "followup_due_at") == SENTINEL
    assert await _column(owner, urgent, "verify_due_at") == SENTINEL

    submitted = await _report(
        app_client, owner, tenant, "SUBMITTED", created_at=START, verify_due_at=SENTINEL
    )
    await calendar.do_set_collective_leave(tenant, admin, False)
    # Mon 2 Nov + 3 working days without Wed 4 Nov: Fri 6 Nov.
    assert await _column(owner, submitted, "verify_due_at") == datetime(2026, 11, 6, 10, tzinfo=WIB)
    await calendar.do_remove_non_working_day(tenant, admin, DAY_OFF)
    assert await _column(owner, submitted, "verify_due_at") == datetime(2026, 11, 5, 10, tzinfo=WIB)
    assert await _column(owner, dispatched, "followup_due_at") == datetime(
        2026, 11, 9, 10, tzinfo=WIB
    )
    assert await _column(owner, resolved, "autoclose_at") == datetime(2026, 11, 16, 10, tzinfo=WIB)
    assert await _column(owner, urgent, "verify_due_at") == SENTINEL


def test_what_the_calendar_answers_cannot_be_changed_in_place():
    import dataclasses

    day = calendar.NonWorkingDay(date(2030, 6, 1), "Hari Jadi")
    view = calendar.CalendarView("WIB", True, [day])
    with pytest.raises(dataclasses.FrozenInstanceError):
        day.name = "Lain"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.collective_leave_off = False  # type: ignore[misc]
