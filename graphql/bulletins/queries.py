from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.bulletins.types import (
    Bulletin,
    BulletinCategory,
    BulletinStatus,
)
from jogo.graphql.context import Context
from jogo.graphql.ids import parse_uuid
from jogo.platform.auth.principal import denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import NotFound
from jogo.tenants.bulletins import queries


def _is_writer(info: Info[Context, None]) -> bool:
    ctx = info.context
    return Cap.BULLETINS_WRITE in ctx.principal.tenant_caps(ctx.require_tenant().id)


@strawberry.type
class BulletinsQuery:
    @strawberry.field(
        description="Bulletins in force now, most severe first (public). Operators may ask"
        " for a status to see drafts, replaced and cancelled ones."
    )
    async def bulletins(
        self,
        info: Info[Context, None],
        category: BulletinCategory | None = None,
        status: BulletinStatus | None = None,
    ) -> list[Bulletin] | None:  # nullable: a refused status fails alone
        """Without ``status`` (public, anyone): bulletins in force now (published, newest of their
        chain, not a cancel, within validity), most severe first, then newest; at most 100.

        With ``status``: bulletin writers (``BULLETINS_WRITE``) see every bulletin in that status,
        newest first; anyone else gets null and ``FORBIDDEN``/``UNAUTHENTICATED`` at this field.
        """
        tenant = info.context.require_tenant()
        code = category.value if category else None
        if status is None:
            rows = await queries.public_bulletins(tenant.id, code)
        elif _is_writer(info):
            rows = await queries.staff_bulletins(tenant.id, status.value, code)
        else:
            raise denied(
                info.context.principal,
                "only operators (or a key with bulletins:write) can list bulletins by status",
            )
        return [Bulletin.of(r) for r in rows]

    @strawberry.field(description="One bulletin; null unless it is public or you are staff.")
    async def bulletin(self, info: Info[Context, None], id: strawberry.ID) -> Bulletin | None:
        """One bulletin: any for a bulletin writer (``BULLETINS_WRITE``), else only one in force.
        Null otherwise, including for a malformed or another tenant's id.
        """
        tenant = info.context.require_tenant()
        try:
            bulletin_id = parse_uuid(id, "id")
        except NotFound:
            return None
        row = await queries.bulletin(tenant.id, bulletin_id, staff=_is_writer(info))
        return Bulletin.of(row) if row else None
