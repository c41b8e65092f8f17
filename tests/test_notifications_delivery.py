"""Issue 17, notifications on real RabbitMQ: outbox → relay → Dramatiq → real local
servers playing the WhatsApp Cloud API, an HTTP SMS gateway, an SMTP server and a
browser's push service (tests/notify_fakes.py). A citizen's channels through GraphQL,
a status change told on each channel in the citizen's language, a dead gateway (down,
then 500) leaving the notification FAILED then DEAD and retried by an operator exactly
once, two commands apart, refusals, and the egress rule on push endpoints."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import replace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from helpers import (
    FINISHED,
    NOTE,
    VERIFY,
    act,
    auth_header,
    bearer_for,
    eventually,
    gql,
    make_user,
    onboard,
    run_job,
    submit,
)
from notify_fakes import HttpFake, PushBrowser, SmtpFake, local_tls

from jogo.platform import db, registry
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.auth.roles import Role
from jogo.tenants.notifications import actions as notifications
from jogo.tenants.notifications import delivery as notices
from jogo.workers.connectors.base import egress_client

PHONE_NUMBER_ID = "106540352242922"
WA_TOKEN = "EAAG-test-access-token-0123456789"
SMS_SECRET = "sms-gateway-signing-secret-01"
PUBLIC_URL = "https://lapor.polres.example.id"

SET_GATEWAY = """mutation($i: SetNotificationGatewayInput!) { setNotificationGateway(input: $i) {
  gateway { kind enabled hasSecret endpoint phoneNumberId sender host port security subject
            publicKey }
  errors { code field message } } }"""
GATEWAYS = "{ notificationGateways { kind enabled hasSecret endpoint publicKey } }"
PUBLIC_KEY = "{ webPushPublicKey }"
ADD_CHANNEL = """mutation($i: AddNotificationChannelInput!) { addNotificationChannel(input: $i) {
  channel { id channel address locale } errors { code field message } } }"""
REMOVE_CHANNEL = """mutation($id: ID!) { removeNotificationChannel(id: $id) {
  removed errors { code field message } } }"""
MY_CHANNELS = "{ myNotificationChannels { id channel address locale createdAt } }"
NOTIFICATIONS = """query($r: ID!) { notifications(reportId: $r) { id channel address template
  status attempts lastError sentAt locale } }"""
FAILED = """query($after: String) { failedNotifications(first: 50, after: $after) {
  edges { node { id ticket channel status attempts lastError } }
  pageInfo { hasNextPage endCursor } } }"""
RETRY = """mutation($id: ID!, $k: String) { retryNotification(id: $id, clientKey: $k) {
  notification { id status attempts } errors { code field message } } }"""
SUBMIT_NOTIFY = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id ticket channel } pin errors { code field message } } }"""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def vapid_claims(header: str, public_key: str) -> dict[str, Any]:
    """The claims of a ``vapid t=<JWT>,k=<public key>`` header, its ES256 signature checked
    with the gateway's public key (RFC 8292)."""
    scheme, _, rest = header.partition(" ")
    parts = dict(p.split("=", 1) for p in rest.split(","))
    assert scheme == "vapid" and parts["k"] == public_key
    point = base64.urlsafe_b64decode(public_key + "=" * (-len(public_key) % 4))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    return jwt.decode(parts["t"], key, algorithms=["ES256"], options={"verify_aud": False})


def path(tenant: Any) -> str:
    return f"/t/{tenant.slug}/graphql"


async def call(client: Any, tenant: Any, query: str, headers: dict | None, **variables: Any):
    status, body = await gql(client, path(tenant), query, headers, **variables)
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


async def set_gateway(client: Any, tenant: Any, admin: dict, **data: Any) -> dict:
    done = await call(client, tenant, SET_GATEWAY, admin, i=data)
    assert done["errors"] == [], done
    return done["gateway"]


