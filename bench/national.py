"""National oversight at scale: 500 tenants x 2,000 reports (1 M) seeded with COPY, then,
in one run, the national summary read from the rollups against the same aggregate
computed directly on the reports table. Also prints how long seeding and a full rebuild
of the rollups take.

    python -m bench.national [--tenants 500] [--reports 2000] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from bench._db import scratch_database
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant
from jogo.tenants.oversight import queries
from jogo.tenants.oversight.rollups import do_rebuild_all

STATUSES = ["SUBMITTED", "VERIFIED", "DISPATCHED", "IN_PROGRESS", "RESOLVED", "CLOSED", "REJECTED"]
REGIONS = [
    ("JATIM", "35.73"),
    ("JATENG", "33.74"),
    ("JABAR", "32.73"),
    ("BALI", "51.71"),
    ("SUMUT", "12.71"),
    ("SULSEL", "73.71"),
    ("METRO_JAYA", "31.71"),
    ("PAPUA", "91.71"),
]
DAYS = 30

DIRECT = """
WITH r AS (
  SELECT r.status, c.code, r.urgent,
         (r.verify_breached_at IS NOT NULL OR r.followup_breached_at IS NOT NULL) AS breached,
         (r.created_at AT TIME ZONE 'Asia/Jakarta')::date AS day,
         extract(epoch FROM r.verified_at - r.created_at) AS verify_s,
         extract(epoch FROM r.dispatched_at - r.created_at) AS dispatch_s,
         extract(epoch FROM r.resolved_at - r.created_at) AS resolve_s
    FROM reports r JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id
   WHERE r.tenant_id = ANY($1::uuid[]) AND r.created_at >= $2 AND r.created_at < $3)
SELECT (SELECT json_agg(x) FROM (SELECT status, code, count(*), count(*) FILTER (WHERE urgent),
          count(*) FILTER (WHERE breached) FROM r GROUP BY status, code) x) AS counts,
       (SELECT json_agg(x) FROM (SELECT day, count(*) FROM r GROUP BY day) x) AS daily,
       (SELECT json_build_array(
          percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY verify_s),
          percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY dispatch_s),
          percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY resolve_s)) FROM r) AS durations
"""


def records(tenant_id: uuid.UUID, categories: list[uuid.UUID], n: int, now: datetime):
    rnd = random.Random(str(tenant_id))
    for i in range(n):
        created = now - timedelta(seconds=rnd.uniform(0, DAYS * 86400 - 3600))
        status = rnd.choices(STATUSES, weights=[20, 15, 10, 10, 25, 15, 5])[0]
        step = STATUSES.index(status)
        verified = created + timedelta(minutes=rnd.expovariate(1 / 600)) if 1 <= step <= 5 else None
        dispatched = (
            verified + timedelta(hours=rnd.expovariate(1 / 6)) if verified and step >= 2 else None
        )
        resolved = (
            dispatched + timedelta(hours=rnd.expovariate(1 / 30))
            if dispatched and step >= 4
            else None
        )
        breached = created + timedelta(days=3) if rnd.random() < 0.08 else None
        yield (
            tenant_id,
            uuid.uuid4(),
            f"B-2026-{i:06d}",
            rnd.choice(categories),
            f"Laporan uji {i}",
            "Uraian kejadian untuk uji beban nasional.",
            -8.0 + rnd.uniform(-0.2, 0.2),
            112.6 + rnd.uniform(-0.2, 0.2),
            created,
            rnd.random() < 0.1,
            False,
            "bench",
            status,
            created + timedelta(days=3),
            created,
            created,
            verified,
            dispatched,
            resolved,
            resolved + timedelta(days=2) if status == "CLOSED" and resolved else None,
            "uji" if status == "REJECTED" else None,
            breached,
        )


COLUMNS = [
    "tenant_id",
    "id",
    "ticket",
    "category_id",
    "title",
    "description",
    "latitude",
    "longitude",
    "occurred_at",
    "urgent",
    "anonymous",
    "submitted_by",
    "status",
    "verify_due_at",
    "created_at",
    "updated_at",
    "verified_at",
    "dispatched_at",
    "resolved_at",
    "closed_at",
    "reject_reason",
    "verify_breached_at",
]


async def run(tenant_count: int, per_tenant: int, runs: int) -> None:
    async with scratch_database() as url:
        owner = await asyncpg.connect(url)
        t0 = time.perf_counter()
        tenants = []
        for i in range(tenant_count):
            polda, region = REGIONS[i % len(REGIONS)]
            tenants.append(
                (
                    await do_onboard_tenant(
                        OnboardInput(
                            slug=f"polres-{i:04d}",
                            name=f"Polres Uji {i}",
                            polda_code=polda,
                            region_code=region,
                            template="minimal",
                            kind="POLRES",
                        ),
                        actor=("bench", "system"),
                    )
                ).tenant
            )
        onboard_s = time.perf_counter() - t0
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        for tenant in tenants:
            categories = [
                r["id"]
                for r in await owner.fetch(
                    "SELECT id FROM report_categories WHERE tenant_id = $1", tenant.id
                )
            ]
            await owner.copy_records_to_table(
                "reports", records=records(tenant.id, categories, per_tenant, now), columns=COLUMNS
            )
        seed_s = time.perf_counter() - t0
        await owner.execute("ANALYZE")
        t0 = time.perf_counter()
        await do_rebuild_all(tenants)
        rebuild_s = time.perf_counter() - t0
        await owner.execute("ANALYZE")
        ids = [t.id for t in tenants]
        day_to = (now + timedelta(hours=7)).date()
        scopes = sorted({f"polda:{t.polda_code}" for t in tenants})
        f = queries.Filter(
            scopes=scopes, tenants=ids, day_from=day_to - timedelta(days=DAYS), day_to=day_to
        )
        start = now - timedelta(days=DAYS + 1)
        rollup_ms, direct_ms = [], []
        for _ in range(runs):
            t = time.perf_counter()
            totals = await queries.summary(f)
            rollup_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            direct = await owner.fetchrow(DIRECT, ids, start, now + timedelta(days=1))
            direct_ms.append((time.perf_counter() - t) * 1000)
        assert totals.reports == tenant_count * per_tenant, totals.reports
        assert direct["counts"]
        await owner.close()
    total = tenant_count * per_tenant
    print(f"National oversight: {tenant_count} tenants x {per_tenant:,} reports = {total:,}\n")
    print("| step | seconds |")
    print("|---|---:|")
    print(f"| onboard {tenant_count} tenants | {onboard_s:.1f} |")
    print(f"| seed {total:,} reports with COPY | {seed_s:.1f} |")
    print(f"| full rebuild of the rollups | {rebuild_s:.1f} |")
    med_r, med_d = statistics.median(rollup_ms), statistics.median(direct_ms)
    print(f"\nNational summary ({runs} runs each, interleaved)\n")
    print("| source | median ms | p90 ms | vs direct |")
    print("|---|---:|---:|---:|")
    print(
        f"| direct aggregate on reports | {med_d:.1f} |"
        f" {statistics.quantiles(direct_ms, n=10)[-1]:.1f} | 1.0x |"
    )
    print(
        f"| rollups | {med_r:.1f} | {statistics.quantiles(rollup_ms, n=10)[-1]:.1f} |"
        f" {med_d / med_r:.1f}x faster |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(run(args.tenants, args.reports, args.runs))


if __name__ == "__main__":
    main()
