"""Reads of the facilities domain, each in ``db.read_tx`` (the request's read
transaction in a query)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from jogo.platform import db

NEARBY_METRES = 500
STALE_AFTER = timedelta(minutes=30)
# A camera last seen longer ago than this is no longer reported ONLINE.
CAMERA_FRESH = timedelta(minutes=10)
CAMERA_COLUMNS = (
    "c.tenant_id, c.id, c.name, c.latitude, c.longitude, c.stream_url, c.snapshot_url,"
    " c.operator_agency_id, c.last_seen_at, c.checked_at, c.last_error, c.created_at,"
    " c.code, c.is_active, c.deactivated_at,"
    " CASE WHEN c.status = 'ONLINE' AND (c.last_seen_at IS NULL"
    " OR c.last_seen_at < now() - $2::interval) THEN 'UNKNOWN' ELSE c.status END AS status"
)
# 500 m in degrees of latitude, with room: a cheap box before the exact distance.
_BOX = 0.0050


async def hospitals(tenant_id: uuid.UUID, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Active hospitals (all with ``include_inactive``), by name."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT a.*, h.er_beds_available, h.er_beds_total, h.observed_at, h.checked_at,"
            # Stale is decided when read, so data stays honest even if the job stops.
            " (h.observed_at IS NULL OR h.observed_at < now() - $1::interval) AS stale,"
            " h.last_error AS capacity_error"
            " FROM agencies a LEFT JOIN hospital_capacity h"
            " ON h.tenant_id = a.tenant_id AND h.agency_id = a.id"
            " WHERE a.kind = 'hospital' AND (a.is_active OR $2) ORDER BY a.name",
            STALE_AFTER,
            include_inactive,
        )
    return [dict(r) for r in rows]


async def cameras(
    tenant_id: uuid.UUID, status: str | None = None, include_inactive: bool = False
) -> list[dict[str, Any]]:
    """Active cameras (all with ``include_inactive``), by name."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT * FROM (SELECT {CAMERA_COLUMNS} FROM cameras c) c"
            " WHERE ($1::text IS NULL OR status = $1) AND (is_active OR $3) ORDER BY name",
            status,
            CAMERA_FRESH,
            include_inactive,
        )
    return [dict(r) for r in rows]


async def camera_by_id(tenant_id: uuid.UUID, camera_id: uuid.UUID) -> dict[str, Any]:
    """One camera with the :data:`CAMERA_COLUMNS` (``status`` ``UNKNOWN`` when ONLINE but not seen
    for 10 minutes), active or not. For a camera the caller just wrote: an unknown id raises
    ``IndexError``."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT {CAMERA_COLUMNS} FROM cameras c WHERE id = $1", camera_id, CAMERA_FRESH
        )
    return dict(rows[0])


async def online_cameras_near_reports(
    tenant_id: uuid.UUID, report_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """For a batch of reports: the ONLINE cameras within 500 m, nearest first."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            """SELECT * FROM (
                 SELECT r.id AS report_id, c.*, 2 * 6371000 * asin(sqrt(
                          power(sin(radians(c.latitude - r.latitude) / 2), 2) +
                          cos(radians(r.latitude)) * cos(radians(c.latitude)) *
                          power(sin(radians(c.longitude - r.longitude) / 2), 2))) AS metres
                   FROM reports r JOIN cameras c ON c.tenant_id = r.tenant_id
                  WHERE r.id = ANY($1::uuid[]) AND c.status = 'ONLINE' AND c.is_active
                    AND c.last_seen_at > now() - $4::interval
                    AND c.latitude BETWEEN r.latitude - $2 AND r.latitude + $2
                    AND c.longitude BETWEEN r.longitude - $2 AND r.longitude + $2) near
               WHERE metres <= $3 ORDER BY report_id, metres""",
            report_ids,
            _BOX,
            NEARBY_METRES,
            CAMERA_FRESH,
        )
    grouped: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        grouped[r["report_id"]].append(dict(r))
    return grouped


async def capacity_sources(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """The active hospitals that publish capacity: id, name, ``capacity_url`` and
    ``capacity_format`` (for the capacity job)."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT id, name, capacity_url, capacity_format FROM agencies"
            " WHERE kind = 'hospital' AND capacity_url IS NOT NULL AND is_active"
        )
    return [dict(r) for r in rows]


