"""Creates are idempotent under a client key (issue 12 part 9, DESIGN "Creates are
idempotent under a client key, because mobile networks retry").

``submitReport`` once stored a report but answered ``Unexpected error.``, so the client
retried and made a duplicate. A client that sends one ``clientKey`` with every try of one
submission gets the first try's object back (same ticket, same PIN), and nothing is
written again: no second row, no second outbox message, no second rate-limit hit. The
same key with other input is IDEMPOTENCY_CONFLICT; a key is 16-100 characters of
[A-Za-z0-9_-].
"""

from __future__ import annotations

import asyncio
import io
import json
import struct
import uuid
import zlib

from helpers import SUBMIT, auth_header, gql, report_input

from jogo.platform.auth.roles import Role

TRACK = "query($t: String!, $p: String!) { trackReport(ticket: $t, pin: $p) { ticket status } }"
SOS = """mutation($lat: Float!, $lon: Float!, $n: String, $k: String) {
  raiseSos(latitude: $lat, longitude: $lon, note: $n, clientKey: $k) {
    report { id ticket } errors { code field message } } }"""
SHARE = """mutation($input: SharePostInput!) { sharePost(input: $input) {
  post { id body } errors { code field message } } }"""
NOTE = """mutation($id: ID!, $n: String!, $p: Boolean!, $k: String) {
  addReportNote(reportId: $id, note: $n, public: $p, clientKey: $k) {
    report { id } errors { code field message } } }"""
TUGU = (-7.9770, 112.6340)
# Anonymous reports per client address and command (README, issue 12 part 6).
ANONYMOUS_LIMIT = 10
SOS_LIMIT = 3  # raiseSos: at most 3 in 10 minutes (README)


def new_key() -> str:
    return str(uuid.uuid4())  # what the app makes once per submission


async def send(client, slug, headers=None, key=None, **overrides) -> dict:
    status, body = await gql(
        client,
        f"/t/{slug}/graphql",
        SUBMIT,
        headers,
        input=report_input(clientKey=key, **overrides),
    )
    assert status == 200 and "errors" not in body, body
    return body["data"]["submitReport"]


async def count_reports(owner, tenant, ticket=None) -> int:
    if ticket is None:
        return await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", tenant.id)
    return await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1 AND ticket = $2", tenant.id, ticket
    )


async def outbox_messages(owner, tenant, report_id: str) -> int:
    """The rollup messages a report's submission wrote (one per submitted report)."""
    return await owner.fetchval(
        "SELECT count(*) FROM outbox WHERE tenant = $1 AND actor = 'rollup_report'"
        " AND payload->>'report_id' = $2",
        tenant.id,
        report_id,
    )


def errors_of(payload: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_an_anonymous_retry_answers_with_the_same_ticket_and_pin(
    app_client, two_tenants, owner
):
    tenant = two_tenants.a
    key = new_key()
    first = await send(app_client, tenant.slug, key=key, anonymous=True)
    assert first["errors"] == [] and first["pin"] and len(first["pin"]) == 8
    ticket = first["report"]["ticket"]
    # The answer was lost: the phone sends the same submission again, more often than
    # the anonymous limit allows. Every retry is the first report, and none counts.
    for _ in range(ANONYMOUS_LIMIT + 2):
        again = await send(app_client, tenant.slug, key=key, anonymous=True)
        assert again["errors"] == []
        assert again["report"]["id"] == first["report"]["id"]
        assert again["report"]["ticket"] == ticket and again["pin"] == first["pin"]
    assert await count_reports(owner, tenant) == 1
    assert await outbox_messages(owner, tenant, first["report"]["id"]) == 1
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", TRACK, t=ticket, p=first["pin"])
    assert body["data"]["trackReport"] == {"ticket": ticket, "status": "SUBMITTED"}
    stored = await owner.fetchrow(
        "SELECT pin_hash FROM reports WHERE tenant_id = $1 AND ticket = $2", tenant.id, ticket
    )
    assert stored["pin_hash"].startswith("$argon2") and first["pin"] not in stored["pin_hash"]
    # The retries used none of the limit: nine more reports pass, the tenth is refused.
    answers = [
        await send(app_client, tenant.slug, anonymous=True, title=f"Pohon tumbang nomor {i}")
        for i in range(ANONYMOUS_LIMIT)
    ]
    assert [errors_of(a) for a in answers] == [[]] * (ANONYMOUS_LIMIT - 1) + [
        [("RATE_LIMITED", None)]
    ]


async def test_without_a_key_a_retry_is_a_new_report_with_its_own_pin(
    app_client, two_tenants, owner
):
    tenant = two_tenants.a
    first = await send(app_client, tenant.slug, anonymous=True)
    second = await send(app_client, tenant.slug, anonymous=True)
    assert first["report"]["ticket"] != second["report"]["ticket"]
    assert await count_reports(owner, tenant) == 2


async def test_ten_parallel_signed_in_duplicates_make_one_report(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    key = new_key()
    answers = await asyncio.gather(
        *(send(app_client, tenant.slug, citizen, key=key, urgent=True) for _ in range(10))
    )
    assert all(a["errors"] == [] for a in answers), answers
    assert len({a["report"]["ticket"] for a in answers}) == 1
    assert len({a["report"]["id"] for a in answers}) == 1
    assert all(a["pin"] is None for a in answers)
    assert await count_reports(owner, tenant) == 1
    assert await outbox_messages(owner, tenant, answers[0]["report"]["id"]) == 1
    events = await owner.fetchval(
        "SELECT count(*) FROM report_events WHERE tenant_id = $1 AND kind = 'SUBMITTED'",
        tenant.id,
    )
    assert events == 1
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE tenant_id = $1", tenant.id
        )
        == 1
    )


