"""A bulletin's content, normalised, or every wrong field reported at once."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jogo.platform.errors import InputErrors, InvalidInput
from jogo.tenants.bulletins.geometry import (
    circle_area_km2,
    polygon_area_km2,
    polygon_fault,
    region_code_fault,
    too_large,
)
from jogo.tenants.bulletins.vocab import CATEGORIES, CERTAINTY, SEVERITY, URGENCY
from jogo.tenants.reports.validation import in_indonesia

MAX_VALIDITY = timedelta(days=90)
MAX_BACKDATE = timedelta(hours=24)
MAX_POLYGON_POINTS = 500
MAX_REGION_CODES = 50
MIN_RADIUS_M, MAX_RADIUS_M = 10.0, 500_000.0


# XML 1.0 cannot carry these at all: one in a bulletin would break the whole CAP feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def has_control_characters(text: str | None) -> bool:
    """Whether ``text`` holds a character XML 1.0 cannot carry (C0 controls other than tab, line
    feed and carriage return; U+FFFE, U+FFFF). None and empty text are False."""
    return bool(text) and _CONTROL.search(text or "") is not None


@dataclass
class AreaInput:
    description: str
    polygon: list[tuple[float, float]] | None = None  # (latitude, longitude) pairs
    circle: tuple[float, float, float] | None = None  # latitude, longitude, radius in metres
    region_codes: list[str] = field(default_factory=list)


@dataclass
class BulletinInput:
    category: str
    severity: str
    urgency: str
    certainty: str
    headline: str
    description: str
    area: AreaInput
    valid_until: datetime
    valid_from: datetime | None = None
    instruction: str | None = None
    headline_en: str | None = None
    description_en: str | None = None
    instruction_en: str | None = None


def _line(value: str | None) -> str:
    return " ".join((value or "").split())


def _text(
    value: str | None, name: str, lo: int, hi: int, errors: list[InvalidInput], *, required: bool
) -> str | None:
    text = (value or "").strip()
    if not text and not required:
        return None
    if not lo <= len(text) <= hi:
        errors.append(InvalidInput(f"{name} must be {lo}-{hi} characters", field=name))
    return text


def _polygon(points: list[tuple[float, float]], errors: list[InvalidInput]) -> list[list[float]]:
    ring = [[float(lat), float(lon)] for lat, lon in points]
    if ring and ring[0] != ring[-1]:
        ring.append(list(ring[0]))  # CAP wants the ring closed
    distinct = {tuple(p) for p in ring}
    if len(distinct) < 3:
        errors.append(InvalidInput("a polygon needs at least 3 distinct points", field="polygon"))
    elif len(ring) > MAX_POLYGON_POINTS:
        errors.append(
            InvalidInput(f"a polygon may have at most {MAX_POLYGON_POINTS} points", field="polygon")
        )
    elif not all(in_indonesia(lat, lon) for lat, lon in ring):
        errors.append(InvalidInput("every polygon point must lie in Indonesia", field="polygon"))
    elif (fault := polygon_fault(ring)) is not None:
        errors.append(
            InvalidInput(
                f"poligon tidak sah / the polygon is not valid: {fault} (longitude latitude);"
                " its edges must not cross or touch",
                field="polygon",
            )
        )
    return ring


def _circle(circle: tuple[float, float, float], errors: list[InvalidInput]) -> dict[str, float]:
    lat, lon, radius = circle
    if not in_indonesia(lat, lon):
        errors.append(InvalidInput("the circle's centre must lie in Indonesia", field="circle"))
    if not (math.isfinite(radius) and MIN_RADIUS_M <= radius <= MAX_RADIUS_M):
        errors.append(InvalidInput("the radius must be 10 m to 500 km", field="circle"))
    return {"latitude": lat, "longitude": lon, "radius_m": radius}


def _region_codes(codes: list[str], own_region: str, errors: list[InvalidInput]) -> list[str]:
    """The command's own region or codes under it (see :mod:`.geometry`); the first
    wrong code is reported."""
    cleaned = sorted({(c or "").strip() for c in codes})
    if len(cleaned) > MAX_REGION_CODES:
        errors.append(InvalidInput(f"at most {MAX_REGION_CODES} region codes", field="regionCodes"))
    for code in cleaned:
        if (fault := region_code_fault(code, own_region)) is not None:
            errors.append(InvalidInput(fault, field="regionCodes"))
            break
    return cleaned


def _fits_region(
    polygon: list[list[float]] | None,
    circle: dict[str, float] | None,
    own_region: str,
    errors: list[InvalidInput],
) -> None:
    """A valid polygon or circle no larger than the command's region (see :mod:`.geometry`)."""
    shapes = []
    if polygon is not None and not any(e.field == "polygon" for e in errors):
        shapes.append(("polygon", polygon_area_km2(polygon)))
    if circle is not None and not any(e.field == "circle" for e in errors):
        shapes.append(("circle", circle_area_km2(circle["radius_m"])))
    for name, area_km2 in shapes:
        if (fault := too_large(area_km2, own_region)) is not None:
            errors.append(InvalidInput(fault, field=name))


