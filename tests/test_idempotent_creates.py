"""Creates are idempotent under a client key (issue 12 part 9, DESIGN "Creates are
idempotent under a client key, because mobile networks retry"; issue 13 part 4: the
``Idempotency-Key`` header, keys that live 24 hours, ``CONFLICT``, every create).

``submitReport`` once stored a report but answered ``Unexpected error.``, so the client
retried and made a duplicate. A client that sends one ``clientKey`` with every try of one
submission gets the first try's object back (same ticket, same PIN), and nothing is
written again: no second row, no second outbox message, no second rate-limit hit. The
same key with other input is CONFLICT; a key is 16-100 characters of
[A-Za-z0-9_-].
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta

from helpers import SHARE, SOS, SUBMIT, auth_header, gql, onboard, report_input

from jogo.graphql.idempotency import sealed
from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.auth.roles import Role

TRACK = "query($t: String!, $p: String!) { trackReport(ticket: $t, pin: $p) { ticket status } }"
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
    assert (
        stored["pin_hash"].startswith("hmac-sha256$v1$") and first["pin"] not in stored["pin_hash"]
    )
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
        assert errors_of(other) == [("CONFLICT", "clientKey")], change
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
    assert errors_of(other) == [("CONFLICT", "clientKey")]
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
    assert errors_of(conflict) == [("CONFLICT", "clientKey")]
    assert errors_of(await press("short")) == [("INVALID_INPUT", "clientKey")]
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
            input={"noticeVersion": NOTICE_VERSION, "body": text, "clientKey": key},
        )
        return answer["data"]["sharePost"]

    answers = await asyncio.gather(*(share(a, author) for _ in range(10)))
    assert all(x["errors"] == [] for x in answers), answers
    assert len({x["post"]["id"] for x in answers}) == 1
    assert (await share(a, author))["post"]["id"] == answers[0]["post"]["id"]
    conflict = await share(a, author, "Lampu lalu lintas di Tugu sudah menyala")
    assert errors_of(conflict) == [("CONFLICT", "clientKey")]
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
    assert errors_of(await note(public=False)) == [("CONFLICT", "clientKey")]
    notes = await owner.fetchval(
        "SELECT count(*) FROM report_events WHERE tenant_id = $1 AND report_id = $2::uuid"
        " AND kind = 'NOTE'",
        tenant.id,
        rid,
    )
    assert notes == 1


# --- Issue 13 part 4: the Idempotency-Key header, 24-hour keys, CONFLICT, every create. ---

HEADER = "Idempotency-Key"
ALL_MODULES = ["bulletins", "election", "facilities", "integrations", "sharing"]


def with_key(headers: dict | None, key: str) -> dict:
    return {**(headers or {}), HEADER: key}


async def test_the_idempotency_key_header_makes_a_retry_the_first_report(
    app_client, two_tenants, owner
):
    tenant = two_tenants.a
    key = new_key()
    first = await send(app_client, tenant.slug, with_key(None, key), anonymous=True)
    assert first["errors"] == [] and len(first["pin"]) == 8
    # The same header again (the answer was lost), and the same key sent as clientKey.
    again = await send(app_client, tenant.slug, with_key(None, key), anonymous=True)
    as_input = await send(app_client, tenant.slug, key=key, anonymous=True)
    both = await send(app_client, tenant.slug, with_key(None, key), key=key, anonymous=True)
    for retry in (again, as_input, both):
        assert retry["errors"] == []
        assert retry["report"]["ticket"] == first["report"]["ticket"]
        assert retry["pin"] == first["pin"]
    assert await count_reports(owner, tenant) == 1
    # The same header with another body is CONFLICT.
    other = await send(
        app_client, tenant.slug, with_key(None, key), anonymous=True, title="Banjir di Sawojajar"
    )
    assert errors_of(other) == [("CONFLICT", "clientKey")] and other["report"] is None
    assert await count_reports(owner, tenant) == 1
    # The PIN is kept only as its keyed HMAC, and the key (from which the PIN is
    # derived) only as its SHA-256: nothing stored gives the PIN back.
    kept = await owner.fetch(
        "SELECT client_key FROM idempotency_keys WHERE tenant_id = $1", tenant.id
    )
    assert [r["client_key"] for r in kept] == [stored(key)]
    pin_hash = await owner.fetchval(
        "SELECT pin_hash FROM reports WHERE id = $1::uuid", first["report"]["id"]
    )
    assert pin_hash.startswith("hmac-sha256$v1$") and first["pin"] not in pin_hash


async def test_a_header_and_a_client_key_that_differ_are_a_conflict(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    answer = await send(app_client, tenant.slug, with_key(citizen, new_key()), key=new_key())
    assert errors_of(answer) == [("CONFLICT", "clientKey")] and answer["report"] is None
    malformed = await send(app_client, tenant.slug, with_key(citizen, "kunci pendek"))
    assert errors_of(malformed) == [("INVALID_INPUT", HEADER)]
    assert await count_reports(owner, tenant) == 0


TWO_SUBMITS = """mutation($a: SubmitReportInput!, $b: SubmitReportInput!) {
  a: submitReport(input: $a) { report { id } errors { code field } }
  b: submitReport(input: $b) { report { id } errors { code field } } }"""


async def test_the_header_on_a_request_of_several_mutations_is_refused(
    app_client, settings, two_tenants, owner
):
    """One header cannot name two objects: each create answers INVALID_INPUT on the
    header; keys per field (clientKey) are the way to send several creates at once."""
    tenant = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    path = f"/t/{tenant.slug}/graphql"
    a, b = report_input(), report_input(title="Lampu jalan mati di Jalan Ijen")
    _, body = await gql(app_client, path, TWO_SUBMITS, with_key(citizen, new_key()), a=a, b=b)
    for alias in ("a", "b"):
        assert body["data"][alias]["errors"] == [{"code": "INVALID_INPUT", "field": HEADER}]
        assert body["data"][alias]["report"] is None
    assert await count_reports(owner, tenant) == 0
    keyed = {"a": {**a, "clientKey": new_key()}, "b": {**b, "clientKey": new_key()}}
    first = (await gql(app_client, path, TWO_SUBMITS, citizen, **keyed))[1]["data"]
    again = (await gql(app_client, path, TWO_SUBMITS, citizen, **keyed))[1]["data"]
    assert first["a"]["report"]["id"] != first["b"]["report"]["id"]
    assert again == first
    assert await count_reports(owner, tenant) == 2


def stored(key: str) -> str:
    """What the table keeps of a key: its SHA-256, never the key (it derives the PIN)."""
    return hashlib.sha256(key.encode()).hexdigest()


async def backdate(owner, tenant, key: str, hours: float, minutes: float = 0) -> None:
    await owner.execute(
        "UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $3, mins => $4)"
        " WHERE tenant_id = $1 AND client_key = $2",
        tenant.id,
        stored(key),
        int(hours),
        float(minutes),
    )


async def test_a_key_lives_24_hours(app_client, two_tenants, owner):
    tenant = two_tenants.a
    key = new_key()
    first = await send(app_client, tenant.slug, key=key, anonymous=True)
    # 23 h 59 min later the retry is still the first report, same ticket and PIN.
    await backdate(owner, tenant, key, 23, 59)
    late = await send(app_client, tenant.slug, key=key, anonymous=True)
    assert late["report"]["ticket"] == first["report"]["ticket"] and late["pin"] == first["pin"]
    assert await count_reports(owner, tenant) == 1
    # After 24 hours the key is free: the same key makes a new report, even with other
    # input (no CONFLICT), and the key now names the new one.
    await backdate(owner, tenant, key, 24, 1)
    fresh = await send(app_client, tenant.slug, key=key, anonymous=True, title="Banjir di Klojen")
    assert fresh["errors"] == []
    assert fresh["report"]["ticket"] != first["report"]["ticket"]
    assert await count_reports(owner, tenant) == 2
    again = await send(app_client, tenant.slug, key=key, anonymous=True, title="Banjir di Klojen")
    assert again["report"]["id"] == fresh["report"]["id"]
    rows = await owner.fetch(
        "SELECT object_id::text FROM idempotency_keys WHERE tenant_id = $1", tenant.id
    )
    assert [r["object_id"] for r in rows] == [fresh["report"]["id"]]
    stored = await owner.fetchval(
        "SELECT pin_hash FROM reports WHERE id = $1::uuid", fresh["report"]["id"]
    )
    assert stored.startswith("hmac-sha256$v1$") and fresh["pin"] not in stored


async def test_expired_keys_are_purged_by_later_creates(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    citizen = await auth_header(settings, Role.CITIZEN, a)
    old = [new_key() for _ in range(3)]
    for i, key in enumerate(old):
        assert (await send(app_client, a.slug, citizen, key=key, title=f"Pohon tumbang {i:02d}"))[
            "errors"
        ] == []
        await backdate(owner, a, key, 25)
    in_b = new_key()
    await send(app_client, b.slug, key=in_b, anonymous=True)
    await backdate(owner, b, in_b, 25)
    recent = new_key()
    await send(app_client, a.slug, citizen, key=recent, title="Pohon tumbang baru")
    keys_a = await owner.fetch("SELECT client_key FROM idempotency_keys WHERE tenant_id = $1", a.id)
    assert [r["client_key"] for r in keys_a] == [stored(recent)]
    # A purge stays in its own tenant: B's expired key waits for B's next create.
    assert (
        await owner.fetchval("SELECT count(*) FROM idempotency_keys WHERE tenant_id = $1", b.id)
        == 1
    )
    assert await count_reports(owner, a) == 4  # purging keys never touches what they made


# One test per kind of create: a retry under the same key answers with the same object
# and makes no second row; the same key with other input is CONFLICT.


async def twice(client, path, query, headers, name, variables, changed, key=None) -> str:
    """Send ``query`` twice with one key (once as clientKey, once as the header), then
    with ``changed`` variables; returns the object's id."""
    key = key or new_key()
    _, first = await gql(client, path, query, headers, **variables, k=key)
    assert "errors" not in first, first
    payload = first["data"][name]
    assert payload["errors"] == [], payload
    _, again = await gql(client, path, query, with_key(headers, key), **variables, k=None)
    assert again["data"][name] == payload
    _, other = await gql(client, path, query, headers, **changed, k=key)
    assert [(e["code"], e["field"]) for e in other["data"][name]["errors"]] == [
        ("CONFLICT", "clientKey")
    ], other
    found = payload.get("id") or next(v["id"] for v in payload.values() if isinstance(v, dict))
    return str(found)


