"""Issue 17 attacked from outside: the citizen's phone sign-in, the no-JavaScript
tracking page, notifications (channels, gateways, delivery) and WhatsApp/SMS intake,
as another command, a citizen, a flaky network and hostile input. Each case is a
defect that was found and fixed, or a property that held and must keep holding."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    NOTE,
    VERIFY,
    RudeServer,
    a_sender,
    act,
    auth_header,
    dispatched_report,
    enable_gateway,
    fresh_client,
    gql,
    new_phone,
    onboard,
    phone_code,
    post_sms,
    post_whatsapp,
    proxied_app,
    put_gateway,
    queue_notice,
    report_input,
    set_intake_gateways,
    submit,
    verify_phone,
    wa_body,
    wa_message,
)
from notify_fakes import HttpFake, PushBrowser, local_tls

from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.auth.roles import Role
from jogo.tenants.notifications import delivery as notices
from jogo.tenants.notifications.templates import render
from jogo.workers.connectors import mail
from jogo.workers.connectors.base import DeliveryFailed, egress_client

ADD_CHANNEL = """mutation($i: AddNotificationChannelInput!) { addNotificationChannel(input: $i) {
  channel { id address } errors { code field message } } }"""
SET_GATEWAY = """mutation($i: SetNotificationGatewayInput!) { setNotificationGateway(input: $i) {
  gateway { kind } errors { code field message } } }"""
SUBMIT_NOTIFY = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id ticket } pin errors { code field message } } }"""
SMS_SECRET = "attack-sms-gateway-secret"
FIELD = re.compile(r"^\w*(phone|address|email|contact)\w*\s*(\(.*\))?\s*:", re.I)
SCHEMA = Path(__file__).parent.parent / "graphql" / "schema"


def _no_500(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert "Unexpected error" not in response.text and "INTERNAL" not in response.text


async def _intake_counts(owner: Any, tenant_id: uuid.UUID) -> tuple[int, ...]:
    row = await owner.fetchrow(
        "SELECT (SELECT count(*) FROM intake_conversations WHERE tenant_id = $1),"
        " (SELECT count(*) FROM intake_messages WHERE tenant_id = $1),"
        " (SELECT count(*) FROM reports WHERE tenant_id = $1)",
        tenant_id,
    )
    return tuple(row)


# --- hostile input ---


async def test_nul_characters_in_intake_webhooks_are_taken_not_a_500(app_client, settings, owner):
    """Found: a NUL in a WhatsApp text, caption or message id, or in an SMS, reached
    PostgreSQL and answered 500, so the gateway re-sent the whole webhook for days (and
    every other citizen's message in that batch with it). Now the text is kept without
    the NUL, and an id with one is refused (SMS 400) or the message skipped (WhatsApp)."""
    tenant = await onboard("minimal")
    await set_intake_gateways(tenant, settings)
    sender = a_sender()
    for message in [
        wa_message(sender, body="Ada\x00 pencurian motor di depan rumah saya tadi"),
        wa_message(sender, "image", id="media\x00id", caption="\x00foto"),
        wa_message(sender, message_id="wamid.\x00evil", body="halo"),
        wa_message(sender, "location", latitude=-7.98, longitude=112.63, name="\x00Tugu"),
    ]:
        response = await post_whatsapp(app_client, tenant.slug, wa_body(message))
        _no_500(response)
        assert response.status_code == 200
    stored = await owner.fetchrow(
        "SELECT description, media_ids FROM intake_conversations"
        " WHERE tenant_id = $1 AND sender = $2",
        tenant.id,
        "+" + sender,
    )
    assert stored["description"] == "Ada pencurian motor di depan rumah saya tadi"
    assert stored["media_ids"] == []  # an id with a NUL is no id
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM intake_messages WHERE tenant_id = $1 AND message_id LIKE '%evil'",
            tenant.id,
        )
        == 0
    )
    text = await post_sms(app_client, tenant.slug, "+6281234567801", "\x00" * 20 + "halo polisi")
    _no_500(text)
    assert text.status_code == 200
    before = await _intake_counts(owner, tenant.id)
    bad_id = await post_sms(app_client, tenant.slug, "+6281234567802", "halo", message_id="a\x00")
    assert bad_id.status_code == 400 and "INVALID_INPUT" in bad_id.text
    assert await _intake_counts(owner, tenant.id) == before  # nothing half-written


