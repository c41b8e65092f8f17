"""Facility mutations (cameras, police posts, hospital capacity)."""

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
    PolicePostPayload,
)
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.platform.auth.roles import Cap
from jogo.tenants.facilities import queries
from jogo.tenants.facilities.actions import CameraInput, do_create_camera, do_create_police_post


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
        """Add a CCTV camera. The snapshot URL (which the platform polls) must pass the egress
        (SSRF) rule; the stream URL is only handed to operators' players. Needs
        ``DIRECTORY_WRITE``. Errors: ``INVALID_INPUT`` per field, ``NOT_FOUND`` (operator
        agency), ``CONFLICT`` (code taken, or ``clientKey`` reused with other input).
        """
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
        """Add a police post (Polsek, Pos Polisi); answers its ID. ``phone``: a valid number
        (Indonesian without a country code), kept as E.164, or a short number such as 110. Needs
        ``DIRECTORY_WRITE``. ``INVALID_INPUT`` per field; ``CONFLICT`` for a reused
        ``clientKey``.
        """
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
