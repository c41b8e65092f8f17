"""``me`` and ``tenant``: in every tenant schema, whatever the modules."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.core.types import Me, TenantType


def me_in_tenant(context: Context) -> Me:
    """The caller in the request's tenant: kind, name, their roles there and their API-key
    scopes, each sorted.
    """
    p = context.principal
    tenant = context.require_tenant()
    return Me(
        kind=p.kind,
        name=p.name,
        roles=sorted(r.value for r in p.roles_in(tenant.id)),
        scopes=sorted(p.scopes),
    )


def me_global(context: Context) -> Me:
    """The caller outside any tenant (national and platform schemas): kind, name, their global
    roles and scopes, each sorted.
    """
    p = context.principal
    return Me(
        kind=p.kind,
        name=p.name,
        roles=sorted(r.value for r in p.global_roles),
        scopes=sorted(p.scopes),
    )


@strawberry.type
class CoreQuery:
    @strawberry.field(description="The caller.")
    def me(self, info: Info[Context, None]) -> Me:
        """The caller as this tenant knows them (see :func:`me_in_tenant`); anyone may ask."""
        return me_in_tenant(info.context)

    @strawberry.field(description="This command's public profile.")
    def tenant(self, info: Info[Context, None]) -> TenantType:
        """This command's public profile (see :meth:`TenantType.of`); anyone may ask."""
        return TenantType.of(info.context.require_tenant())
