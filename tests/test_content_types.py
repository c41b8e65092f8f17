"""Every answer names its media type once, and a text one its charset once.

Litestar's ``Response`` appends ``; charset=utf-8`` to a ``text/*`` media type itself; the
web assets, the SDL, the service worker and both CSV downloads also named it, and went out
as ``text/css; charset=utf-8; charset=utf-8`` (seen with curl on ``jogo up``)."""

from __future__ import annotations

from helpers import auth_header, onboard

from jogo.platform.app.web import SERVED_SUFFIXES, web_root
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role


def _one_charset(path: str, content_type: str) -> None:
    assert content_type, path
    assert content_type.count(";") <= 1 and content_type.count("charset") <= 1, (
        path,
        content_type,
    )
    if content_type.startswith("text/"):
        assert content_type.endswith("; charset=utf-8"), (path, content_type)


async def test_every_web_asset_kind_names_one_charset(app_client):
    root = web_root()
    seen: set[str] = set()
    for file in sorted(root.rglob("*")):
        suffix = file.suffix
        if suffix not in SERVED_SUFFIXES or suffix in seen or not file.is_file():
            continue
        if any(part.startswith(".") or part == "__pycache__" for part in file.parts):
            continue
        path = "/web/" + file.relative_to(root).as_posix()
        response = await app_client.get(path)
        if response.status_code != 200:
            continue
        seen.add(suffix)
        _one_charset(path, response.headers.get("content-type", ""))
    assert {".js", ".css", ".html", ".png", ".svg"} <= seen


async def test_pages_feeds_schemas_and_downloads_name_one_charset(app_client, settings):
    tenant = await onboard()
    slug = tenant.slug
    key = await create_api_key(tenant, "Content types", ["reports:read"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    paths: list[tuple[str, dict[str, str]]] = [
        (f"/t/{slug}/", {}),
        (f"/t/{slug}/sw.js", {}),
        (f"/t/{slug}/manifest.webmanifest", {}),
        (f"/t/{slug}/console/", {}),
        (f"/t/{slug}/lacak", {}),
        (f"/t/{slug}/graphql", {"Accept": "text/html"}),
        (f"/t/{slug}/alerts.cap.xml", {}),
        (f"/t/{slug}/open311/v2/services.json", {}),
        (f"/t/{slug}/open311/v2/services.xml", {}),
        ("/graphql/schema/tenant.graphql", {}),
        (f"/t/{slug}/export/reports.csv", {"X-API-Key": key.key}),
        (f"/t/{slug}/export/reports.geojson", {"X-API-Key": key.key}),
        (f"/t/{slug}/audit.csv", admin),
        ("/national/export/daily.csv", national),
        ("/national/", {}),
        ("/platform/", {}),
        ("/healthz", {}),
    ]
    for path, headers in paths:
        response = await app_client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
        _one_charset(path, response.headers.get("content-type", ""))
