"""The whole workflow of a report, its timeline, and who sees which part of it."""

from __future__ import annotations

import json
import re

import pytest
from helpers import (
    ASSIGN,
    DISPATCH,
    NOTE,
    REJECT,
    STATUS,
    VERIFY,
    act,
    auth_header,
    bearer_for,
    create_unit,
    gql,
    make_user,
    submit,
)

from jogo.platform.auth.roles import Role

TIMELINE = """query($id: ID!) { report(id: $id) { status ticket
  timeline { kind fromStatus toStatus note public actorName messageId messageEn }
  lastEvent { kind } category { code nameId } } }"""


async def agency_id(client, slug, headers, kind="dinas") -> str:
    _, body = await gql(
        client,
        f"/t/{slug}/graphql",
        "query($k: String) { agencies(kind: $k) { id code } }",
        headers,
        k=kind,
    )
    return body["data"]["agencies"][0]["id"]


async def _status(owner, tenant, report_id: str) -> str:
    status: str = await owner.fetchval(
        "SELECT status FROM reports WHERE tenant_id = $1 AND id = $2::uuid", tenant.id, report_id
    )
    return status


async def test_full_lifecycle_with_timeline(app_client, settings, two_tenants, owner):
    slug = two_tenants.a.slug
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    officer_id, officer_name = await make_user(Role.OFFICER, two_tenants.a)
    officer = bearer_for(officer_id, officer_name, settings)

    created = await submit(app_client, slug, citizen)
    assert created["errors"] == [] and created["pin"] is None
    report = created["report"]
    # The tenant's own prefix (unique on the platform; Kota Malang's first tenant has MLG).
    prefix = re.escape(two_tenants.a.ticket_prefix)
    assert re.fullmatch(prefix + r"-20\d\d-\d{6}", report["ticket"]), report
    assert report["status"] == "SUBMITTED"
    rid = report["id"]

    assert (await act(app_client, slug, VERIFY, operator, id=rid))["report"]["status"] == "VERIFIED"
    unit = await create_unit(app_client, slug, operator, "Unit Turjawali", "LANTAS")
    assigned = await act(app_client, slug, ASSIGN, operator, id=rid, o=str(officer_id), u=unit)
    assert assigned["report"] == {
        "assignedUnit": {"name": "Unit Turjawali"},
        "assignedOfficer": {"username": officer_name},
    }
    dinas = await agency_id(app_client, slug, operator)
    dispatched = await act(app_client, slug, DISPATCH, operator, id=rid, a=dinas)
    assert dispatched["report"]["status"] == "DISPATCHED" and dispatched["report"]["followupDueAt"]
    # The assigned officer moves it on; resolving needs a note.
    progress = await act(app_client, slug, STATUS, officer, id=rid, s="IN_PROGRESS", n=None)
    assert progress["report"]["status"] == "IN_PROGRESS"
    no_note = await act(app_client, slug, STATUS, officer, id=rid, s="RESOLVED", n=None)
    assert no_note["report"] is None
    assert [(e["code"], e["field"]) for e in no_note["errors"]] == [("INVALID_INPUT", "note")]
    assert await _status(owner, two_tenants.a, rid) == "IN_PROGRESS"
    resolved = await act(
        app_client, slug, STATUS, officer, id=rid, s="RESOLVED", n="Pohon sudah dipotong"
    )
    assert resolved["report"]["status"] == "RESOLVED" and resolved["report"]["autocloseAt"]
    internal = await act(app_client, slug, NOTE, operator, id=rid, n="Cek ulang besok", p=False)
    assert internal["errors"] == []
    # Officers cannot close; operators can.
    denied = await act(app_client, slug, STATUS, officer, id=rid, s="CLOSED", n=None)
    assert denied["errors"][0]["code"] == "FORBIDDEN"
    closed = await act(app_client, slug, STATUS, operator, id=rid, s="CLOSED", n=None)
    assert closed["report"]["status"] == "CLOSED"

    _, staff_view = await gql(app_client, f"/t/{slug}/graphql", TIMELINE, operator, id=rid)
    kinds = [e["kind"] for e in staff_view["data"]["report"]["timeline"]]
    assert kinds == [
        "SUBMITTED",
        "STATUS",
        "ASSIGNMENT",
        "STATUS",
        "DISPATCH",
        "STATUS",
        "STATUS",
        "NOTE",
        "STATUS",
    ]
    statuses = [
        e["toStatus"] for e in staff_view["data"]["report"]["timeline"] if e["kind"] == "STATUS"
    ]
    assert statuses == ["VERIFIED", "DISPATCHED", "IN_PROGRESS", "RESOLVED", "CLOSED"]
    _, own_view = await gql(app_client, f"/t/{slug}/graphql", TIMELINE, citizen, id=rid)
    public = own_view["data"]["report"]["timeline"]
    assert all(e["public"] for e in public)
    assert "ASSIGNMENT" not in [e["kind"] for e in public] and "NOTE" not in [
        e["kind"] for e in public
    ]
    assert {e["actorName"] for e in public if e["kind"] == "STATUS"} == {"petugas"}
    assert public[-1]["messageId"] == "Laporan ditutup" and public[-1]["messageEn"] == "Closed"
    db_row = await owner.fetchrow("SELECT * FROM reports WHERE id = $1::uuid", rid)
    assert (
        db_row["verified_at"]
        and db_row["dispatched_at"]
        and db_row["resolved_at"]
        and db_row["closed_at"]
    )


