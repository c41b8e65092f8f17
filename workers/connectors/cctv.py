"""Camera health: a camera is online when its snapshot URL answers 200 with an image."""

from __future__ import annotations

import httpx

TIMEOUT = 5.0


async def snapshot_ok(client: httpx.AsyncClient, url: str) -> tuple[bool, str | None]:
    """Whether a camera's snapshot ``url`` answers 200 with an ``image/*`` content type within 5 s
    (the body is not read). Returns ``(True, None)`` or ``(False, reason)``; never raises for HTTP
    errors."""
    try:
        async with client.stream("GET", url, timeout=TIMEOUT) as response:
            kind = response.headers.get("content-type", "")
            if response.status_code != 200:
                return False, f"HTTP {response.status_code}"
            if not kind.startswith("image/"):
                return False, f"not an image: {kind or 'no content type'}"
            return True, None
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__}: {exc}"