CREATE_AGENCY = """mutation($i: CreateAgencyInput!, $k: String) {
  createAgency(input: $i, clientKey: $k) { agency { id code } errors { code field } } }"""


async def test_a_retried_create_agency_is_one_agency(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency = {"code": "RS-SAIFUL", "name": "RSUD dr. Saiful Anwar", "kind": "hospital"}
    made = await twice(
        app_client,
        f"/t/{tenant.slug}/graphql",
        CREATE_AGENCY,
        admin,
        "createAgency",
        {"i": agency},
        {"i": {**agency, "name": "RSUD Saiful Anwar Malang"}},
    )
    rows = await owner.fetch(
        "SELECT id::text FROM agencies WHERE tenant_id = $1 AND code = 'RS-SAIFUL'", tenant.id
    )
    assert [r["id"] for r in rows] == [made]


def test_an_agency_secret_counts_only_as_an_hmac_under_the_server_key():
    """The digest of a create's input is stored; an agency's connector secret enters it
    only as an HMAC under JOGO_SECRET_KEY, so the stored digest can't test guesses."""
    secret = "rahasia-dinas-lingkungan-1234"
    sealed_value = sealed(secret, "server-key-one")
    assert sealed_value is not None and secret not in sealed_value
    assert sealed_value != hashlib.sha256(secret.encode()).hexdigest()
    assert sealed_value != sealed(secret, "server-key-two")
    assert sealed(None, "server-key-one") is None


CREATE_CAMERA = """mutation($i: CreateCameraInput!, $k: String) {
  createCamera(input: $i, clientKey: $k) { camera { id name } errors { code field } } }"""
CREATE_POST = """mutation($n: String!, $lat: Float!, $lon: Float!, $k: String) {
  createPolicePost(name: $n, kind: "POS_POLISI", latitude: $lat, longitude: $lon,
    clientKey: $k) { id errors { code field } } }"""


async def test_a_retried_create_camera_is_one_camera(app_client, settings, owner):
    tenant = await onboard(modules=ALL_MODULES)
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    camera = {
        "name": "Kamera Simpang Balapan",
        "latitude": -7.9770,
        "longitude": 112.6340,
        "streamUrl": "rtsp://cctv.malangkota.example/balapan",
    }
    made = await twice(
        app_client,
        f"/t/{tenant.slug}/graphql",
        CREATE_CAMERA,
        admin,
        "createCamera",
        {"i": camera},
        {"i": {**camera, "name": "Kamera Simpang Kayutangan"}},
    )
    rows = await owner.fetch("SELECT id::text FROM cameras WHERE tenant_id = $1", tenant.id)
    assert [r["id"] for r in rows] == [made]


async def test_a_retried_create_police_post_is_one_post_in_each_tenant(
    app_client, settings, two_tenants, owner
):
    """Keys are per caller and tenant: B's admin with A's key makes B's own post."""
    ids = {}
    for tenant in (two_tenants.a, two_tenants.b):
        admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
        ids[tenant.id] = await twice(
            app_client,
            f"/t/{tenant.slug}/graphql",
            CREATE_POST,
            admin,
            "createPolicePost",
            {"n": "Pos Polisi Alun-alun", "lat": TUGU[0], "lon": TUGU[1]},
            {"n": "Pos Polisi Stasiun", "lat": TUGU[0], "lon": TUGU[1]},
        )
    for tenant in (two_tenants.a, two_tenants.b):
        rows = await owner.fetch(
            "SELECT id::text FROM police_posts WHERE tenant_id = $1 AND name = $2",
            tenant.id,
            "Pos Polisi Alun-alun",
        )
        assert [r["id"] for r in rows] == [ids[tenant.id]]
    assert ids[two_tenants.a.id] != ids[two_tenants.b.id]
    # The very same key in both tenants, by the header: each its own post.
    key = new_key()
    made = []
    for tenant in (two_tenants.a, two_tenants.b):
        admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
        variables = {"n": "Pos Polisi Terminal", "lat": TUGU[0], "lon": TUGU[1]}
        _, body = await gql(
            app_client, f"/t/{tenant.slug}/graphql", CREATE_POST, with_key(admin, key), **variables
        )
        made.append(body["data"]["createPolicePost"]["id"])
    assert made[0] and made[1] and made[0] != made[1]


STATION = """mutation($i: PollingStationInput!, $k: String) {
  createPollingStation(input: $i, clientKey: $k) { station { id code } errors { code field } } }"""


async def test_a_retried_create_polling_station_is_one_station(app_client, settings, owner):
    tenant = await onboard(modules=ALL_MODULES)
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    station = {
        "code": "3573011001001",
        "villageCode": "35.73.01.1001",
        "address": "Balai RW 01 Balearjosari",
        "voters": 250,
        "vulnerability": "AMAN",
    }
    made = await twice(
        app_client,
        f"/t/{tenant.slug}/graphql",
        STATION,
        operator,
        "createPollingStation",
        {"i": station},
        {"i": {**station, "voters": 251}},
    )
    rows = await owner.fetch(
        "SELECT id::text FROM polling_stations WHERE tenant_id = $1", tenant.id
    )
    assert [r["id"] for r in rows] == [made]


BULLETIN = "bulletin { id messageType status } errors { code field }"
DRAFT = f"""mutation($i: BulletinContentInput!, $k: String) {{
  draftBulletin(input: $i, clientKey: $k) {{ {BULLETIN} }} }}"""
PUBLISH = f"""mutation($i: BulletinContentInput, $d: ID, $k: String) {{
  publishBulletin(input: $i, draftId: $d, clientKey: $k) {{ {BULLETIN} }} }}"""
UPDATE = f"""mutation($id: ID!, $i: BulletinContentInput!, $k: String) {{
  updateBulletin(id: $id, input: $i, clientKey: $k) {{ {BULLETIN} }} }}"""
CANCEL = f"""mutation($id: ID!, $r: String!, $k: String) {{
  cancelBulletin(id: $id, reason: $r, clientKey: $k) {{ {BULLETIN} }} }}"""


def bulletin(headline: str = "Penutupan Jalan Ijen untuk Car Free Day") -> dict:
    now = datetime.now(UTC)
    return {
        "category": "TRAFFIC",
        "severity": "MODERATE",
        "urgency": "EXPECTED",
        "certainty": "LIKELY",
        "headline": headline,
        "description": "Jalan Ijen ditutup untuk kendaraan pukul 06.00-10.00 WIB.",
        "area": {"description": "Kota Malang", "regionCodes": ["35.73"]},
        "validFrom": now.isoformat(),
        "validUntil": (now + timedelta(hours=6)).isoformat(),
    }


async def test_retried_bulletin_creates_make_one_message_each(app_client, settings, owner):
    tenant = await onboard(modules=ALL_MODULES)
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    path = f"/t/{tenant.slug}/graphql"
    content = bulletin()

    async def count(**where) -> int:
        sql = "SELECT count(*) FROM bulletins WHERE tenant_id = $1"
        args = [tenant.id]
        for column, value in where.items():
            args.append(value)
            sql += f" AND {column} = ${len(args)}"
        return await owner.fetchval(sql, *args)

    draft = await twice(
        app_client,
        path,
        DRAFT,
        operator,
        "draftBulletin",
        {"i": content},
        {"i": bulletin("Penutupan Jalan Semeru")},
    )
    assert await count(status="DRAFT") == 1
    published_draft = await twice(
        app_client, path, PUBLISH, operator, "publishBulletin", {"d": draft}, {"i": content}
    )
    assert published_draft == draft and await count(status="PUBLISHED") == 1
    alert = await twice(
        app_client,
        path,
        PUBLISH,
        operator,
        "publishBulletin",
        {"i": bulletin("Banjir di Jalan Soekarno Hatta")},
        {"i": bulletin("Banjir di Jalan Borobudur")},
    )
    assert await count(msg_type="ALERT") == 2
    update = await twice(
        app_client,
        path,
        UPDATE,
        operator,
        "updateBulletin",
        {"id": alert, "i": bulletin("Banjir di Jalan Soekarno Hatta meluas")},
        {"id": alert, "i": bulletin("Banjir di Jalan Soekarno Hatta surut")},
    )
    assert update != alert and await count(msg_type="UPDATE") == 1
    cancel = await twice(
        app_client,
        path,
        CANCEL,
        operator,
        "cancelBulletin",
        {"id": update, "r": "Banjir sudah surut"},
        {"id": update, "r": "Salah kirim"},
    )
    assert cancel != update and await count(msg_type="CANCEL") == 1


DISPATCH_KEYED = """mutation($id: ID!, $a: ID!, $n: String, $k: String) {
  dispatchReport(reportId: $id, agencyId: $a, note: $n, clientKey: $k) {
    report { id status } errors { code field } } }"""
VERIFY = "mutation($id: ID!) { verifyReport(reportId: $id) { errors { code } } }"


async def test_a_retried_dispatch_is_one_dispatch(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    path = f"/t/{tenant.slug}/graphql"
    report = await send(app_client, tenant.slug, await auth_header(settings, Role.CITIZEN, tenant))
    rid = report["report"]["id"]
    await gql(app_client, path, VERIFY, operator, id=rid)
    _, agencies = await gql(app_client, path, '{ agencies(kind: "dinas") { id } }', operator)
    agency = agencies["data"]["agencies"][0]["id"]
    made = await twice(
        app_client,
        path,
        DISPATCH_KEYED,
        operator,
        "dispatchReport",
        {"id": rid, "a": agency, "n": "Mohon segera ditangani"},
        {"id": rid, "a": agency, "n": "Tidak mendesak"},
    )
    assert made == rid
    dispatches = await owner.fetchval(
        "SELECT count(*) FROM dispatches WHERE tenant_id = $1 AND report_id = $2::uuid",
        tenant.id,
        rid,
    )
    assert dispatches == 1


CONVERT = """mutation($id: ID!, $i: ConvertPostInput!, $k: String) {
  convertPostToReport(postId: $id, input: $i, clientKey: $k) {
    report { id ticket } errors { code field } } }"""


async def test_a_retried_conversion_is_one_report(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    author = await auth_header(settings, Role.CITIZEN, tenant)
    moderator = await auth_header(settings, Role.OPERATOR, tenant)
    path = f"/t/{tenant.slug}/graphql"
    _, shared = await gql(
        app_client,
        path,
        SHARE,
        author,
        input={
            "noticeVersion": NOTICE_VERSION,
            "body": "Pohon tumbang di Jalan Ijen",
            "latitude": TUGU[0],
            "longitude": TUGU[1],
        },
    )
    post = shared["data"]["sharePost"]["post"]["id"]
    made = await twice(
        app_client,
        path,
        CONVERT,
        moderator,
        "convertPostToReport",
        {"id": post, "i": {"categoryCode": "FALLEN_TREE", "title": "Pohon tumbang di Ijen"}},
        {"id": post, "i": {"categoryCode": "FALLEN_TREE", "title": "Pohon roboh di Ijen"}},
    )
    assert await count_reports(owner, tenant) == 1
    linked = await owner.fetchval(
        "SELECT report_id::text FROM shared_posts WHERE id = $1::uuid", post
    )
    assert linked == made


ONBOARD = """mutation($i: OnboardTenantInput!, $k: String) {
  onboardTenant(input: $i, clientKey: $k) { tenant { id slug } errors { code field } } }"""


async def test_a_retried_onboarding_is_one_tenant(app_client, settings, owner):
    """Onboarding makes a tenant, not a row inside one: its keys live in the control
    plane (platform_idempotency_keys), per platform admin."""
    admin = await auth_header(settings, Role.PLATFORM_ADMIN)
    slug = f"polres-{uuid.uuid4().hex[:10]}"
    tenant = {
        "slug": slug,
        "name": "Polres Batu",
        "poldaCode": "JATIM",
        "regionCode": "35.79",
        "template": "jogo-malang-presisi",
    }
    key = new_key()
    made = await twice(
        app_client,
        "/platform/graphql",
        ONBOARD,
        admin,
        "onboardTenant",
        {"i": tenant},
        {"i": {**tenant, "name": "Polres Kota Batu"}},
        key,
    )
    rows = await owner.fetch("SELECT id::text FROM tenants WHERE slug = $1", slug)
    assert [r["id"] for r in rows] == [made]
    # Another admin's same key is that admin's own: here it meets the taken slug.
    other = await auth_header(settings, Role.PLATFORM_ADMIN)
    kept = await owner.fetch(
        "SELECT client_key FROM platform_idempotency_keys WHERE object_id = $1::uuid", made
    )
    assert [r["client_key"] for r in kept] == [stored(key)]
    _, body = await gql(app_client, "/platform/graphql", ONBOARD, other, i=tenant, k=key)
    assert body["data"]["onboardTenant"]["tenant"] is None
    assert errors_of(body["data"]["onboardTenant"]) == [("CONFLICT", "slug")]
