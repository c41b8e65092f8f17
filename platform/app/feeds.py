"""Public feeds of a tenant: bulletins as CAP 1.2 (an Atom feed with the alerts embedded,
and each alert alone). Only what is public now is served; anything else is a 404, the
same as an unknown tenant or a tenant without the bulletins module."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from litestar import Request, Response, get
from litestar.params import FromPath

from jogo.platform import registry
from jogo.platform.app.links import request_base
from jogo.platform.errors import NotFound
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings
from jogo.platform.telemetry import set_current_tenant
from jogo.tenants.bulletins import cap
from jogo.tenants.bulletins.queries import cap_messages

ALERT_NAME = re.compile(r"^([0-9a-f-]{36})\.cap\.xml$")
CACHE = {"Cache-Control": "public, max-age=60", "X-Content-Type-Options": "nosniff"}


async def _tenant_with(slug: str, module: str) -> TenantInfo:
    tenant = await registry.find_by_slug(slug)
    if tenant is None or not tenant.active or module not in tenant.modules:
        raise NotFound("not found")
    set_current_tenant(tenant.slug)
    return tenant


def _public_url(request: Request) -> str:
    """JOGO_PUBLIC_URL, else the request's own scheme, host and port (``links``)."""
    settings: Settings = request.app.state.settings
    return request_base(request, settings)


@get("/t/{slug:str}/alerts.cap.xml")
async def cap_feed(slug: FromPath[str], request: Request) -> Response[bytes]:
    """``GET /t/{slug}/alerts.cap.xml``: the tenant's public bulletins as an Atom feed with each CAP
    1.2 alert embedded, cached 60 s. Raises :class:`NotFound` (404) for an unknown or suspended
    tenant or one without the bulletins module."""
    tenant = await _tenant_with(slug, "bulletins")
    rows = await cap_messages(tenant.id)
    body = cap.feed_document(rows, tenant, _public_url(request), datetime.now(UTC))
    return Response(body, media_type=f"{cap.ATOM_MEDIA_TYPE}; charset=utf-8", headers=CACHE)


@get("/t/{slug:str}/alerts/{name:str}")
async def cap_alert(slug: FromPath[str], name: FromPath[str], request: Request) -> Response[bytes]:
    """``GET /t/{slug}/alerts/{id}.cap.xml``: one public bulletin as a CAP 1.2 alert, cached 60 s.
    Raises :class:`NotFound` (404) for a malformed name, a bulletin that is not public now, or a
    tenant as in :func:`cap_feed`."""
    tenant = await _tenant_with(slug, "bulletins")
    match = ALERT_NAME.match(name)
    if match is None:
        raise NotFound("not found")
    try:
        bulletin_id = uuid.UUID(match.group(1))
    except ValueError:
        raise NotFound("not found") from None
    rows = await cap_messages(tenant.id, bulletin_id)
    if not rows:
        raise NotFound("not found")
    body = cap.alert_document(rows[0], tenant, _public_url(request))
    return Response(body, media_type=f"{cap.CAP_MEDIA_TYPE}; charset=utf-8", headers=CACHE)


FEED_ROUTES = [cap_feed, cap_alert]
