"""``sms``: a generic HTTP SMS gateway.

``POST {endpoint}`` with the JSON ``{"to": "+6281234567890", "text": "…"}`` (and
``"from"`` when the gateway has a sender name), signed like agency webhooks:
``X-Jogo-Signature: sha256=<HMAC-SHA256 of the raw body under the gateway's
secret>``. ``Idempotency-Key`` is the notification's id, the same on every retry, so
a gateway that took a message whose answer was lost can drop the repeat. Any 2xx
answer is taken as accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from jogo.workers.connectors.base import DeliveryFailed, check_response


def signature(secret: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def send(
    client: httpx.AsyncClient,
    config: dict[str, Any],
    secret: str,
    to: str,
    text: str,
    *,
    key: str,
    seconds: float,
) -> None:
    """POST ``{"to", "text"[, "from"]}`` to ``config["endpoint"]``, signed with ``secret``,
    under ``Idempotency-Key: key``, ``seconds``. Raises :class:`DeliveryFailed`
    on a transport error or a status of 300 or above."""
    payload: dict[str, Any] = {"to": to, "text": text}
    if config.get("sender"):
        payload["from"] = config["sender"]
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Jogo-Signature": signature(secret, body),
        "Idempotency-Key": key,
        "User-Agent": "jogo-indonesia-presisi/1",
    }
    try:
        response = await client.post(
            config["endpoint"], content=body, headers=headers, timeout=seconds
        )
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    check_response(response)
