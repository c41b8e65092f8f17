from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.admin.regions import OnboardingOptions, Region, find_regions, onboarding_options
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

    @strawberry.field(
        description="Kemendagri kabupaten/kota whose name holds every word of search (any"
        " case; or whose code starts with it), each with its Polda and default time zone;"
        " names starting with search first. limit 1-50. INVALID_INPUT on search or limit.",
        permission_classes=ADMIN,
    )
    def regions(self, search: str, limit: int = 20) -> list[Region] | None:
        """The kabupaten/kota the onboarding form offers as one types a name (``malang`` →
        Kabupaten Malang, Kota Malang), each with the Polda that holds it and its default time
        zone. Needs ``PLATFORM_ADMIN``; ``INVALID_INPUT`` on ``search`` (over 100 characters)
        or ``limit`` (not 1-50).
        """
        return find_regions(search, limit)

    @strawberry.field(
        description="The fixed choices of onboardTenant: kinds, Poldas, modules, time zones.",
        permission_classes=ADMIN,
    )
    def onboarding_options(self) -> OnboardingOptions | None:
        """The kinds (POLRES, POLRESTA, POLRESTABES), every Polda by name, the optional modules
        and the time zones that ``onboardTenant`` accepts. Needs ``PLATFORM_ADMIN``.
        """
        return onboarding_options()
