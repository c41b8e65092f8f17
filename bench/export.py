"""Bulk exports from a real ``jogo serve``: throughput against a plain asyncpg dump, and the
server's memory for 1,000 against 100,000 rows.

The tenant is seeded as ``bench.read_write`` seeds it (``--reports`` reports, default
100,000, with officers, events, dispatches and photo rows) in a scratch database. Then:

- **throughput**: ``GET /t/{slug}/export/reports.csv`` and ``reports.geojson`` with an
  API key (``reports:read``: every report, no reporter identity), the whole body read and
  dropped by an httpx client in this process, ``--rounds`` times (median), in rows per
  second; also the CSV as an operator (reporter identity: one audit row per report is
  written first). Baselines, the same statement on the app role in the tenant's
  transaction, in this process: PostgreSQL's ``COPY (SELECT …) TO STDOUT WITH CSV`` and
  drop it (the floor: no Python per row), and an asyncpg cursor of 1,000-row batches
  through ``csv.writer``, dropped (what a hand-written exporter does).
- **memory**: for each format, a fresh ``jogo serve`` answers one tiny export (warm-up),
  then its peak RSS (``VmHWM``) is read, then it serves the export of the newest 1,000
  reports (a ``from`` filter) or of all of them, and ``VmHWM`` is read again: the growth
  is what the export cost at its peak. Bounded memory means the 100,000-row growth is
  close to the 1,000-row one, not 100 times it.

    python -m bench.export [--reports 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bench._db import scratch_database
from bench.read_write import SLUG, Server, World, setup, start_product, stop, wait_ready
from jogo.platform import db
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.principal import Principal
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.exports import report_export
from jogo.tenants.reports.queries import ReportFilter

SMALL = 1_000


@dataclass
class Figures:
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


async def download(port: int, path: str, headers: dict[str, str], params: dict[str, str]) -> int:
    """Read the whole answer and drop it; its size in bytes."""
    size = 0
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as client,
        client.stream("GET", path, headers=headers, params=params) as answer,
    ):
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {(await answer.aread())[:300]!r}")
        async for chunk in answer.aiter_raw():
            size += len(chunk)
    return size


async def timed(run: Callable[[], Awaitable[Any]], rows: int, rounds: int) -> Figures:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await run()
        times.append(time.perf_counter() - started)
    return Figures(rows, statistics.median(times))


class _Null:
    """A sink that drops what is written (as /dev/null, without a file)."""

    def write(self, data: str) -> int:
        return len(data)


async def _drop(_: bytes) -> None:
    return None


async def copy_dump(world: World, sql: str, args: list[Any]) -> None:
    """COPY of the export's statement, dropped, in the tenant's transaction."""
    async with db.tenant_tx(world.tenant.id) as tx:
        await tx.connection.copy_from_query(sql, *args, output=_drop, format="csv")


async def cursor_dump(world: World, sql: str, args: list[Any]) -> None:
    """An asyncpg cursor in 1,000-row batches through ``csv.writer``, dropped."""
    writer = csv.writer(_Null())
    async with db.tenant_tx(world.tenant.id) as tx:
        async for row in tx.connection.cursor(sql, *args, prefetch=1000):
            writer.writerow(row)


async def peak_growth(
    world: World, path: str, headers: dict[str, str], params: dict[str, str]
) -> float:
    """MB of peak RSS a fresh ``jogo serve`` gained serving one export (after a warm-up)."""
    server: Server = start_product("export", world, {})
    try:
        await wait_ready(server)
        await download(server.port, path, headers, {"text": "tidak-ada-yang-cocok"})
        before = server.vm_hwm_mb()
        await download(server.port, path, headers, params)
        return server.vm_hwm_mb() - before
    finally:
        stop(server)


async def run(args: argparse.Namespace) -> None:
    async with scratch_database() as url:
        print(f"seeding {args.reports:,} reports ...", flush=True)
        world = await setup(url, args.reports)
        key = (await create_api_key(world.tenant, "bench", ["reports:read"], "bench")).key
        as_key = {"X-API-Key": key}
        as_operator = {"Authorization": world.operator}
        async with db.tenant_tx(world.tenant.id):
            newest = await db.fetch(
                "SELECT created_at FROM reports ORDER BY created_at DESC, id DESC"
                " OFFSET $1 LIMIT 1",
                SMALL - 1,
            )
        small = {"from": datetime.isoformat(newest[0]["created_at"])}
        principal = Principal(
            kind="api_key", key_tenant_id=world.tenant.id, scopes=frozenset({"reports:read"})
        )
        export = report_export(Viewer.of(principal, world.tenant.id), ReportFilter())
        total = args.reports
        results: dict[str, Figures] = {}
        print("baselines ...", flush=True)
        results["copy"] = await timed(
            lambda: copy_dump(world, export.sql, export.args), total, args.rounds
        )
        results["cursor"] = await timed(
            lambda: cursor_dump(world, export.sql, export.args), total, args.rounds
        )
        server = start_product("export", world, {})
        try:
            await wait_ready(server)
            for fmt in ("csv", "geojson"):
                print(f"reports.{fmt} ...", flush=True)
                path = f"/t/{SLUG}/export/reports.{fmt}"
                results[fmt] = await timed(
                    lambda p=path: download(server.port, p, as_key, {}), total, args.rounds
                )
            print("reports.csv as an operator ...", flush=True)
            path = f"/t/{SLUG}/export/reports.csv"
            results["operator"] = await timed(
                lambda: download(server.port, path, as_operator, {}), total, args.rounds
            )
            size = await download(server.port, path, as_key, {})
        finally:
            stop(server)
        growth: dict[tuple[str, int], float] = {}
        for fmt in ("csv", "geojson"):
            path = f"/t/{SLUG}/export/reports.{fmt}"
            for rows, params in ((SMALL, small), (total, {})):
                print(f"peak RSS, reports.{fmt}, {rows:,} rows ...", flush=True)
                growth[(fmt, rows)] = await peak_growth(world, path, as_key, params)
    print_table(results, growth, total, size)


def print_table(
    results: dict[str, Figures], growth: dict[tuple[str, int], float], total: int, size: int
) -> None:
    copy, cursor = results["copy"].rate, results["cursor"].rate
    print()
    print(f"Exports of {total:,} reports (CSV {size / 1e6:.1f} MB); median of the rounds.")
    print()
    print("| export | rows/s | ÷ COPY | ÷ asyncpg cursor + csv |")
    print("|---|---:|---:|---:|")
    for key, label in (
        ("copy", "baseline: COPY … TO STDOUT CSV, dropped"),
        ("cursor", "baseline: asyncpg cursor + csv.writer, dropped"),
        ("csv", "jogo serve reports.csv (API key)"),
        ("geojson", "jogo serve reports.geojson (API key)"),
        ("operator", "jogo serve reports.csv (operator: identity, audited)"),
    ):
        rate = results[key].rate
        print(f"| {label} | {rate:,.0f} | {rate / copy:.2f} | {rate / cursor:.2f} |")
    print()
    print("| export | peak RSS growth, 1,000 rows | peak RSS growth, all rows | ratio |")
    print("|---|---:|---:|---:|")
    for fmt in ("csv", "geojson"):
        small, big = growth[(fmt, SMALL)], growth[(fmt, total)]
        ratio = big / small if small > 0.05 else float("nan")
        print(f"| reports.{fmt} | {small:.1f} MB | {big:.1f} MB | {ratio:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
