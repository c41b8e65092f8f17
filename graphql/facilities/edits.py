"""Changing and deactivating cameras and police posts (tenant admins)."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.facilities.types import Camera, CameraPayload, Facility, PolicePostPayload
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.tenants.agencies.directory import do_set_entry_active, read_entry
from jogo.tenants.facilities import queries
from jogo.tenants.facilities.edits import do_update_camera, do_update_police_post

UNSET: Any = strawberry.UNSET
SAME = "A field left out stays as it is; null clears an optional one."


def _given(value: object, required: tuple[str, ...]) -> dict[str, Any]:
    values = {k: v for k, v in vars(value).items() if v is not UNSET}
    for key in required:
        if key in values and values[key] is None:
            field = key.split("_")[0] + "".join(p.title() for p in key.split("_")[1:])
            raise InvalidInput(f"{field} cannot be cleared", field=field)
    return values


@strawberry.input(description=f"Changes to a camera. {SAME}")
class UpdateCameraInput:
    name: str | None = UNSET
    code: str | None = strawberry.field(
        default=UNSET, description="2-40 of A-Z, 0-9, _ or -; unique in the command."
    )
    latitude: float | None = UNSET
    longitude: float | None = UNSET
    stream_url: str | None = UNSET
    snapshot_url: str | None = UNSET
    operator_agency_id: strawberry.ID | None = UNSET

    def given(self) -> dict[str, Any]:
        """The fields the caller set (absent ones stay; null clears a nullable one), the operator
        agency's ID parsed. ``INVALID_INPUT`` when name, latitude, longitude or streamUrl is set to
        null; ``NOT_FOUND`` for a malformed operatorAgencyId.
        """
        values = _given(self, ("name", "latitude", "longitude", "stream_url"))
        if values.get("operator_agency_id") is not None:
            values["operator_agency_id"] = parse_uuid(
                values["operator_agency_id"], "operatorAgencyId"
            )
        return values


@strawberry.input(description=f"Changes to a police post. {SAME}")
class UpdatePolicePostInput:
    name: str | None = UNSET
    kind: str | None = strawberry.field(default=UNSET, description="POLSEK or POS_POLISI.")
    latitude: float | None = UNSET
    longitude: float | None = UNSET
    phone: str | None = UNSET
    address: str | None = UNSET

    def given(self) -> dict[str, Any]:
        """The fields the caller set (absent ones stay; null clears a nullable one).
        ``INVALID_INPUT`` when name, kind, latitude or longitude is set to null.
        """
        return _given(self, ("name", "kind", "latitude", "longitude"))


async def _camera(
    tenant_id: uuid.UUID, outcome: tuple[uuid.UUID | None, list[UserError]]
) -> CameraPayload:
    camera_id, errors = outcome
    if camera_id is None:
        return CameraPayload(errors=errors)
    return CameraPayload(camera=Camera.of(await queries.camera_by_id(tenant_id, camera_id)))


async def _post(
    tenant_id: uuid.UUID, outcome: tuple[uuid.UUID | None, list[UserError]]
) -> PolicePostPayload:
    post_id, errors = outcome
    if post_id is None:
        return PolicePostPayload(errors=errors)
    row = await read_entry(tenant_id, "police_post", post_id)
    facility = Facility.of(row | {"kind": "police_post", "metres": 0.0})
    return PolicePostPayload(id=strawberry.ID(str(post_id)), police_post=facility)


@strawberry.type
class FacilityDirectoryMutation:
    @strawberry.mutation(
        description="Change a camera (tenant admins), checked like createCamera; a changed"
        " snapshotUrl must pass the egress rule. Audited with the changed fields.",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def update_camera(
        self, info: Info[Context, None], camera_id: strawberry.ID, input: UpdateCameraInput
    ) -> CameraPayload:
        """Change a camera, checked as a whole like ``createCamera``; a changed snapshot URL must
        pass the egress (SSRF) rule. Audited with the changed fields. Needs ``DIRECTORY_WRITE``.
        Errors: ``INVALID_INPUT`` per field, ``NOT_FOUND`` (camera, or an unknown or inactive
        operator agency), ``CONFLICT`` (code taken, or changed meanwhile).
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _camera(
            tenant.id,
            await attempt(
                lambda: do_update_camera(
                    tenant.id,
                    ctx.principal,
                    parse_uuid(camera_id, "cameraId"),
                    input.given(),
                    allow_private_egress=ctx.settings.allow_private_egress,
                )
            ),
        )

    @strawberry.mutation(
        description="Deactivate a camera (tenant admins): kept, no longer checked, listed or"
        " shown near reports. Audited.",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def deactivate_camera(
        self, info: Info[Context, None], camera_id: strawberry.ID
    ) -> CameraPayload:
        """Deactivate a camera: kept, but no longer checked, listed or shown near reports; audited
        unless already inactive. Needs ``DIRECTORY_WRITE``; ``NOT_FOUND`` for an unknown id.
        """
        return await _camera_active(info, camera_id, False)

    @strawberry.mutation(
        description="Make a deactivated camera active again (tenant admins).",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def reactivate_camera(
        self, info: Info[Context, None], camera_id: strawberry.ID
    ) -> CameraPayload:
        """Make a deactivated camera active again; audited unless already active. Needs
        ``DIRECTORY_WRITE``; ``NOT_FOUND`` for an unknown id.
        """
        return await _camera_active(info, camera_id, True)

    @strawberry.mutation(
        description="Change a police post (tenant admins), checked like createPolicePost."
        " Audited with the changed fields.",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def update_police_post(
        self,
        info: Info[Context, None],
        police_post_id: strawberry.ID,
        input: UpdatePolicePostInput,
    ) -> PolicePostPayload:
        """Change a police post, checked like ``createPolicePost``; audited with the changed fields.
        Needs ``DIRECTORY_WRITE``. Errors: ``INVALID_INPUT`` per field, ``NOT_FOUND`` (post),
        ``CONFLICT`` (changed meanwhile).
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _post(
            tenant.id,
            await attempt(
                lambda: do_update_police_post(
                    tenant.id,
                    ctx.principal,
                    parse_uuid(police_post_id, "policePostId"),
                    input.given(),
                )
            ),
        )

    @strawberry.mutation(
        description="Deactivate a police post (tenant admins): kept, no longer listed or"
        " named in SOS answers. Audited.",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def deactivate_police_post(
        self, info: Info[Context, None], police_post_id: strawberry.ID
    ) -> PolicePostPayload:
        """Deactivate a police post: kept, but no longer listed or named in SOS answers; audited
        unless already inactive. Needs ``DIRECTORY_WRITE``; ``NOT_FOUND`` for an unknown id.
        """
        return await _post_active(info, police_post_id, False)

    @strawberry.mutation(
        description="Make a deactivated police post active again (tenant admins).",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def reactivate_police_post(
        self, info: Info[Context, None], police_post_id: strawberry.ID
    ) -> PolicePostPayload:
        """Make a deactivated police post active again; audited unless already active. Needs
        ``DIRECTORY_WRITE``; ``NOT_FOUND`` for an unknown id.
        """
        return await _post_active(info, police_post_id, True)


async def _set_active(
    info: Info[Context, None], entry: str, entry_id: strawberry.ID, argument: str, active: bool
) -> tuple[uuid.UUID, tuple[uuid.UUID | None, list[UserError]]]:
    ctx = info.context
    tenant = ctx.require_tenant()
    outcome = await attempt(
        lambda: do_set_entry_active(
            tenant.id, ctx.principal, entry, parse_uuid(entry_id, argument), active
        )
    )
    return tenant.id, outcome


async def _camera_active(
    info: Info[Context, None], camera_id: strawberry.ID, active: bool
) -> CameraPayload:
    return await _camera(*await _set_active(info, "camera", camera_id, "cameraId", active))


async def _post_active(
    info: Info[Context, None], post_id: strawberry.ID, active: bool
) -> PolicePostPayload:
    return await _post(*await _set_active(info, "police_post", post_id, "policePostId", active))
