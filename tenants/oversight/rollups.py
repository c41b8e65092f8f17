"""Keeping the rollups: each report contributes to a day x category x status cell, duration
histograms and a ~1 km grid cell, in two scopes: its tenant's and its Polda's. An event
re-reads the report (in its tenant's transaction) and applies the difference from what it
contributed before, so events may come twice or out of order and the rollups stay exact.

``do_rebuild_tenant`` recomputes one tenant from its rows and then its Polda from all of
that Polda's contributions, so whatever drift there was is gone. A rebuild holds the
tenant's lock exclusively; incremental updates hold it shared, so the two never interleave.
"""

from __future__ import annotations

import uuid
from typing import Any

from jogo.platform import db, outbox
from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo

ACTOR = "rollup_report"
CELL = 100  # cells of 1/100 degree, about 1.1 km
BUCKET_BASE = 1.3  # about ±14 % around the middle of a bucket
BUCKET_MAX = 60
METRICS = ("verify", "dispatch", "resolve")
ALL_CATEGORIES = "*"

_BUCKET_SQL = (
    "CASE WHEN {end} IS NULL THEN NULL ELSE least({max}, greatest(0,"
    " floor(ln(greatest(extract(epoch FROM {end} - r.created_at), 60) / 60) / ln({base}))))"
    "::smallint END"
)
# One report's contribution. $2: the tenant's IANA zone (days are the tenant's own),
# $3: its Polda.
_CONTRIBUTION_SQL = f"""
    SELECT r.tenant_id AS tenant, r.id AS report_id,
           (r.created_at AT TIME ZONE $2)::date AS day, c.code AS category_code, r.status,
           r.urgent,
           (r.verify_breached_at IS NOT NULL OR r.followup_breached_at IS NOT NULL) AS breached,
           floor(r.latitude * {CELL})::integer AS cell_lat,
           floor(r.longitude * {CELL})::integer AS cell_lon, $3::text AS polda,
           {_BUCKET_SQL.format(end="r.verified_at", max=BUCKET_MAX, base=BUCKET_BASE)}
               AS verify_bucket,
           {_BUCKET_SQL.format(end="r.dispatched_at", max=BUCKET_MAX, base=BUCKET_BASE)}
               AS dispatch_bucket,
           {_BUCKET_SQL.format(end="r.resolved_at", max=BUCKET_MAX, base=BUCKET_BASE)}
               AS resolve_bucket,
           s.vulnerability AS tps_vulnerability
      FROM reports r
      JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id
      LEFT JOIN polling_stations s
        ON s.tenant_id = r.tenant_id AND s.id = r.polling_station_id
"""
_KEYS = (
    "day",
    "category_code",
    "status",
    "urgent",
    "breached",
    "cell_lat",
    "cell_lon",
    "polda",
    "verify_bucket",
    "dispatch_bucket",
    "resolve_bucket",
    "tps_vulnerability",
)
_TABLES = ("oversight_daily", "oversight_durations", "oversight_cells", "oversight_election")


def bucket_seconds(bucket: int) -> float:
    """The middle of a histogram bucket, in seconds."""
    return 60.0 * BUCKET_BASE ** (bucket + 0.5)


async def announce(tenant_id: uuid.UUID, report_id: uuid.UUID) -> None:
    """Inside the writing transaction: the rollups should look at this report again."""
    await outbox.enqueue(ACTOR, {"report_id": str(report_id)}, tenant_id)


async def _tenant_lock(tenant_id: uuid.UUID, *, exclusive: bool) -> None:
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await db.fetch(f"SELECT {fn}(hashtext($1))", f"oversight:{tenant_id}")


