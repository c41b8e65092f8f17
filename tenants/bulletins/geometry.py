"""Where a bulletin's area may lie: valid shapes, inside the issuing command's region.

The rule, per part of a CAP ``<area>``:

- **Region codes** (Kemendagri): the command's own kabupaten/kota (``35.79``) or a
  kecamatan / desa under it (``35.79.01``, ``35.79.01.1001``). A province, a
  neighbour (Polres Batu naming Surabaya, ``35.78``) or a code that does not exist is
  refused.
- **Polygons** must be valid simple rings (GEOS, via shapely): no self-crossing
  "bow-tie", no spikes or repeated segments; the refusal names the fault and where.
- **Polygons and circles** must fit the region: their area may be at most
  :data:`AREA_TOLERANCE` times the region's official area (``luas_km2`` in the
  Kemendagri data). The shipped reference data has codes, names, population and area
  but no boundaries or centroids, so *where* a shape lies is checked only against
  Indonesia's bounding box (:func:`jogo.tenants.reports.validation.in_indonesia`), not
  against the region's border.
"""

from __future__ import annotations

import math

from shapely.geometry import Polygon
from shapely.validation import explain_validity

from jogo.platform.regions import (
    REGION_CODE,
    local_areas,
    region_area_km2,
    region_name,
    regions,
    within_region,
)

AREA_TOLERANCE = 1.5  # a hand-drawn shape may overshoot the region's area this much
_KM_PER_DEGREE = 111.32  # along a meridian, and along the equator


def polygon_fault(ring: list[list[float]]) -> str | None:
    """Why a closed ring of ``[latitude, longitude]`` points is not a valid polygon, e.g.
    ``"Self-intersection[140.4 -8.5]"`` (GEOS, longitude first); None when it is valid."""
    shape = Polygon([(lon, lat) for lat, lon in ring])
    return None if shape.is_valid else explain_validity(shape)


def polygon_area_km2(ring: list[list[float]]) -> float:
    """Approximate area of a valid ring in km² (degrees scaled at its mean latitude;
    within a few percent at the size of a kabupaten)."""
    shape = Polygon([(lon, lat) for lat, lon in ring])
    scale = _KM_PER_DEGREE**2 * math.cos(math.radians(shape.centroid.y))
    return float(shape.area) * scale


def circle_area_km2(radius_m: float) -> float:
    """The area in km² of a circle of ``radius_m`` metres (flat: ``pi * r**2``)."""
    return math.pi * (radius_m / 1000) ** 2


def region_code_fault(code: str, own_region: str) -> str | None:
    """Why a bulletin may not name ``code`` when the command's region is ``own_region``
    (a ``PP.KK`` code); None when it may."""
    if not REGION_CODE.match(code) or (code not in regions() and code not in local_areas()):
        return f"{code!r} is not a Kemendagri region code (e.g. 35.73 or 35.73.01)"
    if not within_region(code, own_region):
        own = region_name(own_region) or own_region
        return (
            f"{code} lies outside this command's region, {own} ({own_region}); use"
            f" {own_region} or a kecamatan/desa under it"
        )
    return None


def too_large(area_km2: float, own_region: str) -> str | None:
    """Why a shape of ``area_km2`` cannot lie within ``own_region``; None when it can (or
    the region's area is unknown)."""
    limit = region_area_km2(own_region)
    if limit is None or area_km2 <= limit * AREA_TOLERANCE:
        return None
    own = region_name(own_region) or own_region
    return (
        f"the area ({area_km2:,.0f} km²) is larger than {own} ({limit:,.0f} km²) and"
        " cannot lie within this command's region"
    )