async def rows(owner: Any, tenant: Any, report_id: str) -> list[Any]:
    return await owner.fetch(
        "SELECT id, channel, address, locale, status, attempts, last_error FROM notifications"
        " WHERE tenant_id = $1 AND report_id = $2::uuid ORDER BY created_at, channel",
        tenant.id,
        report_id,
    )


async def wait_notification(owner: Any, notification_id: Any, status: str, within=60.0) -> Any:
    async def seen() -> Any:
        row = await owner.fetchrow(
            "SELECT status, attempts, last_error FROM notifications WHERE id = $1",
            notification_id,
        )
        return row if row is not None and row["status"] == status else None

    return await eventually(seen, f"notification {notification_id} {status}", within=within)


@pytest.fixture
def fakes():
    server_tls, client_tls = local_tls()
    made = {
        "wa": HttpFake(reply={"messages": [{"id": "wamid.HBgM"}]}).start(),
        "sms": HttpFake().start(),
        "push": HttpFake(status=201, reply={}, tls=server_tls).start(),
        "smtp": SmtpFake().start(),
        "client_tls": client_tls,
    }
    yield made
    for fake in ("wa", "sms", "push", "smtp"):
        made[fake].stop()


@pytest.fixture
def worker_trusts_push(broker, fakes, monkeypatch):
    """The worker's connectors trust the fake push service's certificate, and write
    links under a public address. (The actors module is imported only once the test
    broker exists: its actors bind to the broker of the moment.)"""
    from jogo.workers import actors

    monkeypatch.setattr(
        actors,
        "_client",
        egress_client(lambda: actors.SETTINGS.allow_private_egress, verify=fakes["client_tls"]),
    )
    previous = actors.SETTINGS
    actors.configure(replace(previous, public_url=PUBLIC_URL, allow_private_egress=True))
    yield
    actors.configure(previous)


async def all_gateways(client: Any, tenant: Any, admin: dict, fakes: dict) -> str:
    """Every gateway pointed at the fakes; returns the VAPID public key."""
    whatsapp = await set_gateway(
        client,
        tenant,
        admin,
        kind="WHATSAPP",
        endpoint=fakes["wa"].url + "/v21.0",
        phoneNumberId=PHONE_NUMBER_ID,
        secret=WA_TOKEN,
    )
    assert whatsapp["hasSecret"] and whatsapp["phoneNumberId"] == PHONE_NUMBER_ID
    await set_gateway(
        client,
        tenant,
        admin,
        kind="SMS",
        endpoint=fakes["sms"].url + "/send",
        sender="POLRES",
        secret=SMS_SECRET,
    )
    email = await set_gateway(
        client,
        tenant,
        admin,
        kind="EMAIL",
        host="127.0.0.1",
        port=fakes["smtp"].port,
        security="NONE",
        sender="lapor@polres.example.id",
    )
    assert email["hasSecret"] is False and email["security"] == "NONE"
    push = await set_gateway(
        client, tenant, admin, kind="WEBPUSH", subject="mailto:humas@polres.example.id"
    )
    assert push["hasSecret"] and len(push["publicKey"]) == 87  # 65 bytes, base64url
    return str(push["publicKey"])


