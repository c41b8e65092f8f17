"""Sharing (issue 6): moderation, automatic holds, photos, turning a post into a report,
two tenants, typed errors, and the module switch."""

from __future__ import annotations

import io
import uuid

import pytest
from helpers import (
    CONVERT_POST,
    POST_FIELDS,
    REJECT_POST,
    SHARE_POST,
    auth_header,
    bearer_for,
    call,
    gql,
    make_user,
    onboard,
    png_bytes,
    share,
    upload_post,
)
from PIL import Image

from jogo.platform.auth.roles import Role
from jogo.tenants.sharing.screening import hold_reasons

APPROVE = f"""mutation($id: ID!, $ack: Boolean!) {{ approvePost(id: $id, acknowledgeHold: $ack) {{
  post {{ {POST_FIELDS} }} errors {{ code field message }} }} }}"""
FEED = f"query {{ sharedPosts(first: 10) {{ edges {{ cursor node {{ {POST_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
ONE = f"query($id: ID!) {{ sharedPost(id: $id) {{ {POST_FIELDS} }} }}"
MINE = f"query {{ myPosts {{ {POST_FIELDS} }} }}"
QUEUE = f"query {{ moderationQueue {{ {POST_FIELDS} }} }}"
TUGU = {"latitude": -7.9770, "longitude": 112.6340}


def feed_ids(feed) -> list[str]:
    return [e["node"]["id"] for e in feed["edges"]]


@pytest.fixture
async def people(settings, two_tenants):
    tenant = two_tenants.a
    return (
        await auth_header(settings, Role.CITIZEN, tenant),
        await auth_header(settings, Role.CITIZEN, tenant),
        await auth_header(settings, Role.OPERATOR, tenant),
    )


async def test_a_post_is_public_only_while_approved(app_client, two_tenants, people):
    tenant = two_tenants.a
    author, other, moderator = people
    shared = await share(app_client, tenant, author, **TUGU)
    assert shared["errors"] == []
    post = shared["post"]
    assert post["status"] == "PENDING" and post["statusLabel"] == "Menunggu moderasi"
    assert feed_ids(await call(app_client, tenant, FEED)) == []
    assert await call(app_client, tenant, ONE, other, id=post["id"]) is None
    assert await call(app_client, tenant, ONE, None, id=post["id"]) is None
    mine = await call(app_client, tenant, MINE, author)
    assert [(p["id"], p["mine"]) for p in mine] == [(post["id"], True)]
    assert [p["id"] for p in await call(app_client, tenant, QUEUE, moderator)] == [post["id"]]

    approved = await call(app_client, tenant, APPROVE, moderator, id=post["id"], ack=False)
    assert approved["errors"] == [] and approved["post"]["status"] == "APPROVED"
    public = await call(app_client, tenant, FEED)
    assert feed_ids(public) == [post["id"]]
    node = public["edges"][0]["node"]
    assert node["mine"] is False and node["holdReasons"] == [] and node["rejectionReason"] is None
    assert await call(app_client, tenant, QUEUE, moderator) == []
    again = await call(app_client, tenant, APPROVE, moderator, id=post["id"], ack=False)
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]

    down = await call(
        app_client, tenant, REJECT_POST, moderator, id=post["id"], r="Informasi keliru"
    )
    assert down["post"]["status"] == "REJECTED"
    assert feed_ids(await call(app_client, tenant, FEED)) == []
    assert await call(app_client, tenant, ONE, other, id=post["id"]) is None
    (seen,) = await call(app_client, tenant, MINE, author)
    assert seen["status"] == "REJECTED" and seen["rejectionReason"] == "Informasi keliru"


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("Jalan Ijen macet parah, hati-hati", []),
        ("Kejadian 27-11-2026 pukul 14.30 di Jalan Ijen", []),
        ("Kumpulan 2026-11-27 14.30 warga di alun-alun", []),
        ("Info lengkap di https://contoh.example/berita", ["LINK"]),
        ("Lihat bit.ly/abc123 untuk videonya", ["LINK"]),
        ("cek www.beritahoax.com sekarang", ["LINK"]),
        ("Hubungi 0812-3456-7890 untuk info", ["PHONE"]),
        ("WA +62 812 3456 7890 segera", ["PHONE"]),
        ("Telp (0341) 551234", ["PHONE"]),
        ("Transfer ke wa.me/6281234567890", ["LINK", "PHONE"]),
    ],
)
def test_links_and_phone_numbers_are_held(text, reasons):
    assert hold_reasons(text) == reasons


