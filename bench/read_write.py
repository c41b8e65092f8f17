"""The product side by side with a plain Litestar + asyncpg handler (``bench/plain_app.py``),
both as real processes on the same scratch database, under one load generator.

What it measures, as requests per second and the ratio product ÷ plain:

    operator list    50 newest reports with category, assigned officer, last event and
                     the agency of the latest dispatch (8 clients)
    one report       a report with its timeline, photos and dispatches (8 clients)
    signed-in submit submitReport by a signed-in citizen (10 clients)
    anonymous submit submitReport with a PIN, each request from another address behind a
                     trusted proxy, against a freshly started product process whose peak
                     RSS (VmHWM) is read afterwards (40 clients)
    tracing          the operator list with the OpenTelemetry SDK exporting request and
                     SQL spans (OTLP/HTTP to a local sink that discards them), with SQL
                     spans as production samples them (JOGO_SQL_SPANS=0.1) and for every
                     statement, each against the SDK turned off (OTEL_SDK_DISABLED),
                     ratio on ÷ off

The tenant is onboarded from the ``jogo-malang-presisi`` template and seeded with
``--reports`` reports (half assigned to an officer, a few timeline events each, a fifth
dispatched to an agency, a third with a photo row). The product is ``jogo serve``, one
process; the plain app is one uvicorn worker on the same event loop as the product
(uvloop or asyncio, read from the product process's memory map), connecting as the same
app role with the same pool size. The load generator is Debian's ``wrk`` (one thread,
fixed connections), in its own process; each (request, server) pair runs ``--seconds``
per round, interleaved product, plain, plain, product... over ``--rounds`` rounds, and
the median of the rounds is shown. Rows whose answers carried errors say so.

SQL statements per request are counted in this process, through httpx's ASGI transport
and an asyncpg query logger on every connection, for both apps: the statements of the
tenant transaction (BEGIN and COMMIT included), the authentication statement, and the
rest (pool resets, control-plane reads).

    apt-get install wrk    # once
    python -m bench.read_write [--seconds 5] [--rounds 3] [--reports 5000]
        [--without-dispatch] [--product-env KEY=VALUE ...] [--tracing-env KEY=VALUE ...]

Every product process runs with ``JOGO_SQL_SPANS=0.1``, production's default (its
``JOGO_ENV=test`` would otherwise make a span for every statement), unless
``--product-env`` says otherwise.

``--without-dispatch`` leaves ``latestDispatch`` / ``dispatches`` out of the GraphQL
queries (they are left out by themselves when the schema has no such fields), so the
product does less than the plain app. ``--product-env`` passes settings to every product
process (e.g. ``JOGO_SQL_SPANS=...``); ``--tracing-env`` only to the tracing-on one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from bench import _procs
from bench._db import scratch_database
from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.platform.auth.users import create_user
from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import load_settings, swap_user
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant

# A few bench callers send far more than a person would: query-cost budgets out of the way
# (the budget's one statement per request still runs and is counted with authentication).
UNMETERED = {"JOGO_GRAPHQL_BUDGET": "100000000", "JOGO_GRAPHQL_USER_BUDGET": "100000000"}

ROOT = Path(__file__).resolve().parent.parent
SECRET = "read-write-bench-secret-key-0123456789-abcdef"
AMQP = os.environ.get("JOGO_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
SLUG = "polresta-bench-rw"
POOL_SIZE = 10  # the product's default JOGO_DB_POOL_SIZE; the plain pool gets the same

LIST_GQL = (
    "{ reports(first: 50) { edges { node { id ticket title status createdAt"
    " category { code nameId } assignedOfficer { username } lastEvent { kind createdAt }"
    "%s } } } }"
)
LIST_DISPATCH = " latestDispatch { agencyName }"
DETAIL_GQL = (
    "query($id: ID!) { report(id: $id) { id ticket title description status"
    " category { code nameId } timeline { kind messageId createdAt } attachments { id url }"
    "%s } }"
)
DETAIL_DISPATCH = " dispatches { agencyName status createdAt }"
SUBMIT_GQL = (
    "mutation($input: SubmitReportInput!) { submitReport(input: $input)"
    " { report { id ticket } pin errors { code } } }"
)


@dataclass(frozen=True)
class Kind:
    """One request kind: its label, clients, target ratio and which phase runs it."""

    key: str
    label: str
    clients: int
    target: float


@dataclass
class World:
    """What the setup made: the tenant, tokens, report ids, category codes."""

    url: str
    tenant: TenantInfo
    operator: str  # Authorization header values
    citizen: str
    report_ids: list[str]
    categories: list[str]
    utc_offset: float
    with_dispatch: bool = True


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def vm_hwm_mb(self) -> float:
        """Peak resident set size (``VmHWM``) of the process so far, in MB."""
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1))  # type: ignore[union-attr]
        return kb / 1024

    def uses_uvloop(self) -> bool:
        return "uvloop" in Path(f"/proc/{self.process.pid}/maps").read_text()


# --- counting SQL statements in process --------------------------------------------------

_LOG: list[tuple[int, str, tuple[Any, ...]]] = []


def install_query_logger() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    """Every asyncpg connection made from now on logs its statements into ``_LOG``
    (connection, text, arguments): BEGIN, COMMIT and pool resets included."""
    original = asyncpg.connection.Connection.__init__

    def init(self: asyncpg.Connection, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        key = id(self)
        self.add_query_logger(lambda q: _LOG.append((key, q.query, tuple(q.args or ()))))

    asyncpg.connection.Connection.__init__ = init


@dataclass
class Count:
    tenant_tx: int = 0
    auth: int = 0
    other: int = 0
    texts: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.tenant_tx + self.auth + self.other

    def __str__(self) -> str:
        return f"{self.total} = {self.tenant_tx} tx + {self.auth} auth + {self.other} other"


def classify(log: list[tuple[int, str, tuple[Any, ...]]], tenant_id: uuid.UUID) -> Count:
    """Statements of one request: those between a BEGIN and its COMMIT/ROLLBACK on a
    connection whose transaction set this tenant count as the tenant transaction; the
    user-and-membership read (or an anonymous caller's per-address limit) as
    authentication; everything else as other. ``texts`` lists them per connection."""
    count = Count()
    by_conn: dict[int, list[tuple[str, tuple[Any, ...]]]] = defaultdict(list)
    for conn, text, args in log:
        by_conn[conn].append((text, args))
    tenant = str(tenant_id)

    def note(n: int, kind: str, text: str) -> None:
        count.texts.append(f"conn {n} {kind:5} " + " ".join(text.split())[:100])

    for n, statements in enumerate(by_conn.values(), 1):
        segment: list[tuple[str, tuple[Any, ...]]] | None = None
        for text, args in statements:
            head = text.lstrip().upper()
            if head.startswith(("BEGIN", "START TRANSACTION")):
                segment = []
            if segment is not None:
                segment.append((text, args))
                if head.startswith(("COMMIT", "ROLLBACK", "END")):
                    sets_tenant = any(
                        "app.tenant_id" in t and (tenant in t or tenant in map(str, a))
                        for t, a in segment
                    )
                    for t, _ in segment:
                        note(n, "tx" if sets_tenant else "other", t)
                    if sets_tenant:
                        count.tenant_tx += len(segment)
                    else:
                        count.other += len(segment)
                    segment = None
                continue
            if "memberships m" in text or "rate_limits" in text or "query_budgets" in text:
                count.auth += 1
                note(n, "auth", text)
            else:
                count.other += 1
                note(n, "other", text)
        for t, _ in segment or []:
            count.other += 1
            note(n, "other", t)
    return count


async def count_one(
    client: httpx.AsyncClient, method: str, path: str, body: Any, headers: dict[str, str]
) -> tuple[Count, dict[str, Any]]:
    """Run one request in process and classify the statements it made."""
    await asyncio.sleep(0.05)
    _LOG.clear()
    if method == "GET":
        r = await client.get(path, headers=headers)
    else:
        r = await client.post(path, json=body, headers=headers)
    await asyncio.sleep(0.05)  # pool release (reset) and the loggers' call_soon
    answer = r.json()
    if r.status_code != 200 or "errors" in answer or '"errors":[{' in r.text:
        raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")
    log = list(_LOG)
    return classify(log, TENANT_ID[0]), answer


TENANT_ID: list[uuid.UUID] = []


def submit_input(i: int, category: str, anonymous: bool) -> dict[str, Any]:
    return {
        "categoryCode": category,
        "title": f"Laporan beban nomor {i}",
        "description": "Uraian kejadian untuk pengujian beban baca tulis.",
        "latitude": -7.85 - (i % 997) * 0.0007,
        "longitude": 112.55 + (i % 991) * 0.0007,
        "anonymous": anonymous,
    }


async def count_statements(world: World) -> dict[str, tuple[Count, Count]]:
    """Each request kind once (after one warm-up) in process, product and plain."""
    from bench import plain_app
    from jogo.platform.app.factory import create_app

    settings = replace(
        load_settings({"JOGO_SECRET_KEY": SECRET, "JOGO_ENV": "test", **UNMETERED}),
        database_url=world.url,
    )
    product = create_app(settings, manage_database=False)
    os.environ.update(plain_env(world))
    plain = plain_app.create_app()
    assert plain_app.PLAIN is not None
    await plain_app.PLAIN.start()
    gql = f"/t/{SLUG}/graphql"
    rest = f"/t/{SLUG}/reports"
    rid = world.report_ids[0]
    op = {"Authorization": world.operator}
    cz = {"Authorization": world.citizen}
    requests = {
        "list": (
            ("POST", gql, {"query": list_query(world)}, op),
            ("GET", rest, None, op),
        ),
        "detail": (
            ("POST", gql, {"query": detail_query(world), "variables": {"id": rid}}, op),
            ("GET", f"{rest}/{rid}", None, op),
        ),
        "signed": (
            ("POST", gql, "signed", cz),
            ("POST", rest, "signed", cz),
        ),
        "anonymous": (
            ("POST", gql, "anonymous", {}),
            ("POST", rest, "anonymous", {}),
        ),
    }
    counts: dict[str, tuple[Count, Count]] = {}
    n = 0
    try:
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=cast(Any, product)), base_url="http://p"
            ) as p,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=cast(Any, plain)), base_url="http://q"
            ) as q,
        ):
            for key, pair in requests.items():
                found = []
                for client, (method, path, body, headers) in zip((p, q), pair, strict=True):
                    for _ in range(2):  # the first warms caches up; the second counts
                        n += 1
                        payload = body
                        if body in ("signed", "anonymous"):
                            data = submit_input(n, world.categories[0], body == "anonymous")
                            payload = (
                                {"query": SUBMIT_GQL, "variables": {"input": data}}
                                if client is p
                                else data
                            )
                        count, _ = await count_one(client, method, path, payload, headers)
                    found.append(count)
                counts[key] = (found[0], found[1])
    finally:
        await plain_app.PLAIN.stop()
    return counts


# --- setup -------------------------------------------------------------------------------


async def setup(url: str, reports: int) -> World:
    """Onboard the tenant, make the users and seed ``reports`` reports with their
    relations (as the owner, in a few statements)."""
    tenant = (
        await do_onboard_tenant(
            OnboardInput(
                slug=SLUG,
                name="Polresta Bench Baca Tulis",
                polda_code="JATIM",
                region_code="35.73",
                template="jogo-malang-presisi",
            ),
            actor=("bench", "system"),
        )
    ).tenant
    TENANT_ID[:] = [tenant.id]

    async def user(role: Role, full_name: str | None = None) -> tuple[uuid.UUID, str]:
        name = f"rw{role.value[:3]}{uuid.uuid4().hex[:8]}"
        uid = await create_user(
            name, "bench password 123", role, tenant=tenant, full_name=full_name
        )
        return uid, "Bearer " + issue_token(uid, name, SECRET, 7200).token

    _, operator = await user(Role.OPERATOR)
    _, citizen = await user(Role.CITIZEN)
    officers = [(await user(Role.OFFICER, f"Bripka Petugas {i}"))[0] for i in range(4)]
    zone = ZoneInfo(TIME_ZONES[tenant.time_zone])
    now = datetime.now(UTC)
    year = now.astimezone(zone).year
    offset = (now.astimezone(zone).utcoffset() or (now - now)).total_seconds() / 3600
    owner = await asyncpg.connect(url)
    try:
        for i in range(1, 4):
            await owner.execute(
                "INSERT INTO agencies (tenant_id, code, name, kind) VALUES ($1, $2, $3, 'dinas')",
                tenant.id,
                f"BENCH-DINAS-{i}",
                f"Dinas Uji Beban {i} Kota Malang",
            )
        agencies = [
            r["id"]
            for r in await owner.fetch("SELECT id FROM agencies WHERE tenant_id = $1", tenant.id)
        ]
        cats = await owner.fetch(
            "SELECT id, code FROM report_categories WHERE tenant_id = $1 AND is_active"
            " ORDER BY code",
            tenant.id,
        )
        await owner.execute(
            """INSERT INTO reports (tenant_id, ticket, category_id, title, description, latitude,
                 longitude, occurred_at, anonymous, pin_hash, submitted_by, status,
                 assigned_officer_id, verify_due_at, created_at, updated_at, verified_at,
                 dispatched_at)
               SELECT $1, $3 || lpad(i::text, 6, '0'),
                 ($4::uuid[])[1 + i % cardinality($4::uuid[])],
                 'Laporan contoh nomor ' || i,
                 'Uraian kejadian contoh untuk pengujian beban nomor ' || i,
                 -7.90 - (i % 97) * 0.003, 112.60 + (i % 89) * 0.003, t, true, 'seeded',
                 'pelapor anonim',
                 CASE WHEN i % 5 = 0 THEN 'DISPATCHED' WHEN i % 2 = 0 THEN 'VERIFIED'
                      ELSE 'SUBMITTED' END,
                 CASE WHEN i % 2 = 0 THEN ($5::uuid[])[1 + i % cardinality($5::uuid[])] END,
                 t + interval '3 days', t, t,
                 CASE WHEN i % 2 = 0 OR i % 5 = 0 THEN t + interval '5 minutes' END,
                 CASE WHEN i % 5 = 0 THEN t + interval '20 minutes' END
               FROM generate_series(1, $2::int) i,
                    LATERAL (SELECT now() - ($2::int - i + 20) * interval '3 minutes' AS t) x""",
            tenant.id,
            reports,
            f"{tenant.ticket_prefix}-{year}-",
            [c["id"] for c in cats],
            officers,
        )
        await owner.execute(
            """INSERT INTO report_events (tenant_id, report_id, kind, from_status, to_status,
                 note, public, actor_name, created_at)
               SELECT tenant_id, id, 'SUBMITTED', NULL, 'SUBMITTED', NULL, true,
                      'pelapor anonim', created_at FROM reports WHERE tenant_id = $1
               UNION ALL
               SELECT tenant_id, id, 'STATUS', 'SUBMITTED', 'VERIFIED', NULL, true, 'operator',
                      verified_at FROM reports WHERE tenant_id = $1 AND verified_at IS NOT NULL
               UNION ALL
               SELECT tenant_id, id, 'ASSIGNMENT', NULL, NULL, NULL, false, 'operator',
                      created_at + interval '10 minutes' FROM reports
                WHERE tenant_id = $1 AND assigned_officer_id IS NOT NULL
               UNION ALL
               SELECT tenant_id, id, 'DISPATCH', NULL, NULL, NULL, true, 'operator',
                      dispatched_at FROM reports
                WHERE tenant_id = $1 AND dispatched_at IS NOT NULL
               UNION ALL
               SELECT tenant_id, id, 'NOTE', NULL, NULL, 'Petugas menuju lokasi.', false,
                      'operator', created_at + interval '30 minutes' FROM reports
                WHERE tenant_id = $1 AND right(ticket, 1) IN ('3', '6', '9')""",
            tenant.id,
        )
        await owner.execute(
            """INSERT INTO dispatches (tenant_id, report_id, agency_id, status, attempts,
                 created_by, created_at, updated_at, delivered_at)
               SELECT r.tenant_id, r.id,
                      ($2::uuid[])[1 + (abs(hashtext(r.ticket)) + k) % cardinality($2::uuid[])],
                      'DELIVERED', 1, 'operator', r.dispatched_at + k * interval '7 minutes',
                      r.dispatched_at, r.dispatched_at
                 FROM reports r, generate_series(0, 1) k
                WHERE r.tenant_id = $1 AND r.dispatched_at IS NOT NULL
                  AND (k = 0 OR right(r.ticket, 1) = '0')""",
            tenant.id,
            agencies,
        )
        await owner.execute(
            """INSERT INTO report_attachments (tenant_id, report_id, content_type, size_bytes,
                 sha256, storage_key, uploaded_by, created_at)
               SELECT tenant_id, id, 'image/jpeg', 48213,
                      encode(sha256(convert_to(ticket, 'UTF8')), 'hex'),
                      tenant_id || '/' || id || '/photo.jpg', 'pelapor anonim', created_at
                 FROM reports WHERE tenant_id = $1 AND right(ticket, 1) IN ('0', '1', '4')""",
            tenant.id,
        )
        await owner.execute(
            "INSERT INTO ticket_counters (tenant_id, year, last_value) VALUES ($1, $2, $3)"
            " ON CONFLICT (tenant_id, year) DO UPDATE SET last_value = $3",
            tenant.id,
            year,
            reports,
        )
        await owner.execute("ANALYZE")
        # Detail pages: the newest 200 reports (every shape: photos, one or two dispatches).
        ids = [
            str(r["id"])
            for r in await owner.fetch(
                "SELECT id FROM reports WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 200",
                tenant.id,
            )
        ]
    finally:
        await owner.close()
    return World(
        url=url,
        tenant=tenant,
        operator=operator,
        citizen=citizen,
        report_ids=ids,
        categories=[c["code"] for c in cats],
        utc_offset=offset,
    )


async def has_dispatch_fields(world: World) -> bool:
    """Whether the tenant schema's ``Report`` has ``latestDispatch`` and ``dispatches``."""
    from jogo.platform.app.factory import create_app

    settings = replace(
        load_settings({"JOGO_SECRET_KEY": SECRET, "JOGO_ENV": "test", **UNMETERED}),
        database_url=world.url,
    )
    app = create_app(settings, manage_database=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=cast(Any, app)), base_url="http://p"
    ) as c:
        r = await c.post(
            f"/t/{SLUG}/graphql",
            json={"query": '{ __type(name: "Report") { fields { name } } }'},
            headers={"Authorization": world.operator},
        )
    fields = {
        f["name"] for f in ((r.json().get("data") or {}).get("__type") or {}).get("fields", [])
    }
    return {"latestDispatch", "dispatches"} <= fields


