from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.agencies.types import Agency
from jogo.graphql.context import Context
from jogo.graphql.permissions import requires
from jogo.platform.auth.roles import Cap
from jogo.platform.db import tenant_tx
from jogo.tenants.agencies.queries import list_agencies


@strawberry.type
class AgenciesQuery:
    @strawberry.field(
        description="The agency directory.", permission_classes=[requires(Cap.DIRECTORY_READ)]
    )
    async def agencies(self, info: Info[Context, None], kind: str | None = None) -> list[Agency]:
        async with tenant_tx(info.context.require_tenant().id):
            rows = await list_agencies(kind)
        return [Agency.of(r) for r in rows]
