"""Reports by WhatsApp and SMS (issue 17, tenants/intake/), from outside: signed webhooks
posted over HTTP become conversations that ask for what is missing, then one anonymous
report with its channel, answered with the ticket and PIN on the same channel."""

from __future__ import annotations

import asyncio
import json

import httpx
from helpers import (
    MALANG,
    SMS_SECRET,
    TRACK,
    VERIFY,
    WA_VERIFY_TOKEN,
    a_sender,
    act,
    auth_header,
    gql,
    hub_signature,
    intake_replies,
    post_sms,
    post_whatsapp,
    set_intake_gateways,
    sign,
    wa_body,
    wa_message,
    wa_say,
)

from jogo.platform import registry
from jogo.platform.auth.roles import Role
from jogo.tenants.intake import flow
from jogo.tenants.intake.inbound import parse_whatsapp, signed

DESCRIPTION = "Ada pohon tumbang menutup jalan di depan sekolah, motor tidak bisa lewat."
REPORT = """query($id: ID!) { report(id: $id) { ticket channel status category { code } } }"""


async def _counts(owner, tenant_id):
    return await owner.fetchrow(
        "SELECT (SELECT count(*) FROM intake_conversations WHERE tenant_id = $1) AS conversations,"
        " (SELECT count(*) FROM intake_messages WHERE tenant_id = $1) AS messages,"
        " (SELECT count(*) FROM notifications WHERE tenant_id = $1) AS notifications,"
        " (SELECT count(*) FROM reports WHERE tenant_id = $1) AS reports",
        tenant_id,
    )


async def _second_category(owner, tenant_id):
    return await owner.fetchval(
        "SELECT code FROM report_categories WHERE tenant_id = $1 AND is_active"
        " ORDER BY sort_order, name_id, code OFFSET 1 LIMIT 1",
        tenant_id,
    )


async def _reports_of(owner, tenant_id, phone):
    return await owner.fetch(
        "SELECT r.id, r.ticket, r.channel, r.reporter_phone, r.anonymous, r.latitude,"
        " r.longitude, r.address, c.code FROM reports r JOIN report_categories c"
        " ON c.tenant_id = r.tenant_id AND c.id = r.category_id"
        " WHERE r.tenant_id = $1 AND r.reporter_phone = $2",
        tenant_id,
        phone,
    )


async def _to_place_step(client, slug, sender):
    await wa_say(client, slug, sender, body=DESCRIPTION)
    await wa_say(client, slug, sender, body="2")


