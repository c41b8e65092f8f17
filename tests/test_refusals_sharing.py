"""Issue 15, item 6: what post moderation refuses, with nothing written."""

from __future__ import annotations

from helpers import (
    CONVERT_POST,
    REJECT_POST,
    auth_header,
    bearer_for,
    call,
    gql,
    make_user,
    png_bytes,
    share,
    upload_post,
)

from jogo.platform.auth.roles import Role

DEACTIVATE = """mutation($u: ID!) { deactivateMember(userId: $u) { errors { code field } } }"""


async def test_rejecting_a_rejected_post_again_is_a_conflict(
    app_client, settings, owner, two_tenants
):
    a = two_tenants.a
    author = await auth_header(settings, Role.CITIZEN, a)
    moderator = await auth_header(settings, Role.OPERATOR, a)
    post = (await share(app_client, a, author))["post"]
    first = await call(app_client, a, REJECT_POST, moderator, id=post["id"], r="Bukan laporan.")
    assert first["errors"] == [] and first["post"]["status"] == "REJECTED", first
    audits = "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'post.reject'"
    before = await owner.fetchval(audits, a.id)
    assert before == 1  # the first rejection is on record
    again = await call(
        app_client, a, REJECT_POST, moderator, id=post["id"], r="Alasan lain sekali."
    )
    assert again["errors"] == [
        {"code": "CONFLICT", "field": "id", "message": again["errors"][0]["message"]}
    ]
    row = await owner.fetchrow(
        "SELECT status, rejection_reason FROM shared_posts WHERE tenant_id = $1 AND id = $2::uuid",
        a.id,
        post["id"],
    )
    assert tuple(row) == ("REJECTED", "Bukan laporan.")
    assert await owner.fetchval(audits, a.id) == before


async def test_a_post_of_a_former_member_does_not_become_a_report(
    app_client, settings, owner, two_tenants
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    moderator = await auth_header(settings, Role.OPERATOR, a)
    author_id, author_name = await make_user(Role.CITIZEN, a)
    author = bearer_for(author_id, author_name, settings)
    stays_id, stays_name = await make_user(Role.CITIZEN, a)
    stays = bearer_for(stays_id, stays_name, settings)
    post = (await upload_post(app_client, a, author, png_bytes()))["post"]
    kept = (await upload_post(app_client, a, stays, png_bytes()))["post"]
    _, gone = await gql(app_client, f"/t/{a.slug}/graphql", DEACTIVATE, admin, u=str(author_id))
    assert gone["data"]["deactivateMember"]["errors"] == [], gone
    reports = "SELECT count(*) FROM reports WHERE tenant_id = $1"
    before = await owner.fetchval(reports, a.id)
    data = {"categoryCode": "FLOOD", "title": "Banjir di Soekarno Hatta"}
    refused = await call(app_client, a, CONVERT_POST, moderator, id=post["id"], input=data)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("CONFLICT", "postId")]
    assert await owner.fetchval(reports, a.id) == before
    linked = "SELECT report_id FROM shared_posts WHERE tenant_id = $1 AND id = $2::uuid"
    assert await owner.fetchval(linked, a.id, post["id"]) is None
    # The channel works: a current member's post becomes one report.
    made = await call(app_client, a, CONVERT_POST, moderator, id=kept["id"], input=data)
    assert made["errors"] == [], made
    assert await owner.fetchval(reports, a.id) == before + 1
    assert await owner.fetchval(linked, a.id, kept["id"]) is not None
