"""The public tracking page without JavaScript, ``/t/{slug}/lacak`` (issue 17, item 6):
server-rendered, escaped, Bahasa Indonesia first, strict CSP and no script; the same data
and limits as ``trackReport``; a wrong PIN reads exactly like an unknown ticket."""

from __future__ import annotations

import asyncio
import re

import pytest
from helpers import (
    NOTE,
    VERIFY,
    XSS,
    BrowserLog,
    act,
    auth_header,
    fresh_client,
    gql,
    offline_route,
    onboard,
    proxied_app,
    screenshot,
    submit,
)

from jogo.platform import registry
from jogo.platform.auth.roles import Role
from jogo.platform.settings import Settings
from jogo.tenants.reports.limits import TRACK_BY_TICKET

TRACK = """query($t: String!, $p: String!) { trackReport(ticket: $t, pin: $p) {
  ticket status timeline { kind messageId messageEn note actorName } } }"""


@pytest.fixture
async def client(settings: Settings):
    async with proxied_app(settings) as app:
        yield app


async def anonymous_report(client, slug: str, **overrides) -> tuple[str, str, str]:
    made = await submit(client, slug, fresh_client(), anonymous=True, **overrides)
    return made["report"]["id"], made["report"]["ticket"], made["pin"]


def assert_static_page(answer) -> None:
    """HTML, strict CSP, not kept, and no script or inline style anywhere."""
    assert answer.headers["content-type"].startswith("text/html")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
    assert answer.headers["cache-control"] == "no-store"
    text = answer.text
    assert "<script" not in text.lower() and " style=" not in text and "<style" not in text
    assert " on" not in re.sub(r"\s+", " ", " ".join(re.findall(r"<[^>]+>", text))).replace(
        " one", ""
    ), "an event handler attribute"
    assert '<link rel="stylesheet" href="/web/lacak/lacak.css">' in text