async def test_a_whatsapp_conversation_becomes_one_report_and_hears_back(
    app_client, settings, owner, two_tenants
):
    tenant = two_tenants.a
    await set_intake_gateways(tenant, settings)
    sender = a_sender()
    phone = "+" + sender
    answer = await wa_say(app_client, tenant.slug, sender, body=DESCRIPTION)
    assert answer == {"status": "ok", "messages": ["asked"]}
    replies = await intake_replies(owner, tenant.id, phone)
    assert [(r["channel"], r["template"]) for r in replies] == [("WHATSAPP", "intake_ask_category")]
    listed = replies[0]["params"]["categories"].splitlines()
    assert len(listed) >= 2 and listed[0].startswith("1. ") and listed[1].startswith("2. ")
    # A photo on the way is kept by its media id.
    await wa_say(app_client, tenant.slug, sender, "image", id="MEDIA-1", mime_type="image/jpeg")
    await wa_say(app_client, tenant.slug, sender, body="2")
    replies = await intake_replies(owner, tenant.id, phone)
    assert [r["template"] for r in replies][-1] == "intake_ask_place_whatsapp"
    answer = await wa_say(
        app_client,
        tenant.slug,
        sender,
        "location",
        latitude=MALANG[0],
        longitude=MALANG[1],
        name="SDN Klojen",
        address="Jl. Patimura, Klojen",
    )
    assert answer["messages"] == ["reported"]
    reports = await _reports_of(owner, tenant.id, phone)
    assert len(reports) == 1
    report = reports[0]
    assert report["channel"] == "WHATSAPP" and report["anonymous"]
    assert report["code"] == await _second_category(owner, tenant.id)
    assert (report["latitude"], report["longitude"]) == MALANG
    assert report["address"] == "SDN Klojen Jl. Patimura, Klojen"
    conversation = await owner.fetchrow(
        "SELECT step, report_id, media_ids, closed_at FROM intake_conversations"
        " WHERE tenant_id = $1 AND sender = $2",
        tenant.id,
        phone,
    )
    assert conversation["step"] == "DONE" and conversation["report_id"] == report["id"]
    assert conversation["media_ids"] == ["MEDIA-1"]
    received = (await intake_replies(owner, tenant.id, phone))[-1]
    assert received["template"] == "report_received" and received["report_id"] == report["id"]
    assert received["params"]["ticket"] == report["ticket"]
    pin = received["params"]["pin"]
    assert pin and pin.isdigit()
    channel = await owner.fetchrow(
        "SELECT channel, address FROM notification_channels WHERE tenant_id = $1"
        " AND report_id = $2",
        tenant.id,
        report["id"],
    )
    assert tuple(channel) == ("WHATSAPP", phone)
    # The PIN tracks the report.
    status, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", TRACK, t=report["ticket"], p=pin
    )
    assert status == 200 and body["data"]["trackReport"]["ticket"] == report["ticket"], body
    # Operators see the channel.
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    status, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", REPORT, admin, id=str(report["id"])
    )
    assert body["data"]["report"]["channel"] == "WHATSAPP", body
    # A later status change goes back on WhatsApp.
    await act(app_client, tenant.slug, VERIFY, admin, id=str(report["id"]))
    last = (await intake_replies(owner, tenant.id, phone))[-1]
    assert (last["channel"], last["template"]) == ("WHATSAPP", "report_status")
    assert last["params"]["status"] == "VERIFIED"


async def test_an_sms_conversation_places_words_at_the_command(
    app_client, settings, owner, two_tenants
):
    tenant = two_tenants.a
    await set_intake_gateways(tenant, settings)
    sender = "0812" + a_sender()[-8:]
    phone = "+62" + sender[1:]
    for text in ("halo", DESCRIPTION, "xyz", "99", "1"):
        response = await post_sms(app_client, tenant.slug, sender, text)
        assert response.status_code == 200, response.text
    templates = [r["template"] for r in await intake_replies(owner, tenant.id, phone)]
    # "halo" is greeted; "xyz" and "99" are not categories.
    assert templates[:5] == [
        "intake_ask_description",
        "intake_ask_category",
        "intake_category_unknown",
        "intake_category_unknown",
        "intake_ask_place_sms",
    ]
    assert templates[-1] == "intake_ask_place_sms"
    response = await post_sms(app_client, tenant.slug, sender, "Jl. Kawi depan pasar, Klojen")
    assert response.json()["messages"] == ["reported"]
    reports = await _reports_of(owner, tenant.id, phone)
    assert len(reports) == 1 and reports[0]["channel"] == "SMS"
    assert reports[0]["address"].startswith("Jl. Kawi depan pasar, Klojen")
    # The test command has no jurisdiction: the middle of its posts and agencies.
    assert -8.5 < reports[0]["latitude"] < -7.5 and 112 < reports[0]["longitude"] < 113
    received = (await intake_replies(owner, tenant.id, phone))[-1]
    assert (received["channel"], received["template"]) == ("SMS", "report_received")
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        TRACK,
        t=reports[0]["ticket"],
        p=received["params"]["pin"],
    )
    assert body["data"]["trackReport"]["ticket"] == reports[0]["ticket"], body
    # Coordinates in a text place it exactly.
    other = "0812" + a_sender()[-8:]
    for text in (DESCRIPTION, "1", "di sini -7.9800, 112.6300 dekat masjid"):
        await post_sms(app_client, tenant.slug, other, text)
    placed = await _reports_of(owner, tenant.id, "+62" + other[1:])
    assert (placed[0]["latitude"], placed[0]["longitude"]) == (-7.98, 112.63)


