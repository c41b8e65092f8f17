"""National views, read from the rollups (aggregates) and, for the drill-down, through
the redacting ``oversight_reports`` function, whose text :mod:`.redaction` masks further
(letter case, punctuation, street addresses, phone numbers). Callers pass the tenant ids
the viewer may see; nothing here widens them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jogo.platform import db
from jogo.platform.registry import TenantInfo
from jogo.tenants.oversight.redaction import redact
from jogo.tenants.oversight.rollups import ALL_CATEGORIES, bucket_seconds


@dataclass(frozen=True)
class Filter:
    """``scopes`` are rollup scopes ('tenant:<id>' or 'polda:<code>'), ``tenants`` the
    tenant ids behind them (for the drill-down)."""

    scopes: list[str]
    tenants: list[uuid.UUID]
    day_from: date
    day_to: date  # inclusive
    category: str | None = None
    status: str | None = None


@dataclass
class Percentiles:
    median_seconds: float | None = None
    p90_seconds: float | None = None
    reports: int = 0


@dataclass
class Totals:
    reports: int = 0
    urgent: int = 0
    breaches: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_category: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    daily: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    durations: dict[str, Percentiles] = field(default_factory=dict)

    @property
    def breach_rate(self) -> float:
        """Reports that breached a service level as a fraction of all reports (0.0 to 1.0); 0.0 when
        there are none."""
        return self.breaches / self.reports if self.reports else 0.0


def _where(f: Filter, with_status: bool = True, durations: bool = False) -> tuple[str, list[Any]]:
    args: list[Any] = [f.scopes, f.day_from, f.day_to]
    sql = "scope = ANY($1::text[]) AND day BETWEEN $2 AND $3"
    if f.category or durations:
        # Duration histograms are also kept for all categories together, under "*".
        args.append(f.category or ALL_CATEGORIES)
        sql += f" AND category_code = ${len(args)}"
    if with_status and f.status:
        args.append(f.status)
        sql += f" AND status = ${len(args)}"
    return sql, args


def percentiles(histogram: dict[int, int]) -> Percentiles:
    """Median and 90th percentile, in seconds, of a duration histogram (bucket → reports), each the
    middle of the first bucket whose cumulative count reaches the quantile; empty
    :class:`Percentiles` for an empty histogram."""
    total = sum(histogram.values())
    if not total:
        return Percentiles()
    result: dict[str, float] = {}
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        for name, q in (("median", 0.5), ("p90", 0.9)):
            if name not in result and seen >= q * total:
                result[name] = bucket_seconds(bucket)
    return Percentiles(result["median"], result["p90"], total)


async def totals(f: Filter, *, by_scope: bool) -> dict[str, Totals]:
    """Counts, breaches, daily trend and duration percentiles, per scope or (by_scope
    False, key "all") for all of them together. All summing happens in the database,
    over rollup rows only: two statements."""
    found: dict[str, Totals] = defaultdict(Totals)
    if not f.scopes:
        return found
    key = "scope" if by_scope else "'all'"
    scope_group = "scope, " if by_scope else ""
    where, args = _where(f)
    # One statement for both marginals: (status, category) and the daily trend.
    for r in await db.fetch(
        f"SELECT {key} AS k, status, category_code, day, sum(reports) AS n, sum(urgent) AS u,"
        f" sum(breached) AS b, GROUPING(day) = 1 AS marginal FROM oversight_daily"
        f" WHERE {where} GROUP BY GROUPING SETS (({scope_group}status, category_code),"
        f" ({scope_group}day)) HAVING sum(reports) > 0",
        *args,
    ):
        t, n = found[r["k"]], int(r["n"])
        if not r["marginal"]:
            t.daily[r["day"]] += n
            continue
        t.reports += n
        t.urgent += int(r["u"])
        t.breaches += int(r["b"])
        t.by_status[r["status"]] += n
        t.by_category[r["category_code"]] += n
    where, args = _where(f, with_status=False, durations=True)
    buckets: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for h in await db.fetch(
        f"SELECT {key} AS k, metric, bucket, sum(reports) AS n FROM oversight_durations"
        f" WHERE {where} GROUP BY 1, metric, bucket HAVING sum(reports) > 0",
        *args,
    ):
        buckets[(h["k"], h["metric"])][h["bucket"]] = int(h["n"])
    for (k, metric), histogram in buckets.items():
        found[k].durations[metric] = percentiles(histogram)
    return found


async def by_tenant(f: Filter, tenants: list[TenantInfo]) -> list[tuple[TenantInfo, Totals]]:
    """Each tenant's totals, in the order given: every active tenant, with zeros when it
    has no reports in the filter (a command where nothing is reported is itself a
    signal); a suspended one only when it has some. Two statements, as :func:`totals`."""
    per = await totals(f, by_scope=True)
    return [
        (t, per.get(f"tenant:{t.id}") or Totals())
        for t in tenants
        if t.active or f"tenant:{t.id}" in per
    ]


async def summary(f: Filter) -> Totals:
    """The totals of every scope in ``f`` together (see :func:`totals`); zeros when there is
    nothing."""
    return (await totals(f, by_scope=False)).get("all") or Totals()


DAILY_STATUSES = (
    "SUBMITTED",
    "VERIFIED",
    "DISPATCHED",
    "IN_PROGRESS",
    "RESOLVED",
    "CLOSED",
    "REJECTED",
)


def daily_by_tenant(f: Filter) -> tuple[str, list[Any]]:
    """The statement (and its arguments) of the figures per tenant scope and day (each
    tenant's own calendar day), from the rollups only: ``scope``, ``day``, ``reports``,
    ``urgent``, ``breached`` and a count per status of :data:`DAILY_STATUSES` (the status
    each report has now), in that order. Only days with reports, by day then scope.
    ``f.scopes`` should be tenant scopes. Aggregates only: nothing about any one report
    or person."""
    where, args = _where(f)  # no scopes: no rows
    per_status = "".join(
        f", coalesce(sum(reports) FILTER (WHERE status = '{s}'), 0) AS {s.lower()}"
        for s in DAILY_STATUSES
    )
    sql = (
        f"SELECT scope, day, sum(reports) AS reports, sum(urgent) AS urgent,"
        f" sum(breached) AS breached{per_status} FROM oversight_daily WHERE {where}"
        " GROUP BY scope, day HAVING sum(reports) > 0 ORDER BY day, scope"
    )
    return sql, args


async def heatmap(f: Filter) -> list[tuple[float, float, int]]:
    """Cell centres and counts; a cell is 0.01° square (about 1.1 km)."""
    if not f.scopes:
        return []
    where, args = _where(f, with_status=False)
    rows = await db.fetch(
        "SELECT cell_lat, cell_lon, sum(reports) AS n FROM oversight_cells"
        f" WHERE {where} GROUP BY cell_lat, cell_lon HAVING sum(reports) > 0"
        " ORDER BY n DESC LIMIT 5000",
        *args,
    )
    return [((r["cell_lat"] + 0.5) / 100, (r["cell_lon"] + 0.5) / 100, int(r["n"])) for r in rows]


async def reports(
    f: Filter, first: int, after: tuple[datetime, uuid.UUID] | None
) -> list[dict[str, Any]]:
    """The drill-down: redacted rows from every tenant in the filter, newest first."""
    if not f.tenants:
        return []
    rows = await db.fetch(
        "SELECT * FROM oversight_reports($1, $2, $3, $4, $5, $6, $7, $8)",
        f.tenants,
        f.day_from,
        f.day_to,
        f.category,
        f.status,
        after[0] if after else None,
        after[1] if after else None,
        first + 1,
    )
    found = [dict(r) for r in rows]
    own = await _reporters(found)
    for r in found:
        name, phone, address = own.get(r["id"], (None, None, None))
        for key in ("title", "description"):
            r[key] = redact(r[key], name=name, phone=phone, address=address)
    return found


async def _reporters(
    rows: list[dict[str, Any]],
) -> dict[uuid.UUID, tuple[str | None, str | None, str | None]]:
    """Each row's reporter name, phone (E.164) and address, read in its own tenant's
    transaction (one per tenant on the page), only to mask them: they never leave
    :func:`reports`."""
    ids: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for r in rows:
        ids[r["tenant_id"]].append(r["id"])
    own: dict[uuid.UUID, tuple[str | None, str | None, str | None]] = {}
    for tenant, report_ids in ids.items():
        async with db.tenant_tx(tenant):
            for p in await db.fetch(
                "SELECT id, reporter_name, reporter_phone, address FROM reports"
                " WHERE id = ANY($1::uuid[])",
                report_ids,
            ):
                own[p["id"]] = (p["reporter_name"], p["reporter_phone"], p["address"])
    return own


async def audit_log(first: int, before_id: int | None) -> list[dict[str, Any]]:
    """The national looks (every ``national.*`` row), newest first."""
    rows = await db.fetch(
        "SELECT * FROM audit_log WHERE action LIKE 'national.%'"
        " AND ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
        before_id,
        first + 1,
    )
    return [dict(r) for r in rows]
