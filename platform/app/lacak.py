"""``GET|POST /t/{slug}/lacak``: following a report by ticket and PIN without JavaScript.

For old phones and for the links the notifications carry (``/t/{slug}/lacak?ticket=…``):
server-rendered HTML, Bahasa Indonesia first with English beside, one small stylesheet
(``web/lacak/lacak.css``), no script, under the clients' strict Content-Security-Policy.

- ``GET`` shows the form; ``?ticket=`` fills the ticket in (the PIN is never in a URL).
- ``POST`` (a form: ``ticket``, ``pin``) shows the report's status and public timeline:
  the same data, rules and limits as the ``trackReport`` query
  (:func:`jogo.tenants.reports.tracking.track`, the entries worded by
  :meth:`jogo.graphql.reports.types.ReportEvent.of`). A wrong PIN and an unknown ticket
  read the same page. Too many tries: 429 with ``Retry-After``.
- An unknown command: 404; a suspended one: 403. Every page is ``no-store``.

The templates are ``web/lacak/*.html``; every value put in them is HTML-escaped.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from functools import lru_cache
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from litestar import MediaType, Request, Response, get, post
from litestar.params import FromPath

from jogo.graphql.reports.types import ReportEvent
from jogo.platform import registry
from jogo.platform.app.auth_http import client_of
from jogo.platform.app.web import security_headers, web_root
from jogo.platform.ratelimit import RateLimited
from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings
from jogo.platform.telemetry import set_current_tenant
from jogo.tenants.reports.lifecycle import LABELS, Status
from jogo.tenants.reports.tracking import Tracked, track

MAX_TICKET = 40
MAX_PIN = 20
MAX_BODY = 4096

NOT_FOUND = (
    "Tidak ada laporan dengan nomor tiket dan PIN ini. Periksa keduanya lalu coba lagi.",
    "No report has this ticket and PIN. Check both and try again.",
)
NO_COMMAND = ("Komando tidak ditemukan.", "Command not found.")
SUSPENDED = (
    "Layanan komando ini sedang dihentikan sementara.",
    "This command's service is suspended.",
)


class Markup(str):
    """Text that is HTML already (a filled template): put in a template as it is."""


@lru_cache(maxsize=8)
def _template(name: str) -> str:
    return (web_root() / "lacak" / f"{name}.html").read_text(encoding="utf-8")


def fill(name: str, **values: object) -> Markup:
    """``web/lacak/<name>.html`` with each ``{{key}}`` replaced by ``values[key]``:
    HTML-escaped, unless it is :class:`Markup`. One pass: what a value holds is never
    read as a placeholder."""

    def value(match: re.Match[str]) -> str:
        item = values[match.group(1)]
        return item if isinstance(item, Markup) else html.escape(str(item), quote=True)

    return Markup(re.sub(r"\{\{(\w+)\}\}", value, _template(name)))


def _page(
    request: Request, command: str, main: Markup, status: int = 200, **headers: str
) -> Response[str]:
    settings: Settings = request.app.state.settings
    body = fill(
        "page", heading="Lacak laporan", heading_en="Track a report", command=command, main=main
    )
    return Response(
        body,
        status_code=status,
        media_type=MediaType.HTML,
        headers={
            **security_headers(settings),
            "Cache-Control": "no-store",
            "X-Robots-Tag": "noindex",
            **headers,
        },
    )


def _notice(kind: str, text: tuple[str, str]) -> Markup:
    return fill("notice", kind=kind, text_id=text[0], text_en=text[1])


def _form(tenant: TenantInfo, ticket: str, notice: Markup | None = None) -> Markup:
    return fill(
        "form",
        notice=notice or Markup(""),
        action=f"/t/{tenant.slug}/lacak",
        ticket=ticket,
        pin_focus=Markup(" autofocus" if ticket else ""),
    )


def _when(moment: datetime, tenant: TenantInfo) -> tuple[str, str]:
    """``(shown, ISO 8601)``: the time on the command's clock, e.g. ``05-12-2026 14:30 WIB``."""
    local = moment.astimezone(ZoneInfo(TIME_ZONES.get(tenant.time_zone, "Asia/Jakarta")))
    return f"{local:%d-%m-%Y %H:%M} {tenant.time_zone}", local.isoformat(timespec="seconds")