async def test_a_citizen_is_told_on_every_channel_they_chose(
    app_client, settings, owner, worker, relay, fakes, worker_trusts_push
):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    public_key = await all_gateways(app_client, tenant, admin, fakes)
    # Anyone (the citizen app before sign-in) may read the VAPID public key.
    assert await call(app_client, tenant, PUBLIC_KEY, None) == public_key
    # A citizen (no staff account, no API key) sets their channels through GraphQL.
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    browser = PushBrowser()
    subscription = browser.subscription(fakes["push"].url + "/push/abc123")
    for channel, address, locale in [
        ("WHATSAPP", "0812 3456 7890", "id"),
        ("SMS", "0813-9876-5432", "en"),
        ("EMAIL", "Warga@Example.ID", None),
        ("WEBPUSH", json.dumps(subscription), "id"),
    ]:
        added = await call(
            app_client,
            tenant,
            ADD_CHANNEL,
            citizen,
            i={
                "noticeVersion": NOTICE_VERSION,
                "channel": channel,
                "address": address,
                "locale": locale,
            },
        )
        assert added["errors"] == [], added
    mine = await call(app_client, tenant, MY_CHANNELS, citizen)
    assert [(c["channel"], c["address"], c["locale"]) for c in mine] == [
        ("WHATSAPP", "+6281234567890", "id"),
        ("SMS", "+6281398765432", "en"),
        ("EMAIL", "Warga@example.id", "id"),
        ("WEBPUSH", json.dumps(subscription, separators=(",", ":")), "id"),
    ]
    made = await submit(app_client, tenant.slug, citizen)
    rid, ticket = made["report"]["id"], made["report"]["ticket"]
    assert (await act(app_client, tenant.slug, VERIFY, admin, id=rid))["errors"] == []
    track = f"{PUBLIC_URL}/t/{tenant.slug}/lacak?ticket={ticket}"

    # WhatsApp: the Cloud API's text message, with the access token.
    [wa] = await fakes["wa"].wait_for(1)
    assert wa.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert wa.headers["authorization"] == f"Bearer {WA_TOKEN}"
    assert wa.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+6281234567890",
        "type": "text",
        "text": {
            "preview_url": False,
            "body": f"Laporan {ticket}: status kini Terverifikasi. Lacak: {track}",
        },
    }
    # SMS: signed JSON, in English (the citizen chose it for this number).
    [sms] = await fakes["sms"].wait_for(1)
    expected = "sha256=" + hmac.new(SMS_SECRET.encode(), sms.body, hashlib.sha256).hexdigest()
    assert sms.path == "/send" and sms.headers["x-jogo-signature"] == expected
    assert sms.json() == {
        "to": "+6281398765432",
        "text": f"Report {ticket}: status is now Verified. Track: {track}",
        "from": "POLRES",
    }
    # E-mail through SMTP.
    [mail] = await fakes["smtp"].wait_for(1)
    message = mail.message()
    assert mail.recipients == ["Warga@example.id"] and message["To"] == "Warga@example.id"
    assert message["From"] == "lapor@polres.example.id" and ticket in message["Subject"]
    assert "status kini Terverifikasi" in message.get_payload(decode=True).decode()
    # Web Push: VAPID-signed and encrypted for the browser, which reads the Bahasa text.
    [push] = await fakes["push"].wait_for(1)
    assert push.path == "/push/abc123" and push.headers["content-encoding"] == "aes128gcm"
    assert int(push.headers["ttl"]) > 0
    claims = vapid_claims(push.headers["authorization"], public_key)
    assert claims["aud"] == fakes["push"].url and claims["sub"] == "mailto:humas@polres.example.id"
    assert browser.read(push.body) == {
        "title": "Polresta Uji Coba",
        "body": f"Laporan {ticket}: status kini Terverifikasi. Lacak: {track}",
        "url": track,
        "ticket": ticket,
    }
    # Staff see what was sent, addresses masked.
    await eventually(lambda: _all_sent(owner, tenant, rid, 4), "four notifications SENT", within=30)
    sent = await call(app_client, tenant, NOTIFICATIONS, admin, r=rid)
    assert sorted((n["channel"], n["address"], n["status"], n["attempts"]) for n in sent) == [
        ("EMAIL", "W***@example.id", "SENT", 1),
        ("SMS", "+62813****5432", "SENT", 1),
        ("WEBPUSH", "push:127.0.0.1", "SENT", 1),
        ("WHATSAPP", "+62812****7890", "SENT", 1),
    ]
    # The citizen removes a channel: the next event goes to the other three only.
    sms_channel = next(c["id"] for c in mine if c["channel"] == "SMS")
    removed = await call(app_client, tenant, REMOVE_CHANNEL, citizen, id=sms_channel)
    assert removed == {"removed": True, "errors": []}
    await act(app_client, tenant.slug, NOTE, admin, id=rid, n="Petugas menuju lokasi", p=True)
    await fakes["wa"].wait_for(2)
    assert (
        "pesan baru dari petugas: Petugas menuju lokasi"
        in fakes["wa"].received[1].json()["text"]["body"]
    )
    await eventually(lambda: _all_sent(owner, tenant, rid, 7), "three more SENT", within=30)
    assert len(fakes["sms"].received) == 1


