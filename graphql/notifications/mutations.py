"""Notification writes: gateways (tenant admins), a citizen's own channels, and retrying
a notification that gave up (operators)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import attempt
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.notifications.types import (
    AddNotificationChannelInput,
    Notification,
    NotificationChannel,
    NotificationChannelPayload,
    NotificationGateway,
    NotificationGatewayPayload,
    NotificationPayload,
    RemoveNotificationChannelPayload,
    SetNotificationGatewayInput,
)
from jogo.graphql.permissions import writes
from jogo.platform.auth.roles import Cap
from jogo.tenants.notifications import channels, delivery, gateways, queries


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation(
        description="Set one notification gateway (tenant admins); the secret is stored"
        " encrypted and never shown again.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def set_notification_gateway(
        self, info: Info[Context, None], input: SetNotificationGatewayInput
    ) -> NotificationGatewayPayload:
        """Create or replace the gateway of ``input.kind`` (its whole config; the secret
        kept when none is sent). WEBPUSH without a key gets a new VAPID key pair. Needs
        ``TENANT_ADMIN``; audited. ``INVALID_INPUT`` on every bad field at once (a URL or
        host the egress rule refuses too)."""
        ctx = info.context
        tenant = ctx.require_tenant()
        data = gateways.GatewayInput(
            kind=input.kind.value,
            enabled=input.enabled,
            endpoint=input.endpoint,
            phone_number_id=input.phone_number_id,
            sender=input.sender,
            host=input.host,
            port=input.port,
            security=input.security,
            username=input.username,
            subject=input.subject,
            secret=input.secret,
            verify_token=input.verify_token,
            app_secret=input.app_secret,
        )
        kind, errors = await attempt(
            lambda: gateways.do_set_gateway(
                tenant.id,
                ctx.principal,
                data,
                ctx.settings.secret_key,
                allow_private_egress=ctx.settings.allow_private_egress,
            )
        )
        if kind is None:
            return NotificationGatewayPayload(errors=errors)
        rows = [r for r in await gateways.list_gateways(tenant.id) if r["kind"] == kind]
        return NotificationGatewayPayload(gateway=NotificationGateway.of(rows[0]))

    @strawberry.mutation(
        description="Be told about your reports on one more channel (signed-in people).",
        extensions=writes(Cap.OWN_ACCOUNT),
    )
    async def add_notification_channel(
        self, info: Info[Context, None], input: AddNotificationChannelInput
    ) -> NotificationChannelPayload:
        """Add (or keep: the same address again is the same channel) a channel of the
        signed-in caller. Needs ``OWN_ACCOUNT`` (never an API key). Errors:
        ``INVALID_INPUT`` on ``channel``, ``address`` (also a push service the platform
        may not call) or ``locale``; ``GATEWAY_UNAVAILABLE`` on ``channel`` when the
        command does not send on it; ``CONSENT_REQUIRED`` on ``noticeVersion`` (missing or
        stale: the message names the version in force); ``CONFLICT`` over 10 channels or
        for a ``clientKey`` reused with other input."""
        ctx = info.context
        tenant = ctx.require_tenant()
        arguments = {
            "channel": input.channel,
            "address": input.address,
            "locale": input.locale,
        }
        channel_id, errors = await attempt(
            lambda: channels.do_add_my_channel(
                tenant.id,
                ctx.principal,
                input.channel.value,
                input.address,
                input.locale,
                allow_private_egress=ctx.settings.allow_private_egress,
                retry=retry_key(info, "addNotificationChannel", input.client_key, arguments),
                notice_version=input.notice_version,
                client=ctx.client,
            )
        )
        if channel_id is None:
            return NotificationChannelPayload(errors=errors)
        row = await channels.channel_by_id(tenant.id, channel_id)
        return NotificationChannelPayload(
            channel=NotificationChannel.of(row) if row is not None else None
        )

    @strawberry.mutation(
        description="Stop being told on one of your channels.",
        extensions=writes(Cap.OWN_ACCOUNT),
    )
    async def remove_notification_channel(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RemoveNotificationChannelPayload:
        """Remove one of the caller's channels: ``removed`` true when it was live, false
        when it was already removed. Needs ``OWN_ACCOUNT``. ``NOT_FOUND`` on ``id`` for
        anyone else's channel."""
        ctx = info.context
        tenant = ctx.require_tenant()
        removed, errors = await attempt(
            lambda: channels.do_remove_my_channel(
                tenant.id, ctx.principal, parse_uuid(id, "id", "channel not found")
            )
        )
        return RemoveNotificationChannelPayload(removed=bool(removed), errors=errors)

    @strawberry.mutation(
        description="Send a DEAD notification again: a fresh set of attempts.",
        extensions=writes(Cap.REPORTS_TRIAGE),
    )
    async def retry_notification(
        self, info: Info[Context, None], id: strawberry.ID, client_key: ClientKeyArgument = None
    ) -> NotificationPayload:
        """Requeue a DEAD notification: PENDING, attempts reset, the first due now. Needs
        ``REPORTS_TRIAGE``. Errors: ``NOT_FOUND`` on ``id`` (unknown or another
        command's), ``INVALID_INPUT`` on ``id`` (not DEAD: parallel retries make one new
        attempt, the others are refused, or answer the same under one ``clientKey``)."""
        ctx = info.context
        tenant = ctx.require_tenant()
        notification_id, errors = await attempt(
            lambda: delivery.do_retry_notification(
                tenant.id,
                ctx.principal,
                parse_uuid(id, "id", "notification not found"),
                retry_key(info, "retryNotification", client_key, {"id": id}),
            )
        )
        if notification_id is None:
            return NotificationPayload(errors=errors)
        found = await queries.notifications_by_id(tenant.id, [notification_id])
        row = found.get(notification_id)
        return NotificationPayload(notification=Notification.of(row) if row else None)
