"""Election-day capacity of one node, measured on this machine, and the replicas that
820,000 polling stations filing in 15 minutes (about 910 reports a second) would need.

One run starts the real processes (`jogo serve`, `jogo relay`, `jogo worker`) against
local PostgreSQL and RabbitMQ, with a local HTTP server as the agency, and drives the
election-day mix through HTTP for a fixed time:

    70 % citizens' incident reports with a TPS code (submitReport)
    18 % operators' lists (reports, first 20, with category and last event)
     8 % triage: verify and dispatch a report to the agency (delivered by the worker)
     2 % the election board (every TPS with its state)
     2 % national electionSummary

Every figure is side by side with `/healthz` under the same load generator (the
baseline), because absolute times on a shared 2-core machine are noisy.

    python -m bench.capacity [--seconds 20] [--clients 16]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import asyncpg
import httpx

from bench._db import scratch_database
from bench.election import as_csv, station_rows
from jogo.platform import db
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.platform.auth.users import create_user
from jogo.platform.registry import TenantInfo
from jogo.tenants.agencies import dispatches
from jogo.tenants.agencies.actions import AgencyInput, do_create_agency
from jogo.tenants.election.actions import do_import_stations
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from agency_sink import AgencySink

AMQP = os.environ.get("JOGO_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
SECRET = "capacity-bench-secret-key-0123456789-abcdef"
TARGET_PER_SECOND = 820_000 / (15 * 60)  # about 910
DISPATCHED = 0.25  # assumed share of election incidents sent on to an agency (Bawaslu, Dinas)
UTILISATION = 0.65  # the HPA's CPU target: replicas run at this share of what they sustain
MIX = [("submit", 70), ("list", 18), ("triage", 8), ("board", 2), ("national", 2)]
SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id } errors { code } } }"""
LIST = """{ reports(first: 20) { edges { node { id ticket status category { code }
  lastEvent { kind } } } } }"""
VERIFY = "mutation($id: ID!) { verifyReport(reportId: $id) { errors { code } } }"
DISPATCH = """mutation($id: ID!, $a: ID!) { dispatchReport(reportId: $id, agencyId: $a) {
  errors { code } } }"""
BOARD = "{ electionBoard(incidentsOnly: true) { code state } }"
NATIONAL = "{ electionSummary { total { stations incidents } byPolda { key incidents } } }"
CATEGORIES = ["ELECTION_VOTE_BUYING", "ELECTION_INTIMIDATION", "ELECTION_UNREST", "ELECTION_HOAX"]


