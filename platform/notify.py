"""Live events across processes through PostgreSQL LISTEN/NOTIFY.

A write publishes ``(topic, tenant, id)`` inside its transaction, so subscribers hear of
it only after commit. Each process holds one listening connection and hands ids to the
subscribers of that exact tenant; they load the row through ``tenant_tx``, so what they
read is still subject to row-level security.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from jogo.platform import db

CHANNEL = "jogo_events"
QUEUE_SIZE = 1000
log = logging.getLogger("jogo.notify")


async def publish(topic: str, tenant_id: uuid.UUID, ref: uuid.UUID | str) -> None:
    """Call inside the writing transaction: delivered on commit, dropped on rollback."""
    payload = json.dumps({"topic": topic, "tenant": str(tenant_id), "id": str(ref)})
    await db.fetch("SELECT pg_notify($1, $2)", CHANNEL, payload)


class EventHub:
    def __init__(self) -> None:
        self._subscribers: dict[tuple[str, uuid.UUID], set[asyncio.Queue[str]]] = defaultdict(set)
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def _ensure_listening(self) -> None:
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return
            dsn = db.ENGINE.config.get("dsn")
            if not dsn:
                raise db.DatabaseNotConfigured("the database is not started")
            self._conn = await asyncpg.connect(dsn)
            await self._conn.add_listener(CHANNEL, self._on_notify)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            data = json.loads(payload)
            key = (data["topic"], uuid.UUID(data["tenant"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed notification: %.200s", payload)
            return
        for queue in self._subscribers.get(key, ()):
            try:
                queue.put_nowait(data["id"])
            except asyncio.QueueFull:
                log.warning("a slow subscriber of %s dropped an event", key)

    @asynccontextmanager
    async def subscribe(
        self, topic: str, tenant_id: uuid.UUID
    ) -> AsyncIterator[asyncio.Queue[str]]:
        await self._ensure_listening()
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[(topic, tenant_id)].add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get((topic, tenant_id))
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[(topic, tenant_id)]

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


HUB = EventHub()
