"""Bulk exports over HTTP, streamed: a command's reports, dispatches and bulletins as CSV
or GeoJSON, and the national daily figures as open-data CSV.

``GET /t/{slug}/export/{kind}.{csv|geojson}`` with ``kind`` ``reports``, ``dispatches``
or ``bulletins``. Same credentials as GraphQL (``Authorization: Bearer <token or API
key>`` or ``X-API-Key``): none is 401, a bad or expired one 401, an unknown command or a
caller of another command 404 (alike), a caller without the right 403 (who sees which
rows: :mod:`jogo.tenants.reports.exports`, :mod:`jogo.tenants.agencies.exports`,
:mod:`jogo.tenants.bulletins.exports`). Query parameters (a list: comma-separated or
repeated; an unknown parameter, or a bad value, is a 400 ``INVALID_INPUT`` naming it):

- reports: ``status``, ``category``, ``from`` (inclusive) and ``to`` (exclusive; a date
  alone includes that day; ISO 8601, the command's zone without an offset), ``bbox``
  (``south,west,north,east`` degrees), ``urgent``, ``sla_breached``,
  ``outside_jurisdiction`` (``true``/``false``), ``text``: as the ``reports`` GraphQL
  filter, validated by the same code.
- dispatches: ``status`` (dispatch states, FAILED included), ``agency`` (id), ``report``
  (id), ``since``.
- bulletins: ``status`` (bulletin writers only), ``category``.

``GET /national/export/daily.csv`` (national and Polda roles, ``national:read``): per
command and day, the redacted rollup figures (reports, urgent, SLA breaches, reports per
current status), for ``from``/``to`` (dates, inclusive; default the last 30 days, at
most 366), ``polda``, ``tenant`` (slug), ``category``. Aggregates only: no report and no
person. Audited ``national.exportDaily``, as every national read.

The rows come from one server-side cursor in one read-only snapshot
(:func:`jogo.platform.db.stream_rows`), 1,000 at a time, so memory stays bounded
whatever the size; the connection goes back to the pool on every path (done, failed,
or the client gone mid-download). At most half the pool's connections stream at once
per process; beyond that, 429 with ``Retry-After``. Every export is audited
(``report.export``, ``dispatch.export``, ``bulletin.export``). CSV: see
:mod:`jogo.platform.exports`; the file is named ``<slug>-<kind>-<date>.<ext>``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Stream
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from jogo.graphql.oversight.queries import national_scope
from jogo.graphql.oversight.types import NationalFilter
from jogo.platform import db
from jogo.platform.app.export_params import (
    checked,
    day_param,
    dispatch_filter,
    named_parameters,
    one,
    report_filter,
)
from jogo.platform.app.routes import _global_context, _tenant_context
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import NotFound, sign_in_first
from jogo.platform.exports import (
    CSV_MEDIA_TYPE,
    GEOJSON_MEDIA_TYPE,
    CsvEncoder,
    GeoJsonEncoder,
    cells,
    feature,
    zone_of,
)
from jogo.platform.ratelimit import RateLimited
from jogo.platform.registry import TenantInfo
from jogo.tenants.agencies.exports import dispatch_export
from jogo.tenants.bulletins import exports as bulletin_exports
from jogo.tenants.oversight.queries import DAILY_STATUSES, daily_by_tenant
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.exports import Export, audit_identity_reads, report_export

KINDS = ("reports", "dispatches", "bulletins")
FORMATS = ("csv", "geojson")
PARAMS = {
    "reports": {
        "status",
        "category",
        "from",
        "to",
        "bbox",
        "urgent",
        "sla_breached",
        "outside_jurisdiction",
        "text",
    },
    "dispatches": {"status", "agency", "report", "since"},
    "bulletins": {"status", "category"},
}
NATIONAL_PARAMS = {"from", "to", "polda", "tenant", "category"}


# --- streaming, with the connection given back on every path ---


class _Slots:
    """How many exports stream at once in this process (each holds a connection)."""

    def __init__(self) -> None:
        self.busy = 0

    def take(self) -> None:
        pool = db.ENGINE.pool
        limit = max(1, pool.get_max_size() // 2) if pool is not None else 1
        if self.busy >= limit:
            raise RateLimited(
                "Terlalu banyak ekspor berjalan, coba lagi sebentar. / Too many exports"
                " are running; try again shortly.",
                retry_after=5,
            )
        self.busy += 1

    def give(self) -> None:
        self.busy -= 1


SLOTS = _Slots()


class _Closing:
    """An ASGI response that runs ``closer`` once it is over, whatever ended it (sent,
    failed, cancelled, the client gone, a HEAD request that never read the body)."""

    def __init__(self, inner: ASGIResponse, closer: Callable[[], Awaitable[None]]):
        self.inner = inner
        self.closer = closer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.inner(scope, receive, send)
        finally:
            await self.closer()


class ExportStream(Stream):
    """A :class:`Stream` whose ``closer`` runs after the response, on every path."""

    def __init__(
        self, content: AsyncIterator[str], closer: Callable[[], Awaitable[None]], **kw: Any
    ):
        super().__init__(content, **kw)
        self.closer = closer

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIResponse:
        """Litestar's streaming response, wrapped so that ``closer`` always runs."""
        inner = super().to_asgi_response(*args, **kwargs)
        return _Closing(inner, self.closer)  # type: ignore[return-value]


