"""National oversight (``/national/graphql``). Every call is audited.

Issue 5 adds the rollups; this holds the tenant list, scoped by role: a
``polda_supervisor`` sees only the tenants of its own Polda.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.core.queries import me_global
from jogo.graphql.core.types import Me, TenantType
from jogo.graphql.permissions import requires
from jogo.platform import registry
from jogo.platform.audit import write_audit
from jogo.platform.auth.roles import Cap, Role
from jogo.platform.errors import Forbidden


def visible_poldas(context: Context) -> frozenset[str] | None:
    """None means every Polda (national roles); else the caller's own Polda codes."""
    p = context.principal
    if p.global_roles & {Role.NATIONAL_SUPERVISOR, Role.OVERSIGHT_AUDITOR}:
        return None
    poldas = p.polda_codes()
    if not poldas:
        raise Forbidden("no national or Polda role")
    return poldas


@strawberry.type
class OversightQuery:
    @strawberry.field(description="The caller.")
    def me(self, info: Info[Context, None]) -> Me:
        return me_global(info.context)

    @strawberry.field(
        description="Tenants visible to the caller, with status and modules.",
        permission_classes=[requires(Cap.NATIONAL_READ)],
    )
    async def tenants(
        self, info: Info[Context, None], polda_code: str | None = None
    ) -> list[TenantType]:
        scope = visible_poldas(info.context)
        wanted = {polda_code.upper()} if polda_code else None
        if scope is not None:
            wanted = (wanted & scope) if wanted else set(scope)
        tenants = await registry.list_tenants(wanted)
        p = info.context.principal
        await write_audit(
            "national.tenants",
            principal=p,
            role=p.national_role.value if p.national_role else None,
            detail={"filter": {"poldaCode": polda_code}, "tenants": len(tenants)},
        )
        return [TenantType.of(t) for t in tenants]
