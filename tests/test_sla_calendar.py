"""Issue 13 part 6: the service-level clock does not run on collective leave (cuti
bersama, on by default, a per-tenant setting) nor on a tenant's own days off, and the
breach sweep marks nothing on those days.

The issue's example: submitted Tue 17 March 2026 10:00 WIB with 3 working days to
verify is due Fri 27 March 10:00 WIB, since 18, 20, 23 and 24 March 2026 are collective
leave (19 March is Nyepi, 21-22 a weekend); without collective leave, Mon 23 March."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import holidays
from helpers import auth_header, gql, onboard, submit

from jogo.platform.auth.roles import Role
from jogo.tenants.reports.sla import WorkingCalendar, add_working_days
from jogo.tenants.reports.sla_sweep import do_sweep_report_slas

WIB = timezone(timedelta(hours=7))
SUBMITTED = datetime(2026, 3, 17, 10, 0, tzinfo=WIB)  # Tuesday, from the issue
DUE_WITH_LEAVE = datetime(2026, 3, 27, 10, 0, tzinfo=WIB)  # Friday, from the issue
DUE_WITHOUT_LEAVE = datetime(2026, 3, 23, 10, 0, tzinfo=WIB)  # Monday, from the issue
CUTI_BERSAMA = [date(2026, 3, 18), date(2026, 3, 20), date(2026, 3, 23), date(2026, 3, 24)]

CALENDAR = """{ workingCalendar { timeZone collectiveLeaveOff nonWorkingDays { day name } } }"""
SET_LEAVE = """mutation($off: Boolean!) { setCollectiveLeaveOff(off: $off) {
  calendar { collectiveLeaveOff } errors { code field message } } }"""
ADD_DAY = """mutation($d: Date!, $n: String!) { addNonWorkingDay(day: $d, name: $n) {
  calendar { nonWorkingDays { day name } } errors { code field message } } }"""
REMOVE_DAY = """mutation($d: Date!) { removeNonWorkingDay(day: $d) {
  calendar { nonWorkingDays { day } } errors { code field message } } }"""
DUE = "query($id: ID!) { report(id: $id) { verifyDueAt } }"


def test_holidays_lists_the_collective_leave_of_march_2026():
    government = holidays.country_holidays("ID", years=[2026], categories=("government",))
    assert [d for d in CUTI_BERSAMA if d in government] == CUTI_BERSAMA
    public = holidays.country_holidays("ID", years=[2026])
    assert not any(d in public for d in CUTI_BERSAMA)


def test_issue_example_with_and_without_collective_leave():
    assert add_working_days(SUBMITTED, 3, WorkingCalendar("WIB")) == DUE_WITH_LEAVE
    off = WorkingCalendar("WIB", collective_leave_off=False)
    assert add_working_days(SUBMITTED, 3, off) == DUE_WITHOUT_LEAVE
    # A tenant's own day off (Wed 25 March) moves it one working day on: Mon 30 March.
    own = WorkingCalendar("WIB", extra_days=frozenset({date(2026, 3, 25)}))
    assert add_working_days(SUBMITTED, 3, own) == datetime(2026, 3, 30, 10, 0, tzinfo=WIB)


async def _call(client, tenant, query, headers, **variables):
    status, body = await gql(client, f"/t/{tenant.slug}/graphql", query, headers, **variables)
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


async def _report_submitted_at(client, tenant, owner, moment) -> str:
    """A report whose verification clock started at ``moment`` (set as the owner)."""
    payload = await submit(client, tenant.slug, anonymous=True)
    assert payload["errors"] == [], payload
    await owner.execute(
        "UPDATE reports SET created_at = $2 WHERE id = $1",
        uuid.UUID(payload["report"]["id"]),
        moment,
    )
    return payload["report"]["id"]


async def _due(client, tenant, headers, report_id) -> datetime:
    return datetime.fromisoformat(
        (await _call(client, tenant, DUE, headers, id=report_id))["verifyDueAt"]
    )


async def test_calendar_settings_retime_deadlines_per_tenant(
    app_client, settings, owner, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    report_a = await _report_submitted_at(app_client, a, owner, SUBMITTED)
    report_b = await _report_submitted_at(app_client, b, owner, SUBMITTED)

    # The default: collective leave is a day off.
    assert await _call(app_client, a, CALENDAR, admin_a) == {
        "timeZone": "WIB",
        "collectiveLeaveOff": True,
        "nonWorkingDays": [],
    }
    # Turning it off and on re-times the open report from its submission.
    done = await _call(app_client, a, SET_LEAVE, admin_a, off=False)
    assert done == {"calendar": {"collectiveLeaveOff": False}, "errors": []}
    assert await _due(app_client, a, admin_a, report_a) == DUE_WITHOUT_LEAVE
    await _call(app_client, a, SET_LEAVE, admin_a, off=True)
    assert await _due(app_client, a, admin_a, report_a) == DUE_WITH_LEAVE

    # A's own regional holiday shifts A's deadline, not B's.
    added = await _call(app_client, a, ADD_DAY, admin_a, d="2026-03-25", n="  Hari Jadi  Kota ")
    assert added == {
        "calendar": {"nonWorkingDays": [{"day": "2026-03-25", "name": "Hari Jadi Kota"}]},
        "errors": [],
    }
    assert await _due(app_client, a, admin_a, report_a) == datetime(2026, 3, 30, 10, tzinfo=WIB)
    await _call(app_client, b, SET_LEAVE, admin_b, off=True)  # re-times B with B's calendar
    assert await _due(app_client, b, admin_b, report_b) == DUE_WITH_LEAVE
    assert (await _call(app_client, b, CALENDAR, admin_b))["nonWorkingDays"] == []

    # Typed errors.
    again = await _call(app_client, a, ADD_DAY, admin_a, d="2026-03-25", n="Lagi")
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("CONFLICT", "day")]
    bad = await _call(app_client, a, ADD_DAY, admin_a, d="2026-03-26", n="x")
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_INPUT", "name")]
    missing = await _call(app_client, b, REMOVE_DAY, admin_b, d="2026-03-25")  # A's day
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("NOT_FOUND", "day")]
    operator = await auth_header(settings, Role.OPERATOR, a)
    refused = await _call(app_client, a, ADD_DAY, operator, d="2026-03-26", n="Libur")
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert len((await _call(app_client, a, CALENDAR, operator))["nonWorkingDays"]) == 1

    # Removing the day puts the deadline back.
    removed = await _call(app_client, a, REMOVE_DAY, admin_a, d="2026-03-25")
    assert removed == {"calendar": {"nonWorkingDays": []}, "errors": []}
    assert await _due(app_client, a, admin_a, report_a) == DUE_WITH_LEAVE


async def test_new_reports_use_the_tenants_days_off(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    # Every weekday of the next three weeks is one of A's days off (B has none).
    today = datetime.now(WIB).date()
    for offset in range(1, 22):
        day = today + timedelta(days=offset)
        if day.weekday() < 5:
            added = await _call(app_client, a, ADD_DAY, admin_a, d=day.isoformat(), n="Libur uji")
            assert added["errors"] == []
    due_a = datetime.fromisoformat(
        (await submit(app_client, a.slug, anonymous=True))["report"]["verifyDueAt"]
    )
    due_b = datetime.fromisoformat(
        (await submit(app_client, b.slug, anonymous=True))["report"]["verifyDueAt"]
    )
    assert due_a.astimezone(WIB).date() > today + timedelta(days=21)
    assert due_b.astimezone(WIB).date() <= today + timedelta(days=21)


async def test_sweep_marks_no_breach_on_a_day_off(app_client, settings, owner, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    # Wed 2 Dec 2026 becomes A's regional holiday; a deadline set before that fell on it.
    added = await _call(app_client, a, ADD_DAY, admin_a, d="2026-12-02", n="Hari Jadi Kota")
    assert added["errors"] == []
    due = datetime(2026, 12, 2, 9, 0, tzinfo=WIB)
    late = {}
    for tenant in (a, b):
        report = (await submit(app_client, tenant.slug, anonymous=True))["report"]["id"]
        await owner.execute(
            "UPDATE reports SET verify_due_at = $2 WHERE id = $1", uuid.UUID(report), due
        )
        late[tenant.slug] = report
    on_the_day = datetime(2026, 12, 2, 11, 0, tzinfo=WIB)
    assert (await do_sweep_report_slas(a, on_the_day)).verify_breaches == 0
    assert (await do_sweep_report_slas(b, on_the_day)).verify_breaches == 1  # B works that day
    next_day = datetime(2026, 12, 3, 11, 0, tzinfo=WIB)
    assert (await do_sweep_report_slas(a, next_day)).verify_breaches == 1
    breached = await owner.fetchval(
        "SELECT verify_breached_at FROM reports WHERE id = $1", uuid.UUID(late[a.slug])
    )
    assert breached == next_day


async def test_sweep_marks_no_breach_on_collective_leave(app_client, owner):
    # Thu 24 Dec 2026 is collective leave (Christmas); by default no breach that day.
    tenant = await onboard()
    report = (await submit(app_client, tenant.slug, anonymous=True))["report"]["id"]
    await owner.execute(
        "UPDATE reports SET verify_due_at = $2 WHERE id = $1",
        uuid.UUID(report),
        datetime(2026, 12, 23, 10, 0, tzinfo=WIB),
    )
    assert date(2026, 12, 24) in holidays.country_holidays(
        "ID", years=[2026], categories=("government",)
    )
    christmas_eve = datetime(2026, 12, 24, 10, 0, tzinfo=WIB)
    assert (await do_sweep_report_slas(tenant, christmas_eve)).verify_breaches == 0
    assert (
        await do_sweep_report_slas(tenant, datetime(2026, 12, 28, 10, 0, tzinfo=WIB))
    ).verify_breaches == 1


async def test_urgent_reports_breach_on_a_day_off_too(app_client, owner):
    """An urgent report's verify deadline is minutes away and the command centre never
    closes: a missed one is marked on Christmas Eve leave and on a Sunday alike."""
    tenant = await onboard()
    for moment in (
        datetime(2026, 12, 24, 10, 0, tzinfo=WIB),  # collective leave
        datetime(2026, 12, 27, 10, 0, tzinfo=WIB),  # a Sunday
    ):
        urgent = (await submit(app_client, tenant.slug, anonymous=True, urgent=True))["report"]
        ordinary = (await submit(app_client, tenant.slug, anonymous=True))["report"]
        for report in (urgent, ordinary):
            await owner.execute(
                "UPDATE reports SET verify_due_at = $2 WHERE id = $1",
                uuid.UUID(report["id"]),
                moment - timedelta(minutes=30),
            )
        assert (await do_sweep_report_slas(tenant, moment)).verify_breaches == 1
        assert (
            await owner.fetchval(
                "SELECT verify_breached_at FROM reports WHERE id = $1", uuid.UUID(urgent["id"])
            )
            == moment
        )
        assert (
            await owner.fetchval(
                "SELECT verify_breached_at FROM reports WHERE id = $1", uuid.UUID(ordinary["id"])
            )
            is None
        )


async def test_urgent_follow_up_breaches_on_a_day_off_too(app_client, owner):
    """An urgent report's agency follow-up also runs on minutes: missed on a Sunday, it is
    marked that Sunday; an ordinary one waits for Monday."""
    tenant = await onboard()
    sunday = datetime(2026, 12, 27, 10, 0, tzinfo=WIB)
    urgent = (await submit(app_client, tenant.slug, anonymous=True, urgent=True))["report"]
    ordinary = (await submit(app_client, tenant.slug, anonymous=True))["report"]
    for report in (urgent, ordinary):
        await owner.execute(
            "UPDATE reports SET status = 'DISPATCHED', verify_breached_at = now(),"
            " followup_due_at = $2 WHERE id = $1",
            uuid.UUID(report["id"]),
            sunday - timedelta(minutes=30),
        )
    assert (await do_sweep_report_slas(tenant, sunday)).followup_breaches == 1
    breached = await owner.fetchval(
        "SELECT followup_breached_at FROM reports WHERE id = $1", uuid.UUID(urgent["id"])
    )
    assert breached == sunday
    monday = datetime(2026, 12, 28, 10, 0, tzinfo=WIB)
    assert (await do_sweep_report_slas(tenant, monday)).followup_breaches == 1
