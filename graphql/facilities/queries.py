from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import attempt
from jogo.graphql.facilities.types import Camera, CameraPayload, CreateCameraInput, Hospital
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import requires
from jogo.platform.auth.roles import Cap
from jogo.tenants.facilities import queries
from jogo.tenants.facilities.actions import CameraInput, do_create_camera


@strawberry.type
class FacilitiesQuery:
    @strawberry.field(description="Hospitals with their emergency beds (public).")
    async def hospitals(self, info: Info[Context, None]) -> list[Hospital]:
        rows = await queries.hospitals(info.context.require_tenant().id)
        return [Hospital.of(r) for r in rows]

    @strawberry.field(
        description="The command's cameras and whether they answer.",
        permission_classes=[requires(Cap.DIRECTORY_READ)],
    )
    async def cameras(self, info: Info[Context, None], status: str | None = None) -> list[Camera]:
        rows = await queries.cameras(info.context.require_tenant().id, status)
        return [Camera.of(r) for r in rows]


@strawberry.type
class FacilitiesMutation:
    @strawberry.mutation(description="Add a camera (tenant admins).")
    async def create_camera(
        self, info: Info[Context, None], input: CreateCameraInput
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
            )
            return await do_create_camera(tenant.id, ctx.principal, data)

        camera_id, errors = await attempt(create)
        if camera_id is None:
            return CameraPayload(errors=errors)
        return CameraPayload(camera=Camera.of(await queries.camera_by_id(tenant.id, camera_id)))