async def test_held_posts_need_an_explicit_acknowledgement(app_client, two_tenants, people):
    tenant = two_tenants.a
    author, _, moderator = people
    held = (await share(app_client, tenant, author, body="Jual murah hubungi 081234567890"))["post"]
    assert held["status"] == "HELD" and held["holdReasons"] == ["PHONE"]
    (queued,) = await call(app_client, tenant, QUEUE, moderator)
    assert queued["holdReasons"] == ["PHONE"]
    plain = await call(app_client, tenant, APPROVE, moderator, id=held["id"], ack=False)
    assert [(e["code"], e["field"]) for e in plain["errors"]] == [
        ("HELD_CONTENT", "acknowledgeHold")
    ]
    assert feed_ids(await call(app_client, tenant, FEED)) == []
    done = await call(app_client, tenant, APPROVE, moderator, id=held["id"], ack=True)
    assert done["post"]["status"] == "APPROVED"


async def test_photo_follows_the_posts_visibility(app_client, two_tenants, people, settings):
    tenant = two_tenants.a
    author, other, moderator = people
    png = png_bytes()
    post = (await upload_post(app_client, tenant, author, png))["post"]
    url = post["photoUrl"]
    assert url == f"/t/{tenant.slug}/shared-posts/{post['id']}/photo"
    assert (await app_client.get(url)).status_code == 404
    assert (await app_client.get(url, headers=other)).status_code == 404
    for who in (author, moderator):
        got = await app_client.get(url, headers=who)
        # The cleaned re-encoding (tests/test_photos.py), the same for everyone.
        assert got.status_code == 200 and Image.open(io.BytesIO(got.content)).size == (1, 1)
        assert got.headers["content-type"] == "image/png"  # by content, not by name
        assert "no-store" in got.headers["cache-control"]
    await call(app_client, tenant, APPROVE, moderator, id=post["id"], ack=False)
    public = await app_client.get(url)
    assert public.status_code == 200 and public.content == got.content
    # Another tenant's path to the same photo is a 404.
    b_url = url.replace(tenant.slug, two_tenants.b.slug)
    assert (await app_client.get(b_url)).status_code == 404
    not_image = await upload_post(app_client, tenant, author, b"%PDF-1.7 not an image")
    assert [(e["code"], e["field"]) for e in not_image["errors"]] == [("INVALID_INPUT", "photo")]


async def test_an_operator_turns_a_post_into_a_report(
    app_client, settings, two_tenants, people, owner
):
    tenant = two_tenants.a
    _, _, moderator = people
    author_id, author_name = await make_user(Role.CITIZEN, tenant)
    author = bearer_for(author_id, author_name, settings)
    post = (await upload_post(app_client, tenant, author, png_bytes()))["post"]
    bare = (await share(app_client, tenant, author, body="Ada keributan di dekat pasar"))["post"]
    reports_before = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1", tenant.id
    )

    where = await call(
        app_client,
        tenant,
        CONVERT_POST,
        moderator,
        id=bare["id"],
        input={"categoryCode": "PUBLIC_ORDER", "title": "Keributan di pasar"},
    )
    assert [(e["code"], e["field"]) for e in where["errors"]] == [("INVALID_INPUT", "latitude")]
    unknown = await call(
        app_client,
        tenant,
        CONVERT_POST,
        moderator,
        id=post["id"],
        input={"categoryCode": "NO_SUCH", "title": "Banjir di Soekarno Hatta"},
    )
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [
        ("INVALID_INPUT", "categoryCode")
    ]
    assert (
        await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", tenant.id)
        == reports_before
    )
    assert (
        await owner.fetchval("SELECT report_id FROM shared_posts WHERE id = $1::uuid", post["id"])
        is None
    )

    made = await call(
        app_client,
        tenant,
        CONVERT_POST,
        moderator,
        id=post["id"],
        input={"categoryCode": "FLOOD", "title": "Banjir di Soekarno Hatta"},
    )
    assert made["errors"] == [], made
    report = made["report"]
    assert report["status"] == "SUBMITTED" and report["latitude"] == TUGU["latitude"]
    assert [a["contentType"] for a in report["attachments"]] == ["image/png"]
    row = await owner.fetchrow(
        "SELECT r.reporter_user_id, p.report_id FROM reports r JOIN shared_posts p"
        " ON p.report_id = r.id WHERE p.id = $1::uuid",
        post["id"],
    )
    assert row["reporter_user_id"] == author_id and str(row["report_id"]) == report["id"]
    # The author follows it like any report of theirs.
    _, mine = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        "query { reports(first: 5) { edges { node { id } } } }",
        author,
    )
    assert [e["node"]["id"] for e in mine["data"]["reports"]["edges"]] == [report["id"]]
    again = await call(
        app_client,
        tenant,
        CONVERT_POST,
        moderator,
        id=post["id"],
        input={"categoryCode": "FLOOD", "title": "Banjir di Soekarno Hatta"},
    )
    assert again["errors"][0]["code"] == "CONFLICT"
    by_citizen = await call(
        app_client,
        tenant,
        CONVERT_POST,
        author,
        id=bare["id"],
        input={"categoryCode": "FLOOD", "title": "Banjir di Soekarno Hatta", **TUGU},
    )
    assert by_citizen["errors"][0]["code"] == "FORBIDDEN"