async def test_intake_location_and_size_extremes(app_client, settings, owner):
    """NaN, Infinity and a place outside Indonesia are not a place (asked again); a 100 KB
    SMS or WhatsApp body is 413; none is a 500 and none makes a report."""
    tenant = await onboard("minimal")
    await set_intake_gateways(tenant, settings)
    sender = a_sender()
    for place in [
        {"latitude": "NaN", "longitude": "Infinity"},
        {"latitude": 1e308, "longitude": -1e308},
        {"latitude": 51.5, "longitude": -0.12, "name": "London"},
    ]:
        response = await post_whatsapp(
            app_client, tenant.slug, wa_body(wa_message(sender, "location", **place))
        )
        assert response.status_code == 200 and response.json()["messages"] == ["asked"]
    stored = await owner.fetchrow(
        "SELECT latitude, longitude FROM intake_conversations WHERE tenant_id = $1", tenant.id
    )
    assert tuple(stored) == (None, None)
    huge = await post_whatsapp(
        app_client, tenant.slug, wa_body(wa_message(sender, body="x" * 100_000))
    )
    assert huge.status_code == 413
    sms = await post_sms(app_client, tenant.slug, "+6281234567803", "y" * 100_000)
    assert sms.status_code == 413
    assert (await _intake_counts(owner, tenant.id))[2] == 0


async def test_a_nul_in_the_tracking_form_is_not_a_500(app_client):
    """Found: ``ticket=%00…`` posted to /lacak reached PostgreSQL and answered 500."""
    tenant = await onboard("minimal")
    for form in ["ticket=%00MLG&pin=%00", "ticket=MLG-2026-%00000001&pin=1234%0056"]:
        response = await app_client.post(
            f"/t/{tenant.slug}/lacak",
            content=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **fresh_client()},
        )
        assert response.status_code == 200, response.text
        assert "Tidak ada laporan" in response.text


async def test_hostile_push_subscriptions_and_gateway_urls_are_typed(app_client, settings):
    """Found: a Web Push address nested past the JSON parser's depth, or with a broken
    IPv6 host, and a gateway endpoint or SMTP host like ``[::1``, answered "Unexpected
    error."; a port past 65535 was saved. Now each is INVALID_INPUT on its field."""
    tenant = await onboard("minimal")
    await enable_gateway(tenant.id, "WEBPUSH")
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    keys = {"p256dh": "a" * 20, "auth": "b" * 20}
    for address in [
        "[" * 3000,
        '{"endpoint":' * 500,
        json.dumps({"endpoint": "https://[::1/push", "keys": keys}),
        json.dumps({"endpoint": "https://push.example:99999/x", "keys": keys}),
        json.dumps({"endpoint": "https://push.example:0/x", "keys": keys}),
        json.dumps({"endpoint": ["https://push.example/x"], "keys": keys}),
        json.dumps({"endpoint": "https://push.example/x", "keys": [1]}),
        "1" * 3999,
    ]:
        status, body = await gql(
            app_client,
            f"/t/{tenant.slug}/graphql",
            ADD_CHANNEL,
            citizen,
            i={"noticeVersion": NOTICE_VERSION, "channel": "WEBPUSH", "address": address},
        )
        assert status == 200 and "errors" not in body, (address[:60], body)
        done = body["data"]["addNotificationChannel"]
        assert [(e["code"], e["field"]) for e in done["errors"]] == [("INVALID_INPUT", "address")]
    for data, field in [
        ({"kind": "SMS", "endpoint": "http://[::1/send", "secret": SMS_SECRET}, "endpoint"),
        (
            {"kind": "SMS", "endpoint": "http://sms.example:99999/", "secret": SMS_SECRET},
            "endpoint",
        ),
        (
            {
                "kind": "WHATSAPP",
                "phoneNumberId": "12345",
                "secret": SMS_SECRET,
                "endpoint": "https://[fe80::1/v21.0",
            },
            "endpoint",
        ),
        ({"kind": "EMAIL", "host": "[::1", "sender": "lapor@polres.example.id"}, "host"),
    ]:
        status, body = await gql(
            app_client, f"/t/{tenant.slug}/graphql", SET_GATEWAY, admin, i=data
        )
        assert status == 200 and "errors" not in body, (data, body)
        done = body["data"]["setNotificationGateway"]
        assert done["gateway"] is None
        assert [(e["code"], e["field"]) for e in done["errors"]] == [("INVALID_INPUT", field)]