async def _shift(tenant_id: uuid.UUID, c: dict[str, Any], sign: int) -> None:
    """Add (+1) or take away (-1) one report's contribution, in both of its scopes."""
    for scope in (f"tenant:{tenant_id}", f"polda:{c['polda']}"):
        await db.fetch(
            "INSERT INTO oversight_daily (scope, day, category_code, status, reports, urgent,"
            " breached) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (scope, day,"
            " category_code, status) DO UPDATE SET"
            " reports = oversight_daily.reports + EXCLUDED.reports,"
            " urgent = oversight_daily.urgent + EXCLUDED.urgent,"
            " breached = oversight_daily.breached + EXCLUDED.breached",
            scope,
            c["day"],
            c["category_code"],
            c["status"],
            sign,
            sign if c["urgent"] else 0,
            sign if c["breached"] else 0,
        )
        await db.fetch(
            "INSERT INTO oversight_cells (scope, day, category_code, cell_lat, cell_lon,"
            " reports) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, day, category_code,"
            " cell_lat, cell_lon) DO UPDATE SET"
            " reports = oversight_cells.reports + EXCLUDED.reports",
            scope,
            c["day"],
            c["category_code"],
            c["cell_lat"],
            c["cell_lon"],
            sign,
        )
        if c["tps_vulnerability"] is not None:
            await db.fetch(
                "INSERT INTO oversight_election (scope, day, vulnerability, category_code, status,"
                " reports, urgent) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (scope, day,"
                " vulnerability, category_code, status) DO UPDATE SET"
                " reports = oversight_election.reports + EXCLUDED.reports,"
                " urgent = oversight_election.urgent + EXCLUDED.urgent",
                scope,
                c["day"],
                c["tps_vulnerability"],
                c["category_code"],
                c["status"],
                sign,
                sign if c["urgent"] else 0,
            )
        for metric in METRICS:
            bucket = c[f"{metric}_bucket"]
            if bucket is None:
                continue
            # Per category, and under "*" for all categories: a summary without a
            # category filter then reads a tenth of the rows.
            for category in (c["category_code"], ALL_CATEGORIES):
                await db.fetch(
                    "INSERT INTO oversight_durations (scope, day, category_code, metric, bucket,"
                    " reports) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, day,"
                    " category_code, metric, bucket) DO UPDATE SET"
                    " reports = oversight_durations.reports + EXCLUDED.reports",
                    scope,
                    c["day"],
                    category,
                    metric,
                    bucket,
                    sign,
                )


async def do_apply_report(tenant: TenantInfo, report_id: uuid.UUID) -> bool:
    """Bring one report's contribution up to date. True when something changed."""
    async with db.tenant_tx(tenant.id):
        await _tenant_lock(tenant.id, exclusive=False)
        # One report at a time: two events for it never interleave their deltas.
        await db.fetch("SELECT pg_advisory_xact_lock(hashtext($1::text))", str(report_id))
        rows = await db.fetch(
            _CONTRIBUTION_SQL + " WHERE r.id = $1",
            report_id,
            TIME_ZONES[tenant.time_zone],
            tenant.polda_code,
        )
        new = {k: rows[0][k] for k in _KEYS} if rows else None
        old_rows = await db.fetch(
            "SELECT * FROM oversight_contributions WHERE tenant = $1 AND report_id = $2",
            tenant.id,
            report_id,
        )
        old = {k: old_rows[0][k] for k in _KEYS} if old_rows else None
        if old == new:
            return False
        if old is not None:
            await _shift(tenant.id, old, -1)
        if new is not None:
            await _shift(tenant.id, new, +1)
            await db.fetch(
                "INSERT INTO oversight_contributions (tenant, report_id, "
                + ", ".join(_KEYS)
                + ") VALUES ($1, $2, "
                + ", ".join(f"${i}" for i in range(3, 3 + len(_KEYS)))
                + ") ON CONFLICT (tenant, report_id) DO UPDATE SET "
                + ", ".join(f"{k} = EXCLUDED.{k}" for k in _KEYS),
                tenant.id,
                report_id,
                *new.values(),
            )
        else:
            await db.fetch(
                "DELETE FROM oversight_contributions WHERE tenant = $1 AND report_id = $2",
                tenant.id,
                report_id,
            )
    return True


