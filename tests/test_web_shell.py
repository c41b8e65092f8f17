"""The browser clients' frame: pages, assets, headers, cookie sign-in with CSRF, and the
sign-in and no-access flows in a real chromium."""

from __future__ import annotations

import asyncio
import gzip
import uuid

from helpers import (
    PASSWORD,
    auth_header,
    browser_sign_in,
    gql,
    make_user,
    onboard,
    screenshot,
)

from jogo.platform.auth.roles import Role


async def csrf_of(client) -> str:
    response = await client.get("/national/")
    return response.cookies["jogo_csrf"]


async def test_pages_carry_a_strict_policy_and_a_csrf_cookie(app_client, two_tenants):
    for path in (f"/t/{two_tenants.a.slug}/console/", "/national/", "/platform/"):
        response = await app_client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert "jogo_csrf" in app_client.cookies  # set by the first page
        assert 'name="jogo-config"' in response.text and "{{config}}" not in response.text
    assert (await app_client.get("/t/no-such-command/console/")).status_code == 404


async def test_assets_are_compressed_cached_and_confined(app_client):
    response = await app_client.get(
        "/web/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/javascript")
    etag = response.headers["etag"]
    again = await app_client.get("/web/vendor/leaflet/leaflet.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    for bad in (
        "/web/__init__.py",
        "/web/vendor.py",
        "/web/../pyproject.toml",
        "/web/%2e%2e/README.md",
        "/web/common/nothing.js",
        "/web/.hidden.js",
    ):
        assert (await app_client.get(bad)).status_code == 404, bad
    raw = await app_client.get("/web/common/api.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert gzip.compress(raw.content)  # served plain when gzip is not accepted


async def test_cookie_sign_in_needs_the_csrf_token_and_rotates(app_client, settings):
    tenant = await onboard()
    _, username = await make_user(Role.OPERATOR, tenant)
    csrf = await csrf_of(app_client)
    body = {"username": username, "password": PASSWORD}
    # No header, a wrong header, another origin: refused before the password is checked.
    assert (await app_client.post("/auth/web/login", json=body)).status_code == 403
    assert (
        await app_client.post("/auth/web/login", json=body, headers={"X-Jogo-CSRF": "x" + csrf})
    ).status_code == 403
    assert (
        await app_client.post(
            "/auth/web/login",
            json=body,
            headers={"X-Jogo-CSRF": csrf, "Origin": "https://evil.example"},
        )
    ).status_code == 403
    ok = await app_client.post(
        "/auth/web/login",
        json=body,
        headers={"X-Jogo-CSRF": csrf, "Origin": "http://testserver"},
    )
    assert ok.status_code == 200, ok.text
    assert "refresh_token" not in ok.json() and ok.json()["access_token"]
    cookie = ok.headers["set-cookie"]
    assert (
        "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/auth/web" in cookie
    )
    first = ok.cookies["jogo_refresh"]
    refreshed = await app_client.post("/auth/web/refresh", headers={"X-Jogo-CSRF": csrf})
    assert refreshed.status_code == 200
    assert refreshed.cookies["jogo_refresh"] != first
    token = refreshed.json()["access_token"]
    me = await app_client.post(
        f"/t/{tenant.slug}/graphql",
        json={"query": "{ me { name roles } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert me.json()["data"]["me"] == {"name": username, "roles": ["operator"]}
    out = await app_client.post("/auth/web/logout", headers={"X-Jogo-CSRF": csrf})
    assert out.json() == {"ended": True}
    # The session ended: the access token and the cookie are both dead.
    dead = await app_client.post(
        f"/t/{tenant.slug}/graphql",
        json={"query": "{ me { name } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert dead.status_code == 401
    app_client.cookies.set("jogo_refresh", first, path="/auth/web")
    gone = await app_client.post("/auth/web/refresh", headers={"X-Jogo-CSRF": csrf})
    assert gone.status_code == 401
    assert (
        await app_client.post("/auth/web/refresh", headers={"X-Jogo-CSRF": csrf})
    ).status_code == 401


async def test_a_wrong_password_and_a_bad_body_are_typed(app_client):
    csrf = await csrf_of(app_client)
    wrong = await app_client.post(
        "/auth/web/login",
        json={"username": "nobody-here", "password": "x" * 12},
        headers={"X-Jogo-CSRF": csrf},
    )
    assert wrong.status_code == 401
    bad = await app_client.post("/auth/web/login", content=b"[1]", headers={"X-Jogo-CSRF": csrf})
    assert (
        bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    )


async def test_an_operator_signs_in_and_stays_signed_in_after_a_reload(page, live_server):
    tenant = await onboard()
    _, username = await make_user(Role.OPERATOR, tenant)
    url = f"http://{live_server}/t/{tenant.slug}/console/"
    await browser_sign_in(page, url, username)
    assert username in await page.locator(".topbar").inner_text()
    await page.reload()
    await page.locator(".topbar").wait_for()
    await screenshot(page, "console-signed-in")
    cookies = await page.context.cookies()
    refresh = next(c for c in cookies if c["name"] == "jogo_refresh")
    assert refresh["httpOnly"] and refresh["sameSite"] == "Strict"
    # Page scripts see the CSRF token, never the refresh token.
    visible = await page.evaluate("document.cookie")
    assert "jogo_refresh" not in visible and "jogo_csrf" in visible
    stored = await page.evaluate("JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
    assert "ey" not in stored and "jrt_" not in stored
    await page.get_by_role("button", name="Keluar").click()
    await page.get_by_label("Nama pengguna").wait_for()


async def test_a_citizen_gets_no_console(page, live_server):
    tenant = await onboard()
    _, citizen = await make_user(Role.CITIZEN, tenant)
    url = f"http://{live_server}/t/{tenant.slug}/console/"
    await page.goto(url)
    await page.get_by_label("Nama pengguna").fill(citizen)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.get_by_text("tidak memiliki akses").wait_for()
    assert await page.locator("nav.tabs").count() == 0
    await screenshot(page, "console-citizen-refused")


async def test_another_commands_operator_gets_no_console(page, live_server, two_tenants):
    _, stranger = await make_user(Role.OPERATOR, two_tenants.b)
    await page.goto(f"http://{live_server}/t/{two_tenants.a.slug}/console/")
    await page.get_by_label("Nama pengguna").fill(stranger)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.get_by_text("tidak memiliki akses").wait_for()


async def test_the_language_switch(page, live_server):
    await page.goto(f"http://{live_server}/platform/")
    await page.get_by_role("button", name="English").click()
    await page.get_by_label("Username").wait_for()
    await page.get_by_role("button", name="Bahasa Indonesia").click()
    await page.get_by_label("Nama pengguna").wait_for()


CREATE_MEMBER = """mutation($input: CreateMemberInput!) {
  createMember(input: $input) { activationCode errors { code field message } } }"""


async def test_a_new_person_activates_their_account_in_the_browser(page, live_server, settings):
    import httpx

    tenant = await onboard()
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    username = f"petugas{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=f"http://{live_server}") as client:
        status, body = await gql(
            client,
            f"/t/{tenant.slug}/graphql",
            CREATE_MEMBER,
            admin,
            input={"username": username, "role": "OPERATOR"},
        )
    assert status == 200, body
    code = body["data"]["createMember"]["activationCode"]
    await page.goto(f"http://{live_server}/t/{tenant.slug}/console/")
    await page.get_by_role("button", name="Punya kode aktivasi atau kode reset?").click()
    form = page.locator("form")
    await page.get_by_label("Kode (jpc_…)").fill(code)
    await page.get_by_label("Kata sandi baru (minimal 10 karakter)").fill("pendek")
    await page.get_by_label("Ulangi kata sandi").fill("pendek")
    await page.get_by_role("button", name="Simpan kata sandi").click()
    # The browser's own minlength check, or the API's INVALID_INPUT next to the field.
    await page.get_by_label("Kata sandi baru (minimal 10 karakter)").fill("kata sandi yang panjang")
    await page.get_by_label("Ulangi kata sandi").fill("kata sandi yang lain")
    await page.get_by_role("button", name="Simpan kata sandi").click()
    await form.get_by_text("Kedua kata sandi tidak sama.").wait_for()
    await page.get_by_label("Kode (jpc_…)").fill("jpc_wrong")
    await page.get_by_label("Ulangi kata sandi").fill("kata sandi yang panjang")
    await page.get_by_role("button", name="Simpan kata sandi").click()
    await form.locator('.field-error[data-field="code"]').wait_for()
    await page.get_by_label("Kode (jpc_…)").fill(code)
    await page.get_by_role("button", name="Simpan kata sandi").click()
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill("kata sandi yang panjang")
    await page.get_by_role("button", name="Masuk").click()
    await page.locator(".topbar").get_by_text(username).wait_for()


async def test_the_consoles_first_load_is_under_300_kb_compressed(page, live_server):
    """Everything the browser fetches to open the console and show the queue: the page,
    scripts, styles, Leaflet and images, as sent (gzip), measured by chromium."""
    tenant = await onboard()
    _, username = await make_user(Role.OPERATOR, tenant)
    responses = []
    page.on("response", lambda r: responses.append(r))
    await browser_sign_in(page, f"http://{live_server}/t/{tenant.slug}/console/", username)
    await page.wait_for_load_state("networkidle")
    sent = 0
    for response in responses:
        if "/web/" in response.url or response.url.endswith("/console/"):
            sizes = await response.request.sizes()
            sent += sizes["responseBodySize"]
    assert any(r.url.endswith("/leaflet.js") for r in responses)
    assert sent < 300 * 1024, f"the console's first load sent {sent} bytes"


def test_map_tiles_setting_is_checked_and_admitted_by_the_policy():
    import pytest

    from jogo.platform.app.web import security_headers
    from jogo.platform.settings import SettingsError, load_settings

    for bad in ("ftp://tiles.example/{z}/{x}/{y}.png", "https://tiles.example/tiles.png", "tiles"):
        with pytest.raises(SettingsError, match="JOGO_MAP_TILES_URL"):
            load_settings({"JOGO_MAP_TILES_URL": bad})
    assert load_settings({"JOGO_MAP_TILES_URL": ""}).map_tiles_url is None
    plain = security_headers(load_settings({}))["Content-Security-Policy"]
    assert "img-src 'self' data: blob:;" in plain
    one = load_settings({"JOGO_MAP_TILES_URL": "https://peta.polri.go.id/{z}/{x}/{y}.png"})
    assert "https://peta.polri.go.id" in security_headers(one)["Content-Security-Policy"]
    many = load_settings({"JOGO_MAP_TILES_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png"})
    assert "https://*.tile.example.org" in security_headers(many)["Content-Security-Policy"]


async def test_the_page_config_escapes_what_a_command_is_called(app_client):
    from jogo.platform import db

    tenant = await onboard()
    async with db.control_tx():
        await db.fetch(
            "UPDATE tenants SET name = $1 WHERE id = $2",
            'Polres "><script>alert(1)</script>',
            tenant.id,
        )
    from jogo.platform import registry

    registry.clear_cache()
    page = await app_client.get(f"/t/{tenant.slug}/console/")
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_two_tabs_refreshing_at_once_keep_the_shift(page, live_server):
    """Two tabs share the refresh cookie; both refresh at the same moment (a lost race
    answers the same successor), and the session goes on in both."""
    tenant = await onboard()
    _, username = await make_user(Role.OPERATOR, tenant)
    url = f"http://{live_server}/t/{tenant.slug}/console/"
    await browser_sign_in(page, url, username)
    second = await page.context.new_page()
    await second.goto(url)
    await second.locator(".topbar").wait_for()
    refresh = """async () => {
        const api = await import('/web/common/api.js');
        const before = api.session.token;
        await api.session.refresh();
        return [before, api.session.token];
    }"""
    one, two = await asyncio.gather(page.evaluate(refresh), second.evaluate(refresh))
    assert one[0] != one[1] and two[0] != two[1]
    me = "async () => (await import('/web/common/api.js')).gql('{ me { name } }')"
    for tab in (page, second):
        assert (await tab.evaluate(me))["me"]["name"] == username
    # And again, one after the other: the cookie both tabs hold moved on.
    await page.evaluate(refresh)
    await second.evaluate(refresh)
    assert (await second.evaluate(me))["me"]["name"] == username
    await second.close()


async def test_the_console_shows_times_on_the_commands_own_clock(page, live_server):
    """A Merauke command (WIT, UTC+9) reads 30 Nov 2026 00:30 WIT as 00.30, whatever the
    browser's own zone (the page fixture's is Asia/Jakarta, UTC+7)."""
    tenant = await onboard(polda="PAPUA", region="93.01")  # Kabupaten Merauke, WIT
    _, username = await make_user(Role.OPERATOR, tenant)
    await browser_sign_in(page, f"http://{live_server}/t/{tenant.slug}/console/", username)
    shown = await page.evaluate(
        "async () => (await import('/web/common/i18n.js')).fmtDateTime('2026-11-29T15:30:00Z')"
    )
    assert "00.30" in shown and "30" in shown, shown
