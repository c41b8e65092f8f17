"""Event webhook mutations (``webhooks:manage``): thin resolvers over
``tenants/webhooks/actions.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import attempt
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.graphql.scalars import in_zone
from jogo.graphql.webhooks.types import (
    DeleteWebhookSubscriptionPayload,
    ReplayWebhookEventsPayload,
    WebhookDelivery,
    WebhookDeliveryPayload,
    WebhookSecretPayload,
    WebhookSubscription,
    WebhookSubscriptionInput,
    WebhookSubscriptionPayload,
    WebhookSubscriptionUpdate,
)
from jogo.platform.auth.roles import Cap
from jogo.tenants.webhooks import actions
from jogo.tenants.webhooks.queries import NOT_FOUND

DELIVERY_NOT_FOUND = "pengiriman tidak ditemukan / delivery not found"


def _options(ctx: Context) -> actions.Options:
    s = ctx.settings
    return actions.Options(
        environment=s.environment,
        allow_private_egress=s.allow_private_egress,
        secret_key=s.secret_key,
        overlap_hours=s.webhook_secret_overlap_hours,
    )


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        description="Subscribe an endpoint to events (webhooks:manage); the secret is in the"
        " payload this once. Report events need reports:read too; reporterIdentity needs"
        " reports:reporter_identity. Errors: INVALID_INPUT (url, eventTypes, description,"
        " timeoutSeconds), FORBIDDEN (eventTypes, reporterIdentity), CONFLICT (clientKey).",
        extensions=writes(Cap.WEBHOOKS_MANAGE),
    )
    async def create_webhook_subscription(
        self,
        info: Info[Context, None],
        input: WebhookSubscriptionInput,
        client_key: ClientKeyArgument = None,
    ) -> WebhookSecretPayload:
        """A new subscription and its ``whsec_`` secret (shown this once; a retry with the
        same client key shows it again). Needs ``WEBHOOKS_MANAGE``; audited."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def create() -> tuple[dict[str, Any], str]:
            retry = retry_key(info, "createWebhookSubscription", client_key, {"input": input})
            data = actions.SubscriptionInput(
                url=input.url,
                event_types=[t.value for t in input.event_types],
                description=input.description,
                enabled=input.enabled,
                timeout_seconds=input.timeout_seconds,
                reporter_identity=input.reporter_identity,
            )
            return await actions.do_create_subscription(
                tenant, ctx.principal, data, _options(ctx), retry=retry
            )

        result, errors = await attempt(create)
        if result is None:
            return WebhookSecretPayload(errors=errors)
        return WebhookSecretPayload(
            subscription=WebhookSubscription.of(result[0]), secret=result[1]
        )

    @strawberry.mutation(
        description="Change a subscription (webhooks:manage): url, eventTypes, description,"
        " timeoutSeconds, enabled (true re-enables one disabled automatically). Errors:"
        " NOT_FOUND, INVALID_INPUT, FORBIDDEN (report events need reports:read; moving a"
        " subscription needs what it carries: reports:read, reports:reporter_identity).",
        extensions=writes(Cap.WEBHOOKS_MANAGE),
    )
    async def update_webhook_subscription(
        self, info: Info[Context, None], id: strawberry.ID, input: WebhookSubscriptionUpdate
    ) -> WebhookSubscriptionPayload:
        """Change what is given. Needs ``WEBHOOKS_MANAGE``; audited."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def update() -> dict[str, Any]:
            sub = parse_uuid(id, "id", NOT_FOUND)
            data = actions.SubscriptionInput(
                url=input.url,
                event_types=[t.value for t in input.event_types]
                if input.event_types is not None
                else None,
                description=input.description,
                enabled=input.enabled,
                timeout_seconds=input.timeout_seconds,
            )
            return await actions.do_update_subscription(
                tenant, ctx.principal, sub, data, _options(ctx)
            )

        row, errors = await attempt(update)
        return WebhookSubscriptionPayload(
            subscription=WebhookSubscription.of(row) if row else None, errors=errors
        )

    @strawberry.mutation(
        description="Delete a subscription and its delivery log (webhooks:manage). Errors:"
        " NOT_FOUND.",
        extensions=writes(Cap.WEBHOOKS_MANAGE),
    )
    async def delete_webhook_subscription(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> DeleteWebhookSubscriptionPayload:
        """Delete a subscription. Needs ``WEBHOOKS_MANAGE``; audited."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def delete() -> strawberry.ID:
            sub = parse_uuid(id, "id", NOT_FOUND)
            await actions.do_delete_subscription(tenant, ctx.principal, sub)
            return id

        deleted, errors = await attempt(delete)
        return DeleteWebhookSubscriptionPayload(deleted_id=deleted, errors=errors)

    @strawberry.mutation(
        description="A new secret for a subscription, shown this once (webhooks:manage);"
        " the previous one keeps signing beside it for JOGO_WEBHOOK_SECRET_OVERLAP_HOURS"
        " (default 24). Errors: NOT_FOUND, FORBIDDEN (a subscription to report events needs"
        " reports:read, one with reporter identity reports:reporter_identity).",
        extensions=writes(Cap.WEBHOOKS_MANAGE),
    )
    async def rotate_webhook_secret(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> WebhookSecretPayload:
        """Rotate the secret. Needs ``WEBHOOKS_MANAGE``; audited."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def rotate() -> tuple[dict[str, Any], str]:
            sub = parse_uuid(id, "id", NOT_FOUND)
            return await actions.do_rotate_secret(tenant, ctx.principal, sub, _options(ctx))

        result, errors = await attempt(rotate)
        if result is None:
            return WebhookSecretPayload(errors=errors)
        return WebhookSecretPayload(
            subscription=WebhookSubscription.of(result[0]), secret=result[1]
        )

    @strawberry.mutation(
        description="Send a DELIVERED or DEAD delivery again, under the same webhook-id"
        " (webhooks:manage). Errors: NOT_FOUND, ILLEGAL_TRANSITION (still on its way, or a"
        " disabled subscription).",
        extensions=writes(Cap.WEBHOOKS_MANAGE),
    )
    async def replay_webhook_delivery(
        self, info: Info[Context, None], delivery_id: strawberry.ID
    ) -> WebhookDeliveryPayload:
        """Replay one delivery. Needs ``WEBHOOKS_MANAGE``; audited."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def replay() -> dict[str, Any]:
            one = parse_uuid(delivery_id, "deliveryId", DELIVERY_NOT_FOUND)
            return await actions.do_replay_delivery(tenant, ctx.principal, one)

        row, errors = await attempt(replay)
        return WebhookDeliveryPayload(
            delivery=WebhookDelivery.of(row) if row else None, errors=errors
        )

    @strawberry.mutation(
        description="Send again every DELIVERED or DEAD delivery of a subscription made from"
        " `from` (inclusive) to `to` (exclusive), each under its own webhook-id; at most"
        " 10000 (webhooks:manage). Times without an offset are in the command's zone."
        " Errors: NOT_FOUND, INVALID_INPUT (to), ILLEGAL_TRANSITION (disabled).",
        extensions=writes(Cap.WEBHOOKS_MANAGE),
    )
    async def replay_webhook_events(
        self,
        info: Info[Context, None],
        subscription_id: strawberry.ID,
        start: Annotated[datetime, strawberry.argument(name="from")],
        end: Annotated[datetime, strawberry.argument(name="to")],
    ) -> ReplayWebhookEventsPayload:
        """Replay a time range. Needs ``WEBHOOKS_MANAGE``; audited."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def replay() -> int:
            sub = parse_uuid(subscription_id, "subscriptionId", NOT_FOUND)
            return await actions.do_replay_events(
                tenant,
                ctx.principal,
                sub,
                in_zone(start, tenant.time_zone),
                in_zone(end, tenant.time_zone),
            )

        count, errors = await attempt(replay)
        return ReplayWebhookEventsPayload(count=count, errors=errors)
