"""Tenant and trace context across the broker.

On enqueue, ``tenant_id`` (and the slug, for span attributes) and the W3C
``traceparent`` of the current span go into the message options. Before the actor runs
they are restored on the worker thread: the OpenTelemetry context is attached and the
tenant is set, and :func:`jogo.workers.actors.jogo_actor` carries both onto the event
loop where the async actor body runs. The actor still reaches the database only through
``tenant_tx`` of that tenant.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import threading
import time
import uuid
from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from opentelemetry import context as otel_context
from opentelemetry import propagate

from jogo.platform import db
from jogo.platform.liveness import HEARTBEATS
from jogo.platform.telemetry import current_tenant_slug, meter

log = logging.getLogger("jogo.workers")

# The tenant a message is for: set by the relay before it publishes, and by this
# middleware before an actor runs.
message_tenant: contextvars.ContextVar[uuid.UUID | None] = contextvars.ContextVar(
    "jogo_message_tenant", default=None
)


queue_lag = meter().create_histogram(
    "jogo.queue.lag", unit="s", description="From enqueue to the actor starting"
)


class MissingTenant(Exception):
    """A message without a tenant cannot be processed: tenant data needs one."""


class TenantTraceMiddleware(dramatiq.Middleware):
    def __init__(self) -> None:
        self._local = threading.local()

    def before_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int) -> None:
        """Put the current tenant id (and slug) and the W3C ``traceparent``/``tracestate`` into the
        message options, unless already there. Raises :class:`MissingTenant` when no tenant is set:
        every message is a tenant's."""
        options = message.options
        if "tenant_id" not in options:
            tenant = message_tenant.get()
            if tenant is None:
                raise MissingTenant(f"{message.actor_name}: no tenant to send with")
            options["tenant_id"] = str(tenant)
            slug = current_tenant_slug.get()
            if slug:
                options["tenant_slug"] = slug
        if "traceparent" not in options:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            options.update({k: v for k, v in carrier.items() if k in ("traceparent", "tracestate")})

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        """Record the queue lag (seconds since enqueue, ``jogo.queue.lag``), then restore the
        message's trace context and tenant on the worker thread until the message is done."""
        # Time the message waited in RabbitMQ (Dramatiq stamps it on enqueue, in ms).
        waited = max(time.time() - message.message_timestamp / 1000, 0.0)
        queue_lag.record(waited, {"actor": message.actor_name})
        options = message.options
        carrier = {k: options[k] for k in ("traceparent", "tracestate") if k in options}
        tokens = (
            otel_context.attach(propagate.extract(carrier)),
            message_tenant.set(uuid.UUID(options["tenant_id"]) if "tenant_id" in options else None),
            current_tenant_slug.set(options.get("tenant_slug")),
        )
        self._local.tokens = tokens

    def _restore(self) -> None:
        tokens = getattr(self._local, "tokens", None)
        if tokens is None:
            return
        otel_token, tenant_token, slug_token = tokens
        current_tenant_slug.reset(slug_token)
        message_tenant.reset(tenant_token)
        otel_context.detach(otel_token)
        self._local.tokens = None

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        """Undo what :meth:`before_process_message` set, so the thread's next message starts
        clean."""
        self._restore()

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        """Undo what :meth:`before_process_message` set for a skipped message."""
        self._restore()


POOL_WATCH_SECONDS = 10.0  # how often the worker's pool is checked (heartbeat)
POOL_PING_TIMEOUT = 5.0
POOL_CLOSE_SECONDS = 5.0  # a graceful close, then the pool's connections are terminated


async def _watch_pool() -> None:
    """On the actors' loop: a ``SELECT 1`` through their pool every few seconds; each
    answer beats ``worker pool``. A pool that can no longer lend a connection (or a
    database away for long) stops the beats, and ``/healthz`` fails."""
    beat = HEARTBEATS.register("worker pool")
    try:
        while True:
            try:
                async with asyncio.timeout(POOL_PING_TIMEOUT):  # see workers/relay.py
                    await db.ping()
                beat()
            except Exception as exc:  # an outage; the actors' own retries report it
                log.debug("worker pool check failed: %s", exc)
            await asyncio.sleep(POOL_WATCH_SECONDS)
    finally:
        beat.close()


class EngineMiddleware(dramatiq.Middleware):
    """Opens the app-role pool on the worker's event loop thread once it has booted,
    and closes it once the worker has stopped: after the worker threads finished their
    messages and the consumers stopped taking new ones (Dramatiq requeues what they had
    prefetched), so no message ever meets a closing pool. The close is bounded: what a
    stuck actor still holds is terminated."""

    def __init__(
        self,
        app_db_url: str,
        pool_size: int,
        acquire_timeout: float | None = None,
        statement_cache_size: int = db.DEFAULT_STATEMENT_CACHE,
    ) -> None:
        self.app_db_url = app_db_url
        self.pool_size = pool_size
        self.acquire_timeout = acquire_timeout
        self.statement_cache_size = statement_cache_size
        self._watch: concurrent.futures.Future[None] | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        """Open the app-role pool on the actors' event loop thread and start the ``worker pool``
        heartbeat check. Raises ``RuntimeError`` when the AsyncIO middleware is not in place before
        this one."""
        thread = get_event_loop_thread()
        if thread is None:
            raise RuntimeError("the AsyncIO middleware must come before EngineMiddleware")
        thread.run_coroutine(
            db.start_engine(
                self.app_db_url,
                self.pool_size,
                acquire_timeout=self.acquire_timeout,
                statement_cache_size=self.statement_cache_size,
            )
        )
        self._watch = asyncio.run_coroutine_threadsafe(_watch_pool(), thread.loop)

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        """Stop the pool check and close the pool (gracefully for up to 5 s, then terminating what
        is still held) once the worker has stopped."""
        # Dramatiq emits "after" signals in reverse order: this runs before the AsyncIO
        # middleware stops the loop.
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        thread = get_event_loop_thread()
        if thread is not None and thread.loop.is_running():
            thread.run_coroutine(db.stop_engine(POOL_CLOSE_SECONDS))
