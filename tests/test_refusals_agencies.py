"""Issue 15, item 6: what the agency answer paths refuse or keep internal, with the
effect of each branch (typed code, nothing written, or the one row it writes)."""

from __future__ import annotations

import uuid

import pytest
from helpers import (
    ANSWER_DISPATCH,
    BIND_LIAISON,
    CALLBACK_URL,
    auth_header,
    dispatch_to,
    dispatched_report,
    gql,
    liaison_of,
    make_user,
    manual_agencies,
    onboard,
    sign,
    submit,
)

from jogo.platform.auth.roles import Role


async def _count(owner, sql: str, *args) -> int:
    return await owner.fetchval(sql, *args)


async def test_adding_a_liaison_to_an_unknown_agency_writes_nothing(
    app_client, settings, owner, two_tenants
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    user_id, _ = await make_user(Role.AGENCY_LIAISON, a)
    [agency, *_] = await manual_agencies(app_client, a.slug, admin)
    rows = "SELECT count(*) FROM agency_liaisons WHERE tenant_id = $1"
    before = await _count(owner, rows, a.id)
    # An agency of the other tenant is unknown here, like a made-up one.
    b_agency = (
        await manual_agencies(
            app_client,
            two_tenants.b.slug,
            await auth_header(settings, Role.TENANT_ADMIN, two_tenants.b),
        )
    )[0]
    for missing in (str(uuid.uuid4()), b_agency):
        _, body = await gql(
            app_client, f"/t/{a.slug}/graphql", BIND_LIAISON, admin, a=missing, u=str(user_id)
        )
        assert body["data"]["addAgencyLiaison"]["errors"] == [
            {"code": "NOT_FOUND", "field": "agencyId"}
        ], body
    assert await _count(owner, rows, a.id) == before
    # The channel works: the same user binds to a real agency of this tenant.
    _, body = await gql(
        app_client, f"/t/{a.slug}/graphql", BIND_LIAISON, admin, a=agency, u=str(user_id)
    )
    assert body["data"]["addAgencyLiaison"]["errors"] == [], body
    assert await _count(owner, rows, a.id) == before + 1


async def test_a_repeated_answer_is_refused_and_changes_nothing(
    app_client, settings, owner, two_tenants
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    citizen = await auth_header(settings, Role.CITIZEN, a)
    [agency, *_] = await manual_agencies(app_client, a.slug, admin)
    rid = (await submit(app_client, a.slug, citizen, title="Lampu jalan mati"))["report"]["id"]
    dispatch = await dispatch_to(app_client, a, admin, agency, rid)
    liaison = await liaison_of(app_client, settings, a, admin, agency)
    url = f"/t/{a.slug}/graphql"
    _, first = await gql(
        app_client, url, ANSWER_DISPATCH, liaison, d=dispatch, s="accepted", n=None
    )
    assert first["data"]["updateDispatchStatus"]["dispatch"]["status"] == "ACCEPTED", first
    events = "SELECT count(*) FROM report_events WHERE tenant_id = $1 AND report_id = $2::uuid"
    before = await _count(owner, events, a.id, rid)
    _, again = await gql(
        app_client, url, ANSWER_DISPATCH, liaison, d=dispatch, s="accepted", n=None
    )
    assert again["data"]["updateDispatchStatus"] == {
        "dispatch": None,
        "errors": [{"code": "INVALID_INPUT", "field": "status"}],
    }, again
    assert await _count(owner, events, a.id, rid) == before
    status = await owner.fetchval("SELECT status FROM dispatches WHERE id = $1::uuid", dispatch)
    assert status == "ACCEPTED"


async def test_late_answers_after_another_agency_resolved_stay_internal(
    app_client, settings, owner, two_tenants
):
    """Two agencies on one report; the first says done (RESOLVED). The second's "done"
    and then its "declined" no longer change what the citizen reads: the report stays
    RESOLVED, and each answer is an internal entry for the staff."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    citizen = await auth_header(settings, Role.CITIZEN, a)
    first_agency, second_agency = (await manual_agencies(app_client, a.slug, admin))[:2]
    rid = (await submit(app_client, a.slug, citizen, title="Pohon tumbang"))["report"]["id"]
    one = await dispatch_to(app_client, a, admin, first_agency, rid)
    two = await dispatch_to(app_client, a, admin, second_agency, rid)
    assert one != two
    first = await liaison_of(app_client, settings, a, admin, first_agency)
    second = await liaison_of(app_client, settings, a, admin, second_agency)
    url = f"/t/{a.slug}/graphql"
    _, done = await gql(
        app_client, url, ANSWER_DISPATCH, first, d=one, s="done", n="Sudah dipotong."
    )
    assert done["data"]["updateDispatchStatus"]["errors"] == [], done
    report = "SELECT status FROM reports WHERE tenant_id = $1 AND id = $2::uuid"
    assert await owner.fetchval(report, a.id, rid) == "RESOLVED"
    public = (
        "SELECT count(*) FROM report_events WHERE tenant_id = $1 AND report_id = $2::uuid"
        " AND public"
    )
    shown = await _count(owner, public, a.id, rid)

    _, late = await gql(app_client, url, ANSWER_DISPATCH, second, d=two, s="in_progress", n=None)
    assert late["data"]["updateDispatchStatus"]["dispatch"]["status"] == "IN_PROGRESS", late
    _, also = await gql(
        app_client, url, ANSWER_DISPATCH, second, d=two, s="done", n="Kami juga selesai."
    )
    assert also["data"]["updateDispatchStatus"]["dispatch"]["status"] == "RESOLVED", also
    note = await owner.fetchrow(
        "SELECT kind, public FROM report_events WHERE tenant_id = $1 AND report_id = $2::uuid"
        " AND note LIKE '%Kami juga selesai.%'",
        a.id,
        rid,
    )
    assert (note["kind"], note["public"]) == ("NOTE", False)
    assert await owner.fetchval(report, a.id, rid) == "RESOLVED"
    assert await _count(owner, public, a.id, rid) == shown


async def test_a_hand_back_after_the_report_was_resolved_keeps_it_resolved(
    app_client, settings, owner, two_tenants
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    citizen = await auth_header(settings, Role.CITIZEN, a)
    first_agency, second_agency = (await manual_agencies(app_client, a.slug, admin))[:2]
    rid = (await submit(app_client, a.slug, citizen, title="Saluran tersumbat"))["report"]["id"]
    one = await dispatch_to(app_client, a, admin, first_agency, rid)
    two = await dispatch_to(app_client, a, admin, second_agency, rid)
    first = await liaison_of(app_client, settings, a, admin, first_agency)
    second = await liaison_of(app_client, settings, a, admin, second_agency)
    url = f"/t/{a.slug}/graphql"
    _, done = await gql(
        app_client, url, ANSWER_DISPATCH, first, d=one, s="done", n="Sudah dibersihkan."
    )
    assert done["data"]["updateDispatchStatus"]["errors"] == [], done
    _, back = await gql(
        app_client, url, ANSWER_DISPATCH, second, d=two, s="declined", n="Bukan kami."
    )
    assert back["data"]["updateDispatchStatus"]["dispatch"]["status"] == "RETURNED", back
    report = "SELECT status FROM reports WHERE tenant_id = $1 AND id = $2::uuid"
    assert await owner.fetchval(report, a.id, rid) == "RESOLVED"
    entry = await owner.fetchrow(
        "SELECT public, data->>'returned' AS returned FROM report_events WHERE tenant_id = $1"
        " AND report_id = $2::uuid AND kind = 'DISPATCH' AND note LIKE '%Bukan kami.%'",
        a.id,
        rid,
    )
    assert (entry["public"], entry["returned"]) == (False, "true")


async def test_a_signed_callback_that_is_not_a_json_object_is_refused(
    app_client, settings, owner, sink
):
    tenant = await onboard("minimal", modules=["integrations"])
    _admin, rid, agency_id = await dispatched_report(app_client, settings, tenant, url=sink.url)
    url = CALLBACK_URL.format(slug=tenant.slug, agency=agency_id)
    receipts = "SELECT count(*) FROM callback_receipts WHERE tenant_id = $1"
    report = "SELECT status, updated_at FROM reports WHERE id = $1::uuid"
    before = await owner.fetchrow(report, rid)
    for body, why in ((b"{not json", "not JSON"), (b'["accepted"]', "JSON object")):
        got = await app_client.post(url, content=body, headers={"x-jogo-signature": sign(body)})
        assert got.status_code == 400, got.text
        assert why in got.text, got.text
    assert await owner.fetchval(receipts, tenant.id) == 0
    assert await owner.fetchrow(report, rid) == before
    # The channel works: the same agency's well-formed answer is applied and received.
    dispatch_id = await owner.fetchval("SELECT id FROM dispatches WHERE report_id = $1::uuid", rid)
    body = f'{{"dispatch_id": "{dispatch_id}", "status": "accepted"}}'.encode()
    got = await app_client.post(url, content=body, headers={"x-jogo-signature": sign(body)})
    assert got.json() == {"status": "applied"}
    assert await owner.fetchval(receipts, tenant.id) == 1


CREATE = """mutation($input: CreateAgencyInput!) { createAgency(input: $input) {
  agency { id } errors { code field } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateAgencyInput!) { updateAgency(agencyId: $id,
  input: $input) { agency { name serviceCodes contacts { name phone } } errors { code field } } }"""


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"serviceCodes": {"not a code!": "X1"}}, "serviceCodes"),
        ({"serviceCodes": {"FLOOD": "   "}}, "serviceCodes"),
        ({"serviceCodes": {"FLOOD": "x" * 65}}, "serviceCodes"),
        ({"capacityUrl": "https://rs.example.id/beds", "capacityFormat": "json"}, "capacityUrl"),
        (
            {"kind": "hospital", "capacityUrl": "ftp://rs.example.id", "capacityFormat": "json"},
            "capacityUrl",
        ),
        (
            {"kind": "hospital", "capacityUrl": "https://rs.example.id", "capacityFormat": "xml"},
            "capacityFormat",
        ),
    ],
)
async def test_create_agency_refuses_bad_codes_and_capacity(
    app_client, settings, owner, two_tenants, data, field
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    rows = "SELECT count(*) FROM agencies WHERE tenant_id = $1"
    before = await _count(owner, rows, a.id)
    base = {"code": "RSUD-CAP", "name": "RSUD Kota", "kind": "dinas"}
    _, body = await gql(app_client, f"/t/{a.slug}/graphql", CREATE, admin, input=base | data)
    assert body["data"]["createAgency"] == {
        "agency": None,
        "errors": [{"code": "INVALID_INPUT", "field": field}],
    }, body
    assert await _count(owner, rows, a.id) == before
    # The channel works: the same agency without the bad member is created.
    good = base | {"serviceCodes": {"FLOOD": "X1"}}
    _, body = await gql(app_client, f"/t/{a.slug}/graphql", CREATE, admin, input=good)
    assert body["data"]["createAgency"]["errors"] == [], body
    assert await _count(owner, rows, a.id) == before + 1


async def test_update_agency_sets_and_refuses_each_member(app_client, settings, owner, two_tenants):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    url = f"/t/{a.slug}/graphql"
    [agency, *_] = await manual_agencies(app_client, a.slug, admin)
    before = await owner.fetchrow("SELECT * FROM agencies WHERE id = $1::uuid", agency)
    for data, field in (
        ({"serviceCodes": ["FLOOD", "X1"]}, "serviceCodes"),
        ({"name": None}, "name"),
        ({"kind": None}, "kind"),
        ({"connector": None}, "connector"),
        ({"timeoutSeconds": None}, "timeoutSeconds"),
    ):
        _, body = await gql(app_client, url, UPDATE, admin, id=agency, input=data)
        assert body["data"]["updateAgency"] == {
            "agency": None,
            "errors": [{"code": "INVALID_INPUT", "field": field}],
        }, body
    assert await owner.fetchrow("SELECT * FROM agencies WHERE id = $1::uuid", agency) == before
    changes = {
        "contacts": [{"name": "Bu Sari", "phone": "0341 123456"}],
        "serviceCodes": {"FLOOD": "B-01"},
    }
    _, body = await gql(app_client, url, UPDATE, admin, id=agency, input=changes)
    got = body["data"]["updateAgency"]
    assert got["errors"] == [], body
    assert got["agency"]["serviceCodes"] == {"FLOOD": "B-01"}
    assert [c["name"] for c in got["agency"]["contacts"]] == ["Bu Sari"]
    _, body = await gql(app_client, url, UPDATE, admin, id=agency, input={"serviceCodes": None})
    assert body["data"]["updateAgency"]["agency"]["serviceCodes"] == {}, body
