from __future__ import annotations

import strawberry

from jogo.graphql.core.types import TenantType
from jogo.graphql.errors import UserError
from jogo.tenants.onboarding.templates import AGENCY_ROLES, Template


@strawberry.type(name="Template", description="An onboarding template.")
class TemplateType:
    name: str
    description: str
    category_count: int
    agency_count: int = strawberry.field(
        description="Always 0: templates seed categories and agency roles, never agencies;"
        " a command adds or imports its own directory."
    )
    default_modules: list[str]
    sample_directory: bool = strawberry.field(description="Always false (see agencyCount).")
    agency_roles: list[str] = strawberry.field(
        default_factory=list,
        description="The kinds of agency the template's categories need, e.g. fire, transport.",
    )

    @classmethod
    def of(cls, t: Template) -> TemplateType:
        """A template as offered for onboarding: name, description, how many categories it seeds,
        its default modules (sorted) and the agency roles. It seeds no agencies.
        """
        return cls(
            name=t.name,
            description=t.description,
            category_count=len(t.categories),
            agency_count=0,  # templates seed no agencies: the directory is the command's
            default_modules=sorted(t.default_modules),
            sample_directory=False,
            agency_roles=[r.code for r in AGENCY_ROLES],
        )


@strawberry.input
class OnboardTenantInput:
    slug: str = strawberry.field(description="3-63 lowercase letters, digits, hyphens.")
    name: str
    polda_code: str = strawberry.field(
        description="e.g. JATIM; must be the one Polda whose area holds regionCode (each"
        " province has exactly one; INVALID_INPUT names the right one)."
    )
    region_code: str = strawberry.field(description="Kemendagri kabupaten/kota, e.g. 35.73.")
    template: str = "minimal"
    kind: str | None = strawberry.field(
        default=None, description="POLRES, POLRESTA or POLRESTABES; by default from the name."
    )
    modules: list[str] | None = strawberry.field(
        default=None, description="By default the template's modules."
    )
    time_zone: str | None = None
    ticket_prefix: str | None = strawberry.field(
        default=None,
        description="2-6 letters A-Z, unique across the platform (a taken one is CONFLICT)."
        " By default the first free one derived from the region's name (Kota Malang: MLG,"
        " then MLN, ..., MLGA, ...).",
    )
    jurisdiction: str | None = strawberry.field(
        default=None,
        description="Optional: a GeoJSON Polygon or MultiPolygon (WGS84, longitude first);"
        " reports located outside it are flagged. INVALID_INPUT on jurisdiction if bad.",
    )


@strawberry.type
class OnboardTenantPayload:
    tenant: TenantType | None = None
    sample_directory: bool = strawberry.field(
        default=False,
        description="True when the seeded agency directory is sample data to confirm.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TenantPayload:
    tenant: TenantType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