async def _all_sent(owner: Any, tenant: Any, rid: str, count: int) -> bool:
    found = await rows(owner, tenant, rid)
    return len(found) == count and all(r["status"] == "SENT" for r in found)


async def test_channel_input_is_checked(app_client, settings, owner, fakes):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    # No gateway for SMS yet.
    refused = await call(
        app_client,
        tenant,
        ADD_CHANNEL,
        citizen,
        i={"noticeVersion": NOTICE_VERSION, "channel": "SMS", "address": "081234567890"},
    )
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("GATEWAY_UNAVAILABLE", "channel")
    ]
    await set_gateway(
        app_client, tenant, admin, kind="SMS", endpoint=fakes["sms"].url, secret=SMS_SECRET
    )
    for data, field in [
        ({"channel": "SMS", "address": "12"}, "address"),
        ({"channel": "SMS", "address": "081234567890", "locale": "fr"}, "locale"),
    ]:
        bad = await call(app_client, tenant, ADD_CHANNEL, citizen, i=data)
        assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_INPUT", field)]
    # The same number twice is one channel; a clientKey retry answers the same.
    key = uuid.uuid4().hex
    first = await call(
        app_client,
        tenant,
        ADD_CHANNEL,
        citizen,
        i={
            "noticeVersion": NOTICE_VERSION,
            "channel": "SMS",
            "address": "0812 3456 7890",
            "clientKey": key,
        },
    )
    again = await call(
        app_client,
        tenant,
        ADD_CHANNEL,
        citizen,
        i={
            "noticeVersion": NOTICE_VERSION,
            "channel": "SMS",
            "address": "0812 3456 7890",
            "clientKey": key,
        },
    )
    same = await call(
        app_client,
        tenant,
        ADD_CHANNEL,
        citizen,
        i={"noticeVersion": NOTICE_VERSION, "channel": "SMS", "address": "+6281234567890"},
    )
    assert first["channel"]["id"] == again["channel"]["id"] == same["channel"]["id"]
    # Someone else's channel is not found; removing one's own twice says so.
    other = await auth_header(settings, Role.CITIZEN, tenant)
    stolen = await call(app_client, tenant, REMOVE_CHANNEL, other, id=first["channel"]["id"])
    assert [e["code"] for e in stolen["errors"]] == ["NOT_FOUND"]
    assert await call(app_client, tenant, MY_CHANNELS, other) == []
    done = await call(app_client, tenant, REMOVE_CHANNEL, citizen, id=first["channel"]["id"])
    assert done["removed"] is True
    twice = await call(app_client, tenant, REMOVE_CHANNEL, citizen, id=first["channel"]["id"])
    assert twice == {"removed": False, "errors": []}