@pytest.mark.parametrize(
    ("steps", "mutation", "variables"),
    [
        ([], DISPATCH, {}),
        ([], STATUS, {"s": "RESOLVED", "n": "x selesai"}),
        ([VERIFY], VERIFY, {}),
        ([VERIFY, DISPATCH], REJECT, {"r": "tidak valid"}),
        ([], STATUS, {"s": "CLOSED", "n": None}),
    ],
)
async def test_illegal_transitions_get_typed_errors(
    app_client, settings, two_tenants, steps, mutation, variables
):
    slug = two_tenants.a.slug
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    rid = (await submit(app_client, slug, operator))["report"]["id"]
    agency = await agency_id(app_client, slug, operator)
    for step in steps:
        done = (
            await act(app_client, slug, step, operator, id=rid, a=agency)
            if step == DISPATCH
            else await act(app_client, slug, step, operator, id=rid)
        )
        assert done["errors"] == []
    result = (
        await act(app_client, slug, mutation, operator, id=rid, a=agency, **variables)
        if mutation == DISPATCH
        else await act(app_client, slug, mutation, operator, id=rid, **variables)
    )
    assert result["report"] is None
    assert result["errors"][0]["code"] == "ILLEGAL_TRANSITION", result


async def test_reject_needs_a_reason_and_records_it(app_client, settings, two_tenants, owner):
    slug = two_tenants.a.slug
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    rid = (await submit(app_client, slug, operator))["report"]["id"]
    empty = await act(app_client, slug, REJECT, operator, id=rid, r="   ")
    assert empty["report"] is None
    assert [(e["code"], e["field"]) for e in empty["errors"]] == [("INVALID_INPUT", "reason")]
    assert await _status(owner, two_tenants.a, rid) == "SUBMITTED"
    done = await act(app_client, slug, REJECT, operator, id=rid, r="Laporan palsu")
    assert done["report"] == {"status": "REJECTED", "rejectReason": "Laporan palsu"}


async def test_who_sees_which_reports(app_client, settings, two_tenants):
    slug = two_tenants.a.slug
    alice = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    bob = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    officer_id, officer_name = await make_user(Role.OFFICER, two_tenants.a)
    officer = bearer_for(officer_id, officer_name, settings)
    mine = (await submit(app_client, slug, alice))["report"]["id"]
    other = (await submit(app_client, slug, bob, categoryCode="FLOOD"))["report"]["id"]
    await act(app_client, slug, ASSIGN, operator, id=other, o=str(officer_id), u=None)
    query = "query($id: ID!) { report(id: $id) { id } }"

    async def sees(headers, rid) -> bool:
        _, body = await gql(app_client, f"/t/{slug}/graphql", query, headers, id=rid)
        return body["data"]["report"] is not None

    assert await sees(alice, mine) and not await sees(alice, other)
    assert await sees(bob, other) and not await sees(bob, mine)
    assert await sees(officer, other) and not await sees(officer, mine)
    assert await sees(operator, mine) and await sees(operator, other)
    # A citizen cannot act on reports, not even their own.
    denied = await act(app_client, slug, VERIFY, alice, id=mine)
    assert denied["errors"][0]["code"] == "FORBIDDEN"
    # The assigned officer cannot move someone else's report.
    await act(app_client, slug, VERIFY, operator, id=mine)
    nope = await act(app_client, slug, NOTE, officer, id=mine, n="x catatan", p=False)
    assert nope["errors"][0]["code"] == "NOT_FOUND"


