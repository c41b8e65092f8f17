from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.platform.auth import totp
from jogo.platform.regions import region_name
from jogo.platform.registry import TenantInfo
from jogo.tenants.consent.notices import PublishedNotice


@strawberry.type(
    name="Tenant", description="A regional police command (Polres, Polresta, Polrestabes)."
)
class TenantType:
    id: strawberry.ID
    slug: str
    name: str
    kind: str
    polda_code: str
    region_code: str = strawberry.field(description="Kemendagri code, e.g. 35.73.")
    region_name: str | None
    time_zone: str = strawberry.field(description="WIB, WITA or WIT.")
    ticket_prefix: str
    status: str
    modules: list[str]
    created_at: datetime

    @classmethod
    def of(cls, t: TenantInfo) -> TenantType:
        """A tenant's profile from the registry: slug, name, kind, Polda and Kemendagri region code
        with the region's name, time zone (WIB/WITA/WIT), ticket prefix, status and sorted
        modules.
        """
        return cls(
            id=strawberry.ID(str(t.id)),
            slug=t.slug,
            name=t.name,
            kind=t.kind,
            polda_code=t.polda_code,
            region_code=t.region_code,
            region_name=region_name(t.region_code),
            time_zone=t.time_zone,
            ticket_prefix=t.ticket_prefix,
            status=t.status,
            modules=sorted(t.modules),
            created_at=t.created_at,
        )


@strawberry.type(description="The caller, as this API sees them.")
class Me:
    kind: str = strawberry.field(description="user, api_key or anonymous.")
    name: str
    roles: list[str] = strawberry.field(description="Roles that count on this endpoint.")
    scopes: list[str]
    phone: str | None = strawberry.field(
        default=None,
        description="A citizen's phone (E.164) they sign in with; null for everyone else.",
    )
    user_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field(
        description="The caller's two-step verification (TOTP): on or not, required of them"
        " or not, unused recovery codes. Null for anyone but a signed-in user."
    )
    async def two_factor(self, info: Info[Context, None]) -> TwoFactorStatus | None:
        """The signed-in user's TOTP status (:func:`jogo.platform.auth.totp.status`); null
        for an API key or an anonymous caller."""
        if self.user_id is None:
            return None
        found = await totp.status(self.user_id, info.context.settings)
        return TwoFactorStatus(
            enabled=found.enabled,
            required=found.required,
            recovery_codes_left=found.recovery_codes_left,
        )

    @strawberry.field(
        description="The caller's own recent security events, newest first (at most 20): a"
        " sign-in from a new device or network, a sign-in lockout, two-step verification"
        " turned on, recovery codes made or used. Empty for anyone but a signed-in user."
    )
    async def security_events(self) -> list[SecurityEvent]:
        """At most 20 of the user's ``security_events`` rows, newest first."""
        if self.user_id is None:
            return []
        return [
            SecurityEvent(kind=e.kind, at=e.at, client=e.client, message=e.message)
            for e in await totp.security_events(self.user_id)
        ]


@strawberry.type(description="Two-step verification (TOTP) of the signed-in user.")
class TwoFactorStatus:
    enabled: bool
    required: bool = strawberry.field(
        description="Their command (for operators and tenant admins) or the platform (for"
        " national and platform roles) requires it."
    )
    recovery_codes_left: int


@strawberry.type(
    description="Something that happened to one's own account. kind: NEW_DEVICE, LOCKOUT,"
    " TOTP_ENABLED, RECOVERY_CODES, RECOVERY_CODE_USED (lower case)."
)
class SecurityEvent:
    kind: str
    at: datetime
    client: str | None = strawberry.field(description="The client's IP address.")
    message: str = strawberry.field(description="Bahasa Indonesia, then English.")


@strawberry.type(
    description="A version of the command's privacy notice, accepted at sign-up and at every"
    " collection point of a purpose that rests on consent: its version, and its text in"
    " Bahasa Indonesia (textId, the text of record) and English (textEn)."
)
class PrivacyNotice:
    version: str
    text_id: str
    text_en: str
    published_at: datetime | None = strawberry.field(
        default=None, description="When the command published it (null: the default)."
    )
    is_default: bool = strawberry.field(
        default=False,
        description="The product's default notice, in force while the command has"
        " published none of its own.",
    )

    @classmethod
    def of(cls, notice: PublishedNotice) -> PrivacyNotice:
        """From a :class:`~jogo.tenants.consent.notices.PublishedNotice`."""
        return cls(
            version=notice.version,
            text_id=notice.text_id,
            text_en=notice.text_en,
            published_at=notice.published_at,
            is_default=notice.is_default,
        )
