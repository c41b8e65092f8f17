"""The Dramatiq broker: RabbitMQ with publisher confirms, or the in-process StubBroker
when no AMQP URL is set. Retries and time limits stay well below RabbitMQ's 30-minute
``consumer_timeout`` (a longer-held message would be redelivered under our feet).

An outage of the database is not the message's fault: an actor that fails for one
raises :class:`Outage`, which :class:`OutageRetries` retries with its own backoff and
budget (seven minutes or more), without a traceback and without spending the message's
retries, so a database restart dead-letters nothing. Each RabbitMQ consumer beats a
``worker consumer <queue>`` heartbeat on every turn of its loop (``/healthz``).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import dramatiq
import pika
from dramatiq.brokers.rabbitmq import DEAD_MESSAGE_TTL, RabbitmqBroker, _RabbitmqConsumer, xq_name
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import compute_backoff
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from jogo.platform.db import DEFAULT_STATEMENT_CACHE
from jogo.platform.liveness import HEARTBEATS
from jogo.workers.middleware import EngineMiddleware, TenantTraceMiddleware

IN_PROCESS = "in-process"
PROBE_TIMEOUT = 3.0
TIME_LIMIT_MS = 120_000  # one delivery attempt, HTTP timeout included
RETRY_MAX = 3  # crashes of our own code; agency failures are retried via the outbox
RETRY_MIN_BACKOFF_MS = 1_000
RETRY_MAX_BACKOFF_MS = 60_000
# Outages: 1 s doubling to 60 s (each drawn up to twice as long), 12 times: seven
# minutes or more of database downtime before a message counts it as a failure.
OUTAGE_RETRIES = 12
OUTAGE_MIN_BACKOFF_MS = 1_000
OUTAGE_MAX_BACKOFF_MS = 60_000


class Outage(dramatiq.Retry):
    """Raised for an actor whose database (or broker) was unavailable."""


class OutageRetries(Retries):
    """Dramatiq's retries, except that an :class:`Outage` is retried on a budget of
    its own (``OUTAGE_RETRIES``, backoff ``OUTAGE_MIN_BACKOFF_MS`` doubling to
    ``OUTAGE_MAX_BACKOFF_MS``, jittered) and leaves ``retries`` untouched. Past that
    budget it counts as an ordinary failure."""

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        """Re-enqueue a message whose actor raised :class:`Outage`, with jittered backoff (1 s
        doubling to 60 s), up to :data:`OUTAGE_RETRIES` (12) times, counted in the ``outages``
        option; anything else, and an outage past that budget, goes to Dramatiq's ordinary
        retries."""
        if isinstance(exception, Outage):
            outages = int(message.options.get("outages", 0))
            if outages < OUTAGE_RETRIES:
                message.options["outages"] = outages + 1
                _, delay = compute_backoff(
                    outages, factor=OUTAGE_MIN_BACKOFF_MS, max_backoff=OUTAGE_MAX_BACKOFF_MS
                )
                self.logger.info(
                    "Message %r hit an outage (%s); retrying in %d ms.",
                    message.message_id,
                    exception,
                    delay,
                )
                broker.enqueue(message, delay=delay)
                return
        super().after_process_message(broker, message, result=result, exception=exception)


def _middleware(
    app_db_url: str | None, pool_size: int, acquire_timeout: float | None, statement_cache_size: int
) -> list[dramatiq.Middleware]:
    stack: list[dramatiq.Middleware] = [
        AgeLimit(),
        TimeLimit(time_limit=TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        OutageRetries(
            max_retries=RETRY_MAX,
            min_backoff=RETRY_MIN_BACKOFF_MS,
            max_backoff=RETRY_MAX_BACKOFF_MS,
        ),
        AsyncIO(),
        TenantTraceMiddleware(),
    ]
    if app_db_url:
        stack.append(EngineMiddleware(app_db_url, pool_size, acquire_timeout, statement_cache_size))
    return stack


class _BeatingConsumer(_RabbitmqConsumer):
    """Dramatiq's RabbitMQ consumer, beating a heartbeat each time its thread's loop
    turns (a message, or the idle timeout of a quarter second). Closing it (a stop, or
    a reconnect after the broker went away) stops watching until the next consume."""

    def __init__(self, broker: Any, queue_name: str, prefetch: int, timeout: int) -> None:
        super().__init__(broker, queue_name, prefetch, timeout)
        self._beat = HEARTBEATS.register(f"worker consumer {queue_name}")

    def __next__(self) -> Any:
        message = super().__next__()
        self._beat()
        return message

    def close(self) -> None:
        self._beat.close()
        super().close()


class JogoRabbitmqBroker(RabbitmqBroker):
    """Dramatiq's broker, declaring quorum queues (replicated across a RabbitMQ cluster)
    when asked. The arguments must equal ``infra/rabbitmq/definitions.json``: RabbitMQ
    refuses to re-declare a queue with other arguments."""

    def __init__(self, *, queue_type: str = "quorum", **kwargs: Any) -> None:
        self.queue_type = queue_type
        super().__init__(**kwargs)

    @property
    def consumer_class(self) -> type[_RabbitmqConsumer]:
        """The consumer that beats the ``worker consumer <queue>`` heartbeat on each turn of its
        loop."""
        return _BeatingConsumer

    def _type(self) -> dict[str, str]:
        return {"x-queue-type": "quorum"} if self.queue_type == "quorum" else {}

    def _build_queue_arguments(self, queue_name: str) -> dict[str, object]:
        arguments: dict[str, object] = super()._build_queue_arguments(queue_name)
        return arguments | self._type()

    def _declare_xq_queue(self, queue_name: str) -> object:
        return self.channel.queue_declare(
            queue=xq_name(queue_name),
            durable=True,
            arguments={"x-message-ttl": DEAD_MESSAGE_TTL} | self._type(),
        )


def make_broker(
    amqp_url: str | None,
    app_db_url: str | None = None,
    pool_size: int = 10,
    queue_type: str = "quorum",
    acquire_timeout: float | None = None,
    statement_cache_size: int = DEFAULT_STATEMENT_CACHE,
) -> dramatiq.Broker:
    """Build the broker and make it Dramatiq's global one (actors bind to it).
    ``acquire_timeout``: seconds an actor waits for a pooled connection
    (``JOGO_DB_ACQUIRE_TIMEOUT``; None keeps the engine's default);
    ``statement_cache_size``: the actors' pool's (``JOGO_DB_STATEMENT_CACHE_SIZE``)."""
    middleware = _middleware(app_db_url, pool_size, acquire_timeout, statement_cache_size)
    broker: dramatiq.Broker
    if amqp_url:
        # pika logs every failed connection attempt as ERROR lines and a traceback, a
        # dozen per attempt, and Dramatiq tries six times per message. The failure
        # still reaches us as an exception (the relay logs it once per outage).
        logging.getLogger("pika").setLevel(logging.CRITICAL)
        broker = JogoRabbitmqBroker(
            url=amqp_url, confirm_delivery=True, middleware=middleware, queue_type=queue_type
        )
    else:
        broker = StubBroker(middleware=middleware)
        broker.emit_after("process_boot")
    dramatiq.set_broker(broker)
    return broker


def _probe_amqp(url: str, timeout: float) -> None:
    params = pika.URLParameters(url)
    params.socket_timeout = timeout
    params.stack_timeout = timeout
    params.blocked_connection_timeout = timeout
    params.connection_attempts = 1
    connection = pika.BlockingConnection(params)
    connection.close()


async def check_broker(amqp_url: str | None) -> str:
    """Opens and closes one AMQP connection off the event loop (pika blocks)."""
    if not amqp_url:
        return IN_PROCESS
    await anyio.to_thread.run_sync(_probe_amqp, amqp_url, PROBE_TIMEOUT)
    return "rabbitmq"
