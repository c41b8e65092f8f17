"""``whatsapp``: a text message through the WhatsApp Business Cloud API.

``POST {endpoint}/{phone_number_id}/messages`` with ``Authorization: Bearer <access
token>`` and the Cloud API's text message::

    {"messaging_product": "whatsapp", "recipient_type": "individual",
     "to": "+6281234567890", "type": "text",
     "text": {"preview_url": false, "body": "…"}}

A 2xx answer carries ``{"messages": [{"id": "wamid…"}]}``. Outside the 24 hours after
the person last wrote to the business, Meta only delivers approved template messages;
such a refusal is an ordinary failure here (retried, then DEAD and visible to staff).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from jogo.workers.connectors.base import DeliveryFailed, check_response

MAX_BODY = 4096  # the Cloud API's limit for a text body


def message_body(to: str, text: str) -> dict[str, Any]:
    """The Cloud API's text message to ``to`` (E.164), without a link preview."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": text[:MAX_BODY]},
    }


async def send(
    client: httpx.AsyncClient,
    config: dict[str, Any],
    token: str,
    to: str,
    text: str,
    seconds: float,
) -> str | None:
    """Send ``text`` to ``to`` from the business number ``config["phone_number_id"]`` at
    ``config["endpoint"]`` (e.g. ``https://graph.facebook.com/v21.0``), within ``seconds``.
    Returns the message id the API gave (None if it gave none). Raises
    :class:`DeliveryFailed` on a transport error or a status of 300 or above."""
    url = f"{config['endpoint'].rstrip('/')}/{config['phone_number_id']}/messages"
    body = json.dumps(message_body(to, text), separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token}",
        "User-Agent": "jogo-indonesia-presisi/1",
    }
    try:
        response = await client.post(url, content=body, headers=headers, timeout=seconds)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    check_response(response)
    try:
        ident = response.json()["messages"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return str(ident)
