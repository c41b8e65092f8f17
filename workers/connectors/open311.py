"""``open311``: a GeoReport v2 service request, ``POST {endpoint}/requests.json``
(form-encoded, with the agency's ``api_key``), the category mapped to its service code,
and the agency's ``jurisdiction_id`` when it has one (servers hosting several
jurisdictions need it on every call, reads included). The agency's request id is kept
as the dispatch's external reference."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from jogo.tenants.agencies.delivery import DeliveryJob
from jogo.workers.connectors.base import DeliveryFailed, check_response


def request_form(job: DeliveryJob, payload: dict[str, Any], api_key: str) -> dict[str, str]:
    """The GeoReport v2 ``POST requests.json`` form for a dispatch: the agency's ``api_key`` and
    service code for the report's category, ``lat``/``long`` (WGS84), description prefixed by the
    ticket, ``address_string`` and ``jurisdiction_id`` when known, and our dispatch id and
    idempotency key as attributes. Raises :class:`DeliveryFailed` when the agency maps no service
    code for the category."""
    report = payload["report"]
    raw = job.agency["service_codes"] or "{}"
    codes: dict[str, str] = json.loads(raw) if isinstance(raw, str) else raw
    service_code = codes.get(report["category_code"])
    if not service_code:
        raise DeliveryFailed(f"no Open311 service code for {report['category_code']}")
    form = {
        "api_key": api_key,
        "service_code": service_code,
        "lat": str(report["latitude"]),
        "long": str(report["longitude"]),
        "description": f"[{report['ticket']}] {report['title']}\n\n{report['description']}",
        "attribute[jogo_dispatch_id]": payload["dispatch_id"],
        "attribute[jogo_idempotency_key]": payload["idempotency_key"],
    }
    if report.get("address"):
        form["address_string"] = report["address"]
    if job.agency.get("jurisdiction_id"):
        form["jurisdiction_id"] = job.agency["jurisdiction_id"]
    return form


async def deliver(
    client: httpx.AsyncClient, job: DeliveryJob, payload: dict[str, Any], api_key: str
) -> str | None:
    """POST the service request to ``<endpoint_url>/requests.json`` (Open311 GeoReport v2) with the
    dispatch's ``Idempotency-Key`` and the agency's timeout (seconds). Returns the agency's
    ``service_request_id`` (or ``token``) as the external reference, or None. Raises
    :class:`DeliveryFailed` on a transport error, a status of 300 or above, or an answer that is not
    a GeoReport v2 list."""
    url = job.agency["endpoint_url"].rstrip("/") + "/requests.json"
    try:
        response = await client.post(
            url,
            data=request_form(job, payload, api_key),
            timeout=job.agency["timeout_seconds"],
            headers={"Idempotency-Key": payload["idempotency_key"]},
        )
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    check_response(response)
    try:
        first = response.json()[0]
        ref = first.get("service_request_id") or first.get("token")
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        raise DeliveryFailed("the Open311 answer is not a GeoReport v2 list") from None
    return str(ref) if ref else None


STATUS_TIMEOUT = 10.0


async def fetch_request(
    client: httpx.AsyncClient, endpoint: str, ref: str, jurisdiction_id: str | None = None
) -> dict[str, Any]:
    """``GET {endpoint}/requests/{id}.json[?jurisdiction_id=…]``: the service request as
    the agency answers it (``status``, ``status_notes``, …; read by
    :func:`jogo.tenants.agencies.outcomes.from_open311`). GeoReport v2 reads need no
    api_key, and a key in a URL would reach logs and traces."""
    url = f"{endpoint.rstrip('/')}/requests/{quote(ref, safe='')}.json"
    params = {"jurisdiction_id": jurisdiction_id} if jurisdiction_id else None
    try:
        response = await client.get(url, params=params, timeout=STATUS_TIMEOUT)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    check_response(response)
    try:
        first = response.json()[0]
        if not isinstance(first, dict) or not isinstance(first["status"], str):
            raise TypeError
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        raise DeliveryFailed("the Open311 answer is not a GeoReport v2 list") from None
    return first
