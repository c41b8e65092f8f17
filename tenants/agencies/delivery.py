"""The worker's side of a dispatch: lease, deliver outside any transaction, record.

A delivery leases its dispatch (status DELIVERING, ``lease_until``) in a short
transaction, calls the agency with no lock or connection held, and records the outcome
in another. A redelivered message that finds a live lease comes back when it ends (via
the outbox); one that finds an expired lease (the worker died) delivers again, under
the same Idempotency-Key. A failure counts the attempt and schedules the next through
the outbox with exponential backoff, until the cap makes the dispatch DEAD.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jogo.platform import db, outbox
from jogo.platform.registry import TenantInfo
from jogo.tenants.oversight.redaction import redact
from jogo.tenants.reports import events

DELIVER_ACTOR = "deliver_dispatch"
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0
LEASE_MARGIN = timedelta(seconds=15)
BUSY_RETRY = timedelta(seconds=2)
STALLED_AFTER = timedelta(minutes=10)


def backoff(attempt: int) -> timedelta:
    """2 s, 4 s, 8 s ... capped at 5 minutes, with ±20 % jitter against herds."""
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_CAP_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


async def enqueue_attempt(
    tenant_id: uuid.UUID, dispatch_id: uuid.UUID, attempt: int, at: datetime | None = None
) -> None:
    """Write the outbox row for delivery attempt ``attempt`` (1-based) of a dispatch, to
    :data:`DELIVER_ACTOR`, due at ``at`` (aware; None: at once). Call inside the tenant transaction
    that causes it; the relay publishes it after commit."""
    await outbox.enqueue(
        DELIVER_ACTOR,
        {"dispatch_id": str(dispatch_id), "attempt": attempt},
        tenant_id,
        available_at=at,
    )


@dataclass(frozen=True)
class DeliveryJob:
    dispatch: dict[str, Any]
    agency: dict[str, Any]
    report: dict[str, Any]


@dataclass(frozen=True)
class Busy:
    """Another delivery holds the lease (or the row) until ``until``."""

    until: datetime


async def lease(dispatch_id: uuid.UUID, attempt: int) -> DeliveryJob | Busy | None:
    """Inside a short tenant transaction: take the dispatch for this attempt. None for a
    stale or duplicate message, Busy while another delivery of it is under way."""
    rows = await db.fetch(
        "SELECT to_jsonb(d) AS dispatch, to_jsonb(a) AS agency, r.ticket, r.title,"
        " r.description, r.latitude, r.longitude, r.address, r.occurred_at, r.urgent,"
        " r.status, r.created_at, r.reporter_name, r.reporter_phone,"
        " c.code AS category_code, c.name_id AS category_name"
        " FROM dispatches d"
        " JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
        " JOIN reports r ON r.tenant_id = d.tenant_id AND r.id = d.report_id"
        " JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id"
        " WHERE d.id = $1 FOR UPDATE OF d SKIP LOCKED",
        dispatch_id,
    )
    now = datetime.now(UTC)
    if not rows:
        exists = await db.fetch("SELECT 1 FROM dispatches WHERE id = $1", dispatch_id)
        return Busy(now + BUSY_RETRY) if exists else None
    row = dict(rows[0])
    dispatch, agency = json.loads(row.pop("dispatch")), json.loads(row.pop("agency"))
    if dispatch["attempts"] != attempt:
        return None
    if dispatch["status"] == "DELIVERING":
        until = datetime.fromisoformat(dispatch["lease_until"])
        if until > now:
            return Busy(until)
    elif dispatch["status"] != "PENDING":
        return None
    until = now + timedelta(seconds=agency["timeout_seconds"]) + LEASE_MARGIN
    await db.fetch(
        "UPDATE dispatches SET status = 'DELIVERING', lease_until = $2, updated_at = now()"
        " WHERE id = $1",
        dispatch_id,
        until,
    )
    for key in ("id", "report_id", "agency_id"):
        dispatch[key] = uuid.UUID(dispatch[key])
    return DeliveryJob(dispatch, agency, row)


def delivery_payload(job: DeliveryJob, tenant_slug: str, public_url: str | None) -> dict[str, Any]:
    """What an agency receives: the report, never the reporter's identity. The title and
    description are masked as a liaison reads them (:func:`redact`: the reporter's own
    name, phone and address, any phone, e-mail, street address or long digit run);
    ``address`` is sent as written, the place the agency goes to. ``callback_url`` is
    under ``public_url`` (``jogo.platform.app.links``); null when this process knows no
    public address."""
    r, d = job.report, job.dispatch
    own = {
        "name": r.get("reporter_name"),
        "phone": r.get("reporter_phone"),
        "address": r.get("address"),
    }
    return {
        "event": "report.dispatched",
        "dispatch_id": str(d["id"]),
        "idempotency_key": str(d["idempotency_key"]),
        "command": tenant_slug,
        "report": {
            "ticket": r["ticket"],
            "category_code": r["category_code"],
            "category_name": r["category_name"],
            "title": redact(r["title"], **own) or "",
            "description": redact(r["description"], **own) or "",
            "latitude": r["latitude"],
            "longitude": r["longitude"],
            "address": r["address"],
            "occurred_at": r["occurred_at"].isoformat(),
            "urgent": r["urgent"],
            "created_at": r["created_at"].isoformat(),
        },
        "callback_url": (
            f"{public_url}/t/{tenant_slug}/integrations/{d['agency_id']}/callback"
            if public_url
            else None
        ),
    }


async def record_success(job: DeliveryJob, external_ref: str | None) -> None:
    """The agency has it. A callback that already moved the dispatch on is kept."""
    await db.fetch(
        "UPDATE dispatches SET attempts = attempts + 1, delivered_at = coalesce(delivered_at,"
        " now()), lease_until = NULL, next_attempt_at = NULL, last_error = NULL,"
        " updated_at = now(), external_ref = coalesce($3, external_ref),"
        " status = CASE WHEN status = 'DELIVERING' THEN 'DELIVERED' ELSE status END"
        " WHERE id = $1 AND attempts = $2",
        job.dispatch["id"],
        job.dispatch["attempts"],
        external_ref,
    )


async def record_failure(job: DeliveryJob, error: str, tenant_id: uuid.UUID) -> str:
    """Count the failed attempt; schedule the next or give up. Returns the outcome:
    "failed", "dead", or "delivered" when the agency answered by callback meanwhile."""
    rows = await db.fetch(
        "SELECT status, attempts, max_attempts FROM dispatches WHERE id = $1 FOR UPDATE",
        job.dispatch["id"],
    )
    if not rows or rows[0]["attempts"] != job.dispatch["attempts"]:
        return "stale"
    if rows[0]["status"] != "DELIVERING":
        await record_success(job, None)
        return "delivered"
    attempts = rows[0]["attempts"] + 1
    dead = attempts >= rows[0]["max_attempts"]
    next_at = None if dead else datetime.now(UTC) + backoff(attempts)
    await db.fetch(
        "UPDATE dispatches SET attempts = $2, last_error = $3, next_attempt_at = $4,"
        " status = $5, lease_until = NULL, updated_at = now() WHERE id = $1",
        job.dispatch["id"],
        attempts,
        error[:1000],
        next_at,
        "DEAD" if dead else "PENDING",
    )
    if dead:
        await events.record(
            tenant_id,
            job.dispatch["report_id"],
            "DISPATCH",
            public=False,
            actor=events.SYSTEM,
            note=f"Pengiriman ke {job.agency['name']} gagal: {error[:200]}",
            data={"dispatch_id": str(job.dispatch["id"]), "dead": True},
        )
    else:
        await enqueue_attempt(tenant_id, job.dispatch["id"], attempts, next_at)
    return "dead" if dead else "failed"


async def do_requeue_stalled(tenant: TenantInfo) -> int:
    """Scheduled: dispatches whose message was lost (a crash, the in-process broker
    restarting, a message dead-lettered by our own bug) go out again."""
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch(
            "SELECT d.id, d.attempts FROM dispatches d"
            " WHERE ((d.status = 'PENDING' AND coalesce(d.next_attempt_at, d.updated_at) < $1)"
            "    OR (d.status = 'DELIVERING' AND d.lease_until < $2))"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.published_at IS NULL"
            "                 AND o.payload->>'dispatch_id' = d.id::text)",
            datetime.now(UTC) - STALLED_AFTER,
            datetime.now(UTC) - LEASE_MARGIN,
        )
        for r in rows:
            await enqueue_attempt(tenant.id, r["id"], r["attempts"])
    return len(rows)