def test_braces_in_an_officers_note_are_text_not_a_format():
    """``{code}`` or ``{0.__class__}`` in a note is shown as written: str.format fills the
    template once and never reads what a value holds."""
    note = "Kode {code} {0.__class__} {ticket!r} {note} {"
    text = render("report_note", {"ticket": "MLG-1", "note": note, "code": "123456"}, "id")
    assert text == f"Laporan MLG-1: pesan baru dari petugas: {note}"
    assert "123456" not in text and "class" not in text.replace("__class__", "")


def test_an_email_subject_cannot_add_a_header():
    """A command name with line breaks (the e-mail's subject) stays one Subject line: no
    injected header, and no ValueError failing every delivery."""
    message = mail.build_message(
        "lapor@polres.example.id",
        "warga@example.id",
        "Polres\r\nBcc: mata-mata@example.id\nX-Evil: 1: MLG-1",
        "Isi",
        "<1@polres.example.id>",
    )
    raw = message.as_string()
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert (
        "\nBcc:" not in raw and "Subject: Polres Bcc: mata-mata@example.id X-Evil: 1: MLG-1" in raw
    )


# --- a flaky network ---


@pytest.fixture
def rude(broker, monkeypatch):
    """The actors module (imported once the test broker exists) with a short send
    deadline, private destinations allowed (the fakes are on 127.0.0.1) and a client
    that trusts the local TLS fakes; and the servers to stop."""
    from jogo.workers import actors

    server_tls, client_tls = local_tls()
    monkeypatch.setattr(notices, "SEND_TIMEOUT_SECONDS", 1.5)
    monkeypatch.setattr(
        actors,
        "_client",
        egress_client(lambda: actors.SETTINGS.allow_private_egress, verify=client_tls),
    )
    previous = actors.SETTINGS
    actors.configure(replace(previous, allow_private_egress=True))
    started: list[Any] = []

    def server(mode: str, **more: Any) -> RudeServer:
        made = RudeServer(mode, tls=server_tls if more.pop("tls", False) else None, **more)
        started.append(made.start())
        return made

    yield actors, server, server_tls
    actors.configure(previous)
    for made in started:
        made.stop()


async def _row(owner: Any, notification_id: uuid.UUID) -> Any:
    return await owner.fetchrow(
        "SELECT status, attempts, last_error, params, lease_until FROM notifications WHERE id = $1",
        notification_id,
    )


