"""Issue 15, item 6: what report mutations refuse, with nothing written."""

from __future__ import annotations

from helpers import NOTE, STATUS, auth_header, gql, submit

from jogo.platform.auth.roles import Role

EVENTS = "SELECT count(*) FROM report_events WHERE tenant_id = $1 AND report_id = $2::uuid"


async def test_a_note_over_5000_characters_is_refused(app_client, settings, owner, two_tenants):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    citizen = await auth_header(settings, Role.CITIZEN, a)
    rid = (await submit(app_client, a.slug, citizen))["report"]["id"]
    before = await owner.fetchval(EVENTS, a.id, rid)
    url = f"/t/{a.slug}/graphql"
    _, body = await gql(app_client, url, NOTE, operator, id=rid, n="x" * 5001, p=False)
    got = body["data"]["addReportNote"]
    assert [(e["code"], e["field"]) for e in got["errors"]] == [("INVALID_INPUT", "note")], body
    assert await owner.fetchval(EVENTS, a.id, rid) == before
    # 5000 is the limit itself (the documented NOTE_MAX): written.
    _, body = await gql(app_client, url, NOTE, operator, id=rid, n="x" * 5000, p=False)
    assert body["data"]["addReportNote"]["errors"] == [], body
    assert await owner.fetchval(EVENTS, a.id, rid) == before + 1


async def test_an_officer_cannot_move_a_report_of_their_own_that_is_not_assigned(
    app_client, settings, owner, two_tenants
):
    """An officer sees a report they sent themselves, but moves only what is assigned to
    them: NOT_FOUND, and the report is unchanged."""
    a = two_tenants.a
    officer = await auth_header(settings, Role.OFFICER, a)
    sent = await submit(app_client, a.slug, officer)
    assert sent["errors"] == [], sent
    rid = sent["report"]["id"]
    _, seen = await gql(
        app_client,
        f"/t/{a.slug}/graphql",
        "query($id: ID!) { report(id: $id) { id } }",
        officer,
        id=rid,
    )
    assert seen["data"]["report"] == {"id": rid}, seen  # visible to them: the setup holds
    before = await owner.fetchval(EVENTS, a.id, rid)
    _, body = await gql(
        app_client, f"/t/{a.slug}/graphql", STATUS, officer, id=rid, s="IN_PROGRESS", n=None
    )
    got = body["data"]["updateReportStatus"]
    assert [(e["code"], e["field"]) for e in got["errors"]] == [("NOT_FOUND", "reportId")], body
    status = await owner.fetchval(
        "SELECT status FROM reports WHERE tenant_id = $1 AND id = $2::uuid", a.id, rid
    )
    assert status == "SUBMITTED"
    assert await owner.fetchval(EVENTS, a.id, rid) == before
