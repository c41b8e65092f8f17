"""Reading a hospital's emergency-bed capacity from its endpoint.

Two forms are understood:

* FHIR R4: a ``Bundle`` (or a single resource) of
  - ``Location`` resources that are beds (``physicalType`` code ``bd``), counted as
    available when ``operationalStatus`` is ``U`` (unoccupied), limited to the emergency
    department when the bundle marks one (``type`` code ``ER``); or
  - ``Location`` / ``HealthcareService`` resources carrying bed counts as extensions
    whose URL ends in ``available-beds`` / ``total-beds`` (``valueInteger``).
* simple JSON: ``{"er_beds_available": 3, "er_beds_total": 12, "observed_at": "..."}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


class CapacityUnreadable(ValueError):
    """The endpoint answered, but not with capacity we can read."""


@dataclass(frozen=True)
class Capacity:
    available: int
    total: int | None
    observed_at: datetime | None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _count(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CapacityUnreadable(f"{name} must be a non-negative integer")
    return value


def parse_json(data: Any) -> Capacity:
    """Capacity from the simple JSON form: ``er_beds_available`` (required) and ``er_beds_total``
    non-negative integers, available not above total, and ``observed_at`` (ISO 8601 with an offset,
    else None). Raises :class:`CapacityUnreadable` otherwise."""
    if not isinstance(data, dict) or "er_beds_available" not in data:
        raise CapacityUnreadable("expected an object with er_beds_available")
    total = data.get("er_beds_total")
    available = _count(data["er_beds_available"], "er_beds_available")
    if total is not None:
        total = _count(total, "er_beds_total")
        if available > total:
            raise CapacityUnreadable("more beds available than the total")
    return Capacity(available, total, _time(data.get("observed_at")))


def _codes(concepts: Any) -> set[str]:
    found: set[str] = set()
    items = concepts if isinstance(concepts, list) else [concepts]
    for concept in items:
        if isinstance(concept, dict):
            for coding in concept.get("coding", []) or []:
                if isinstance(coding, dict) and coding.get("code"):
                    found.add(str(coding["code"]))
    return found


def _extension(resource: dict[str, Any], suffix: str) -> int | None:
    for ext in resource.get("extension", []) or []:
        if isinstance(ext, dict) and str(ext.get("url", "")).endswith(suffix):
            return _count(ext.get("valueInteger"), suffix)
    return None


def parse_fhir(data: Any) -> Capacity:
    """Capacity from a FHIR R4 resource or Bundle: bed-count extensions on a
    ``Location``/``HealthcareService`` if any, else bed ``Location`` resources counted (``U`` =
    available), limited to the ``ER`` department when one is marked. ``observed_at`` is the newest
    ``meta.lastUpdated``. Raises :class:`CapacityUnreadable` when neither form is found or a count
    is not a non-negative integer."""
    if not isinstance(data, dict) or "resourceType" not in data:
        raise CapacityUnreadable("expected a FHIR resource or Bundle")
    raw = (
        [e.get("resource") for e in data.get("entry", []) or [] if isinstance(e, dict)]
        if data["resourceType"] == "Bundle"
        else [data]
    )
    resources: list[dict[str, Any]] = [r for r in raw if isinstance(r, dict)]
    observed = [t for r in resources if (t := _time((r.get("meta") or {}).get("lastUpdated")))]
    observed_at = max(observed) if observed else _time((data.get("meta") or {}).get("lastUpdated"))
    # Counts carried as extensions on a Location or HealthcareService.
    for r in resources:
        if r.get("resourceType") in ("Location", "HealthcareService"):
            available = _extension(r, "available-beds")
            if available is not None:
                total = _extension(r, "total-beds")
                return Capacity(available, total, observed_at)
    # Or one Location per bed.
    beds = [
        r
        for r in resources
        if r.get("resourceType") == "Location" and "bd" in _codes(r.get("physicalType"))
    ]
    if not beds:
        raise CapacityUnreadable("no bed Locations and no bed-count extensions")
    er_ids = {
        f"Location/{r.get('id')}"
        for r in resources
        if r.get("resourceType") == "Location" and "ER" in _codes(r.get("type"))
    }
    if er_ids:
        beds = [b for b in beds if (b.get("partOf") or {}).get("reference") in er_ids]
    available = sum(1 for b in beds if (b.get("operationalStatus") or {}).get("code") == "U")
    return Capacity(available, len(beds), observed_at)


def parse(kind: str, data: Any) -> Capacity:
    """Any shape we do not expect is unreadable, never a crash of the polling job."""
    try:
        return parse_fhir(data) if kind == "fhir" else parse_json(data)
    except CapacityUnreadable:
        raise
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        raise CapacityUnreadable(f"malformed {kind} capacity ({type(exc).__name__})") from None
