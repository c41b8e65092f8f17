"""The only writes of event webhooks: subscriptions (create, update, delete, rotate the
secret) and replays. Every one needs ``webhooks:manage`` (tenant admins; API keys with the
``webhooks:manage`` scope), runs in one tenant transaction and is audited.

Who may see what is fixed at creation: a subscription to report events needs the right to
read the command's reports, and reporter identity is sent only when its creator could read
it (``reports:reporter_identity``: staff, never an API key) and asked for it. Moving such a
subscription to another URL needs that right too.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from jogo.platform import db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.crypto import encrypt
from jogo.platform.egress import check_url
from jogo.platform.errors import Conflict, Forbidden, InputErrors, InvalidInput, NotFound
from jogo.platform.registry import TenantInfo
from jogo.platform.urls import normalise
from jogo.platform.values import text_problem
from jogo.tenants.webhooks import delivery
from jogo.tenants.webhooks import events as emitter
from jogo.tenants.webhooks.events import (
    EVENT_TYPES,
    REPORT_TYPES,
    enqueue_attempt,
    enqueue_attempts,
)
from jogo.tenants.webhooks.queries import NOT_FOUND, delivery_row, subscription_row

MAX_URL = 2000
MAX_REPLAY = 10_000  # deliveries one replayWebhookEvents may send again


class IllegalTransition(Conflict):
    """The delivery or subscription is not in a state this allows."""

    code = "ILLEGAL_TRANSITION"


@dataclass
class SubscriptionInput:
    """What a caller sets; None leaves a field as it is (on update)."""

    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None
    timeout_seconds: int | None = None
    reporter_identity: bool = False


@dataclass(frozen=True)
class Options:
    """The process's rules: ``JOGO_ENV`` (production needs https), the egress rule, the
    key secrets are encrypted under, and the rotation overlap (hours)."""

    environment: str
    allow_private_egress: bool
    secret_key: str
    overlap_hours: int = 24


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _require(tenant: TenantInfo, principal: Principal) -> frozenset[Cap]:
    caps = principal.tenant_caps(tenant.id)
    if Cap.WEBHOOKS_MANAGE not in caps:
        raise denied(principal, "webhooks need webhooks:manage")
    return caps


def _well_formed(url: str, schemes: tuple[str, ...]) -> bool:
    """Whether ``url`` has one of ``schemes``, a host, a port from 1 to 65535 (or none)
    and at most :data:`MAX_URL` characters, as written and once normalised (lower case
    can lengthen a host: ``İ`` is two characters in lower case)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError: not a number, or out of 0-65535; "[::1": a broken host
        normalised = normalise(url)
    except ValueError:
        return False
    return (
        parts.scheme.lower() in schemes
        and bool(parts.hostname)
        and port != 0
        and max(len(url), len(normalised)) <= MAX_URL
    )


async def _check(data: SubscriptionInput, options: Options, caps: frozenset[Cap]) -> None:
    errors: list[InvalidInput] = []
    if data.url is not None:
        url = data.url.strip()
        schemes = ("https",) if options.environment == "production" else ("https", "http")
        if not _well_formed(url, schemes):
            errors.append(
                InvalidInput(
                    f"URL harus {' atau '.join(schemes)} dengan host (dan port 1-65535),"
                    f" paling banyak {MAX_URL} karakter. / The URL must be"
                    f" {' or '.join(schemes)} with a host (and a port from 1 to 65535), at most"
                    f" {MAX_URL} characters.",
                    field="url",
                )
            )
        else:
            try:
                await check_url(url, allow_private=options.allow_private_egress, field="url")
            except InvalidInput as exc:
                errors.append(exc)
            data.url = normalise(url)
    if data.event_types is not None:
        unknown = [t for t in data.event_types if t not in EVENT_TYPES]
        if not data.event_types or unknown:
            errors.append(
                InvalidInput(f"give some of {', '.join(EVENT_TYPES)}", field="eventTypes")
            )
        data.event_types = sorted(set(data.event_types))
    if data.description is not None:
        data.description = " ".join(data.description.split()) or None
        if data.description and (len(data.description) > 200 or text_problem(data.description)):
            errors.append(InvalidInput("at most 200 characters of text", field="description"))
    if data.timeout_seconds is not None and not 1 <= data.timeout_seconds <= 30:
        errors.append(InvalidInput("timeout must be 1-30 seconds", field="timeoutSeconds"))
    if errors:
        raise InputErrors(errors)
    reports_wanted = bool(data.event_types and REPORT_TYPES & set(data.event_types))
    if reports_wanted and Cap.REPORTS_READ_ALL not in caps:
        raise Forbidden(
            "report events need the right to read the command's reports (reports:read)",
            field="eventTypes",
        )
    if data.reporter_identity and Cap.REPORTER_IDENTITY not in caps:
        raise Forbidden(
            "reporter identity needs reports:reporter_identity (staff only)",
            field="reporterIdentity",
        )