Shape = Callable[[tuple[Any, ...]], Any]


async def _csv(
    stream: db.RowStream, columns: tuple[str, ...], zone: Any, shape: Shape | None
) -> AsyncIterator[str]:
    encoder = CsvEncoder(columns)
    yield encoder.header()
    async for batch in stream.batches():
        rows: Iterable[tuple[Any, ...]] = (cells(r, zone) for r in batch)
        yield encoder.rows(map(shape, rows) if shape else rows)


async def _geojson(
    stream: db.RowStream, columns: tuple[str, ...], zone: Any, shape: Shape | None
) -> AsyncIterator[str]:
    encoder = GeoJsonEncoder()
    yield encoder.opening()
    async for batch in stream.batches():
        rows = (cells(r, zone) for r in batch)
        yield encoder.features(
            (shape(v) for v in rows) if shape else (feature(columns, v) for v in rows)
        )
    yield encoder.closing()


def _headers(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


async def _open(
    tenant_id: uuid.UUID | None, export: Export, before: Callable[[], Awaitable[None]]
) -> tuple[db.RowStream, Callable[[], Awaitable[None]]]:
    """Open the export's stream (a slot, a connection, the snapshot) and run ``before``
    (the audit rows). Everything taken is given back if a step fails; else by the
    closer returned (idempotent), which the response runs once it is over."""
    SLOTS.take()
    stream: db.RowStream | None = None
    done = False

    async def close() -> None:
        nonlocal done
        if done:
            return
        done = True
        try:
            if stream is not None:
                await stream.close()
        finally:
            SLOTS.give()

    try:
        stream = await db.stream_rows(tenant_id, export.sql, *export.args)
        await before()
    except BaseException:
        await close()
        raise
    return stream, close


async def _respond(
    tenant: TenantInfo,
    export: Export,
    fmt: str,
    kind: str,
    before: Callable[[], Awaitable[None]],
    shapes: tuple[Shape | None, Shape | None] = (None, None),
) -> ExportStream:
    """The command's export as a streamed CSV or GeoJSON attachment."""
    stream, close = await _open(tenant.id, export, before)
    zone = zone_of(tenant.time_zone)
    today = dt.datetime.now(zone).date().isoformat()
    if fmt == "csv":
        body, media = _csv(stream, export.columns, zone, shapes[0]), CSV_MEDIA_TYPE
    else:
        body, media = _geojson(stream, export.columns, zone, shapes[1]), GEOJSON_MEDIA_TYPE
    name = f"{tenant.slug}-{kind}-{today}.{fmt}"
    return ExportStream(body, close, media_type=media, headers=_headers(name))


ACTIONS = {
    "reports": "report.export",
    "dispatches": "dispatch.export",
    "bulletins": "bulletin.export",
}


@get("/t/{slug:str}/export/{name:str}")
async def tenant_export(
    slug: FromPath[str], name: FromPath[str], request: Request[Any, Any, Any]
) -> ExportStream:
    """``/t/{slug}/export/{kind}.{fmt}`` (module doc)."""
    kind, _, fmt = name.partition(".")
    context = await _tenant_context(slug, request)
    tenant = context.require_tenant()
    if kind not in KINDS or fmt not in FORMATS:
        raise NotFound("not found")
    principal = context.principal
    if principal.is_anonymous:
        raise sign_in_first()
    with named_parameters():
        checked(request, PARAMS[kind])
        export, shapes, detail = _export_of(kind, request, tenant, principal)

    async def audit() -> None:
        await audit_identity_reads(tenant.id, principal, export)
        await write_audit(
            ACTIONS[kind],
            principal=principal,
            tenant_id=tenant.id,
            detail={"format": fmt, "filter": dict(request.query_params), **detail},
        )

    return await _respond(tenant, export, fmt, kind, audit, shapes)


def _export_of(
    kind: str, request: Request[Any, Any, Any], tenant: TenantInfo, principal: Principal
) -> tuple[Export, tuple[Shape | None, Shape | None], dict[str, Any]]:
    """The export of ``kind`` for this caller and query (module doc)."""
    viewer = Viewer.of(principal, tenant.id)
    shapes: tuple[Shape | None, Shape | None] = (None, None)
    if kind == "reports":
        export = report_export(viewer, report_filter(request, tenant.time_zone))
        detail: dict[str, Any] = {"identity": export.identity}
    elif kind == "dispatches":
        export = dispatch_export(tenant.id, viewer, dispatch_filter(request, tenant.time_zone))
        detail = {}
    else:
        writer = Cap.BULLETINS_WRITE in principal.tenant_caps(tenant.id)
        export = bulletin_exports.bulletin_export(
            principal, writer, one(request, "status"), one(request, "category")
        )
        shapes = (bulletin_exports.csv_values, bulletin_exports.feature)
        detail = {"staff": writer}

    return export, shapes, detail


NATIONAL_COLUMNS = (
    "day",
    "polda_code",
    "command",
    "command_name",
    "reports",
    "urgent",
    "sla_breached",
    *(s.lower() for s in DAILY_STATUSES),
)


@get("/national/export/daily.csv")
async def national_daily_csv(request: Request[Any, Any, Any]) -> ExportStream:
    """The national daily figures per command as CSV (module doc): 401 anonymous, 403
    without ``national:read``, 400 a bad parameter."""
    context = await _global_context(request, Cap.NATIONAL_READ)
    with named_parameters():
        checked(request, NATIONAL_PARAMS)
        f = NationalFilter(
            date_from=day_param(request, "from"),
            date_to=day_param(request, "to"),
            polda_code=one(request, "polda"),
            tenant_slug=one(request, "tenant"),
            category_code=one(request, "category"),
        )
        tenants, scoped = await national_scope(context.principal, "exportDaily", f, per_tenant=True)
    by_scope = {f"tenant:{t.id}": t for t in tenants}
    sql, args = daily_by_tenant(scoped)
    export = Export(sql, args, NATIONAL_COLUMNS)

    async def nothing() -> None:
        return None

    stream, close = await _open(None, export, nothing)

    async def body() -> AsyncIterator[str]:
        encoder = CsvEncoder(NATIONAL_COLUMNS)
        yield encoder.header()
        async for batch in stream.batches():
            yield encoder.rows(
                (
                    r["day"],
                    by_scope[r["scope"]].polda_code,
                    by_scope[r["scope"]].slug,
                    by_scope[r["scope"]].name,
                    *r[2:],
                )
                for r in batch
            )

    name = f"jogo-national-daily-{scoped.day_from}-{scoped.day_to}.csv"
    return ExportStream(body(), close, media_type=CSV_MEDIA_TYPE, headers=_headers(name))


EXPORT_ROUTES = [tenant_export, national_daily_csv]
