"""The worker's side of a webhook delivery: lease, POST outside any transaction, record.

As for agency dispatches (``tenants/agencies/delivery.py``): a delivery is leased
(DELIVERING, ``lease_until``) in a short transaction, sent holding no lock or connection,
and recorded in another. A message that finds a live lease comes back when it ends; one
that finds an expired lease (the worker died) sends again, with the same ``webhook-id``.
A failure counts the attempt and schedules the next through the outbox with exponential
backoff until ``max_attempts`` (:data:`~jogo.tenants.webhooks.events.MAX_ATTEMPTS`)
makes it DEAD. :data:`DISABLE_AFTER_DEAD` DEAD deliveries
in a row (no success between) disable the subscription, saying why; so does one answer
of 410 Gone (the delivery is then DEAD at once).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from standardwebhooks import Webhook

from jogo.platform import db
from jogo.platform.crypto import decrypt
from jogo.platform.registry import TenantInfo
from jogo.tenants.agencies.delivery import backoff
from jogo.tenants.webhooks import payloads
from jogo.tenants.webhooks.events import enqueue_attempt, enqueue_attempts

DISABLE_AFTER_DEAD = 5
LEASE_MARGIN = timedelta(seconds=15)
BUSY_RETRY = timedelta(seconds=2)
STALLED_AFTER = timedelta(minutes=10)


def webhook_id(delivery_id: uuid.UUID) -> str:
    """The ``webhook-id`` header of a delivery: ``msg_<id>``, the same on every attempt and
    every replay (receivers deduplicate on it)."""
    return f"msg_{delivery_id}"


@dataclass(frozen=True)
class Job:
    """A leased delivery: its row, the subscription's row, and the body to send."""

    delivery: dict[str, Any]
    subscription: dict[str, Any]
    body: bytes


@dataclass(frozen=True)
class Busy:
    """Another attempt holds the lease (or the row) until ``until``."""

    until: datetime


async def lease(tenant: TenantInfo, delivery_id: uuid.UUID, attempt: int) -> Job | Busy | None:
    """Inside a short tenant transaction: take the delivery for the attempt made when its
    ``attempts`` was ``attempt``; its body is made now on the first attempt and stored.
    None for a stale or duplicate message (or a disabled subscription: the delivery is
    then DEAD, to be replayed once it is enabled again); Busy while another attempt is
    under way."""
    rows = await db.fetch(
        "SELECT to_jsonb(d) AS delivery, to_jsonb(s) AS subscription FROM webhook_deliveries d"
        " JOIN webhook_subscriptions s ON s.tenant_id = d.tenant_id AND s.id = d.subscription_id"
        " WHERE d.id = $1 FOR UPDATE OF d SKIP LOCKED",
        delivery_id,
    )
    now = datetime.now(UTC)
    if not rows:
        exists = await db.fetch("SELECT 1 FROM webhook_deliveries WHERE id = $1", delivery_id)
        return Busy(now + BUSY_RETRY) if exists else None
    delivery = json.loads(rows[0]["delivery"])
    subscription = json.loads(rows[0]["subscription"])
    if delivery["attempts"] != attempt:
        return None
    if delivery["status"] == "DELIVERING":
        until = datetime.fromisoformat(delivery["lease_until"])
        if until > now:
            return Busy(until)
    elif delivery["status"] != "PENDING":
        return None
    if not subscription["enabled"]:
        await db.fetch(
            "UPDATE webhook_deliveries SET status = 'DEAD', lease_until = NULL,"
            " next_attempt_at = NULL, last_error = 'subscription disabled', updated_at = now()"
            " WHERE id = $1",
            delivery_id,
        )
        return None
    payload = delivery["payload"]
    if payload is None:
        delivery["created_at"] = datetime.fromisoformat(delivery["created_at"])
        delivery["report_id"] = delivery["report_id"] and uuid.UUID(delivery["report_id"])
        payload = await payloads.build(delivery, tenant.slug, subscription["reporter_identity"])
    # Sorted keys: the stored (jsonb) body sends the same bytes on every attempt.
    body = json.dumps(
        payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=str
    )
    until = now + timedelta(seconds=subscription["timeout_seconds"]) + LEASE_MARGIN
    await db.fetch(
        "UPDATE webhook_deliveries SET status = 'DELIVERING', lease_until = $2,"
        " payload = coalesce(payload, $3::jsonb), updated_at = now() WHERE id = $1",
        delivery_id,
        until,
        body,
    )
    delivery["id"] = uuid.UUID(delivery["id"])
    delivery["subscription_id"] = uuid.UUID(delivery["subscription_id"])
    return Job(delivery, subscription, body.encode())


async def record_success(job: Job) -> None:
    """The endpoint took it (2xx): DELIVERED, and the subscription's run of DEAD ends."""
    await db.fetch(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, status = 'DELIVERED',"
        " delivered_at = now(), lease_until = NULL, next_attempt_at = NULL, last_error = NULL,"
        " updated_at = now() WHERE id = $1 AND attempts = $2",
        job.delivery["id"],
        job.delivery["attempts"],
    )
    await db.fetch(
        "UPDATE webhook_subscriptions SET consecutive_dead = 0 WHERE id = $1"
        " AND consecutive_dead <> 0",
        job.delivery["subscription_id"],
    )


