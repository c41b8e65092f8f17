"""Event webhook reads (``webhooks:manage``): subscriptions and the delivery log."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.ids import parse_uuid
from jogo.graphql.limits import page_size
from jogo.graphql.permissions import requires
from jogo.graphql.reports.types import PageInfo
from jogo.graphql.webhooks.types import (
    WebhookDelivery,
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    WebhookDeliveryStatus,
    WebhookSubscription,
)
from jogo.platform.auth.roles import Cap
from jogo.tenants.reports.queries import cursor_of, decode_cursor
from jogo.tenants.webhooks import queries
from jogo.tenants.webhooks.queries import NOT_FOUND


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        description="The command's event webhook subscriptions, oldest first, never their"
        " secrets (webhooks:manage).",
        permission_classes=[requires(Cap.WEBHOOKS_MANAGE)],
    )
    async def webhook_subscriptions(
        self, info: Info[Context, None]
    ) -> list[WebhookSubscription] | None:
        """Every subscription of the tenant (at most 200). Needs ``WEBHOOKS_MANAGE``."""
        tenant = info.context.require_tenant()
        return [WebhookSubscription.of(r) for r in await queries.list_subscriptions(tenant.id)]

    @strawberry.field(
        description="The delivery log, newest first: of one subscription (or all), of one"
        " status (or any). first: 1-100. Errors: NOT_FOUND (malformed subscriptionId),"
        " INVALID_INPUT (first, after).",
        permission_classes=[requires(Cap.WEBHOOKS_MANAGE)],
    )
    async def webhook_deliveries(
        self,
        info: Info[Context, None],
        subscription_id: strawberry.ID | None = None,
        status: WebhookDeliveryStatus | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> WebhookDeliveryConnection | None:
        """A keyset page of deliveries with their status, attempts, last error and body
        (null where the caller may not read it: a report event without ``REPORTS_READ_ALL``,
        reporter identity without ``REPORTER_IDENTITY``). Needs ``WEBHOOKS_MANAGE``. An
        unknown (or another command's) subscription gives an empty page."""
        page_size(first)
        tenant = info.context.require_tenant()
        sub = parse_uuid(subscription_id, "subscriptionId", NOT_FOUND) if subscription_id else None
        rows = await queries.list_deliveries(
            tenant.id,
            sub,
            status.value if status else None,
            first,
            decode_cursor(after) if after else None,
            info.context.principal.tenant_caps(tenant.id),
        )
        edges = [
            WebhookDeliveryEdge(
                cursor=cursor_of(r["created_at"], r["id"]), node=WebhookDelivery.of(r)
            )
            for r in rows[:first]
        ]
        return WebhookDeliveryConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                end_cursor=edges[-1].cursor if edges else None,
                start_cursor=edges[0].cursor if edges else None,
            ),
        )