async def test_gateway_secrets_are_encrypted_and_inputs_checked(app_client, settings, owner):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    bad = await call(
        app_client,
        tenant,
        SET_GATEWAY,
        admin,
        i={"kind": "WHATSAPP", "phoneNumberId": "abc", "secret": "short", "endpoint": "ftp://x"},
    )
    assert bad["gateway"] is None and {e["field"] for e in bad["errors"]} == {
        "phoneNumberId",
        "secret",
        "endpoint",
    }
    bad = await call(app_client, tenant, SET_GATEWAY, admin, i={"kind": "EMAIL", "port": 0})
    assert {e["field"] for e in bad["errors"]} == {"host", "port", "sender"}
    bad = await call(
        app_client, tenant, SET_GATEWAY, admin, i={"kind": "WEBPUSH", "secret": "not-a-key"}
    )
    assert [e["field"] for e in bad["errors"]] == ["secret"]
    await set_gateway(
        app_client,
        tenant,
        admin,
        kind="SMS",
        endpoint="http://127.0.0.1:9/send",
        secret=SMS_SECRET,
    )
    stored = await owner.fetchrow(
        "SELECT secret_enc, config FROM notification_gateways WHERE tenant_id = $1", tenant.id
    )
    assert stored["secret_enc"] and SMS_SECRET not in stored["secret_enc"]
    assert SMS_SECRET not in stored["config"]
    # Saved again without a secret: the stored one is kept.
    kept = await set_gateway(
        app_client, tenant, admin, kind="SMS", endpoint="http://127.0.0.1:9/v2", enabled=False
    )
    assert kept["hasSecret"] and kept["endpoint"] == "http://127.0.0.1:9/v2"
    listed = await call(app_client, tenant, GATEWAYS, admin)
    assert SMS_SECRET not in json.dumps(listed)
    assert listed == [
        {
            "kind": "SMS",
            "enabled": False,
            "hasSecret": True,
            "endpoint": "http://127.0.0.1:9/v2",
            "publicKey": None,
        }
    ]
    # A given VAPID key is kept and its public key derived.
    key = ec.generate_private_key(ec.SECP256R1())
    private = b64(key.private_numbers().private_value.to_bytes(32, "big"))
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    push = await set_gateway(app_client, tenant, admin, kind="WEBPUSH", secret=private)
    assert push["publicKey"] == b64(point) and push["hasSecret"]
    audit = await owner.fetch(
        "SELECT detail::text FROM audit_log WHERE tenant = $1 AND action ="
        " 'notification_gateway.set'",
        tenant.id,
    )
    assert len(audit) == 3 and not any(SMS_SECRET in a["detail"] for a in audit)


async def test_an_anonymous_reporter_leaves_a_channel_or_nothing_is_made(
    app_client, settings, owner, worker, relay, fakes, worker_trusts_push
):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    await set_gateway(
        app_client, tenant, admin, kind="SMS", endpoint=fakes["sms"].url, secret=SMS_SECRET
    )
    before = await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", tenant.id)
    for notify, title, expected in [
        ({"channel": "SMS", "address": "bukan nomor"}, None, {("INVALID_INPUT", "notify.address")}),
        (
            {"channel": "SMS", "address": "bukan nomor"},
            "x",
            {("INVALID_INPUT", "notify.address"), ("INVALID_INPUT", "title")},
        ),
        (
            {"channel": "WHATSAPP", "address": "081234567890"},
            None,
            {("GATEWAY_UNAVAILABLE", "notify.channel")},
        ),
    ]:
        _, body = await gql(
            app_client,
            path(tenant),
            SUBMIT_NOTIFY,
            None,
            input=_report(anonymous=True, notify=notify, **({"title": title} if title else {})),
        )
        payload = body["data"]["submitReport"]
        assert payload["report"] is None
        assert {(e["code"], e["field"]) for e in payload["errors"]} == expected
    after = await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", tenant.id)
    assert after == before  # nothing half-written
    _, body = await gql(
        app_client,
        path(tenant),
        SUBMIT_NOTIFY,
        None,
        input=_report(
            anonymous=True, notify={"channel": "SMS", "address": "0812 3456 7890", "locale": "en"}
        ),
    )
    made = body["data"]["submitReport"]
    assert made["errors"] == [] and made["pin"] and made["report"]["channel"] == "API"
    rid = made["report"]["id"]
    channel = await owner.fetchrow(
        "SELECT channel, address, locale, user_id FROM notification_channels"
        " WHERE tenant_id = $1 AND report_id = $2::uuid",
        tenant.id,
        rid,
    )
    assert tuple(channel) == ("SMS", "+6281234567890", "en", None)
    # Staff see how the report came in.
    _, seen = await gql(
        app_client, path(tenant), "query($id: ID!) { report(id: $id) { channel } }", admin, id=rid
    )
    assert seen["data"]["report"]["channel"] == "API"
    await act(app_client, tenant.slug, VERIFY, admin, id=rid)
    [sms] = await fakes["sms"].wait_for(1)
    assert sms.json()["to"] == "+6281234567890"
    assert sms.json()["text"].startswith(
        f"Report {made['report']['ticket']}: status is now Verified"
    )


