"""The election module at two scales, in one run:

1. A Polres's share: importing 2,000 TPS from CSV (first import and re-import) and
   computing the deployment plan, against parsing and checking the same file alone.
2. National: 820,000 TPS across 500 tenants seeded with COPY, 2 % of them with an
   incident; ``electionSummary`` read from the rollups against the same figures computed
   directly on polling_stations and reports.

    python -m bench.election [--stations 2000] [--tenants 500] [--national 820000] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from bench._db import scratch_database
from bench.national import COLUMNS, REGIONS
from jogo.platform import db
from jogo.platform.auth.principal import Principal
from jogo.platform.regions import local_areas
from jogo.platform.registry import TenantInfo
from jogo.tenants.election.actions import do_import_stations
from jogo.tenants.election.plan import compute_plan
from jogo.tenants.election.queries import plan_inputs
from jogo.tenants.election.stations import parse_csv
from jogo.tenants.election.vocab import ELECTION_CATEGORIES, VULNERABILITIES
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant
from jogo.tenants.oversight.election import election_summary
from jogo.tenants.oversight.queries import Filter
from jogo.tenants.oversight.rollups import do_rebuild_all, refresh_station_counts

LEVELS = list(VULNERABILITIES)
WEIGHTS = [70, 15, 10, 4, 1]
DIRECT_STATIONS = """
SELECT tenant_id, vulnerability, count(*) AS stations, sum(voters) AS voters
  FROM polling_stations WHERE tenant_id = ANY($1::uuid[]) GROUP BY tenant_id, vulnerability
"""
DIRECT_INCIDENTS = """
SELECT r.tenant_id, s.vulnerability, count(*) AS incidents,
       count(*) FILTER (WHERE r.status NOT IN ('RESOLVED', 'CLOSED', 'REJECTED')) AS open,
       count(*) FILTER (WHERE r.urgent) AS urgent
  FROM reports r
  JOIN polling_stations s ON s.tenant_id = r.tenant_id AND s.id = r.polling_station_id
 WHERE r.tenant_id = ANY($1::uuid[]) AND r.created_at >= $2
 GROUP BY r.tenant_id, s.vulnerability
"""


def villages(region: str) -> list[str]:
    return sorted(c for c in local_areas() if c.startswith(region + ".") and c.count(".") == 3)


def station_rows(region: str, n: int, seed: str) -> list[tuple[str, str, str, int, str]]:
    """(code, village, address, voters, vulnerability), spread over the region's villages."""
    rnd = random.Random(seed)
    names = villages(region)
    rows = []
    for i in range(n):
        village = names[i % len(names)]
        number = i // len(names) + 1
        code = village.replace(".", "") + f"{number:03d}"
        level = rnd.choices(LEVELS, WEIGHTS)[0]
        rows.append((code, village, f"TPS {number} {village}", rnd.randint(150, 300), level))
    return rows


def as_csv(rows: list[tuple[str, str, str, int, str]]) -> bytes:
    lines = ["code,village_code,address,voters,vulnerability"]
    lines += [f"{c},{v},{a},{n},{k}" for c, v, a, n, k in rows]
    return ("\n".join(lines) + "\n").encode()


async def onboard(i: int, polda: str, region: str) -> TenantInfo:
    done = await do_onboard_tenant(
        OnboardInput(
            slug=f"polres-{i:04d}",
            name=f"Polres Uji {i}",
            polda_code=polda,
            region_code=region,
            template="minimal",
            kind="POLRES",
            modules=["election"],
        ),
        actor=("bench", "system"),
    )
    return done.tenant


async def timed(work: Callable[[], Awaitable[object]]) -> float:
    t = time.perf_counter()
    await work()
    return (time.perf_counter() - t) * 1000


def row(name: str, samples: list[float], base: float) -> str:
    med = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else med
    return f"| {name} | {med:.1f} | {p90:.1f} | {med / base:.1f}x |"


async def polres(owner: asyncpg.Connection, stations: int, runs: int) -> list[str]:
    tenant = await onboard(0, "JATIM", "35.73")
    console = Principal(
        kind="api_key", name="bench", key_tenant_id=tenant.id, scopes=frozenset({"election:write"})
    )
    data = as_csv(station_rows("35.73", stations, "polres"))

    async def parse() -> None:
        await asyncio.to_thread(parse_csv, data, "35.73")

    async def first_import() -> None:
        result = await do_import_stations(tenant, console, data)
        assert result.created == stations, result

    async def reimport() -> None:
        result = await do_import_stations(tenant, console, data)
        assert result.updated == stations, result

    async def plan() -> None:
        counts, rules = await plan_inputs(tenant.id)
        assert compute_plan(counts, rules).total.stations == stations

    samples: dict[str, list[float]] = {k: [] for k in ("parse", "first", "again", "plan")}
    for _ in range(runs):
        await owner.execute("DELETE FROM polling_stations WHERE tenant_id = $1", tenant.id)
        samples["parse"].append(await timed(parse))
        samples["first"].append(await timed(first_import))
        samples["again"].append(await timed(reimport))
        samples["plan"].append(await timed(plan))
    base = statistics.median(samples["parse"])
    return [
        f"Polres: {stations:,} TPS of Kota Malang ({runs} runs each, interleaved)\n",
        "| step | median ms | p90 ms | vs parsing alone |",
        "|---|---:|---:|---:|",
        row("parse and check the CSV (no database)", samples["parse"], base),
        row(f"import {stations:,} TPS (all new)", samples["first"], base),
        row(f"re-import {stations:,} TPS (all updated)", samples["again"], base),
        row("deployment plan (counts + arithmetic)", samples["plan"], base),
    ]


