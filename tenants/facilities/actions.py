"""Writes of the facilities domain: cameras, and what the periodic checks observed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import asyncpg

from jogo.platform import contacts, db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.egress import check_url
from jogo.platform.errors import Conflict, InputErrors, InvalidInput, NotFound
from jogo.platform.urls import normalise
from jogo.tenants.agencies.actions import CODE, MAX_ADDRESS, MAX_URL, location_error
from jogo.tenants.agencies.directory import constraint_field
from jogo.tenants.facilities.capacity import Capacity
from jogo.tenants.facilities.queries import STALE_AFTER


@dataclass
class CameraInput:
    name: str
    latitude: float
    longitude: float
    stream_url: str
    snapshot_url: str | None = None
    operator_agency_id: uuid.UUID | None = None
    code: str | None = None


def check_camera(data: CameraInput) -> CameraInput:
    """The camera as it will be stored, or ``InputErrors`` naming each faulty field."""
    errors: list[InvalidInput] = []
    code = (data.code or "").strip().upper() or None
    if code is not None and not CODE.match(code):
        errors.append(InvalidInput("code must be 2-40 of A-Z, 0-9, '_' or '-'", field="code"))
    data.code = code
    data.name = " ".join((data.name or "").split())
    if not 3 <= len(data.name) <= 200:
        errors.append(InvalidInput("name must be 3-200 characters", field="name"))
    lat, lon = data.latitude, data.longitude
    if lat is None or lon is None:
        errors.append(InvalidInput("the camera must be in Indonesia", field="latitude"))
    elif (where := location_error(lat, lon)) is not None:
        errors.append(where)
    for url, url_field in ((data.stream_url, "streamUrl"), (data.snapshot_url, "snapshotUrl")):
        if url is not None and len(url) > MAX_URL:
            errors.append(
                InvalidInput(f"a URL may be at most {MAX_URL} characters", field=url_field)
            )
    stream = urlsplit(data.stream_url or "")
    is_hls = stream.scheme in ("http", "https") and stream.path.endswith(".m3u8")
    if not (stream.netloc and (stream.scheme in ("rtsp", "rtsps") or is_hls)):
        errors.append(
            InvalidInput("the stream must be RTSP (rtsp://) or HLS (…/x.m3u8)", field="streamUrl")
        )
    if data.snapshot_url:
        snap = urlsplit(data.snapshot_url)
        if snap.scheme not in ("http", "https") or not snap.netloc:
            errors.append(InvalidInput("the snapshot URL must be http(s)", field="snapshotUrl"))
    if errors:
        raise InputErrors(errors)
    data.stream_url = normalise(data.stream_url)
    data.snapshot_url = normalise(data.snapshot_url) if data.snapshot_url else None
    return data


async def do_create_camera(
    tenant_id: uuid.UUID,
    principal: Principal,
    data: CameraInput,
    *,
    allow_private_egress: bool,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """``allow_private_egress``: the process's ``JOGO_ALLOW_PRIVATE_EGRESS``. The snapshot
    URL, which the platform calls to check the camera, is refused (``INVALID_INPUT`` on
    ``snapshotUrl``) when it points where the platform may not connect
    (:mod:`jogo.platform.egress`). The stream URL is only handed to operators' players;
    the platform never connects to it, so a camera on a private network may stream.
    ``retry``: a retry under the same client key returns the first try's camera
    (:mod:`jogo.platform.idempotency`)."""
    if Cap.DIRECTORY_WRITE not in principal.tenant_caps(tenant_id):
        raise denied(
            principal, "only a tenant admin (or a key with agencies:write) can add cameras"
        )
    data = check_camera(data)
    if data.snapshot_url:
        await check_url(data.snapshot_url, allow_private=allow_private_egress, field="snapshotUrl")
    camera_id = uuid.uuid4()
    try:
        async with db.tenant_tx(tenant_id):
            if (earlier := await idempotency.claim(tenant_id, retry, camera_id)) is not None:
                return earlier
            if data.operator_agency_id is not None:
                found = await db.fetch(
                    "SELECT 1 FROM agencies WHERE id = $1 AND is_active", data.operator_agency_id
                )
                if not found:
                    raise NotFound("agency not found", field="operatorAgencyId")
            await db.fetch(
                "INSERT INTO cameras (tenant_id, id, name, latitude, longitude, stream_url,"
                " snapshot_url, operator_agency_id, code)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                tenant_id,
                camera_id,
                data.name,
                data.latitude,
                data.longitude,
                data.stream_url,
                data.snapshot_url,
                data.operator_agency_id,
                data.code,
            )
            await write_audit(
                "camera.create",
                principal=principal,
                tenant_id=tenant_id,
                target=f"camera:{camera_id}",
            )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a camera with code {data.code!r} exists", field="code") from None
    except asyncpg.CheckViolationError as exc:
        raise InvalidInput(
            f"the camera breaks a rule ({exc.constraint_name})",
            field=constraint_field(exc, "cameras") or "name",
        ) from None
    return camera_id


async def record_capacity(
    agency_id: uuid.UUID, seen: Capacity | None, error: str | None, now: datetime | None = None
) -> None:
    """Inside the job's tenant transaction. A failed poll keeps the last numbers and
    marks them stale once they are older than :data:`STALE_AFTER`."""
    now = now or datetime.now(UTC)
    if seen is not None:
        observed = seen.observed_at or now
        await db.fetch(
            "INSERT INTO hospital_capacity (tenant_id, agency_id, er_beds_available,"
            " er_beds_total, observed_at, checked_at, stale, last_error)"
            " VALUES (jogo_current_tenant(), $1, $2, $3, $4, $5, $6, NULL)"
            " ON CONFLICT (tenant_id, agency_id) DO UPDATE SET"
            " er_beds_available = EXCLUDED.er_beds_available,"
            " er_beds_total = EXCLUDED.er_beds_total, observed_at = EXCLUDED.observed_at,"
            " checked_at = EXCLUDED.checked_at, stale = EXCLUDED.stale, last_error = NULL",
            agency_id,
            seen.available,
            seen.total,
            observed,
            now,
            now - observed > STALE_AFTER,
        )
        return
    await db.fetch(
        "INSERT INTO hospital_capacity (tenant_id, agency_id, checked_at, stale, last_error)"
        " VALUES (jogo_current_tenant(), $1, $2, true, $3)"
        " ON CONFLICT (tenant_id, agency_id) DO UPDATE SET checked_at = EXCLUDED.checked_at,"
        " last_error = EXCLUDED.last_error,"
        " stale = hospital_capacity.observed_at IS NULL OR hospital_capacity.observed_at < $4",
        agency_id,
        now,
        (error or "unreadable")[:500],
        now - STALE_AFTER,
    )


async def record_camera_check(
    camera_id: uuid.UUID, online: bool, error: str | None, now: datetime | None = None
) -> None:
    """Record a camera's snapshot check at ``now`` (default now, UTC): status ``ONLINE`` (and
    ``last_seen_at``) or ``OFFLINE`` with the error (at most 500 characters). Call inside the
    tenant's transaction; an unknown id changes nothing."""
    now = now or datetime.now(UTC)
    await db.fetch(
        "UPDATE cameras SET status = $2, checked_at = $3, last_error = $4,"
        " last_seen_at = CASE WHEN $2 = 'ONLINE' THEN $3 ELSE last_seen_at END WHERE id = $1",
        camera_id,
        "ONLINE" if online else "OFFLINE",
        now,
        None if online else (error or "")[:500],
    )