async def _fill(scope: str, source: str, *args: Any) -> None:
    """Insert a scope's rows from the contributions matching ``source`` (a WHERE)."""
    await db.fetch(
        "INSERT INTO oversight_daily (scope, day, category_code, status, reports, urgent,"
        " breached) SELECT $1, day, category_code, status, count(*),"
        " count(*) FILTER (WHERE urgent), count(*) FILTER (WHERE breached)"
        f" FROM oversight_contributions WHERE {source} GROUP BY day, category_code, status",
        scope,
        *args,
    )
    await db.fetch(
        "INSERT INTO oversight_cells (scope, day, category_code, cell_lat, cell_lon, reports)"
        " SELECT $1, day, category_code, cell_lat, cell_lon, count(*)"
        f" FROM oversight_contributions WHERE {source}"
        " GROUP BY day, category_code, cell_lat, cell_lon",
        scope,
        *args,
    )
    await db.fetch(
        "INSERT INTO oversight_election (scope, day, vulnerability, category_code, status,"
        " reports, urgent) SELECT $1, day, tps_vulnerability, category_code, status, count(*),"
        f" count(*) FILTER (WHERE urgent) FROM oversight_contributions WHERE {source}"
        " AND tps_vulnerability IS NOT NULL GROUP BY day, tps_vulnerability, category_code, status",
        scope,
        *args,
    )
    for metric in METRICS:
        for category, group in (("category_code", "category_code, "), (f"'{ALL_CATEGORIES}'", "")):
            await db.fetch(
                "INSERT INTO oversight_durations (scope, day, category_code, metric, bucket,"
                f" reports) SELECT $1, day, {category}, '{metric}', {metric}_bucket, count(*)"
                f" FROM oversight_contributions WHERE {source} AND {metric}_bucket IS NOT NULL"
                f" GROUP BY day, {group}{metric}_bucket",
                scope,
                *args,
            )


async def _clear(scope: str) -> None:
    for table in _TABLES:
        await db.fetch(f"DELETE FROM {table} WHERE scope = $1", scope)


async def rebuild_polda(polda: str) -> None:
    """Recompute a Polda scope from every contribution counted under it."""
    await _clear(f"polda:{polda}")
    await _fill(f"polda:{polda}", "polda = $2", polda)


async def do_rebuild_tenant(tenant: TenantInfo, *, poldas: bool = True) -> int:
    """Reconcile: recompute one tenant's rollups from its report rows, then (unless the
    caller rebuilds Polda itself, as a full rebuild does) the Polda scopes it touches,
    including a Polda it used to belong to. Returns the tenant's report count."""
    async with db.tenant_tx(tenant.id):
        await _tenant_lock(tenant.id, exclusive=True)
        before = {
            r["polda"]
            for r in await db.fetch(
                "SELECT DISTINCT polda FROM oversight_contributions WHERE tenant = $1", tenant.id
            )
        }
        await db.fetch("DELETE FROM oversight_contributions WHERE tenant = $1", tenant.id)
        await db.fetch(
            "INSERT INTO oversight_contributions (tenant, report_id, "
            + ", ".join(_KEYS)
            + ") SELECT tenant, report_id, "
            + ", ".join(_KEYS)
            + " FROM ("
            + _CONTRIBUTION_SQL
            + " WHERE $1::uuid IS NOT NULL) x",
            tenant.id,
            TIME_ZONES[tenant.time_zone],
            tenant.polda_code,
        )
        await _clear(f"tenant:{tenant.id}")
        await _fill(f"tenant:{tenant.id}", "tenant = $2", tenant.id)
        if poldas:
            for polda in sorted(before | {tenant.polda_code}):
                await rebuild_polda(polda)
        rows = await db.fetch(
            "SELECT count(*) FROM oversight_contributions WHERE tenant = $1", tenant.id
        )
    return int(rows[0][0])


async def do_rebuild_all(tenants: list[TenantInfo]) -> int:
    """Every tenant, then every Polda once (the benchmark's "full rebuild")."""
    total = 0
    for tenant in tenants:
        total += await do_rebuild_tenant(tenant, poldas=False)
    for polda in sorted({t.polda_code for t in tenants}):
        async with db.control_tx():
            await rebuild_polda(polda)
    return total


async def refresh_station_counts(tenant: TenantInfo) -> None:
    """Inside the caller's tenant transaction: the tenant's TPS per vulnerability, for
    the national election summary (a few rows per tenant, rewritten on every change).
    Two writers of one tenant take turns, or the second would insert rows the first
    has just committed."""
    await db.fetch("SELECT pg_advisory_xact_lock(hashtext($1))", f"station-counts:{tenant.id}")
    await db.fetch("DELETE FROM election_station_counts WHERE tenant = $1", tenant.id)
    await db.fetch(
        "INSERT INTO election_station_counts (tenant, polda, vulnerability, stations, voters)"
        " SELECT $1, $2, vulnerability, count(*), sum(voters) FROM polling_stations"
        " GROUP BY vulnerability",
        tenant.id,
        tenant.polda_code,
    )
