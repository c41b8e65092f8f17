"""Reads of the reports domain. Call inside ``tenant_tx``."""

from __future__ import annotations

from typing import Any

from jogo.tenants.reports.tables import Category


async def list_categories(active_only: bool = True) -> list[dict[str, Any]]:
    query = Category.select().order_by(Category.sort_order)
    if active_only:
        query = query.where(Category.is_active.eq(True))
    rows: list[dict[str, Any]] = await query
    return rows
