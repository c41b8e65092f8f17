from __future__ import annotations

from datetime import datetime

import strawberry

from jogo.platform.regions import region_name
from jogo.platform.registry import TenantInfo


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


@strawberry.type(
    description="The privacy notice a citizen accepts at sign-up: its version, and its text in"
    " Bahasa Indonesia (textId, the text of record) and English (textEn)."
)
class PrivacyNotice:
    version: str
    text_id: str
    text_en: str