async def test_forged_and_missing_signatures_change_nothing(
    app_client, settings, owner, two_tenants
):
    tenant = two_tenants.a
    await set_intake_gateways(tenant, settings)
    before = await _counts(owner, tenant.id)
    body = wa_body(wa_message(a_sender(), body=DESCRIPTION))
    forged = [
        None,
        "",
        "sha256=" + "0" * 64,
        hub_signature(body, "another-secret"),
        hub_signature(body + b" "),
        hub_signature(body)[7:] + "00",
    ]
    for signature in forged:
        response = await post_whatsapp(app_client, tenant.slug, body, signature)
        assert response.status_code == 401, (signature, response.text)
    response = await post_sms(app_client, tenant.slug, "081234567890", DESCRIPTION, secret=None)
    assert response.status_code == 401
    response = await post_sms(app_client, tenant.slug, "081234567890", DESCRIPTION, secret="x")
    assert response.status_code == 401
    assert await _counts(owner, tenant.id) == before


async def test_the_verification_challenge(app_client, settings, two_tenants):
    tenant = two_tenants.a
    path = f"/t/{tenant.slug}/intake/whatsapp"
    good = {
        "hub.mode": "subscribe",
        "hub.verify_token": WA_VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    assert (await app_client.get(path, params=good)).status_code == 404  # no gateway yet
    await set_intake_gateways(tenant, settings)
    response = await app_client.get(path, params=good)
    assert response.status_code == 200 and response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")
    for wrong in (
        {"hub.verify_token": "guess"},
        {"hub.mode": "unsubscribe"},
        {"hub.challenge": ""},
    ):
        assert (await app_client.get(path, params=good | wrong)).status_code == 403
    assert (await app_client.get(path)).status_code == 403
    assert (
        await app_client.get("/t/no-such-command/intake/whatsapp", params=good)
    ).status_code == 404
    # The other command has no gateway: the same 404 as an unknown one.
    other = f"/t/{two_tenants.b.slug}/intake/whatsapp"
    assert (await app_client.get(other, params=good)).status_code == 404
    sms = await post_sms(app_client, two_tenants.b.slug, "081234567890", DESCRIPTION)
    assert sms.status_code == 404


async def test_an_expired_conversation_makes_no_report(app_client, settings, owner, two_tenants):
    tenant = two_tenants.a
    await set_intake_gateways(tenant, settings)
    sender = a_sender()
    await _to_place_step(app_client, tenant.slug, sender)
    await owner.execute(
        "UPDATE intake_conversations SET expires_at = now() - interval '1 minute'"
        " WHERE tenant_id = $1 AND sender = $2",
        tenant.id,
        "+" + sender,
    )
    answer = await wa_say(
        app_client, tenant.slug, sender, "location", latitude=MALANG[0], longitude=MALANG[1]
    )
    assert answer["messages"] == ["asked"]
    rows = await owner.fetch(
        "SELECT step, closed_at IS NOT NULL AS closed, latitude, description"
        " FROM intake_conversations WHERE tenant_id = $1 AND sender = $2 ORDER BY created_at",
        tenant.id,
        "+" + sender,
    )
    assert [(r["step"], r["closed"]) for r in rows] == [("EXPIRED", True), ("DESCRIPTION", False)]
    assert rows[1]["latitude"] == MALANG[0] and rows[1]["description"] is None
    assert await _reports_of(owner, tenant.id, "+" + sender) == []
    last = (await intake_replies(owner, tenant.id, "+" + sender))[-1]
    assert last["template"] == "intake_ask_description"


async def test_cancel_ends_the_conversation(app_client, settings, owner, two_tenants):
    tenant = two_tenants.a
    await set_intake_gateways(tenant, settings)
    sender = a_sender()
    await _to_place_step(app_client, tenant.slug, sender)
    assert (await wa_say(app_client, tenant.slug, sender, body="BATAL"))["messages"] == [
        "cancelled"
    ]
    await wa_say(
        app_client, tenant.slug, sender, "location", latitude=MALANG[0], longitude=MALANG[1]
    )
    assert await _reports_of(owner, tenant.id, "+" + sender) == []
    steps = await owner.fetch(
        "SELECT step FROM intake_conversations WHERE tenant_id = $1 AND sender = $2"
        " ORDER BY created_at",
        tenant.id,
        "+" + sender,
    )
    assert [s["step"] for s in steps] == ["CANCELLED", "DESCRIPTION"]
    templates = [r["template"] for r in await intake_replies(owner, tenant.id, "+" + sender)]
    assert "intake_cancelled" in templates


async def test_parallel_duplicate_deliveries_make_one_report(
    live_server, settings, owner, two_tenants
):
    tenant = two_tenants.a
    await set_intake_gateways(tenant, settings)
    sender = a_sender()
    phone = "+" + sender
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        first = wa_body(wa_message(sender, body=DESCRIPTION, message_id="wamid.first"))
        answers = await asyncio.gather(
            *(post_whatsapp(client, tenant.slug, first) for _ in range(6))
        )
        assert sorted(r.json()["messages"][0] for r in answers) == ["asked"] + ["duplicate"] * 5
        await wa_say(client, tenant.slug, sender, body="2")
        last = wa_body(
            wa_message(sender, "location", "wamid.last", latitude=MALANG[0], longitude=MALANG[1])
        )
        answers = await asyncio.gather(
            *(post_whatsapp(client, tenant.slug, last) for _ in range(8))
        )
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    outcomes = [r.json()["messages"][0] for r in answers]
    assert outcomes.count("reported") >= 1 and set(outcomes) <= {"reported", "duplicate"}
    reports = await _reports_of(owner, tenant.id, phone)
    assert len(reports) == 1
    templates = [r["template"] for r in await intake_replies(owner, tenant.id, phone)]
    assert templates == ["intake_ask_category", "intake_ask_place_whatsapp", "report_received"]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM intake_conversations WHERE tenant_id = $1 AND sender = $2",
            tenant.id,
            phone,
        )
        == 1
    )


