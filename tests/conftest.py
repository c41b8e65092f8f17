"""Fixtures on real PostgreSQL: a fresh database per run, migrated as the owner, and
the app engine connected as ``jogo_app`` (no BYPASSRLS, owns nothing)."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace

import asyncpg
import httpx
import pytest
from helpers import (
    ADMIN_URL,
    AMQP_URL,
    FINISHED,
    POOLED,
    SESSION_POOLER,
    Pgbouncer,
    db_url,
    delete_queues,
    onboard,
    pooled_env,
    relay_running,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from jogo.platform import db, registry
from jogo.platform.migrate import migrate
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings, load_settings
from jogo.platform.telemetry import setup_telemetry

# The event loop the session's async tests and fixtures run on (set by ``database``).
SESSION_LOOP: list[asyncio.AbstractEventLoop] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A test that pytest-timeout stopped shows where each asyncio task was waiting: its
    own dump has only the threads, and an async test waits in the loop's selector."""
    report = yield
    if report.failed and "from pytest-timeout" in str(report.longrepr) and SESSION_LOOP:
        stacks = io.StringIO()
        for task in asyncio.all_tasks(SESSION_LOOP[0]):
            print(task.get_name(), file=stacks)
            for line in _awaiting(task.get_coro()):
                print("   ", line, file=stacks)
        report.sections.append(("asyncio tasks at the timeout", stacks.getvalue()))
    return report


def _awaiting(coro: object) -> Iterator[str]:
    """Each frame of a suspended coroutine down the ``await`` chain (``Task.print_stack``
    shows only the outermost)."""
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
        if frame is not None:
            yield f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    # A span per statement: tests count and read SQL spans (JOGO_SQL_SPANS=statement).
    setup_telemetry(exporter=exporter, sql_spans="statement")
    return exporter


@pytest.fixture(scope="session")
def metric_reader():
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from jogo.platform.telemetry import setup_metrics

    reader = InMemoryMetricReader()
    setup_metrics(reader)
    return reader


@pytest.fixture(scope="session")
def pooler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pgbouncer]:
    """One PgBouncer (Debian's 1.18) in transaction mode in front of the test server for
    the run: tests/test_pooler.py's, and with ``JOGO_TEST_POOLER=1`` every app-role
    connection's (see ``database``)."""
    bouncer = Pgbouncer(tmp_path_factory.mktemp("pgbouncer")).start()
    SESSION_POOLER[:] = [bouncer]
    try:
        yield bouncer
    finally:
        SESSION_POOLER.clear()
        bouncer.stop()


def _settings_for(database: str) -> Settings:
    """The run's settings for ``database`` (owner URL): the app role through the pooler
    (statement cache 0, LISTEN direct) when ``JOGO_TEST_POOLER=1``, else direct."""
    return replace(
        load_settings({"JOGO_ENV": "test", **pooled_env(database)}), database_url=database
    )