async def test_ten_parallel_anonymous_duplicates_make_one_report_and_one_hit(
    app_client, two_tenants, owner
):
    tenant = two_tenants.a
    key = new_key()
    answers = await asyncio.gather(
        *(send(app_client, tenant.slug, key=key, anonymous=True) for _ in range(10))
    )
    assert all(a["errors"] == [] for a in answers), answers
    assert len({a["report"]["ticket"] for a in answers}) == 1
    assert len({a["pin"] for a in answers}) == 1
    ticket, pin = answers[0]["report"]["ticket"], answers[0]["pin"]
    assert await count_reports(owner, tenant) == 1
    assert await outbox_messages(owner, tenant, answers[0]["report"]["id"]) == 1
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", TRACK, t=ticket, p=pin)
    assert body["data"]["trackReport"]["ticket"] == ticket
    # Ten parallel tries of one report counted once against the limit.
    more = [
        await send(app_client, tenant.slug, anonymous=True, title=f"Pohon tumbang nomor {i}")
        for i in range(ANONYMOUS_LIMIT)
    ]
    assert [errors_of(a) for a in more][-2:] == [[], [("RATE_LIMITED", None)]]


async def test_the_same_key_with_other_input_is_a_conflict(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    key = new_key()
    first = await send(app_client, tenant.slug, citizen, key=key)
    for change in (
        {"title": "Pohon tumbang di Jalan Semeru"},
        {"latitude": -7.95},
        {"anonymous": True},
        {"urgent": True},
    ):
        other = await send(app_client, tenant.slug, citizen, key=key, **change)
        assert errors_of(other) == [("IDEMPOTENCY_CONFLICT", "clientKey")], change
        assert other["report"] is None and other["pin"] is None
    # Spelling that the submission ignores (spaces) is the same input.
    spaced = await send(
        app_client, tenant.slug, citizen, key=key, title="  Pohon tumbang   di Jalan Ijen "
    )
    assert spaced["errors"] == [] and spaced["report"]["id"] == first["report"]["id"]
    # Keys are per user: another citizen's same key makes that citizen's own report.
    neighbour = await auth_header(settings, Role.CITIZEN, tenant)
    theirs = await send(app_client, tenant.slug, neighbour, key=key)
    assert theirs["errors"] == [] and theirs["report"]["id"] != first["report"]["id"]
    assert await count_reports(owner, tenant) == 2


async def test_a_malformed_key_is_invalid_input(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    for bad in (
        "a" * 15,
        "a" * 101,
        "abcdefghijklmnop!",
        "abcdefgh ijklmnop",
        "ключключключключ",
        "",
    ):
        answer = await send(app_client, tenant.slug, citizen, key=bad)
        assert errors_of(answer) == [("INVALID_INPUT", "clientKey")], bad
        assert answer["report"] is None
    assert await count_reports(owner, tenant) == 0
    for good in ("a" * 16, "Z9_-" * 25):
        answer = await send(app_client, tenant.slug, citizen, key=good, title=f"Pohon {good[:8]}")
        assert answer["errors"] == [], good
    assert await count_reports(owner, tenant) == 2


async def test_a_key_in_one_command_never_finds_another_commands_report(
    app_client, two_tenants, owner
):
    a, b = two_tenants.a, two_tenants.b
    key = new_key()
    in_a = await send(app_client, a.slug, key=key, anonymous=True)
    in_b = await send(app_client, b.slug, key=key, anonymous=True)
    assert in_a["errors"] == [] and in_b["errors"] == []
    assert in_b["report"]["id"] != in_a["report"]["id"]
    assert in_b["pin"] != in_a["pin"]
    owners = await owner.fetch(
        "SELECT id::text, tenant_id FROM reports WHERE id = ANY($1::uuid[])",
        [in_a["report"]["id"], in_b["report"]["id"]],
    )
    assert {r["id"]: r["tenant_id"] for r in owners} == {
        in_a["report"]["id"]: a.id,
        in_b["report"]["id"]: b.id,
    }
    assert await count_reports(owner, a) == 1 and await count_reports(owner, b) == 1
    # A's ticket and PIN open nothing in B; each command's retry finds its own report.
    _, seen = await gql(
        app_client,
        f"/t/{b.slug}/graphql",
        TRACK,
        t=in_a["report"]["ticket"],
        p=in_a["pin"],
    )
    assert seen["data"]["trackReport"] is None
    assert (await send(app_client, a.slug, key=key, anonymous=True))["report"]["id"] == in_a[
        "report"
    ]["id"]
    assert (await send(app_client, b.slug, key=key, anonymous=True))["report"]["id"] == in_b[
        "report"
    ]["id"]


def png(red: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes([0, red, 0, 0])))
        + chunk(b"IEND", b"")
    )


