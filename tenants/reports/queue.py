"""An officer's own queue: the open reports assigned to them, directly or to an active
unit they are a member of. One statement per page."""

from __future__ import annotations

import uuid
from typing import Any

from jogo.platform import db
from jogo.platform.errors import InvalidInput
from jogo.tenants.reports.access import MY_UNITS
from jogo.tenants.reports.lifecycle import OPEN_SQL
from jogo.tenants.reports.queries import MAX_PAGE, REPORT_COLUMNS
from jogo.tenants.reports.validation import in_indonesia

# Metres between the report and ($4, $5), equirectangular: within a command's area the
# error is far below a street's width, and it needs no extension.
_DISTANCE = (
    "6371000 * sqrt(power(radians(r.latitude - $4), 2)"
    " + power(radians(r.longitude - $5) * cos(radians(($4 + r.latitude) / 2)), 2))"
)
# The deadline that runs now: verification while SUBMITTED, else the follow-up.
_DUE = "CASE WHEN r.status = 'SUBMITTED' THEN r.verify_due_at ELSE r.followup_due_at END"


def queue_where(user_id: uuid.UUID) -> tuple[str, list[Any]]:
    """The queue's WHERE (alias ``r``) and its one argument."""
    return (
        f"(r.assigned_officer_id = $1 OR r.assigned_unit_id IN ({MY_UNITS.format(n='$1')}))"
        f" AND r.status IN {OPEN_SQL}",
        [user_id],
    )


async def my_queue(
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    first: int = 20,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], bool]:
    """Open reports assigned to ``user_id`` or their units: nearest first from
    (``latitude``, ``longitude``) when given (each row's ``distance_m``, metres), else by
    the running deadline (verification, else follow-up; none last), then oldest first.
    At most ``first`` (1-100) from ``offset``. Returns (rows, has_next)."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    if (latitude is None) != (longitude is None):
        raise InvalidInput("give both latitude and longitude, or neither", field="latitude")
    where, args = queue_where(user_id)
    args += [first + 1, offset]
    if latitude is not None and longitude is not None:
        if not in_indonesia(latitude, longitude):
            raise InvalidInput("the point must lie in Indonesia", field="latitude")
        args += [latitude, longitude]  # $1 user, $2 limit, $3 offset, $4, $5
        select, order = f", {_DISTANCE} AS distance_m", "distance_m, r.created_at, r.id"
    else:
        select, order = ", NULL::float8 AS distance_m", f"{_DUE} NULLS LAST, r.created_at, r.id"
    sql = (
        f"SELECT {REPORT_COLUMNS}{select} FROM reports r WHERE {where}"
        f" ORDER BY {order} LIMIT $2 OFFSET $3"
    )
    async with db.tenant_tx(tenant_id):
        rows = [dict(r) for r in await db.fetch(sql, *args)]
    return rows[:first], len(rows) > first
