"""Attacks on personal data under UU PDP (issue 21): data-subject requests, erasure,
legal holds, retention, the breach register and the records of processing. Two
commands throughout; every case here was a real problem once."""

from __future__ import annotations

import asyncio
import json
import uuid

from helpers import (
    FULFIL_REQUEST,
    REQUEST_MY_DATA,
    SET_LEGAL_HOLD,
    VERIFY,
    auth_header,
    bearer_for,
    gql,
    make_user,
    submit,
    subscribe_webhook,
    text_columns_holding,
)

from jogo.platform import db
from jogo.platform.auth.roles import Role
from jogo.platform.registry import find_by_id
from jogo.tenants.webhooks import delivery

URL = "http://127.0.0.1:9/hooks"  # never called: the body is built by leasing, not sent
ADD_CHANNEL = """mutation($i: AddNotificationChannelInput!) { addNotificationChannel(input: $i) {
  errors { code field message } } }"""


def path(tenant) -> str:
    return f"/t/{tenant.slug}/graphql"


async def citizen(settings, tenant) -> tuple[dict, uuid.UUID]:
    user_id, username = await make_user(Role.CITIZEN, tenant)
    return bearer_for(user_id, username, settings), user_id


async def erase(client, settings, tenant, headers) -> dict:
    _, asked = await gql(client, path(tenant), REQUEST_MY_DATA, headers, input={"right": "ERASURE"})
    request_id = asked["data"]["requestMyData"]["request"]["id"]
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    _, done = await gql(client, path(tenant), FULFIL_REQUEST, operator, id=request_id)
    assert "errors" not in done, done
    return done["data"]["fulfilDataSubjectRequest"]


async def test_erasure_scrubs_the_reporter_from_stored_webhook_bodies(
    app_client, owner, settings, two_tenants
):
    """The stored body is ``{type, timestamp, command, data: {report, reporter}}``: the
    reporter block sits under ``data``, and a replay re-sends the stored body as it is."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    made = await subscribe_webhook(
        app_client, a.slug, admin, URL, ["REPORT_SUBMITTED"], reporterIdentity=True
    )
    assert made["errors"] == [], made
    headers, _ = await citizen(settings, a)
    name = f"Wagiyem W{uuid.uuid4().hex[:8]}"
    phone = f"+62812{uuid.uuid4().int % 10**8:08d}"
    report = (await submit(app_client, a.slug, headers, reporterName=name, reporterPhone=phone))[
        "report"
    ]
    tenant = await find_by_id(a.id)
    assert tenant is not None
    deliveries = await owner.fetch(
        "SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND report_id = $2::uuid",
        a.id,
        report["id"],
    )
    assert deliveries
    for d in deliveries:
        async with db.tenant_tx(a.id):
            job = await delivery.lease(tenant, d["id"], 0)
        assert isinstance(job, delivery.Job)
        assert json.loads(job.body)["data"]["reporter"]["name"] == name
    assert "webhook_deliveries.payload" in await text_columns_holding(owner, [name])

    done = await erase(app_client, settings, a, headers)
    assert done["errors"] == [] and done["request"]["status"] == "DONE", done
    assert await text_columns_holding(owner, [name, phone[1:]]) == []
    stored = await owner.fetchval(
        "SELECT payload::text FROM webhook_deliveries WHERE id = $1", deliveries[0]["id"]
    )
    assert '"reporter"' not in stored and report["id"] in stored


async def test_erasure_stops_queued_notifications_to_the_erased_address(
    app_client, owner, settings, two_tenants
):
    """A notification still waiting to go loses its address: it must not then be sent
    to ``dihapus:<id>`` through the command's gateway."""
    a = two_tenants.a
    await owner.execute(
        "INSERT INTO notification_gateways (tenant_id, kind, config, enabled)"
        " VALUES ($1, 'EMAIL', '{\"host\": \"smtp.example.id\"}', true) ON CONFLICT DO NOTHING",
        a.id,
    )
    headers, _ = await citizen(settings, a)
    email = f"warga.{uuid.uuid4().hex[:8]}@contoh.id"
    _, added = await gql(
        app_client, path(a), ADD_CHANNEL, headers, i={"channel": "EMAIL", "address": email}
    )
    assert added["data"]["addNotificationChannel"]["errors"] == [], added
    report = (await submit(app_client, a.slug, headers))["report"]
    operator = await auth_header(settings, Role.OPERATOR, a)
    _, verified = await gql(app_client, path(a), VERIFY, operator, id=report["id"])
    assert verified["data"]["verifyReport"]["errors"] == []
    queued = await owner.fetch(
        "SELECT id, status FROM notifications WHERE tenant_id = $1 AND address = $2", a.id, email
    )
    assert queued and all(q["status"] == "PENDING" for q in queued)

    done = await erase(app_client, settings, a, headers)
    assert done["errors"] == [], done
    after = await owner.fetch(
        "SELECT address, status FROM notifications WHERE id = ANY($1::uuid[])",
        [q["id"] for q in queued],
    )
    assert all(r["address"].startswith("dihapus:") for r in after)
    assert {r["status"] for r in after} == {"DEAD"}