async def test_reporter_identity_only_for_operators_and_audited(
    app_client, settings, two_tenants, owner
):
    slug = two_tenants.a.slug
    citizen_id, citizen_name = await make_user(Role.CITIZEN, two_tenants.a)
    citizen = bearer_for(citizen_id, citizen_name, settings)
    created = await submit(
        app_client, slug, citizen, reporterName="Siti Aminah", reporterPhone="0812-3456-7890"
    )
    rid, ticket = created["report"]["id"], created["report"]["ticket"]
    query = (
        "query($id: ID!) { report(id: $id) { ticket reporter { username name phone anonymous } } }"
    )
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    _, seen = await gql(app_client, f"/t/{slug}/graphql", query, operator, id=rid)
    assert seen["data"]["report"]["reporter"] == {
        "username": citizen_name,
        "name": "Siti Aminah",
        "phone": "+6281234567890",
        "anonymous": False,
    }
    # Tickets are per tenant (every new tenant has its MLG-2026-000001): look in this one.
    audit = await owner.fetch(
        "SELECT * FROM audit_log WHERE action = 'report.reporter_identity.read' "
        "AND target = $1 AND tenant = $2",
        f"report:{ticket}",
        two_tenants.a.id,
    )
    assert len(audit) == 1
    officer = await auth_header(settings, Role.OFFICER, two_tenants.a)
    klojen = await create_unit(app_client, slug, operator, "Polsek Klojen", "OTHER")
    await act(app_client, slug, ASSIGN, operator, id=rid, o=None, u=klojen)
    _, own = await gql(app_client, f"/t/{slug}/graphql", query, citizen, id=rid)
    assert (
        own["data"] is None
        or own["data"]["report"] is None
        or own["data"]["report"].get("reporter") is None
    )
    assert own["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, by_officer = await gql(app_client, f"/t/{slug}/graphql", query, officer, id=rid)
    assert by_officer["data"]["report"] is None  # not assigned to this officer: not found


async def test_citizen_reply_stops_autoclose(app_client, settings, two_tenants, owner):
    slug = two_tenants.a.slug
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    rid = (await submit(app_client, slug, citizen))["report"]["id"]
    await act(app_client, slug, VERIFY, operator, id=rid)
    await act(
        app_client, slug, DISPATCH, operator, id=rid, a=await agency_id(app_client, slug, operator)
    )
    await act(app_client, slug, STATUS, operator, id=rid, s="IN_PROGRESS", n=None)
    resolved = await act(app_client, slug, STATUS, operator, id=rid, s="RESOLVED", n="Selesai")
    assert resolved["report"]["autocloseAt"]
    private = await act(app_client, slug, NOTE, citizen, id=rid, n="Belum selesai", p=False)
    assert private["report"] is None
    assert [(e["code"], e["field"]) for e in private["errors"]] == [("INVALID_INPUT", "public")]
    notes = await owner.fetchval(
        "SELECT count(*) FROM report_events WHERE tenant_id = $1 AND report_id = $2::uuid"
        " AND kind = 'NOTE'",
        two_tenants.a.id,
        rid,
    )
    assert notes == 0
    reply = await act(
        app_client, slug, NOTE, citizen, id=rid, n="Pohon masih ada di pinggir jalan", p=True
    )
    assert reply["errors"] == []
    _, body = await gql(
        app_client,
        f"/t/{slug}/graphql",
        "query($id: ID!) { report(id: $id) { autocloseAt timeline { kind actorName } } }",
        citizen,
        id=rid,
    )
    assert body["data"]["report"]["autocloseAt"] is None
    assert body["data"]["report"]["timeline"][-1]["kind"] == "NOTE"


async def test_what_an_assigned_officer_and_the_reporter_see_of_each_other(
    app_client, settings, two_tenants
):
    slug = two_tenants.a.slug
    citizen_id, citizen_name = await make_user(Role.CITIZEN, two_tenants.a)
    citizen = bearer_for(citizen_id, citizen_name, settings)
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    officer_id, officer_name = await make_user(Role.OFFICER, two_tenants.a)
    officer = bearer_for(officer_id, officer_name, settings)
    rid = (
        await submit(app_client, slug, citizen, reporterName="Budi", reporterPhone="081234567890")
    )["report"]["id"]
    await act(app_client, slug, ASSIGN, operator, id=rid, o=str(officer_id), u=None)
    await act(app_client, slug, NOTE, citizen, id=rid, n="Tolong segera ditangani", p=True)
    query = "query($id: ID!) { report(id: $id) { assignedOfficer { username } timeline { kind actorName } } }"
    _, by_officer = await gql(app_client, f"/t/{slug}/graphql", query, officer, id=rid)
    names = {e["kind"]: e["actorName"] for e in by_officer["data"]["report"]["timeline"]}
    assert names["SUBMITTED"] == "pelapor" and names["NOTE"] == "pelapor"
    assert citizen_name not in json.dumps(by_officer)
    _, identity = await gql(
        app_client,
        f"/t/{slug}/graphql",
        "query($id: ID!) { report(id: $id) { reporter { name } } }",
        officer,
        id=rid,
    )
    assert identity["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, by_citizen = await gql(app_client, f"/t/{slug}/graphql", query, citizen, id=rid)
    assert by_citizen["data"]["report"]["assignedOfficer"] is None  # staff only
    assert officer_name not in json.dumps(by_citizen)
    own = {e["kind"]: e["actorName"] for e in by_citizen["data"]["report"]["timeline"]}
    assert own["SUBMITTED"] == citizen_name  # one's own entries show one's own name


async def test_integrator_with_reports_write_can_triage(app_client, settings, two_tenants):
    from jogo.platform.auth.apikeys import create_api_key

    key = await create_api_key(two_tenants.a, "Command centre", ["reports:write"], "pytest")
    headers = {"Authorization": f"Bearer {key.key}"}
    rid = (await submit(app_client, two_tenants.a.slug, headers))["report"]["id"]
    done = await act(app_client, two_tenants.a.slug, VERIFY, headers, id=rid)
    assert done == {"report": {"status": "VERIFIED"}, "errors": []}
    _, body = await gql(
        app_client,
        f"/t/{two_tenants.a.slug}/graphql",
        "query($id: ID!) { report(id: $id) { reporter { name } } }",
        headers,
        id=rid,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # no identity for keys
