"""Attacks on event webhooks (issue 20 part 1): who may manage subscriptions, what a key
may subscribe to, moving an identity subscription, parallel idempotent creates, and URLs
the platform must not call."""

from __future__ import annotations

import asyncio

import pytest
from helpers import CREATE_WEBHOOK, auth_header, bearer_for, gql, make_user, subscribe_webhook

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Role
from jogo.platform.errors import InputErrors
from jogo.platform.registry import find_by_id
from jogo.tenants.webhooks import actions

URL = "http://127.0.0.1:9/hooks"  # never called: nothing here is delivered
UPDATE_URL = """mutation($id: ID!, $url: String!) {
  updateWebhookSubscription(id: $id, input: {url: $url}) {
    subscription { url } errors { code field } } }"""


async def key_header(tenant, *scopes: str) -> dict[str, str]:
    made = await create_api_key(tenant, "Sistem kota", list(scopes), "pytest")
    return {"X-API-Key": made.key}


def create_vars(**more):
    return {"input": {"url": URL, "eventTypes": ["BULLETIN_PUBLISHED"], **more}}


async def test_read_only_keys_citizens_and_expired_tokens_cannot_manage(
    app_client, settings, two_tenants
):
    tenant = two_tenants.a
    path = f"/t/{tenant.slug}/graphql"
    for headers in (
        await key_header(tenant, "reports:read"),
        await auth_header(settings, Role.CITIZEN, tenant),
        await auth_header(settings, Role.OPERATOR, tenant),
    ):
        status, body = await gql(app_client, path, CREATE_WEBHOOK, headers, **create_vars())
        refused = body["data"]["createWebhookSubscription"]
        assert refused["subscription"] is None and refused["secret"] is None, body
        assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"], body
        _, listed = await gql(app_client, path, "{ webhookSubscriptions { id } }", headers)
        assert listed["data"]["webhookSubscriptions"] is None
        assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    expired = bearer_for(*await make_user(Role.TENANT_ADMIN, tenant), settings, ttl=-10)
    status, body = await gql(app_client, path, CREATE_WEBHOOK, expired, **create_vars())
    assert status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Another command's admin: the tenant is not theirs (404, as if unknown).
    other = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.b)
    status, _ = await gql(app_client, path, CREATE_WEBHOOK, other, **create_vars())
    assert status == 404


async def test_a_key_gets_no_more_than_its_scopes(app_client, settings, two_tenants):
    tenant = two_tenants.a
    only_hooks = await key_header(tenant, "webhooks:manage")
    made = await subscribe_webhook(
        app_client, tenant.slug, only_hooks, URL, ["REPORT_SUBMITTED", "BULLETIN_PUBLISHED"]
    )
    assert made["subscription"] is None and made["secret"] is None
    assert [(e["code"], e["field"]) for e in made["errors"]] == [("FORBIDDEN", "eventTypes")]
    public = await subscribe_webhook(
        app_client, tenant.slug, only_hooks, URL, ["BULLETIN_PUBLISHED", "SHARED_POST_APPROVED"]
    )
    assert public["errors"] == [] and public["secret"].startswith("whsec_")
    # No key reads reporter identity, so none may ask for it.
    reader = await key_header(tenant, "reports:read", "webhooks:manage")
    asked = await subscribe_webhook(
        app_client, tenant.slug, reader, URL, ["REPORT_SUBMITTED"], reporterIdentity=True
    )
    assert [(e["code"], e["field"]) for e in asked["errors"]] == [("FORBIDDEN", "reporterIdentity")]
    # An admin's identity subscription cannot be moved to a key's own endpoint.
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    staff = await subscribe_webhook(
        app_client, tenant.slug, admin, URL, ["REPORT_SUBMITTED"], reporterIdentity=True
    )
    assert staff["subscription"]["reporterIdentity"] is True
    _, moved = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        UPDATE_URL,
        reader,
        id=staff["subscription"]["id"],
        url="http://127.0.0.1:10/mine",
    )
    assert [
        (e["code"], e["field"]) for e in moved["data"]["updateWebhookSubscription"]["errors"]
    ] == [("FORBIDDEN", "url")]


async def test_parallel_duplicate_creates_make_one_subscription(
    app_client, settings, owner, two_tenants
):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    path = f"/t/{tenant.slug}/graphql"
    key = "hook-create-0001-abcdef"
    answers = await asyncio.gather(
        *[gql(app_client, path, CREATE_WEBHOOK, admin, key=key, **create_vars()) for _ in range(6)]
    )
    payloads = [body["data"]["createWebhookSubscription"] for _, body in answers]
    assert all(p["errors"] == [] for p in payloads), payloads
    assert len({p["subscription"]["id"] for p in payloads}) == 1
    assert len({p["secret"] for p in payloads}) == 1
    count = await owner.fetchval(
        "SELECT count(*) FROM webhook_subscriptions WHERE tenant_id = $1", tenant.id
    )
    assert count == 1
    # The same key with other input is CONFLICT, and makes nothing.
    _, other = await gql(
        app_client, path, CREATE_WEBHOOK, admin, key=key, **create_vars(description="lain")
    )
    assert [e["code"] for e in other["data"]["createWebhookSubscription"]["errors"]] == ["CONFLICT"]


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/x",  # plain http in production
        "https://127.0.0.1/x",  # loopback
        "https://169.254.169.254/latest",  # cloud metadata
        "https://[::ffff:10.0.0.1]/x",  # private IPv4 inside IPv6
        "ftp://hooks.example.org/x",
        "https:///nohost",
    ],
)
async def test_production_refuses_urls_it_must_not_call(two_tenants, url):
    tenant = await find_by_id(two_tenants.a.id)
    assert tenant is not None
    admin = Principal(
        kind="api_key", key_tenant_id=tenant.id, scopes=frozenset({"webhooks:manage"})
    )
    options = actions.Options(
        environment="production", allow_private_egress=False, secret_key="x" * 32
    )
    with pytest.raises(InputErrors) as refused:
        await actions.do_create_subscription(
            tenant,
            admin,
            actions.SubscriptionInput(url=url, event_types=["BULLETIN_PUBLISHED"]),
            options,
        )
    assert [e.field for e in refused.value.errors] == ["url"]


async def test_malformed_and_foreign_ids_read_as_not_found(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    theirs = await subscribe_webhook(app_client, a.slug, admin_a, URL, ["BULLETIN_PUBLISHED"])
    path = f"/t/{b.slug}/graphql"
    for ident in ("not-a-uuid", theirs["subscription"]["id"]):
        _, rotated = await gql(
            app_client,
            path,
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret errors { code } } }",
            admin_b,
            id=ident,
        )
        assert rotated["data"]["rotateWebhookSecret"] == {
            "secret": None,
            "errors": [{"code": "NOT_FOUND"}],
        }
        _, deleted = await gql(
            app_client,
            path,
            "mutation($id: ID!) { deleteWebhookSubscription(id: $id) { errors { code } } }",
            admin_b,
            id=ident,
        )
        assert deleted["data"]["deleteWebhookSubscription"]["errors"] == [{"code": "NOT_FOUND"}]
        _, replayed = await gql(
            app_client,
            path,
            "mutation($id: ID!) { replayWebhookDelivery(deliveryId: $id) { errors { code } } }",
            admin_b,
            id=ident,
        )
        assert replayed["data"]["replayWebhookDelivery"]["errors"] == [{"code": "NOT_FOUND"}]