def _report(**overrides: Any) -> dict[str, Any]:
    from helpers import report_input

    return report_input(**overrides)


async def dead_sms(client, settings, owner, tenant, sms: HttpFake) -> tuple[dict, str, Any]:
    """An anonymous report whose SMS notification died against ``sms``: the gateway down
    for the first attempt, then answering 500. Returns (operator, report id, the
    notification id)."""
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    await set_gateway(client, tenant, admin, kind="SMS", endpoint=sms.url, secret=SMS_SECRET)
    _, body = await gql(
        client,
        path(tenant),
        SUBMIT_NOTIFY,
        None,
        input=_report(anonymous=True, notify={"channel": "SMS", "address": "081234567890"}),
    )
    rid = body["data"]["submitReport"]["report"]["id"]
    sms.stop()  # the gateway is down
    await act(client, tenant.slug, VERIFY, operator, id=rid)
    [note] = await eventually(lambda: rows(owner, tenant, rid), "the notification")

    async def failed_once() -> Any:
        row = await owner.fetchrow(
            "SELECT status, attempts, last_error FROM notifications WHERE id = $1", note["id"]
        )
        return row if row["attempts"] >= 1 else None

    first = await eventually(failed_once, "the first attempt", within=30)
    assert first["status"] in ("FAILED", "SENDING", "DEAD") and "Connect" in first["last_error"]
    listed = await call(client, tenant, FAILED, operator)
    assert any(e["node"]["id"] == str(note["id"]) for e in listed["edges"])
    sms.status = 500
    sms.start()  # back, on the same port, but failing
    dead = await wait_notification(owner, note["id"], "DEAD")
    assert dead["attempts"] == notices.MAX_ATTEMPTS and dead["last_error"] == "HTTP 500"
    return operator, rid, note["id"]


async def test_a_dead_gateway_then_one_retry_delivers_once(
    app_client, settings, owner, worker, relay, monkeypatch, fakes, worker_trusts_push
):
    monkeypatch.setattr(notices, "MAX_ATTEMPTS", 3)
    monkeypatch.setattr(notices, "BACKOFF_BASE_SECONDS", 0.3)
    tenant = await onboard("minimal")
    sms = fakes["sms"]
    operator, rid, note_id = await dead_sms(app_client, settings, owner, tenant, sms)
    listed = await call(app_client, tenant, FAILED, operator)
    [node] = [e["node"] for e in listed["edges"] if e["node"]["id"] == str(note_id)]
    assert node["status"] == "DEAD" and node["lastError"] == "HTTP 500" and node["ticket"]
    # Parallel retries while the gateway still fails: one new round, the rest refused.
    answers = await asyncio.gather(
        *[call(app_client, tenant, RETRY, operator, id=str(note_id)) for _ in range(4)]
    )
    assert sorted(tuple(e["code"] for e in a["errors"]) for a in answers) == [
        (),
        ("INVALID_INPUT",),
        ("INVALID_INPUT",),
        ("INVALID_INPUT",),
    ]
    await wait_notification(owner, note_id, "DEAD")
    # The gateway is back: parallel retries under one client key make one delivery.
    sms.status = 200
    key = uuid.uuid4().hex
    answers = await asyncio.gather(
        *[call(app_client, tenant, RETRY, operator, id=str(note_id), k=key) for _ in range(4)]
    )
    assert all(a["errors"] == [] and a["notification"]["id"] == str(note_id) for a in answers)
    sent = await wait_notification(owner, note_id, "SENT")
    assert sent["attempts"] == 1 and sent["last_error"] is None
    await asyncio.sleep(1.0)  # nothing else on its way
    assert len(sms.delivered()) == 1
    assert sms.delivered()[0].headers["idempotency-key"] == str(note_id)
    _, body = await gql(app_client, path(tenant), NOTIFICATIONS, operator, r=rid)
    assert [n["status"] for n in body["data"]["notifications"]] == ["SENT"]
    # A SENT notification is not retried.
    again = await call(app_client, tenant, RETRY, operator, id=str(note_id))
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("INVALID_INPUT", "id")]