def _env(database: str, queue: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    return env | {
        "JOGO_DATABASE_URL": database,
        "JOGO_AMQP_URL": AMQP,
        "JOGO_QUEUE": queue,
        "JOGO_SECRET_KEY": SECRET,
        "JOGO_ENV": "test",
        "JOGO_ALLOW_PRIVATE_EGRESS": "true",
        # A few bench callers send far more than a person would: budgets out of the way.
        "JOGO_GRAPHQL_BUDGET": "100000000",
        "JOGO_GRAPHQL_USER_BUDGET": "100000000",
        "JOGO_DATA_DIR": tempfile.mkdtemp(prefix="jogo-capacity-"),
    }


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "jogo.platform.app.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _user(role: Role, tenant: TenantInfo | None) -> dict[str, str]:
    name = f"cap{uuid.uuid4().hex[:10]}"
    user_id = await create_user(name, "capacity bench pw", role, tenant=tenant)
    return {"Authorization": f"Bearer {issue_token(user_id, name, SECRET, 3600).token}"}


async def setup(sink_url: str) -> tuple[TenantInfo, str, dict[str, dict[str, str]], list[str]]:
    tenant = (
        await do_onboard_tenant(
            OnboardInput(
                slug="polresta-malang-kota",
                name="Polresta Malang Kota",
                polda_code="JATIM",
                region_code="35.73",
                template="minimal",
                modules=["election", "integrations"],
            ),
            actor=("bench", "system"),
        )
    ).tenant
    console = Principal(
        kind="api_key",
        name="bench",
        key_tenant_id=tenant.id,
        scopes=frozenset({"election:write", "agencies:write"}),
    )
    rows = station_rows("35.73", 2000, "capacity")
    await do_import_stations(tenant, console, as_csv(rows))
    agency = await do_create_agency(
        tenant.id,
        console,
        AgencyInput(
            code="BAWASLU",
            name="Bawaslu Kota Malang (webhook)",
            kind="dinas",
            connector="webhook",
            endpoint_url=sink_url,
            secret="capacity-agency-secret-0123",
        ),
        SECRET,
        allow_private_egress=True,  # the fake agency listens on 127.0.0.1
    )
    headers = {
        "citizen": await _user(Role.CITIZEN, tenant),
        "operator": await _user(Role.OPERATOR, tenant),
        "national": await _user(Role.NATIONAL_SUPERVISOR, None),
    }
    return tenant, str(agency), headers, [r[0] for r in rows]


async def drive(
    client: httpx.AsyncClient,
    seconds: float,
    clients: int,
    pick: list[str],
    work: dict[str, object],
) -> dict[str, list[float]]:
    """``clients`` loops, each choosing the next operation from ``pick``, for ``seconds``."""
    timings: dict[str, list[float]] = defaultdict(list)
    deadline = time.monotonic() + seconds

    async def loop(n: int) -> None:
        rnd = random.Random(n)
        while time.monotonic() < deadline:
            op = rnd.choice(pick)
            started = time.perf_counter()
            await work[op](client, rnd)  # type: ignore[operator]
            timings[op].append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*[loop(n) for n in range(clients)])
    return timings


async def run(seconds: float, clients: int) -> None:
    sink = AgencySink().start()
    queue = f"jogo-capacity-{os.getpid()}"
    processes: list[subprocess.Popen[bytes]] = []
    async with scratch_database() as url:
        tenant, agency, headers, codes = await setup(sink.url)
        env = _env(url, queue)
        port = 18000 + os.getpid() % 1000
        processes.append(_start(["serve", "--host", "127.0.0.1", "--port", str(port)], env))
        processes.append(_start(["relay"], env))
        processes.append(_start(["worker"], env))
        path = f"/t/{tenant.slug}/graphql"
        submitted: list[str] = []

        async def gql(
            client: httpx.AsyncClient, target: str, query: str, who: str, **v: object
        ) -> dict:
            r = await client.post(
                target, json={"query": query, "variables": v}, headers=headers[who]
            )
            r.raise_for_status()
            body = r.json()
            assert "errors" not in body, body
            return body["data"]

        async def submit(client: httpx.AsyncClient, rnd: random.Random) -> None:
            code = rnd.choice(codes)
            data = await gql(
                client,
                path,
                SUBMIT,
                "citizen",
                input={
                    "categoryCode": rnd.choice(CATEGORIES),
                    "title": f"Insiden di TPS {code[-3:]}",
                    "description": "Laporan warga tentang kejadian di sekitar TPS hari ini.",
                    "latitude": -7.97 + rnd.uniform(-0.02, 0.02),
                    "longitude": 112.63 + rnd.uniform(-0.02, 0.02),
                    "pollingStationCode": code,
                },
            )
            submitted.append(data["submitReport"]["report"]["id"])

        async def listing(client: httpx.AsyncClient, rnd: random.Random) -> None:
            await gql(client, path, LIST, "operator")

        async def triage(client: httpx.AsyncClient, rnd: random.Random) -> None:
            if not submitted:
                return await submit(client, rnd)
            rid = submitted.pop()
            await gql(client, path, VERIFY, "operator", id=rid)
            await gql(client, path, DISPATCH, "operator", id=rid, a=agency)

        async def board(client: httpx.AsyncClient, rnd: random.Random) -> None:
            await gql(client, path, BOARD, "operator")

        async def national(client: httpx.AsyncClient, rnd: random.Random) -> None:
            await gql(client, "/national/graphql", NATIONAL, "national")

        async def health(client: httpx.AsyncClient, rnd: random.Random) -> None:
            (await client.get("/healthz")).raise_for_status()

        work = {
            "submit": submit,
            "list": listing,
            "triage": triage,
            "board": board,
            "national": national,
            "health": health,
        }
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits
        ) as client:
            for _ in range(300):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            await drive(client, 2, clients, ["submit", "list"], work)  # warm-up
            base = await drive(client, min(seconds, 5), clients, ["health"], work)
            delivered_before = len(sink.received)
            pick = [op for op, weight in MIX for _ in range(weight)]
            mixed = await drive(client, seconds, clients, pick, work)
            delivered = len(sink.received) - delivered_before
            async with db.control_tx():
                published = (
                    await db.fetch(
                        "SELECT count(*) FROM outbox"
                        " WHERE published_at > now() - make_interval(secs => $1)",
                        seconds + 1.0,
                    )
                )[0][0]
            relay_rate = await relay_capacity(url, tenant, submitted)
            worker_rate = await worker_capacity(url, tenant, sink)
        for p in processes:
            p.send_signal(signal.SIGTERM)
        for p in processes:
            p.wait(60)
    sink.stop()
    report(base, mixed, seconds, delivered, published, clients, relay_rate, worker_rate)