async def national(
    owner: asyncpg.Connection, tenant_count: int, total: int, runs: int
) -> list[str]:
    t0 = time.perf_counter()
    tenants = [await onboard(i + 1, *REGIONS[i % len(REGIONS)]) for i in range(tenant_count)]
    onboard_s = time.perf_counter() - t0
    per = total // tenant_count
    now = datetime.now(UTC)
    rnd = random.Random(7)
    t0 = time.perf_counter()
    incidents = 0
    for tenant in tenants:
        rows = station_rows(tenant.region_code, per, str(tenant.id))
        ids = [uuid.uuid4() for _ in rows]
        await owner.copy_records_to_table(
            "polling_stations",
            records=[
                (tenant.id, sid, c, v, a, n, k)
                for sid, (c, v, a, n, k) in zip(ids, rows, strict=True)
            ],
            columns=[
                "tenant_id",
                "id",
                "code",
                "village_code",
                "address",
                "voters",
                "vulnerability",
            ],
        )
        categories = {
            r["code"]: r["id"]
            for r in await owner.fetch(
                "SELECT id, code FROM report_categories"
                " WHERE tenant_id = $1 AND code LIKE 'ELECTION_%'",
                tenant.id,
            )
        }
        picked = rnd.sample(ids, max(1, per // 50))  # 2 % of TPS have an incident
        incidents += len(picked)
        await owner.copy_records_to_table(
            "reports",
            records=[
                (
                    tenant.id,
                    uuid.uuid4(),
                    f"E-2026-{i:06d}",
                    categories[rnd.choice(ELECTION_CATEGORIES).code],
                    "Insiden pemilu",
                    "Uraian insiden pemilu untuk uji beban.",
                    -7.9,
                    112.6,
                    now,
                    rnd.random() < 0.1,
                    False,
                    "bench",
                    rnd.choice(["SUBMITTED", "VERIFIED", "RESOLVED"]),
                    now + timedelta(days=1),
                    now - timedelta(minutes=rnd.randint(1, 600)),
                    now,
                    sid,
                )
                for i, sid in enumerate(picked)
            ],
            columns=[*COLUMNS[: COLUMNS.index("updated_at") + 1], "polling_station_id"],
        )
    seed_s = time.perf_counter() - t0
    await owner.execute("ANALYZE")
    t0 = time.perf_counter()
    await do_rebuild_all(tenants)
    for tenant in tenants:
        async with db.tenant_tx(tenant.id):
            await refresh_station_counts(tenant)
    rebuild_s = time.perf_counter() - t0
    await owner.execute("ANALYZE")
    today = (now + timedelta(hours=9)).date()
    f = Filter(
        scopes=[f"tenant:{t.id}" for t in tenants],
        tenants=[t.id for t in tenants],
        day_from=today - timedelta(days=29),
        day_to=today,
    )
    ids = [t.id for t in tenants]
    rollup_ms, direct_ms = [], []
    for _ in range(runs):
        t = time.perf_counter()
        summary = await election_summary(f, tenants)
        rollup_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        stations = await owner.fetch(DIRECT_STATIONS, ids)
        direct = await owner.fetch(DIRECT_INCIDENTS, ids, now - timedelta(days=30))
        direct_ms.append((time.perf_counter() - t) * 1000)
    seeded = per * tenant_count
    assert summary.total.total.stations == seeded == sum(r["stations"] for r in stations)
    assert summary.total.total.incidents == incidents == sum(r["incidents"] for r in direct)
    base = statistics.median(direct_ms)
    return [
        f"National: {per * tenant_count:,} TPS across {tenant_count} tenants,"
        f" {incidents:,} incidents\n",
        "| step | seconds |",
        "|---|---:|",
        f"| onboard {tenant_count} tenants with the election module | {onboard_s:.1f} |",
        f"| seed {per * tenant_count:,} TPS and {incidents:,} incidents with COPY | {seed_s:.1f} |",
        f"| rebuild the rollups and TPS counts | {rebuild_s:.1f} |",
        "",
        f"electionSummary ({runs} runs each, interleaved)\n",
        "| source | median ms | p90 ms | vs direct |",
        "|---|---:|---:|---:|",
        row("direct aggregate on polling_stations and reports", direct_ms, base),
        row("rollups (what electionSummary reads)", rollup_ms, base),
    ]


async def run(stations: int, tenant_count: int, total: int, runs: int) -> None:
    async with scratch_database() as url:
        owner = await asyncpg.connect(url)
        try:
            lines = await polres(owner, stations, runs)
            lines += ["", *await national(owner, tenant_count, total, runs)]
        finally:
            await owner.close()
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--national", type=int, default=820_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(run(args.stations, args.tenants, args.national, args.runs))


if __name__ == "__main__":
    main()
