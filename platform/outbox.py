"""The outbox writer: work for the workers, committed with the change that causes it.

Nothing in a request talks to the broker. An action writes an outbox row inside its own
transaction (with the current trace context), and the relay publishes it later; so the
message exists if and only if the change does.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from opentelemetry import propagate

from jogo.platform import db

CHANNEL = "jogo_outbox"


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, as stored with an outbox row so the worker
    continues the trace; None when no span is recording."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


async def enqueue(
    actor: str,
    payload: dict[str, Any],
    tenant_id: uuid.UUID,
    *,
    available_at: datetime | None = None,
) -> int:
    """Add a message inside the caller's transaction; the relay is woken on commit (one
    statement: the insert and the NOTIFY)."""
    rows = await db.fetch(
        "WITH added AS (INSERT INTO outbox (tenant, actor, payload, traceparent, available_at)"
        " VALUES ($1, $2, $3::jsonb, $4, coalesce($5, now())) RETURNING id)"
        " SELECT id, pg_notify($6, '') FROM added",
        tenant_id,
        actor,
        json.dumps(payload, default=str),
        current_traceparent(),
        available_at,
        CHANNEL,
    )
    outbox_id: int = rows[0]["id"]
    return outbox_id


async def enqueue_many(
    actor: str,
    payloads: list[dict[str, Any]],
    tenant_id: uuid.UUID,
    *,
    available_at: datetime | None = None,
) -> int:
    """:func:`enqueue` of several messages to one actor in one statement (however many
    there are); returns how many were added (none for no payloads, without a statement)."""
    if not payloads:
        return 0
    rows = await db.fetch(
        "WITH added AS (INSERT INTO outbox (tenant, actor, payload, traceparent, available_at)"
        " SELECT $1, $2, p::jsonb, $4, coalesce($5, now()) FROM unnest($3::text[]) AS p"
        " RETURNING id) SELECT id, pg_notify($6, '') FROM added",
        tenant_id,
        actor,
        [json.dumps(p, default=str) for p in payloads],
        current_traceparent(),
        available_at,
        CHANNEL,
    )
    return len(rows)


async def purge_published(keep_days: int = 7) -> int:
    """Housekeeping: published messages older than ``keep_days`` are deleted."""
    rows = await db.fetch(
        "DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1) RETURNING 1",
        keep_days,
    )
    return len(rows)
