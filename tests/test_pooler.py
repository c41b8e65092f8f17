"""Behind a transaction pooler (issue 19, part 1): Debian's PgBouncer 1.18 in transaction
mode in front of the test server (conftest's ``pooler``), asyncpg's statement cache off
(``JOGO_DB_STATEMENT_CACHE_SIZE=0``) and LISTEN direct (``JOGO_LISTEN_DATABASE_URL``), as
README *Behind a connection pooler* says.

Through it the operator list, sign-in, submissions and ``/readyz`` answer without a 500,
live feeds receive every event, the relay publishes and the worker runs what it publishes,
and two tenants see none of each other's rows. With LISTEN through the pooler too,
notifications are lost: ``/readyz`` of the API and of the relay says so (503,
``notifications``). With asyncpg's default cache (100) the same requests fail with
``prepared statement "__asyncpg_stmt_…__" does not exist`` (measured in issue 19)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from helpers import (
    FINISHED,
    PASSWORD,
    SUBMIT,
    Part,
    Pgbouncer,
    bearer,
    engine_as,
    eventually,
    feed_socket,
    free_port,
    gql,
    make_user,
    next_message,
    onboard,
    one_line_error,
    pooler_env,
    relay_running,
    report_input,
    run_jogo,
    start_feed,
    submit,
    through_pooler,
    wait_for_listeners,
    wait_until,
)

from jogo.platform import db, outbox
from jogo.platform.app.factory import create_app, create_health_app
from jogo.platform.app.runner import NEEDS
from jogo.platform.auth.roles import Role
from jogo.platform.errors import SettingsError
from jogo.platform.settings import Settings, load_settings

LIST = "query { reports(first: 50) { edges { node { id ticket } } } }"
CONCURRENT = 25  # requests in flight at once (the app pool has 10 connections)


@pytest.fixture
async def pooled(database: str, settings: Settings, pooler: Pgbouncer) -> AsyncIterator[Settings]:
    """This test's app connections through the pooler, LISTEN direct."""
    async with engine_as(through_pooler(settings, pooler, database)) as through:
        yield through


async def _token(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return bearer(r.json()["access_token"])


async def _one_row_published(owner: Any, tenant_id: uuid.UUID, relay: str) -> None:
    """Add one outbox row (through the test's engine) and wait until ``relay`` published it."""
    async with db.control_tx():
        row = await outbox.enqueue("sweep_report_slas", {}, tenant_id)

    async def published() -> bool:
        sql = "SELECT published_at IS NOT NULL FROM outbox WHERE id = $1"
        return bool(await owner.fetchval(sql, row))

    await wait_until(published, 15, f"{relay} to publish a row")


async def _lists(
    client: httpx.AsyncClient, calls: list[tuple[str, dict[str, str]]]
) -> list[tuple[int, list[str]]]:
    """Each ``(slug, headers)`` asks for the report list, ``CONCURRENT`` at a time: the
    status and the report ids of each answer."""
    gate = asyncio.Semaphore(CONCURRENT)

    async def one(slug: str, headers: dict[str, str]) -> tuple[int, list[str]]:
        async with gate:
            status, body = await gql(client, f"/t/{slug}/graphql", LIST, headers)
        edges = ((body.get("data") or {}).get("reports") or {}).get("edges") or []
        return status, [e["node"]["id"] for e in edges]

    return await asyncio.gather(*(one(slug, headers) for slug, headers in calls))


async def test_the_api_answers_through_the_pooler(pooled, app_client):
    tenant = await onboard("minimal")
    usernames = [(await make_user(Role.OPERATOR, tenant))[1] for _ in range(10)]
    # Sign-in: its rate limits and the user's principal are read outside any transaction.
    headers = [await _token(app_client, name) for name in usernames]
    submitted = {(await submit(app_client, tenant.slug, h))["report"]["id"] for h in headers}
    answers = await _lists(app_client, [(tenant.slug, headers[i % 10]) for i in range(200)])
    assert [status for status, _ in answers] == [200] * 200
    assert all(set(ids) == submitted for _, ids in answers)
    ready = await app_client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"database": "ok", "notifications": "ok", "status": "ok"}


async def test_two_tenants_see_none_of_each_others_rows_through_the_pooler(
    pooled, app_client, two_tenants, owner
):
    a, b = two_tenants.a, two_tenants.b
    heads = {}
    for tenant in (a, b):
        heads[tenant.slug] = await _token(app_client, (await make_user(Role.OPERATOR, tenant))[1])
    # Submissions of both tenants interleaved, then 200 lists of both at once.
    await asyncio.gather(
        *(submit(app_client, t.slug, heads[t.slug]) for _ in range(5) for t in (a, b))
    )
    own = {
        t.slug: {
            str(r["id"])
            for r in await owner.fetch("SELECT id FROM reports WHERE tenant_id = $1", t.id)
        }
        for t in (a, b)
    }
    assert all(len(ids) == 5 for ids in own.values()), own
    calls = [(t.slug, heads[t.slug]) for _ in range(100) for t in (a, b)]
    answers = await _lists(app_client, calls)
    foreign = sum(
        len(set(ids) - own[slug]) for (slug, _), (_, ids) in zip(calls, answers, strict=True)
    )
    assert foreign == 0
    assert all(
        status == 200 and set(ids) == own[slug]
        for (slug, _), (status, ids) in zip(calls, answers, strict=True)
    )