async def upload(client, slug, headers, key: str, photo: bytes) -> dict:
    operations = {
        "query": SUBMIT,
        "variables": {"input": report_input(photos=[None], clientKey=key)},
    }
    response = await client.post(
        f"/t/{slug}/graphql",
        headers=headers,
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.photos.0"]}),
        },
        files={"0": ("foto.png", io.BytesIO(photo), "image/png")},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["submitReport"]


async def test_a_retry_with_photos_stores_them_once(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    key = new_key()
    first = await upload(app_client, tenant.slug, citizen, key, png(255))
    again = await upload(app_client, tenant.slug, citizen, key, png(255))
    assert first["errors"] == [] and again["report"]["id"] == first["report"]["id"]
    other = await upload(app_client, tenant.slug, citizen, key, png(7))
    assert errors_of(other) == [("IDEMPOTENCY_CONFLICT", "clientKey")]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM report_attachments WHERE tenant_id = $1", tenant.id
        )
        == 1
    )
    files = list((settings.data_dir / "attachments" / str(tenant.id)).rglob("*.png"))
    assert len(files) == 1


async def test_a_retried_sos_is_one_press(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    path = f"/t/{tenant.slug}/graphql"
    key = new_key()

    async def press(k, note="Tolong, ada perampokan"):
        _, body = await gql(app_client, path, SOS, citizen, lat=TUGU[0], lon=TUGU[1], n=note, k=k)
        return body["data"]["raiseSos"]

    answers = await asyncio.gather(*(press(key) for _ in range(SOS_LIMIT + 3)))
    assert all(a["errors"] == [] for a in answers), answers
    assert len({a["report"]["id"] for a in answers}) == 1
    conflict = await press(key, note="Tolong, ada kebakaran")
    assert errors_of(conflict) == [("IDEMPOTENCY_CONFLICT", "clientKey")]
    assert (await press("short"))["errors"][0]["field"] == "clientKey"
    sos = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1 AND sos", tenant.id
    )
    assert sos == 1
    # The retries counted once: two more presses pass, the next is refused.
    more = [await press(new_key(), note=f"Darurat nomor {i}") for i in range(SOS_LIMIT)]
    assert [errors_of(m)[:1] for m in more][:2] == [[], []]
    assert more[2]["errors"][0]["code"] == "RATE_LIMITED"
    # An SOS key and a report key live apart: the same key makes a report too.
    report = await send(app_client, tenant.slug, citizen, key=key)
    assert report["errors"] == [] and report["report"]["id"] != answers[0]["report"]["id"]


async def test_a_retried_post_is_one_post(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    author = await auth_header(settings, Role.CITIZEN, a)
    key = new_key()
    body = "Lampu lalu lintas di Tugu mati sejak pagi"

    async def share(tenant, headers, text=body):
        _, answer = await gql(
            app_client,
            f"/t/{tenant.slug}/graphql",
            SHARE,
            headers,
            input={"body": text, "clientKey": key},
        )
        return answer["data"]["sharePost"]

    answers = await asyncio.gather(*(share(a, author) for _ in range(10)))
    assert all(x["errors"] == [] for x in answers), answers
    assert len({x["post"]["id"] for x in answers}) == 1
    assert (await share(a, author))["post"]["id"] == answers[0]["post"]["id"]
    conflict = await share(a, author, "Lampu lalu lintas di Tugu sudah menyala")
    assert errors_of(conflict) == [("IDEMPOTENCY_CONFLICT", "clientKey")]
    assert await owner.fetchval("SELECT count(*) FROM shared_posts WHERE tenant_id = $1", a.id) == 1
    # B's member with the same key makes B's own post.
    in_b = await share(b, await auth_header(settings, Role.CITIZEN, b))
    assert in_b["errors"] == [] and in_b["post"]["id"] != answers[0]["post"]["id"]
    assert await owner.fetchval("SELECT count(*) FROM shared_posts WHERE tenant_id = $1", b.id) == 1


async def test_a_retried_note_is_one_note(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    report = await send(app_client, tenant.slug, await auth_header(settings, Role.CITIZEN, tenant))
    rid = report["report"]["id"]
    key = new_key()
    path = f"/t/{tenant.slug}/graphql"

    async def note(text="Petugas menuju lokasi", public=True):
        _, body = await gql(app_client, path, NOTE, operator, id=rid, n=text, p=public, k=key)
        return body["data"]["addReportNote"]

    answers = await asyncio.gather(*(note() for _ in range(5)))
    assert all(x["errors"] == [] and x["report"]["id"] == rid for x in answers), answers
    assert errors_of(await note(public=False)) == [("IDEMPOTENCY_CONFLICT", "clientKey")]
    notes = await owner.fetchval(
        "SELECT count(*) FROM report_events WHERE tenant_id = $1 AND report_id = $2::uuid"
        " AND kind = 'NOTE'",
        tenant.id,
        rid,
    )
    assert notes == 1
