"""Issue 19 attacked: the product behind a real PgBouncer 1.18 in transaction mode, and the
relay and ``/readyz`` when what they depend on is away or hangs.

- PgBouncer killed in the middle of a mixed load (operators' lists, citizens'
  submissions, outbox rows, two tenants): no 500 while it is down, everything answers
  again once it is back, no foreign rows, no acknowledged outbox row lost.
- Cancelled and parallel duplicate requests through the pooler: one report per
  idempotency key, no connection left ``idle in transaction``.
- The relay when it can't LISTEN: it publishes on its poll, its ``/readyz`` says
  ``relay: not listening`` (``/healthz`` stays ok), and it listens again on its own.
- ``/readyz`` with every check hung answers 503 within its bound, which is below the
  Kubernetes probes' ``timeoutSeconds``.
- Refusals through the pooler (another tenant's id, an expired token, a read-only key, a
  citizen's scope), a storm of ``/readyz``, and a live feed while the pooler is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
import yaml
from helpers import (
    ROOT,
    SUBMIT,
    Pgbouncer,
    bearer_for,
    engine_as,
    eventually,
    feed_socket,
    gql,
    idle_in_transaction,
    make_user,
    next_message,
    onboard,
    relay_running,
    report_input,
    start_feed,
    submit,
    through_pooler,
    wait_for_listeners,
    wait_until,
)
from pg_proxy import PgProxy

from jogo.platform import db, outbox
from jogo.platform.app import routes
from jogo.platform.app.factory import create_health_app
from jogo.platform.app.runner import NEEDS
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.platform.settings import Settings

LIST = "query { reports(first: 100) { edges { node { id ticket } } } }"
REPORT = "query($id: ID!) { report(id: $id) { id ticket } }"
IDEMPOTENCY = "Idempotency-Key"


@pytest.fixture
async def own_pooler(tmp_path: Path) -> AsyncIterator[Pgbouncer]:
    """A PgBouncer of this test's own (the session's ``pooler`` is shared: never killed)."""
    bouncer = Pgbouncer(tmp_path / "pgbouncer").start()
    try:
        yield bouncer
    finally:
        bouncer.stop()


@pytest.fixture
async def through_own(database: str, settings: Settings, own_pooler: Pgbouncer):
    async with engine_as(through_pooler(settings, own_pooler, database)) as through:
        yield through


@pytest.fixture
async def pooled(database: str, settings: Settings, pooler: Pgbouncer):
    async with engine_as(through_pooler(settings, pooler, database)) as through:
        yield through


async def _probe(app: Any, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path)


def _edges(body: dict) -> list[str]:
    edges = ((body.get("data") or {}).get("reports") or {}).get("edges") or []
    return [e["node"]["id"] for e in edges]


# --- (a) the pooler killed in the middle of the load ----------------------------------


async def test_the_pooler_killed_mid_load_answers_503_not_500_and_loses_nothing(
    through_own, own_pooler, app_client, two_tenants, owner, broker
):
    a, b = two_tenants.a, two_tenants.b
    settings = through_own
    operators, citizens = {}, {}
    for t in (a, b):
        operators[t.slug] = bearer_for(*(await make_user(Role.OPERATOR, t)), settings)
        citizens[t.slug] = bearer_for(*(await make_user(Role.CITIZEN, t)), settings)
    statuses: Counter[int] = Counter()
    submitted: dict[str, set[str]] = {a.slug: set(), b.slug: set()}
    listed: list[tuple[str, list[str]]] = []
    enqueued: list[int] = []
    unavailable_reasons: Counter[str] = Counter()

    async def list_one(slug: str) -> int:
        r = await app_client.post(
            f"/t/{slug}/graphql", json={"query": LIST}, headers=operators[slug]
        )
        statuses[r.status_code] += 1
        body = r.json()
        if r.status_code == 200 and "errors" not in body:
            listed.append((slug, _edges(body)))
        elif r.status_code != 200 or body.get("errors"):
            unavailable_reasons[str(body.get("errors", [{}])[0].get("extensions"))] += 1
        return r.status_code

    async def submit_one(slug: str) -> int:
        r = await app_client.post(
            f"/t/{slug}/graphql",
            json={"query": SUBMIT, "variables": {"input": report_input()}},
            headers=citizens[slug],
        )
        statuses[r.status_code] += 1
        body = r.json()
        payload = (body.get("data") or {}).get("submitReport") or {}
        if r.status_code == 200 and payload.get("report") and not payload.get("errors"):
            submitted[slug].add(payload["report"]["id"])
        return r.status_code

    async def enqueue_one(tenant_id: uuid.UUID) -> None:
        # The outbox writer through the pooler: acknowledged rows must all go out.
        with contextlib.suppress(Exception):
            async with db.control_tx():
                row = await outbox.enqueue("sweep_report_slas", {}, tenant_id)
            enqueued.append(row)

    async def one_round() -> list[int]:
        calls: list[Any] = []
        for t in (a, b):
            calls += [list_one(t.slug) for _ in range(4)] + [submit_one(t.slug)]
            calls.append(enqueue_one(t.id))
        outcomes = await asyncio.gather(*calls)
        return [o for o in outcomes if isinstance(o, int)]

    async with relay_running(broker):
        for _ in range(3):  # before
            assert set(await one_round()) == {200}
        # Killed in the middle of a round (requests in flight, transactions open): every
        # server and client connection of the pooler is gone at once.
        in_flight = asyncio.create_task(one_round())
        await asyncio.sleep(0.02)
        own_pooler.stop()
        down = await in_flight
        for _ in range(4):
            down += await one_round()
        own_pooler.start()  # back, on the same port
        back = 0

        async def recovered() -> bool:
            nonlocal back
            back += 1
            return set(await one_round()) == {200}

        await wait_until(recovered, 60, "the API to answer again once the pooler is back")
        for _ in range(5):  # after
            assert set(await one_round()) == {200}

        async def all_published() -> bool:
            left = await owner.fetchval(
                "SELECT count(*) FROM outbox WHERE id = ANY($1::bigint[]) AND published_at IS NULL",
                enqueued,
            )
            return left == 0

        await wait_until(all_published, 60, "the relay to publish every acknowledged row")
    print(
        f"\nstatuses {dict(statuses)}; while down {dict(Counter(down))}; rounds to recover {back};"
        f" reasons {dict(unavailable_reasons)}; lists {len(listed)};"
        f" reports {sum(map(len, submitted.values()))}; outbox rows {len(enqueued)}"
    )
    assert statuses[500] == 0 and set(statuses) <= {200, 503}, statuses
    assert set(down) - {200} <= {503}, down
    assert 503 in down, statuses
    own = {
        t.slug: {
            str(r["id"])
            for r in await owner.fetch("SELECT id FROM reports WHERE tenant_id = $1", t.id)
        }
        for t in (a, b)
    }
    # Every acknowledged submission is there, in its own tenant; no list showed a
    # foreign row; every acknowledged outbox row exists (and was published, above).
    assert all(submitted[slug] <= own[slug] for slug in own), submitted
    foreign = sum(len(set(ids) - own[slug]) for slug, ids in listed)
    assert foreign == 0
    assert len(enqueued) == await owner.fetchval(
        "SELECT count(*) FROM outbox WHERE id = ANY($1::bigint[])", enqueued
    )
    await eventually(lambda: _no_idle_in_transaction(owner), "no idle in transaction")


async def _no_idle_in_transaction(owner: Any) -> bool:
    return await idle_in_transaction(owner) == 0


# --- (b) cancelled and duplicate requests through the pooler ----------------------------


async def test_parallel_duplicates_through_the_pooler_make_one_report(
    pooled, app_client, owner, settings
):
    tenant = await onboard("minimal")
    operator = bearer_for(*(await make_user(Role.OPERATOR, tenant)), settings)
    key = str(uuid.uuid4())

    async def send() -> dict:
        status, body = await gql(
            app_client,
            f"/t/{tenant.slug}/graphql",
            SUBMIT,
            {**operator, IDEMPOTENCY: key},
            input=report_input(),
        )
        assert status == 200 and "errors" not in body, body
        return body["data"]["submitReport"]

    answers = await asyncio.gather(*(send() for _ in range(12)))
    tickets = {a["report"]["ticket"] for a in answers if a["report"]}
    codes = {e["code"] for a in answers for e in a["errors"]}
    assert len(tickets) == 1, answers
    assert codes <= {"CONFLICT", "BUSY", "UNAVAILABLE"}, answers  # a retry may be told to wait
    count = await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", tenant.id)
    assert count == 1


async def test_parallel_anonymous_duplicates_answer_one_report_not_rate_limited(
    pooled, app_client, owner
):
    """An anonymous caller's retries of one submission, sent at once (a flaky network):
    more of them than the anonymous limit (10 per address), yet every one answers the same
    report and PIN; none is refused, and the limit counts one report."""
    tenant = await onboard("minimal")
    key = uuid.uuid4().hex

    async def send() -> dict:
        status, body = await gql(
            app_client,
            f"/t/{tenant.slug}/graphql",
            SUBMIT,
            None,
            input=report_input(anonymous=True, clientKey=key),
        )
        assert status == 200 and "errors" not in body, body
        return body["data"]["submitReport"]

    answers = await asyncio.gather(*(send() for _ in range(16)))
    assert all(a["errors"] == [] for a in answers), answers
    assert len({(a["report"]["ticket"], a["pin"]) for a in answers}) == 1, answers
    count = await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", tenant.id)
    assert count == 1
    # The limit kept room for 9 more reports from this address.
    for n in range(9):
        made = await submit(app_client, tenant.slug, None, anonymous=True, title=f"Laporan {n}")
        assert made["errors"] == [] and made["report"], made


async def test_cancelled_requests_through_the_pooler_leave_no_transaction_open(
    pooled, app_client, owner, settings
):
    tenant = await onboard("minimal")
    operator = bearer_for(*(await make_user(Role.OPERATOR, tenant)), settings)
    for _ in range(5):
        await submit(app_client, tenant.slug, operator)
    rng = random.Random(19)

    async def request(i: int) -> None:
        if i % 2:
            await gql(app_client, f"/t/{tenant.slug}/graphql", LIST, operator)
        else:
            await gql(
                app_client, f"/t/{tenant.slug}/graphql", SUBMIT, operator, input=report_input()
            )

    cancelled = 0
    for i in range(60):
        task = asyncio.create_task(request(i))
        await asyncio.sleep(rng.choice([0, 0.001, 0.003, 0.01, 0.03]))
        if not task.done():
            task.cancel()
            cancelled += 1
        with contextlib.suppress(asyncio.CancelledError):
            await task
    print(f"\ncancelled {cancelled} of 60 requests through the pooler")
    assert cancelled > 0
    await eventually(lambda: _no_idle_in_transaction(owner), "no connection idle in transaction")
    # And the process still answers, through the same pool.
    status, body = await gql(app_client, f"/t/{tenant.slug}/graphql", LIST, operator)
    assert status == 200 and len(_edges(body)) >= 5, body


# --- (c) the relay when it can't LISTEN ------------------------------------------------


async def test_the_relay_publishes_on_its_poll_when_it_cannot_listen(
    database, settings, pooler, broker, owner
):
    """LISTEN through a proxy that refuses connections: the relay publishes on its poll,
    ``/readyz`` says ``relay: not listening`` and ``/healthz`` ok; once the proxy
    accepts, the relay listens again by itself (ready), and again after a cut."""
    proxy = await PgProxy(5432).start()
    await proxy.refuse()
    name = database.rpartition("/")[2]
    through = replace(
        through_pooler(settings, pooler, database),
        listen_database_url=f"postgresql://jogo_app@127.0.0.1:{proxy.port}/{name}",
    )
    tenant = await onboard("minimal")
    try:
        async with engine_as(through), relay_running(broker) as runner:
            await eventually(lambda: runner.listen_error is not None, "a failed LISTEN")
            await _one_row_published(owner, tenant.id)
            probes = create_health_app(through, NEEDS["relay"], {"relay": runner.prove_listening})
            ready = await _probe(probes, "/readyz")
            assert ready.status_code == 503, ready.text
            body = ready.json()
            assert body["database"] == "ok" and body["status"] == "unavailable", body
            assert not body["broker"].startswith("unavailable"), body
            assert body["notifications"] == "unavailable: relay: not listening", body
            assert (await _probe(probes, "/healthz")).status_code == 200
            await _one_row_published(owner, tenant.id)  # still publishing, on its poll
            await proxy.accept()

            async def ready_again() -> bool:
                return (await _probe(probes, "/readyz")).status_code == 200

            await wait_until(ready_again, 60, "the relay to listen again")
            proxy.cut_all()  # the LISTEN connection lost
            await eventually(lambda: runner.listen_error is not None, "the loss seen")
            await _one_row_published(owner, tenant.id)
            await wait_until(ready_again, 60, "the relay to listen again after a cut")
    finally:
        await proxy.close()


async def _one_row_published(owner: Any, tenant_id: uuid.UUID) -> None:
    async with db.control_tx():
        row = await outbox.enqueue("sweep_report_slas", {}, tenant_id)

    async def published() -> bool:
        sql = "SELECT published_at IS NOT NULL FROM outbox WHERE id = $1"
        return bool(await owner.fetchval(sql, row))

    await wait_until(published, 30, "the relay to publish a row")


# --- /readyz within the probe's timeout -------------------------------------------------


def _probe_timeouts() -> list[int]:
    found = []
    for path in sorted((ROOT / "infra" / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            for spec in _containers(doc):
                for probe in ("readinessProbe", "livenessProbe"):
                    if probe in spec:
                        found.append(int(spec[probe].get("timeoutSeconds", 1)))
    return found


def _containers(doc: Any) -> list[dict]:
    if not isinstance(doc, dict):
        return []
    spec = (((doc.get("spec") or {}).get("template") or {}).get("spec")) or {}
    return list(spec.get("containers") or [])


def test_readyz_bounds_sit_below_the_kubernetes_probe_timeout():
    timeouts = _probe_timeouts()
    assert timeouts, "infra/k8s has probes"
    # Checks run at once: the worst case is one bound, plus a second of slack.
    assert routes.LISTENER_TIMEOUT < routes.READY_TIMEOUT <= min(timeouts) - 1


async def test_hung_checks_answer_503_together_within_one_bound(settings, monkeypatch):
    """Every check hangs: /readyz answers 503 naming each, and the checks ran at once
    (each started before any was given up), so the answer takes one bound, not three."""
    events: list[str] = []

    def hanging(name: str):
        async def hang(*_: Any) -> str:
            events.append(f"start {name}")
            try:
                await asyncio.Event().wait()
            finally:
                events.append(f"stop {name}")
            return "ok"

        return hang

    monkeypatch.setattr(db, "ping", hanging("database"))
    monkeypatch.setattr(routes, "check_broker", hanging("broker"))
    app = create_health_app(settings, NEEDS["relay"], {"relay": hanging("relay")})
    r = await _probe(app, "/readyz")
    assert r.status_code == 503
    assert r.json() == {
        "database": f"unavailable: no answer within {routes.READY_TIMEOUT:g} s",
        "broker": f"unavailable: no answer within {routes.READY_TIMEOUT:g} s",
        "notifications": f"unavailable: relay: no answer within {routes.LISTENER_TIMEOUT:g} s",
        "status": "unavailable",
    }
    starts = [i for i, e in enumerate(events) if e.startswith("start")]
    stops = [i for i, e in enumerate(events) if e.startswith("stop")]
    assert len(starts) == len(stops) == 3 and max(starts) < min(stops), events


# --- refusals through the pooler -------------------------------------------------------


async def test_refusals_hold_through_the_pooler(pooled, app_client, two_tenants, settings):
    a, b = two_tenants.a, two_tenants.b
    op_a = bearer_for(*(await make_user(Role.OPERATOR, a)), settings)
    op_b = bearer_for(*(await make_user(Role.OPERATOR, b)), settings)
    mine = (await submit(app_client, b.slug, op_b))["report"]["id"]
    # Another tenant's report id answers as an id that does not exist at all.
    foreign = await gql(app_client, f"/t/{a.slug}/graphql", REPORT, op_a, id=mine)
    unknown = await gql(app_client, f"/t/{a.slug}/graphql", REPORT, op_a, id=str(uuid.uuid4()))
    assert foreign == unknown and foreign[0] == 200, (foreign, unknown)
    # An expired token is 401, not 500.
    user_id, username = await make_user(Role.OPERATOR, a)
    expired = bearer_for(user_id, username, settings, ttl=-60)
    status, body = await gql(app_client, f"/t/{a.slug}/graphql", LIST, expired)
    assert status == 401, body
    # A read-only key reads, and can't write.
    key = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest")
    reader = {"X-API-Key": key.key}
    status, body = await gql(app_client, f"/t/{a.slug}/graphql", LIST, reader)
    assert status == 200 and "errors" not in body, body
    status, body = await gql(
        app_client, f"/t/{a.slug}/graphql", SUBMIT, reader, input=report_input()
    )
    assert status in (200, 403) and status != 500, body
    payload = (body.get("data") or {}).get("submitReport")
    assert payload is None or payload["report"] is None, body
    assert body.get("errors") or payload["errors"], body


async def test_a_citizen_sees_only_own_reports_through_the_pooler(
    pooled, app_client, two_tenants, settings
):
    a = two_tenants.a
    me = bearer_for(*(await make_user(Role.CITIZEN, a)), settings)
    other = bearer_for(*(await make_user(Role.CITIZEN, a)), settings)
    mine = {(await submit(app_client, a.slug, me))["report"]["id"] for _ in range(3)}
    theirs = {(await submit(app_client, a.slug, other))["report"]["id"] for _ in range(3)}
    status, body = await gql(app_client, f"/t/{a.slug}/graphql", LIST, me)
    assert status == 200, body
    seen = set(_edges(body))
    assert seen == mine and not seen & theirs, body
    for rid in theirs:
        status, body = await gql(app_client, f"/t/{a.slug}/graphql", REPORT, me, id=rid)
        assert status == 200 and (body.get("data") or {}).get("report") is None, body


async def test_a_readyz_storm_through_the_pooler_answers_and_leaves_the_pool(
    pooled, app_client, settings
):
    tenant = await onboard("minimal")
    operator = bearer_for(*(await make_user(Role.OPERATOR, tenant)), settings)
    answers = await asyncio.gather(*(app_client.get("/readyz") for _ in range(50)))
    bodies = [r.json() for r in answers]
    assert {r.status_code for r in answers} == {200}, bodies
    assert {b["database"] for b in bodies} <= {"ok", "busy"}
    assert {b["notifications"] for b in bodies} <= {"ok", "busy"}
    # The pool is free again: a request right after answers.
    status, body = await gql(app_client, f"/t/{tenant.slug}/graphql", LIST, operator)
    assert status == 200 and "errors" not in body, body


# --- a live feed while the pooler is away ----------------------------------------------


async def test_a_live_feed_while_the_pooler_is_killed_goes_on_or_ends_clearly(
    through_own, own_pooler, live_server, app_client, owner
):
    """LISTEN is direct, so notifications still arrive while the pooler is away; each is
    read through the pooler, which fails. The feed must then end with an error (or go
    on and deliver what comes after the pooler is back), never fall silent; /readyz says
    the database is unavailable meanwhile."""
    tenant = await onboard("minimal")
    user_id, username = await make_user(Role.OPERATOR, tenant)
    headers = bearer_for(user_id, username, through_own)
    ws = await feed_socket(f"ws://{live_server}/t/{tenant.slug}/graphql")
    try:
        await start_feed(ws, headers["Authorization"])
        await wait_for_listeners(1, tenant.id)
        first = (await submit(app_client, tenant.slug, headers))["report"]
        got = await next_message(ws, 15)
        assert got["payload"]["data"]["reportEvents"]["ticket"] == first["ticket"], got
        own_pooler.stop()
        # An event announced while the pooler is away (sent directly as the owner; one
        # the feed has not read yet, so it must read it through the pooler).
        event = uuid.uuid4()
        await owner.execute(
            "SELECT pg_notify('jogo_events', $1)",
            f'{{"topic": "report_events", "tenant": "{tenant.id}", "id": "{event}"}}',
        )
        ready = await app_client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"].startswith("unavailable")
        ended: dict | None = None
        with contextlib.suppress(TimeoutError):
            ended = await next_message(ws, 15)
        own_pooler.start()
        if ended is not None:  # it ended, and said why: UNAVAILABLE, then complete
            errors = ended.get("payload", {}).get("errors") or ended.get("payload") or []
            codes = {(e.get("extensions") or {}).get("code") for e in errors}
            assert ended["type"] in ("next", "error") and codes == {"UNAVAILABLE"}, ended
            if ended["type"] == "next":
                assert (await next_message(ws, 15))["type"] == "complete"
            print(f"\nthe feed ended: {ended}")
            return
        # Or it went on: what comes after the pooler is back is delivered.
        await wait_until(_answers(app_client), 60, "the API to answer again")
        later = (await submit(app_client, tenant.slug, headers))["report"]
        async with asyncio.timeout(30):
            while True:
                got = await next_message(ws, 15)
                assert got["type"] == "next", got
                if got["payload"]["data"]["reportEvents"]["ticket"] == later["ticket"]:
                    break
    finally:
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.close()


def _answers(client: httpx.AsyncClient):
    async def check() -> bool:
        return (await client.get("/readyz")).status_code == 200

    return check


async def test_readyz_answers_in_its_bound_while_the_pooler_is_frozen(
    through_own, own_pooler, app_client, settings
):
    """A pooler that stops answering (SIGSTOP: connections open, nothing comes back) must
    not hang ``/readyz`` past its bound: 503, the database check named; after SIGCONT the
    process is ready again and answers requests."""
    import os
    import signal

    tenant = await onboard("minimal")
    operator = bearer_for(*(await make_user(Role.OPERATOR, tenant)), settings)
    assert (await app_client.get("/readyz")).status_code == 200
    assert own_pooler.process is not None
    os.kill(own_pooler.process.pid, signal.SIGSTOP)
    try:
        answers = await asyncio.gather(*(app_client.get("/readyz") for _ in range(5)))
    finally:
        os.kill(own_pooler.process.pid, signal.SIGCONT)
    bodies = [r.json() for r in answers]
    assert {r.status_code for r in answers} == {503}, bodies
    assert {b["database"] for b in bodies} <= {
        f"unavailable: no answer within {routes.READY_TIMEOUT:g} s",
        "unavailable: DatabaseUnreachable",
    }, bodies
    await wait_until(_answers(app_client), 60, "the API to be ready again")
    status, body = await gql(app_client, f"/t/{tenant.slug}/graphql", LIST, operator)
    assert status == 200 and "errors" not in body, body
