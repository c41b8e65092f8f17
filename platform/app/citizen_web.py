"""The citizen web app of a command (``web/citizen/``): its page, web app manifest and
service worker, all under ``/t/{slug}/`` so the worker's scope covers the app.

- ``GET /t/{slug}/``: the page (``web/citizen/index.html`` with its configuration, like
  every client: see :func:`jogo.platform.app.web.render_page`);
- ``GET /t/{slug}/manifest.webmanifest``: the web app manifest (``application/manifest+json``):
  the command's name, ``start_url`` and ``scope`` ``/t/{slug}/``, ``display: standalone``,
  the 192 and 512 px icons;
- ``GET /t/{slug}/sw.js``: the service worker (``text/javascript``), ``web/citizen/sw.js``
  with its configuration filled in: the cache version and the app shell's URLs (the page,
  the manifest, the citizen and common modules, the vendored Leaflet). The version is a
  hash of every shell file, so any change to one makes a new worker, which fills a new
  cache and deletes the old ones.

An unknown or suspended command gets 404 on all three.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from litestar import Request, Response, get
from litestar.params import FromPath

from jogo.platform import registry
from jogo.platform.app.web import load_asset, render_page, security_headers, web_root
from jogo.platform.errors import NotFound
from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings

# Folders of web/ (and the suffixes in them) that make up the app shell.
SHELL_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("citizen", (".js", ".css", ".png")),
    ("common", (".js", ".css", ".svg")),
    ("vendor/leaflet", (".js", ".css", ".png")),
)
SW_TEMPLATE = "citizen/sw.js"
SW_PLACEHOLDER = '{"__config__": true}'
THEME = "#0b3d91"


async def _active_tenant(slug: str) -> TenantInfo:
    tenant = await registry.find_by_slug(slug)
    if tenant is None or not tenant.active:
        raise NotFound("not found")
    return tenant


@lru_cache(maxsize=1)
def shell_assets() -> tuple[tuple[str, ...], str]:
    """The ``/web/…`` URLs of the app shell, sorted, and a version: the first 16 hex digits
    of a SHA-256 over each file's path and content hash and the worker's own template.
    Read once per process (assets are read once per process too)."""
    root = web_root()
    paths: list[str] = []
    for folder, suffixes in SHELL_PARTS:
        base = root.joinpath(*folder.split("/"))
        for file in sorted(base.rglob("*")):
            rel = file.relative_to(root).as_posix()
            if file.is_file() and file.suffix in suffixes and rel != SW_TEMPLATE:
                paths.append(rel)
    digest = hashlib.sha256()
    for rel in [*paths, SW_TEMPLATE]:
        asset = load_asset(rel)
        if asset is not None:
            digest.update(f"{rel}\0{asset.etag}\0".encode())
    return tuple(f"/web/{rel}" for rel in paths if load_asset(rel)), digest.hexdigest()[:16]


@get("/t/{slug:str}/", include_in_schema=False)
async def citizen_page(request: Request, slug: FromPath[str]) -> Response[str]:
    """``GET /t/{slug}/``: the citizen web app; 404 for an unknown or suspended command."""
    tenant = await _active_tenant(slug)
    return render_page(
        request,
        "citizen",
        {
            "slug": tenant.slug,
            "name": tenant.name,
            "endpoint": f"/t/{tenant.slug}/graphql",
            "timeZone": TIME_ZONES.get(tenant.time_zone, "Asia/Jakarta"),
            "modules": sorted(tenant.modules),
            "scope": f"/t/{tenant.slug}/",
        },
    )


def manifest_of(tenant: TenantInfo) -> dict[str, object]:
    """The web app manifest of ``tenant``'s citizen app (W3C Web App Manifest fields)."""
    scope = f"/t/{tenant.slug}/"
    return {
        "id": scope,
        "name": f"Jogo Presisi · {tenant.name}",
        "short_name": "Jogo Presisi",
        "description": "Lapor, lacak, informasi dan darurat / Report, track, alerts and emergency",
        "lang": "id",
        "start_url": scope,
        "scope": scope,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f3f5f8",
        "theme_color": THEME,
        "icons": [
            {
                "src": f"/web/citizen/icon-{size}.png",
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any",
            }
            for size in (192, 512)
        ],
    }


@get("/t/{slug:str}/manifest.webmanifest", include_in_schema=False)
async def citizen_manifest(request: Request, slug: FromPath[str]) -> Response[bytes]:
    """``GET /t/{slug}/manifest.webmanifest``: :func:`manifest_of` as
    ``application/manifest+json``; 404 for an unknown or suspended command."""
    tenant = await _active_tenant(slug)
    settings: Settings = request.app.state.settings
    body = json.dumps(manifest_of(tenant), ensure_ascii=False, separators=(",", ":"))
    return Response(
        body.encode(),
        media_type="application/manifest+json",
        headers={**security_headers(settings), "Cache-Control": "no-cache"},
    )


@get("/t/{slug:str}/sw.js", include_in_schema=False)
async def citizen_worker(request: Request, slug: FromPath[str]) -> Response[bytes]:
    """``GET /t/{slug}/sw.js``: the service worker of the command's app (see the module
    docstring), ``text/javascript``, never cached by HTTP (``no-cache``: the browser checks
    for a new version on every visit); 404 for an unknown or suspended command."""
    tenant = await _active_tenant(slug)
    settings: Settings = request.app.state.settings
    template = load_asset(SW_TEMPLATE)
    if template is None:  # the package lacks its own worker: nothing to serve
        raise NotFound("not found")
    assets, version = shell_assets()
    scope = f"/t/{tenant.slug}/"
    config = {
        "version": version,
        "scope": scope,
        "shell": [scope, f"{scope}manifest.webmanifest", *assets],
    }
    body = template.body.decode().replace(SW_PLACEHOLDER, json.dumps(config), 1)
    return Response(
        body.encode(),
        media_type="text/javascript",  # Litestar adds "; charset=utf-8"
        headers={**security_headers(settings), "Cache-Control": "no-cache"},
    )


CITIZEN_ROUTES = [citizen_page, citizen_manifest, citizen_worker]