async def test_a_trickling_silent_or_closing_gateway_fails_within_the_deadline(
    rude, settings, owner
):
    """Found: httpx's ``timeout`` bounds each read, not the call: a gateway that trickles a
    header byte every 0.3 s held a delivery for minutes, past its 35 s lease, so the
    sweep queued it again and the citizen got it twice. Now the whole call has the
    deadline; a silent gateway, a closed connection and a 500 fail in time too."""
    actors, server, _ = rude
    tenant = await onboard("minimal")
    for mode in ["trickle", "silent", "close", 500]:
        if mode == 500:
            fake = HttpFake(status=500).start()
            url, stop = fake.url, fake.stop
        else:
            made = server(mode)
            url, stop = made.url, made.stop
        await put_gateway(tenant.id, "SMS", {"endpoint": url}, SMS_SECRET, settings.secret_key)
        note = await queue_notice(tenant.id, "SMS", "+6281234567804")
        started = time.monotonic()
        outcome, channel = await actors._notify(tenant, note, 1)
        took = time.monotonic() - started
        stop()
        row = await _row(owner, note)
        assert (outcome, channel, row["status"], row["attempts"]) == ("failed", "SMS", "FAILED", 1)
        assert took < 5, (mode, took)
        assert row["lease_until"] is None
        if mode in ("trickle", "silent"):
            assert "TimeoutError" in row["last_error"] or "Timeout" in row["last_error"], row
        if mode == 500:
            assert row["last_error"] == "HTTP 500"  # never the gateway's body


async def test_a_push_service_redirect_is_not_followed(rude, settings, owner):
    """A push endpoint answering 307 to an inside address (another local server here) is
    a failed attempt: the redirect is never followed, so it cannot lead past the egress
    rule."""
    actors, server, _ = rude
    tenant = await onboard("minimal")
    inside = HttpFake().start()
    try:
        push = server("redirect", tls=True, location=inside.url + "/admin")
        await put_gateway(
            tenant.id,
            "WEBPUSH",
            {"subject": "mailto:humas@polres.example.id"},
            notices_vapid(),
            settings.secret_key,
        )
        address = json.dumps(
            PushBrowser().subscription(push.url + "/push/1"), separators=(",", ":")
        )
        note = await queue_notice(tenant.id, "WEBPUSH", address)
        outcome, _ = await actors._notify(tenant, note, 1)
        row = await _row(owner, note)
        assert outcome == "failed" and row["last_error"] == "HTTP 307" and push.hits == 1
        await asyncio.sleep(0.3)
        assert inside.received == []
    finally:
        inside.stop()


def notices_vapid() -> str:
    from jogo.tenants.notifications.gateways import new_vapid_key

    return new_vapid_key()


async def test_an_smtp_host_on_a_private_address_is_refused_when_sending():
    """Where private destinations are not allowed, an SMTP host that is (or resolves to)
    a private or loopback address is refused at the connection: a typed failure, no
    socket opened."""
    for host in ["127.0.0.1", "localhost", "10.1.2.3", "[::1]"]:
        config = {"host": host, "port": 25, "security": "NONE", "sender": "a@polres.example.id"}
        with pytest.raises(DeliveryFailed, match="destination refused"):
            await mail.send(
                config,
                "",
                "warga@example.id",
                "Polres",
                "Isi",
                message_id="<1@x>",
                allow_private=False,
                seconds=2,
            )


# --- secrets at rest ---