async def test_two_tenants_never_see_each_others_posts(app_client, settings, two_tenants, people):
    a, b = two_tenants.a, two_tenants.b
    author, _, mod_a = people
    mod_b = await auth_header(settings, Role.OPERATOR, b)
    post = (await share(app_client, a, author, **TUGU))["post"]
    await call(app_client, a, APPROVE, mod_a, id=post["id"], ack=False)
    assert feed_ids(await call(app_client, b, FEED)) == []
    assert await call(app_client, b, ONE, mod_b, id=post["id"]) is None
    assert await call(app_client, b, QUEUE, mod_b) == []
    theirs = await call(app_client, b, REJECT_POST, mod_b, id=post["id"], r="bukan wilayah kami")
    unknown = await call(app_client, b, REJECT_POST, mod_b, id=str(uuid.uuid4()), r="tidak ada")
    assert theirs["errors"] == unknown["errors"] and theirs["errors"][0]["code"] == "NOT_FOUND"
    convert = await call(
        app_client,
        b,
        CONVERT_POST,
        mod_b,
        id=post["id"],
        input={"categoryCode": "FLOOD", "title": "Bukan milik kami"},
    )
    assert convert["errors"][0]["code"] == "NOT_FOUND"
    assert feed_ids(await call(app_client, a, FEED)) == [post["id"]]  # untouched


async def test_bad_input_on_every_sharing_mutation(
    app_client, settings, two_tenants, people, owner
):
    tenant = two_tenants.a
    author, _, moderator = people
    before = await owner.fetchval(
        "SELECT count(*) FROM shared_posts WHERE tenant_id = $1", tenant.id
    )
    anonymous = await share(app_client, tenant, None)
    assert anonymous["errors"][0]["code"] == "UNAUTHENTICATED"  # sign in to share
    short = await share(app_client, tenant, author, body="ok")
    assert [(e["code"], e["field"]) for e in short["errors"]] == [("INVALID_INPUT", "body")]
    half = await share(app_client, tenant, author, latitude=-7.9)
    assert [(e["code"], e["field"]) for e in half["errors"]] == [("INVALID_INPUT", "latitude")]
    abroad = await share(app_client, tenant, author, latitude=35.0, longitude=139.0)
    assert [(e["code"], e["field"]) for e in abroad["errors"]] == [("INVALID_INPUT", "latitude")]
    as_json = await share(app_client, tenant, author, photo="aGVsbG8=")
    assert [(e["code"], e["field"]) for e in as_json["errors"]] == [("INVALID_INPUT", "photo")]
    assert (
        await owner.fetchval("SELECT count(*) FROM shared_posts WHERE tenant_id = $1", tenant.id)
        == before
    )
    post = (await share(app_client, tenant, author))["post"]
    by_citizen = await call(app_client, tenant, APPROVE, author, id=post["id"], ack=False)
    assert by_citizen["errors"][0]["code"] == "FORBIDDEN"
    bad_id = await call(app_client, tenant, APPROVE, moderator, id="nope", ack=False)
    assert bad_id["errors"][0]["code"] == "NOT_FOUND"
    no_reason = await call(app_client, tenant, REJECT_POST, moderator, id=post["id"], r=" ")
    assert [(e["code"], e["field"]) for e in no_reason["errors"]] == [("INVALID_INPUT", "reason")]
    _, denied = await gql(app_client, f"/t/{tenant.slug}/graphql", QUEUE, author)
    assert denied["data"] == {"moderationQueue": None}
    codes = [
        (await share(app_client, tenant, author, body=f"Laporan situasi nomor {i}"))["errors"]
        for i in range(10)
    ]
    assert [c[0]["code"] for c in codes if c] == ["RATE_LIMITED"]  # 10 an hour, 1 shared before


async def test_module_off_removes_the_sharing_types(app_client, settings):
    tenant = await onboard(modules=["bulletins"])
    names = {
        t["name"]
        for t in (await call(app_client, tenant, "{ __schema { types { name } } }"))["types"]
    }
    assert "Bulletin" in names
    assert not {"SharedPost", "SharePostInput", "SharedPostConnection"} & names
    mutations = await call(app_client, tenant, '{ __type(name: "Mutation") { fields { name } } }')
    assert not {"sharePost", "approvePost", "convertPostToReport"} & {
        f["name"] for f in mutations["fields"]
    }
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    status, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", SHARE_POST, citizen, input={"body": "halo semua"}
    )
    assert status == 200 and "errors" in body  # the field does not exist here
