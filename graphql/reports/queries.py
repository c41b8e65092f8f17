from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.reports.types import Category
from jogo.platform.db import tenant_tx
from jogo.tenants.reports.queries import list_categories


@strawberry.type
class ReportsQuery:
    @strawberry.field(description="Active report categories (public: citizens pick one).")
    async def categories(self, info: Info[Context, None]) -> list[Category]:
        async with tenant_tx(info.context.require_tenant().id):
            rows = await list_categories()
        return [Category.of(r) for r in rows]