POST_KINDS = ("POLSEK", "POS_POLISI")


def check_police_post(
    name: str | None,
    kind: str,
    latitude: float,
    longitude: float,
    phone: str | None,
    address: str | None = None,
) -> tuple[str, str | None]:
    """(name, phone) as stored, or ``InputErrors`` naming each faulty field (the
    address: at most ``MAX_ADDRESS`` characters once spaces are collapsed)."""
    errors: list[InvalidInput] = []
    name = " ".join((name or "").split())
    if not 3 <= len(name) <= 200:
        errors.append(InvalidInput("name must be 3-200 characters", field="name"))
    if kind not in POST_KINDS:
        errors.append(InvalidInput("kind must be POLSEK or POS_POLISI", field="kind"))
    if latitude is None or longitude is None:
        errors.append(InvalidInput("the post must be in Indonesia", field="latitude"))
    elif (where := location_error(latitude, longitude)) is not None:
        errors.append(where)
    if len(" ".join((address or "").split())) > MAX_ADDRESS:
        errors.append(
            InvalidInput(f"address may be at most {MAX_ADDRESS} characters", field="address")
        )
    phone = contacts.checked(phone, "phone", contacts.directory_phone, errors)
    if errors:
        raise InputErrors(errors)
    return name, phone


async def do_create_police_post(
    tenant_id: uuid.UUID,
    principal: Principal,
    name: str,
    kind: str,
    latitude: float,
    longitude: float,
    phone: str | None = None,
    address: str | None = None,
    *,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """A police post; ``retry``: a retry under the same client key returns the first
    try's post (:mod:`jogo.platform.idempotency`)."""
    if Cap.DIRECTORY_WRITE not in principal.tenant_caps(tenant_id):
        raise denied(
            principal, "only a tenant admin (or a key with agencies:write) can add police posts"
        )
    name, phone = check_police_post(name, kind, latitude, longitude, phone, address)
    address = " ".join((address or "").split()) or None
    post_id = uuid.uuid4()
    try:
        async with db.tenant_tx(tenant_id):
            if (earlier := await idempotency.claim(tenant_id, retry, post_id)) is not None:
                return earlier
            await db.fetch(
                "INSERT INTO police_posts (tenant_id, id, name, kind, latitude, longitude,"
                " phone, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                tenant_id,
                post_id,
                name,
                kind,
                latitude,
                longitude,
                phone,
                address,
            )
            await write_audit(
                "police_post.create",
                principal=principal,
                tenant_id=tenant_id,
                target=f"police_post:{post_id}",
            )
    except asyncpg.CheckViolationError as exc:
        raise InvalidInput(
            f"the police post breaks a rule ({exc.constraint_name})",
            field=constraint_field(exc, "police_posts") or "name",
        ) from None
    return post_id