async def test_codes_and_pins_leave_the_notification_once_sent(rude, settings, owner):
    """Found: a sign-in code (kept elsewhere only as an HMAC) and an anonymous report's
    PIN (kept only as an Argon2 hash) stayed in clear in ``notifications.params`` for
    ever. Now they are dropped once sent; a DEAD code is dropped too, a DEAD PIN is
    kept so an operator's retry still carries it."""
    actors, _, _ = rude
    tenant = await onboard("minimal")
    sms = HttpFake().start()
    try:
        await put_gateway(tenant.id, "SMS", {"endpoint": sms.url}, SMS_SECRET, settings.secret_key)
        code = await queue_notice(
            tenant.id, "SMS", "+6281234567805", "otp_code", {"code": "246810", "minutes": 5}
        )
        pin = await queue_notice(
            tenant.id,
            "SMS",
            "+6281234567805",
            "report_received",
            {"ticket": "T-9", "pin": "13572468"},
        )
        for note in (code, pin):
            assert (await actors._notify(tenant, note, 1))[0] == "sent"
        bodies = [r.json()["text"] for r in sms.delivered()]
        assert "246810" in bodies[0] and "13572468" in bodies[1]
        for note in (code, pin):
            params = json.loads((await _row(owner, note))["params"])
            assert "code" not in params and "pin" not in params, params
        assert json.loads((await _row(owner, pin))["params"])["ticket"] == "T-9"
        # Dead: the code goes, the PIN stays for a retry.
        sms.status = 500
        dead_code = await queue_notice(
            tenant.id, "SMS", "+6281234567806", "otp_code", {"code": "112233", "minutes": 5}
        )
        dead_pin = await queue_notice(
            tenant.id,
            "SMS",
            "+6281234567806",
            "report_received",
            {"ticket": "T-8", "pin": "99887766"},
        )
        for note in (dead_code, dead_pin):
            for attempt in range(1, 10):
                if (await actors._notify(tenant, note, attempt))[0] == "dead":
                    break
        assert "code" not in json.loads((await _row(owner, dead_code))["params"])
        assert json.loads((await _row(owner, dead_pin))["params"])["pin"] == "99887766"
    finally:
        sms.stop()


# --- other commands, other citizens, parallel duplicates ---


async def test_a_code_for_one_command_means_nothing_at_another(settings, owner, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    for tenant in (a, b):
        await enable_gateway(tenant.id, "SMS")
    async with proxied_app(settings) as client:
        who = fresh_client()
        typed, _ = new_phone()
        code = await phone_code(client, owner, a, typed, who)
        at_b = await verify_phone(client, b.slug, typed, code, who, consent=NOTICE_VERSION)
        assert at_b.status_code == 401 and at_b.json()["code"] == "INVALID_CODE"
        at_a = await verify_phone(client, a.slug, typed, code, who, consent=NOTICE_VERSION)
        assert at_a.status_code == 200, at_a.text  # B's refusal did not spend A's code


async def test_parallel_duplicates_make_one_channel(app_client, settings, owner):
    """The same addNotificationChannel eight times at once (one clientKey) is one channel;
    twelve different addresses at once stop at the cap of 10; submitReport with notify six
    times at once under one clientKey is one report with one channel."""
    tenant = await onboard("minimal")
    await enable_gateway(tenant.id, "SMS")
    await enable_gateway(tenant.id, "EMAIL")
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    path = f"/t/{tenant.slug}/graphql"
    key = uuid.uuid4().hex
    same = await asyncio.gather(
        *[
            gql(
                app_client,
                path,
                ADD_CHANNEL,
                citizen,
                i={
                    "noticeVersion": NOTICE_VERSION,
                    "channel": "SMS",
                    "address": "081234567890",
                    "clientKey": key,
                },
            )
            for _ in range(8)
        ]
    )
    assert len({s[1]["data"]["addNotificationChannel"]["channel"]["id"] for s in same}) == 1
    many = await asyncio.gather(
        *[
            gql(
                app_client,
                path,
                ADD_CHANNEL,
                citizen,
                i={
                    "noticeVersion": NOTICE_VERSION,
                    "channel": "EMAIL",
                    "address": f"warga{n}@example.id",
                },
            )
            for n in range(12)
        ]
    )
    codes = sorted(
        tuple(e["code"] for e in m[1]["data"]["addNotificationChannel"]["errors"]) for m in many
    )
    assert codes == [()] * 9 + [("CONFLICT",)] * 3
    report_key = uuid.uuid4().hex
    made = await asyncio.gather(
        *[
            gql(
                app_client,
                path,
                SUBMIT_NOTIFY,
                None,
                input=report_input(
                    anonymous=True,
                    clientKey=report_key,
                    notify={"channel": "SMS", "address": "081234567891"},
                ),
            )
            for _ in range(6)
        ]
    )
    ids = {m[1]["data"]["submitReport"]["report"]["id"] for m in made}
    assert len(ids) == 1
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM notification_channels WHERE report_id = $1::uuid", ids.pop()
        )
        == 1
    )


