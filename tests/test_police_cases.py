"""Issue 14 part 1: police handle cases themselves. A VERIFIED report assigned to an
officer or a unit goes VERIFIED → IN_PROGRESS → RESOLVED without an agency, with the
usual timeline, follow-up service level and citizen view; unassigned, it is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers import (
    ASSIGN,
    NOTE,
    STATUS,
    VERIFY,
    act,
    auth_header,
    bearer_for,
    create_unit,
    gql,
    make_user,
    submit,
    wait_for_listeners,
)

from jogo.platform.auth.roles import Role
from jogo.tenants.reports.lifecycle import POLICE_LABEL
from jogo.tenants.reports.sla import WorkingCalendar
from jogo.tenants.reports.sla_sweep import do_sweep_report_slas

SET_MEMBERS = """mutation($u: ID!, $m: [ID!]!) { setUnitMembers(unitId: $u, userIds: $m) {
  unit { id } errors { code field message } } }"""
TRACK = """query($t: String!, $p: String!) { trackReport(ticket: $t, pin: $p) {
  status timeline { kind toStatus messageId messageEn actorName } } }"""
STATUS_DUE = """mutation($id: ID!, $s: ReportStatus!, $n: String) {
  updateReportStatus(reportId: $id, status: $s, note: $n) {
    report { status followupDueAt slaBreached } errors { code field message } } }"""


async def _verified(client, slug, operator, **overrides) -> dict:
    created = await submit(
        client, slug, None if overrides.get("anonymous") else operator, **overrides
    )
    done = await act(client, slug, VERIFY, operator, id=created["report"]["id"])
    assert done["report"]["status"] == "VERIFIED"
    return created


async def test_a_unit_member_works_an_anonymous_report_and_the_citizen_follows_it(
    app_client, settings, two_tenants, owner
):
    slug = two_tenants.a.slug
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    officer_id, officer_name = await make_user(Role.OFFICER, two_tenants.a)
    officer = bearer_for(officer_id, officer_name, settings)
    created = await _verified(
        app_client, slug, operator, anonymous=True, categoryCode="CRIME", title="Pencurian motor"
    )
    rid, ticket, pin = created["report"]["id"], created["report"]["ticket"], created["pin"]
    unit = await create_unit(app_client, slug, operator, "Tim Buser 1", "RESKRIM")
    members = await act(app_client, slug, SET_MEMBERS, operator, u=unit, m=[str(officer_id)])
    assert members["errors"] == []
    assigned = await act(app_client, slug, ASSIGN, operator, id=rid, o=None, u=unit)
    assert assigned["report"]["assignedUnit"] == {"name": "Tim Buser 1"}

    # A member of the unit takes it on: no agency, and the follow-up clock starts now.
    before = datetime.now(UTC)
    started = await act(app_client, slug, STATUS_DUE, officer, id=rid, s="IN_PROGRESS", n=None)
    assert started["errors"] == [] and started["report"]["status"] == "IN_PROGRESS"
    due = datetime.fromisoformat(started["report"]["followupDueAt"])
    assert due > before + timedelta(days=1)
    row = await owner.fetchrow(
        "SELECT police_started_at, dispatched_at FROM reports WHERE id = $1::uuid", rid
    )
    assert row["police_started_at"] >= before and row["dispatched_at"] is None
    note = await act(app_client, slug, NOTE, officer, id=rid, n="Saksi diperiksa", p=False)
    assert note["errors"] == []
    resolved = await act(
        app_client, slug, STATUS, officer, id=rid, s="RESOLVED", n="Pelaku diamankan"
    )
    assert resolved["report"]["status"] == "RESOLVED" and resolved["report"]["autocloseAt"]
    closed = await act(app_client, slug, STATUS, operator, id=rid, s="CLOSED", n=None)
    assert closed["report"]["status"] == "CLOSED"

    # The citizen's view: the public timeline, Bahasa Indonesia first and English beside.
    _, body = await gql(app_client, f"/t/{slug}/graphql", TRACK, t=ticket, p=pin)
    tracked = body["data"]["trackReport"]
    assert tracked["status"] == "CLOSED"
    steps = [(e["toStatus"], e["messageId"], e["messageEn"]) for e in tracked["timeline"]]
    statuses = ["SUBMITTED", "VERIFIED", "IN_PROGRESS", "RESOLVED", "CLOSED"]
    assert [s[0] for s in steps if s[0]] == statuses
    assert ("IN_PROGRESS", *POLICE_LABEL) in steps
    assert POLICE_LABEL[0].startswith("Laporan sedang ditangani")
    kinds = [e["kind"] for e in tracked["timeline"]]
    assert "ASSIGNMENT" not in kinds and "NOTE" not in kinds  # internal entries stay inside
    assert {e["actorName"] for e in tracked["timeline"] if e["kind"] == "STATUS"} == {"petugas"}


async def test_unassigned_is_refused_and_the_chain_stays_strict(app_client, settings, two_tenants):
    slug = two_tenants.a.slug
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    officer_id, _ = await make_user(Role.OFFICER, two_tenants.a)
    rid = (await _verified(app_client, slug, operator))["report"]["id"]
    refused = await act(app_client, slug, STATUS, operator, id=rid, s="IN_PROGRESS", n=None)
    assert refused["report"] is None
    error = refused["errors"][0]
    assert error["code"] == "ILLEGAL_TRANSITION" and error["field"] == "status"
    assert "assign an officer or a unit" in error["message"] and "dispatch" in error["message"]
    # Assigned but not yet verified: still the strict chain.
    fresh = (await submit(app_client, slug, operator))["report"]["id"]
    await act(app_client, slug, ASSIGN, operator, id=fresh, o=str(officer_id), u=None)
    early = await act(app_client, slug, STATUS, operator, id=fresh, s="IN_PROGRESS", n=None)
    assert early["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    # Not straight to RESOLVED either, assigned or not.
    await act(app_client, slug, ASSIGN, operator, id=rid, o=str(officer_id), u=None)
    skip = await act(app_client, slug, STATUS, operator, id=rid, s="RESOLVED", n="Selesai")
    assert skip["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    # Assigned, an operator may start it (operators work any report).
    ok = await act(app_client, slug, STATUS, operator, id=rid, s="IN_PROGRESS", n=None)
    assert ok["errors"] == [] and ok["report"]["status"] == "IN_PROGRESS"


async def test_officers_not_assigned_and_other_tenants_get_not_found(
    app_client, settings, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    operator = await auth_header(settings, Role.OPERATOR, a)
    assigned_id, _ = await make_user(Role.OFFICER, a)
    other_id, other_name = await make_user(Role.OFFICER, a)
    other = bearer_for(other_id, other_name, settings)
    rid = (await _verified(app_client, a.slug, operator))["report"]["id"]
    await act(app_client, a.slug, ASSIGN, operator, id=rid, o=str(assigned_id), u=None)
    denied = await act(app_client, a.slug, STATUS, other, id=rid, s="IN_PROGRESS", n=None)
    assert denied["errors"][0]["code"] == "NOT_FOUND"
    # A unit the officer left no longer lets them in.
    unit = await create_unit(app_client, a.slug, operator, "Patroli Samapta", "SAMAPTA")
    await act(app_client, a.slug, SET_MEMBERS, operator, u=unit, m=[str(other_id)])
    await act(app_client, a.slug, ASSIGN, operator, id=rid, o=None, u=unit)
    await act(app_client, a.slug, SET_MEMBERS, operator, u=unit, m=[])
    left = await act(app_client, a.slug, STATUS, other, id=rid, s="IN_PROGRESS", n=None)
    assert left["errors"][0]["code"] == "NOT_FOUND"
    # Tenant B's operator and officer: A's report does not exist for them.
    b_operator = await auth_header(settings, Role.OPERATOR, b)
    crossed = await act(app_client, b.slug, STATUS, b_operator, id=rid, s="IN_PROGRESS", n=None)
    assert crossed["errors"][0]["code"] == "NOT_FOUND"
    b_unit = await create_unit(app_client, b.slug, b_operator, "Patroli Samapta", "SAMAPTA")
    a_report_b_unit = await act(app_client, a.slug, ASSIGN, operator, id=rid, o=None, u=b_unit)
    assert a_report_b_unit["errors"][0] == {
        "code": "NOT_FOUND",
        "field": "unitId",
        "message": "unit not found",
    }
    still = await act(app_client, a.slug, STATUS, operator, id=rid, s="IN_PROGRESS", n=None)
    assert still["report"]["status"] == "IN_PROGRESS"  # assigned to A's unit: police work it


async def test_the_follow_up_clock_breaches_a_police_case_like_a_dispatch(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    officer_id, officer_name = await make_user(Role.OFFICER, tenant)
    officer = bearer_for(officer_id, officer_name, settings)
    working = (await _verified(app_client, tenant.slug, operator))["report"]["id"]
    done = (await _verified(app_client, tenant.slug, operator))["report"]["id"]
    for rid in (working, done):
        await act(app_client, tenant.slug, ASSIGN, operator, id=rid, o=str(officer_id), u=None)
        await act(app_client, tenant.slug, STATUS, officer, id=rid, s="IN_PROGRESS", n=None)
    await act(app_client, tenant.slug, STATUS, officer, id=done, s="RESOLVED", n="Beres")
    due = await owner.fetchval("SELECT followup_due_at FROM reports WHERE id = $1::uuid", working)
    # A working day after the deadline (the sweep marks no breach on a day off).
    calendar = WorkingCalendar(tenant.time_zone)
    later = due + timedelta(days=7)
    while not calendar.is_working_day(calendar.today(later)):
        later += timedelta(days=1)
    swept = await do_sweep_report_slas(tenant, later)
    assert swept.followup_breaches == 1
    rows = {
        str(r["id"]): r["followup_breached_at"]
        for r in await owner.fetch(
            "SELECT id, followup_breached_at FROM reports WHERE id = ANY($1::uuid[])",
            [working, done],
        )
    }
    assert rows[working] == later and rows[done] is None
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        "query($id: ID!) { report(id: $id) { slaBreached timeline { kind } } }",
        operator,
        id=working,
    )
    assert body["data"]["report"]["slaBreached"] is True
    assert body["data"]["report"]["timeline"][-1]["kind"] == "SLA_BREACH"


async def test_a_unit_members_live_feed_carries_the_units_reports(
    app_client, live_server, settings, two_tenants
):
    from helpers import feed_socket, next_message, start_feed

    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    member_id, member_name = await make_user(Role.OFFICER, a)
    member = bearer_for(member_id, member_name, settings)
    unit = await create_unit(app_client, a.slug, operator, "Patroli Live", "SAMAPTA")
    await act(app_client, a.slug, SET_MEMBERS, operator, u=unit, m=[str(member_id)])
    other = (await submit(app_client, a.slug, operator))["report"]["id"]
    rid = (await submit(app_client, a.slug, operator, latitude=-7.93))["report"]["id"]
    async with await feed_socket(f"ws://{live_server}/t/{a.slug}/graphql") as ws:
        await start_feed(ws, member["Authorization"])
        await wait_for_listeners(1, a.id)
        await act(app_client, a.slug, NOTE, operator, id=other, n="bukan unit ini", p=False)
        await act(app_client, a.slug, ASSIGN, operator, id=rid, o=None, u=unit)
        await act(app_client, a.slug, VERIFY, operator, id=rid)
        kinds = [
            (await next_message(ws))["payload"]["data"]["reportEvents"]["event"]["kind"]
            for _ in range(2)
        ]
        assert kinds == ["ASSIGNMENT", "STATUS"]
        # Nothing else came in between: the next event is a marker sent after all of it
        # (events arrive in commit order), not "silence for 0.7 s".
        await act(app_client, a.slug, NOTE, operator, id=rid, n="penanda", p=True)
        marker = (await next_message(ws))["payload"]["data"]["reportEvents"]["event"]["kind"]
        assert marker == "NOTE"


async def test_the_agency_return_path_and_police_work_meet(app_client, settings, owner):
    """A report an agency hands back can be worked by the police; a police case also
    sent to an agency that then declines goes back to the operators, its police start
    forgotten (it is restarted, with a new follow-up clock, when the police take it on)."""
    from helpers import AGENCY_DISPATCH as SEND
    from helpers import make_agency, onboard

    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    officer_id, officer_name = await make_user(Role.OFFICER, tenant)
    officer = bearer_for(officer_id, officer_name, settings)
    manual = await make_agency(
        app_client, tenant.slug, admin, None, connector="manual", code="DLH-MANUAL", secret=None
    )
    update = """mutation($d: ID!, $s: String!, $n: String) { updateDispatchStatus(
      dispatchId: $d, status: $s, note: $n) { errors { code field } } }"""

    async def hand_back(rid: str) -> None:
        dispatch = await owner.fetchval(
            "SELECT id FROM dispatches WHERE report_id = $1::uuid AND status <> 'RETURNED'", rid
        )
        _, body = await gql(
            app_client,
            f"/t/{tenant.slug}/graphql",
            update,
            admin,
            d=str(dispatch),
            s="declined",
            n="Bukan kewenangan kami",
        )
        assert body["data"]["updateDispatchStatus"]["errors"] == [], body

    rid = (await submit(app_client, tenant.slug, admin))["report"]["id"]
    await act(app_client, tenant.slug, VERIFY, admin, id=rid)
    sent = await act(app_client, tenant.slug, SEND, admin, r=rid, a=manual)
    assert sent["report"]["status"] == "DISPATCHED"
    await hand_back(rid)
    await act(app_client, tenant.slug, ASSIGN, admin, id=rid, o=str(officer_id), u=None)
    started = await act(app_client, tenant.slug, STATUS, officer, id=rid, s="IN_PROGRESS", n=None)
    assert started["report"]["status"] == "IN_PROGRESS"
    assert await owner.fetchval(
        "SELECT police_started_at IS NOT NULL FROM reports WHERE id = $1::uuid", rid
    )
    # The police bring an agency in too; it declines: back to the operators.
    also = await act(app_client, tenant.slug, SEND, admin, r=rid, a=manual)
    assert also["errors"] == [] and also["report"]["status"] == "IN_PROGRESS"
    await hand_back(rid)
    row = await owner.fetchrow(
        "SELECT status, police_started_at, followup_due_at FROM reports WHERE id = $1::uuid", rid
    )
    assert row["status"] == "VERIFIED" and row["police_started_at"] is None
    assert row["followup_due_at"] is None
    again = await act(app_client, tenant.slug, STATUS, officer, id=rid, s="IN_PROGRESS", n=None)
    assert again["errors"] == [] and again["report"]["status"] == "IN_PROGRESS"
