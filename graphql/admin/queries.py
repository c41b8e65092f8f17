from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.admin.types import TemplateType
from jogo.graphql.context import Context
from jogo.graphql.core.directory import Readiness
from jogo.graphql.core.queries import me_global
from jogo.graphql.core.types import Me, TenantType
from jogo.graphql.permissions import requires
from jogo.platform import registry
from jogo.platform.auth.roles import Cap
from jogo.tenants.onboarding.readiness import readiness
from jogo.tenants.onboarding.templates import TEMPLATES

ADMIN = [requires(Cap.PLATFORM_ADMIN)]


@strawberry.type
class AdminQuery:
    @strawberry.field(description="The caller.")
    def me(self, info: Info[Context, None]) -> Me:
        """The caller on the platform schema: kind, name, global roles and API-key scopes, sorted.
        Anyone may ask (an anonymous caller reads as such).
        """
        return me_global(info.context)

    @strawberry.field(description="Every tenant.", permission_classes=ADMIN)
    async def tenants(self) -> list[TenantType] | None:
        """Every tenant in the ``tenants`` table, by slug, whatever its status. Needs
        ``PLATFORM_ADMIN``.
        """
        return [TenantType.of(t) for t in await registry.list_tenants()]

    @strawberry.field(
        description="What a tenant still lacks before it should go live; null for an unknown slug.",
        permission_classes=ADMIN,
    )
    async def tenant_readiness(self, slug: str) -> Readiness | None:
        """What command ``slug`` still lacks before going live (blockers first); null for an unknown
        slug. Needs ``PLATFORM_ADMIN``.
        """
        tenant = await registry.find_by_slug(slug)
        if tenant is None:
            return None
        return Readiness.of(await readiness(tenant.id))

    @strawberry.field(description="Onboarding templates.", permission_classes=ADMIN)
    def templates(self) -> list[TemplateType] | None:
        """The onboarding templates (``tenants.onboarding.templates``) with their category counts,
        default modules and agency roles. Needs ``PLATFORM_ADMIN``.
        """
        return [TemplateType.of(t) for t in TEMPLATES.values()]
