"""The only reads of event webhooks: subscriptions (never their secrets) and the delivery
log, inside the caller's tenant transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from jogo.platform import db
from jogo.platform.auth.roles import Cap
from jogo.platform.urls import without_credentials
from jogo.tenants.webhooks.events import REPORT_TYPES

NOT_FOUND = "langganan webhook tidak ditemukan / webhook subscription not found"
_SUBSCRIPTION = (
    "SELECT id, url, description, event_types, enabled, reporter_identity, timeout_seconds,"
    " consecutive_dead, disabled_at, disabled_reason, created_by, created_at, updated_at,"
    " CASE WHEN previous_secret_until > now() THEN previous_secret_until END"
    " AS previous_secret_until{extra} FROM webhook_subscriptions"
)
_DELIVERY = (
    "SELECT id, subscription_id, event_type, event_id, report_id, status, attempts,"
    " max_attempts, replays, last_error, next_attempt_at, created_at, updated_at,"
    " delivered_at, payload::text AS payload, (SELECT s.reporter_identity"
    " FROM webhook_subscriptions s WHERE s.id = webhook_deliveries.subscription_id)"
    " AS reporter_identity FROM webhook_deliveries"
)


def _readable(row: Any, caps: frozenset[Cap]) -> dict[str, Any]:
    """A delivery with its body hidden (None) from a caller who may not read it: a report
    event's without ``reports:read``, one naming the reporter without
    ``reports:reporter_identity``. (Managing webhooks is not reading reports.)"""
    out = dict(row)
    identity = out.pop("reporter_identity")
    if (identity and Cap.REPORTER_IDENTITY not in caps) or (
        out["event_type"] in REPORT_TYPES and Cap.REPORTS_READ_ALL not in caps
    ):
        out["payload"] = None
    return out


def _shown(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["url"] = without_credentials(out["url"])
    return out


async def subscription_row(
    subscription_id: uuid.UUID, *, with_secret: bool = False
) -> dict[str, Any] | None:
    """One subscription (URL without credentials), or None; ``with_secret`` adds the
    encrypted secrets (for the worker and a create's retry, never for the API)."""
    extra = ", secret_enc, previous_secret_enc" if with_secret else ""
    rows = await db.fetch(_SUBSCRIPTION.format(extra=extra) + " WHERE id = $1", subscription_id)
    return _shown(rows[0]) if rows else None


async def delivery_row(delivery_id: uuid.UUID, caps: frozenset[Cap]) -> dict[str, Any] | None:
    """One delivery of the log, or None; its body as the caller's ``caps`` may read it."""
    rows = await db.fetch(_DELIVERY + " WHERE id = $1", delivery_id)
    return _readable(rows[0], caps) if rows else None


async def deliveries(
    subscription_id: uuid.UUID | None,
    status: str | None,
    first: int,
    after: tuple[datetime, uuid.UUID] | None,
    caps: frozenset[Cap],
) -> list[dict[str, Any]]:
    """Up to ``first + 1`` deliveries, newest first, of one subscription (or all) and one
    status (or any), after the keyset ``after``; bodies as the caller's ``caps`` may read
    them."""
    rows = await db.fetch(
        _DELIVERY + " WHERE ($2::uuid IS NULL OR subscription_id = $2)"
        " AND ($3::text IS NULL OR status = $3)"
        " AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))"
        " ORDER BY created_at DESC, id DESC LIMIT $1",
        first + 1,
        subscription_id,
        status,
        after[0] if after else None,
        after[1] if after else None,
    )
    return [_readable(r, caps) for r in rows]


MAX_SUBSCRIPTIONS = 200


async def list_subscriptions(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """The tenant's subscriptions, oldest first (at most :data:`MAX_SUBSCRIPTIONS`), never
    their secrets; URLs without credentials."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            _SUBSCRIPTION.format(extra="") + f" ORDER BY created_at, id LIMIT {MAX_SUBSCRIPTIONS}"
        )
    return [_shown(r) for r in rows]


async def list_deliveries(
    tenant_id: uuid.UUID,
    subscription_id: uuid.UUID | None,
    status: str | None,
    first: int,
    after: tuple[datetime, uuid.UUID] | None,
    caps: frozenset[Cap],
) -> list[dict[str, Any]]:
    """:func:`deliveries` in a read transaction of ``tenant_id``."""
    async with db.read_tx(tenant_id):
        return await deliveries(subscription_id, status, first, after, caps)
