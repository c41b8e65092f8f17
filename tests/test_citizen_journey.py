"""Issue 17 end to end, on real RabbitMQ and real local gateways (tests/notify_fakes.py):
a citizen signs up with the code the SMS gateway actually delivered, chooses SMS for
news, reports, and hears of the status change by SMS; a WhatsApp conversation becomes a
report whose ticket and PIN come back on WhatsApp, the PIN tracks it, and its status
change goes back on WhatsApp."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from helpers import (
    TRACK,
    VERIFY,
    a_sender,
    act,
    auth_header,
    eventually,
    gql,
    hub_signature,
    onboard,
    post_whatsapp,
    start_phone,
    submit,
    verify_phone,
    wa_body,
    wa_message,
)
from notify_fakes import HttpFake

from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.auth.roles import Role

NUMBER_ID = "106540352242922"
APP_SECRET = "journey-meta-app-secret-01"
SET = """mutation($i: SetNotificationGatewayInput!) { setNotificationGateway(input: $i) {
  errors { code field message } } }"""
ADD = """mutation($i: AddNotificationChannelInput!) { addNotificationChannel(input: $i) {
  channel { channel address } errors { code field message } } }"""


@pytest.fixture
def gateways():
    made = {
        "wa": HttpFake(reply={"messages": [{"id": "wamid.X"}]}).start(),
        "sms": HttpFake().start(),
    }
    yield made
    for fake in made.values():
        fake.stop()


async def _set(client: Any, slug: str, admin: dict, **data: Any) -> None:
    status, body = await gql(client, f"/t/{slug}/graphql", SET, admin, i=data)
    assert status == 200 and body["data"]["setNotificationGateway"]["errors"] == [], body


def _texts(fake: HttpFake, key: str) -> list[str]:
    return [r.json()[key] if key == "text" else r.json()["text"]["body"] for r in fake.delivered()]


async def _next_text(fake: HttpFake, count: int, key: str) -> str:
    await fake.wait_for(count)
    return _texts(fake, key)[count - 1]


async def test_sign_up_by_the_delivered_code_then_hear_of_a_status_change_by_sms(
    app_client, settings, owner, worker, relay, gateways
):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    await _set(
        app_client,
        tenant.slug,
        admin,
        kind="SMS",
        endpoint=gateways["sms"].url + "/send",
        secret="sms-signing-secret-000001",
    )
    started = await start_phone(app_client, tenant.slug, "0812 7000 1234")
    assert started.status_code == 200, started.text
    otp = await _next_text(gateways["sms"], 1, "text")
    assert gateways["sms"].delivered()[0].json()["to"] == "+6281270001234"
    code = re.search(r"\b(\d{6})\b", otp)
    assert code and "Kode masuk" in otp, otp
    # Sent: the code is no longer kept in clear on the notification.
    kept = await eventually_sent(owner, tenant.id, "otp_code")
    assert "code" not in kept, kept
    done = await verify_phone(
        app_client, tenant.slug, "0812 7000 1234", code.group(1), consent=NOTICE_VERSION
    )
    assert done.status_code == 200, done.text
    citizen = {"Authorization": f"Bearer {done.json()['access_token']}"}
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        ADD,
        citizen,
        i={"noticeVersion": NOTICE_VERSION, "channel": "SMS", "address": "0812 7000 1234"},
    )
    assert body["data"]["addNotificationChannel"]["errors"] == [], body
    made = await submit(app_client, tenant.slug, citizen)
    rid, ticket = made["report"]["id"], made["report"]["ticket"]
    assert (await act(app_client, tenant.slug, VERIFY, admin, id=rid))["errors"] == []
    news = await _next_text(gateways["sms"], 2, "text")
    assert ticket in news and "Terverifikasi" in news, news


async def test_a_whatsapp_conversation_reports_and_hears_back_on_whatsapp(
    app_client, settings, owner, worker, relay, gateways
):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    await _set(
        app_client,
        tenant.slug,
        admin,
        kind="WHATSAPP",
        endpoint=gateways["wa"].url + "/v21.0",
        phoneNumberId=NUMBER_ID,
        secret="EAAG-journey-access-token-01",
        verifyToken="journey-verify-token-01",
        appSecret=APP_SECRET,
    )
    sender = a_sender()

    async def say(kind: str = "text", **content: Any) -> None:
        body = wa_body(wa_message(sender, kind, **content), phone_number_id=NUMBER_ID)
        answer = await post_whatsapp(
            app_client, tenant.slug, body, signature=hub_signature(body, APP_SECRET)
        )
        assert answer.status_code == 200, answer.text

    await say(body="Lampu lalu lintas mati di perempatan, macet panjang")
    asked = await _next_text(gateways["wa"], 1, "body")
    assert "1." in asked, asked  # the numbered categories
    await say(body="1")
    await _next_text(gateways["wa"], 2, "body")
    await say("location", latitude=-7.9826, longitude=112.6308, name="Alun-alun")
    received = await _next_text(gateways["wa"], 3, "body")
    ticket = re.search(r"Tiket: (\S+)\.", received)
    pin = re.search(r"PIN: (\d+)", received)
    assert ticket and pin, received
    assert "pin" not in await eventually_sent(owner, tenant.id, "report_received")
    assert gateways["wa"].delivered()[2].json()["to"] == "+" + sender
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", TRACK, None, t=ticket.group(1), p=pin.group(1)
    )
    tracked = body["data"]["trackReport"]
    assert tracked is not None, body
    rid = await _report_id(app_client, tenant.slug, admin, ticket.group(1))
    assert (await act(app_client, tenant.slug, VERIFY, admin, id=rid))["errors"] == []
    news = await _next_text(gateways["wa"], 4, "body")
    assert ticket.group(1) in news and "Terverifikasi" in news, news


async def eventually_sent(owner: Any, tenant_id: Any, template: str) -> dict:
    """The params of the tenant's ``template`` notification once it is SENT."""

    async def params() -> dict | None:
        row = await owner.fetchrow(
            "SELECT params FROM notifications WHERE tenant_id = $1 AND template = $2"
            " AND status = 'SENT'",
            tenant_id,
            template,
        )
        return json.loads(row["params"]) if row else None

    found = await eventually(params, f"{template} sent")
    return dict(found)


async def _report_id(client: Any, slug: str, admin: dict, ticket: str) -> str:
    _, body = await gql(
        client,
        f"/t/{slug}/graphql",
        "query { reports(first: 20) { edges { node { id ticket channel } } } }",
        admin,
    )
    [node] = [e["node"] for e in body["data"]["reports"]["edges"] if e["node"]["ticket"] == ticket]
    assert node["channel"] == "WHATSAPP"
    return str(node["id"])
