"""``Date`` and ``DateTime`` inputs, bounded to the years 2000 to 2100.

Strawberry's own scalars take any ISO date, from 0001-01-01 to 9999-12-31. Arithmetic
on those (a 30-day default window, a tenant's zone, the end of a day) overflows Python's
and PostgreSQL's ranges, and no date this platform deals in lies outside 2000 to 2100. So
every date a caller gives is checked once, here, for every schema; a date outside the
range, or one that is not a date, is an ``INVALID_INPUT`` error naming the value.
Output is unchanged (ISO 8601).

Dates and times are read in the tenant's own zone (WIB, WITA or WIT), the same way in
every schema, so that "30 November" in Merauke is Merauke's 30 November:

- a ``Date`` is the tenant's whole calendar day (on the national schema, each tenant's
  own calendar day);
- a ``DateTime`` with an offset (``+09:00``, ``Z``) is that moment;
- a ``DateTime`` without an offset is wall-clock time in the tenant's zone;
- a ``DateTime`` given as a date alone (``2026-11-30``) is that whole calendar day in the
  tenant's zone: its first moment where a range starts, the first moment of the next day
  (exclusive) where a range ends.

The scalar cannot know the tenant, so it parses a zone-less value to a naive
``datetime`` (a :class:`WholeDay` for a date alone), and each resolver turns it into a
moment with :func:`in_zone` before it reaches ``tenants/``, which refuses naive values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from strawberry.types.scalar import ScalarDefinition

from graphql import GraphQLError
from jogo.platform.regions import TIME_ZONES

MIN_YEAR = 2000
MAX_YEAR = 2100
CODE = "INVALID_INPUT"


def _bounded(
    kind: str, parse: Callable[[str], dt.date], example: str
) -> Callable[[object], dt.date]:
    """A parser for the scalar ``kind``; its errors name the value, in Bahasa Indonesia
    then English."""
    shape = (
        f"tulis format ISO 8601, mis. {example}. / give ISO 8601, e.g. {example}.",
        f"tahun harus {MIN_YEAR} sampai {MAX_YEAR}. / the year must be from {MIN_YEAR}"
        f" to {MAX_YEAR}.",
    )

    def fail(value: object, why: str) -> GraphQLError:
        return GraphQLError(
            f'{kind} "{value}" tidak sah / is not valid: {why}', extensions={"code": CODE}
        )

    def parse_value(value: object) -> dt.date:
        if not isinstance(value, str):
            raise fail(value, shape[0])
        try:
            parsed = parse(value)
        except (ValueError, OverflowError):
            raise fail(value, shape[0]) from None
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise fail(value, shape[1])
        return parsed

    return parse_value


class WholeDay(dt.datetime):
    """A ``DateTime`` input given as a date alone: naive midnight, marking a whole day."""


def _parse_datetime(value: str) -> dt.datetime:
    """``2026-11-30`` gives a :class:`WholeDay`; anything else ``datetime.fromisoformat``."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return dt.datetime.fromisoformat(value)
    return WholeDay(day.year, day.month, day.day)


def in_zone(value: dt.datetime, time_zone: str, *, end: bool = False) -> dt.datetime:
    """The moment a ``DateTime`` input names, for a tenant in ``time_zone``.

    ``time_zone`` is the tenant's WIB, WITA or WIT. A value with an offset is kept; a naive
    one is read as wall-clock time in that zone; a :class:`WholeDay` is the day's first
    moment, or with ``end=True`` the next day's first moment (an exclusive end).
    The result is always zone-aware.
    """
    zone = ZoneInfo(TIME_ZONES[time_zone])
    if isinstance(value, WholeDay):
        day = dt.date(value.year, value.month, value.day)
        if end:
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(), zone)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value


def in_zone_or_none(
    value: dt.datetime | None, time_zone: str, *, end: bool = False
) -> dt.datetime | None:
    """:func:`in_zone` for an optional input."""
    return None if value is None else in_zone(value, time_zone, end=end)


def _isoformat(value: dt.date) -> str:
    return value.isoformat()


DATE = ScalarDefinition(
    name="Date",
    description=f"Date (isoformat); as input, years {MIN_YEAR} to {MAX_YEAR}. A date is a"
    " whole calendar day in the tenant's own time zone (WIB, WITA or WIT); on the national"
    " schema, in each tenant's own zone.",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=_bounded("Date", dt.date.fromisoformat, "2024-02-14"),
    parse_literal=None,
    origin=dt.date,
)

DATETIME = ScalarDefinition(
    name="DateTime",
    description=f"Date with time (isoformat); as input, years {MIN_YEAR} to {MAX_YEAR}."
    " Output carries an offset. As input, a value without an offset (2026-11-30T08:00:00)"
    " is read in the tenant's own time zone (WIB, WITA or WIT), never as UTC; a date alone"
    " (2026-11-30) is that whole day in the tenant's zone: its start where a range starts,"
    " its end where a range ends.",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=_bounded("DateTime", _parse_datetime, "2024-02-14T09:30:00+07:00"),
    parse_literal=None,
    origin=dt.datetime,
)

# For ``strawberry.Schema(scalar_overrides=...)``.
OVERRIDES: dict[object, ScalarDefinition] = {dt.date: DATE, dt.datetime: DATETIME}