@dataclass(frozen=True)
class CleanArea:
    description: str
    polygon: list[list[float]] | None
    circle: dict[str, float] | None
    region_codes: list[str]


@dataclass(frozen=True)
class CleanBulletin:
    category: str
    severity: str
    urgency: str
    certainty: str
    headline: str
    description: str
    instruction: str | None
    headline_en: str | None
    description_en: str | None
    instruction_en: str | None
    area: CleanArea
    valid_from: datetime
    valid_until: datetime


def clean(data: BulletinInput, region_code: str, now: datetime | None = None) -> CleanBulletin:
    """``region_code`` is the issuing command's kabupaten/kota (``PP.KK``); the area must
    lie within it. ``now`` is the moment of sending (publish) or of drafting.

    ``valid_from`` (CAP ``effective``) never precedes ``now``: an earlier time, up to
    :data:`MAX_BACKDATE` back, is taken as ``now``; one further back is refused.
    Raises :class:`InputErrors` with every wrong field.
    """
    now = now or datetime.now(UTC)
    errors: list[InvalidInput] = []
    category = (data.category or "").strip().upper()
    if category not in CATEGORIES:
        errors.append(
            InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", field="category")
        )
    for name, value, allowed in (
        ("severity", data.severity, SEVERITY),
        ("urgency", data.urgency, URGENCY),
        ("certainty", data.certainty, CERTAINTY),
    ):
        if value not in allowed:
            errors.append(InvalidInput(f"{name} must be one of {', '.join(allowed)}", field=name))
    headline = _line(data.headline)
    if not 5 <= len(headline) <= 160:
        errors.append(InvalidInput("headline must be 5-160 characters", field="headline"))
    description = _text(data.description, "description", 10, 5000, errors, required=True) or ""
    instruction = _text(data.instruction, "instruction", 3, 2000, errors, required=False)
    headline_en = _line(data.headline_en) or None
    if headline_en is not None and not 5 <= len(headline_en) <= 160:
        errors.append(InvalidInput("headlineEn must be 5-160 characters", field="headlineEn"))
    description_en = _text(data.description_en, "descriptionEn", 10, 5000, errors, required=False)
    instruction_en = _text(data.instruction_en, "instructionEn", 3, 2000, errors, required=False)
    if (description_en or instruction_en) and not headline_en:
        errors.append(InvalidInput("an English text needs headlineEn too", field="headlineEn"))

    area = data.area
    area_desc = _line(area.description)
    if not 2 <= len(area_desc) <= 300:
        errors.append(InvalidInput("the area description must be 2-300 characters", field="area"))
    polygon = _polygon(area.polygon, errors) if area.polygon is not None else None
    circle = _circle(area.circle, errors) if area.circle is not None else None
    codes = _region_codes(area.region_codes or [], region_code, errors)
    _fits_region(polygon, circle, region_code, errors)
    if polygon is None and circle is None and not codes:
        errors.append(
            InvalidInput("give the area as a polygon, a circle or region codes", field="area")
        )

    for label, text in (
        ("headline", data.headline),
        ("description", data.description),
        ("instruction", data.instruction),
        ("headlineEn", data.headline_en),
        ("descriptionEn", data.description_en),
        ("instructionEn", data.instruction_en),
        ("area", data.area.description),
    ):
        if has_control_characters(text):
            errors.append(InvalidInput(f"{label} contains control characters", field=label))
    valid_from = data.valid_from or now
    valid_until = data.valid_until
    for name, moment in (("validFrom", valid_from), ("validUntil", valid_until)):
        if moment.tzinfo is None:
            errors.append(InvalidInput(f"{name} needs a time zone offset", field=name))
    if not errors:
        if valid_from < now - MAX_BACKDATE:
            errors.append(InvalidInput("validFrom may be at most 24 h ago", field="validFrom"))
        # A bulletin is not in force before it is sent: CAP effective >= sent.
        valid_from = max(valid_from, now)
        if valid_until <= max(now, valid_from):
            errors.append(
                InvalidInput("validUntil must be after validFrom and now", field="validUntil")
            )
        elif valid_until - valid_from > MAX_VALIDITY:
            errors.append(
                InvalidInput("a bulletin is valid for 90 days at most", field="validUntil")
            )
    if errors:
        raise InputErrors(errors)
    return CleanBulletin(
        category=category,
        severity=data.severity,
        urgency=data.urgency,
        certainty=data.certainty,
        headline=headline,
        description=description,
        instruction=instruction,
        headline_en=headline_en,
        description_en=description_en,
        instruction_en=instruction_en,
        area=CleanArea(area_desc, polygon, circle, codes),
        valid_from=valid_from,
        valid_until=valid_until,
    )
