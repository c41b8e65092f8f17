"""Live feeds for many screens (issue 19): one API process (``jogo serve``), one tenant's
operators subscribed to ``reportEvents`` over graphql-transport-ws, 5 reports a second
submitted in that tenant (A) and 1 a second in another (B).

For 0, 50, 200 and 500 subscribers, opened from two load processes of their own (so the
bench client is not the bottleneck), with four different documents (fields, a fragment
with ``__typename``, variables) spread over them:

- **delivery** p50 / p95 / max: from the start of a ``submitReport`` request to the
  arrival of its event at each subscriber;
- **missed**: A's events a subscriber never got; **unexpected**: messages naming a
  report that is not one of A's (B's events must never reach A's operators);
- **submit p50** while they listen, and its ratio to the same with no subscribers
  (measured in the same run: the baseline);
- the API process's **RSS** before the subscribers connect, at its peak while they
  listen, and 3 s after they all disconnected, with the ratio after ÷ before.

Target: 500 subscribers with delivery p95 under 1 s, nothing missed or unexpected,
submit within 2x of no subscribers, RSS back within 20 % of where it started.

    python -m bench.fanout [--quick] [--seconds 20] [--levels 0,50,200,500]

``--quick``: 0, 50 and 200 subscribers for 8 s each. Needs PostgreSQL
(``JOGO_BENCH_ADMIN_URL``) and RabbitMQ (``JOGO_BENCH_AMQP_URL``) as the other benches.
``--server-root DIR`` runs the API from another checkout of the repository (a directory
holding a ``jogo`` link to it), to measure an older version with the same bench.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench import _procs
from bench._db import scratch_database
from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.platform.auth.users import create_user
from jogo.platform.registry import TenantInfo
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant

ROOT = Path(__file__).resolve().parent.parent
SECRET = "fanout-bench-secret-key-0123456789-abcdefgh"
AMQP = os.environ.get("JOGO_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
OPERATORS = 25  # a caller runs at most 50 operations per process: 20 each at 500
A_RATE, B_RATE = 5.0, 1.0  # reports a second
SUBMIT = (
    "mutation($input: SubmitReportInput!) { submitReport(input: $input)"
    " { report { ticket } errors { code message } } }"
)
DOCUMENTS: list[tuple[str, dict[str, Any] | None]] = [
    ("subscription { reportEvents { ticket status event { kind toStatus public } } }", None),
    (
        "subscription { reportEvents { reportId ticket urgent sos"
        " event { id kind actorName messageId messageEn createdAt } } }",
        None,
    ),
    (
        "subscription Live { reportEvents { ...F } }"
        " fragment F on ReportLiveEvent { __typename ticket status event { kind note } }",
        None,
    ),
    (
        "subscription($u: Boolean!) { reportEvents(urgentOnly: $u) { ticket event { kind } } }",
        {"u": False},
    ),
]


# --- the load processes --------------------------------------------------------------------


async def _subscriber(
    url: str, auth: str, doc: int, got: list[tuple[str, float]], heard: asyncio.Event
) -> Any:
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": auth}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    query, variables = DOCUMENTS[doc]
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))

    async def receive() -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in ws:
                now = time.time()
                message = json.loads(text)
                if message.get("type") == "next":
                    got.append((message["payload"]["data"]["reportEvents"]["ticket"], now))
                else:
                    got.append((f"!{message.get('type')}", now))
                heard.set()

    return ws, asyncio.create_task(receive())


async def client_main() -> None:
    """A load process: read its subscribers from stdin, say CONNECTED, then READY once each
    got an event, wait for STOP, print what each received and close."""
    config = json.loads(sys.stdin.readline())
    url = config["url"]
    subs = config["subs"]
    received: list[list[tuple[str, float]]] = [[] for _ in subs]
    opened: list[tuple[Any, asyncio.Task[None]]] = []
    heard = [asyncio.Event() for _ in subs]
    for i, (auth, doc) in enumerate(subs):
        opened.append(await _subscriber(url, auth, doc, received[i], heard[i]))
    print("CONNECTED", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await asyncio.gather(*(event.wait() for event in heard))
    print("READY", flush=True)
    while (await reader.readline()).strip() != b"STOP":
        pass
    result = [[doc, got] for (_, doc), got in zip(subs, received, strict=True)]
    await asyncio.gather(*(ws.close() for ws, _ in opened))
    for _, task in opened:
        task.cancel()
    print(json.dumps(result), flush=True)


# --- the world and the server --------------------------------------------------------------


@dataclass
class World:
    url: str
    a: TenantInfo
    b: TenantInfo
    operators: list[str]  # Authorization header values, tenant A
    citizens_a: list[str]
    citizen_b: str


async def setup(url: str) -> World:
    async def tenant(slug: str) -> TenantInfo:
        made = await do_onboard_tenant(
            OnboardInput(
                slug=slug,
                name=f"Polresta Bench {slug}",
                polda_code="JATIM",
                region_code="35.73",
                template="minimal",
            ),
            actor=("bench", "system"),
        )
        return made.tenant

    a, b = await tenant("bench-fan-a"), await tenant("bench-fan-b")

    async def user(role: Role, where: TenantInfo) -> str:
        name = f"fan{role.value[:3]}{uuid.uuid4().hex[:8]}"
        uid = await create_user(name, "bench password 123", role, tenant=where)
        return "Bearer " + issue_token(uid, name, SECRET, 7200).token

    operators = [await user(Role.OPERATOR, a) for _ in range(OPERATORS)]
    citizens = [await user(Role.CITIZEN, a) for _ in range(5)]
    return World(url, a, b, operators, citizens, await user(Role.CITIZEN, b))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    data_dir: str

    def rss_mb(self) -> float:
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1))  # type: ignore[union-attr]
        return kb / 1024


def start_server(world: World, server_root: str | None, extra: dict[str, str]) -> Server:
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="jogo-fan-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    env |= {
        "JOGO_DATABASE_URL": world.url,
        "JOGO_AMQP_URL": AMQP,
        "JOGO_SECRET_KEY": SECRET,
        "JOGO_ENV": "test",
        "JOGO_SQL_SPANS": "0.1",
        "JOGO_DATA_DIR": data_dir,
        # A few bench callers send far more than a person would: budgets out of the way.
        "JOGO_GRAPHQL_BUDGET": "100000000",
        "JOGO_GRAPHQL_USER_BUDGET": "100000000",
    }
    env |= extra
    if server_root:
        env["PYTHONPATH"] = server_root
    log = Path(tempfile.mkstemp(prefix="jogo-fan-api-", suffix=".log")[1])
    args = [sys.executable, "-m", "jogo.platform.app.cli", "serve", "--host", "127.0.0.1"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*args, "--port", str(port)], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    return Server(process, port, log, data_dir)


async def wait_ready(server: Server) -> None:
    await _procs.wait_ready(server.process, server.port, "the API", server.log)


def stop_server(server: Server) -> None:
    _procs.stop_process(server.process)


# --- one level -----------------------------------------------------------------------------


@dataclass
class Level:
    subscribers: int
    delivery: list[float] = field(default_factory=list)  # seconds
    missed: int = 0
    unexpected: int = 0
    submits: list[float] = field(default_factory=list)  # seconds
    failed_submits: int = 0
    rss_before: float = 0.0
    rss_peak: float = 0.0
    rss_after: float = 0.0


class Submitter:
    """Open-loop submissions: A at ``A_RATE``/s and B at ``B_RATE``/s, whatever the answers
    take. Remembers each ticket with the time its request started."""

    def __init__(self, world: World, client: httpx.AsyncClient) -> None:
        self.world = world
        self.client = client
        self.started: dict[str, float] = {}  # ticket -> request start (time.time())
        self.tenant_of: dict[str, str] = {}
        self.latencies: list[float] = []
        self.failed = 0
        self.n = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def one(self, tenant: TenantInfo, auth: str, record: bool = True) -> str | None:
        self.n += 1
        n = self.n
        body = {
            "query": SUBMIT,
            "variables": {
                "input": {
                    "categoryCode": "FALLEN_TREE",
                    "title": f"Pohon tumbang nomor {n}",
                    "description": "Pohon besar tumbang menutup jalan, uji beban siaran langsung.",
                    "latitude": -7.85 - (n % 997) * 0.0007,
                    "longitude": 112.55 + (n % 991) * 0.0007,
                }
            },
        }
        wall, start = time.time(), time.perf_counter()
        try:
            response = await self.client.post(
                f"/t/{tenant.slug}/graphql", json=body, headers={"Authorization": auth}
            )
            ticket = response.json()["data"]["submitReport"]["report"]["ticket"]
        except Exception:
            self.failed += 1
            return None
        if record:
            self.latencies.append(time.perf_counter() - start)
        self.started[ticket] = wall
        self.tenant_of[ticket] = tenant.slug
        return ticket

    def fire(self, tenant: TenantInfo, auth: str) -> None:
        task = asyncio.ensure_future(self.one(tenant, auth))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        a_next, b_next, i = t0, t0 + 0.1, 0
        while (now := loop.time()) < t0 + seconds:
            if now >= a_next:
                self.fire(self.world.a, self.world.citizens_a[i % len(self.world.citizens_a)])
                i += 1
                a_next += 1 / A_RATE
            if now >= b_next:
                self.fire(self.world.b, self.world.citizen_b)
                b_next += 1 / B_RATE
            await asyncio.sleep(max(0.0, min(a_next, b_next) - loop.time()))
        if self._tasks:
            await asyncio.wait(set(self._tasks))


async def _line(process: asyncio.subprocess.Process, want: str, within: float) -> bytes:
    assert process.stdout is not None
    async with asyncio.timeout(within):
        while True:
            line = await process.stdout.readline()
            if not line:
                raise RuntimeError(f"a load process ended before {want}")
            if line.strip() == want.encode() or want == "":
                return line


async def run_level(
    world: World, server: Server, count: int, seconds: float, client: httpx.AsyncClient
) -> Level:
    level = Level(count)
    gc_settle = 2.0
    await asyncio.sleep(gc_settle)
    level.rss_before = server.rss_mb()
    level.rss_peak = level.rss_before
    url = f"ws://127.0.0.1:{server.port}/t/{world.a.slug}/graphql"
    subs = [(world.operators[i % OPERATORS], i % len(DOCUMENTS)) for i in range(count)]
    halves = [subs[0::2], subs[1::2]] if count else []
    clients = []
    for half in halves:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fanout",
            "--client",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 28,
        )
        assert process.stdin is not None
        process.stdin.write((json.dumps({"url": url, "subs": half}) + "\n").encode())
        await process.stdin.drain()
        clients.append(process)
    submitter = Submitter(world, client)

    async def sample() -> None:
        while True:
            level.rss_peak = max(level.rss_peak, server.rss_mb())
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    try:
        for process in clients:
            await _line(process, "CONNECTED", 120)
        # Warm-up reports until every subscriber heard one: all of them listen now.
        ready = [asyncio.ensure_future(_line(p, "READY", 300)) for p in clients]
        while ready and not all(t.done() for t in ready):
            await submitter.one(world.a, world.citizens_a[0], record=False)
            await asyncio.wait(ready, timeout=0.5)
        for t in ready:
            t.result()
        warm = set(submitter.started)
        submitter.latencies.clear()
        await submitter.run(seconds)
        measured = {t for t in submitter.started if t not in warm}
        a_tickets = {t for t in measured if submitter.tenant_of[t] == world.a.slug}
        await asyncio.sleep(3.0 if count < 500 else 5.0)  # let the last events arrive
        results: list[Any] = []
        for process in clients:
            assert process.stdin is not None
            process.stdin.write(b"STOP\n")
            await process.stdin.drain()
        for process in clients:
            line = await _line(process, "", 120)
            while not line.startswith(b"["):
                line = await _line(process, "", 120)
            results.extend(json.loads(line))
            await process.wait()
    finally:
        for process in clients:
            if process.returncode is None:
                process.kill()
                await process.wait()
    known = set(submitter.started)
    for _doc, got in results:
        seen: set[str] = set()
        for ticket, at in got:
            if ticket not in known or submitter.tenant_of[ticket] != world.a.slug:
                level.unexpected += 1
                continue
            if ticket in a_tickets and ticket not in seen:
                seen.add(ticket)
                level.delivery.append(at - submitter.started[ticket])
        level.missed += len(a_tickets - seen)
    level.submits = submitter.latencies
    level.failed_submits = submitter.failed
    await asyncio.sleep(3.0)  # the API trims its heap a second after a burst of closes
    sampler.cancel()
    level.rss_after = server.rss_mb()
    return level


# --- the table -----------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "-"
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def table(levels: list[Level]) -> str:
    base = levels[0]
    base_submit = statistics.median(base.submits) if base.submits else float("nan")
    lines = [
        "| subscribers | delivery p50 | p95 | max | missed | unexpected | submit p50"
        " | submit ÷ 0 subs | RSS before → peak → after (MB) | after ÷ before |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in levels:
        submit = statistics.median(level.submits) if level.submits else float("nan")
        lines.append(
            f"| {level.subscribers} | {ms(pct(level.delivery, 50))} | {ms(pct(level.delivery, 95))}"
            f" | {ms(max(level.delivery, default=float('nan')))} | {level.missed}"
            f" | {level.unexpected} | {ms(submit)} | {submit / base_submit:.2f}"
            f" | {level.rss_before:.0f} → {level.rss_peak:.0f} → {level.rss_after:.0f}"
            f" | {level.rss_after / level.rss_before:.2f} |"
        )
    failed = sum(level.failed_submits for level in levels)
    if failed:
        lines.append(f"\n{failed} submissions failed.")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    levels = [int(x) for x in args.levels.split(",")]
    if levels[0] != 0:
        levels.insert(0, 0)
    async with scratch_database() as url:
        world = await setup(url)
        extra = dict(pair.split("=", 1) for pair in args.server_env)
        server = start_server(world, args.server_root, extra)
        try:
            await wait_ready(server)
            limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{server.port}", timeout=120, limits=limits
            ) as client:
                # Warm the process (schemas, pools, caches) before the baseline.
                submitter = Submitter(world, client)
                for _ in range(10):
                    await submitter.one(world.a, world.citizens_a[0])
                results = []
                for count in levels:
                    results.append(await run_level(world, server, count, args.seconds, client))
                    print(f"  {count} subscribers measured", file=sys.stderr, flush=True)
        finally:
            stop_server(server)
            server.log.unlink(missing_ok=True)
    print(
        f"One API process; {A_RATE:.0f} reports/s in tenant A, {B_RATE:.0f}/s in tenant B;"
        f" {args.seconds:.0f} s per level; subscribers are A's operators over"
        f" {len(DOCUMENTS)} documents, from 2 load processes.\n"
    )
    print(table(results))


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="0, 50, 200 subscribers, 8 s each")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--levels", default=None)
    parser.add_argument("--server-root", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--server-env", nargs="*", default=[], metavar="KEY=VALUE", help="for the API process"
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(client_main())
        return
    if args.seconds is None:
        args.seconds = 8.0 if args.quick else 20.0
    if args.levels is None:
        args.levels = "0,50,200" if args.quick else "0,50,200,500"
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
