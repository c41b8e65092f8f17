"""Notification reads: gateways (tenant admins), a report's notifications and the failed
ones (operators), the caller's own channels, and the Web Push public key (anyone)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.ids import parse_uuid
from jogo.graphql.notifications.types import (
    Notification,
    NotificationChannel,
    NotificationConnection,
    NotificationEdge,
    NotificationGateway,
)
from jogo.graphql.permissions import requires
from jogo.graphql.reports.types import PageInfo
from jogo.platform.auth.roles import Cap
from jogo.tenants.notifications import channels, gateways, queries


@strawberry.type
class NotificationsQuery:
    @strawberry.field(
        description="Tenant admins: how the command sends on each channel (never the secrets).",
        permission_classes=[requires(Cap.TENANT_ADMIN)],
    )
    async def notification_gateways(
        self, info: Info[Context, None]
    ) -> list[NotificationGateway] | None:
        """The command's gateways by kind, with whether a secret is set. Needs
        ``TENANT_ADMIN``."""
        tenant = info.context.require_tenant()
        return [NotificationGateway.of(r) for r in await gateways.list_gateways(tenant.id)]

    @strawberry.field(
        description="Operators: what was sent to the reporter about one report, oldest first"
        " (addresses masked).",
        permission_classes=[requires(Cap.REPORTS_TRIAGE)],
    )
    async def notifications(
        self, info: Info[Context, None], report_id: strawberry.ID
    ) -> list[Notification] | None:
        """One report's notifications with status, attempts and last error. Needs
        ``REPORTS_TRIAGE``. A malformed id is ``NOT_FOUND``; an unknown one (or another
        command's) gives an empty list."""
        tenant = info.context.require_tenant()
        rows = await queries.notifications_for_report(tenant.id, parse_uuid(report_id, "reportId"))
        return [Notification.of(r) for r in rows]

    @strawberry.field(
        description="Operators: notifications that failed (FAILED, being retried) or gave up"
        f" (DEAD), newest first; first ≤ {queries.MAX_PAGE}.",
        permission_classes=[requires(Cap.REPORTS_TRIAGE)],
    )
    async def failed_notifications(
        self, info: Info[Context, None], first: int = 50, after: str | None = None
    ) -> NotificationConnection | None:
        """A page of FAILED and DEAD notifications with the report's ticket. Needs
        ``REPORTS_TRIAGE``. ``INVALID_INPUT`` for ``first`` outside 1-100 or a cursor this
        API did not give out."""
        tenant = info.context.require_tenant()
        rows, has_next = await queries.failed_notifications(tenant.id, first=first, after=after)
        edges = [
            NotificationEdge(cursor=queries.cursor_of(r), node=Notification.of(r)) for r in rows
        ]
        return NotificationConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=has_next,
                end_cursor=edges[-1].cursor if edges else None,
                start_cursor=edges[0].cursor if edges else None,
            ),
        )

    @strawberry.field(
        description="The signed-in person's channels (never an API key's).",
        permission_classes=[requires(Cap.OWN_ACCOUNT)],
    )
    async def my_notification_channels(
        self, info: Info[Context, None]
    ) -> list[NotificationChannel] | None:
        """The caller's live channels, oldest first. Needs ``OWN_ACCOUNT`` (a signed-in
        person of this command)."""
        tenant = info.context.require_tenant()
        principal = info.context.principal
        if principal.kind != "user" or principal.id is None:
            return []
        rows = await channels.my_channels(tenant.id, principal.id)
        return [NotificationChannel.of(r) for r in rows]

    @strawberry.field(
        description="The VAPID public key for PushManager.subscribe (applicationServerKey,"
        " base64url); null when the command sends no Web Push. Anyone may ask."
    )
    async def web_push_public_key(self, info: Info[Context, None]) -> str | None:
        """The command's VAPID public key, or null without an enabled WEBPUSH gateway."""
        return await gateways.web_push_public_key(info.context.require_tenant().id)