def list_query(world: World) -> str:
    return LIST_GQL % (LIST_DISPATCH if world.with_dispatch else "")


def detail_query(world: World) -> str:
    return DETAIL_GQL % (DETAIL_DISPATCH if world.with_dispatch else "")


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


_DATA_DIRS: list[str] = []


def _data_dir() -> str:
    _DATA_DIRS.append(tempfile.mkdtemp(prefix="jogo-rw-"))
    return _DATA_DIRS[-1]


def product_env(world: World, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_", "PLAIN_"))}
    return (
        env
        | {
            "JOGO_DATABASE_URL": world.url,
            "JOGO_AMQP_URL": AMQP,
            "JOGO_SECRET_KEY": SECRET,
            "JOGO_ENV": "test",
            "JOGO_ALLOW_PRIVATE_EGRESS": "true",
            "JOGO_TRUSTED_PROXIES": "127.0.0.1/32",
            "JOGO_DB_POOL_SIZE": str(POOL_SIZE),
            "JOGO_DATA_DIR": _data_dir(),
            **UNMETERED,
        }
        | extra
    )


def plain_env(world: World) -> dict[str, str]:
    return {
        "PLAIN_DSN": swap_user(world.url, "jogo_app", None),
        "PLAIN_SECRET": SECRET,
        "PLAIN_TENANT_ID": str(world.tenant.id),
        "PLAIN_TICKET_PREFIX": world.tenant.ticket_prefix,
        "PLAIN_UTC_OFFSET": str(world.utc_offset),
        "PLAIN_POOL_SIZE": str(POOL_SIZE),
    }


def _spawn(name: str, args: list[str], env: dict[str, str], port: int) -> Server:
    log = Path(tempfile.mkstemp(prefix=f"jogo-rw-{name}-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, process, port, log)


def start_product(name: str, world: World, extra: dict[str, str]) -> Server:
    port = free_port()
    args = [sys.executable, "-m", "jogo.platform.app.cli", "serve", "--host", "127.0.0.1"]
    return _spawn(name, [*args, "--port", str(port)], product_env(world, extra), port)


def start_plain(world: World, loop: str) -> Server:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.plain_app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        loop,
        "--log-level",
        "info",  # like jogo serve: an access line per request
        "--no-proxy-headers",
    ]
    return _spawn("plain", args, env | plain_env(world), port)


async def wait_ready(server: Server) -> None:
    await _procs.wait_ready(server.process, server.port, server.name, server.log)


def stop(server: Server) -> None:
    _procs.stop_process(server.process)
    server.log.unlink(missing_ok=True)


class _Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP collector that takes every export and keeps nothing."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def settle(servers: list[Server], limit: float = 90.0) -> None:
    """Wait until the servers are idle (under 8 % of a core over 0.25 s): requests the load
    generator gave up on at the end of a run (argon2 hashes, say) must not eat into the
    next run's CPU."""
    deadline = time.monotonic() + limit
    pids = [s.process.pid for s in servers if s.process.poll() is None]
    before = sum(map(cpu_seconds, pids))
    while time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        after = sum(map(cpu_seconds, pids))
        if after - before < 0.02:
            return
        before = after


# --- the load generator (wrk) ---------------------------------------------------------------


def _lua_string(text: str) -> str:
    level = "=" * 3
    return f"[{level}[{text}]{level}]"


def _lua_template(text: str, holes: dict[str, str]) -> str:
    """A Lua expression for ``text`` with each placeholder replaced by a Lua expression."""
    parts = re.split("(" + "|".join(map(re.escape, holes)) + ")", text)
    return " .. ".join(holes[p] if p in holes else _lua_string(p) for p in parts if p)


def wrk_script(world: World, kind: str, server: str, seed: int) -> str:
    """The Lua script of one (request kind, server): method, path, headers and body per
    request, and a count of answers that were not 200 or carried errors."""
    product = server != "plain"
    headers: dict[str, str] = {"Content-Type": "application/json"}
    method = "POST"
    path = f"/t/{SLUG}/graphql" if product else f"/t/{SLUG}/reports"
    body = "nil"
    cats = "{" + ",".join(json.dumps(c) for c in world.categories) + "}"
    ids = "{" + ",".join(f'"{i}"' for i in world.report_ids) + "}"
    if kind == "list":
        headers["Authorization"] = world.operator
        if product:
            body = _lua_string(json.dumps({"query": list_query(world)}))
        else:
            method = "GET"
    elif kind == "detail":
        headers["Authorization"] = world.operator
        if product:
            text = json.dumps({"query": detail_query(world), "variables": {"id": "@ID@"}})
            body = _lua_template(text, {"@ID@": "ids[1 + n % #ids]"})
        else:
            method = "GET"
            path = "@PATH@"
    else:
        anonymous = kind == "anonymous"
        if not anonymous:
            headers["Authorization"] = world.citizen
        data = submit_input(0, "@CAT@", anonymous)
        data |= {"title": "Laporan beban nomor @N@", "latitude": "@LAT@", "longitude": "@LON@"}
        text = json.dumps({"query": SUBMIT_GQL, "variables": {"input": data}} if product else data)
        text = text.replace('"@LAT@"', "@LAT@").replace('"@LON@"', "@LON@")
        body = _lua_template(
            text,
            {
                "@CAT@": "cats[1 + n % #cats]",
                "@N@": "tostring(n)",
                "@LAT@": "string.format('%.5f', -7.85 - (n % 997) * 0.0007)",
                "@LON@": "string.format('%.5f', 112.55 + (n % 991) * 0.0007)",
            },
        )
    header_lua = (
        "{" + ",".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in headers.items()) + "}"
    )
    path_lua = (
        f"{json.dumps(f'/t/{SLUG}/reports/')} .. ids[1 + n % #ids]"
        if path == "@PATH@"
        else json.dumps(path)
    )
    forwarded = (
        'h["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(m / 65536) % 256,'
        " math.floor(m / 256) % 256, m % 256)"
        if kind == "anonymous"
        else ""
    )
    return f"""
local cats = {cats}
local ids = {ids}
local n = {seed}
errors = 0
threads = {{}}
function setup(thread) table.insert(threads, thread) end
function request()
  n = n + 1
  local m = n
  local h = {header_lua}
  {forwarded}
  return wrk.format("{method}", {path_lua}, h, {body})
end
function response(status, headers, body)
  if status ~= 200 or body:find('"errors":%s*%[%s*{{') then errors = errors + 1 end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  io.write(string.format("BENCH_ERRORS %d\\n", e))
end
"""


@dataclass
class Run:
    rate: float
    requests: int
    errors: int


async def wrk(server: Server, script: str, clients: int, seconds: float) -> Run:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        process = await asyncio.create_subprocess_exec(
            "wrk",
            "-t1",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            f.name,
            f"http://127.0.0.1:{server.port}",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out = (await process.communicate())[0].decode()
    finally:
        os.unlink(f.name)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"BENCH_ERRORS (\d+)", out)
    if not (rate and total and errors):
        raise RuntimeError(f"wrk said:\n{out}")
    return Run(float(rate.group(1)), int(total.group(1)), int(errors.group(1)))


# --- the run ---------------------------------------------------------------------------------

KINDS = {
    "list": Kind(
        "list", "operator list: 50 reports + category, officer, last event, agency", 8, 0.5
    ),
    "detail": Kind("detail", "one report + timeline, photos, dispatches", 8, 0.5),
    "anonymous": Kind("anonymous", "anonymous `submitReport`", 40, 0.5),
    "signed": Kind("signed", "signed-in `submitReport`", 10, 0.7),
}


@dataclass
class Results:
    rates: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    requests: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def median(self, kind: str, server: str) -> float:
        return statistics.median(self.rates[(kind, server)])


async def interleave(
    results: Results,
    servers: dict[str, Server],
    world: World,
    kinds: list[str],
    seconds: float,
    rounds: int,
    clients: dict[str, int],
) -> None:
    """Warm each (kind, server) up for a second, then ``rounds`` rounds, alternating which
    server goes first."""
    seed = 0
    names = list(servers)
    for kind in kinds:
        for name in names:
            seed += 1_000_000
            script = wrk_script(world, kind, servers[name].name, seed)
            await wrk(servers[name], script, clients[kind], 1)
            await settle(list(servers.values()))
    for r in range(rounds):
        for kind in kinds:
            for name in names if r % 2 == 0 else names[::-1]:
                seed += 1_000_000
                script = wrk_script(world, kind, servers[name].name, seed)
                run = await wrk(servers[name], script, clients[kind], seconds)
                await settle(list(servers.values()))
                results.rates[(kind, name)].append(run.rate)
                results.errors[(kind, name)] += run.errors
                results.requests[(kind, name)] += run.requests
                print(
                    f"  round {r + 1} {kind:9} {name:11} {run.rate:8.1f} req/s"
                    f" ({run.errors} errors)",
                    file=sys.stderr,
                    flush=True,
                )


def _pairs(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep:
            raise SystemExit(f"expected KEY=VALUE, got {v!r}")
        out[key] = value
    return out


async def run(args: argparse.Namespace) -> None:
    install_query_logger()
    started = time.monotonic()
    # The product as deployed: SQL spans as production samples them (the test default
    # is a span for every statement); --product-env overrides.
    product_extra = {"JOGO_SQL_SPANS": "0.1"} | _pairs(args.product_env)
    tracing_extra = _pairs(args.tracing_env)
    clients = {
        "list": args.read_clients,
        "detail": args.read_clients,
        "anonymous": args.anonymous_clients,
        "signed": args.signed_clients,
    }
    servers: list[Server] = []
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    results = Results()
    hwm: dict[str, float] = {}
    try:
        async with scratch_database() as url:
            world = await setup(url, args.reports)
            world.with_dispatch = not args.without_dispatch and await has_dispatch_fields(world)
            print(
                f"seeded {args.reports:,} reports in {time.monotonic() - started:.0f} s;"
                f" dispatch fields: {world.with_dispatch}",
                file=sys.stderr,
                flush=True,
            )
            counts = await count_statements(world)

            product = start_product("product", world, product_extra)
            servers.append(product)
            await wait_ready(product)
            loop = args.plain_loop
            if loop == "auto":
                loop = "uvloop" if product.uses_uvloop() else "asyncio"
            plain = start_plain(world, loop)
            servers.append(plain)
            await wait_ready(plain)
            pair = {"product": product, "plain": plain}

            # Reads first, while the newest reports are the seeded ones.
            await interleave(
                results, pair, world, ["list", "detail"], args.seconds, args.rounds, clients
            )

            # Tracing: request spans exported over OTLP with SQL spans as production has
            # them (JOGO_SQL_SPANS=0.1, whole traces sampled), and with a span for every
            # statement, against the SDK turned off.
            endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.server_address[1]}"}
            tracing = {
                "on": start_product(
                    "tracing on",
                    world,
                    product_extra | {"JOGO_SQL_SPANS": "0.1"} | tracing_extra | endpoint,
                ),
                "every": start_product(
                    "tracing every statement",
                    world,
                    product_extra | {"JOGO_SQL_SPANS": "statement"} | endpoint,
                ),
                "off": start_product(
                    "tracing off", world, product_extra | {"OTEL_SDK_DISABLED": "true"}
                ),
            }
            servers += list(tracing.values())
            for server in tracing.values():
                await wait_ready(server)
            await interleave(results, tracing, world, ["list"], args.seconds, args.rounds, clients)
            for server in tracing.values():
                stop(server)

            await interleave(results, pair, world, ["signed"], args.seconds, args.rounds, clients)
            hwm["product, reads and signed-in submits"] = product.vm_hwm_mb()
            stop(product)

            fresh = start_product("product", world, product_extra)
            servers.append(fresh)
            await wait_ready(fresh)
            hwm["product, fresh, started"] = fresh.vm_hwm_mb()
            await interleave(
                results,
                {"product": fresh, "plain": plain},
                world,
                ["anonymous"],
                args.anonymous_seconds,
                args.rounds,
                clients,
            )
            hwm[
                f"product, fresh, after {args.anonymous_clients} anonymous clients"
                f" ({args.rounds} x {args.anonymous_seconds:.0f} s)"
            ] = fresh.vm_hwm_mb()
            hwm["plain, after every phase"] = plain.vm_hwm_mb()
            for s in servers:
                stop(s)
    finally:
        for s in servers:
            stop(s)
        sink.shutdown()
        for path in _DATA_DIRS:
            shutil.rmtree(path, ignore_errors=True)
    report(args, world, results, counts, hwm, loop, time.monotonic() - started)


def report(
    args: argparse.Namespace,
    world: World,
    results: Results,
    counts: dict[str, tuple[Count, Count]],
    hwm: dict[str, float],
    loop: str,
    elapsed: float,
) -> None:
    print(
        f"Product (`jogo serve`, one process) against the plain Litestar + asyncpg app"
        f" (`bench/plain_app.py`, one uvicorn worker, {loop}), {args.reports:,} reports,"
        f" wrk with fixed connections, {args.rounds} interleaved rounds of {args.seconds:.0f} s"
        f" ({args.anonymous_seconds:.0f} s for anonymous submits), median of rounds;"
        f" {elapsed:.0f} s in all\n"
    )
    print(
        "| request | clients | product req/s | plain req/s | product ÷ plain | target"
        " | SQL statements / request, product | plain |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|")
    notes = []
    clients = {
        "list": args.read_clients,
        "detail": args.read_clients,
        "anonymous": args.anonymous_clients,
        "signed": args.signed_clients,
    }
    for key in ("list", "detail", "anonymous", "signed"):
        kind = KINDS[key]
        p, q = results.median(key, "product"), results.median(key, "plain")
        ratio = p / q
        mark = "" if ratio >= kind.target else " ✗"
        label = (
            kind.label
            if world.with_dispatch or key not in ("list", "detail")
            else (kind.label + " (product without dispatches)")
        )
        pc, qc = counts[key]
        print(
            f"| {label} | {clients[key]} | {p:.1f} | {q:.1f}"
            f" | **{ratio:.3f}**{mark} | ≥ {kind.target} | {pc} | {qc} |"
        )
        for server in ("product", "plain"):
            errors = results.errors[(key, server)]
            if errors:
                notes.append(
                    f"{kind.label}, {server}: {errors} of {results.requests[(key, server)]}"
                    " answers were errors"
                )
    off = results.median("list", "off")
    for server, label in (
        ("on", "request spans + SQL spans as in production (`JOGO_SQL_SPANS=0.1`)"),
        ("every", "request spans + a span for every SQL statement (`statement`)"),
    ):
        on = results.median("list", server)
        print(
            f"| tracing: operator list, {label} ÷ SDK off"
            f" | {args.read_clients}"
            f" | {on:.1f} (on) | {off:.1f} (off) | **{on / off:.3f}**"
            f"{'' if on / off >= 0.9 else ' ✗'} | ≥ 0.9 | | |"
        )
    for server in ("on", "every", "off"):
        if results.errors[("list", server)]:
            notes.append(f"tracing {server}: {results.errors[('list', server)]} errors")
    print("\nPeak RSS (VmHWM), target < 300 MB for the product under anonymous submits\n")
    print("| process | MB |")
    print("|---|---:|")
    for name, mb in hwm.items():
        print(f"| {name} | {mb:.0f} |")
    print(
        "\nSQL statements: `tx` = in the tenant transaction (BEGIN and COMMIT included),"
        " `auth` = the user and membership read (for anonymous submits: the per-address"
        " limit), `other` = pool resets and the rest."
    )
    if not world.with_dispatch:
        notes.append(
            "the product's queries leave out latestDispatch / dispatches (no such fields,"
            " or --without-dispatch); the plain app still reads them"
        )
    for note in notes:
        print(f"- {note}")
    if args.show_sql:
        for key, (product, _) in counts.items():
            print(f"\nProduct statements, {key}:\n")
            print("\n".join(f"    {t}" for t in product.texts))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per run (default 5)")
    parser.add_argument("--anonymous-seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--read-clients", type=int, default=8)
    parser.add_argument("--anonymous-clients", type=int, default=40)
    parser.add_argument("--signed-clients", type=int, default=10)
    parser.add_argument("--without-dispatch", action="store_true")
    parser.add_argument(
        "--show-sql", action="store_true", help="list the product's statements per request"
    )
    parser.add_argument(
        "--plain-loop",
        choices=["auto", "asyncio", "uvloop"],
        default="auto",
        help="the plain app's event loop (auto: the product's)",
    )
    parser.add_argument("--product-env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--tracing-env", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
