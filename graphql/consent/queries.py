"""Reads: the command's privacy notice (current and history, anyone), the purposes and
their lawful basis (anyone), and the signed-in person's consents."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.consent.types import Consent, PrivacyPurpose
from jogo.graphql.context import Context
from jogo.graphql.core.types import PrivacyNotice
from jogo.graphql.permissions import requires
from jogo.platform.auth.privacy import template
from jogo.platform.auth.roles import Cap
from jogo.tenants.consent import notices, queries
from jogo.tenants.consent.purposes import PURPOSES


@strawberry.type
class ConsentQuery:
    @strawberry.field(
        description="Versions of this command's privacy notice, newest first (at most 50),"
        " ending with the product's default (in force before the command's first own"
        " version). Anyone may read them."
    )
    async def privacy_notices(self, info: Info[Context, None]) -> list[PrivacyNotice]:
        """Every published version (newest first), then the default (``isDefault``)."""
        tenant = info.context.require_tenant()
        return [PrivacyNotice.of(n) for n in await notices.history(tenant.id)]

    @strawberry.field(
        description="The product's notice template (Bahasa Indonesia and English) a tenant"
        " admin edits before publishing; '{version}' stands for the label."
    )
    def privacy_notice_template(self) -> PrivacyNotice:
        """The product's template (version ``{version}``); anyone may read it."""
        found = template()
        return PrivacyNotice(
            version=found.version, text_id=found.text_id, text_en=found.text_en, is_default=True
        )

    @strawberry.field(description="The purposes and the lawful basis of each (anyone).")
    def privacy_purposes(self) -> list[PrivacyPurpose]:
        """REPORT, SIGN_UP, NOTIFICATIONS, SHARING with their basis."""
        return [PrivacyPurpose.of(p) for p in PURPOSES.values()]

    @strawberry.field(
        description="The signed-in person's consents at this command, one per purpose.",
        permission_classes=[requires(Cap.OWN_ACCOUNT)],
    )
    async def my_consents(self, info: Info[Context, None]) -> list[Consent] | None:
        """REPORT, SIGN_UP, NOTIFICATIONS, SHARING with the caller's state. Needs
        ``OWN_ACCOUNT`` (never an API key)."""
        tenant = info.context.require_tenant()
        principal = info.context.principal
        if principal.kind != "user" or principal.id is None:
            return []
        return [Consent.of(c) for c in await queries.my_consents(tenant.id, principal.id)]
