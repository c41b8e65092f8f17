"""The processes survive a database restart (issue 12, part 9).

API, relay, a Dramatiq worker (real RabbitMQ) and the scheduler run as real processes
against a PostgreSQL of the test's own (tests/own_postgres.py), under a steady bounded
load: submit, verify, dispatch to a fake agency. PostgreSQL is stopped with a fast
shutdown for a few seconds and started again, then its postmaster is killed with -9
mid-load and restarted, held in recovery for a while (every connection refused with
57P03, "the database system is starting up"), then opened.

Then we count: every acknowledged report stored once, every dispatch delivered once in
effect (one Idempotency-Key per dispatch at the agency), no due outbox row left
unpublished; the API never answered 500 or "Unexpected error"; liveness failed while
the relay could not complete a pass, and passed again after; and with the database
down again, relay, worker, scheduler and API stop on SIGTERM within Kubernetes' grace.
"""

from __future__ import annotations

import asyncio
import collections
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from agency_sink import AgencySink
from helpers import (
    AGENCY_DISPATCH,
    GRACE,
    SUBMIT,
    VERIFY,
    delete_queues,
    free_port,
    make_agency,
    provision,
    report_input,
    sign_in_admin,
    wait_until,
)
from own_postgres import OwnPostgres

ROOT = Path(__file__).resolve().parent.parent


CLIENTS = 3  # clients at once, each submitting, verifying and dispatching in turn
MAX_FLOWS = 300  # a bound on the load, whatever happens
RELAY_LIVENESS = 2  # seconds: short, so the outage shows on the relay's /healthz


@dataclass
class Load:
    """What the clients saw."""

    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    codes: collections.Counter[str] = field(default_factory=collections.Counter)
    bodies_500: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # intent title → report id
    first_try: set[str] = field(default_factory=set)  # intents acknowledged at once
    dispatched: set[str] = field(default_factory=set)  # report ids


class Retry(Exception):
    """The API could not serve the request now; a client tries again."""


async def _call(client: httpx.AsyncClient, load: Load, path: str, query: str, **variables):
    try:
        r = await client.post(path, json={"query": query, "variables": variables})
    except httpx.TransportError as exc:
        raise Retry(str(exc)) from None
    load.statuses[r.status_code] += 1
    if r.status_code >= 500 and r.status_code != 503:
        load.bodies_500.append(r.text[:500])
    if "Unexpected error" in r.text or "INTERNAL" in r.text:
        load.unexpected.append(r.text[:500])
    body = r.json()
    for error in body.get("errors") or []:
        load.codes[(error.get("extensions") or {}).get("code", "?")] += 1
    if r.status_code == 503:
        raise Retry("503")
    assert r.status_code == 200, r.text
    return body


def _payload(body: dict) -> dict:
    payload = next(iter((body.get("data") or {}).values()), None)
    if payload is None:
        # A top-level error: must be typed UNAVAILABLE (anything else is a defect).
        codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors", [])}
        assert codes == {"UNAVAILABLE"}, body
        raise Retry("unavailable")
    for error in payload.get("errors") or []:
        if error["code"] == "UNAVAILABLE":
            raise Retry("unavailable")
    return payload


async def _until_done(step, what: str, within: float = 60.0):
    """Retry ``step`` while the API can't serve; returns (result, tries)."""
    deadline = time.monotonic() + within
    tries = 0
    while True:
        tries += 1
        try:
            return await step(tries), tries
        except Retry:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: the API did not recover") from None
            await asyncio.sleep(0.2)


async def _flow(client, load: Load, slug: str, admin: dict, agency: str, title: str) -> None:
    path = f"/t/{slug}/graphql"
    client.headers.update(admin)

    async def submit(_: int) -> str:
        data = report_input(title=title)
        payload = _payload(await _call(client, load, path, SUBMIT, input=data))
        assert payload["errors"] == [] and payload["report"]["ticket"], payload
        return str(payload["report"]["id"])

    report_id, tries = await _until_done(submit, "submitReport")
    load.acknowledged[title] = report_id
    if tries == 1:
        load.first_try.add(title)

    async def move(mutation: str, done: set[str], **variables: str) -> None:
        async def step(tries: int) -> None:
            payload = _payload(await _call(client, load, path, mutation, **variables))
            if payload["errors"] and tries > 1:
                # An earlier try may have been done before its answer was lost.
                status = await _call(
                    client,
                    load,
                    path,
                    "query($id: ID!) { report(id: $id) { status } }",
                    id=report_id,
                )
                assert status["data"]["report"]["status"] in done, (payload, status)
                return
            assert payload["errors"] == [], payload

        await _until_done(step, mutation.split("(")[0])

    await move(VERIFY, {"VERIFIED", "DISPATCHED"}, id=report_id)
    await move(AGENCY_DISPATCH, {"DISPATCHED"}, r=report_id, a=agency)
    load.dispatched.add(report_id)