async def test_two_commands_keep_their_messages_apart(app_client, settings, owner, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    await set_intake_gateways(a, settings)
    await set_intake_gateways(b, settings, app_secret="b-app-secret", sms_secret="b-sms-secret")
    sender = a_sender()
    body = wa_body(wa_message(sender, body=DESCRIPTION))
    before_b = await _counts(owner, b.id)
    # Signed for A, posted to B: refused, and B is unchanged.
    response = await post_whatsapp(app_client, b.slug, body, hub_signature(body))
    assert response.status_code == 401
    sms = await post_sms(app_client, b.slug, "081234567890", DESCRIPTION, secret=SMS_SECRET)
    assert sms.status_code == 401
    assert await _counts(owner, b.id) == before_b
    # The same person talks to both: two conversations, each command sees its own.
    assert (await post_whatsapp(app_client, a.slug, body)).json()["messages"] == ["asked"]
    other = wa_body(wa_message(sender, body="Lampu lalu lintas di perempatan mati total."))
    response = await post_whatsapp(app_client, b.slug, other, hub_signature(other, "b-app-secret"))
    assert response.json()["messages"] == ["asked"]
    rows = await owner.fetch(
        "SELECT tenant_id, description FROM intake_conversations WHERE sender = $1",
        "+" + sender,
    )
    assert {r["tenant_id"]: r["description"] for r in rows} == {
        a.id: DESCRIPTION,
        b.id: "Lampu lalu lintas di perempatan mati total.",
    }
    # The same message id at two commands is two messages.
    again = await post_whatsapp(app_client, b.slug, body, hub_signature(body, "b-app-secret"))
    assert again.json()["messages"] == ["asked"]


async def test_odd_bodies_are_refused_or_ignored_never_500(
    app_client, settings, owner, two_tenants
):
    tenant = two_tenants.a
    await set_intake_gateways(tenant, settings)
    before = await _counts(owner, tenant.id)
    huge = b'{"object": "whatsapp_business_account", "pad": "' + b"x" * 70_000 + b'"}'
    response = await post_whatsapp(app_client, tenant.slug, huge)
    assert response.status_code == 413
    response = await post_sms(app_client, tenant.slug, "081234567890", "x" * 70_000)
    assert response.status_code == 413
    for raw in (b"", b"not json", b"[1, 2]", b'{"entry": "x"}', b"[" * 5000 + b"]" * 5000):
        response = await post_whatsapp(app_client, tenant.slug, raw)
        assert response.status_code in (200, 400), (raw[:20], response.text)
    statuses = wa_body(statuses=[{"id": "wamid.x", "status": "delivered", "recipient_id": "1"}])
    response = await post_whatsapp(app_client, tenant.slug, statuses)
    assert response.json() == {"status": "ok", "messages": []}
    sticker = wa_body(wa_message(a_sender(), "sticker", id="S1"), {"from": "x", "id": "y"})
    assert (await post_whatsapp(app_client, tenant.slug, sticker)).status_code == 200
    for payload in ({"from": "12", "text": "x", "id": "1"}, {"from": "081234567890", "id": 5}):
        data = json.dumps(payload).encode()
        response = await app_client.post(
            f"/t/{tenant.slug}/intake/sms",
            content=data,
            headers={"X-Jogo-Signature": sign(data, SMS_SECRET)},
        )
        assert response.status_code == 400, response.text
    after = await _counts(owner, tenant.id)
    assert after["reports"] == before["reports"]
    await owner.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", tenant.id)
    try:
        registry.clear_cache()
        body = wa_body(wa_message(a_sender(), body=DESCRIPTION))
        assert (await post_whatsapp(app_client, tenant.slug, body)).status_code == 404
    finally:
        await owner.execute("UPDATE tenants SET status = 'ACTIVE' WHERE id = $1", tenant.id)
        registry.clear_cache()


def test_the_conversation_rules():
    categories = [
        flow.Category("CRIME", "Kriminalitas", "Crime"),
        flow.Category("FALLEN_TREE", "Pohon Tumbang", "Fallen tree"),
        flow.Category("TRAFFIC", "Lalu Lintas", "Traffic"),
    ]
    assert flow.match_category("2", categories).code == "FALLEN_TREE"
    assert flow.match_category(" 3. ", categories).code == "TRAFFIC"
    assert flow.match_category("pohon", categories).code == "FALLEN_TREE"
    assert flow.match_category("crime", categories).code == "CRIME"
    assert flow.match_category("4", categories) is None
    assert flow.match_category("0", categories) is None
    assert flow.match_category("li", categories) is None
    assert flow.coordinates_in("lokasi -7.98,112.63") == (-7.98, 112.63)
    assert flow.coordinates_in("lokasi 48.85, 2.35") is None  # Paris
    assert flow.title_of("Ada pohon tumbang di jalan Ijen dekat gereja katedral pagi ini") == (
        "Ada pohon tumbang di jalan Ijen dekat gereja …"
    )
    state, reply = flow.apply(flow.State(), flow.Message("SMS", "TEXT", "batal"), categories)
    assert state.step == "CANCELLED" and reply.template == "intake_cancelled"
    state, reply = flow.apply(flow.State(), flow.Message("SMS", "TEXT", DESCRIPTION), categories)
    assert state.step == "CATEGORY" and "3. Lalu Lintas" in reply.params["categories"]
    state, reply = flow.apply(state, flow.Message("SMS", "TEXT", "Pohon Tumbang"), categories)
    state, reply = flow.apply(state, flow.Message("SMS", "TEXT", "Jl. Ijen"), categories, None)
    assert state.step == "PLACE" and reply.template == "intake_place_unknown_sms"
    state, reply = flow.apply(state, flow.Message("SMS", "TEXT", "Jl. Ijen"), categories, MALANG)
    assert state.step == "SUBMITTING" and reply is None and state.latitude == MALANG[0]


def test_whatsapp_webhooks_are_read_and_checked():
    body = wa_body(
        wa_message("6281234567890", body="halo"),
        wa_message("6281234567890", "location", latitude="-7.9", longitude=112.6),
        wa_message("6281234567890", "image", id="M1", caption="foto"),
        wa_message("not-a-number", body="x"),
    )
    found = parse_whatsapp(body)
    assert [(m.kind, m.sender) for m in found] == [
        ("TEXT", "+6281234567890"),
        ("LOCATION", "+6281234567890"),
        ("IMAGE", "+6281234567890"),
    ]
    assert found[1].latitude == -7.9 and found[2].media_id == "M1" and found[2].text == "foto"
    assert signed("s", b"x", hub_signature(b"x", "s"))
    assert signed("s", b"x", hub_signature(b"x", "s")[7:].upper())
    assert not signed("", b"x", hub_signature(b"x", ""))
    assert not signed("s", b"x", None)


async def test_one_senders_messages_at_once_share_one_conversation(
    live_server, settings, owner, two_tenants
):
    tenant = two_tenants.a
    await set_intake_gateways(tenant, settings)
    sender = a_sender()
    bodies = [
        wa_body(wa_message(sender, body=DESCRIPTION)),
        *(wa_body(wa_message(sender, "image", id=f"P{n}")) for n in range(4)),
    ]
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        answers = await asyncio.gather(*(post_whatsapp(client, tenant.slug, b) for b in bodies))
    assert [r.status_code for r in answers] == [200] * len(bodies), [r.text for r in answers]
    rows = await owner.fetch(
        "SELECT step, description, media_ids FROM intake_conversations"
        " WHERE tenant_id = $1 AND sender = $2",
        tenant.id,
        "+" + sender,
    )
    assert len(rows) == 1 and rows[0]["description"] == DESCRIPTION
    assert sorted(rows[0]["media_ids"]) == ["P0", "P1", "P2", "P3"]
    assert rows[0]["step"] == "CATEGORY"


SET_WHATSAPP = """mutation($input: SetNotificationGatewayInput!) {
  setNotificationGateway(input: $input) {
    gateway { kind verifyToken hasAppSecret hasSecret }
    errors { code field message } } }"""


async def test_a_tenant_admin_sets_up_whatsapp_intake_through_graphql(
    app_client, settings, owner, two_tenants
):
    """The verify token and the app secret are set with setNotificationGateway; the app
    secret is stored encrypted, kept when left out, never shown or audited; another
    command's webhook signed with it is refused."""
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    app_secret = "another-meta-app-secret-0123"
    base = {
        "kind": "WHATSAPP",
        "phoneNumberId": "105512345678",
        "secret": "access-token-0123456789",
    }
    short = await gql(
        app_client,
        f"/t/{a.slug}/graphql",
        SET_WHATSAPP,
        admin,
        input=base | {"verifyToken": "short", "appSecret": "short"},
    )
    errors = short[1]["data"]["setNotificationGateway"]["errors"]
    assert {e["field"] for e in errors} == {"verifyToken", "appSecret"}
    status, body = await gql(
        app_client,
        f"/t/{a.slug}/graphql",
        SET_WHATSAPP,
        admin,
        input=base | {"verifyToken": WA_VERIFY_TOKEN + "-gql", "appSecret": app_secret},
    )
    assert status == 200 and body["data"]["setNotificationGateway"]["errors"] == [], body
    assert body["data"]["setNotificationGateway"]["gateway"]["hasAppSecret"] is True
    # Set again without the app secret: it is kept.
    await gql(
        app_client,
        f"/t/{a.slug}/graphql",
        SET_WHATSAPP,
        admin,
        input=base | {"verifyToken": WA_VERIFY_TOKEN + "-gql"},
    )
    challenge = await app_client.get(
        f"/t/{a.slug}/intake/whatsapp",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": WA_VERIFY_TOKEN + "-gql",
            "hub.challenge": "42",
        },
    )
    assert (challenge.status_code, challenge.text) == (200, "42")
    sender = a_sender()
    body_bytes = wa_body(
        wa_message(sender, body="Ada pohon tumbang menutup jalan raya"),
        phone_number_id="105512345678",
    )
    signed = await post_whatsapp(
        app_client, a.slug, body_bytes, signature=hub_signature(body_bytes, app_secret)
    )
    assert signed.status_code == 200, signed.text
    stored = await owner.fetchval(
        "SELECT config::text FROM notification_gateways WHERE tenant_id = $1 AND kind = 'WHATSAPP'",
        a.id,
    )
    assert app_secret not in stored and "app_secret_enc" in stored
    audit = await owner.fetch("SELECT detail::text AS d FROM audit_log WHERE tenant = $1", a.id)
    assert not any(app_secret in r["d"] or "app_secret_enc" in r["d"] for r in audit)
    # B has no such gateway: the same signed body posted to B changes nothing there.
    refused = await post_whatsapp(
        app_client, b.slug, body_bytes, signature=hub_signature(body_bytes, app_secret)
    )
    assert refused.status_code == 404