async def test_live_feeds_receive_every_event_with_listen_direct(pooled, live_server, app_client):
    tenant = await onboard("minimal")
    _, username = await make_user(Role.OPERATOR, tenant)
    headers = await _token(app_client, username)
    sockets = [await feed_socket(f"ws://{live_server}/t/{tenant.slug}/graphql") for _ in range(3)]
    try:
        for ws in sockets:
            await start_feed(ws, headers["Authorization"])
        await wait_for_listeners(3, tenant.id)
        tickets = {
            (await submit(app_client, tenant.slug, headers))["report"]["ticket"] for _ in range(8)
        }
        for ws in sockets:
            heard: set[str] = set()
            async with asyncio.timeout(30):
                while heard < tickets:  # every submission's event, whatever else comes
                    message = await next_message(ws, 10)
                    assert message["type"] == "next", message
                    heard.add(message["payload"]["data"]["reportEvents"]["ticket"])
    finally:
        for ws in sockets:
            await ws.close()


async def test_the_relay_publishes_and_the_worker_runs_through_the_pooler(
    pooled, relay, worker, owner
):
    tenant = await onboard("minimal")
    before = FINISHED.count("sweep_report_slas", tenant.id)
    async with db.control_tx():
        ids = [await outbox.enqueue("sweep_report_slas", {}, tenant.id) for _ in range(30)]

    async def all_published() -> bool:
        left = await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE id = ANY($1::bigint[]) AND published_at IS NULL",
            ids,
        )
        return left == 0

    await wait_until(all_published, 30, "the relay to publish 30 rows through the pooler")
    await eventually(
        lambda: FINISHED.count("sweep_report_slas", tenant.id) >= before + 30,
        "the worker to run the 30 jobs",
        within=60,
    )


async def test_readiness_fails_when_listen_goes_through_the_pooler(
    database, settings, pooler, broker, owner
):
    """A transaction pooler hands the LISTEN to a server connection no client holds: the
    notifications are lost, and both the API's and the relay's ``/readyz`` say so. The
    relay still publishes, on its one-second poll."""
    through = through_pooler(settings, pooler, database, listen_through_pooler=True)
    tenant = await onboard("minimal")
    async with engine_as(through), relay_running(broker) as runner:
        app = create_app(through, manage_database=False)
        probes = create_health_app(through, NEEDS["relay"], {"relay": runner.prove_listening})
        for name, made in (("live events", app), ("relay", probes)):
            transport = httpx.ASGITransport(app=made)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                r = await client.get("/readyz")
            assert r.status_code == 503, r.text
            body = r.json()
            assert body["database"] == "ok" and body["status"] == "unavailable", body
            assert body["notifications"] == (
                f"unavailable: {name}: a NOTIFY sent through the app pool did not arrive within 2 s"
            ), body
        await _one_row_published(owner, tenant.id, "the relay's poll")


async def test_jogo_processes_read_the_pooler_settings(
    database, settings, pooler, broker, tmp_path, owner
):
    """``jogo serve`` with LISTEN through the pooler answers its requests and is not
    ready (notifications); ``jogo relay`` with LISTEN direct is ready and publishes."""
    tenant = await onboard("minimal")
    _, username = await make_user(Role.OPERATOR, tenant)
    api_port, health = free_port(), free_port()
    serve = Part(["serve", "--port", str(api_port)], database, settings, tmp_path)
    serve.env |= pooler_env(pooler, database, listen_through_pooler=True)
    relay = Part(["relay"], database, settings, tmp_path)
    relay.env |= pooler_env(pooler, database) | {"JOGO_HEALTH_PORT": str(health)}
    await serve.start()
    await relay.start()
    try:
        async with httpx.AsyncClient(timeout=10) as client:

            async def answers(url: str) -> httpx.Response | None:
                with contextlib.suppress(httpx.TransportError):
                    return await client.get(url)
                return None

            async def both_answer() -> bool:
                urls = (f"http://127.0.0.1:{p}/healthz" for p in (api_port, health))
                return all([await answers(u) is not None for u in urls])

            await wait_until(both_answer, 30, "jogo serve and jogo relay to start")
            api = await client.get(f"http://127.0.0.1:{api_port}/readyz")
            assert api.status_code == 503, api.text
            assert api.json()["notifications"].startswith("unavailable: live events: "), api.text
            probes = await client.get(f"http://127.0.0.1:{health}/readyz")
            assert probes.status_code == 200, probes.text
            assert probes.json()["notifications"] == "ok"
            base = f"http://127.0.0.1:{api_port}"
            async with httpx.AsyncClient(base_url=base, timeout=10) as api_client:
                headers = await _token(api_client, username)
                status, body = await gql(
                    api_client, f"/t/{tenant.slug}/graphql", SUBMIT, headers, input=report_input()
                )
                assert status == 200 and not body["data"]["submitReport"]["errors"], body
        await _one_row_published(owner, tenant.id, "jogo relay")
    finally:
        for part in (serve, relay):
            part.kill()
            if part.process is not None:
                await part.process.wait()


