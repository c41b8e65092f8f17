"""The Dramatiq broker: RabbitMQ with publisher confirms, or the in-process StubBroker
when no AMQP URL is set. Retries and time limits stay well below RabbitMQ's 30-minute
``consumer_timeout`` (a longer-held message would be redelivered under our feet)."""

from __future__ import annotations

from typing import Any

import anyio
import dramatiq
import pika
from dramatiq.brokers.rabbitmq import DEAD_MESSAGE_TTL, RabbitmqBroker, xq_name
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from jogo.workers.middleware import EngineMiddleware, TenantTraceMiddleware

IN_PROCESS = "in-process"
PROBE_TIMEOUT = 3.0
TIME_LIMIT_MS = 120_000  # one delivery attempt, HTTP timeout included
RETRY_MAX = 3  # crashes of our own code; agency failures are retried via the outbox
RETRY_MIN_BACKOFF_MS = 1_000
RETRY_MAX_BACKOFF_MS = 60_000


def _middleware(app_db_url: str | None, pool_size: int) -> list[dramatiq.Middleware]:
    stack: list[dramatiq.Middleware] = [
        AgeLimit(),
        TimeLimit(time_limit=TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=RETRY_MAX,
            min_backoff=RETRY_MIN_BACKOFF_MS,
            max_backoff=RETRY_MAX_BACKOFF_MS,
        ),
        AsyncIO(),
        TenantTraceMiddleware(),
    ]
    if app_db_url:
        stack.append(EngineMiddleware(app_db_url, pool_size))
    return stack


class JogoRabbitmqBroker(RabbitmqBroker):
    """Dramatiq's broker, declaring quorum queues (replicated across a RabbitMQ cluster)
    when asked. The arguments must equal ``infra/rabbitmq/definitions.json``: RabbitMQ
    refuses to re-declare a queue with other arguments."""

    def __init__(self, *, queue_type: str = "quorum", **kwargs: Any) -> None:
        self.queue_type = queue_type
        super().__init__(**kwargs)

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
) -> dramatiq.Broker:
    """Build the broker and make it Dramatiq's global one (actors bind to it)."""
    middleware = _middleware(app_db_url, pool_size)
    broker: dramatiq.Broker
    if amqp_url:
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
