from __future__ import annotations

import httpx


class DeliveryFailed(Exception):
    """The agency did not take the report this time; the attempt is retried later."""


def check_response(response: httpx.Response) -> None:
    if response.status_code >= 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")
