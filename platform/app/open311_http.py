"""Open311 GeoReport v2 server over the command's reports, at ``/t/{slug}/open311/v2/``.

Every path ends in ``.json`` or ``.xml`` (the answer's format; XML built with lxml):

- ``GET services.{fmt}``: the command's active categories as services
  (``service_code`` = category code, ``metadata`` false: categories take no attributes);
  ``GET services/{code}.{fmt}``: its definition (no attributes).
- ``GET requests.{fmt}``: service requests, newest first. Filters: ``service_request_id``
  (comma list of tickets; the others are then ignored), ``service_code`` (comma list),
  ``start_date`` / ``end_date`` (W3C date-times; without a zone, the command's), ``status``
  (``open``, ``closed`` or both). With no dates: the last 90 days; a range may span at
  most 90 days. ``page_size`` (1-1000, default 1000) and ``page`` (from 1) page through.
- ``POST requests.{fmt}`` (form-encoded): ``api_key`` (a key with ``reports:write``),
  ``service_code``, ``lat`` and ``long`` (we do not geocode an ``address_string`` alone),
  ``description``, optional ``address_string``, ``first_name``/``last_name``, ``phone``.
  ``email``, ``device_id``, ``account_id``, ``media_url`` and ``attribute[…]`` are accepted
  and not kept (a media URL is never fetched). The report is made by the same action as
  the GraphQL ``submitReport`` (:func:`~jogo.tenants.reports.intake.do_submit_report`,
  channel ``OPEN311``): same validation and limits, and an ``Idempotency-Key`` header
  makes a retry answer the first report. Answer: ``[{service_request_id, token,
  service_notice, account_id}]``.
- ``GET requests/{ticket}.{fmt}``, ``GET tokens/{token}.{fmt}`` (the token is the
  report's id, given by the POST).

``jurisdiction_id``, when sent, must be the command's slug. ``api_key`` (or
``X-API-Key``, or ``Authorization: Bearer``) is optional on reads: without one, or with
one without a report scope, a reader sees what the public may see
(:mod:`jogo.tenants.reports.open311`). Errors are GeoReport's ``[{code, description}]``
(``<errors><error>`` in XML), Bahasa Indonesia first with English beside: 400 bad input,
403 bad or missing ``api_key`` or a key that may not submit, 404 unknown command,
jurisdiction, service, request or token (another command's request reads exactly like
one that does not exist), 409 an ``Idempotency-Key`` reused with other input, 429 too
many tries (``Retry-After``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath

from jogo.graphql.reports.types import EVENT_LABELS
from jogo.platform import registry
from jogo.platform.app.auth_http import client_of, header_of, principal_from_headers
from jogo.platform.app.open311_input import form_of, report_input, request_filter
from jogo.platform.app.open311_wire import (
    BAD_JURISDICTION,
    BAD_KEY,
    NO_KEY,
    NOT_FOUND,
    RECEIVED,
    SUSPENDED,
    Open311Error,
    answer,
    both,
    render,
    split_name,
)
from jogo.platform.auth.principal import Principal
from jogo.platform.errors import Unauthenticated
from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings
from jogo.platform.storage import FileStore
from jogo.platform.telemetry import set_current_tenant
from jogo.tenants.oversight.redaction import redact
from jogo.tenants.reports import open311
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.intake import do_submit_report
from jogo.tenants.reports.lifecycle import Status, label

PREFIX = "/t/{slug:str}/open311/v2"
MAX_BODY = 64 * 1024

# --- the caller ---


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def command(slug: str, params: Mapping[str, str]) -> TenantInfo:
    """The command of ``slug`` (404 unknown, 403 suspended), checking ``jurisdiction_id``."""
    tenant = await registry.find_by_slug(slug)
    if tenant is None:
        raise Open311Error(404, both(NOT_FOUND))
    if not tenant.active:
        raise Open311Error(403, both(SUSPENDED))
    set_current_tenant(tenant.slug)
    jurisdiction = params.get("jurisdiction_id")
    if jurisdiction is not None and jurisdiction.strip() != tenant.slug:
        raise Open311Error(404, both(BAD_JURISDICTION))
    return tenant


async def caller(request: Request, tenant: TenantInfo, params: Mapping[str, str]) -> Principal:
    """Who calls: ``api_key`` (parameter), ``X-API-Key`` or ``Authorization``; anonymous
    with none. A bad key, or one of another command, is 403 (the same answer)."""
    key = params.get("api_key") or header_of(request.headers, "x-api-key")
    try:
        principal = await principal_from_headers(
            header_of(request.headers, "authorization"), key, _settings(request)
        )
    except Unauthenticated:
        raise Open311Error(403, both(BAD_KEY)) from None
    if not principal.belongs_to(tenant.id):
        raise Open311Error(403, both(BAD_KEY))
    return principal


def _query(request: Request) -> dict[str, str]:
    # No NUL reaches PostgreSQL (it refuses one in text).
    return {k: v.replace("\x00", "") for k, v in request.query_params.items()}


# --- what a request reads like ---


def _moment(value: datetime | None, tenant: TenantInfo) -> str | None:
    if value is None:
        return None
    zone = ZoneInfo(TIME_ZONES.get(tenant.time_zone, "Asia/Jakarta"))
    return value.astimezone(zone).isoformat(timespec="seconds")


def status_notes(event: Any) -> str | None:
    """The newest public timeline entry (a ``report_events`` row as JSON) as people read
    it: ``"<Bahasa Indonesia> / <English>"``, then its public note."""
    if event is None:
        return None
    row = json.loads(event) if isinstance(event, str) else event
    to_status = row.get("to_status")
    if row.get("kind") == "STATUS" and to_status:
        from_status = Status(row["from_status"]) if row.get("from_status") else None
        text = label(from_status, Status(to_status))
    else:
        kind = row.get("kind") or ""
        text = EVENT_LABELS.get(kind, (kind, kind))
    note = row.get("note") if row.get("kind") != "TRANSFER" else None
    return f"{both(text)}: {note}" if note else both(text)


def request_of(row: dict[str, Any], tenant: TenantInfo, public: bool) -> dict[str, Any]:
    """One GeoReport service request from a :func:`~jogo.tenants.reports.open311.find_requests`
    row: no reporter identity; the description masked; a public reader gets the location
    rounded and no address."""
    own = {"name": row["reporter_name"], "phone": row["reporter_phone"], "address": row["address"]}
    notes = status_notes(row["last_event"])
    lat, lon = row["latitude"], row["longitude"]
    if public:
        lat, lon = round(lat, open311.PUBLIC_DECIMALS), round(lon, open311.PUBLIC_DECIMALS)
    return {
        "service_request_id": row["ticket"],
        "status": open311.open311_status(row["status"]),
        "status_notes": redact(notes, **own) if notes else None,
        "service_name": both((row["category_name_id"], row["category_name_en"])),
        "service_code": row["category_code"],
        "description": redact(row["description"], **own),
        "agency_responsible": tenant.name,
        "service_notice": None,
        "requested_datetime": _moment(row["created_at"], tenant),
        "updated_datetime": _moment(row["updated_at"], tenant),
        "expected_datetime": _moment(row["followup_due_at"], tenant),
        "address": None if public else row["address"],
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": None,
    }


# --- GET requests: the filters ---
# --- routes ---


@get(PREFIX + "/{name:str}", include_in_schema=False)
async def open311_list(request: Request, slug: FromPath[str], name: FromPath[str]) -> Response:
    """``services.{fmt}`` or ``requests.{fmt}`` (module doc)."""

    async def run(fmt: str) -> Response[bytes]:
        stem, fmt = split_name(name)
        params = _query(request)
        tenant = await command(slug, params)
        if stem == "services":
            return render(fmt, "services", "service", await services(tenant))
        if stem != "requests":
            raise Open311Error(404, both(NOT_FOUND))
        principal = await caller(request, tenant, params)
        viewer = Viewer.of(principal, tenant.id)
        rows, public = await open311.find_requests(
            tenant.id, viewer, request_filter(params, tenant)
        )
        found = [request_of(r, tenant, public) for r in rows]
        return render(fmt, "service_requests", "request", found)

    return await answer(request, name, run)


async def services(tenant: TenantInfo) -> list[dict[str, Any]]:
    """The command's active categories as GeoReport services."""
    return [
        {
            "service_code": c["code"],
            "service_name": both((c["name_id"], c["name_en"])),
            "description": c["description_id"] or None,
            "metadata": False,
            "type": "realtime",
            "keywords": None,
            "group": None,
        }
        for c in await open311.categories_of(tenant.id)
    ]


