"""``Date`` and ``DateTime`` inputs, bounded to the years 2000 to 2100.

Strawberry's own scalars take any ISO date, from 0001-01-01 to 9999-12-31. Arithmetic
on those (a 30-day default window, a tenant's zone, the end of a day) overflows Python's
and PostgreSQL's ranges, and no date this platform deals in lies outside 2000 to 2100. So
every date a caller gives is checked once, here, for every schema; a date outside the
range, or one that is not a date, is an ``INVALID_INPUT`` error naming the value.
Output is unchanged (ISO 8601).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from strawberry.types.scalar import ScalarDefinition

from graphql import GraphQLError

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


def _isoformat(value: dt.date) -> str:
    return value.isoformat()


DATE = ScalarDefinition(
    name="Date",
    description=f"Date (isoformat); as input, years {MIN_YEAR} to {MAX_YEAR}.",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=_bounded("Date", dt.date.fromisoformat, "2024-02-14"),
    parse_literal=None,
    origin=dt.date,
)

DATETIME = ScalarDefinition(
    name="DateTime",
    description=f"Date with time (isoformat); as input, years {MIN_YEAR} to {MAX_YEAR}.",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=_bounded("DateTime", dt.datetime.fromisoformat, "2024-02-14T09:30:00+07:00"),
    parse_literal=None,
    origin=dt.datetime,
)

# For ``strawberry.Schema(scalar_overrides=...)``.
OVERRIDES: dict[object, ScalarDefinition] = {dt.date: DATE, dt.datetime: DATETIME}
