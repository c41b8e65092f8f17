"""The only reads of bulletins.

Public means: published, the newest message of its chain, not a cancel, and inside its
validity (``valid_from <= now < valid_until``). Drafts, replaced, cancelled, scheduled
and expired bulletins are for staff only. The CAP feed also carries cancels, until the
bulletin they cancel would have expired, so that consumers take it down.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from jogo.platform import db


def _live(t: str = "") -> str:
    return f"{t}status = 'PUBLISHED' AND {t}valid_from <= now() AND {t}valid_until > now()"


PUBLIC = f"{_live()} AND msg_type <> 'CANCEL'"
_ORDER = (
    "array_position(ARRAY['EXTREME','SEVERE','MODERATE','MINOR','UNKNOWN'], severity),"
    " published_at DESC, id"
)
STATUSES = ("DRAFT", "PUBLISHED", "SUPERSEDED", "CANCELLED")


def _row(record: Any) -> dict[str, Any]:
    row = dict(record)
    for key in ("polygon", "circle"):  # jsonb arrives as text
        if isinstance(row[key], str):
            row[key] = json.loads(row[key])
    return row


async def public_bulletins(
    tenant_id: uuid.UUID, category: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The bulletins public now (see the module), optionally of one ``category``, most severe first
    (CAP severity order), then newest: at most ``limit`` rows, ``polygon`` and ``circle`` parsed
    from JSON."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT * FROM bulletins WHERE {PUBLIC} AND ($1::text IS NULL OR category = $1)"
            f" ORDER BY {_ORDER} LIMIT $2",
            category,
            limit,
        )
    return [_row(r) for r in rows]


async def staff_bulletins(
    tenant_id: uuid.UUID, status: str | None, category: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Every bulletin of the tenant, optionally filtered by ``status`` (:data:`STATUSES`) and
    ``category``, newest (published, else created) first, at most ``limit`` rows. For staff only:
    drafts, replaced and expired ones included."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT * FROM bulletins WHERE ($1::text IS NULL OR status = $1)"
            " AND ($2::text IS NULL OR category = $2)"
            " ORDER BY coalesce(published_at, created_at) DESC, id LIMIT $3",
            status,
            category,
            limit,
        )
    return [_row(r) for r in rows]


async def bulletin(
    tenant_id: uuid.UUID, bulletin_id: uuid.UUID, staff: bool
) -> dict[str, Any] | None:
    """One bulletin, or None when absent; with ``staff`` False only when it is public now, so a
    draft looks like an unknown id to the public."""
    where = "id = $1" if staff else f"id = $1 AND {PUBLIC}"
    async with db.read_tx(tenant_id):
        rows = await db.fetch(f"SELECT * FROM bulletins WHERE {where}", bulletin_id)
    return _row(rows[0]) if rows else None


async def cap_messages(
    tenant_id: uuid.UUID, bulletin_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """The messages of the CAP feed (or the one asked for, if it is in the feed), each
    with ``refs``: (id, sent) of the earlier published messages of its chain, oldest first."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT b.*, r.ids AS ref_ids, r.sent AS ref_sent FROM bulletins b"
            " LEFT JOIN LATERAL ("
            "  SELECT array_agg(p.id ORDER BY p.published_at, p.id) AS ids,"
            "         array_agg(p.published_at ORDER BY p.published_at, p.id) AS sent"
            "  FROM bulletins p WHERE p.chain_id = b.chain_id AND p.published_at IS NOT NULL"
            "  AND (p.published_at, p.id) < (b.published_at, b.id)) r ON true"
            f" WHERE {_live('b.')}"
            " AND ($1::uuid IS NULL OR b.id = $1)"
            " ORDER BY b.published_at DESC, b.id LIMIT 500",
            bulletin_id,
        )
    return [
        _row(r) | {"refs": list(zip(r["ref_ids"] or [], r["ref_sent"] or [], strict=True))}
        for r in rows
    ]
