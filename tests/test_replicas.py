"""Replicas on one machine (issue 8): several relay, worker and API processes against one
PostgreSQL and one RabbitMQ, started by the tests; and SIGTERM in the middle of work."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import time
from pathlib import Path

import httpx
import pika
import pytest
import websockets
from helpers import (
    AMQP_URL,
    Part,
    auth_header,
    dispatched_report,
    free_port,
    gql,
    make_agency,
    onboard,
    submit,
    wait_until,
)

from jogo.platform.auth.roles import Role

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def parts(database, settings, tmp_path, broker):
    started: list[Part] = []

    async def start(*args: str) -> Part:
        part = await Part(list(args), database, settings, tmp_path).start()
        started.append(part)
        return part

    yield start
    for part in started:
        part.kill()
        if part.process is not None:
            await part.process.wait()


def drain_queue(name: str) -> list[dict]:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        messages = []
        while True:
            method, _, body = channel.basic_get(name, auto_ack=True)
            if method is None:
                return messages
            messages.append(json.loads(body))
    finally:
        connection.close()


async def test_two_relays_publish_each_row_exactly_once(parts, owner):
    tenant = await onboard("minimal")
    queue = os.environ["JOGO_QUEUE"]
    await asyncio.to_thread(drain_queue, queue)
    first, second = await parts("relay"), await parts("relay")
    # Rows arrive while both relays run: 3,000 in 30 commits.
    for _ in range(30):
        await owner.execute(
            "INSERT INTO outbox (tenant, actor, payload)"
            " SELECT $1, 'rollup_report', jsonb_build_object('report_id', gen_random_uuid())"
            " FROM generate_series(1, 100)",
            tenant.id,
        )
        await owner.execute("SELECT pg_notify('jogo_outbox', '')")
    ours = {
        r["id"] for r in await owner.fetch("SELECT id FROM outbox WHERE tenant = $1", tenant.id)
    }

    async def drained() -> bool:
        left = await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE tenant = $1 AND published_at IS NULL", tenant.id
        )
        return left == 0

    await wait_until(drained, 60, "the outbox to drain")
    for part in (first, second):
        code, _ = await part.stop()
        assert code == 0, part.log.read_text()
    sent = collections.Counter(
        m["options"]["outbox_id"] for m in await asyncio.to_thread(drain_queue, queue)
    )
    assert {i for i in sent if i in ours} == ours
    assert max(sent[i] for i in ours) == 1  # none twice


async def test_two_workers_share_the_load_and_deliver_once(
    app_client, settings, owner, parts, sink
):
    sink.delay_each = 0.05
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency = await make_agency(app_client, tenant.slug, admin, sink.url)
    await parts("relay")
    reports = [
        (await dispatched_report(app_client, settings, tenant, agency_id=agency))[1]
        for _ in range(40)
    ]

    async def published() -> bool:
        due = await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE tenant = $1 AND published_at IS NULL"
            " AND available_at <= now()",
            tenant.id,
        )
        return due == 0

    # The workers start on a full queue. Started first, they would take arriving messages
    # strictly in turn; each report sends a fixed number of messages (rollups, then the
    # delivery), so every delivery could land on the same worker by that rhythm alone.
    await wait_until(published, 60, "the outbox published")
    await parts("worker")
    await parts("worker")

    async def delivered() -> bool:
        n = await owner.fetchval(
            "SELECT count(*) FROM dispatches WHERE tenant_id = $1 AND status = 'DELIVERED'",
            tenant.id,
        )
        return n == len(reports)

    await wait_until(delivered, 90, "40 deliveries")
    keys = {
        str(r["idempotency_key"])
        for r in await owner.fetch(
            "SELECT idempotency_key FROM dispatches WHERE tenant_id = $1", tenant.id
        )
    }
    assert set(sink.effective()) == keys
    senders = collections.Counter(r.headers["x-jogo-sender"] for r in sink.received)
    assert len(senders) == 2, senders  # both worker processes delivered


async def test_two_api_processes_serve_the_same_tenants(settings, parts):
    tenant = await onboard("minimal")
    ports = [free_port(), free_port()]
    for port in ports:
        await parts("serve", "--host", "127.0.0.1", "--port", str(port))
    one, two = (httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=10) for p in ports)
    async with one, two:
        for client in (one, two):

            async def up(client=client) -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(up, 90, "the API to start")
        operator = await auth_header(settings, Role.OPERATOR, tenant)
        async with websockets.connect(
            f"ws://127.0.0.1:{ports[1]}/t/{tenant.slug}/graphql",
            subprotocols=["graphql-transport-ws"],
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": operator}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": "subscription { reportEvents { ticket event { kind } } }"
                        },
                    }
                )
            )
            # The subscription listens in the other process, out of our sight: submit
            # through the first API until the second one's feed names one of ours (a
            # deadline that fails), instead of sleeping until it "probably" listens.
            made: dict[str, dict] = {}
            deadline = time.monotonic() + 30
            message = None
            while message is None:
                assert time.monotonic() < deadline, "the second API's feed heard nothing"
                created = await submit(one, tenant.slug, operator, categoryCode="FLOOD")
                made[created["report"]["ticket"]] = created
                with contextlib.suppress(TimeoutError):
                    message = json.loads(await asyncio.wait_for(ws.recv(), 1))
        event = message["payload"]["data"]["reportEvents"]
        assert event["ticket"] in made and event["event"] == {"kind": "SUBMITTED"}, event
        ticket = event["ticket"]
        created = made[ticket]
        _, body = await gql(
            two,
            f"/t/{tenant.slug}/graphql",
            "query($id: ID!) { report(id: $id) { ticket status } }",
            operator,
            id=created["report"]["id"],
        )
        assert body["data"]["report"] == {"ticket": ticket, "status": "SUBMITTED"}


async def test_sigterm_mid_load_loses_nothing(app_client, settings, owner, parts, sink):
    """A worker stopped mid-stream hands back what it holds; the API finishes what it
    accepted; a relay stopped mid-stream leaves nothing unpublished for the next one."""
    sink.delay_each = 0.2
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency = await make_agency(app_client, tenant.slug, admin, sink.url)
    relay = await parts("relay")
    first = await parts("worker")
    reports = [
        (await dispatched_report(app_client, settings, tenant, agency_id=agency))[1]
        for _ in range(30)
    ]
    await asyncio.to_thread(sink.wait_for, 3, 30.0)
    code, took = await first.stop()
    assert code == 0 and took < 30, first.log.read_text()
    code, took = await relay.stop()
    assert code == 0 and took < 30, relay.log.read_text()
    await parts("relay")
    await parts("worker")

    async def delivered() -> bool:
        n = await owner.fetchval(
            "SELECT count(*) FROM dispatches WHERE tenant_id = $1 AND status = 'DELIVERED'",
            tenant.id,
        )
        return n == len(reports)

    await wait_until(delivered, 120, "every delivery after the restart")
    assert len(sink.effective()) == len(reports)

    # The API: requests in flight when SIGTERM lands are answered and kept.
    port = free_port()
    api = await parts("serve", "--host", "127.0.0.1", "--port", str(port))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:

        async def up() -> bool:
            try:
                return (await client.get("/healthz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(up, 90, "the API to start")
        citizen = await auth_header(settings, Role.CITIZEN, tenant)

        async def one() -> str | None:
            try:
                return (await submit(client, tenant.slug, citizen, categoryCode="FLOOD"))["report"][
                    "id"
                ]
            except httpx.TransportError:
                return None  # refused: never accepted, so nothing to keep

        calls = [asyncio.create_task(one()) for _ in range(20)]
        await asyncio.sleep(0.05)
        stopping = asyncio.create_task(api.stop())
        answered = [r for r in await asyncio.gather(*calls) if r]
        code, took = await stopping
    assert code == 0 and took < 30, api.log.read_text()
    assert answered  # some were in flight
    kept = await owner.fetchval("SELECT count(*) FROM reports WHERE id = ANY($1::uuid[])", answered)
    assert kept == len(answered)
