"""``webpush``: a Web Push message (RFC 8030) with VAPID (RFC 8292), encrypted for the
browser's subscription (RFC 8291, ``aes128gcm``) by ``pywebpush``.

pywebpush encrypts (``WebPusher.encode``) and py_vapid signs the VAPID JWT; the POST
itself goes through the connectors' egress-checked HTTP client, so the push service's
address is resolved once, checked against the egress rule and connected to as
checked, like every other outbound call (``webpush()`` would send through
``requests`` with a lookup of its own). The payload the service worker receives is
JSON ``{"title", "body", "url", "ticket"}``. ``TTL`` is a day: a phone out of signal
still gets it when it is back. A 404 or 410 answer means the subscription is gone
(:class:`~jogo.workers.connectors.base.AddressGone`).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from py_vapid import Vapid, VapidException
from pywebpush import WebPusher, WebPushException

from jogo.workers.connectors.base import AddressGone, DeliveryFailed, check_response

DEFAULT_SUBJECT = "mailto:admin@localhost"  # set the gateway's subject in production
TTL_SECONDS = 86400
JWT_LIFETIME = 12 * 3600  # RFC 8292: at most 24 hours


def prepare(
    subscription: dict[str, Any], payload: dict[str, Any], private_key: str, subject: str
) -> tuple[bytes, dict[str, str]]:
    """The encrypted body and the headers (VAPID ``Authorization``, ``Content-Encoding``,
    ``TTL``) of one push to ``subscription`` (``{"endpoint", "keys": {"p256dh",
    "auth"}}``). Raises :class:`DeliveryFailed` for a key or subscription that cannot
    be used."""
    parts = urlsplit(subscription["endpoint"])
    claims = {
        "sub": subject,
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int(time.time()) + JWT_LIFETIME,
    }
    try:
        headers = dict(Vapid.from_string(private_key).sign(claims))
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        encoded = WebPusher(subscription).encode(data, "aes128gcm")
    except (VapidException, WebPushException, ValueError, TypeError) as exc:
        raise DeliveryFailed(f"push not prepared: {type(exc).__name__}") from None
    headers |= {
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(TTL_SECONDS),
        "Urgency": "normal",
    }
    return bytes(encoded["body"]), headers


async def send(
    client: httpx.AsyncClient,
    config: dict[str, Any],
    private_key: str,
    subscription: str,
    payload: dict[str, Any],
    *,
    seconds: float,
) -> None:
    """Push ``payload`` to the stored ``subscription`` (JSON text), signed with the
    gateway's VAPID ``private_key`` and ``config["subject"]``, ``seconds``.
    Raises :class:`AddressGone` on 404 or 410, :class:`DeliveryFailed` on a transport
    error, any other status of 300 or above, or a key that cannot be used."""
    try:
        stored = json.loads(subscription)
    except ValueError:
        raise DeliveryFailed("push subscription unreadable") from None
    body, headers = prepare(stored, payload, private_key, config.get("subject") or DEFAULT_SUBJECT)
    try:
        response = await client.post(
            stored["endpoint"], content=body, headers=headers, timeout=seconds
        )
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if response.status_code in (404, 410):
        raise AddressGone(f"HTTP {response.status_code}: the push subscription is gone")
    check_response(response)
