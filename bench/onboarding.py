"""Onboarding time with 0, 100 and 1,000 tenants already present. It must stay flat
(target: under 200 ms each). Every existing tenant is a real onboarding from the
jogo-malang-presisi template (9 categories, 25 agencies), so tables grow as in life.

    python -m bench.onboarding [--samples 40] [--levels 0,100,1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from bench._db import scratch_database
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant

ACTOR = ("bench", "system")


async def onboard_one(template: str = "jogo-malang-presisi") -> float:
    data = OnboardInput(
        slug=f"polres-{uuid.uuid4().hex[:12]}",
        name="Polresta Bench",
        polda_code="JATIM",
        region_code="35.73",
        template=template,
    )
    start = time.perf_counter()
    await do_onboard_tenant(data, actor=ACTOR)
    return (time.perf_counter() - start) * 1000


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


async def run(levels: list[int], samples: int) -> None:
    rows = []
    async with scratch_database():
        for _ in range(3):  # warm the pool, caches and plans (rolled into the first level)
            await onboard_one()
        existing = 3
        for level in levels:
            fill_start = time.perf_counter()
            while existing < level:
                await onboard_one()
                existing += 1
            fill = time.perf_counter() - fill_start
            present = existing
            times = [await onboard_one() for _ in range(samples)]
            existing += samples
            rows.append((present, statistics.median(times), p90(times), max(times), fill))
    base = rows[0][1]
    print(f"Onboarding one tenant (jogo-malang-presisi, {samples} samples per level)\n")
    print("| tenants before | median ms | p90 ms | max ms | median vs first | under 200 ms |")
    print("|---:|---:|---:|---:|---:|:---:|")
    for level, med, q90, worst, _ in rows:
        ok = "yes" if q90 < 200 else "NO"
        print(f"| {level:,} | {med:.1f} | {q90:.1f} | {worst:.1f} | {med / base:.2f}x | {ok} |")
    print(f"\nfill rate: {rows[-1][0] / max(rows[-1][4], 1e-9):.0f} tenants/s while seeding")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--levels", default="0,100,1000")
    args = parser.parse_args()
    levels = sorted(int(x) for x in args.levels.split(","))
    asyncio.run(run(levels, args.samples))


if __name__ == "__main__":
    main()
