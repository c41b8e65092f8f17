from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.facilities.types import (
    Camera,
    Facility,
    FacilityKind,
    Hospital,
)
from jogo.graphql.permissions import requires
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.tenants.facilities import queries
from jogo.tenants.reports.validation import in_indonesia


def _admin(info: Info[Context, None]) -> bool:
    tenant = info.context.require_tenant()
    return Cap.DIRECTORY_WRITE in info.context.principal.tenant_caps(tenant.id)


@strawberry.type
class FacilitiesQuery:
    @strawberry.field(
        description="Active hospitals with their emergency beds (public); includeInactive"
        " (tenant admins only, ignored for others) adds the deactivated ones."
    )
    async def hospitals(
        self, info: Info[Context, None], include_inactive: bool = False
    ) -> list[Hospital]:
        """The tenant's hospitals by name with emergency-bed capacity (read from each hospital's
        FHIR R4 or JSON endpoint); ``stale`` when not observed in the last 30 minutes. Public.
        Deactivated ones only with ``includeInactive`` for ``DIRECTORY_WRITE`` holders.
        """
        rows = await queries.hospitals(
            info.context.require_tenant().id, include_inactive and _admin(info)
        )
        return [Hospital.of(r) for r in rows]

    @strawberry.field(
        description="Facilities within radiusM (at most 20 km) of a point, nearest first."
        " Cameras only for staff."
    )
    async def nearby(
        self,
        info: Info[Context, None],
        latitude: float,
        longitude: float,
        radius_m: float,
        kinds: list[FacilityKind] | None = None,
    ) -> list[Facility]:
        """Active facilities within ``radiusM`` metres of a point, nearest first (great-circle
        distance in metres), at most 50; optionally only some ``kinds``. Public, but cameras
        only for ``CAMERAS_READ`` holders. ``INVALID_INPUT`` for a radius outside 1-20000 m or a
        point outside Indonesia.
        """
        if not 1 <= radius_m <= 20_000:
            raise InvalidInput("radiusM must be between 1 and 20,000", field="radiusM")
        if not in_indonesia(latitude, longitude):
            raise InvalidInput("the point must lie in Indonesia", field="latitude")
        tenant = info.context.require_tenant()
        wanted = {k.value for k in kinds} if kinds else set(queries.FACILITY_KINDS)
        if Cap.CAMERAS_READ not in info.context.principal.tenant_caps(tenant.id):
            wanted.discard("camera")  # police staff only, like ``cameras``
        rows = await queries.nearby(tenant.id, latitude, longitude, radius_m, wanted)
        return [Facility.of(r) for r in rows]

    @strawberry.field(
        description="Active police posts (Polsek, Pos Polisi); public. includeInactive"
        " (tenant admins only, ignored for others) adds the deactivated ones."
    )
    async def police_posts(
        self, info: Info[Context, None], include_inactive: bool = False
    ) -> list[Facility]:
        """The tenant's police posts by name. Public. Deactivated ones only with
        ``includeInactive`` for ``DIRECTORY_WRITE`` holders.
        """
        tenant = info.context.require_tenant()
        rows = await queries.police_posts(tenant.id, include_inactive and _admin(info))
        return [Facility.of(r) for r in rows]

    @strawberry.field(
        description="The command's active cameras and whether they answer (police staff);"
        " includeInactive (tenant admins only, ignored for others) adds deactivated ones.",
        permission_classes=[requires(Cap.CAMERAS_READ)],
    )
    async def cameras(
        self, info: Info[Context, None], status: str | None = None, include_inactive: bool = False
    ) -> list[Camera] | None:
        """The tenant's cameras by name, optionally of one ``status``; an ONLINE camera not seen in
        10 minutes reads UNKNOWN. Needs ``CAMERAS_READ``; deactivated ones only with
        ``includeInactive`` for ``DIRECTORY_WRITE`` holders.
        """
        rows = await queries.cameras(
            info.context.require_tenant().id, status, include_inactive and _admin(info)
        )
        return [Camera.of(r) for r in rows]