async def _wait(owner: asyncpg.Connection, sql: str, *args: object, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if await owner.fetchval(sql, *args):
            return
        await asyncio.sleep(0.02)
    raise RuntimeError(f"timed out: {sql}")


async def relay_capacity(url: str, tenant: TenantInfo, report_ids: list[str]) -> float:
    """Rows per second one relay publishes when rows are waiting: 5,000 rollup events
    (real reports, so the worker beside it does real work) made due at once."""
    owner = await asyncpg.connect(url)
    try:
        ids = await owner.fetch(
            "INSERT INTO outbox (tenant, actor, payload, available_at)"
            " SELECT $1, 'rollup_report',"
            " jsonb_build_object('report_id', ($2::text[])[1 + i % $3]),"
            " now() + interval '1 hour' FROM generate_series(0, 4999) i RETURNING id",
            tenant.id,
            report_ids or [str(uuid.uuid4())],
            max(len(report_ids), 1),
        )
        first, last = ids[0]["id"], ids[-1]["id"]
        started = time.perf_counter()
        await owner.execute(
            "UPDATE outbox SET available_at = now() WHERE id BETWEEN $1 AND $2", first, last
        )
        await owner.execute("SELECT pg_notify('jogo_outbox', '')")
        await _wait(
            owner,
            "SELECT count(*) = 0 FROM outbox WHERE id BETWEEN $1 AND $2 AND published_at IS NULL",
            first,
            last,
        )
        return len(ids) / (time.perf_counter() - started)
    finally:
        await owner.close()


async def worker_capacity(url: str, tenant: TenantInfo, sink: AgencySink) -> float:
    """Deliveries per second one worker makes when dispatches are waiting: 300 made due
    at once (written beforehand, held back by their outbox rows' due time)."""
    owner = await asyncpg.connect(url)
    try:
        count = 300
        rows = await owner.fetch(
            "SELECT r.id FROM reports r WHERE r.tenant_id = $1 AND r.status = 'SUBMITTED'"
            " AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.report_id = r.id) LIMIT $2",
            tenant.id,
            count,
        )
        agency = await owner.fetchrow("SELECT * FROM agencies WHERE tenant_id = $1", tenant.id)
        async with db.tenant_tx(tenant.id):
            for r in rows:
                await dispatches.create_dispatch(tenant, r["id"], dict(agency), "bench")
            # Held back before the commit wakes the relay: none may go out early.
            await db.fetch(
                "UPDATE outbox SET available_at = now() + interval '1 hour'"
                " WHERE tenant = $1 AND actor = 'deliver_dispatch' AND published_at IS NULL",
                tenant.id,
            )
        before = len(sink.received)
        started = time.perf_counter()
        await owner.execute(
            "UPDATE outbox SET available_at = now() WHERE tenant = $1"
            " AND actor = 'deliver_dispatch' AND published_at IS NULL",
            tenant.id,
        )
        await owner.execute("SELECT pg_notify('jogo_outbox', '')")
        total = before + len(rows)
        await asyncio.to_thread(sink.wait_for, total, 300.0)
        return (len(sink.received) - before) / (time.perf_counter() - started)
    finally:
        await owner.close()


def report(
    base: dict[str, list[float]],
    mixed: dict[str, list[float]],
    seconds: float,
    delivered: int,
    published: int,
    clients: int,
    relay_rate: float,
    worker_rate: float,
) -> None:
    health = base["health"]
    health_p50 = statistics.median(health)
    total = sum(len(v) for v in mixed.values())
    lines = [
        f"Election-day mix: {clients} clients for {seconds:.0f} s against one API process,"
        " one relay and one worker on this 2-core machine (the load generator shares it)\n",
        "| operation | share | per second | median ms | p95 ms | median vs /healthz |",
        "|---|---:|---:|---:|---:|---:|",
        f"| `/healthz` (baseline, alone) | - | {len(health) / min(seconds, 5):.0f} |"
        f" {health_p50:.1f} | {statistics.quantiles(health, n=20)[-1]:.1f} | 1.0x |",
    ]
    for op, _ in MIX:
        samples = mixed.get(op, [])
        if len(samples) < 2:
            continue
        med = statistics.median(samples)
        lines.append(
            f"| {op} | {len(samples) / total:.0%} | {len(samples) / seconds:.1f} | {med:.1f} |"
            f" {statistics.quantiles(samples, n=20)[-1]:.1f} | {med / health_p50:.0f}x |"
        )
    reports = len(mixed.get("submit", [])) / seconds
    requests = (total + len(mixed.get("triage", []))) / seconds  # triage is two requests
    rows_per_report = published / max(len(mixed.get("submit", [])), 1)
    api = math.ceil(TARGET_PER_SECOND / (reports * UTILISATION))
    relay = math.ceil(TARGET_PER_SECOND * rows_per_report / (relay_rate * UTILISATION))
    worker = math.ceil(TARGET_PER_SECOND * DISPATCHED / (worker_rate * UTILISATION))
    lines += [
        "\nWhat one process sustained\n",
        "| figure | per second |",
        "|---|---:|",
        f"| incident reports in the mix (one API process) | {reports:.1f} |",
        f"| HTTP requests in the mix, all kinds | {requests:.1f} |",
        f"| outbox rows published with rows waiting (one relay) | {relay_rate:.0f} |",
        f"| deliveries with dispatches waiting (one worker) | {worker_rate:.1f} |",
        f"| outbox rows per incident report in the mix | {rows_per_report:.2f} |",
        f"| deliveries during the mix | {delivered / seconds:.1f} |",
        f"\nFor {TARGET_PER_SECOND:.0f} reports/s (820,000 TPS in 15 minutes), each replica"
        f" at {UTILISATION:.0%} of what it sustained here\n",
        "| process | replicas | from |",
        "|---|---:|---|",
        f"| api | {api} | {TARGET_PER_SECOND:.0f} / ({reports:.1f} x {UTILISATION}) |",
        f"| relay | {relay} | {TARGET_PER_SECOND:.0f} x {rows_per_report:.2f} rows"
        f" / ({relay_rate:.0f} x {UTILISATION}) |",
        f"| worker | {worker} | {DISPATCHED:.0%} of reports dispatched"
        f" / ({worker_rate:.1f} x {UTILISATION}) |",
    ]
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(run(args.seconds, args.clients))


if __name__ == "__main__":
    main()
