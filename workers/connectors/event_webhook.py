"""Event webhooks (Standard Webhooks): a JSON POST with ``webhook-id`` (the same on every
attempt and replay), ``webhook-timestamp`` (Unix seconds, of this attempt) and
``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` under each valid secret,
space-separated)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from jogo.tenants.webhooks.delivery import Job, sign, webhook_id
from jogo.workers.connectors.base import AddressGone, DeliveryFailed, check_response


async def deliver(client: httpx.AsyncClient, job: Job, secrets: list[str]) -> None:
    """POST the job's body to the subscription's URL, signed with ``secrets``, with its
    timeout (seconds), reading nothing of the answer but its status. Raises
    :class:`AddressGone` on 410 Gone (Standard Webhooks: stop sending), else
    :class:`DeliveryFailed` on a transport error or a status of 300 or above (never the
    answer's body; redirects are not followed)."""
    msg_id = webhook_id(job.delivery["id"])
    now = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "jogo-indonesia-presisi/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign(secrets, msg_id, now, job.body),
    }
    try:
        # Streamed, and the answer's body never read: only its status counts, and an
        # endpoint's endless or huge body costs nothing (the connection is closed).
        async with client.stream(
            "POST",
            job.subscription["url"],
            content=job.body,
            headers=headers,
            timeout=job.subscription["timeout_seconds"],
        ) as response:
            status = response.status_code
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if status == 410:
        raise AddressGone("HTTP 410 Gone: the endpoint asks for no more deliveries")
    check_response(response)