@pytest.fixture(scope="session")
async def database(
    span_exporter: InMemorySpanExporter, metric_reader, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A fresh database for this run; returns the owner's URL. The app engine connects as
    the app role: through the run's pooler when ``JOGO_TEST_POOLER=1``."""
    SESSION_LOOP[:] = [asyncio.get_running_loop()]
    if POOLED:
        request.getfixturevalue("pooler")
    name = f"jogo_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = db_url(name)
    try:
        await migrate(url)
        await db.start_engine_for(_settings_for(url))
        yield url
    finally:
        await db.stop_engine()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def settings(database: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return replace(_settings_for(database), data_dir=tmp_path_factory.mktemp("jogo-data"))


@pytest.fixture
async def owner(database: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection, for looking at what the app role cannot see."""
    conn = await asyncpg.connect(database)
    try:
        yield conn
    finally:
        await conn.close()


@dataclass(frozen=True)
class TwoTenants:
    a: TenantInfo
    b: TenantInfo


@pytest.fixture
async def two_tenants(database: str) -> TwoTenants:
    """Two tenants from the same template, under two Polda."""
    a = await onboard(polda="JATIM", region="35.73")
    b = await onboard(polda="JATENG", region="33.74")
    return TwoTenants(a, b)


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the test's own event loop (Litestar's test client runs it on a portal
    thread, where the session's asyncpg pool cannot be used)."""
    from jogo.platform.app.factory import create_app

    registry.clear_cache()
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def live_server(settings: Settings) -> AsyncIterator[str]:
    """The app under uvicorn on the test's own loop, for WebSocket clients."""
    import asyncio
    import socket

    import uvicorn

    from jogo.platform.app.factory import create_app
    from jogo.platform.app.runner import api_config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(settings, manage_database=False)
    # As jogo serve runs it (platform/app/runner.py), but on the test's loop and pool.
    config = api_config(app, "127.0.0.1", port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.02)
    else:
        server.should_exit = True
        await task
        raise AssertionError("the live server did not start within 10 s")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


# --- integrations: real RabbitMQ, a Dramatiq worker, the relay, a fake agency ---

os.environ.setdefault("JOGO_QUEUE", f"jogo-test-{os.getpid()}")


@pytest.fixture(scope="session")
def broker(database: str, settings: Settings):
    """Real RabbitMQ with publisher confirms; the actors declared on it, queue per run."""
    from jogo.workers.broker import make_broker
    from jogo.workers.process import load_actors

    made = make_broker(
        AMQP_URL,
        settings.resolved_app_url(),
        pool_size=4,
        statement_cache_size=settings.db_statement_cache_size,
    )
    load_actors(settings)
    made.declare_queue(os.environ["JOGO_QUEUE"], ensure=True)
    made.add_middleware(FINISHED)  # tests wait on finished messages, never on a sleep
    yield made
    made.close()
    delete_queues(os.environ["JOGO_QUEUE"])


@pytest.fixture
def worker(broker):
    """An in-process Dramatiq worker (threads, its own event loop and pool)."""
    from jogo.workers.process import start_worker, stop_worker

    running = start_worker(broker, threads=4)
    yield running
    stuck = stop_worker(running)
    if stuck is not None:  # the run goes on; the summary shows where the stop hung
        warnings.warn(f"the worker did not stop in time:\n{stuck}", stacklevel=1)


@pytest.fixture
async def relay(broker):
    """The relay running on the test's loop until the test ends."""
    async with relay_running(broker) as runner:
        yield runner


@pytest.fixture
def sink():
    from agency_sink import AgencySink

    running = AgencySink().start()
    yield running
    running.stop()


@pytest.fixture
async def own_postgres():
    """A PostgreSQL server of this test's own, on a spare port in a temporary folder,
    that the test may stop, kill and start (tests/own_postgres.py); destroyed after."""
    import asyncio

    from own_postgres import OwnPostgres

    server = await asyncio.to_thread(OwnPostgres.create)
    try:
        await asyncio.to_thread(server.start)
        yield server
    finally:
        await asyncio.to_thread(server.destroy)


# --- the browser: Debian's chromium through Playwright (nothing is downloaded) ---


@pytest.fixture(scope="session")
async def browser():
    """One headless chromium for the run (``JOGO_CHROMIUM``, default ``/usr/bin/chromium``;
    ``.ci/run`` installs Debian's package when it is missing)."""
    from helpers import CHROMIUM
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser, request):
    """A fresh browser context (1366x768, Bahasa Indonesia) whose network reaches only
    127.0.0.1: any other host is refused, as on an offline police network. The test fails
    on an uncaught page error or a Content-Security-Policy violation; a screenshot of the
    last state is saved to ``tests/screenshots/<test>-end.png`` (git ignores the folder)."""
    from helpers import BrowserLog, offline_route, screenshot

    context = await browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="id-ID", timezone_id="Asia/Jakarta"
    )
    await context.route("**/*", offline_route)
    opened = await context.new_page()
    log = BrowserLog.attach(opened)
    try:
        yield opened
        log.check()
    finally:
        await screenshot(opened, f"{request.node.name}-end")
        await context.close()
