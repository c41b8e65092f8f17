"""The API during a database outage, one kind at a time (issue 12, part 9), and
liveness when a loop stops completing passes.

``jogo serve`` runs against a PostgreSQL of the test's own, reached through a proxy
the test breaks on cue (tests/pg_proxy.py): a connection lost mid-request, connection
refused, the server refusing with 57P03 while it starts up, and the database gone
right after a ``submitReport`` committed. Every answer is a 503 or a typed
``UNAVAILABLE`` error, never a 500 or "Unexpected error"; and a committed report is
answered as committed, so the client has nothing to retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import replace
from urllib.parse import urlsplit

import asyncpg
import httpx
import pika
import pytest
import websockets
from helpers import (
    AMQP_URL,
    GRACE,
    SUBMIT,
    delete_queues,
    free_port,
    provision,
    report_input,
    sign_in_admin,
    wait_until,
)
from own_postgres import OwnPostgres
from pg_proxy import PgProxy

from jogo.platform.app.factory import create_app
from jogo.platform.liveness import HEARTBEATS
from jogo.platform.outage import Backoff
from jogo.platform.settings import APP_ROLE, swap_user

REPORTS = "{ reports(first: 5) { edges { node { ticket } } } }"


def _unavailable(r: httpx.Response, what: str) -> None:
    """A 503 whose body names UNAVAILABLE, or a 200 whose mutation payload does."""
    assert "Unexpected error" not in r.text and "INTERNAL" not in r.text, (what, r.text)
    body = r.json()
    if r.status_code == 503:
        assert r.headers.get("retry-after"), what
        codes = {e["extensions"]["code"] for e in body["errors"]}
        assert codes == {"UNAVAILABLE"}, (what, body)
        return
    assert r.status_code == 200, (what, r.status_code, r.text)
    payload = next(iter(body["data"].values()))
    assert [e["code"] for e in payload["errors"]] == ["UNAVAILABLE"], (what, body)
    assert "basis data" in payload["errors"][0]["message"], body  # Bahasa first


@pytest.fixture
async def api(own_postgres: OwnPostgres, tmp_path):
    """The stack with ``jogo serve`` reaching the database through a proxy."""
    stack = await provision(own_postgres, tmp_path)
    proxy = await PgProxy(own_postgres.port).start()
    app_url = swap_user(
        stack.owner_url.replace(f":{own_postgres.port}/", f":{proxy.port}/"), APP_ROLE, None
    )
    port = free_port()
    await stack.part(
        "serve", "--host", "127.0.0.1", "--port", str(port), JOGO_APP_DATABASE_URL=app_url
    )
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20)

    async def up() -> bool:
        try:
            return (await client.get("/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    try:
        await wait_until(up, 60, "the API to start")
        yield stack, proxy, client
    finally:
        await client.aclose()
        await proxy.close()
        await stack.stop_all()


async def _calls(client: httpx.AsyncClient, slug: str, admin: dict) -> list[tuple[str, object]]:
    """One of each: a plain route, a GraphQL read, a GraphQL write (anonymous)."""
    path = f"/t/{slug}/graphql"
    anonymous = report_input(anonymous=True, title="Lampu lalu lintas mati")
    return [
        ("token", await client.post("/auth/token", json={"username": "x", "password": "y"})),
        ("reports", await client.post(path, json={"query": REPORTS}, headers=admin)),
        (
            "submitReport",
            await client.post(path, json={"query": SUBMIT, "variables": {"input": anonymous}}),
        ),
    ]


async def test_every_kind_of_database_outage_answers_503_or_unavailable(api, own_postgres):
    stack, proxy, client = api
    path = f"/t/{stack.slug}/graphql"
    admin = await sign_in_admin(client)

    async def healthy() -> bool:
        r = await client.post(path, json={"query": REPORTS}, headers=admin)
        return r.status_code == 200 and "errors" not in r.json()

    assert await healthy()

    # A connection lost in the middle of a request (the server side closes it as the
    # reports statement goes out; fresh connections, so its text is sent again).
    proxy.cut_all()
    proxy.cut_on(b"FROM reports")
    r = await client.post(path, json={"query": REPORTS}, headers=admin)
    _unavailable(r, "connection lost mid-request")
    await wait_until(healthy, 20, "recovery after a lost connection")

    # Connection refused.
    await proxy.refuse()
    proxy.cut_all()
    for what, answer in await _calls(client, stack.slug, admin):
        _unavailable(answer, f"refused: {what}")
    await proxy.accept()
    await wait_until(healthy, 20, "recovery after refused connections")

    # The server starting up: every connection refused with 57P03.
    await asyncio.to_thread(own_postgres.stop, "fast")
    await asyncio.to_thread(own_postgres.start, accepting=False)
    with pytest.raises(asyncpg.CannotConnectNowError):
        await asyncpg.connect(stack.owner_url)
    proxy.cut_all()
    for what, answer in await _calls(client, stack.slug, admin):
        _unavailable(answer, f"starting up: {what}")
    await asyncio.to_thread(own_postgres.stop, "fast")
    await asyncio.to_thread(own_postgres.start)
    await wait_until(healthy, 30, "recovery after the start-up")


async def test_a_committed_report_is_answered_when_the_database_goes_right_after(api):
    """The issue's example: submitReport stored a report, the re-read after the commit
    failed, the client was told "Unexpected error." and retried into a duplicate."""
    stack, proxy, client = api
    title = f"Banjir setinggi lutut {uuid.uuid4().hex[:8]}"
    proxy.cut_all()  # fresh connections send the INSERT's text
    proxy.down_after_commit(b"INSERT INTO reports")
    r = await client.post(
        f"/t/{stack.slug}/graphql",
        json={"query": SUBMIT, "variables": {"input": report_input(anonymous=True, title=title)}},
    )
    assert proxy.tripped.is_set()  # the database was gone right after the COMMIT
    assert r.status_code == 200, r.text
    payload = r.json()["data"]["submitReport"]
    assert payload["errors"] == [], payload
    assert payload["report"]["ticket"] and payload["pin"], payload
    await proxy.accept()
    owner = await asyncpg.connect(stack.owner_url)
    try:
        rows = await owner.fetch("SELECT id, ticket FROM reports WHERE title = $1", title)
    finally:
        await owner.close()
    assert [(str(r["id"]), r["ticket"]) for r in rows] == [
        (payload["report"]["id"], payload["report"]["ticket"])
    ]


async def test_liveness_fails_while_a_loop_completes_no_pass(settings):
    """/healthz names a loop whose last pass is older than JOGO_LIVENESS_SECONDS, and
    passes again once it beats."""
    app = create_app(replace(settings, liveness_seconds=1), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    beat = HEARTBEATS.register("test loop")

    def stalled_loops(r: httpx.Response) -> list[str]:
        # Loops of this process that other tests started (the in-process worker's pool
        # watch beats every few seconds, slower than 1 s) may be listed too: this test
        # judges its own loop only.
        return [] if r.status_code == 200 else r.json()["stalled"]

    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            fresh = await client.get("/healthz")
            assert fresh.status_code in (200, 503)
            assert "test loop" not in stalled_loops(fresh)
            started = time.monotonic()

            async def stalled() -> bool:
                r = await client.get("/healthz")
                return r.status_code == 503 and "test loop" in r.json()["stalled"]

            await wait_until(stalled, 10, "liveness to fail")
            assert time.monotonic() - started >= 1  # not before the setting says
            beat()
            r = await client.get("/healthz")
            assert "test loop" not in stalled_loops(r)
            if r.status_code == 200:
                assert r.json() == {"status": "ok"}
    finally:
        beat.close()


async def test_relay_backs_off_a_lost_broker_and_drains_after(own_postgres, tmp_path):
    """The issue: 1,400-1,800 tracebacks in a 20 s broker outage, retried with no
    backoff. Now: one line when the broker goes, one when it is back, passes spaced
    out meanwhile, readiness naming the broker, and nothing left unpublished after."""
    stack = await provision(own_postgres, tmp_path)
    amqp = urlsplit(AMQP_URL)
    proxy = await PgProxy(amqp.port or 5672, amqp.hostname or "127.0.0.1").start()
    through_proxy = AMQP_URL.replace(f":{amqp.port}/", f":{proxy.port}/")
    health = free_port()
    owner = await asyncpg.connect(stack.owner_url)
    try:
        relay = await stack.part("relay", JOGO_AMQP_URL=through_proxy, JOGO_HEALTH_PORT=str(health))
        probe = httpx.AsyncClient(base_url=f"http://127.0.0.1:{health}", timeout=5)

        async def ready() -> bool:
            try:
                return (await probe.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(ready, 60, "the relay to start")
        tenant = await owner.fetchval("SELECT id FROM tenants WHERE slug = $1", stack.slug)

        async def unpublished() -> int:
            return await owner.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")

        async def add_rows() -> None:
            await owner.execute(
                "INSERT INTO outbox (tenant, actor, payload) SELECT $1, 'rollup_report',"
                " jsonb_build_object('report_id', gen_random_uuid()) FROM generate_series(1, 20)",
                tenant,
            )
            await owner.execute("SELECT pg_notify('jogo_outbox', '')")

        async def drained() -> bool:
            return await unpublished() == 0

        await add_rows()
        await wait_until(drained, 30, "the first rows to go out")

        await proxy.refuse()
        proxy.cut_all()
        for _ in range(10):  # rows keep arriving (and notifying) during the outage
            await add_rows()
            await asyncio.sleep(0.5)
        r = await probe.get("/readyz")
        assert r.status_code == 503 and r.json()["broker"].startswith("unavailable"), r.text
        assert await unpublished() > 0
        await proxy.accept()
        await wait_until(drained, 60, "the outbox to drain after the broker came back")
        await probe.aclose()
        code, _ = await relay.stop()
        assert code == 0
        log = relay.log.read_text()
        relay_lines = [line for line in log.splitlines() if "jogo.relay" in line]
        # Once when it went, once when it came back; never one per pass.
        assert len(relay_lines) == 2, relay_lines
        assert "unavailable" in relay_lines[0] and "recovered" in relay_lines[1], relay_lines
        assert "Traceback" not in log, log[-3000:]
    finally:
        await owner.close()
        await proxy.close()
        await stack.stop_all()
        await asyncio.to_thread(delete_queues, stack.queue)


async def test_live_feed_resumes_after_its_listening_connection_is_lost(api):
    """The API's LISTEN connection dies with the database; an open subscription must
    hear of new reports again once the database is back, without reconnecting."""
    stack, proxy, client = api
    admin = await sign_in_admin(client)
    ws_url = str(client.base_url).replace("http://", "ws://") + f"/t/{stack.slug}/graphql"
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": admin}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        query = "subscription { reportEvents { ticket event { kind } } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))

        async def heard_of_a_new_report(within: float) -> bool:
            """Submit reports until the feed names one of them (each try waits 1 s)."""
            tickets: set[str] = set()
            deadline = time.monotonic() + within
            while time.monotonic() < deadline:
                r = await client.post(
                    f"/t/{stack.slug}/graphql",
                    json={"query": SUBMIT, "variables": {"input": report_input()}},
                    headers=admin,
                )
                if r.status_code == 200 and r.json()["data"]["submitReport"]["report"]:
                    tickets.add(r.json()["data"]["submitReport"]["report"]["ticket"])
                with contextlib.suppress(TimeoutError):
                    while True:
                        message = json.loads(await asyncio.wait_for(ws.recv(), 1))
                        assert message["type"] == "next", message
                        if message["payload"]["data"]["reportEvents"]["ticket"] in tickets:
                            return True
            return False

        assert await heard_of_a_new_report(10), "the feed did not work to begin with"
        proxy.cut_all()  # the listening connection (and the pool's) are gone
        assert await heard_of_a_new_report(30), "the feed did not resume"


def _queue_depth(name: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        declared = connection.channel().queue_declare(queue=name, passive=True)
        return int(declared.method.message_count)
    finally:
        connection.close()


async def test_worker_stops_consuming_before_it_closes_its_pool(own_postgres, tmp_path):
    """The issue: on SIGTERM the worker closed its pool first and kept consuming; the
    messages it took failed with "pool is closing" and were dead-lettered. Now it stops
    taking messages, finishes what runs, hands back what it prefetched, then closes."""
    stack = await provision(own_postgres, tmp_path)
    owner = await asyncpg.connect(stack.owner_url)
    try:
        tenant = await owner.fetchval("SELECT id FROM tenants WHERE slug = $1", stack.slug)
        await owner.execute(
            "INSERT INTO outbox (tenant, actor, payload) SELECT $1, 'rollup_report',"
            " jsonb_build_object('report_id', gen_random_uuid()) FROM generate_series(1, 400)",
            tenant,
        )
        await stack.part("relay")

        async def published() -> bool:
            left = await owner.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            return left == 0

        await wait_until(published, 60, "the messages to be published")
        worker = await stack.part("worker")

        async def consuming() -> bool:
            return await asyncio.to_thread(_queue_depth, stack.queue) < 350

        await wait_until(consuming, 60, "the worker to be busy")
        code, took = await worker.stop(GRACE["worker"] + 5)
        log = worker.log.read_text()
        assert code == 0 and took < GRACE["worker"], (code, took, log[-3000:])
        # No message failed for the stop: none met a closing (or closed) pool.
        for failure in ("pool is closing", "Failed to process message", "Retries exceeded"):
            assert failure not in log, log[-3000:]
        assert await asyncio.to_thread(_queue_depth, f"{stack.queue}.XQ") == 0
        assert await asyncio.to_thread(_queue_depth, stack.queue) > 0  # handed back, not lost
    finally:
        await owner.close()
        await stack.stop_all()
        await asyncio.to_thread(delete_queues, stack.queue)


def test_backoff_grows_with_jitter_up_to_its_cap_and_logs_state_changes(caplog):
    """A failing loop waits first, 2*first, 4*first ... (each drawn from the upper half
    of its step), never more than cap; it logs when it starts failing, when it fails
    differently, and when it recovers, and nothing in between."""
    log = logging.getLogger("jogo.test.backoff")
    backoff = Backoff("loop", log, first=0.5, cap=4.0)
    refused = ConnectionRefusedError(111, "Connection refused")
    with caplog.at_level(logging.INFO, logger="jogo.test.backoff"):
        delays = [backoff.failed(refused) for _ in range(8)]
        backoff.failed(KeyError("a bug"))
        backoff.succeeded()
        backoff.succeeded()
    for delay, step in zip(delays, [0.5, 1, 2, 4, 4, 4, 4, 4], strict=True):
        assert step / 2 <= delay <= step
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in lines] == ["WARNING", "ERROR", "WARNING"], lines
    assert "unavailable" in lines[0][1] and "recovered after 9" in lines[2][1]
    assert caplog.records[1].exc_info is not None  # a bug keeps its traceback


def test_only_network_and_database_failures_count_as_an_outage():
    """A full disk, a missing file or a refused permission is a fault to see (500 and a
    traceback in the log), not a 503 that hides it; nor is an error raised ``from None``
    while an outage was being handled."""
    import errno as errnos

    from jogo.platform.outage import is_unavailable

    assert is_unavailable(ConnectionRefusedError(errnos.ECONNREFUSED, "refused"))
    assert is_unavailable(ConnectionResetError(errnos.ECONNRESET, "reset"))
    assert is_unavailable(TimeoutError())
    assert is_unavailable(OSError("Multiple exceptions: [Errno 111] Connect call failed"))
    assert not is_unavailable(FileNotFoundError(errnos.ENOENT, "no such file"))
    assert not is_unavailable(PermissionError(errnos.EACCES, "denied"))
    assert not is_unavailable(OSError(errnos.ENOSPC, "No space left on device"))

    def raised(from_none: bool) -> BaseException:
        try:
            try:
                raise ConnectionRefusedError(errnos.ECONNREFUSED, "refused")
            except OSError as exc:
                if from_none:
                    raise ValueError("bad host name") from None
                raise ValueError("wrapped") from exc
        except ValueError as outer:
            return outer
        raise AssertionError("unreachable")

    assert is_unavailable(raised(from_none=False))
    assert not is_unavailable(raised(from_none=True))
