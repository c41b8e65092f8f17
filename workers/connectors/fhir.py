"""Hospital capacity: GET the hospital's endpoint (FHIR R4 or simple JSON) and read the
emergency beds from it (parsing lives in ``tenants.facilities.capacity``)."""

from __future__ import annotations

import httpx

from jogo.tenants.facilities.capacity import Capacity, CapacityUnreadable, parse

TIMEOUT = 10.0


async def fetch_capacity(client: httpx.AsyncClient, url: str, kind: str) -> Capacity:
    """GET a hospital's capacity ``url`` (10 s timeout) as FHIR R4 (``kind`` ``fhir``) or simple
    JSON, and read its emergency beds. Raises :class:`CapacityUnreadable` for a transport error, a
    status other than 200, a body that is not JSON or not readable capacity."""
    accept = "application/fhir+json" if kind == "fhir" else "application/json"
    try:
        response = await client.get(url, headers={"Accept": accept}, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise CapacityUnreadable(f"{type(exc).__name__}: {exc}") from None
    if response.status_code != 200:
        raise CapacityUnreadable(f"HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise CapacityUnreadable("the answer is not JSON") from None
    return parse(kind, data)
