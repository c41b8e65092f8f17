"""Dispatch delivery, in one run against local PostgreSQL and RabbitMQ:

1. throughput: N dispatches written to the outbox, then relayed through RabbitMQ to a
   Dramatiq worker that POSTs each to a local HTTP sink, against a bare asyncio loop
   POSTing the same payloads to the same sink with the same concurrency;
2. latency: dispatches committed at a fixed rate (default 100/s) with relay and worker
   running; commit-to-receipt p50 and p95 at the sink.

    python -m bench.dispatch [--count 1000] [--rate 100] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("JOGO_QUEUE", f"jogo-bench-{os.getpid()}")

import httpx

from bench._db import scratch_database
from jogo.platform import db
from jogo.platform.settings import load_settings
from jogo.platform.storage import FileStore
from jogo.tenants.agencies import dispatches
from jogo.tenants.agencies.actions import AgencyInput, do_create_agency
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant
from jogo.tenants.reports.intake import do_submit_report
from jogo.tenants.reports.validation import ReportInput

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from agency_sink import AgencySink

AMQP = os.environ.get("JOGO_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
CONCURRENCY = 8
STORE = FileStore(Path(tempfile.gettempdir()) / "jogo-bench-files")


async def make_dispatches(tenant, agency: dict, count: int, principal) -> list[float]:
    """Reports submitted, then dispatched: each dispatch row + outbox row in one commit."""
    commits = []
    report_ids = []
    for i in range(count):
        done = await do_submit_report(
            tenant,
            principal,
            ReportInput(
                "FLOOD",
                f"Banjir uji {i}",
                "Genangan air setinggi lutut di jalan.",
                -7.9 - (i % 50) * 0.01,
                112.6,
            ),
            STORE,
        )
        report_ids.append(done.report_id)
    for rid in report_ids:
        async with db.tenant_tx(tenant.id):
            await dispatches.create_dispatch(tenant, rid, agency, "bench")
        commits.append(time.time())
    return commits


async def wait_delivered(tenant_id: uuid.UUID, total: int, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        async with db.tenant_tx(tenant_id):
            rows = await db.fetch("SELECT count(*) FROM dispatches WHERE status = 'DELIVERED'")
        if rows[0][0] >= total:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("deliveries did not finish")


def start_worker_process(database_url: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, JOGO_DATABASE_URL=database_url, JOGO_AMQP_URL=AMQP)
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "jogo"), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def bare_loop(url: str, payloads: list[bytes]) -> float:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for p in payloads:
        queue.put_nowait(p)
    async with httpx.AsyncClient() as client:

        async def work() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                r = await client.post(
                    url,
                    content=body,
                    headers={
                        "content-type": "application/json",
                        "idempotency-key": str(uuid.uuid4()),
                    },
                )
                r.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*[work() for _ in range(CONCURRENCY)])
        return time.perf_counter() - start


async def run(count: int, rate: float, seconds: float) -> None:
    from jogo.platform.auth.principal import Membership, Principal
    from jogo.platform.auth.roles import Role
    from jogo.workers.broker import make_broker
    from jogo.workers.process import load_actors
    from jogo.workers.relay import Relay

    sink = AgencySink().start()
    async with scratch_database() as url:
        settings = replace(load_settings({}), database_url=url)
        tenant = (
            await do_onboard_tenant(
                OnboardInput(
                    slug="polres-bench",
                    name="Polres Bench",
                    polda_code="JATIM",
                    region_code="35.73",
                    template="minimal",
                    modules=["integrations"],
                ),
                actor=("bench", "system"),
            )
        ).tenant
        admin = Principal(
            kind="user",
            id=None,
            name="bench",
            memberships=(Membership(Role.TENANT_ADMIN, tenant.id),),
        )
        agency_id = await do_create_agency(
            tenant.id,
            admin,
            AgencyInput(
                code="SINK",
                name="Sink agency",
                kind="dinas",
                connector="webhook",
                endpoint_url=sink.url,
                secret="bench-secret-0123456789",
            ),
            settings.secret_key,
            allow_private_egress=True,  # the fake agency listens on 127.0.0.1
        )
        async with db.tenant_tx(tenant.id):
            agency = dict((await db.fetch("SELECT * FROM agencies WHERE id = $1", agency_id))[0])
        # The relay publishes from this process; the worker is its own process, as in
        # production (``jogo worker``), so the two do not share one interpreter lock.
        broker = make_broker(AMQP, None)
        load_actors(settings)
        broker.declare_queue(os.environ["JOGO_QUEUE"])
        worker = start_worker_process(url)
        await asyncio.sleep(4.0)  # boot: imports, pool, consumers
        try:
            # 1. throughput
            await make_dispatches(tenant, agency, count, admin)
            relay = Relay(broker)
            start = time.perf_counter()
            task = asyncio.create_task(relay.run_forever())
            await wait_delivered(tenant.id, count)
            pipeline = time.perf_counter() - start
            payloads = [r.body for r in sink.received[:count]]
            bare = await bare_loop(sink.url, payloads)
            # 2. latency at a fixed offered load
            sink.received.clear()
            commits: dict[str, float] = {}
            total = int(rate * seconds)
            reports = []
            for i in range(total):
                done = await do_submit_report(
                    tenant,
                    admin,
                    ReportInput(
                        "FIRE", f"Kebakaran uji {i}", "Asap tebal dari gudang.", -7.95, 112.65
                    ),
                    __import__("jogo.platform.storage", fromlist=["FileStore"]).FileStore(
                        Path("/tmp/jogo-bench-files")
                    ),
                )
                reports.append(done.report_id)
            t0 = time.perf_counter()
            for i, rid in enumerate(reports):
                target = t0 + i / rate
                await asyncio.sleep(max(0.0, target - time.perf_counter()))
                async with db.tenant_tx(tenant.id):
                    did = await dispatches.create_dispatch(tenant, rid, agency, "bench")
                    rows = await db.fetch(
                        "SELECT idempotency_key FROM dispatches WHERE id = $1", did
                    )
                commits[str(rows[0]["idempotency_key"])] = time.time()
            await wait_delivered(tenant.id, count + total)
            offered = total / (time.perf_counter() - t0)
            task.cancel()
            relay.close()
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
            broker.close()
    sink.stop()
    latencies = sorted(
        r.at - commits[r.headers["idempotency-key"]]
        for r in sink.received
        if r.headers.get("idempotency-key") in commits
    )
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    print(f"Dispatch delivery: {count} deliveries, {CONCURRENCY} concurrent, local HTTP sink\n")
    print("| pipeline | seconds | deliveries/s | vs bare loop |")
    print("|---|---:|---:|---:|")
    print(f"| bare asyncio loop, httpx POST | {bare:.2f} | {count / bare:.0f} | 1.00x |")
    print(
        f"| outbox → relay → RabbitMQ → Dramatiq → POST | {pipeline:.2f} | {count / pipeline:.0f}"
        f" | {bare / pipeline:.2f}x |"
    )
    print(
        f"\nCommit-to-receipt latency at {offered:.0f} dispatches/s offered"
        f" ({len(latencies)} deliveries)\n"
    )
    print("| p50 ms | p95 ms | max ms |")
    print("|---:|---:|---:|")
    print(f"| {p50:.0f} | {p95:.0f} | {latencies[-1] * 1000:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(run(args.count, args.rate, args.seconds))


if __name__ == "__main__":
    main()
