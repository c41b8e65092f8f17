"""``webhook``: a JSON POST, signed ``X-Jogo-Signature: sha256=<HMAC of the body>``, with
the dispatch's ``Idempotency-Key`` (the same on every retry) and a timeout."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import httpx

from jogo.tenants.agencies.answers import signature
from jogo.tenants.agencies.delivery import DeliveryJob
from jogo.workers.connectors.base import DeliveryFailed, check_response

HOST = socket.gethostname()


async def deliver(
    client: httpx.AsyncClient, job: DeliveryJob, payload: dict[str, Any], secret: str
) -> None:
    """POST ``payload`` as compact JSON to the agency's ``endpoint_url``, signed ``X-Jogo-Signature:
    sha256=<HMAC-SHA256>`` with ``secret``, with the dispatch's ``Idempotency-Key`` (the same on
    every retry), ``X-Jogo-Sender`` (host/pid) and the agency's timeout (seconds). Raises
    :class:`DeliveryFailed` on a transport error or a status of 300 or above."""
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": str(job.dispatch["idempotency_key"]),
        "X-Jogo-Signature": signature(secret, body),
        "User-Agent": "jogo-indonesia-presisi/1",
        # Which worker sent it (host/pid), for an agency's and our own debugging.
        "X-Jogo-Sender": f"{HOST}/{os.getpid()}",
    }
    try:
        response = await client.post(
            job.agency["endpoint_url"],
            content=body,
            headers=headers,
            timeout=job.agency["timeout_seconds"],
        )
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    check_response(response)