async def snapshot_sources(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """The active cameras with a ``snapshot_url`` (id and URL), for the camera check job."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT id, snapshot_url FROM cameras WHERE snapshot_url IS NOT NULL AND is_active"
        )
    return [dict(r) for r in rows]


FACILITY_KINDS = ("hospital", "police_post", "camera", "agency")
_DISTANCE = (
    "2 * 6371000 * asin(sqrt(power(sin(radians(latitude - $1) / 2), 2) + cos(radians($1))"
    " * cos(radians(latitude)) * power(sin(radians(longitude - $2) / 2), 2)))"
)


async def nearby(
    tenant_id: uuid.UUID,
    latitude: float,
    longitude: float,
    radius_m: float,
    kinds: set[str],
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Hospitals, police posts, cameras and agencies within ``radius_m``, nearest first.
    A degree box prefilters (each table has a (tenant, lat, lon) index) before the exact
    great-circle distance."""
    box = radius_m / 111_000 * 1.1
    parts = []
    if "hospital" in kinds or "agency" in kinds:
        wanted = [k for k in ("hospital", "agency") if k in kinds]
        parts.append(
            "SELECT CASE WHEN kind = 'hospital' THEN 'hospital' ELSE 'agency' END AS kind,"
            " id, name, latitude, longitude, phone, address FROM agencies"
            " WHERE latitude IS NOT NULL AND is_active"
            " AND (CASE WHEN kind = 'hospital' THEN 'hospital' ELSE 'agency' END) = ANY($5)"
        )
    else:
        wanted = []
    if "police_post" in kinds:
        parts.append(
            "SELECT 'police_post' AS kind, id, name, latitude, longitude, phone, address"
            " FROM police_posts WHERE is_active"
        )
    if "camera" in kinds:
        parts.append(
            "SELECT 'camera' AS kind, id, name, latitude, longitude, NULL AS phone,"
            " NULL AS address FROM cameras WHERE is_active"
        )
    if not parts:
        return []
    union = " UNION ALL ".join(parts)
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT * FROM (SELECT f.*, {_DISTANCE} AS metres FROM ({union}) f"
            " WHERE latitude BETWEEN $1 - $3 AND $1 + $3 AND longitude BETWEEN $2 - $3"
            " AND $2 + $3 AND cardinality($5::text[]) >= 0) near"
            " WHERE metres <= $4 ORDER BY metres LIMIT $6",
            latitude,
            longitude,
            box,
            radius_m,
            wanted,
            limit,
        )
    return [dict(r) for r in rows]


async def nearest(
    tenant_id: uuid.UUID, latitude: float, longitude: float, kind: str, radius_m: float = 50_000
) -> dict[str, Any] | None:
    """The nearest active place of one ``kind`` within ``radius_m`` metres (default 50 km) of a
    WGS84 point, as :func:`nearby` returns it, or None."""
    found = await nearby(tenant_id, latitude, longitude, radius_m, {kind}, limit=1)
    return found[0] if found else None


async def police_posts(
    tenant_id: uuid.UUID, include_inactive: bool = False
) -> list[dict[str, Any]]:
    """Active police posts (all with ``include_inactive``), by name."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT 'police_post' AS kind, id, name, latitude, longitude, phone, address,"
            " 0.0::float8 AS metres, is_active FROM police_posts WHERE is_active OR $1"
            " ORDER BY name",
            include_inactive,
        )
    return [dict(r) for r in rows]
