"""Live events across processes through PostgreSQL LISTEN/NOTIFY.

A write publishes ``(topic, tenant, id)`` inside its transaction, so subscribers hear of
it only after commit. Each process holds one listening connection and hands ids to the
subscribers of that exact tenant; they load the row through ``tenant_tx``, so what they
read is still subject to row-level security.

Delivery is paced (issue 19): the events of one ``(topic, tenant)`` are handed out in
order by one task, which first runs each distinct *prefetch* its subscribers gave (the
shared read of the event, once), then wakes the subscribers :data:`WAKE_BATCH` at a time,
letting the event loop serve other requests between batches: hundreds of live feeds
do not starve the requests that cause the events.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from jogo.platform import db
from jogo.platform.auth import revocation
from jogo.platform.outage import Backoff
from jogo.platform.telemetry import current_tenant_slug

CHANNEL = "jogo_events"
QUEUE_SIZE = 1000
CONNECT_TIMEOUT = 5.0
RELISTEN_CAP = 10.0  # seconds between attempts to listen again, at most
WAKE_BATCH = 10  # subscribers woken per turn of the event loop
PREFETCH_SECONDS = 2.0  # the longest an event's prefetch holds its delivery back
log = logging.getLogger("jogo.notify")

Key = tuple[str, uuid.UUID]  # (topic, tenant id)
# Run once per event before any subscriber wakes, given (tenant id, event id): typically the
# shared read every subscriber is about to make. Its failure is only logged.
Prefetch = Callable[[uuid.UUID, str], Awaitable[object]]


async def publish(topic: str, tenant_id: uuid.UUID, ref: uuid.UUID | str) -> None:
    """Call inside the writing transaction: delivered on commit, dropped on rollback."""
    payload = json.dumps({"topic": topic, "tenant": str(tenant_id), "id": str(ref)})
    await db.fetch("SELECT pg_notify($1, $2)", CHANNEL, payload)


class EventHub:
    """One LISTEN connection per process. When it is lost (a database restart) while
    anyone is subscribed, it is opened again in the background, with backoff, as soon as
    the database is back: live feeds resume by themselves. Notifications sent while it
    was away are not replayed (NOTIFY keeps nothing).

    The same connection listens for revoked callers (:mod:`jogo.platform.auth.revocation`)
    while any socket is open (:meth:`watching`), and hands each to the callbacks given
    to :meth:`on_revocation`."""

    def __init__(self) -> None:
        # Each subscriber's queue, with the prefetch it asked for (in subscription order).
        self._subscribers: dict[Key, dict[asyncio.Queue[str], Prefetch | None]] = defaultdict(dict)
        # Events heard and not yet handed out, and the task handing them out, per key.
        self._pending: dict[Key, deque[str]] = {}
        self._delivering: dict[Key, asyncio.Task[None]] = {}
        self._idle_callbacks: list[Callable[[str, uuid.UUID], None]] = []
        self._slugs: dict[Key, str] = {}  # the tenant's slug, for the delivery's spans
        self._revocation_callbacks: list[Callable[[str, uuid.UUID], None]] = []
        self._watchers = 0
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._relisten: asyncio.Task[None] | None = None
        self._closing = False

    async def _ensure_listening(self) -> None:
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return
            self._closing = False
            # JOGO_LISTEN_DATABASE_URL: never through a transaction pooler.
            conn = await db.connect_listener()
            await conn.add_listener(CHANNEL, self._on_notify)
            await conn.add_listener(revocation.CHANNEL, self._on_revoked)
            conn.add_termination_listener(self._on_lost)
            self._conn = conn

    def _wanted(self) -> bool:
        return bool(self._subscribers or self._watchers)

    def _on_lost(self, _conn: Any) -> None:
        if self._closing or not self._wanted():
            return  # closed on purpose, or nobody listens: the next subscribe reconnects
        if self._relisten is None or self._relisten.done():
            self._relisten = asyncio.get_running_loop().create_task(self._listen_again())

    async def _listen_again(self) -> None:
        backoff = Backoff("live events", log, first=0.5, cap=RELISTEN_CAP)
        while self._wanted() and not self._closing:
            try:
                await self._ensure_listening()
            except Exception as exc:  # the database is still away
                await asyncio.sleep(backoff.failed(exc))
                continue
            backoff.succeeded()
            return

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            data = json.loads(payload)
            key = (data["topic"], uuid.UUID(data["tenant"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed notification: %.200s", payload)
            return
        if key not in self._subscribers:
            return
        self._pending.setdefault(key, deque()).append(str(data["id"]))
        if key not in self._delivering:
            # A context of its own, with only the tenant's slug (its spans carry it): the
            # task keeps no caller's context variables alive.
            context = contextvars.Context()
            slug = self._slugs.get(key)
            if slug is not None:
                context.run(current_tenant_slug.set, slug)
            task = asyncio.get_running_loop().create_task(self._deliver(key), context=context)
            self._delivering[key] = task

    async def _deliver(self, key: Key) -> None:
        """Hand out the pending events of ``key`` in order: prefetch each once, then put it
        into every subscriber's queue, ``WAKE_BATCH`` subscribers per turn of the loop."""
        pending = self._pending[key]
        try:
            while pending:
                ref = pending.popleft()
                subscribers = self._subscribers.get(key)
                if not subscribers:
                    continue
                prefetches = {p for p in subscribers.values() if p is not None}
                for prefetch in prefetches:
                    try:
                        # A slow read does not hold the feeds back for long: they wait for
                        # it themselves (a shared read goes on when this wait ends).
                        async with asyncio.timeout(PREFETCH_SECONDS):
                            await prefetch(key[1], ref)
                    except Exception as exc:  # each subscriber reads (and fails) on its own
                        log.debug("prefetching %s %s failed: %r", key, ref, exc)
                for n, queue in enumerate(list(subscribers)):
                    if n and n % WAKE_BATCH == 0:
                        await asyncio.sleep(0)
                    try:
                        queue.put_nowait(ref)
                    except asyncio.QueueFull:
                        log.warning("a slow subscriber of %s dropped an event", key)
        finally:
            del self._delivering[key]
            if pending:  # cancelled (close) with events left: they are dropped
                pending.clear()
            self._pending.pop(key, None)

    def _on_revoked(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        found = revocation.parse(payload)
        if found is None:
            log.warning("ignored a malformed revocation: %.200s", payload)
            return
        for callback in self._revocation_callbacks:
            callback(*found)

    def on_idle(self, callback: Callable[[str, uuid.UUID], None]) -> None:
        """``callback(topic, tenant_id)`` when the last subscriber of that tenant's topic
        leaves: caches kept for those subscribers can be dropped."""
        self._idle_callbacks.append(callback)

    def subscribers(self, topic: str | None = None, tenant_id: uuid.UUID | None = None) -> int:
        """How many subscriptions are open in this process (of one topic and/or tenant)."""
        return sum(
            len(queues)
            for (t, tenant), queues in self._subscribers.items()
            if (topic is None or t == topic) and (tenant_id is None or tenant == tenant_id)
        )

    def on_revocation(self, callback: Callable[[str, uuid.UUID], None]) -> None:
        """``callback(kind, id)`` for every revoked caller announced while listening."""
        self._revocation_callbacks.append(callback)

    @asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Keep listening for revocations while the block runs (an open socket). When
        the database can't be reached now, listening is retried in the background; the
        socket's own checks still apply meanwhile."""
        self._watchers += 1
        try:
            try:
                await self._ensure_listening()
            except Exception as exc:  # the database is away: listen again when it is back
                log.warning("could not listen for revocations: %r", exc)
                self._on_lost(None)
            yield
        finally:
            self._watchers -= 1

    @asynccontextmanager
    async def subscribe(
        self, topic: str, tenant_id: uuid.UUID, prefetch: Prefetch | None = None
    ) -> AsyncIterator[asyncio.Queue[str]]:
        """Within the block, a queue (at most :data:`QUEUE_SIZE`, 1000, items) that receives the id
        of every ``topic`` event published for ``tenant_id`` after commit, in commit order; when it
        is full further events are dropped with a warning. ``prefetch(tenant_id, id)``, when given,
        is awaited once per event before subscribers wake (at most :data:`PREFETCH_SECONDS`),
        however many gave the same function.
        Starts this process's LISTEN connection if needed (may raise if the database is
        unreachable); the queue is detached on exit, and the last subscriber of a key to leave
        calls the :meth:`on_idle` callbacks."""
        await self._ensure_listening()
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        key = (topic, tenant_id)
        self._subscribers[key][queue] = prefetch
        slug = current_tenant_slug.get()
        if slug is not None:
            self._slugs[key] = slug
        try:
            yield queue
        finally:
            # The key holds this queue until here: it is removed only once empty.
            subscribers = self._subscribers[key]
            subscribers.pop(queue, None)
            if not subscribers:
                del self._subscribers[key]
                self._slugs.pop(key, None)
                for callback in self._idle_callbacks:
                    try:
                        callback(topic, tenant_id)
                    except Exception:
                        log.exception("an idle callback of %s failed", key)

    async def close(self) -> None:
        """Stop listening for good: cancel any pending re-listen and terminate the LISTEN
        connection. Subscribers get no more events."""
        self._closing = True
        for task in list(self._delivering.values()):
            task.cancel()
        if self._relisten is not None:
            self._relisten.cancel()
            self._relisten = None
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    async def prove_listening(self) -> str:
        """For ``/readyz``: listen now if nobody has yet (and again if the connection was
        lost), then prove that a NOTIFY sent through the app pool reaches this hub's
        connection (:func:`jogo.platform.db.prove_listening`: ``"ok"`` or ``"busy"``;
        raises when it does not arrive within 2 s or the database can't be reached)."""
        await self._ensure_listening()
        return await db.prove_listening(self._conn)


HUB = EventHub()