async def _run_load(
    base: str, load: Load, slug: str, admin: dict, agency: str, stop: asyncio.Event
) -> None:
    """Clients that go on until ``stop`` is set; each finishes the flow it is in."""
    intents = iter(f"Pohon tumbang nomor {i} {uuid.uuid4().hex[:8]}" for i in range(MAX_FLOWS))

    async def client_loop() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=15) as client:
            for title in intents:
                if stop.is_set():
                    return
                await _flow(client, load, slug, dict(admin), agency, title)
                await asyncio.sleep(0.2)  # steady, not a flood

    await asyncio.gather(*(client_loop() for _ in range(CLIENTS)))


async def _get(url: str) -> httpx.Response | None:
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            return await client.get(url)
    except httpx.TransportError:
        return None


async def _status(url: str) -> int | None:
    r = await _get(url)
    return None if r is None else r.status_code


async def test_processes_survive_a_database_restart(own_postgres: OwnPostgres, tmp_path):
    pg = own_postgres
    stack = await provision(pg, tmp_path)
    slug, owner_url, part = stack.slug, stack.owner_url, stack.part
    sink = AgencySink().start()
    try:
        api_port = free_port()
        health = {name: free_port() for name in ("relay", "worker", "scheduler")}
        api = await part("serve", "--host", "127.0.0.1", "--port", str(api_port))
        relay = await part(
            "relay",
            JOGO_HEALTH_PORT=str(health["relay"]),
            JOGO_LIVENESS_SECONDS=str(RELAY_LIVENESS),
        )
        worker = await part("worker", JOGO_HEALTH_PORT=str(health["worker"]))
        scheduler = await part("scheduler", JOGO_HEALTH_PORT=str(health["scheduler"]))
        base = f"http://127.0.0.1:{api_port}"
        probes = {name: f"http://127.0.0.1:{port}" for name, port in health.items()}

        async def all_ready() -> bool:
            urls = [f"{base}/readyz", *(f"{u}/readyz" for u in probes.values())]
            return all([await _status(u) == 200 for u in urls])

        try:
            await wait_until(all_ready, 120, "every process to be ready")
        except AssertionError:
            raise AssertionError(f"not ready: {stack.logs()}") from None
        async with httpx.AsyncClient(base_url=base, timeout=15) as client:
            admin = await sign_in_admin(client)
            agency = await make_agency(client, slug, admin, sink.url)

        load = Load()
        stop = asyncio.Event()
        running = asyncio.create_task(_run_load(base, load, slug, admin, agency, stop))

        def progressed(n: int):
            async def check() -> bool:
                if running.done():
                    running.result()  # a client failed: show why
                return len(load.acknowledged) >= n

            return check

        await wait_until(progressed(4), 60, "the load to start")
        await asyncio.to_thread(sink.wait_for, 1, 60.0)

        # 1. A fast shutdown, down for a few seconds: long enough for the relay's
        #    liveness to fail (it cannot complete a pass), and the relay's and worker's
        #    readiness to say why.
        await asyncio.to_thread(pg.stop, "fast")

        async def relay_stalled() -> bool:
            r = await _get(f"{probes['relay']}/healthz")
            return r is not None and r.status_code == 503 and "relay" in r.json()["stalled"]

        await wait_until(relay_stalled, 30, "the relay's liveness to fail during the outage")
        for name in ("relay", "worker"):
            r = await _get(f"{probes[name]}/readyz")
            assert r is not None and r.status_code == 503, (name, r and r.text)
            assert r.json()["database"].startswith("unavailable"), r.json()
        # Down until the clients have seen it too: every client answered 503 at least
        # once more (a condition with a deadline, not a fixed sleep).
        during = load.statuses[503]

        async def clients_saw_the_outage() -> bool:
            return load.statuses[503] >= during + CLIENTS

        await wait_until(clients_saw_the_outage, 30, "503s while the database is stopped")
        await asyncio.to_thread(pg.start)

        async def relay_alive() -> bool:
            return await _status(f"{probes['relay']}/healthz") == 200

        await wait_until(relay_alive, 60, "the relay to complete a pass after the restart")
        await wait_until(progressed(len(load.acknowledged) + 3), 60, "load after restart")

        # 2. kill -9 of the postmaster mid-load. It comes back in recovery, refusing every
        #    connection with 57P03 ("starting up"); the API must answer 503 meanwhile.
        await asyncio.to_thread(pg.kill_postmaster)
        await asyncio.to_thread(pg.start, accepting=False)
        with pytest.raises(asyncpg.CannotConnectNowError):
            await asyncpg.connect(owner_url)
        refused = load.statuses[503]

        async def answered_503() -> bool:
            return load.statuses[503] >= refused + 2 * CLIENTS

        await wait_until(answered_503, 30, "503s while the database refuses connections")
        await asyncio.to_thread(pg.stop, "fast")
        await asyncio.to_thread(pg.start)
        await wait_until(progressed(len(load.acknowledged) + 3), 60, "load after the crash")
        stop.set()
        await asyncio.wait_for(running, 60)  # every flow under way finishes, with retries

        # Every dispatch delivered, once in effect; nothing due left in the outbox.
        owner = await asyncpg.connect(owner_url)
        try:

            async def drained() -> bool:
                due = await owner.fetchval(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                    " AND available_at <= now()"
                )
                delivered = await owner.fetchval(
                    "SELECT count(*) FROM dispatches WHERE status = 'DELIVERED'"
                )
                return due == 0 and delivered == len(load.dispatched)

            await wait_until(drained, 60, "every dispatch delivered and the outbox drained")
            reports = await owner.fetch("SELECT id, title FROM reports")
            dispatches = await owner.fetch("SELECT report_id, idempotency_key FROM dispatches")
        finally:
            await owner.close()

        # The API: 503s while the database was away, never a 500 or "Unexpected error".
        assert not load.bodies_500, load.bodies_500[:3]
        assert not load.unexpected, load.unexpected[:3]
        assert set(load.statuses) <= {200, 503}, load.statuses
        assert set(load.codes) <= {"UNAVAILABLE"}, load.codes
        # Every acknowledged report is stored, once; a report acknowledged at the first
        # try has no twin (a retry only follows an answer that said "not done").
        by_title = collections.Counter(r["title"] for r in reports)
        stored = {str(r["id"]) for r in reports}
        assert len(load.dispatched) == len(load.acknowledged) < MAX_FLOWS
        assert set(load.acknowledged.values()) <= stored
        assert all(by_title[t] == 1 for t in load.first_try), by_title
        # One dispatch per report; the agency kept one delivery per Idempotency-Key.
        per_report = collections.Counter(str(d["report_id"]) for d in dispatches)
        assert set(per_report) == load.dispatched and max(per_report.values()) == 1
        keys = {str(d["idempotency_key"]) for d in dispatches}
        assert set(sink.effective()) == keys

        # Liveness and readiness are back everywhere.
        for name, url in probes.items():
            assert await _status(f"{url}/healthz") == 200, name

            # Readiness comes back within the listeners' reconnect backoff (the relay's
            # LISTEN retries on its own clock: CI caught it a beat behind the drain).
            async def ready(url: str = url) -> bool:
                return await _status(f"{url}/readyz") == 200

            await wait_until(ready, 30, f"{name} ready again")

        # 3. SIGTERM with the database down again: whatever their pools hold, every part
        #    stops within the grace period, and cleanly.
        await asyncio.to_thread(pg.stop, "fast")
        parts = {"relay": relay, "worker": worker, "scheduler": scheduler, "api": api}
        outcomes = await asyncio.gather(*(p.stop(GRACE[n] + 5) for n, p in parts.items()))
        for (name, p), (code, took) in zip(parts.items(), outcomes, strict=True):
            assert code == 0 and took < GRACE[name], (name, code, took, p.log.read_text()[-3000:])
        # The relay logged state changes (went, failed differently, recovered), a few per
        # outage for each of its two loops (publishing, and listening: issue 19); one line
        # per failed pass would be hundreds.
        relay_lines = [line for line in relay.log.read_text().splitlines() if "jogo.relay" in line]
        listening = [line for line in relay_lines if "relay LISTEN" in line]
        publishing = [line for line in relay_lines if line not in listening]
        assert len(listening) <= 12 and len(publishing) <= 12, relay_lines
        # Nothing was dead-lettered for a closing pool or an outage.
        worker_log = worker.log.read_text()
        assert "pool is closing" not in worker_log, worker_log[-3000:]
        assert "Retries exceeded" not in worker_log, worker_log[-3000:]
    finally:
        sink.stop()
        await stack.stop_all()
        await asyncio.to_thread(delete_queues, stack.queue)
