"""The browser clients: their pages and their static assets (``web/``, package ``jogo.web``).

Pages (HTML, ``text/html``):

- ``GET /t/{slug}/console/``: the operator console (404 for an unknown slug);
- ``GET /national/``: the national dashboard;
- ``GET /platform/``: platform administration;
- ``GET /t/{slug}/graphql``, ``/national/graphql``, ``/platform/graphql``: GraphiQL, from
  the vendored assets (no CDN).

Each page is ``web/<client>/index.html`` with ``{{config}}`` replaced by the client's
configuration as HTML-escaped JSON in a ``<meta name="jogo-config">`` (``endpoint``,
``slug``, ``name``, ``timeZone`` (IANA, the command's), ``tiles``), since the
Content-Security-Policy allows no inline script. A page response sets the ``jogo_csrf``
cookie (see :mod:`jogo.platform.app.web_session`) when the browser has none.

Assets: ``GET /web/{path}`` serves files under ``web/`` (scripts, styles, images, the
vendored libraries), gzip-compressed once per process when the browser accepts it, with
an ``ETag`` (``304`` on ``If-None-Match``) and ``Cache-Control: no-cache`` so an upgrade is
seen at the next load. Python files, dot files and paths leaving the folder are 404.

Every response here carries :func:`security_headers`.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import mimetypes
import secrets
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from litestar import MediaType, Request, Response, get
from litestar.datastructures import Cookie
from litestar.params import FromPath

from jogo.platform import registry
from jogo.platform.errors import NotFound
from jogo.platform.regions import TIME_ZONES
from jogo.platform.settings import Settings

CSRF_COOKIE = "jogo_csrf"
# text/* types go bare: Litestar's Response appends "; charset=utf-8" to them itself (one
# here as well was sent twice, "text/css; charset=utf-8; charset=utf-8").
SERVED_SUFFIXES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".wav": "audio/wav",
    ".woff2": "font/woff2",
    ".txt": "text/plain",
}
# Already compressed: gzip would only cost CPU.
NOT_COMPRESSED = {".png", ".woff2", ".ico"}


def web_root() -> Path:
    """The folder of the browser clients (``web/`` in the source tree, ``jogo/web`` installed)."""
    return Path(str(resources.files("jogo.web")))


# What the GraphiQL pages (``web/graphiql/``) need beyond :func:`security_headers`, and
# nothing else: the vendored graphiql.min.css embeds its fonts (Roboto, Fira Code) as
# ``data:`` URLs, which ``font-src 'self'`` refuses. Only the GraphiQL pages get it; the
# clients' pages keep ``font-src 'self'``.
GRAPHIQL_CSP: dict[str, str] = {"font-src": "data:"}


def security_headers(settings: Settings, csp: dict[str, str] | None = None) -> dict[str, str]:
    """The headers of every page and asset: a strict Content-Security-Policy (scripts and
    styles from this origin only, no inline script, no ``eval``, ``frame-ancestors
    'none'``; images also from the map tiles' origin when ``JOGO_MAP_TILES_URL`` is set),
    ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
    same-origin``. ``csp`` adds sources to some directives (``{"font-src": "data:"}``), for
    a page that needs them (see :data:`GRAPHIQL_CSP`). Built once per setting and page
    kind: every asset response carries them."""
    return _headers(settings.map_tiles_url, tuple(sorted((csp or {}).items())))


@lru_cache(maxsize=8)
def _headers(tiles: str | None, csp: tuple[tuple[str, str], ...]) -> dict[str, str]:
    images = "'self' data: blob:"
    if tiles:
        parts = urlsplit(tiles.replace("{s}", "a"))
        host = parts.netloc
        if "{s}" in tiles:  # subdomains a, b, c of one host
            host = "*." + parts.netloc.split(".", 1)[1] if "." in parts.netloc else host
        images += f" {parts.scheme}://{host}"
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": images,
        "connect-src": "'self'",
        "font-src": "'self'",
        "media-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    for name, sources in csp:
        directives[name] = " ".join((directives.get(name, "'self'"), sources))
    policy = "; ".join(f"{name} {sources}" for name, sources in directives.items())
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


def cookie_secure(request: Request, settings: Settings) -> bool:
    """Whether cookies get ``Secure``: the request came over HTTPS, or the public URL is
    HTTPS (a TLS proxy in front). Plain HTTP on a loopback development server: no."""
    if request.url.scheme == "https":
        return True
    return bool(settings.public_url and settings.public_url.startswith("https://"))


def _csrf_cookie(request: Request, settings: Settings) -> list[Cookie]:
    if request.cookies.get(CSRF_COOKIE):
        return []
    return [
        Cookie(
            key=CSRF_COOKIE,
            value=secrets.token_urlsafe(24),
            path="/",
            httponly=False,  # the page's own script reads it and echoes it in a header
            samesite="strict",
            secure=cookie_secure(request, settings),
        )
    ]


@lru_cache(maxsize=16)
def _template(client: str) -> str:
    return (web_root() / client / "index.html").read_text(encoding="utf-8")


def render_page(
    request: Request,
    client: str,
    config: dict[str, object],
    csp: dict[str, str] | None = None,
) -> Response[str]:
    """``web/<client>/index.html`` with the client's configuration in its meta tag, the
    security headers (``csp``: sources added to some directives, see
    :func:`security_headers`), and a CSRF cookie for a browser that has none."""
    settings: Settings = request.app.state.settings
    full = {"tiles": settings.map_tiles_url, **config}
    body = _template(client).replace(
        "{{config}}", html.escape(json.dumps(full, separators=(",", ":")), quote=True)
    )
    return Response(
        body,
        media_type=MediaType.HTML,
        headers={**security_headers(settings, csp), "Cache-Control": "no-store"},
        cookies=_csrf_cookie(request, settings),
    )


@get("/t/{slug:str}/console/", include_in_schema=False)
async def console_page(request: Request, slug: FromPath[str]) -> Response[str]:
    """``GET /t/{slug}/console/``: the operator console; 404 for an unknown command."""
    tenant = await registry.find_by_slug(slug)
    if tenant is None:
        raise NotFound("not found")
    return render_page(
        request,
        "console",
        {
            "slug": tenant.slug,
            "name": tenant.name,
            "endpoint": f"/t/{tenant.slug}/graphql",
            "timeZone": TIME_ZONES.get(tenant.time_zone, "Asia/Jakarta"),
        },
    )


@get("/national/", include_in_schema=False, sync_to_thread=False)
def national_page(request: Request) -> Response[str]:
    """``GET /national/``: the national dashboard (the data needs ``national:read``)."""
    return render_page(request, "national", {"endpoint": "/national/graphql"})


@get("/platform/", include_in_schema=False, sync_to_thread=False)
def platform_page(request: Request) -> Response[str]:
    """``GET /platform/``: platform administration (the data needs ``platform:admin``)."""
    return render_page(request, "platform", {"endpoint": "/platform/graphql"})


@dataclass(frozen=True)
class Asset:
    """One file of ``web/``, read and compressed once."""

    body: bytes
    gzipped: bytes | None
    etag: str
    media_type: str


@lru_cache(maxsize=512)
def load_asset(path: str) -> Asset | None:
    """The asset at ``path`` (relative to ``web/``), or None when it is not served: no such
    file, a suffix not in ``SERVED_SUFFIXES``, a dot file or folder, or ``..``."""
    rel = PurePosixPath(path)
    if rel.is_absolute() or any(part.startswith(".") or part == "" for part in rel.parts):
        return None
    suffix = rel.suffix.lower()
    if suffix not in SERVED_SUFFIXES:
        return None
    # No part is empty, "..", or a dot name (checked above), so the path stays in web/.
    # Not resolved: the strict editable install serves web/ as a tree of symlinks.
    file = web_root().joinpath(*rel.parts)
    if not file.is_file():
        return None
    body = file.read_bytes()
    gzipped = None
    if suffix not in NOT_COMPRESSED and len(body) > 512:
        gzipped = gzip.compress(body, compresslevel=9, mtime=0)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    media = SERVED_SUFFIXES.get(suffix) or mimetypes.guess_type(path)[0] or "text/plain"
    return Asset(body, gzipped, etag, media)


@get("/web/{path:path}", include_in_schema=False, sync_to_thread=False)
def web_asset(request: Request, path: FromPath[str]) -> Response[bytes]:
    """``GET /web/{path}``: a file of ``web/`` (see the module docstring); 404 otherwise."""
    asset = load_asset(path.lstrip("/"))
    if asset is None:
        raise NotFound("not found")
    settings: Settings = request.app.state.settings
    headers = {
        **security_headers(settings),
        "ETag": asset.etag,
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(b"", status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)


WEB_ROUTES = [console_page, national_page, platform_page, web_asset]
