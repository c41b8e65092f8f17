"""What the cancellation-safe transaction costs (issue 12, part 2).

``tenant_tx`` borrows a connection with a bounded wait, runs BEGIN and the tenant
setting, and gives the connection back through a clean-up task shielded from
cancellation (rolled back, or terminated when that fails). The baseline is the plain
asyncpg way on the same pool in the same run: ``pool.acquire()`` and
``conn.transaction()`` with the same statements. Rows are ratios of the baseline's
throughput (higher is better), with 8 tasks at a time on a pool of 4.

    python -m bench.transactions [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable

from bench._db import scratch_database
from jogo.platform import db

CONCURRENCY = 8


async def _plain(tenant: str) -> None:
    pool = db.ENGINE.pool
    assert pool is not None
    async with pool.acquire() as conn, conn.transaction():
        # The same statement as the tenant setting, on a name of its own (only the
        # kernel sets the tenant): the same cost, no tenant.
        await conn.execute("SELECT set_config('jogo.bench', $1, true)", tenant)
        await conn.fetchval("SELECT count(*) FROM reports")


async def _piccolo(tenant: str) -> None:
    """What tenant_tx was before: Piccolo's transaction, which strands its connection
    when the rollback or the release is interrupted."""
    async with db.ENGINE.transaction() as tx:
        await tx.connection.execute("SELECT set_config('jogo.bench', $1, true)", tenant)
        await tx.connection.fetchval("SELECT count(*) FROM reports")


async def _safe(tenant: str) -> None:
    async with db.tenant_tx(tenant) as tx:
        await tx.connection.fetchval("SELECT count(*) FROM reports")


async def _safe_failing(tenant: str) -> None:
    with contextlib.suppress(ZeroDivisionError):
        async with db.tenant_tx(tenant) as tx:
            await tx.connection.fetchval("SELECT count(*) FROM reports")
            raise ZeroDivisionError  # an error in the block: rolled back, released


async def _safe_cancelled(tenant: str) -> None:
    """A request cancelled while its query runs (a client that hung up)."""

    async def body() -> None:
        async with db.tenant_tx(tenant) as tx:
            await tx.connection.fetchval("SELECT pg_sleep(0.002)")

    task = asyncio.ensure_future(body())
    await asyncio.sleep(0.001)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _rate(run: Callable[[str], Awaitable[None]], tenant: str, seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await run(tenant)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(CONCURRENCY)))
    return done / (time.perf_counter() - started)


async def _run(seconds: float) -> None:
    async with scratch_database():
        tenant = str(uuid.uuid4())
        rows = [
            ("plain asyncpg transaction (baseline)", _plain),
            ("Piccolo transaction (tenant_tx before issue 12)", _piccolo),
            ("tenant_tx, committed", _safe),
            ("tenant_tx, error in the block (rollback)", _safe_failing),
            ("tenant_tx, cancelled mid-query", _safe_cancelled),
        ]
        await _rate(_plain, tenant, 0.5)  # warm the pool and the statement cache
        rates = [(label, await _rate(fn, tenant, seconds)) for label, fn in rows]
        pool = db.ENGINE.pool
        assert pool is not None
        idle = pool.get_idle_size() == pool.get_size()
    base = rates[0][1]
    print(f"Transactions, {CONCURRENCY} tasks on a pool of 4, {seconds:g} s per row\n")
    print("| path | transactions/s | vs baseline |")
    print("|---|---:|---:|")
    for label, rate in rates:
        print(f"| {label} | {rate:,.0f} | {rate / base:.2f}x |")
    print(f"\npool idle afterwards: {'yes' if idle else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    asyncio.run(_run(args.seconds))


if __name__ == "__main__":
    main()