async def test_a_probe_in_flight_is_shared_and_a_success_is_reused(database, owner):
    """Twenty readiness checks at once send one NOTIFY; checks within the next seconds
    send none. Without a LISTEN connection there is nothing to prove."""
    conn = await db.connect_listener()
    heard: list[str] = []
    try:
        await owner.add_listener(db._PROBES[conn].channel, lambda *args: heard.append(args[3]))
        assert await asyncio.gather(*(db.prove_listening(conn) for _ in range(20))) == ["ok"] * 20
        assert await db.prove_listening(conn) == "ok"
        await eventually(lambda: heard, "the probe's notification at a second listener")
        assert len(heard) == 1
    finally:
        await conn.close()
    with pytest.raises(db.NotListening):
        await db.prove_listening(conn)
    with pytest.raises(db.NotListening):
        await db.prove_listening(None)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JOGO_DB_STATEMENT_CACHE_SIZE": "-1"}, "JOGO_DB_STATEMENT_CACHE_SIZE must be between 0"),
        ({"JOGO_DB_STATEMENT_CACHE_SIZE": "10001"}, "JOGO_DB_STATEMENT_CACHE_SIZE must be between"),
        (
            {"JOGO_DB_STATEMENT_CACHE_SIZE": "off"},
            "JOGO_DB_STATEMENT_CACHE_SIZE must be an integer",
        ),
        (
            {"JOGO_LISTEN_DATABASE_URL": "pgbouncer:6432"},
            "JOGO_LISTEN_DATABASE_URL must be a URL starting with postgresql or postgres://",
        ),
    ],
)
def test_pooler_settings_are_checked_in_one_line(env, message):
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)


def test_pooler_settings_default_to_asyncpg_and_the_app_url():
    owner = "postgresql://jogo_migrator@db:5432/jogo"
    plain = load_settings({"JOGO_DATABASE_URL": owner})
    assert plain.db_statement_cache_size == 100
    assert (
        plain.resolved_listen_url()
        == plain.resolved_app_url()
        == ("postgresql://jogo_app@db:5432/jogo")
    )
    direct = "postgresql://jogo_app:s3cret@db-direct:5432/jogo"
    pooled = load_settings(
        {
            "JOGO_DATABASE_URL": owner,
            "JOGO_APP_DATABASE_URL": "postgresql://jogo_app:s3cret@pgbouncer:6432/jogo",
            "JOGO_DB_STATEMENT_CACHE_SIZE": "0",
            "JOGO_LISTEN_DATABASE_URL": direct,
        }
    )
    assert pooled.db_statement_cache_size == 0 and pooled.resolved_listen_url() == direct


def test_the_cli_refuses_a_bad_cache_size_in_one_line(database):
    result = run_jogo(["tenant", "list"], database, JOGO_DB_STATEMENT_CACHE_SIZE="lots")
    assert result.returncode == 1
    assert "JOGO_DB_STATEMENT_CACHE_SIZE must be an integer, got 'lots'" in one_line_error(result)


async def test_statements_outside_a_transaction_keep_their_own_parse(pooled):
    """With the statement cache off every statement is asyncpg's unnamed one: Parse,
    Describe and Flush, then Bind, Execute and Sync. PgBouncer keeps the server connection
    until the server's ReadyForQuery, which only the Sync brings, so even outside a
    transaction the two halves meet one server connection. Were that not so (a pooler, or
    an asyncpg, that ended the first half with a Sync), another client's statement would
    slip in between: statements of different shapes at once, through db.fetch and Piccolo
    outside any transaction, each come back with their own answer."""
    from jogo.platform.tables import TenantRow

    async def shaped(i: int) -> bool:
        if i % 3 == 0:
            rows = await db.fetch("SELECT $1::int + 1 AS n", i)
            return rows[0]["n"] == i + 1
        if i % 3 == 1:
            rows = await db.fetch("SELECT $1::text || $2::text AS t, $3::int AS u", "a", str(i), i)
            return (rows[0]["t"], rows[0]["u"]) == (f"a{i}", i)
        found = await TenantRow.select(TenantRow.slug).where(TenantRow.slug == f"none-{i}")
        return found == []

    outcomes = await asyncio.gather(*(shaped(i) for i in range(300)), return_exceptions=True)
    failures = [o for o in outcomes if o is not True]
    assert failures == [], failures[:5]
