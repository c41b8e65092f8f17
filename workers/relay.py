"""The outbox relay (``jogo relay``, also inside ``jogo up``): due outbox rows go to
RabbitMQ through Dramatiq, then are marked published, in one transaction per batch.

Rows are claimed with ``FOR UPDATE SKIP LOCKED``, so several relays share the work.
Publishing blocks (pika, publisher confirms), so it runs on one dedicated daemon thread,
never on the event loop. If the broker fails half-way, only the rows it confirmed are
marked; the rest stay due and go out on the next pass. A row published but not marked
(a crash between the two) goes out twice: actors are idempotent, so twice is once in
effect.

Outages: each pass runs in a task of its own, so whatever a failed pass leaves in its
context (a transaction marker) dies with it and the next pass starts clean. A pass
that fails (database or broker away) is retried after an exponential, jittered,
capped backoff, logged once per change of state. Each completed pass beats the
``relay`` heartbeat that ``/healthz`` watches.

LISTEN (``JOGO_LISTEN_DATABASE_URL``) only makes the relay prompt: when it can't listen
(the URL unreachable, the connection lost) it keeps publishing on its one-second poll,
listens again on a backoff of its own, and its ``/readyz`` says
``notifications: unavailable: relay: not listening`` meanwhile (``/healthz`` stays ok).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
import dramatiq
from dramatiq.errors import ActorNotFound, BrokerConnectionError
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from jogo.platform import db
from jogo.platform.liveness import HEARTBEATS
from jogo.platform.outage import Backoff
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
BACKOFF_FIRST = 0.5  # seconds after the first failed pass; doubles, up to BACKOFF_CAP
BACKOFF_CAP = 30.0
CLOSE_SECONDS = 5.0  # how long close() waits for a publish in progress
T = TypeVar("T")


class BrokerUnavailable(ConnectionError):
    """The broker failed during a pass; what it confirmed before was marked published.
    A ``ConnectionError``: an outage (:func:`jogo.platform.outage.is_unavailable`)."""


@dataclass(frozen=True)
class Row:
    id: int
    tenant: Any
    slug: str
    actor: str
    payload: dict[str, Any]
    traceparent: str | None
    due: float


@dataclass
class Outcome:
    """What one batch did: ids confirmed, ids set aside, and the broker's error if it
    failed half-way."""

    done: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    error: BaseException | None = None


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return  # the awaiting pass was cancelled
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _raise_if_cancelled() -> None:
    """Raise ``CancelledError`` when someone asked this task to stop and the request was
    lost on the way (a library swallowing it): the loop must not outlive its stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class PublisherThread:
    """One long-lived daemon thread that runs blocking calls for the event loop.

    One thread, because Dramatiq keeps one AMQP connection per thread: publishing
    always from the same thread reuses it. A daemon, because a publish hung on a dead
    broker must not keep the process alive at exit (a ThreadPoolExecutor's threads are
    joined at exit, for ever).
    """

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, args, loop, future = job
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # handed to the awaiting task, whatever it is
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                loop.call_soon_threadsafe(_settle, future, result, error)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on this object's thread and await its result; whatever it raises is
        raised here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((fn, args, loop, future))
        return await future

    def close(self, timeout: float) -> None:
        """Stop after the call in progress, waiting for it at most ``timeout`` seconds."""
        self._jobs.put(None)
        self._thread.join(timeout)


