"""Changing cameras and police posts (deactivation: :mod:`jogo.tenants.agencies.directory`)."""

from __future__ import annotations

import uuid
from dataclasses import fields, replace
from typing import Any

from jogo.platform import db
from jogo.platform.auth.principal import Principal
from jogo.platform.egress import check_url
from jogo.platform.errors import NotFound
from jogo.tenants.agencies.directory import apply_update, read_entry, require_directory_writer
from jogo.tenants.facilities.actions import CameraInput, check_camera, check_police_post

CAMERA_FIELDS = frozenset(f.name for f in fields(CameraInput))
POST_FIELDS = frozenset({"name", "kind", "latitude", "longitude", "phone", "address"})


async def do_update_camera(
    tenant_id: uuid.UUID,
    principal: Principal,
    camera_id: uuid.UUID,
    given: dict[str, Any],
    *,
    allow_private_egress: bool,
) -> uuid.UUID:
    """``given``: the :class:`CameraInput` fields to change (absent ones stay; None
    clears a nullable one), checked as ``createCamera`` checks a new camera, a changed
    snapshot URL by the egress rule. ``NotFound`` on ``cameraId`` (or on
    ``operatorAgencyId`` for an unknown or inactive agency), ``Forbidden`` without
    directory rights, ``CONFLICT`` for a code another camera has or a change meanwhile."""
    require_directory_writer(tenant_id, principal)
    unknown = set(given) - CAMERA_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    row = await read_entry(tenant_id, "camera", camera_id)
    stored = CameraInput(**{f: row[f] for f in CAMERA_FIELDS})
    merged = check_camera(replace(stored, **given))
    if merged.snapshot_url and merged.snapshot_url != row["snapshot_url"]:
        await check_url(
            merged.snapshot_url, allow_private=allow_private_egress, field="snapshotUrl"
        )
    operator = merged.operator_agency_id
    if operator is not None and operator != row["operator_agency_id"]:
        async with db.tenant_tx(tenant_id):
            found = await db.fetch("SELECT 1 FROM agencies WHERE id = $1 AND is_active", operator)
        if not found:
            raise NotFound("agency not found", field="operatorAgencyId")
    values = {f: getattr(merged, f) for f in CAMERA_FIELDS}
    await apply_update(tenant_id, principal, "camera", camera_id, values, seen_at=row["updated_at"])
    return camera_id


async def do_update_police_post(
    tenant_id: uuid.UUID, principal: Principal, post_id: uuid.UUID, given: dict[str, Any]
) -> uuid.UUID:
    """``given``: name, kind, latitude, longitude, phone or address to change, checked
    as ``createPolicePost`` checks a new post. ``NotFound`` on ``policePostId``,
    ``Forbidden`` without directory rights, ``CONFLICT`` on a change meanwhile."""
    require_directory_writer(tenant_id, principal)
    unknown = set(given) - POST_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    row = await read_entry(tenant_id, "police_post", post_id)
    merged = {f: row[f] for f in POST_FIELDS} | given
    name, phone = check_police_post(
        merged["name"],
        merged["kind"],
        merged["latitude"],
        merged["longitude"],
        merged["phone"],
        merged["address"],
    )
    address = " ".join((merged["address"] or "").split()) or None
    values = merged | {"name": name, "phone": phone, "address": address}
    await apply_update(
        tenant_id, principal, "police_post", post_id, values, seen_at=row["updated_at"]
    )
    return post_id
