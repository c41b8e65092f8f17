"""Bulk export of bulletins: one statement, streamed.

Who sees which (as the ``bulletins`` GraphQL read): a bulletin writer
(``BULLETINS_WRITE``) every bulletin, optionally of one ``status``; anyone else of the
command only those in force now (:data:`~jogo.tenants.bulletins.queries.PUBLIC`), and
asking for a status is ``FORBIDDEN``. Optionally of one ``category``.

A bulletin's area is a polygon, a circle and/or region codes (CAP ``<area>``). In CSV
the polygon is WKT (``POLYGON((lon lat, ...))``), the circle its centre and radius in
metres; in GeoJSON the geometry is the polygon, the circle's centre (``circle_radius_m``
among the properties), both as a GeometryCollection, or null for an area given by region
codes alone. Newest (published, else created) first.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from jogo.platform.auth.principal import Principal, denied
from jogo.platform.errors import InvalidInput
from jogo.tenants.bulletins.queries import PUBLIC, STATUSES
from jogo.tenants.bulletins.vocab import CATEGORIES
from jogo.tenants.reports.exports import Export

COLUMNS = (
    "id",
    "chain_id",
    "msg_type",
    "status",
    "category",
    "severity",
    "urgency",
    "certainty",
    "headline",
    "description",
    "instruction",
    "headline_en",
    "description_en",
    "instruction_en",
    "area_desc",
    "region_codes",
    "polygon",
    "circle_latitude",
    "circle_longitude",
    "circle_radius_m",
    "valid_from",
    "valid_until",
    "published_at",
    "created_at",
)
_SQL = {
    "region_codes": "array_to_string(region_codes, ' ')",
    "polygon": "polygon::text",
    "circle_latitude": "(circle->>'latitude')::float8",
    "circle_longitude": "(circle->>'longitude')::float8",
    "circle_radius_m": "(circle->>'radius_m')::float8",
}


def bulletin_export(
    principal: Principal, writer: bool, status: str | None, category: str | None
) -> Export:
    """The statement of a bulletins export (module doc). Errors: ``INVALID_INPUT`` on
    ``status`` or ``category`` for an unknown value, ``FORBIDDEN`` for a ``status`` asked
    by someone who is not a bulletin writer."""
    if status is not None:
        status = status.strip().upper()
        if status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
        if not writer:
            raise denied(
                principal,
                "Hanya penulis buletin yang dapat memilih status. / Only bulletin writers"
                " (bulletins:write) may export bulletins by status.",
            )
    if category is not None:
        category = category.strip().upper()
        if category not in CATEGORIES:
            raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    select = ", ".join(_SQL.get(c, c) for c in COLUMNS)
    where = "TRUE" if writer else PUBLIC
    sql = (
        f"SELECT {select} FROM bulletins WHERE {where}"
        " AND ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR category = $2)"
        " ORDER BY coalesce(published_at, created_at) DESC, id"
    )
    return Export(sql, [status, category], COLUMNS)


def wkt(polygon_json: list[list[float]] | None) -> str | None:
    """A ring of ``[latitude, longitude]`` points as WKT (longitude first), or None."""
    if not polygon_json:
        return None
    return "POLYGON((" + ", ".join(f"{lon!r} {lat!r}" for lat, lon in polygon_json) + "))"


def geometry(
    polygon: list[list[float]] | None, lat: float | None, lon: float | None
) -> dict[str, Any] | None:
    """The GeoJSON geometry of a bulletin's area (module doc)."""
    shapes: list[dict[str, Any]] = []
    if polygon:
        shapes.append({"type": "Polygon", "coordinates": [[[x, y] for y, x in polygon]]})
    if lat is not None and lon is not None:
        shapes.append({"type": "Point", "coordinates": [lon, lat]})
    if not shapes:
        return None
    if len(shapes) == 1:
        return shapes[0]
    return {"type": "GeometryCollection", "geometries": shapes}


_POLYGON = COLUMNS.index("polygon")


def _ring(text: Any) -> list[list[float]] | None:
    if text is None:
        return None
    ring: list[list[float]] = json.loads(text) if isinstance(text, str) else text
    return ring


def csv_values(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row's values for CSV: the polygon as WKT."""
    ring = _ring(values[_POLYGON])
    return (*values[:_POLYGON], wkt(ring), *values[_POLYGON + 1 :])


def feature(values: tuple[Any, ...]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A row as GeoJSON ``(geometry, properties)``: the area as geometry (module doc),
    every other column a property (times ISO 8601)."""
    props = dict(zip(COLUMNS, values, strict=True))
    ring = _ring(props.pop("polygon"))
    shape = geometry(ring, props["circle_latitude"], props["circle_longitude"])
    return shape, {k: v.isoformat() if isinstance(v, datetime) else v for k, v in props.items()}