@get(PREFIX + "/services/{name:str}", include_in_schema=False)
async def open311_service(request: Request, slug: FromPath[str], name: FromPath[str]) -> Response:
    """``services/{code}.{fmt}``: the definition (no attributes); 404 unknown code."""

    async def run(fmt: str) -> Response[bytes]:
        code, fmt = split_name(name)
        tenant = await command(slug, _query(request))
        if not any(s["service_code"] == code.upper() for s in await services(tenant)):
            raise Open311Error(404, both(NOT_FOUND))
        definition = {"service_code": code.upper(), "attributes": []}
        return render(fmt, "service_definition", "attribute", definition)

    return await answer(request, name, run)


@get(PREFIX + "/requests/{name:str}", include_in_schema=False)
async def open311_request(request: Request, slug: FromPath[str], name: FromPath[str]) -> Response:
    """``requests/{ticket}.{fmt}``: one request, as the caller may read it; 404 otherwise."""

    async def run(fmt: str) -> Response[bytes]:
        ticket, fmt = split_name(name)
        params = _query(request)
        tenant = await command(slug, params)
        viewer = Viewer.of(await caller(request, tenant, params), tenant.id)
        found = open311.RequestFilter(tickets=[ticket], limit=1)
        rows, public = await open311.find_requests(tenant.id, viewer, found)
        if not rows:
            raise Open311Error(404, both(NOT_FOUND))
        return render(fmt, "service_requests", "request", [request_of(rows[0], tenant, public)])

    return await answer(request, name, run)