async def do_create_subscription(
    tenant: TenantInfo,
    principal: Principal,
    data: SubscriptionInput,
    options: Options,
    *,
    retry: idempotency.ClientKey | None = None,
) -> tuple[dict[str, Any], str]:
    """A new subscription, enabled unless ``enabled`` is false, and its secret (shown this
    once; a retry under the same client key shows the current one again). Errors:
    ``INVALID_INPUT`` (url, eventTypes, description, timeoutSeconds), ``FORBIDDEN``,
    ``CONFLICT`` (client key)."""
    caps = _require(tenant, principal)
    if data.url is None:
        raise InvalidInput("a URL is needed", field="url")
    if data.event_types is None:
        data.event_types = []
    await _check(data, options, caps)
    secret = new_secret()
    new_id = uuid.uuid4()
    async with db.tenant_tx(tenant.id):
        if (earlier := await idempotency.claim(tenant.id, retry, new_id)) is not None:
            row = await subscription_row(earlier, with_secret=True)
            if row is None:
                raise NotFound(NOT_FOUND, field="id")
            return row, delivery.signing_secrets(row, options.secret_key)[0]
        await db.fetch(
            "INSERT INTO webhook_subscriptions (tenant_id, id, url, description, event_types,"
            " enabled, reporter_identity, timeout_seconds, secret_enc, created_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            tenant.id,
            new_id,
            data.url,
            data.description,
            data.event_types,
            data.enabled is not False,
            data.reporter_identity,
            data.timeout_seconds or 10,
            encrypt(secret, options.secret_key),
            principal.name,
        )
        await _audit(
            "webhook.create",
            tenant,
            principal,
            new_id,
            url=data.url,
            reporter_identity=data.reporter_identity or None,
        )
        row = await subscription_row(new_id)
    assert row is not None
    return row, secret


async def _lock(subscription_id: uuid.UUID) -> dict[str, Any]:
    rows = await db.fetch(
        "SELECT * FROM webhook_subscriptions WHERE id = $1 FOR UPDATE", subscription_id
    )
    if not rows:
        raise NotFound(NOT_FOUND, field="id")
    return dict(rows[0])


def _may_take(row: dict[str, Any], caps: frozenset[Cap], what: str, field: str) -> None:
    """Moving a subscription to another URL, or taking its secret, gives the caller what
    it carries: ``FORBIDDEN`` unless the caller could have subscribed to it (report events
    need ``reports:read``, reporter identity ``reports:reporter_identity``)."""
    if row["reporter_identity"] and Cap.REPORTER_IDENTITY not in caps:
        raise Forbidden(
            f"this subscription carries reporter identity: {what} it needs"
            " reports:reporter_identity",
            field=field,
        )
    if REPORT_TYPES & set(row["event_types"]) and Cap.REPORTS_READ_ALL not in caps:
        raise Forbidden(
            f"this subscription carries report events: {what} it needs reports:read",
            field=field,
        )


