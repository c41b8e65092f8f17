"""Broker connectivity. With no AMQP URL the in-process broker is used."""

from __future__ import annotations

import anyio
import pika

IN_PROCESS = "in-process"


def _probe_amqp(url: str, timeout: float) -> None:
    params = pika.URLParameters(url)
    params.socket_timeout = timeout
    params.stack_timeout = timeout
    params.blocked_connection_timeout = timeout
    params.connection_attempts = 1
    connection = pika.BlockingConnection(params)
    connection.close()


PROBE_TIMEOUT = 3.0


async def check_broker(amqp_url: str | None) -> str:
    """Opens and closes one AMQP connection off the event loop (pika blocks)."""
    if not amqp_url:
        return IN_PROCESS
    await anyio.to_thread.run_sync(_probe_amqp, amqp_url, PROBE_TIMEOUT)
    return "rabbitmq"
