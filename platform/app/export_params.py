"""The query string of the export routes (``platform/app/exports_http.py``): lists
(comma-separated or repeated), single values, flags, ids, a box and dates, each refused
as ``INVALID_INPUT`` naming its parameter; the report and dispatch filters built from
them for the domain's own validation."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import uuid
from collections.abc import Iterator
from typing import Any

from litestar import Request

from jogo.platform.app.audit_http import check_query, moment_param
from jogo.platform.errors import InvalidInput
from jogo.tenants.agencies.inbox import DispatchFilter
from jogo.tenants.reports.lifecycle import Status
from jogo.tenants.reports.queries import ReportFilter


def checked(request: Request[Any, Any, Any], allowed: set[str]) -> None:
    """No control character anywhere, and no parameter outside ``allowed`` (400)."""
    check_query(request)
    for name in request.query_params:
        if name not in allowed:
            raise InvalidInput(
                f"unknown parameter {name!r}; expected some of {', '.join(sorted(allowed))}",
                field=name,
            )


def _list(request: Request[Any, Any, Any], name: str) -> list[str] | None:
    values = [
        v.strip()
        for raw in request.query_params.getall(name, [])
        for v in raw.split(",")
        if v.strip()
    ]
    return values or None


def one(request: Request[Any, Any, Any], name: str) -> str | None:
    """The parameter's one value (trimmed; None when absent or empty); given twice: 400."""
    values = request.query_params.getall(name, [])
    if len(values) > 1:
        raise InvalidInput(f"give {name} once", field=name)
    return values[0].strip() or None if values else None


def _flag(request: Request[Any, Any, Any], name: str) -> bool | None:
    value = one(request, name)
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise InvalidInput(f"{name} must be true or false", field=name)


def _uuid(request: Request[Any, Any, Any], name: str) -> uuid.UUID | None:
    value = one(request, name)
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise InvalidInput(f"{name} must be an id (UUID)", field=name) from None


def _bbox(request: Request[Any, Any, Any]) -> tuple[float, float, float, float] | None:
    value = one(request, "bbox")
    if value is None:
        return None
    try:
        south, west, north, east = (float(v) for v in value.split(","))
    except ValueError:
        raise InvalidInput(
            "bbox is south,west,north,east in decimal degrees", field="bbox"
        ) from None
    if not all(math.isfinite(v) for v in (south, west, north, east)):
        raise InvalidInput("bbox is south,west,north,east in decimal degrees", field="bbox")
    return south, west, north, east


def report_filter(request: Request[Any, Any, Any], time_zone: str) -> ReportFilter:
    """The ``reports`` GraphQL filter from the query string (module doc); the rest of its
    validation is :func:`~jogo.tenants.reports.queries.build_where`'s."""
    statuses = _list(request, "status")
    for value in statuses or ():
        if value.upper() not in Status.__members__:
            raise InvalidInput(
                f"unknown status {value!r}; expected some of {', '.join(Status.__members__)}",
                field="status",
            )
    return ReportFilter(
        statuses=[s.upper() for s in statuses] if statuses else None,
        category_codes=_list(request, "category"),
        created_from=moment_param(one(request, "from"), time_zone, "from", end=False),
        created_to=moment_param(one(request, "to"), time_zone, "to", end=True),
        bbox=_bbox(request),
        urgent=_flag(request, "urgent"),
        text=one(request, "text"),
        breached=_flag(request, "sla_breached"),
        outside_jurisdiction=_flag(request, "outside_jurisdiction"),
    )


def dispatch_filter(request: Request[Any, Any, Any], time_zone: str) -> DispatchFilter:
    """The ``agencyInbox`` / ``allDispatches`` filter from the query string."""
    states = _list(request, "status")
    return DispatchFilter(
        states=[s.upper() for s in states] if states else None,
        agency_id=_uuid(request, "agency"),
        report_id=_uuid(request, "report"),
        since=moment_param(one(request, "since"), time_zone, "since", end=False),
    )


# The domain's names (those of the GraphQL filter) for the query parameters.
PARAMETER_OF = {
    "createdFrom": "from",
    "createdTo": "to",
    "breached": "sla_breached",
    "dateFrom": "from",
    "since": "since",
}


@contextlib.contextmanager
def named_parameters() -> Iterator[None]:
    """An ``INVALID_INPUT`` whose message starts with the query parameter it is about."""
    try:
        yield
    except InvalidInput as exc:
        name = PARAMETER_OF.get(exc.field or "", exc.field)
        if not name or exc.message.startswith(name):
            raise
        raise InvalidInput(f"{name}: {exc.message}", field=name) from None


def day_param(request: Request[Any, Any, Any], name: str) -> dt.date | None:
    """A date (``2026-11-30``, years 2000-2100), or None when absent."""
    value = one(request, name)
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a date, e.g. 2026-11-30", field=name) from None
    if not 2000 <= day.year <= 2100:
        raise InvalidInput(f"{name}: the year must be from 2000 to 2100", field=name)
    return day
