"""The service level of a report sent on a weekend or a public holiday, through the
product (issue 15, item 6): the report is submitted over GraphQL, its clock start is put
on the day under test (as the owner: submission takes the server's clock), and the
tenant's calendar re-times it as it does every open report; the deadline is then read
over GraphQL and from the row.

Expected values are literal dates read off the 2026 calendar and the rule (LAPOR!-SP4N,
README "Reports": verify within 3 working days; a clock that starts outside working
days counts from the next working day's 08:00, WIB for Kota Malang and Kota Semarang).
test_rules_sla.py pins ``add_working_days`` itself; test_sla_calendar.py the calendar
settings on a Tuesday of Ramadan leave."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import holidays
from helpers import auth_header, gql, submit

from jogo.platform.auth.roles import Role

WIB = timezone(timedelta(hours=7))
SATURDAY = datetime(2026, 11, 7, 10, 0, tzinfo=WIB)  # Sat 7 Nov 2026, 10:00 WIB
FRIDAY = datetime(2026, 11, 6, 10, 0, tzinfo=WIB)  # Fri 6 Nov 2026, a working day
INDEPENDENCE_DAY = datetime(2026, 8, 17, 10, 0, tzinfo=WIB)  # Mon 17 Aug 2026
DUE = "query($id: ID!) { report(id: $id) { verifyDueAt } }"
RETIME = """mutation { setCollectiveLeaveOff(off: true) {
  calendar { collectiveLeaveOff } errors { code field message } } }"""
ADD_DAY = """mutation($d: Date!, $n: String!) { addNonWorkingDay(day: $d, name: $n) {
  errors { code field message } } }"""


def test_the_days_used_here_are_what_the_calendar_says():
    public = holidays.country_holidays("ID", years=[2026])
    leave = holidays.country_holidays("ID", years=[2026], categories=("government",))
    assert date(2026, 8, 17) in public and date(2026, 8, 17).isoweekday() == 1
    assert SATURDAY.isoweekday() == 6 and FRIDAY.isoweekday() == 5
    # No holiday nor collective leave in the working days the expected values count.
    counted = [date(2026, 8, d) for d in (18, 19, 20, 21)] + [
        date(2026, 11, d) for d in (6, 9, 10, 11, 12, 13)
    ]
    assert not [d for d in counted if d in public or d in leave]


async def _sent_at(client, tenant, owner, moment: datetime) -> str:
    payload = await submit(client, tenant.slug, anonymous=True)
    assert payload["errors"] == [], payload
    await owner.execute(
        "UPDATE reports SET created_at = $2 WHERE tenant_id = $1 AND id = $3",
        tenant.id,
        moment,
        uuid.UUID(payload["report"]["id"]),
    )
    report_id: str = payload["report"]["id"]
    return report_id


async def _retime(client, tenant, admin) -> None:
    _, body = await gql(client, f"/t/{tenant.slug}/graphql", RETIME, admin)
    assert body["data"]["setCollectiveLeaveOff"]["errors"] == [], body


async def _due(client, tenant, headers, owner, report_id: str) -> datetime:
    _, body = await gql(client, f"/t/{tenant.slug}/graphql", DUE, headers, id=report_id)
    shown = datetime.fromisoformat(body["data"]["report"]["verifyDueAt"])
    stored = await owner.fetchval(
        "SELECT verify_due_at FROM reports WHERE tenant_id = $1 AND id = $2",
        tenant.id,
        uuid.UUID(report_id),
    )
    assert stored == shown
    return shown


async def test_a_report_sent_on_saturday_is_due_counting_from_monday(
    app_client, settings, owner, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    saturday_a = await _sent_at(app_client, a, owner, SATURDAY)
    friday_a = await _sent_at(app_client, a, owner, FRIDAY)
    saturday_b = await _sent_at(app_client, b, owner, SATURDAY)
    # B makes Monday 9 November one of its own days off (A does not).
    _, body = await gql(
        app_client, f"/t/{b.slug}/graphql", ADD_DAY, admin_b, d="2026-11-09", n="Libur satuan"
    )
    assert body["data"]["addNonWorkingDay"]["errors"] == [], body
    await _retime(app_client, a, admin_a)

    # Saturday: the clock starts Mon 9 Nov 08:00; Tue, Wed, Thu: Thu 12 Nov 08:00 WIB.
    assert await _due(app_client, a, admin_a, owner, saturday_a) == datetime(
        2026, 11, 12, 8, 0, tzinfo=WIB
    )
    # A Friday report runs from its own 10:00 over the weekend: Wed 11 Nov 10:00 WIB.
    assert await _due(app_client, a, admin_a, owner, friday_a) == datetime(
        2026, 11, 11, 10, 0, tzinfo=WIB
    )
    # In B, Monday is off too: from Tue 10 Nov 08:00, due Fri 13 Nov 08:00 WIB.
    assert await _due(app_client, b, admin_b, owner, saturday_b) == datetime(
        2026, 11, 13, 8, 0, tzinfo=WIB
    )


async def test_a_report_sent_on_independence_day_is_due_counting_from_the_next_day(
    app_client, settings, owner, two_tenants
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    report_id = await _sent_at(app_client, a, owner, INDEPENDENCE_DAY)
    await _retime(app_client, a, admin)
    # Mon 17 Aug is a public holiday: from Tue 18 Aug 08:00, due Fri 21 Aug 08:00 WIB.
    assert await _due(app_client, a, admin, owner, report_id) == datetime(
        2026, 8, 21, 8, 0, tzinfo=WIB
    )