async def test_another_commands_gateways_and_notifications_are_invisible(
    app_client, settings, owner, worker, relay, monkeypatch, fakes, worker_trusts_push
):
    monkeypatch.setattr(notices, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(notices, "BACKOFF_BASE_SECONDS", 0.1)
    a = await onboard("minimal")
    b = await onboard("minimal", polda="JATENG", region="33.74")
    operator_a, rid, note_id = await dead_sms(app_client, settings, owner, a, fakes["sms"])
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    assert await call(app_client, b, GATEWAYS, admin_b) == []
    assert await call(app_client, b, PUBLIC_KEY, None) is None
    assert await call(app_client, b, NOTIFICATIONS, admin_b, r=rid) == []
    failed_b = await call(app_client, b, FAILED, admin_b)
    assert failed_b["edges"] == []
    stolen = await call(app_client, b, RETRY, admin_b, id=str(note_id))
    assert [(e["code"], e["field"]) for e in stolen["errors"]] == [("NOT_FOUND", "id")]
    assert (await owner.fetchrow("SELECT status FROM notifications WHERE id = $1", note_id))[
        "status"
    ] == "DEAD"
    # A's token on B's path is not B's.
    status, _ = await gql(app_client, path(b), FAILED, operator_a)
    assert status == 404


async def test_refused_callers(app_client, settings, two_tenants):
    tenant = two_tenants.a
    key = await create_api_key(tenant, "reader", ["reports:read"], "pytest")
    reader = {"Authorization": f"Bearer {key.key}"}
    writer_key = await create_api_key(tenant, "writer", ["reports:write"], "pytest")
    writer = {"Authorization": f"Bearer {writer_key.key}"}
    user_id, username = await make_user(Role.TENANT_ADMIN, tenant)
    expired = bearer_for(user_id, username, settings, ttl=-60)
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    calls = [
        (SET_GATEWAY, {"i": {"kind": "SMS"}}),
        (
            ADD_CHANNEL,
            {"i": {"noticeVersion": NOTICE_VERSION, "channel": "SMS", "address": "081234567890"}},
        ),
        (REMOVE_CHANNEL, {"id": str(uuid.uuid4())}),
        (RETRY, {"id": str(uuid.uuid4())}),
    ]
    for query, variables in calls:
        status, body = await gql(app_client, path(tenant), query, expired, **variables)
        assert status == 401, body
        done = await call(app_client, tenant, query, reader, **variables)
        assert [e["code"] for e in done["errors"]] == ["FORBIDDEN"], (query, done)
        anonymous = await call(app_client, tenant, query, None, **variables)
        assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    # A citizen sets no gateway and retries nothing; a reports:write key adds no channel.
    for query, variables, who in [
        (SET_GATEWAY, {"i": {"kind": "SMS"}}, citizen),
        (RETRY, {"id": str(uuid.uuid4())}, citizen),
        (
            ADD_CHANNEL,
            {"i": {"noticeVersion": NOTICE_VERSION, "channel": "SMS", "address": "081234567890"}},
            writer,
        ),
    ]:
        done = await call(app_client, tenant, query, who, **variables)
        assert [e["code"] for e in done["errors"]] == ["FORBIDDEN"], (query, done)
    # Reads: staff-only ones answer null with an error at their own path.
    for query, who in [(GATEWAYS, citizen), (FAILED, citizen), (MY_CHANNELS, reader)]:
        _, body = await gql(app_client, path(tenant), query, who)
        assert next(iter(body["data"].values())) is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_push_endpoint_on_a_private_address_is_refused(
    app_client, settings, owner, worker, relay, monkeypatch, fakes, worker_trusts_push
):
    from jogo.platform.app.factory import create_app

    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    await set_gateway(app_client, tenant, admin, kind="WEBPUSH")
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    browser = PushBrowser()
    address = json.dumps(browser.subscription(fakes["push"].url + "/push/inside"))
    # Where private egress is not allowed (production), the API refuses it when added ...
    import httpx

    strict = create_app(replace(settings, allow_private_egress=False), manage_database=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=strict), base_url="http://testserver"
    ) as client:
        refused = await call(
            client,
            tenant,
            ADD_CHANNEL,
            citizen,
            i={"noticeVersion": NOTICE_VERSION, "channel": "WEBPUSH", "address": address},
        )
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_INPUT", "address")]
    # ... and the worker refuses it when sending (a channel added while it was allowed).
    added = await call(
        app_client,
        tenant,
        ADD_CHANNEL,
        citizen,
        i={"noticeVersion": NOTICE_VERSION, "channel": "WEBPUSH", "address": address},
    )
    assert added["errors"] == []
    from jogo.workers import actors

    actors.configure(replace(actors.SETTINGS, allow_private_egress=False))
    made = await submit(app_client, tenant.slug, citizen)
    await act(app_client, tenant.slug, VERIFY, admin, id=made["report"]["id"])

    async def failed() -> Any:
        found = await rows(owner, tenant, made["report"]["id"])
        return found if found and found[0]["attempts"] >= 1 else None

    [note] = await eventually(failed, "the refused push", within=30)
    assert "destination refused" in note["last_error"]
    assert fakes["push"].received == []