class Relay:
    def __init__(self, broker: dramatiq.Broker, batch: int = BATCH) -> None:
        self.broker = broker
        self.batch = batch
        self._publisher = PublisherThread("jogo-relay")
        self._stopping = threading.Event()
        self._wake = asyncio.Event()
        self.backoff = Backoff("relay", log, first=BACKOFF_FIRST, cap=BACKOFF_CAP)
        # The LISTEN connection of the running loop (run_forever), and whether it is open.
        # Listening is kept by a task of its own, with its own backoff: publishing never
        # waits for it (without LISTEN the relay still publishes on its POLL_SECONDS poll).
        self._listener: asyncpg.Connection | None = None
        self._listening = asyncio.Event()
        self._lost = asyncio.Event()
        self.listen_error: BaseException | None = None  # why the last attempt failed
        self.listen_backoff = Backoff("relay LISTEN", log, first=BACKOFF_FIRST, cap=BACKOFF_CAP)

    def _publish(self, rows: list[Row]) -> Outcome:
        """On the publisher thread: send each row; what the broker confirmed, what was
        set aside, and the broker's error if it stopped half-way."""
        outcome = Outcome()
        for row in rows:
            if self._stopping.is_set():
                break  # stopping: the rest stay due for the next relay
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
                outcome.deferred.append(row.id)
                continue
            except (BrokerConnectionError, OSError) as exc:
                outcome.error = exc
                break
            finally:
                current_tenant_slug.reset(slug_token)
                message_tenant.reset(tenant_token)
                otel_context.detach(token)
            outcome.done.append(row.id)
            lag.record(max(time.time() - row.due, 0.0), {"actor": row.actor})
        return outcome

    async def run_once(self) -> int:
        """One batch; returns how many rows were published.

        Raises :class:`BrokerUnavailable` when the broker failed half-way (after the rows
        it confirmed are marked), and the database's error when it fails."""
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
            outcome = await self._publisher.run(self._publish, rows)
            if outcome.done:
                await db.fetch(
                    "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                    outcome.done,
                )
            if outcome.deferred:
                await db.fetch(
                    "UPDATE outbox SET available_at = now() + interval '1 hour'"
                    " WHERE id = ANY($1::bigint[])",
                    outcome.deferred,
                )
        if outcome.error is not None:
            raise BrokerUnavailable(
                f"broker unavailable after {len(outcome.done)} of {len(rows)}: {outcome.error}"
            ) from outcome.error
        return len(outcome.done)

    async def drain(self) -> int:
        """Batches until fewer than a full batch is due; returns rows published."""
        total = 0
        while True:
            published = await self.run_once()
            total += published
            if published < self.batch:
                return total

    def _notified(self, *_: Any) -> None:
        self._wake.set()

    async def _listen(self) -> None:
        """Open the LISTEN connection (``JOGO_LISTEN_DATABASE_URL``: never through a
        transaction pooler) and wake the loop: rows may have come while it was away."""
        listener = await db.connect_listener()
        try:
            await listener.add_listener(CHANNEL, self._notified)
            listener.add_termination_listener(self._on_lost)
        except BaseException:
            listener.terminate()
            raise
        self._listener = listener
        self._listening.set()
        self._wake.set()

    def _on_lost(self, _conn: Any) -> None:
        self._listening.clear()
        self._lost.set()

    def _stop_listening(self) -> None:
        self._listening.clear()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.terminate()

    async def _keep_listening(self) -> None:
        """Listen, and listen again whenever the connection fails or is lost, paced by
        :attr:`listen_backoff` (its own: the publishing loop's backoff counts only failed
        passes). Runs beside :meth:`run_forever`'s loop until cancelled."""
        while True:
            self._lost.clear()
            try:
                await self._listen()
            except Exception as exc:  # unreachable, refused, timed out: listen later
                self._stop_listening()
                self.listen_error = exc
                await asyncio.sleep(self.listen_backoff.failed(exc))
                continue
            self.listen_error = None
            self.listen_backoff.succeeded()
            await self._lost.wait()
            self._stop_listening()
            lost = ConnectionError("the LISTEN connection was lost")
            self.listen_error = lost
            await asyncio.sleep(self.listen_backoff.failed(lost))

    async def prove_listening(self) -> str:
        """For ``/readyz``: a NOTIFY sent through the app pool reaches the relay's LISTEN
        connection (:func:`jogo.platform.db.prove_listening`). A relay that has not tried
        to listen yet (starting) gets :data:`db.PROBE_WAIT` seconds to; one whose attempt
        failed, or whose connection was lost, raises :class:`db.NotListening` ("not
        listening") at once: it still publishes, on its poll, and listens again with
        backoff."""
        if self._listener is None and self.listen_error is None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(db.PROBE_WAIT):
                    await self._listening.wait()
        return await db.prove_listening(self._listener)

    async def run_forever(self) -> None:
        """Publish as rows arrive (LISTEN), and at least every second (delayed retries,
        and every row while LISTEN is unavailable: listening is retried by a task of its
        own, :meth:`_keep_listening`, and never holds publishing up).

        Each pass runs in a fresh task: its context, and so any transaction state a
        failure left in it, is discarded with the task."""
        beat = HEARTBEATS.register("relay")
        keeper = asyncio.create_task(self._keep_listening(), name="jogo-relay-listen")
        try:
            while True:
                self._wake.clear()
                try:
                    await asyncio.create_task(self.drain(), name="jogo-relay-pass")
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the relay must outlive any one failure
                    await asyncio.sleep(self.backoff.failed(exc))
                    continue
                self.backoff.succeeded()
                beat()
                # Not asyncio.wait_for: on Python 3.11 it returns the inner result when a
                # cancellation comes as the wake-up does, so a NOTIFY at the moment of a
                # stop swallowed the cancel and the relay ran on for ever (a hung test
                # teardown, a CI run past its deadline). asyncio.timeout counts cancels.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(POLL_SECONDS):
                        await self._wake.wait()
                _raise_if_cancelled()
        finally:
            keeper.cancel()
            await asyncio.wait({keeper}, timeout=CLOSE_SECONDS)
            beat.close()
            self._stop_listening()

    def close(self) -> None:
        """Stop publishing (the batch in progress stops at the next row) and let the
        publisher thread go, waiting for it at most ``CLOSE_SECONDS``."""
        self._stopping.set()
        self._publisher.close(CLOSE_SECONDS)
