"""A command's jurisdiction and the reports located outside it.

A command may store its jurisdiction as a GeoJSON ``Polygon`` or ``MultiPolygon`` in
WGS84 longitude/latitude (``tenants.jurisdiction``, migration 0022); none set means no
report is ever flagged. Shapes are checked with shapely/GEOS, like bulletin polygons
(:mod:`jogo.tenants.bulletins.geometry`).

A report gets ``outside_jurisdiction`` at submit, from a prepared geometry cached per
(tenant, version): one primary-key read of the version per submit, no parse. When the
jurisdiction changes, every open report of the command is evaluated again in the same
transaction. A report without a location is never flagged.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

from shapely import prepared
from shapely.errors import GEOSException
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.errors import InvalidInput
from jogo.platform.registry import TenantInfo

MAX_VERTICES = 10_000
MAX_CHARS = 1_000_000  # of GeoJSON text (an API request body is at most 256 KiB)
FIELD = "geojson"
OPEN = ("SUBMITTED", "VERIFIED", "DISPATCHED", "IN_PROGRESS")

# tenant id -> (version, prepared geometry or None when no jurisdiction is set)
_cache: dict[uuid.UUID, tuple[int, Any]] = {}


def _bad(message: str, field: str = FIELD) -> InvalidInput:
    return InvalidInput(message, field=field)


def _positions(coords: Any, depth: int) -> list[tuple[float, float]]:
    """Every [lon, lat] of a Polygon (depth 2) or MultiPolygon (depth 3) coordinate array."""
    if not isinstance(coords, list):
        raise _bad("coordinates must be nested arrays of [longitude, latitude]")
    if depth == 0:
        if len(coords) not in (2, 3) or not all(
            isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
            for c in coords
        ):
            raise _bad("every position must be [longitude, latitude] in numbers")
        return [(float(coords[0]), float(coords[1]))]
    found: list[tuple[float, float]] = []
    for part in coords:
        found += _positions(part, depth - 1)
        if len(found) > MAX_VERTICES:
            raise _bad(f"the jurisdiction may have at most {MAX_VERTICES} vertices")
    return found


def _check_rings(polygons: list[Any]) -> None:
    """Each polygon has an outer ring, and each ring is closed with at least four
    positions: said in words before GEOS would raise its own terse errors."""
    for p, rings in enumerate(polygons, 1):
        if not rings:
            raise _bad(f"polygon {p} has no ring (an outer ring of [longitude, latitude])")
        for r, ring in enumerate(rings, 1):
            if len(ring) < 4:
                raise _bad(f"ring {r} of polygon {p} needs at least 4 positions, closed")
            if ring[0][:2] != ring[-1][:2]:
                raise _bad(f"ring {r} of polygon {p} is not closed (last position = first)")


def parse_jurisdiction(text: str | None, field: str = FIELD) -> dict[str, Any] | None:
    """The GeoJSON geometry to store, or None to clear. ``text``: a GeoJSON ``Polygon``
    or ``MultiPolygon`` (or a ``Feature`` holding one), longitude first, WGS84. Errors
    (``InvalidInput`` on ``geojson``): not JSON, another type, positions outside
    longitude -180..180 / latitude -90..90, more than :data:`MAX_VERTICES` vertices,
    empty, or invalid rings (GEOS's reason and place, e.g. a self-crossing bow-tie)."""
    try:
        return _parse(text)
    except InvalidInput as exc:
        raise _bad(exc.message, field) from None


def _parse(text: str | None) -> dict[str, Any] | None:
    if text is None or not text.strip():
        return None
    if len(text) > MAX_CHARS:
        raise _bad(f"the GeoJSON may be at most {MAX_CHARS} characters")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise _bad("the jurisdiction is not valid JSON") from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise _bad("the jurisdiction must be a GeoJSON Polygon or MultiPolygon")
    points = _positions(data.get("coordinates"), 2 if data["type"] == "Polygon" else 3)
    if not points:
        raise _bad("the jurisdiction is empty")
    for lon, lat in points:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _bad(
                f"position [{lon}, {lat}] is not WGS84 longitude/latitude (longitude first,"
                " -180..180; latitude -90..90)"
            )
    _check_rings(data["coordinates"] if data["type"] == "MultiPolygon" else [data["coordinates"]])
    try:
        geometry = shape({"type": data["type"], "coordinates": data["coordinates"]})
    except (ValueError, TypeError, IndexError, GEOSException) as exc:
        raise _bad(f"the jurisdiction's rings are malformed: {exc}") from None
    if geometry.is_empty:
        raise _bad("the jurisdiction is empty")
    if not geometry.is_valid:
        raise _bad(f"the jurisdiction is not a valid shape: {explain_validity(geometry)}")
    if geometry.area == 0:
        raise _bad("the jurisdiction is empty (its area is zero)")
    stored: dict[str, Any] = json.loads(json.dumps(mapping(geometry)))
    return stored


def vertex_count(geojson: dict[str, Any] | None) -> int:
    """How many positions a stored Polygon or MultiPolygon holds (closing positions included); 0 for
    none."""
    if geojson is None:
        return 0
    return len(_positions(geojson["coordinates"], 2 if geojson["type"] == "Polygon" else 3))


def is_outside(geometry: Any, latitude: float | None, longitude: float | None) -> bool:
    """True when a located report lies outside a set jurisdiction (the border counts as
    inside); False without a jurisdiction or without a location."""
    if geometry is None or latitude is None or longitude is None:
        return False
    return not bool(geometry.covers(Point(longitude, latitude)))


def _prepare(geojson: Any) -> Any:
    if geojson is None:
        return None
    data = json.loads(geojson) if isinstance(geojson, str) else geojson
    geometry: BaseGeometry = shape(data)
    return prepared.prep(geometry)


async def current_geometry(tenant_id: uuid.UUID) -> Any:
    """Inside the caller's transaction: the tenant's prepared jurisdiction (None when
    unset). Reads the version by primary key; the GeoJSON only when it changed."""
    rows = await db.fetch(
        "SELECT jurisdiction_version AS v,"
        " CASE WHEN jurisdiction_version IS DISTINCT FROM $2 THEN jurisdiction END AS g"
        " FROM tenants WHERE id = $1",
        tenant_id,
        known_version(tenant_id),
    )
    if not rows:
        return None
    return geometry_at(tenant_id, rows[0]["v"], rows[0]["g"])


def known_version(tenant_id: uuid.UUID) -> int | None:
    """The jurisdiction version this process holds prepared for the tenant (None: none), so
    a read can skip the GeoJSON when it is still current (:func:`geometry_at`)."""
    known = _cache.get(tenant_id)
    return known[0] if known else None


def geometry_at(tenant_id: uuid.UUID, version: int, geojson: Any) -> Any:
    """The tenant's prepared jurisdiction at ``version``, as read beside
    :func:`known_version` (``geojson`` is None when that version was current): from the
    process's cache, else prepared from ``geojson`` and cached."""
    known = _cache.get(tenant_id)
    if known is not None and known[0] == version:
        return known[1]
    geometry = _prepare(geojson)
    _cache[tenant_id] = (version, geometry)
    return geometry


async def outside(tenant_id: uuid.UUID, latitude: float | None, longitude: float | None) -> bool:
    """Inside the caller's transaction: is this location outside the tenant's jurisdiction?"""
    return is_outside(await current_geometry(tenant_id), latitude, longitude)


@dataclass(frozen=True)
class JurisdictionSet:
    geojson: dict[str, Any] | None
    version: int
    vertices: int
    open_reports: int  # open reports evaluated again
    flagged: int  # of those, now outside


async def store_at_onboarding(tenant_id: uuid.UUID, geojson: dict[str, Any] | None) -> None:
    """Inside the onboarding transaction, after the tenant row: its first jurisdiction
    (there are no reports yet to flag)."""
    if geojson is not None:
        await db.fetch(
            "UPDATE tenants SET jurisdiction = $2::jsonb, jurisdiction_version = 1 WHERE id = $1",
            tenant_id,
            json.dumps(geojson),
        )


async def read_jurisdiction(tenant_id: uuid.UUID) -> tuple[dict[str, Any] | None, int]:
    """The tenant's stored jurisdiction (GeoJSON, WGS84, longitude first) and its version; ``(None,
    0)`` when it has none or the tenant is unknown. Inside the caller's transaction."""
    rows = await db.fetch(
        "SELECT jurisdiction, jurisdiction_version FROM tenants WHERE id = $1", tenant_id
    )
    if not rows:
        return None, 0
    raw = rows[0]["jurisdiction"]
    return (json.loads(raw) if isinstance(raw, str) else raw), rows[0]["jurisdiction_version"]


async def do_set_jurisdiction(
    tenant: TenantInfo, text: str | None, *, actor: tuple[str, str]
) -> JurisdictionSet:
    """Store (or clear, with None/empty) the jurisdiction, flag the command's open
    reports again and write an audit row, in one transaction. ``InvalidInput`` on
    ``geojson`` as :func:`parse_jurisdiction` says."""
    geojson = parse_jurisdiction(text)
    geometry = _prepare(geojson)
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch(
            "UPDATE tenants SET jurisdiction = $2::jsonb,"
            " jurisdiction_version = jurisdiction_version + 1 WHERE id = $1"
            " RETURNING jurisdiction_version",
            tenant.id,
            None if geojson is None else json.dumps(geojson),
        )
        version = rows[0]["jurisdiction_version"]
        located = await db.fetch(
            "SELECT id, latitude, longitude FROM reports WHERE status = ANY($1::text[])",
            list(OPEN),
        )
        flagged = [r["id"] for r in located if is_outside(geometry, r["latitude"], r["longitude"])]
        await db.fetch(
            "UPDATE reports SET outside_jurisdiction = (id = ANY($2::uuid[]))"
            " WHERE status = ANY($1::text[])"
            " AND outside_jurisdiction IS DISTINCT FROM (id = ANY($2::uuid[]))",
            list(OPEN),
            flagged,
        )
        await write_audit(
            "tenant.set_jurisdiction",
            actor=actor,
            tenant_id=tenant.id,
            target=f"tenant:{tenant.slug}",
            detail={
                "version": version,
                "type": geojson["type"] if geojson else None,
                "vertices": vertex_count(geojson),
                "open_reports": len(located),
                "flagged": len(flagged),
            },
        )
    _cache[tenant.id] = (version, geometry)
    return JurisdictionSet(geojson, version, vertex_count(geojson), len(located), len(flagged))