async def test_another_citizen_never_sees_an_address(app_client, settings, owner):
    """A citizen cannot read a report's notifications (staff only), even their own, nor
    another citizen's channels; staff see addresses masked."""
    tenant = await onboard("minimal")
    await enable_gateway(tenant.id, "SMS")
    reporter = await auth_header(settings, Role.CITIZEN, tenant)
    other = await auth_header(settings, Role.CITIZEN, tenant)
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    path = f"/t/{tenant.slug}/graphql"
    await gql(
        app_client,
        path,
        ADD_CHANNEL,
        reporter,
        i={"noticeVersion": NOTICE_VERSION, "channel": "SMS", "address": "081234567892"},
    )
    made = await submit(app_client, tenant.slug, reporter)
    rid = made["report"]["id"]
    await act(app_client, tenant.slug, VERIFY, operator, id=rid)
    await act(app_client, tenant.slug, NOTE, operator, id=rid, n="Petugas menuju lokasi", p=True)
    query = "query($r: ID!) { notifications(reportId: $r) { address } }"
    for who in (reporter, other):
        _, body = await gql(app_client, path, query, who, r=rid)
        assert body["data"]["notifications"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, body = await gql(app_client, path, "{ myNotificationChannels { address } }", other)
    assert body["data"]["myNotificationChannels"] == []
    _, body = await gql(app_client, path, query, operator, r=rid)
    addresses = {n["address"] for n in body["data"]["notifications"]}
    assert addresses == {"+62812****7892"}
    assert "081234567892" not in json.dumps(body) and "+6281234567892" not in json.dumps(body)


def test_national_and_platform_schemas_expose_no_citizen_contact():
    """The national (oversight) and platform schemas carry no notification type, no
    channel address and no reporter phone: only ``Me.phone``, the caller's own."""
    for name in ("national.graphql", "platform.graphql"):
        sdl = (SCHEMA / name).read_text()
        for word in ("Notification", "reporterPhone", "Reporter ", "intake", "PushSubscription"):
            assert word not in sdl, (name, word)
        fields = [line.strip() for line in sdl.splitlines() if FIELD.match(line.strip())]
        assert fields == ["phone: String"], (name, fields)  # Me.phone


@pytest.mark.parametrize("connector", ["webhook", "open311"])
async def test_a_trickling_agency_fails_within_its_timeout(
    rude, app_client, settings, owner, connector
):
    """The same kind for agency dispatches: a webhook or Open311 server that trickles
    header bytes fails the attempt within the agency's timeout (its lease is that plus a
    margin), so the sweep never sends the dispatch twice."""
    actors, server, _ = rude
    tenant = await onboard("minimal", modules=["integrations"])
    trickle = server("trickle")
    extra = {"timeoutSeconds": 1}
    if connector == "open311":
        extra |= {"serviceCodes": {"FALLEN_TREE": "tree-down"}}
    _, rid, _ = await dispatched_report(
        app_client,
        settings,
        tenant,
        url=trickle.url,
        connector=connector,
        code=f"TRICKLE-{connector.upper()}",
        **extra,
    )
    dispatch_id = await owner.fetchval("SELECT id FROM dispatches WHERE report_id = $1::uuid", rid)
    started = time.monotonic()
    outcome = await actors._deliver(tenant, dispatch_id, 0)  # the first attempt
    took = time.monotonic() - started
    row = await owner.fetchrow(
        "SELECT status, attempts, last_error FROM dispatches WHERE id = $1", dispatch_id
    )
    # The attempt is counted and the next one scheduled (a dispatch waits as PENDING).
    assert (outcome, row["status"], row["attempts"]) == ("failed", "PENDING", 1), dict(row)
    assert took < 5 and "Timeout" in row["last_error"], (took, dict(row))