def _result(tenant: TenantInfo, found: Tracked) -> Markup:
    row, home = found.report, found.home
    events = []
    for entry in found.timeline:
        event = ReportEvent.of(entry, False, None)
        shown, iso = _when(event.created_at, home)
        note = event.note if event.note and event.kind != "TRANSFER" else None
        events.append(
            fill(
                "event",
                iso=iso,
                when=shown,
                message_id=event.message_id,
                message_en=event.message_en,
                note=Markup(f'<p class="note">{html.escape(note)}</p>' if note else ""),
                actor=event.actor_name,
            )
        )
    status = Status(row["status"])
    created, created_iso = _when(row["created_at"], home)
    updated, updated_iso = _when(row["updated_at"], home)
    return fill(
        "result",
        ticket=row["ticket"],
        title=row["title"],
        status=status.value,
        status_id=LABELS[status][0],
        status_en=LABELS[status][1],
        category_id=found.category["name_id"],
        category_en=found.category["name_en"],
        handled_by=home.name,
        created=created,
        created_iso=created_iso,
        updated=updated,
        updated_iso=updated_iso,
        timeline=Markup("\n".join(events)),
        again=f"/t/{tenant.slug}/lacak",
    )


async def _command(request: Request, slug: str) -> TenantInfo | Response[str]:
    """The command, or the 404/403 page."""
    tenant = await registry.find_by_slug(slug)
    if tenant is None:
        return _page(request, "Jogo Indonesia Presisi", _notice("error", NO_COMMAND), 404)
    if not tenant.active:
        return _page(request, tenant.name, _notice("error", SUSPENDED), 403)
    set_current_tenant(tenant.slug)
    return tenant


def _field(form: dict[str, list[str]], name: str, limit: int) -> str:
    values = form.get(name) or [""]
    return values[0].replace("\x00", "").strip()[:limit]  # no NUL reaches PostgreSQL


@get("/t/{slug:str}/lacak", include_in_schema=False)
async def lacak_page(request: Request, slug: FromPath[str]) -> Response[str]:
    """The tracking form; ``?ticket=`` fills the ticket in. 404 for an unknown command."""
    tenant = await _command(request, slug)
    if isinstance(tenant, Response):
        return tenant
    ticket = (request.query_params.get("ticket") or "").strip()[:MAX_TICKET]
    return _page(request, tenant.name, _form(tenant, ticket))


@post("/t/{slug:str}/lacak", include_in_schema=False, request_max_body_size=MAX_BODY)
async def lacak_answer(request: Request, slug: FromPath[str]) -> Response[str]:
    """The report with the posted ticket and PIN, or the form again saying none matched
    (the same page for a wrong PIN and an unknown ticket); 429 when limited."""
    tenant = await _command(request, slug)
    if isinstance(tenant, Response):
        return tenant
    try:
        form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=8)
    except ValueError:
        form = {}
    ticket, pin = _field(form, "ticket", MAX_TICKET), _field(form, "pin", MAX_PIN)
    settings: Settings = request.app.state.settings
    try:
        client = client_of(request, settings)
        found = await track(tenant, client, ticket, pin, settings.secret_key) if ticket else None
    except RateLimited as exc:
        text = tuple(part.strip() for part in exc.message.split(" / ", 1))
        notice = _notice("error", (text[0], text[-1]))
        return _page(
            request,
            tenant.name,
            _form(tenant, ticket, notice),
            429,
            **{"Retry-After": str(exc.retry_after)},
        )
    if found is None:
        return _page(request, tenant.name, _form(tenant, ticket, _notice("error", NOT_FOUND)))
    return _page(request, tenant.name, _result(tenant, found))


LACAK_ROUTES = [lacak_page, lacak_answer]
