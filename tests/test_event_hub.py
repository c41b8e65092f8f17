"""The process's LISTEN connection (``jogo.platform.notify.EventHub``) against the real
database: several feeds of one tenant share it, a lost connection is opened again while
anyone listens, a malformed revocation is logged and skipped, and ``close`` ends it.
Each test uses its own hub, so the app's hub (``HUB``) is left alone."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

from helpers import eventually

from jogo.platform.auth import revocation
from jogo.platform.notify import CHANNEL, EventHub


def event(tenant_id: uuid.UUID, ref: str, topic: str = "reports") -> str:
    return json.dumps({"topic": topic, "tenant": str(tenant_id), "id": ref})


async def backend_alive(owner, pid: int) -> bool:
    return bool(await owner.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid))


async def test_two_feeds_of_one_tenant_share_the_channel_and_one_may_leave(owner, database):
    hub = EventHub()
    tenant_id = uuid.uuid4()
    try:
        async with hub.subscribe("reports", tenant_id) as first:
            async with hub.subscribe("reports", tenant_id) as second:
                await owner.execute("SELECT pg_notify($1, $2)", CHANNEL, event(tenant_id, "r1"))
                assert await asyncio.wait_for(first.get(), 10) == "r1"
                assert await asyncio.wait_for(second.get(), 10) == "r1"
            # The second left; the first still hears its tenant's events.
            await owner.execute("SELECT pg_notify($1, $2)", CHANNEL, event(tenant_id, "r2"))
            assert await asyncio.wait_for(first.get(), 10) == "r2"
            assert second.empty()
    finally:
        await hub.close()


async def test_a_lost_connection_is_opened_again_and_close_ends_it(owner, database):
    hub = EventHub()
    tenant_id = uuid.uuid4()
    try:
        async with hub.subscribe("reports", tenant_id) as queue:
            assert hub._conn is not None
            lost = hub._conn.get_server_pid()
            await owner.execute("SELECT pg_terminate_backend($1)", lost)

            def listening_again() -> bool:
                conn = hub._conn
                return conn is not None and not conn.is_closed() and conn.get_server_pid() != lost

            await eventually(listening_again, "the hub to listen on a new connection")
            # Events committed now reach the feed that was open across the loss.
            await owner.execute("SELECT pg_notify($1, $2)", CHANNEL, event(tenant_id, "after"))
            assert await asyncio.wait_for(queue.get(), 10) == "after"
            current = hub._conn.get_server_pid()
            assert await backend_alive(owner, current)
    finally:
        await hub.close()
    # close() terminated the listening connection: its backend goes away.
    deadline = asyncio.get_running_loop().time() + 10
    while await backend_alive(owner, current):
        assert asyncio.get_running_loop().time() < deadline, "the LISTEN backend outlived close()"
        await asyncio.sleep(0.05)


async def test_a_malformed_revocation_is_logged_and_skipped(owner, database, caplog):
    hub = EventHub()
    heard: list[tuple[str, uuid.UUID]] = []
    hub.on_revocation(lambda kind, ref: heard.append((kind, ref)))
    user_id = uuid.uuid4()
    caplog.set_level(logging.WARNING, logger="jogo.notify")
    try:
        async with hub.watching():
            await owner.execute("SELECT pg_notify($1, 'sheriff:nobody')", revocation.CHANNEL)
            await owner.execute("SELECT pg_notify($1, $2)", revocation.CHANNEL, f"user:{user_id}")
            # Notifications arrive in order: once the good one is heard, the bad one was seen.
            await eventually(lambda: heard, "the well-formed revocation")
    finally:
        await hub.close()
    assert heard == [("user", user_id)]
    warnings = [r.getMessage() for r in caplog.records if r.name == "jogo.notify"]
    # The app's own hub may be listening in this process too (an earlier test started
    # it) and log the same line: every warning is this one, and there is one at least.
    assert warnings and set(warnings) == {"ignored a malformed revocation: sheriff:nobody"}
