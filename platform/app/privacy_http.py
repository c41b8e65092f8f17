"""UU PDP downloads for a command's tenant admin (issue 21, parts 4 and 5):

- ``GET /t/{slug}/privacy/breaches.csv`` and ``…/breaches.json``: the breach register
  for the authority, newest found first (at most 10,000), times in the command's zone.
  CSV: RFC 4180, a header row, a text cell starting with ``=``, ``+``, ``-``, ``@``, tab
  or CR gets a leading ``'`` (:mod:`jogo.platform.exports`). Audited ``breach.export``.
- ``GET /t/{slug}/privacy/processing.html``: the record of processing activities as a
  page (the same as the ``recordsOfProcessing`` query). Audited ``processing.export``.

Same credentials as GraphQL: none 401, an unknown command or another command's caller
404 (alike), a caller without ``tenant:admin`` 403.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from jogo.graphql.permissions import allowed
from jogo.platform.app.routes import _tenant_context
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import NotFound
from jogo.platform.exports import CSV_MEDIA_TYPE, CsvEncoder, zone_of
from jogo.platform.registry import TenantInfo
from jogo.tenants.breaches import clock
from jogo.tenants.breaches.notices import reference
from jogo.tenants.breaches.queries import MAX_EXPORT, list_breaches
from jogo.tenants.processing.html import render
from jogo.tenants.processing.record import generate

COLUMNS = (
    "reference",
    "found_at",
    "occurred_at",
    "due_at",
    "title",
    "description",
    "data_categories",
    "subject_categories",
    "subjects_estimate",
    "measures",
    "subjects_notified_at",
    "subjects_notified_by",
    "authority_notified_at",
    "authority_notified_by",
    "authority_reference",
    "escalation_level",
    "overdue",
    "recorded_by",
    "recorded_at",
)
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


async def _admin(slug: str, request: Request[Any, Any, Any], what: str) -> Any:
    context = await _tenant_context(slug, request)
    if not allowed(context, Cap.TENANT_ADMIN):
        raise denied(context.principal, f"the {what} is for the command's tenant admin")
    return context


def export_rows(rows: list[dict[str, Any]], tenant: TenantInfo) -> list[dict[str, Any]]:
    """The register as the export's records (:data:`COLUMNS`), times in the command's zone."""
    zone = zone_of(tenant.time_zone)
    now = datetime.now(UTC)

    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(zone) if value is not None else None

    return [
        {
            "reference": reference(r["id"]),
            "found_at": local(r["found_at"]),
            "occurred_at": local(r["occurred_at"]),
            "due_at": local(r["due_at"]),
            "title": r["title"],
            "description": r["description"],
            "data_categories": ",".join(r["data_categories"]),
            "subject_categories": ",".join(r["subject_categories"]),
            "subjects_estimate": r["subjects_estimate"],
            "measures": r["measures"],
            "subjects_notified_at": local(r["subjects_notified_at"]),
            "subjects_notified_by": r["subjects_notified_by"],
            "authority_notified_at": local(r["authority_notified_at"]),
            "authority_notified_by": r["authority_notified_by"],
            "authority_reference": r["authority_reference"],
            "escalation_level": r["escalation_level"],
            "overdue": clock.is_overdue(r, now),
            "recorded_by": r["recorded_by"],
            "recorded_at": local(r["created_at"]),
        }
        for r in rows
    ]


@get("/t/{slug:str}/privacy/{name:str}")
async def privacy_download(
    slug: FromPath[str], name: FromPath[str], request: Request[Any, Any, Any]
) -> Response[str]:
    """``breaches.csv``, ``breaches.json`` or ``processing.html`` (tenant admins); any other
    name 404."""
    if name in ("breaches.csv", "breaches.json"):
        return await _breaches(slug, name.rpartition(".")[2], request)
    if name == "processing.html":
        return await _processing(slug, request)
    raise NotFound("not found")


async def _breaches(slug: str, fmt: str, request: Request[Any, Any, Any]) -> Response[str]:
    context = await _admin(slug, request, "breach register")
    tenant = context.require_tenant()
    rows = export_rows(await list_breaches(tenant.id, limit=MAX_EXPORT), tenant)
    await write_audit(
        "breach.export",
        principal=context.principal,
        tenant_id=tenant.id,
        detail={"format": fmt, "rows": len(rows)},
    )
    name = f"{tenant.slug}-breaches-{datetime.now(UTC).date().isoformat()}.{fmt}"
    headers = _HEADERS | {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        body = json.dumps(
            {"controller": tenant.slug, "breaches": rows},
            default=lambda v: v.isoformat(),
            ensure_ascii=False,
        )
        return Response(body, media_type="application/json", headers=headers)
    encoder = CsvEncoder(COLUMNS)
    body = encoder.header() + encoder.rows([tuple(r[c] for c in COLUMNS) for r in rows])
    return Response(body, media_type=CSV_MEDIA_TYPE, headers=headers)


async def _processing(slug: str, request: Request[Any, Any, Any]) -> Response[str]:
    context = await _admin(slug, request, "record of processing")
    tenant = context.require_tenant()
    record = await generate(tenant)
    await write_audit("processing.export", principal=context.principal, tenant_id=tenant.id)
    name = f"{tenant.slug}-ropa-{datetime.now(UTC).date().isoformat()}.html"
    headers = _HEADERS | {
        "Content-Disposition": f'inline; filename="{name}"',
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    }
    return Response(render(record), media_type="text/html; charset=utf-8", headers=headers)


PRIVACY_ROUTES = [privacy_download]
