"""The audit log as CSV: ``GET /t/{slug}/audit.csv`` (the command's tenant admin) and
``GET /national/audit.csv?tenant=<slug>`` (oversight auditors; without ``tenant``, the
national looks). Same credentials as GraphQL (``Authorization: Bearer`` or
``X-API-Key``; no key scope grants either).

Query parameters, all optional: ``from`` (inclusive) and ``to`` (exclusive; a date alone
includes that day), ISO 8601, read in the command's zone when they carry no offset;
``action``, ``actor``, ``target``: prefixes. A parameter (of either route, ``tenant``
too) holding a control character, NUL included, is a 400 naming it. Rows newest first,
streamed page by page:
``id, at, actor, actor_kind, role, action, target, detail`` with ``at`` in the command's
zone with its offset (UTC for the national looks), ``detail`` as JSON. RFC 4180 quoting,
CRLF line ends; a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
leading ``'`` so a spreadsheet shows it as text. Every export is audited
(``audit.export``; ``national.auditExport``, in the command's own log too).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Stream

from jogo.graphql.audit.national import audited_tenant
from jogo.graphql.permissions import allowed
from jogo.graphql.scalars import WholeDay, in_zone
from jogo.platform.app.routes import _global_context, _tenant_context
from jogo.platform.audit import write_audit
from jogo.platform.audit_read import (
    CSV_COLUMNS,
    AuditFilter,
    check_plain,
    csv_cells,
    csv_line,
    tenant_audit_rows,
)
from jogo.platform.auth.principal import denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput

MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8" to text/* types


def moment_param(text: str | None, time_zone: str, field: str, *, end: bool) -> dt.datetime | None:
    """A query parameter as a moment: ISO 8601, read in ``time_zone`` without an offset; a
    date alone is that whole day (its start, or with ``end`` the next day's). None when
    absent or empty; ``INVALID_INPUT`` on ``field`` otherwise, or outside 2000-2100."""
    if text is None or text == "":
        return None
    try:
        day = dt.date.fromisoformat(text)
        value: dt.datetime = WholeDay(day.year, day.month, day.day)
    except ValueError:
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                f"{field} must be ISO 8601, e.g. 2026-11-30 or 2026-11-30T08:00:00+07:00",
                field=field,
            ) from None
    if not 2000 <= value.year <= 2100:
        raise InvalidInput(f"{field}: the year must be from 2000 to 2100", field=field)
    return in_zone(value, time_zone, end=end)


def check_query(request: Request[Any, Any, Any]) -> None:
    """Every query parameter, name and value, free of control characters (400 naming
    it; a name that itself has one is not echoed)."""
    for name, value in request.query_params.multi_items():
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        if any(unicodedata.category(c) == "Cc" for c in name):
            raise InvalidInput("a query parameter name must not contain control characters")
        check_plain(name, value)


def _filter(request: Request[Any, Any, Any], time_zone: str) -> AuditFilter:
    query = request.query_params
    return AuditFilter(
        since=moment_param(query.get("from"), time_zone, "from", end=False),
        until=moment_param(query.get("to"), time_zone, "to", end=True),
        action=query.get("action") or None,
        actor=query.get("actor") or None,
        target=query.get("target") or None,
    ).checked()


async def _csv(tenant_id: Any, f: AuditFilter, zone: str) -> AsyncIterator[str]:
    yield csv_line(CSV_COLUMNS)
    async for row in tenant_audit_rows(tenant_id, f):
        yield csv_line(csv_cells(row, zone))


def _stream(rows: AsyncIterator[str], name: str) -> Stream:
    return Stream(
        rows,
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@get("/t/{slug:str}/audit.csv")
async def tenant_audit_csv(slug: FromPath[str], request: Request[Any, Any, Any]) -> Stream:
    """The command's audit log as CSV (tenant admins): 401 anonymous, 403 other roles,
    404 a caller of another command."""
    context = await _tenant_context(slug, request)
    tenant = context.require_tenant()
    if not allowed(context, Cap.TENANT_ADMIN):
        raise denied(context.principal, "the audit log is for the command's tenant admin")
    check_query(request)
    f = _filter(request, tenant.time_zone)
    await write_audit(
        "audit.export",
        principal=context.principal,
        tenant_id=tenant.id,
        detail={"filter": f.as_detail()},
    )
    return _stream(_csv(tenant.id, f, tenant.time_zone), f"audit-{tenant.slug}.csv")


@get("/national/audit.csv")
async def national_audit_csv(request: Request[Any, Any, Any]) -> Stream:
    """One command's audit log (``?tenant=<slug>``), or the national looks, as CSV
    (oversight auditors)."""
    context = await _global_context(request, Cap.AUDIT_READ)
    check_query(request)
    slug = request.query_params.get("tenant")
    if slug:
        tenant = await audited_tenant(
            context.principal, slug, _Query(request), action="national.auditExport"
        )
        f = _filter(request, tenant.time_zone)
        return _stream(_csv(tenant.id, f, tenant.time_zone), f"audit-{tenant.slug}.csv")
    f = _filter(request, "WIB")
    role = context.principal.national_role
    await write_audit(
        "national.auditExport",
        principal=context.principal,
        role=role.value if role else None,
        detail={"filter": f.as_detail()},
    )
    return _stream(_csv(None, f, "UTC"), "audit-national.csv")


class _Query:
    """The query parameters as the filter the audit row records."""

    def __init__(self, request: Request[Any, Any, Any]):
        for name in ("from_", "to", "action", "actor", "target"):
            setattr(self, name, request.query_params.get(name.rstrip("_")))


AUDIT_ROUTES = [tenant_audit_csv, national_audit_csv]
