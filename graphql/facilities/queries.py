from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import attempt
from jogo.graphql.facilities.types import (
    Camera,
    CameraPayload,
    CreateCameraInput,
    Facility,
    FacilityKind,
    Hospital,
    PolicePostPayload,
)
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import requires, writes
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.tenants.facilities import queries
from jogo.tenants.facilities.actions import CameraInput, do_create_camera, do_create_police_post
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
        rows = await queries.cameras(
            info.context.require_tenant().id, status, include_inactive and _admin(info)
        )
        return [Camera.of(r) for r in rows]


@strawberry.type
class FacilitiesMutation:
    @strawberry.mutation(
        description="Add a camera (tenant admins).", extensions=writes(Cap.DIRECTORY_WRITE)
    )
    async def create_camera(
        self,
        info: Info[Context, None],
        input: CreateCameraInput,
        client_key: ClientKeyArgument = None,
    ) -> CameraPayload:
        ctx = info.context
        tenant = ctx.require_tenant()

        async def create() -> uuid.UUID:
            operator = input.operator_agency_id
            data = CameraInput(
                name=input.name,
                latitude=input.latitude,
                longitude=input.longitude,
                stream_url=input.stream_url,
                snapshot_url=input.snapshot_url,
                operator_agency_id=parse_uuid(operator, "operatorAgencyId") if operator else None,
                code=input.code,
            )
            return await do_create_camera(
                tenant.id,
                ctx.principal,
                data,
                allow_private_egress=ctx.settings.allow_private_egress,
                retry=retry_key(info, "createCamera", client_key, {"input": input}),
            )

        camera_id, errors = await attempt(create)
        if camera_id is None:
            return CameraPayload(errors=errors)
        return CameraPayload(camera=Camera.of(await queries.camera_by_id(tenant.id, camera_id)))

    @strawberry.mutation(
        description="Add a police post (tenant admins). phone: a valid number by libphonenumber"
        " (without a country code read as Indonesian), kept as E.164, or a short number such"
        " as 110; anything else is INVALID_INPUT on phone.",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def create_police_post(
        self,
        info: Info[Context, None],
        name: str,
        kind: str,
        latitude: float,
        longitude: float,
        phone: str | None = None,
        address: str | None = None,
        client_key: ClientKeyArgument = None,
    ) -> PolicePostPayload:
        ctx = info.context
        tenant = ctx.require_tenant()
        arguments = {
            "name": name,
            "kind": kind,
            "latitude": latitude,
            "longitude": longitude,
            "phone": phone,
            "address": address,
        }
        post_id, errors = await attempt(
            lambda: do_create_police_post(
                tenant.id,
                ctx.principal,
                name,
                kind,
                latitude,
                longitude,
                phone,
                address,
                retry=retry_key(info, "createPolicePost", client_key, arguments),
            )
        )
        return PolicePostPayload(id=strawberry.ID(str(post_id)) if post_id else None, errors=errors)