async def do_update_subscription(
    tenant: TenantInfo,
    principal: Principal,
    subscription_id: uuid.UUID,
    data: SubscriptionInput,
    options: Options,
) -> dict[str, Any]:
    """Change what is given. ``enabled: true`` re-enables a disabled subscription (its
    reason is cleared, its run of DEAD deliveries forgotten). Errors: ``NOT_FOUND``,
    ``INVALID_INPUT``, ``FORBIDDEN`` (report events without ``reports:read``; a URL
    change of a subscription the caller could not have made: see :func:`_may_take`)."""
    caps = _require(tenant, principal)
    data.reporter_identity = False
    await _check(data, options, caps)
    async with db.tenant_tx(tenant.id):
        row = await _lock(subscription_id)
        if data.url is not None and data.url != row["url"]:
            _may_take(row, caps, "moving", "url")
        await db.fetch(
            "UPDATE webhook_subscriptions SET url = coalesce($2, url),"
            " event_types = coalesce($3, event_types), description = CASE WHEN $4::boolean"
            " THEN $5 ELSE description END, timeout_seconds = coalesce($6, timeout_seconds),"
            " enabled = coalesce($7, enabled),"
            " disabled_at = CASE WHEN $7 THEN NULL ELSE disabled_at END,"
            " disabled_reason = CASE WHEN $7 THEN NULL ELSE disabled_reason END,"
            " consecutive_dead = CASE WHEN $7 THEN 0 ELSE consecutive_dead END,"
            " updated_at = now() WHERE id = $1",
            subscription_id,
            data.url,
            data.event_types,
            data.description is not None,
            data.description,
            data.timeout_seconds,
            data.enabled,
        )
        await _audit(
            "webhook.update",
            tenant,
            principal,
            subscription_id,
            url=data.url,
            enabled=data.enabled,
        )
        updated = await subscription_row(subscription_id)
    assert updated is not None
    return updated


async def do_delete_subscription(
    tenant: TenantInfo, principal: Principal, subscription_id: uuid.UUID
) -> None:
    """Delete a subscription and its delivery log. ``NOT_FOUND`` for an unknown one."""
    _require(tenant, principal)
    async with db.tenant_tx(tenant.id):
        await _lock(subscription_id)
        await db.fetch("DELETE FROM webhook_subscriptions WHERE id = $1", subscription_id)
        await _audit("webhook.delete", tenant, principal, subscription_id)


async def do_rotate_secret(
    tenant: TenantInfo, principal: Principal, subscription_id: uuid.UUID, options: Options
) -> tuple[dict[str, Any], str]:
    """A new secret (shown this once); the one it replaces keeps signing beside it for
    ``options.overlap_hours`` (``JOGO_WEBHOOK_SECRET_OVERLAP_HOURS``). A secret replaced
    earlier, still in its overlap, stops at once. ``NOT_FOUND`` for an unknown one;
    ``FORBIDDEN`` for one the caller could not have made (:func:`_may_take`)."""
    caps = _require(tenant, principal)
    secret = new_secret()
    async with db.tenant_tx(tenant.id):
        _may_take(await _lock(subscription_id), caps, "rotating", "id")
        await db.fetch(
            "UPDATE webhook_subscriptions SET previous_secret_enc = secret_enc,"
            " previous_secret_until = $2, secret_enc = $3, updated_at = now() WHERE id = $1",
            subscription_id,
            datetime.now(UTC) + timedelta(hours=options.overlap_hours),
            encrypt(secret, options.secret_key),
        )
        await _audit("webhook.rotate", tenant, principal, subscription_id)
        row = await subscription_row(subscription_id)
    assert row is not None
    return row, secret


