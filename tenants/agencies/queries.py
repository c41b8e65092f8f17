"""Reads of the agency directory. Call inside ``tenant_tx``."""

from __future__ import annotations

from typing import Any

from jogo.tenants.agencies.tables import Agency


async def list_agencies(kind: str | None = None) -> list[dict[str, Any]]:
    query = Agency.select().order_by(Agency.kind).order_by(Agency.name)
    if kind is not None:
        query = query.where(Agency.kind == kind)
    rows: list[dict[str, Any]] = await query
    return rows