async def test_a_gone_push_subscription_stops_at_once(
    app_client, settings, owner, worker, relay, fakes, worker_trusts_push
):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    await set_gateway(app_client, tenant, admin, kind="WEBPUSH")
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    fakes["push"].answers["/push/expired"] = 410
    address = json.dumps(PushBrowser().subscription(fakes["push"].url + "/push/expired"))
    added = await call(
        app_client,
        tenant,
        ADD_CHANNEL,
        citizen,
        i={"noticeVersion": NOTICE_VERSION, "channel": "WEBPUSH", "address": address},
    )
    made = await submit(app_client, tenant.slug, citizen)
    await act(app_client, tenant.slug, VERIFY, admin, id=made["report"]["id"])
    [note] = await eventually(lambda: rows(owner, tenant, made["report"]["id"]), "the push")
    dead = await wait_notification(owner, note["id"], "DEAD")
    assert dead["attempts"] == 1 and "410" in dead["last_error"]
    assert await call(app_client, tenant, MY_CHANNELS, citizen) == []
    assert added["channel"]["id"]


async def test_a_suspended_commands_notification_waits(
    app_client, settings, owner, worker, relay, fakes
):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    await set_gateway(
        app_client, tenant, admin, kind="SMS", endpoint=fakes["sms"].url, secret=SMS_SECRET
    )
    made = await submit(app_client, tenant.slug, None, anonymous=True)
    await registry.set_status(tenant.slug, "SUSPENDED")
    before = FINISHED.count("deliver_notification", tenant.id)
    async with db.tenant_tx(tenant.id):
        note_id = await notifications.do_send(
            tenant.id,
            channel="SMS",
            address="+6281234567890",
            template="report_status",
            params={"status": "VERIFIED"},
            report_id=uuid.UUID(made["report"]["id"]),
        )
    await eventually(
        lambda: FINISHED.count("deliver_notification", tenant.id) > before,
        "the suspended command's delivery",
        within=30,
    )
    await run_job("deliver_notification", owner, tenant, notification_id=str(note_id), attempt=1)
    row = await owner.fetchrow("SELECT status, attempts FROM notifications WHERE id = $1", note_id)
    assert tuple(row) == ("PENDING", 0) and fakes["sms"].received == []