@get(PREFIX + "/tokens/{name:str}", include_in_schema=False)
async def open311_token(request: Request, slug: FromPath[str], name: FromPath[str]) -> Response:
    """``tokens/{token}.{fmt}``: ``[{service_request_id, token}]``; 404 unknown token."""

    async def run(fmt: str) -> Response[bytes]:
        token, fmt = split_name(name)
        tenant = await command(slug, _query(request))
        try:
            report_id = uuid.UUID(token)
        except ValueError:
            raise Open311Error(404, both(NOT_FOUND)) from None
        ticket = await open311.ticket_of(tenant.id, report_id)
        if ticket is None:
            raise Open311Error(404, both(NOT_FOUND))
        rows = [{"service_request_id": ticket, "token": token}]
        return render(fmt, "service_requests", "request", rows)

    return await answer(request, name, run)


@post(PREFIX + "/{name:str}", include_in_schema=False, request_max_body_size=MAX_BODY)
async def open311_submit(request: Request, slug: FromPath[str], name: FromPath[str]) -> Response:
    """``POST requests.{fmt}`` (module doc): 200 ``[{service_request_id, token, …}]``."""

    async def run(fmt: str) -> Response[bytes]:
        stem, fmt = split_name(name)
        if stem != "requests":
            raise Open311Error(404, both(NOT_FOUND))
        form = await form_of(request)
        params = {**_query(request), **form}
        tenant = await command(slug, params)
        principal = await caller(request, tenant, params)
        if principal.is_anonymous:
            raise Open311Error(403, both(NO_KEY))
        settings = _settings(request)
        done = await do_submit_report(
            tenant,
            principal,
            report_input(form),
            FileStore(settings.data_dir / "attachments"),
            client=client_of(request, settings),
            client_key=header_of(request.headers, "idempotency-key"),
            secret_key=settings.secret_key,
            channel="OPEN311",
        )
        row = {
            "service_request_id": done.ticket,
            "token": str(done.report_id),
            "service_notice": both(RECEIVED),
            "account_id": None,
        }
        return render(fmt, "service_requests", "request", [row])

    return await answer(request, name, run)


OPEN311_ROUTES = [open311_list, open311_service, open311_request, open311_token, open311_submit]
