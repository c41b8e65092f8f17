from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.admin.invites import InviteMutation
from jogo.graphql.admin.types import OnboardTenantInput, OnboardTenantPayload, TenantPayload
from jogo.graphql.context import Context
from jogo.graphql.core.types import TenantType
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.permissions import writes
from jogo.graphql.reports.transfer import JurisdictionPayload
from jogo.platform.audit import actor_of
from jogo.platform.auth.roles import Cap
from jogo.platform.registry import TenantInfo, get_by_slug
from jogo.tenants.onboarding.actions import (
    OnboardInput,
    do_onboard_tenant,
    do_set_tenant_modules,
    do_set_tenant_status,
)
from jogo.tenants.reports.jurisdiction import JurisdictionSet, do_set_jurisdiction


def _tenant_payload(result: TenantInfo | None, errors: list[UserError]) -> TenantPayload:
    return TenantPayload(tenant=TenantType.of(result) if result else None, errors=errors)


@strawberry.type
class AdminMutation(InviteMutation):
    @strawberry.mutation(
        description="Onboard a regional command from a template.",
        extensions=writes(Cap.PLATFORM_ADMIN),
    )
    async def onboard_tenant(
        self,
        info: Info[Context, None],
        input: OnboardTenantInput,
        client_key: ClientKeyArgument = None,
    ) -> OnboardTenantPayload:
        """Create a regional command from a template in one transaction: the tenant row, its
        categories (plus election categories with that module), jurisdiction and audit row. Needs
        ``PLATFORM_ADMIN``.

        ``regionCode`` is a Kemendagri kabupaten/kota code (e.g. 35.73), checked against its Polda;
        the time zone and ticket prefix default from the region. Errors: ``INVALID_INPUT`` per
        field, ``CONFLICT`` (slug or ticket prefix taken, ``clientKey`` reused with other input).
        A ``clientKey`` retry within 24 hours answers the first tenant.
        """
        data = OnboardInput(
            slug=input.slug,
            name=input.name,
            polda_code=input.polda_code,
            region_code=input.region_code,
            template=input.template,
            kind=input.kind,
            modules=input.modules,
            time_zone=input.time_zone,
            ticket_prefix=input.ticket_prefix,
            jurisdiction=input.jurisdiction,
        )
        actor = actor_of(info.context.principal)
        result, errors = await attempt(
            lambda: do_onboard_tenant(
                data,
                actor=actor,
                retry=retry_key(info, "onboardTenant", client_key, {"input": input}),
            )
        )
        if result is None:
            return OnboardTenantPayload(errors=errors)
        return OnboardTenantPayload(
            tenant=TenantType.of(result.tenant), sample_directory=result.sample_directory
        )

    @strawberry.mutation(
        description="Switch a tenant's optional modules.", extensions=writes(Cap.PLATFORM_ADMIN)
    )
    async def set_tenant_modules(
        self, info: Info[Context, None], slug: str, modules: list[str]
    ) -> TenantPayload:
        """Replace a tenant's optional modules (the set, not a change); switching election on seeds
        its categories. Audited. Needs ``PLATFORM_ADMIN``. ``NOT_FOUND`` (slug),
        ``INVALID_INPUT`` (unknown module).
        """
        actor = actor_of(info.context.principal)
        result, errors = await attempt(lambda: do_set_tenant_modules(slug, modules, actor=actor))
        return _tenant_payload(result, errors)

    @strawberry.mutation(
        description="Suspend a tenant: its paths answer 403 until resumed.",
        extensions=writes(Cap.PLATFORM_ADMIN),
    )
    async def suspend_tenant(self, info: Info[Context, None], slug: str) -> TenantPayload:
        """Set a tenant SUSPENDED: its paths answer 403 and its live feeds end until resumed.
        Audited. Needs ``PLATFORM_ADMIN``; ``NOT_FOUND`` for an unknown slug.
        """
        actor = actor_of(info.context.principal)
        result, errors = await attempt(lambda: do_set_tenant_status(slug, "SUSPENDED", actor=actor))
        return _tenant_payload(result, errors)

    @strawberry.mutation(
        description="Set or clear a command's jurisdiction (GeoJSON Polygon/MultiPolygon,"
        " WGS84, longitude first; null clears); its open reports are flagged again. Audited.",
        extensions=writes(Cap.PLATFORM_ADMIN),
    )
    async def set_tenant_jurisdiction(
        self, info: Info[Context, None], slug: str, geojson: str | None = None
    ) -> JurisdictionPayload:
        """Set or clear (null) command ``slug``'s jurisdiction polygon, as ``setJurisdiction`` does
        for a tenant admin: open reports flagged again, audited. Needs ``PLATFORM_ADMIN``.
        ``NOT_FOUND`` (slug), ``INVALID_INPUT`` on ``geojson``.
        """
        actor = actor_of(info.context.principal)

        async def act() -> JurisdictionSet:
            return await do_set_jurisdiction(await get_by_slug(slug), geojson, actor=actor)

        done, errors = await attempt(act)
        return JurisdictionPayload.of(done, errors)

    @strawberry.mutation(
        description="Resume a suspended tenant.", extensions=writes(Cap.PLATFORM_ADMIN)
    )
    async def resume_tenant(self, info: Info[Context, None], slug: str) -> TenantPayload:
        """Set a tenant ACTIVE again. Audited. Needs ``PLATFORM_ADMIN``; ``NOT_FOUND`` for an
        unknown slug.
        """
        actor = actor_of(info.context.principal)
        result, errors = await attempt(lambda: do_set_tenant_status(slug, "ACTIVE", actor=actor))
        return _tenant_payload(result, errors)
