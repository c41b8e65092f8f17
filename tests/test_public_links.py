"""Issue 14, item 9: public links follow the host and port the public reached, not a
fixed http://127.0.0.1:8000, unless JOGO_PUBLIC_URL says otherwise. (The worker's
``callback_url`` under ``jogo up --port`` is checked end to end in test_embedded.)"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import replace

import httpx
from helpers import PUBLISH, auth_header, call, content, onboard

from jogo.platform import registry
from jogo.platform.app.links import bound_base
from jogo.platform.auth.roles import Role
from jogo.platform.settings import load_settings


def _links(text: str) -> set[str]:
    found = set(re.findall(r'href="(https?://[^"]+)"', text))
    found |= set(re.findall(r"<web>(https?://[^<]+)</web>", text))
    found |= set(re.findall(r"<id>(https?://[^<]+)</id>", text))
    return found


async def _feed(settings, slug: str, **headers: str) -> str:
    from jogo.platform.app.factory import create_app

    registry.clear_cache()
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(f"/t/{slug}/alerts.cap.xml", headers=headers)
    assert response.status_code == 200, response.text
    return response.text


def test_public_url_is_unset_by_default():
    assert load_settings({}).public_url is None
    assert load_settings({"JOGO_PUBLIC_URL": "https://jogo.polri.go.id/"}).public_url == (
        "https://jogo.polri.go.id"
    )
    assert bound_base("127.0.0.1", 18101) == "http://127.0.0.1:18101"
    assert bound_base("::1", 18101) == "http://[::1]:18101"
    assert not bound_base("0.0.0.0", 18101).startswith("http://0.0.0.0")


async def test_cap_links_follow_the_request_unless_a_public_url_is_set(app_client, settings):
    tenant = await onboard(modules=["bulletins"])
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    published = await call(app_client, tenant, PUBLISH, operator, input=content())
    assert published["errors"] == [], published
    bid = published["bulletin"]["id"]
    alert = f"/t/{tenant.slug}/alerts/{bid}.cap.xml"

    plain = _links(await _feed(settings, tenant.slug))
    assert f"http://testserver{alert}" in plain
    assert not any(":8000" in link for link in plain)
    # A port the public reached (jogo up --port 18101) is the port the links name.
    ported = _links(await _feed(settings, tenant.slug, host="jogo.polresbatu.id:18101"))
    assert f"http://jogo.polresbatu.id:18101{alert}" in ported
    assert all(link.startswith("http://jogo.polresbatu.id:18101/") for link in ported), ported
    # A Host header that is not a host name is not written into the feed.
    odd = _links(await _feed(settings, tenant.slug, host="under_score.example"))
    assert odd and not any("under_score" in link for link in odd), odd
    # Forwarded scheme and host count only from a trusted proxy.
    forwarded = {"x-forwarded-proto": "https", "x-forwarded-host": "jogo.polri.go.id"}
    untrusted = _links(await _feed(settings, tenant.slug, **forwarded))
    assert not any("jogo.polri.go.id" in link for link in untrusted)
    trusting = replace(settings, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    proxied = _links(await _feed(trusting, tenant.slug, **forwarded))
    assert f"https://jogo.polri.go.id{alert}" in proxied
    # JOGO_PUBLIC_URL wins over everything the request says.
    fixed = replace(settings, public_url="https://jogo.example.id")
    pinned = _links(await _feed(fixed, tenant.slug, host="elsewhere:9999", **forwarded))
    assert f"https://jogo.example.id{alert}" in pinned
    assert all(link.startswith("https://jogo.example.id/") for link in pinned), pinned
