"""Keeping the rollups: each report contributes to a day x category x status cell, a
duration histogram and a ~1 km grid cell. An event re-reads the report (in its tenant's
transaction) and applies the difference from what it contributed before, so events may
come twice or out of order and the rollups stay exact. ``do_rebuild_tenant`` recomputes
one tenant from its rows, set-based, and must agree with the incremental result.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from jogo.platform import db, outbox
from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo

ACTOR = "rollup_report"
CELL = 100  # cells of 1/100 degree, about 1.1 km
BUCKET_BASE = 1.3  # ±14 % around the middle of a bucket
BUCKET_MAX = 60

# The same rules in SQL, for the set-based rebuild.
_BUCKET_SQL = (
    "CASE WHEN {end} IS NULL OR {start} IS NULL THEN NULL ELSE least({max}, greatest(0,"
    " floor(ln(greatest(extract(epoch FROM {end} - {start}), 60) / 60) / ln({base}))))"
    "::smallint END"
)
_CONTRIBUTION_SQL = f"""
    SELECT r.tenant_id AS tenant, r.id AS report_id,
           (r.created_at AT TIME ZONE $2)::date AS day, c.code AS category_code, r.status,
           r.urgent,
           (r.verify_breached_at IS NOT NULL OR r.followup_breached_at IS NOT NULL) AS breached,
           floor(r.latitude * {CELL})::integer AS cell_lat,
           floor(r.longitude * {CELL})::integer AS cell_lon,
           {
    _BUCKET_SQL.format(end="r.verified_at", start="r.created_at", max=BUCKET_MAX, base=BUCKET_BASE)
} AS verify_bucket,
           {
    _BUCKET_SQL.format(
        end="r.dispatched_at", start="r.created_at", max=BUCKET_MAX, base=BUCKET_BASE
    )
} AS dispatch_bucket,
           {
    _BUCKET_SQL.format(end="r.resolved_at", start="r.created_at", max=BUCKET_MAX, base=BUCKET_BASE)
} AS resolve_bucket
      FROM reports r
      JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id
"""
_KEYS = (
    "day",
    "category_code",
    "status",
    "urgent",
    "breached",
    "cell_lat",
    "cell_lon",
    "verify_bucket",
    "dispatch_bucket",
    "resolve_bucket",
)
METRICS = ("verify", "dispatch", "resolve")
ALL_CATEGORIES = "*"


def bucket_seconds(bucket: int) -> float:
    """The middle of a histogram bucket, in seconds."""
    return 60.0 * BUCKET_BASE ** (bucket + 0.5)


def bucket_of(seconds: float) -> int:
    return max(
        0, min(BUCKET_MAX, math.floor(math.log(max(seconds, 60) / 60) / math.log(BUCKET_BASE)))
    )


async def announce(tenant_id: uuid.UUID, report_id: uuid.UUID) -> None:
    """Inside the writing transaction: the rollups should look at this report again."""
    await outbox.enqueue(ACTOR, {"report_id": str(report_id)}, tenant_id)


def scopes(tenant: TenantInfo) -> tuple[str, str]:
    return f"tenant:{tenant.id}", f"polda:{tenant.polda_code}"


async def _shift(tenant: TenantInfo, c: dict[str, Any], sign: int) -> None:
    """Add (+1) or take away (-1) one report's contribution, in both of its scopes."""
    for scope in scopes(tenant):
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
        # One report at a time: two events for it never interleave their deltas.
        await db.fetch("SELECT pg_advisory_xact_lock(hashtext($1::text))", str(report_id))
        rows = await db.fetch(
            _CONTRIBUTION_SQL + " WHERE r.id = $1", report_id, TIME_ZONES[tenant.time_zone]
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
            await _shift(tenant, old, -1)
        if new is not None:
            await _shift(tenant, new, +1)
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


# The tenant's contributions, grouped the way each rollup table is keyed.
_GROUPS = {
    "oversight_daily": (
        "day, category_code, status",
        "count(*), count(*) FILTER (WHERE urgent), count(*) FILTER (WHERE breached)",
        "reports, urgent, breached",
    ),
    "oversight_cells": ("day, category_code, cell_lat, cell_lon", "count(*)", "reports"),
}


async def _apply_groups(tenant: TenantInfo, scope: str, sign: int) -> None:
    """Add (or take away) all of the tenant's contributions to one scope, set-based."""
    for table, (keys, aggregates, columns) in _GROUPS.items():
        updates = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in columns.split(", "))
        signed = ", ".join(f"{sign} * {a}" for a in aggregates.split(", "))
        await db.fetch(
            f"INSERT INTO {table} (scope, {keys}, {columns}) SELECT $2, {keys}, {signed}"
            f" FROM oversight_contributions WHERE tenant = $1 GROUP BY {keys}"
            f" ON CONFLICT (scope, {keys}) DO UPDATE SET {updates}",
            tenant.id,
            scope,
        )
    for metric in METRICS:
        for category, group in (("category_code", "category_code, "), (f"'{ALL_CATEGORIES}'", "")):
            await db.fetch(
                "INSERT INTO oversight_durations (scope, day, category_code, metric, bucket,"
                f" reports) SELECT $2, day, {category}, $3, {metric}_bucket, {sign} * count(*)"
                f" FROM oversight_contributions WHERE tenant = $1 AND {metric}_bucket IS NOT NULL"
                f" GROUP BY day, {group}{metric}_bucket"
                " ON CONFLICT (scope, day, category_code, metric, bucket) DO UPDATE SET"
                " reports = oversight_durations.reports + EXCLUDED.reports",
                tenant.id,
                scope,
                metric,
            )


async def do_rebuild_tenant(tenant: TenantInfo) -> int:
    """Reconcile: recompute one tenant's rollups from its report rows. The Polda scope
    loses the tenant's old contributions and gains the recomputed ones."""
    tenant_scope, polda_scope = scopes(tenant)
    async with db.tenant_tx(tenant.id):
        await _apply_groups(tenant, polda_scope, -1)
        for table in ("oversight_daily", "oversight_durations", "oversight_cells"):
            await db.fetch(f"DELETE FROM {table} WHERE scope = $1", tenant_scope)
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
        )
        await _apply_groups(tenant, tenant_scope, +1)
        await _apply_groups(tenant, polda_scope, +1)
        rows = await db.fetch(
            "SELECT count(*) FROM oversight_contributions WHERE tenant = $1", tenant.id
        )
    return int(rows[0][0])