async def record_failure(job: Job, error: str, tenant_id: uuid.UUID, *, gone: bool = False) -> str:
    """Count the failed attempt; schedule the next or give up (DEAD, which may disable the
    subscription). ``gone``: the endpoint answered 410 Gone, so the delivery is DEAD now
    and the subscription disabled at once, saying why (Standard Webhooks). Returns
    ``failed``, ``dead`` or ``stale``."""
    rows = await db.fetch(
        "SELECT status, attempts, max_attempts FROM webhook_deliveries WHERE id = $1 FOR UPDATE",
        job.delivery["id"],
    )
    if not rows or rows[0]["attempts"] != job.delivery["attempts"]:
        return "stale"
    attempts = rows[0]["attempts"] + 1
    dead = gone or attempts >= rows[0]["max_attempts"]
    next_at = None if dead else datetime.now(UTC) + backoff(attempts)
    await db.fetch(
        "UPDATE webhook_deliveries SET attempts = $2, last_error = $3, next_attempt_at = $4,"
        " status = $5, lease_until = NULL, updated_at = now() WHERE id = $1",
        job.delivery["id"],
        attempts,
        error[:1000],
        next_at,
        "DEAD" if dead else "PENDING",
    )
    if not dead:
        await enqueue_attempt(tenant_id, job.delivery["id"], attempts, next_at)
        return "failed"
    if gone:
        await _disable(job.delivery["subscription_id"], _gone_reason(error))
    else:
        await _count_dead(job.delivery["subscription_id"], error)
    return "dead"


def _gone_reason(error: str) -> str:
    return (
        f"Endpoint menjawab 410 Gone: tidak mau dikirimi lagi ({error[:200]}). /"
        f" The endpoint answered 410 Gone: it wants no more deliveries ({error[:200]})."
    )


async def _disable(subscription_id: uuid.UUID, reason: str) -> None:
    """Disable the subscription now with ``reason`` (kept if it is already disabled)."""
    await db.fetch(
        "UPDATE webhook_subscriptions SET enabled = false, disabled_at = now(),"
        " disabled_reason = $2, updated_at = now() WHERE id = $1 AND enabled",
        subscription_id,
        reason,
    )


async def _count_dead(subscription_id: uuid.UUID, error: str) -> None:
    """One more DEAD delivery in a row; at :data:`DISABLE_AFTER_DEAD` the subscription is
    disabled with the reason (Bahasa Indonesia, then English)."""
    reason = (
        f"{DISABLE_AFTER_DEAD} pengiriman berturut-turut gagal total (DEAD); terakhir: "
        f"{error[:200]} / {DISABLE_AFTER_DEAD} deliveries in a row failed for good (DEAD);"
        f" last: {error[:200]}"
    )
    await db.fetch(
        "UPDATE webhook_subscriptions SET consecutive_dead = consecutive_dead + 1,"
        " enabled = CASE WHEN consecutive_dead + 1 >= $2 THEN false ELSE enabled END,"
        " disabled_at = CASE WHEN enabled AND consecutive_dead + 1 >= $2 THEN now()"
        "   ELSE disabled_at END,"
        " disabled_reason = CASE WHEN enabled AND consecutive_dead + 1 >= $2 THEN $3"
        "   ELSE disabled_reason END,"
        " updated_at = now() WHERE id = $1",
        subscription_id,
        DISABLE_AFTER_DEAD,
        reason,
    )


async def do_requeue_stalled(tenant: TenantInfo) -> int:
    """Scheduled: deliveries whose message was lost (a crash, the in-process broker
    restarting) go out again; returns how many."""
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch(
            "SELECT d.id, d.attempts FROM webhook_deliveries d"
            " WHERE ((d.status = 'PENDING' AND coalesce(d.next_attempt_at, d.updated_at) < $1)"
            "    OR (d.status = 'DELIVERING' AND d.lease_until < $2))"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.published_at IS NULL"
            "                 AND o.payload->>'delivery_id' = d.id::text)",
            datetime.now(UTC) - STALLED_AFTER,
            datetime.now(UTC) - LEASE_MARGIN,
        )
        await enqueue_attempts(tenant.id, [(r["id"], r["attempts"]) for r in rows])
    return len(rows)


def signing_secrets(subscription: dict[str, Any], secret_key: str) -> list[str]:
    """The ``whsec_`` secrets a delivery is signed with now: the current one, and the one it
    replaced while its overlap lasts (``previous_secret_until``). Raises
    :class:`~jogo.platform.crypto.SecretUnreadable` when one cannot be decrypted."""
    found = [decrypt(subscription["secret_enc"], secret_key)]
    until = subscription.get("previous_secret_until")
    if isinstance(until, str):
        until = datetime.fromisoformat(until)
    if subscription.get("previous_secret_enc") and until and until > datetime.now(UTC):
        found.append(decrypt(subscription["previous_secret_enc"], secret_key))
    return found


def sign(secrets: list[str], msg_id: str, at: datetime, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,<base64 HMAC-SHA256 of "<id>.<unix seconds>.<body>">``
    under each secret, space-separated (Standard Webhooks; a receiver holding either secret
    verifies it)."""
    text = body.decode()
    return " ".join(Webhook(s).sign(msg_id=msg_id, timestamp=at, data=text) for s in secrets)