_REPLAY = (
    "UPDATE webhook_deliveries d SET status = 'PENDING', max_attempts = d.attempts + $2,"
    " replays = d.replays + 1, next_attempt_at = NULL, last_error = NULL, updated_at = now()"
    " FROM webhook_subscriptions s WHERE s.tenant_id = d.tenant_id AND s.id = d.subscription_id"
    # Checked again on the row updated: a replay that committed meanwhile is not doubled.
    " AND d.status IN ('DELIVERED', 'DEAD')"
)


async def do_replay_delivery(
    tenant: TenantInfo, principal: Principal, delivery_id: uuid.UUID
) -> dict[str, Any]:
    """Send a DELIVERED or DEAD delivery again, the same body under the same ``webhook-id``
    (newly timed and signed), with a fresh budget of attempts. Errors: ``NOT_FOUND``,
    ``ILLEGAL_TRANSITION`` (still on its way, or its subscription is disabled)."""
    caps = _require(tenant, principal)
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch(
            "SELECT d.status, d.attempts, s.enabled FROM webhook_deliveries d"
            " JOIN webhook_subscriptions s ON s.tenant_id = d.tenant_id"
            " AND s.id = d.subscription_id WHERE d.id = $1 FOR UPDATE OF d",
            delivery_id,
        )
        if not rows:
            raise NotFound("pengiriman tidak ditemukan / delivery not found", field="deliveryId")
        if rows[0]["status"] not in ("DELIVERED", "DEAD"):
            raise IllegalTransition("this delivery is still on its way", field="deliveryId")
        if not rows[0]["enabled"]:
            raise IllegalTransition(
                "langganan nonaktif; aktifkan dulu / the subscription is disabled; enable it first",
                field="deliveryId",
            )
        await db.fetch(_REPLAY + " AND d.id = $1", delivery_id, emitter.MAX_ATTEMPTS)
        await enqueue_attempt(tenant.id, delivery_id, rows[0]["attempts"])
        await _audit("webhook.replay", tenant, principal, delivery_id)
        row = await delivery_row(delivery_id, caps)
    assert row is not None
    return row


async def do_replay_events(
    tenant: TenantInfo,
    principal: Principal,
    subscription_id: uuid.UUID,
    start: datetime,
    end: datetime,
) -> int:
    """Send again every DELIVERED or DEAD delivery of a subscription made in
    [``start``, ``end``), as :func:`do_replay_delivery` (same ``webhook-id`` each); at most
    :data:`MAX_REPLAY`. Returns how many. Errors: ``NOT_FOUND``, ``INVALID_INPUT``
    (``to`` not after ``from``), ``ILLEGAL_TRANSITION`` (disabled subscription)."""
    _require(tenant, principal)
    if end <= start:
        raise InvalidInput("'to' must be after 'from'", field="to")
    async with db.tenant_tx(tenant.id):
        row = await _lock(subscription_id)
        if not row["enabled"]:
            raise IllegalTransition(
                "langganan nonaktif; aktifkan dulu / the subscription is disabled; enable it first",
                field="subscriptionId",
            )
        rows = await db.fetch(
            _REPLAY + " AND d.id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = $1"
            " AND created_at >= $3 AND created_at < $4 AND status IN ('DELIVERED', 'DEAD')"
            f" ORDER BY created_at LIMIT {MAX_REPLAY}) RETURNING d.id, d.attempts",
            subscription_id,
            emitter.MAX_ATTEMPTS,
            start,
            end,
        )
        await enqueue_attempts(tenant.id, [(r["id"], r["attempts"]) for r in rows])
        await _audit("webhook.replay_range", tenant, principal, subscription_id, count=len(rows))
    return len(rows)


async def _audit(
    action: str, tenant: TenantInfo, principal: Principal, target: uuid.UUID, **detail: Any
) -> None:
    await write_audit(
        action,
        principal=principal,
        tenant_id=tenant.id,
        target=f"webhook:{target}",
        detail={k: v for k, v in detail.items() if v is not None} or None,
    )
