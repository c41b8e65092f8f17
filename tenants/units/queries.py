"""Reads of units. Each function reads in ``db.read_tx`` (the request's read transaction
in a query); the batch
functions (``*_by_*``) serve DataLoaders: one statement per batch, whatever its size."""

from __future__ import annotations

import base64
import json
import uuid
from collections import defaultdict
from typing import Any

from jogo.platform import db
from jogo.platform.errors import InvalidInput

MAX_PAGE = 100


def unit_cursor(row: dict[str, Any]) -> str:
    """The opaque cursor of a unit row in name order: URL-safe base64 of the JSON ``[lower-cased
    name, id]``."""
    raw = json.dumps([row["name"].lower(), str(row["id"])])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> tuple[str, uuid.UUID]:
    if len(cursor) > 400:
        raise InvalidInput("the cursor is not one this API gave out", field="after")
    try:
        name, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(name, str):
            raise ValueError(name)
        return name, uuid.UUID(ident)
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput("the cursor is not one this API gave out", field="after") from None


async def list_units(
    tenant_id: uuid.UUID,
    *,
    include_inactive: bool = False,
    first: int = 50,
    after: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Units by name (case-insensitive), active ones unless ``include_inactive``; at most
    ``first`` (1-100) after the cursor ``after``. Returns (rows, has_next)."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    args: list[Any] = [include_inactive]
    where = "($1 OR is_active)"
    if after:
        name, ident = _decode(after)
        args += [name, ident]
        where += " AND (lower(name), id) > ($2, $3)"
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT * FROM units WHERE {where} ORDER BY lower(name), id LIMIT {first + 1}",
            *args,
        )
    found = [dict(r) for r in rows]
    return found[:first], len(found) > first


async def units_by_id(tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """Units by id, active or not, for one DataLoader batch; ids not found are absent."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch("SELECT * FROM units WHERE id = ANY($1::uuid[])", ids)
    return {r["id"]: dict(r) for r in rows}


async def members_by_unit(
    tenant_id: uuid.UUID, unit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The active members' user ids per unit, in the order they were added, for one DataLoader
    batch."""
    async with db.read_tx(tenant_id):
        # A deactivated user stays on record but is no longer listed.
        rows = await db.fetch(
            "SELECT m.unit_id, m.user_id FROM unit_members m JOIN users u ON u.id = m.user_id"
            " WHERE m.unit_id = ANY($1::uuid[]) AND u.is_active ORDER BY m.added_at, m.user_id",
            unit_ids,
        )
    grouped: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for r in rows:
        grouped[r["unit_id"]].append(r["user_id"])
    return grouped


async def active_units_by_member(
    tenant_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict]]:
    """The active units each user is a member of, by name."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT m.user_id, u.* FROM unit_members m"
            " JOIN units u ON u.tenant_id = m.tenant_id AND u.id = m.unit_id"
            " WHERE m.user_id = ANY($1::uuid[]) AND u.is_active ORDER BY lower(u.name), u.id",
            user_ids,
        )
    grouped: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for r in rows:
        row = dict(r)
        grouped[row.pop("user_id")].append(row)
    return grouped
