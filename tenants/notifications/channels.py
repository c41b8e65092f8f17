"""A signed-in person's own notification channels, and the channel an anonymous reporter
leaves on a report: added only where the command has a gateway for it, and (Web Push)
only to a push service the platform may call."""

from __future__ import annotations

import json
import uuid
from typing import Any

from jogo.platform import db, idempotency
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.egress import check_url
from jogo.platform.errors import Conflict, InvalidInput, NotFound
from jogo.tenants.consent.actions import require_consent
from jogo.tenants.notifications import actions
from jogo.tenants.notifications.gateways import unavailable

MAX_CHANNELS = 10  # live channels per person: a few devices and numbers, not a list


def prefixed(exc: InvalidInput, prefix: str) -> InvalidInput:
    """``exc`` with its field under ``prefix`` (``address`` → ``notify.address``)."""
    field = f"{prefix}.{exc.field}" if prefix and exc.field else exc.field or prefix
    return type(exc)(exc.message, field=field)


async def check_new_channel(
    tenant_id: uuid.UUID,
    channel: str,
    address: str,
    locale: str | None,
    *,
    allow_private_egress: bool,
    prefix: str = "",
) -> tuple[str, str, str]:
    """Before a channel is added (outside any transaction): the channel, its normalised
    address and locale. Errors, fields under ``prefix``: ``INVALID_INPUT`` on
    ``channel``, ``address`` (also a push endpoint the egress rule refuses) or
    ``locale``; ``GATEWAY_UNAVAILABLE`` on ``channel`` when the command has no enabled
    gateway for it."""
    try:
        actions.check_channel(channel)
        stored = actions.normalise_address(channel, address)
        checked_locale = actions.check_locale(locale)
        if channel == "WEBPUSH":
            await check_url(
                json.loads(stored)["endpoint"],
                allow_private=allow_private_egress,
                field="address",
            )
    except InvalidInput as exc:
        raise prefixed(exc, prefix) from None
    async with db.tenant_tx(tenant_id):
        ready = await actions.gateway_ready(tenant_id, channel)
    if not ready:
        raise unavailable(channel, f"{prefix}.channel" if prefix else "channel")
    return channel, stored, checked_locale


def _own(principal: Principal, tenant_id: uuid.UUID) -> uuid.UUID:
    if principal.kind != "user" or principal.id is None:
        raise denied(principal, "only a signed-in person has channels of their own")
    if Cap.OWN_ACCOUNT not in principal.tenant_caps(tenant_id):
        raise denied(principal, "only people of this command have channels here")
    return principal.id


async def do_add_my_channel(
    tenant_id: uuid.UUID,
    principal: Principal,
    channel: str,
    address: str,
    locale: str | None,
    *,
    allow_private_egress: bool,
    retry: idempotency.ClientKey | None = None,
    notice_version: str | None = None,
    client: str | None = None,
) -> uuid.UUID:
    """Add (or keep) a channel of the signed-in caller: the same address again is the
    same channel, its locale updated. At most :data:`MAX_CHANNELS` live ones. Adding
    one is consenting to notifications (UU PDP art. 20 (2) a): ``notice_version`` is the
    version of the privacy notice the person was shown; recorded with the channel
    (:func:`~jogo.tenants.consent.actions.require_consent`). Returns the channel id.
    Errors: as :func:`check_new_channel`; ``CONSENT_REQUIRED`` on ``noticeVersion``
    when it is missing or stale and the person's live consent is not to the version in
    force (the message names it); ``CONFLICT`` on ``channel`` over the cap (or a
    ``clientKey`` reused with other input); ``UNAUTHENTICATED`` / ``FORBIDDEN`` for a
    caller who is no signed-in person of the command."""
    user_id = _own(principal, tenant_id)
    channel, stored, locale = await check_new_channel(
        tenant_id, channel, address, locale, allow_private_egress=allow_private_egress
    )
    async with db.tenant_tx(tenant_id):
        if (earlier := await idempotency.claim(tenant_id, retry, uuid.uuid4())) is not None:
            return earlier
        # One person's adds are serialised, so the cap holds under parallel calls.
        await db.fetch(
            "SELECT pg_advisory_xact_lock(hashtext('channels:' || $1::uuid::text))", user_id
        )
        live = await db.fetch(
            "SELECT address = $2 AND channel = $3 AS same FROM notification_channels"
            " WHERE user_id = $1 AND removed_at IS NULL",
            user_id,
            stored,
            channel,
        )
        if len(live) >= MAX_CHANNELS and not any(r["same"] for r in live):
            raise Conflict(
                f"Paling banyak {MAX_CHANNELS} saluran; hapus satu dulu. /"
                f" At most {MAX_CHANNELS} channels; remove one first.",
                field="channel",
            )
        await require_consent(tenant_id, user_id, "notifications", notice_version, client=client)
        channel_id = await actions.do_add_channel(
            tenant_id, channel=channel, address=stored, locale=locale, user_id=user_id
        )
        await idempotency.settle(tenant_id, retry, channel_id)
    return channel_id


async def do_remove_my_channel(
    tenant_id: uuid.UUID, principal: Principal, channel_id: uuid.UUID
) -> bool:
    """Stop sending to one of the caller's own channels. True when it was live; False
    when it was already removed. ``NOT_FOUND`` on ``id`` for another person's channel
    (or none)."""
    user_id = _own(principal, tenant_id)
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT removed_at FROM notification_channels WHERE id = $1 AND user_id = $2"
            " FOR UPDATE",
            channel_id,
            user_id,
        )
        if not rows:
            raise NotFound("channel not found", field="id")
        if rows[0]["removed_at"] is not None:
            return False
        await db.fetch(
            "UPDATE notification_channels SET removed_at = now() WHERE id = $1", channel_id
        )
    return True


async def my_channels(tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The person's live channels, oldest first: ``id, channel, address, locale,
    created_at``."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT id, channel, address, locale, created_at FROM notification_channels"
            " WHERE user_id = $1 AND removed_at IS NULL ORDER BY created_at, id",
            user_id,
        )
    return [dict(r) for r in rows]


async def channel_by_id(tenant_id: uuid.UUID, channel_id: uuid.UUID) -> dict[str, Any] | None:
    """One channel (``id, channel, address, locale, created_at``), removed or not."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT id, channel, address, locale, created_at FROM notification_channels"
            " WHERE id = $1",
            channel_id,
        )
    return dict(rows[0]) if rows else None
