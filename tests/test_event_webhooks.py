"""Event webhooks (issue 20 part 1) on real RabbitMQ: outbox → relay → Dramatiq → a real
local HTTP server playing the integrator's endpoint, which verifies every POST with the
Standard Webhooks reference library (``standardwebhooks``)."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime, timedelta

import pytest
from helpers import (
    WEBHOOK_DELIVERIES,
    auth_header,
    eventually,
    gql,
    onboard,
    submit,
    subscribe_webhook,
    worker_process,
)
from webhook_receiver import WebhookReceiver

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.tenants.agencies import delivery as dispatch_delivery
from jogo.tenants.webhooks import delivery as hook_delivery
from jogo.tenants.webhooks import events as hook_events

REPORTER = {"reporterName": "Budi Santoso", "reporterPhone": "081234567890"}
REPLAY = """mutation($d: ID!) { replayWebhookDelivery(deliveryId: $d) {
  delivery { id webhookId status } errors { code field message } } }"""
ROTATE = """mutation($id: ID!) { rotateWebhookSecret(id: $id) {
  subscription { id previousSecretValidUntil } secret errors { code field message } } }"""
UPDATE = """mutation($id: ID!, $input: WebhookSubscriptionUpdate!) {
  updateWebhookSubscription(id: $id, input: $input) {
    subscription { id enabled disabledReason disabledAt consecutiveDead }
    errors { code field message } } }"""
REPLAY_RANGE = """mutation($s: ID!, $from: DateTime!, $to: DateTime!) {
  replayWebhookEvents(subscriptionId: $s, from: $from, to: $to) {
    count errors { code field message } } }"""


@pytest.fixture
def receivers():
    made: list[WebhookReceiver] = []

    def make(**options) -> WebhookReceiver:
        receiver = WebhookReceiver(**options).start()
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.stop()


async def key_header(tenant, *scopes: str) -> dict[str, str]:
    made = await create_api_key(tenant, "Sistem kota", list(scopes), "pytest")
    return {"X-API-Key": made.key}


async def deliveries_of(client, slug, headers, subscription_id) -> list[dict]:
    _, body = await gql(
        client, f"/t/{slug}/graphql", WEBHOOK_DELIVERIES, headers, s=subscription_id, first=50
    )
    return [e["node"] for e in body["data"]["webhookDeliveries"]["edges"]]


async def test_signed_events_and_reporter_identity_follow_the_creator(
    app_client, settings, receivers, worker, relay
):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    key = await key_header(tenant, "reports:read", "webhooks:manage")
    staff, integrator = receivers(), receivers()
    with_identity = await subscribe_webhook(
        app_client, tenant.slug, admin, staff.url, ["REPORT_SUBMITTED"], reporterIdentity=True
    )
    without = await subscribe_webhook(
        app_client, tenant.slug, key, integrator.url, ["REPORT_SUBMITTED", "SOS_RAISED"]
    )
    assert with_identity["errors"] == [] and without["errors"] == []
    assert with_identity["subscription"]["reporterIdentity"] is True
    assert without["subscription"]["reporterIdentity"] is False
    staff.secrets, integrator.secrets = [with_identity["secret"]], [without["secret"]]
    assert without["secret"].startswith("whsec_")
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    report = (await submit(app_client, tenant.slug, citizen, **REPORTER))["report"]
    await eventually(lambda: staff.hooks() and integrator.hooks(), "both deliveries", 30)
    [seen], [blind] = staff.hooks(), integrator.hooks()
    assert seen.verified == [True] and blind.verified == [True]
    for hook in (seen, blind):
        body = hook.json()
        assert body["type"] == "report.submitted" and body["command"] == tenant.slug
        assert body["data"]["report"]["ticket"] == report["ticket"]
        assert body["data"]["event"]["kind"] == "SUBMITTED"
        assert hook.webhook_id.startswith("msg_")
    assert seen.json()["data"]["reporter"]["name"] == "Budi Santoso"
    assert "reporter" not in blind.json()["data"]
    assert "Budi" not in blind.body.decode() and "81234567890" not in blind.body.decode()

    async def logged():
        found = await deliveries_of(app_client, tenant.slug, key, without["subscription"]["id"])
        return found if found[0]["status"] == "DELIVERED" else None

    [done] = await eventually(logged, "the delivery recorded", 30)
    assert done["webhookId"] == blind.webhook_id and done["attempts"] == 1


async def test_two_tenants_subscribers_never_see_each_others_events(
    app_client, settings, receivers, two_tenants, worker, relay
):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    at_a, at_b = receivers(), receivers()
    sub_a = await subscribe_webhook(app_client, a.slug, admin_a, at_a.url, ["REPORT_SUBMITTED"])
    sub_b = await subscribe_webhook(app_client, b.slug, admin_b, at_b.url, ["REPORT_SUBMITTED"])
    at_a.secrets, at_b.secrets = [sub_a["secret"]], [sub_b["secret"]]
    ticket_a = (await submit(app_client, a.slug, anonymous=True))["report"]["ticket"]
    await eventually(at_a.hooks, "A's delivery", 30)
    ticket_b = (await submit(app_client, b.slug, anonymous=True))["report"]["ticket"]
    await eventually(at_b.hooks, "B's delivery", 30)
    assert [h.json()["data"]["report"]["ticket"] for h in at_a.hooks()] == [ticket_a]
    assert [h.json()["data"]["report"]["ticket"] for h in at_b.hooks()] == [ticket_b]
    # A's secret verifies nothing B's receiver got, and the other way round.
    assert WebhookReceiver(secrets=[sub_a["secret"]]).verify(
        at_b.hooks()[0].headers, at_b.hooks()[0].body
    ) == [False]
    # B's admin reads no delivery of A's subscription, and cannot touch it.
    assert await deliveries_of(app_client, b.slug, admin_b, sub_a["subscription"]["id"]) == []
    _, body = await gql(
        app_client,
        f"/t/{b.slug}/graphql",
        UPDATE,
        admin_b,
        id=sub_a["subscription"]["id"],
        input={"enabled": False},
    )
    assert [e["code"] for e in body["data"]["updateWebhookSubscription"]["errors"]] == ["NOT_FOUND"]


async def test_a_failing_endpoint_ends_dead_then_disabled_with_a_reason(
    app_client, settings, owner, receivers, worker, relay, monkeypatch
):
    monkeypatch.setattr(dispatch_delivery, "BACKOFF_BASE_SECONDS", 0.05)
    monkeypatch.setattr(hook_events, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(hook_delivery, "DISABLE_AFTER_DEAD", 2)
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    down = receivers(always_fail=True)
    made = await subscribe_webhook(app_client, tenant.slug, admin, down.url, ["REPORT_SUBMITTED"])
    down.secrets = [made["secret"]]
    sub_id = made["subscription"]["id"]
    await submit(app_client, tenant.slug, anonymous=True)
    await submit(app_client, tenant.slug, anonymous=True, title="Lampu jalan mati di Jalan Ijen")

    async def disabled():
        return await owner.fetchrow(
            "SELECT enabled, disabled_reason, disabled_at FROM webhook_subscriptions"
            " WHERE id = $1::uuid AND NOT enabled",
            sub_id,
        )

    await eventually(disabled, "the subscription disabled", 60)
    logged = await deliveries_of(app_client, tenant.slug, admin, sub_id)
    assert [d["status"] for d in logged] == ["DEAD", "DEAD"]
    assert all(d["attempts"] == 2 and d["lastError"] == "HTTP 503" for d in logged)
    assert len(down.hooks()) == 4 and all(h.verified == [True] for h in down.hooks())
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        "{ webhookSubscriptions { id enabled disabledReason disabledAt } }",
        admin,
    )
    [shown] = body["data"]["webhookSubscriptions"]
    assert shown["enabled"] is False and shown["disabledAt"]
    assert "DEAD" in shown["disabledReason"] and "HTTP 503" in shown["disabledReason"]
    # Disabled: a new event is not sent, and a replay waits for re-enabling.
    await submit(app_client, tenant.slug, anonymous=True, title="Banjir di Jalan Soekarno Hatta")
    _, refused = await gql(
        app_client, f"/t/{tenant.slug}/graphql", REPLAY, admin, d=logged[0]["id"]
    )
    assert [e["code"] for e in refused["data"]["replayWebhookDelivery"]["errors"]] == [
        "ILLEGAL_TRANSITION"
    ]
    # The admin re-enables it; a replay of a DEAD delivery arrives under its webhook-id.
    _, again = await gql(
        app_client, f"/t/{tenant.slug}/graphql", UPDATE, admin, id=sub_id, input={"enabled": True}
    )
    assert again["data"]["updateWebhookSubscription"]["subscription"] == {
        "id": sub_id,
        "enabled": True,
        "disabledReason": None,
        "disabledAt": None,
        "consecutiveDead": 0,
    }
    down.always_fail = False
    _, replayed = await gql(
        app_client, f"/t/{tenant.slug}/graphql", REPLAY, admin, d=logged[0]["id"]
    )
    assert replayed["data"]["replayWebhookDelivery"]["errors"] == []
    await eventually(lambda: len(down.hooks()) == 5, "the replay", 30)
    assert down.hooks()[-1].webhook_id == logged[0]["webhookId"]
    assert down.hooks()[-1].verified == [True]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1::uuid", sub_id
        )
        == 2
    )  # nothing was made for the event while it was disabled


async def test_rotation_overlap_signs_with_both_secrets(
    app_client, settings, owner, receivers, worker, relay
):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    endpoint = receivers()
    made = await subscribe_webhook(
        app_client, tenant.slug, admin, endpoint.url, ["REPORT_STATUS_CHANGED", "REPORT_SUBMITTED"]
    )
    old = made["secret"]
    sub_id = made["subscription"]["id"]
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", ROTATE, admin, id=sub_id)
    rotated = body["data"]["rotateWebhookSecret"]
    new = rotated["secret"]
    assert rotated["errors"] == [] and new.startswith("whsec_") and new != old
    until = datetime.fromisoformat(rotated["subscription"]["previousSecretValidUntil"])
    assert timedelta(hours=23) < until - datetime.now(UTC) <= timedelta(hours=24)
    # One receiver keeps the old secret, another has the new: both verify in the overlap.
    endpoint.secrets = [old, new]
    await submit(app_client, tenant.slug, anonymous=True)
    await eventually(endpoint.hooks, "a delivery in the overlap", 30)
    [hook] = endpoint.hooks()
    assert hook.verified == [True, True]
    assert len(hook.headers["webhook-signature"].split(" ")) == 2
    # After the overlap only the new secret signs.
    await owner.execute(
        "UPDATE webhook_subscriptions SET previous_secret_until = now() - interval '1 second'"
        " WHERE id = $1::uuid",
        sub_id,
    )
    await submit(app_client, tenant.slug, anonymous=True, title="Lampu jalan mati di Jalan Ijen")
    await eventually(lambda: len(endpoint.hooks()) == 2, "a delivery after the overlap", 30)
    assert endpoint.hooks()[1].verified == [False, True]
    # The stored secrets are encrypted: neither is in the table as written.
    stored = await owner.fetchrow(
        "SELECT secret_enc, previous_secret_enc FROM webhook_subscriptions WHERE id = $1::uuid",
        sub_id,
    )
    assert new not in stored["secret_enc"] and old not in stored["previous_secret_enc"]


async def test_a_killed_worker_loses_no_event_and_a_replay_keeps_its_id(
    app_client, settings, owner, receivers, relay, database
):
    """SIGKILL while the endpoint is answering: the event still arrives (same webhook-id),
    and a replay sends it again under that id."""
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    endpoint = receivers(delay_first=4.0)
    made = await subscribe_webhook(
        app_client, tenant.slug, admin, endpoint.url, ["REPORT_SUBMITTED"], timeoutSeconds=5
    )
    endpoint.secrets = [made["secret"]]
    sub_id = made["subscription"]["id"]
    first = worker_process(database)
    try:
        await submit(app_client, tenant.slug, anonymous=True)
        await eventually(endpoint.hooks, "the first attempt", 30)
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait, 10)
        leased = await owner.fetchrow(
            "SELECT status, attempts FROM webhook_deliveries WHERE subscription_id = $1::uuid",
            sub_id,
        )
        assert leased["status"] == "DELIVERING" and leased["attempts"] == 0
        second = worker_process(database)
        try:

            async def delivered():
                return await owner.fetchval(
                    "SELECT status = 'DELIVERED' FROM webhook_deliveries"
                    " WHERE subscription_id = $1::uuid",
                    sub_id,
                )

            await eventually(delivered, "delivery after the kill", 60)
            [logged] = await deliveries_of(app_client, tenant.slug, admin, sub_id)
            _, body = await gql(
                app_client, f"/t/{tenant.slug}/graphql", REPLAY, admin, d=logged["id"]
            )
            assert body["data"]["replayWebhookDelivery"]["delivery"]["status"] == "PENDING"
            count = len(endpoint.hooks())
            await eventually(lambda: len(endpoint.hooks()) > count, "the replay", 30)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.to_thread(second.wait, 20)
    finally:
        if first.poll() is None:
            first.kill()
    hooks = endpoint.hooks()
    assert len(hooks) >= 3 and all(h.verified == [True] for h in hooks)
    assert {h.webhook_id for h in hooks} == {logged["webhookId"]}
    assert len({h.body for h in hooks}) == 1  # the same body every time


async def test_replay_by_time_range(app_client, settings, owner, receivers, worker, relay):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    endpoint = receivers()
    made = await subscribe_webhook(
        app_client, tenant.slug, admin, endpoint.url, ["REPORT_SUBMITTED"]
    )
    endpoint.secrets = [made["secret"]]
    sub_id = made["subscription"]["id"]
    start = datetime.now(UTC) - timedelta(seconds=1)
    await submit(app_client, tenant.slug, anonymous=True)
    await submit(app_client, tenant.slug, anonymous=True, title="Lampu jalan mati di Jalan Ijen")
    await eventually(lambda: len(endpoint.hooks()) == 2, "two deliveries", 30)

    # Received is not yet recorded: a replay takes only finished (DELIVERED or DEAD)
    # deliveries, so wait for the worker to write both (CI caught one still in flight).
    async def recorded() -> bool:
        done = await owner.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1 AND status = 'DELIVERED'",
            tenant.id,
        )
        return bool(done == 2)

    await eventually(recorded, "both deliveries recorded", 30)
    first_ids = {h.webhook_id for h in endpoint.hooks()}
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        REPLAY_RANGE,
        admin,
        s=sub_id,
        **{"from": start.isoformat(), "to": (datetime.now(UTC) + timedelta(seconds=1)).isoformat()},
    )
    assert body["data"]["replayWebhookEvents"] == {"count": 2, "errors": []}
    await eventually(lambda: len(endpoint.hooks()) == 4, "two replays", 30)
    assert {h.webhook_id for h in endpoint.hooks()[2:]} == first_ids
    assert all(h.verified == [True] for h in endpoint.hooks())
    # An empty or backwards range replays nothing.
    _, backwards = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        REPLAY_RANGE,
        admin,
        s=sub_id,
        **{"from": datetime.now(UTC).isoformat(), "to": start.isoformat()},
    )
    assert [e["field"] for e in backwards["data"]["replayWebhookEvents"]["errors"]] == ["to"]


async def test_other_event_types_reach_their_subscribers(
    app_client, settings, receivers, worker, relay
):
    """A bulletin's publication and cancellation, a public note and a status change."""
    from helpers import content

    tenant = await onboard("jogo-malang-presisi")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    endpoint = receivers()
    types = ["BULLETIN_PUBLISHED", "BULLETIN_CANCELLED", "REPORT_STATUS_CHANGED"]
    made = await subscribe_webhook(app_client, tenant.slug, admin, endpoint.url, types)
    endpoint.secrets = [made["secret"]]
    path = f"/t/{tenant.slug}/graphql"
    _, published = await gql(
        app_client,
        path,
        "mutation($i: BulletinContentInput!) { publishBulletin(input: $i) {"
        " bulletin { id } errors { code } } }",
        admin,
        i=content(),
    )
    bulletin_id = published["data"]["publishBulletin"]["bulletin"]["id"]
    _, cancelled = await gql(
        app_client,
        path,
        'mutation($id: ID!) { cancelBulletin(id: $id, reason: "Sudah aman") { errors { code } } }',
        admin,
        id=bulletin_id,
    )
    assert cancelled["data"]["cancelBulletin"]["errors"] == [], cancelled
    rid = (await submit(app_client, tenant.slug, anonymous=True))["report"]["id"]
    _, verified = await gql(
        app_client,
        path,
        "mutation($id: ID!) { verifyReport(reportId: $id) { errors { code } } }",
        admin,
        id=rid,
    )
    assert verified["data"]["verifyReport"]["errors"] == [], verified
    await eventually(lambda: len(endpoint.hooks()) >= 3, "three events", 30)
    by_type = {h.json()["type"]: h.json() for h in endpoint.hooks()}
    assert set(by_type) == {"bulletin.published", "bulletin.cancelled", "report.status_changed"}
    assert by_type["bulletin.published"]["data"]["bulletin"]["id"] == bulletin_id
    assert by_type["bulletin.cancelled"]["data"]["cancel"]["reason"] == "Sudah aman"
    assert by_type["report.status_changed"]["data"]["event"]["to_status"] == "VERIFIED"
    assert all(h.verified == [True] for h in endpoint.hooks())
    assert json.dumps(by_type)  # plain JSON all through
