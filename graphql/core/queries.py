"""``me`` and ``tenant``: in every tenant schema, whatever the modules."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.core.types import Me, PrivacyNotice, TenantType
from jogo.platform.auth.phone import phone_of
from jogo.tenants.consent.notices import current_notice_of


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
        user_id=p.id if p.kind == "user" else None,
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
        user_id=p.id if p.kind == "user" else None,
    )


@strawberry.type
class CoreQuery:
    @strawberry.field(description="The caller.")
    async def me(self, info: Info[Context, None]) -> Me:
        """The caller as this tenant knows them (see :func:`me_in_tenant`), with a user's
        phone (citizens who sign in by phone); anyone may ask."""
        me = me_in_tenant(info.context)
        p = info.context.principal
        if p.kind == "user" and p.id is not None:
            me.phone = await phone_of(p.id)
        return me

    @strawberry.field(
        description="This command's privacy notice in force (anyone may read it): its newest"
        " published version, else the product's default."
    )
    async def privacy_notice(self, info: Info[Context, None]) -> PrivacyNotice:
        """The version and text (Bahasa Indonesia, English) of the privacy notice a citizen
        accepts at sign-up (``consent`` of ``POST /auth/web/phone/verify``) and whose
        version a client sends with a report, a channel or a shared post."""
        tenant = info.context.require_tenant()
        return PrivacyNotice.of(await current_notice_of(tenant.id))

    @strawberry.field(description="This command's public profile.")
    def tenant(self, info: Info[Context, None]) -> TenantType:
        """This command's public profile (see :meth:`TenantType.of`); anyone may ask."""
        return TenantType.of(info.context.require_tenant())
