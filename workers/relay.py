"""The outbox relay (``jogo relay``, also inside ``jogo up``): due outbox rows go to
RabbitMQ through Dramatiq, then are marked published, in one transaction per batch.

Rows are claimed with ``FOR UPDATE SKIP LOCKED``, so several relays share the work.
Publishing blocks (pika, publisher confirms), so it runs on one dedicated thread, never
on the event loop. If the broker fails half-way, only the rows it confirmed are marked;
the rest stay due and go out on the next pass. A row published but not marked (a crash
between the two) goes out twice: actors are idempotent, so twice is once in effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import asyncpg
import dramatiq
from dramatiq.errors import ActorNotFound, BrokerConnectionError
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from jogo.platform import db
from jogo.platform.outbox import CHANNEL
from jogo.platform.telemetry import TENANT_ATTRIBUTE, current_tenant_slug, meter
from jogo.workers.middleware import message_tenant

log = logging.getLogger("jogo.relay")
tracer = trace.get_tracer("jogo.relay")
lag = meter().create_histogram(
    "jogo.outbox.lag", unit="s", description="From due to published, per outbox message"
)
BATCH = 200
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Row:
    id: int
    tenant: Any
    slug: str
    actor: str
    payload: dict[str, Any]
    traceparent: str | None
    due: float


class Relay:
    def __init__(self, broker: dramatiq.Broker, batch: int = BATCH) -> None:
        self.broker = broker
        self.batch = batch
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jogo-relay")
        self._wake = asyncio.Event()
        self._deferred: list[int] = []

    def _publish(self, rows: list[Row]) -> list[int]:
        """On the relay thread: send each row; returns the ids the broker confirmed."""
        done: list[int] = []
        deferred: list[int] = []
        for row in rows:
            ctx = propagate.extract({"traceparent": row.traceparent} if row.traceparent else {})
            token = otel_context.attach(ctx)
            tenant_token = message_tenant.set(row.tenant)
            slug_token = current_tenant_slug.set(row.slug)
            try:
                with tracer.start_as_current_span(
                    f"outbox publish {row.actor}",
                    kind=SpanKind.PRODUCER,
                    attributes={TENANT_ATTRIBUTE: row.slug, "jogo.outbox_id": row.id},
                ):
                    actor = self.broker.get_actor(row.actor)
                    actor.send_with_options(kwargs=row.payload, outbox_id=row.id)
            except ActorNotFound:
                # Not an outage: a newer release wrote it, or a bug. Set it aside for an
                # hour (so it cannot block the queue) and go on with the rest.
                log.error("outbox %d names unknown actor %r", row.id, row.actor)
                deferred.append(row.id)
                continue
            except (BrokerConnectionError, OSError) as exc:
                log.warning("broker unavailable after %d of %d: %s", len(done), len(rows), exc)
                break
            finally:
                current_tenant_slug.reset(slug_token)
                message_tenant.reset(tenant_token)
                otel_context.detach(token)
            done.append(row.id)
            lag.record(max(time.time() - row.due, 0.0), {"actor": row.actor})
        self._deferred = deferred
        return done

    async def run_once(self) -> int:
        """One batch; returns how many rows were published."""
        async with db.control_tx():
            records = await db.fetch(
                "SELECT o.id, o.tenant, t.slug, o.actor, o.payload, o.traceparent,"
                " extract(epoch FROM o.available_at) AS due"
                " FROM outbox o JOIN tenants t ON t.id = o.tenant"
                " WHERE o.published_at IS NULL AND o.available_at <= now()"
                " ORDER BY o.available_at, o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED",
                self.batch,
            )
            if not records:
                return 0
            rows = [
                Row(
                    r["id"],
                    r["tenant"],
                    r["slug"],
                    r["actor"],
                    json.loads(r["payload"]),
                    r["traceparent"],
                    float(r["due"]),
                )
                for r in records
            ]
            loop = asyncio.get_running_loop()
            published = await loop.run_in_executor(self._executor, self._publish, rows)
            if published:
                await db.fetch(
                    "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                    published,
                )
            if self._deferred:
                await db.fetch(
                    "UPDATE outbox SET available_at = now() + interval '1 hour'"
                    " WHERE id = ANY($1::bigint[])",
                    self._deferred,
                )
        return len(published)

    def _notified(self, *_: Any) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        """Publish as rows arrive (LISTEN), and at least every second (delayed retries)."""
        listener: asyncpg.Connection | None = None
        while True:
            try:
                if listener is None or listener.is_closed():
                    listener = await asyncpg.connect(db.ENGINE.config["dsn"])
                    await listener.add_listener(CHANNEL, self._notified)
                while await self.run_once() >= self.batch:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the relay must outlive any one failure
                log.warning("relay pass failed, retrying: %s", exc, exc_info=True)
                listener = None
                await asyncio.sleep(POLL_SECONDS)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