async def test_track_a_report_without_javascript(client, settings):
    tenant = await onboard()
    rid, ticket, pin = await anonymous_report(client, tenant.slug)
    form = await client.get(f"/t/{tenant.slug}/lacak", params={"ticket": ticket})
    assert form.status_code == 200
    assert_static_page(form)
    assert f'value="{ticket}"' in form.text and 'name="pin"' in form.text
    assert 'method="post"' in form.text and f'action="/t/{tenant.slug}/lacak"' in form.text
    assert form.text.index("Lacak laporan") < form.text.index("Track a report")
    css = await client.get("/web/lacak/lacak.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

    operator = await auth_header(settings, Role.OPERATOR, tenant)
    await act(client, tenant.slug, VERIFY, operator, id=rid)
    await act(client, tenant.slug, NOTE, operator, id=rid, n="Petugas menuju lokasi", p=True)
    await act(client, tenant.slug, NOTE, operator, id=rid, n="rahasia internal", p=False)

    who = fresh_client()
    shown = await client.post(
        f"/t/{tenant.slug}/lacak", data={"ticket": ticket.lower(), "pin": pin}, headers=who
    )
    assert shown.status_code == 200, shown.text
    assert_static_page(shown)
    text = shown.text
    assert ticket in text and "Pohon tumbang di Jalan Ijen" in text
    assert "Laporan diverifikasi petugas" in text and "Report verified" in text
    assert "Pohon Tumbang" in text  # the category's name
    assert "Petugas menuju lokasi" in text and "rahasia internal" not in text
    assert pin not in text
    # The same entries as trackReport, in the same order.
    _, body = await gql(client, f"/t/{tenant.slug}/graphql", TRACK, who, t=ticket, p=pin)
    timeline = body["data"]["trackReport"]["timeline"]
    entries = text[text.index('<ol class="timeline">') :]
    positions = [entries.index(e["messageId"]) for e in timeline]
    assert positions == sorted(positions) and len(timeline) >= 3
    assert re.search(r"\d\d-\d\d-\d{4} \d\d:\d\d WIB", text)


async def test_a_wrong_pin_reads_like_an_unknown_ticket(client, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    _, ticket, pin = await anonymous_report(client, a.slug)
    unknown_ticket = ticket[:-1] + ("1" if ticket[-1] != "1" else "2")
    answers = []
    for slug, t, p in (
        (a.slug, ticket, "00000000" if pin != "00000000" else "11111111"),
        (a.slug, unknown_ticket, pin),
        (a.slug, ticket, ""),
    ):
        answer = await client.post(
            f"/t/{slug}/lacak", data={"ticket": t, "pin": p}, headers=fresh_client()
        )
        assert answer.status_code == 200
        assert "Tidak ada laporan dengan nomor tiket dan PIN ini" in answer.text
        answers.append(answer.text.replace(t, "TICKET"))
    assert answers[0] == answers[1] == answers[2]
    # Another command does not know the ticket either: the same page, its own name aside.
    other = await client.post(
        f"/t/{b.slug}/lacak", data={"ticket": ticket, "pin": pin}, headers=fresh_client()
    )
    assert other.status_code == 200 and "Tidak ada laporan" in other.text
    assert pin not in other.text


async def test_tracking_is_limited_like_track_report(client):
    tenant = await onboard()
    _, ticket, pin = await anonymous_report(client, tenant.slug)
    tries = TRACK_BY_TICKET.limit + 4
    answers = await asyncio.gather(
        *(
            client.post(
                f"/t/{tenant.slug}/lacak",
                data={"ticket": ticket, "pin": f"{n:08d}"},
                headers=fresh_client(),
            )
            for n in range(tries)
        )
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * TRACK_BY_TICKET.limit + [429] * 4, codes
    limited = next(a for a in answers if a.status_code == 429)
    assert int(limited.headers["retry-after"]) > 0
    assert_static_page(limited)
    assert "Terlalu banyak percobaan" in limited.text and "Too many attempts" in limited.text
    # The budget is the ticket's, whichever way in: trackReport is refused too.
    _, body = await gql(client, f"/t/{tenant.slug}/graphql", TRACK, fresh_client(), t=ticket, p=pin)
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_hostile_text_is_shown_as_text(client, settings):
    tenant = await onboard()
    rid, ticket, pin = await anonymous_report(client, tenant.slug, title=XSS[:90])
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    await act(client, tenant.slug, NOTE, operator, id=rid, n=XSS, p=True)
    shown = await client.post(
        f"/t/{tenant.slug}/lacak", data={"ticket": ticket, "pin": pin}, headers=fresh_client()
    )
    assert shown.status_code == 200
    assert_static_page(shown)
    assert "<img" not in shown.text and "onerror=" not in shown.text.replace("onerror=&quot;", "")
    assert "&lt;img src=x onerror=&quot;document.body.dataset.pwned=1&quot;&gt;" in shown.text
    hostile = '"><script>alert(1)</script>'
    form = await client.get(f"/t/{tenant.slug}/lacak", params={"ticket": hostile})
    assert form.status_code == 200
    assert_static_page(form)
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in form.text
    # Template markers in a value are text, never filled in.
    marker = await client.get(f"/t/{tenant.slug}/lacak", params={"ticket": "{{main}}"})
    assert 'value="{{main}}"' in marker.text


async def test_unknown_and_suspended_commands(client, owner):
    missing = await client.get("/t/no-such-command/lacak")
    assert missing.status_code == 404
    assert_static_page(missing)
    assert "Komando tidak ditemukan" in missing.text
    posted = await client.post("/t/no-such-command/lacak", data={"ticket": "X", "pin": "1"})
    assert posted.status_code == 404
    tenant = await onboard()
    await owner.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", tenant.id)
    registry.clear_cache()
    suspended = await client.get(f"/t/{tenant.slug}/lacak")
    assert suspended.status_code == 403 and "dihentikan sementara" in suspended.text
    for body in (b"", b"\xff\xfe", b"ticket=" + b"A" * 3000, b"&" * 2000, b"pin=1&pin=2"):
        odd = await client.post(
            f"/t/{(await onboard()).slug}/lacak",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **fresh_client()},
        )
        assert odd.status_code == 200, (body[:20], odd.status_code)


async def test_an_old_phone_tracks_with_javascript_off(browser, live_server, settings):
    """A 360x640 phone with JavaScript off: the form, the answer, no CSP violation."""
    tenant = await onboard()
    async with proxied_app(settings) as client:
        _, ticket, pin = await anonymous_report(client, tenant.slug)
    context = await browser.new_context(
        viewport={"width": 360, "height": 640},
        java_script_enabled=False,
        locale="id-ID",
        is_mobile=True,
    )
    await context.route("**/*", offline_route)
    page = await context.new_page()
    log = BrowserLog.attach(page)
    try:
        await page.goto(f"http://{live_server}/t/{tenant.slug}/lacak?ticket={ticket}")
        assert await page.get_by_label("Nomor tiket").input_value() == ticket
        await page.get_by_label("PIN").fill(pin)
        await page.get_by_role("button", name="Lacak").click()
        await page.locator(".result").wait_for(timeout=10_000)
        assert "Laporan diterima" in await page.locator(".status").inner_text()
        # Nothing wider than the phone: no sideways scrolling.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
        log.check()
    finally:
        await screenshot(page, "lacak-phone")
        await context.close()
