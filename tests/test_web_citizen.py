"""The citizen web app (/t/{slug}/) on a 360x640 touch phone: it fits the screen, keeps a
report written with no signal and sends it exactly once when the signal returns, shrinks
photos before upload, opens with no signal after the first visit (service worker), never
queues the panic button, and is installable (manifest, worker scope)."""

from __future__ import annotations

import io
import json
import re

import pytest
from helpers import (
    NOTE,
    PUBLISH,
    BrowserLog,
    act,
    auth_header,
    big_photo,
    call,
    citizen_password_sign_in,
    citizen_url,
    content,
    hold,
    make_user,
    onboard,
    open_citizen,
    phone_context,
    reports_titled,
    screenshot,
)
from PIL import Image

from jogo.platform import registry
from jogo.platform.auth.roles import Role


@pytest.fixture
async def phone(browser, request):
    """Like the ``page`` fixture, on a phone: a fresh context (360x640, touch, GPS at
    Malang, only 127.0.0.1 reachable) that fails the test on page errors or CSP
    violations, with a screenshot of the last state."""
    context = await phone_context(browser)
    opened = await context.new_page()
    log = BrowserLog.attach(opened)
    try:
        yield opened
        log.check()
    finally:
        await screenshot(opened, f"{request.node.name}-end")
        await context.close()


async def overflow(page) -> int:
    """How many pixels the page is wider than the screen."""
    return await page.evaluate(
        "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )


async def fill_report(page, title: str) -> None:
    """Fill the Lapor form (the place comes from the phone's GPS)."""
    await page.locator("select[name=categoryCode] option[value=FALLEN_TREE]").wait_for(
        state="attached", timeout=15_000
    )
    await page.locator("select[name=categoryCode]").select_option("FALLEN_TREE")
    await page.get_by_label("Judul").fill(title)
    await page.get_by_label("Uraian kejadian").fill(
        "Pohon besar tumbang menutup jalan, mohon bantuan."
    )
    await page.get_by_text("Lokasi: -7.96").wait_for(timeout=15_000)


async def test_every_view_fits_a_phone(phone, live_server, app_client):
    tenant = await onboard()
    _, citizen = await make_user(Role.CITIZEN, tenant)
    await open_citizen(phone, citizen_url(live_server, tenant))
    views = ["lapor", "lacak", "info", "berbagi", "darurat", "fasilitas", "akun"]
    for signed_in in (False, True):
        if signed_in:
            await citizen_password_sign_in(phone, live_server, citizen)
        for view in views:
            await phone.goto(citizen_url(live_server, tenant, view))
            await phone.locator(f"#main[data-view={view}][data-loaded]").wait_for(timeout=15_000)
            await phone.wait_for_timeout(300)
            await screenshot(phone, f"phone-{view}-{'in' if signed_in else 'out'}")
            assert await overflow(phone) <= 0, f"#{view} is wider than a phone"
    # Bahasa Indonesia first, English beside it.
    assert await phone.get_by_role("link", name="Lapor").count() == 1
    await (
        phone.get_by_role("button", name="Bahasa Inggris / English")
        .or_(phone.locator(".citizen-top .lang"))
        .first.click()
    )
    await phone.get_by_role("link", name="Report").wait_for()
    assert await overflow(phone) <= 0


async def test_a_report_written_offline_arrives_once(phone, live_server, owner):
    tenant = await onboard()
    url = citizen_url(live_server, tenant, "lapor")
    await open_citizen(phone, url)
    title = "Pohon tumbang tanpa sinyal"
    await fill_report(phone, title)
    await phone.context.set_offline(True)
    await phone.get_by_role("button", name="Kirim laporan").click()
    waiting = phone.locator(".kept[data-state=waiting]")
    await waiting.get_by_text("Menunggu sinyal").wait_for(timeout=10_000)
    await phone.get_by_text("Tanpa sinyal").first.wait_for()
    assert await reports_titled(owner, tenant, title) == []
    await screenshot(phone, "citizen-offline-waiting")
    # The signal returns: the kept report goes out by itself, once.
    await phone.context.set_offline(False)
    sent = phone.locator(".kept[data-state=sent]")
    await sent.get_by_text("Terkirim").wait_for(timeout=20_000)
    # ... and the "no signal, kept on this phone" notice goes with it.
    await phone.get_by_text("Laporan disimpan di ponsel ini").wait_for(state="hidden")
    [row] = await reports_titled(owner, tenant, title)
    assert row["anonymous"] is True
    assert row["channel"] == "WEB"  # the app names itself; operators see how it came in
    assert await sent.locator(".ticket").inner_text() == row["ticket"]
    assert re.fullmatch(r"\d{8}", await sent.locator(".pin").inner_text())
    # Opening the app again (its retry on open) and a flush from the page send nothing more.
    await open_citizen(phone, url)
    await phone.evaluate(
        """async () => { const o = await import('/web/citizen/outbox.js');
          const cfg = JSON.parse(document.querySelector('meta[name="jogo-config"]').content);
          await o.flush(cfg.scope, cfg.endpoint); }"""
    )
    await phone.locator(".kept[data-state=sent]").wait_for()
    assert len(await reports_titled(owner, tenant, title)) == 1
    # Tracked with the ticket and PIN this phone kept (one tap).
    await phone.goto(citizen_url(live_server, tenant, "lacak"))
    await phone.get_by_role("button", name=re.compile(re.escape(row["ticket"]))).click()
    tracked = phone.locator(f".tracked[data-ticket='{row['ticket']}']")
    await (
        tracked.locator(".badge.status-SUBMITTED").get_by_text("Diterima").wait_for(timeout=10_000)
    )


async def test_a_photo_is_shrunk_before_upload(phone, live_server, owner, settings, tmp_path):
    tenant = await onboard()
    await open_citizen(phone, citizen_url(live_server, tenant, "lapor"))
    title = "Foto pohon tumbang besar"
    await fill_report(phone, title)
    uploads: list[bytes] = []
    phone.on(
        "request",
        lambda r: (
            uploads.append(r.post_data_buffer or b"")
            if r.method == "POST" and r.url.endswith("/graphql")
            else None
        ),
    )
    await phone.locator("input[name=photos]").set_input_files(
        str(big_photo(tmp_path / "kamera.jpg"))
    )
    await phone.locator(".thumbs[data-ready='1']").wait_for(timeout=15_000)
    await phone.get_by_role("button", name="Kirim laporan").click()
    await phone.locator(".kept[data-state=sent]").wait_for(timeout=20_000)
    [row] = await reports_titled(owner, tenant, title)
    [attachment] = await owner.fetch(
        "SELECT storage_key FROM report_attachments WHERE report_id = $1", row["id"]
    )
    with Image.open(settings.data_dir / "attachments" / attachment["storage_key"]) as stored:
        assert max(stored.size) == 1600 and stored.size == (1600, 1200), stored.size
    # What went over the wire was the shrunk JPEG, not the 4000x3000 original.
    [multipart] = [body for body in uploads if b'name="operations"' in body]
    assert len(multipart) < 1_500_000
    assert b"image/jpeg" in multipart


async def test_the_shell_opens_offline_after_the_first_visit(phone, live_server):
    tenant = await onboard()
    url = citizen_url(live_server, tenant)
    await open_citizen(phone, url)
    await phone.wait_for_function(
        "() => navigator.serviceWorker.controller !== null", timeout=20_000
    )
    await phone.context.set_offline(True)
    assert await phone.evaluate("() => fetch('/healthz').then(() => false, () => true)"), (
        "the context is not offline"
    )
    response = await phone.reload()
    assert response is not None and response.from_service_worker
    await phone.locator("#main[data-loaded]").wait_for(timeout=15_000)
    await phone.evaluate("() => { location.hash = '#/lacak'; }")
    await phone.locator("#main[data-view=lacak][data-loaded]").wait_for(timeout=15_000)
    await phone.get_by_label("Nomor tiket").wait_for()
    await phone.get_by_text("Tanpa sinyal").first.wait_for()
    # The worker's cache holds the whole shell (one version, the old ones gone).
    cached = await phone.evaluate(
        """async () => { const names = (await caches.keys()).filter((n) => n.startsWith('jogo-citizen:'));
          const cache = await caches.open(names[0]);
          return {names, urls: (await cache.keys()).map((r) => new URL(r.url).pathname)}; }"""
    )
    assert len(cached["names"]) == 1, cached["names"]
    assert {f"/t/{tenant.slug}/", "/web/citizen/app.js", "/web/vendor/leaflet/leaflet.js"} <= set(
        cached["urls"]
    )
    # The map library came from the cache too.
    assert await phone.evaluate("() => typeof window.L === 'object'")
    await phone.context.set_offline(False)


async def test_the_panic_button_is_never_queued(phone, live_server, owner):
    tenant = await onboard()
    _, citizen = await make_user(Role.CITIZEN, tenant)
    await open_citizen(phone, citizen_url(live_server, tenant, "darurat"))
    await phone.get_by_text("hanya untuk warga yang sudah masuk").wait_for()
    assert await phone.locator("a[href='tel:110']").count() >= 1
    await citizen_password_sign_in(phone, live_server, citizen)
    await phone.goto(citizen_url(live_server, tenant, "darurat"))
    button = ".sos-button"
    await phone.locator(button).wait_for()
    # A short press sends nothing.
    await hold(phone, button, 500)
    await phone.wait_for_timeout(2500)
    assert await phone.locator(".sos-ok, .sos-fail").count() == 0
    # No signal: it says at once that it did NOT go out, and offers 110; nothing waits.
    await phone.context.set_offline(True)
    await hold(phone, button, 2300)
    failed = phone.locator(".sos-fail[data-sent=no]")
    await failed.get_by_text("TIDAK terkirim").wait_for(timeout=5_000)
    assert await failed.locator("a[href='tel:110']").count() == 1
    await screenshot(phone, "citizen-sos-offline")
    await phone.context.set_offline(False)
    await phone.wait_for_timeout(1500)  # an "online" event flushes waiting reports: none
    sos = await owner.fetch("SELECT id FROM reports WHERE tenant_id = $1 AND sos", tenant.id)
    assert sos == []
    # With a signal, held long enough: sent, with the nearest police post and hospital.
    await hold(phone, button, 2300)
    ok = phone.locator(".sos-ok[data-sent=yes]")
    await ok.get_by_text("TERKIRIM").wait_for(timeout=15_000)
    await ok.get_by_text("Pos polisi terdekat").wait_for()
    assert await ok.locator(".facility").count() >= 1
    sos = await owner.fetch("SELECT id FROM reports WHERE tenant_id = $1 AND sos", tenant.id)
    assert len(sos) == 1


async def test_manifest_worker_and_unknown_commands(app_client, owner):
    tenant = await onboard()
    base = f"/t/{tenant.slug}/"
    page = await app_client.get(base)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'rel="manifest" href="manifest.webmanifest"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]

    manifest = await app_client.get(f"{base}manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["start_url"] == base and body["scope"] == base
    assert body["display"] == "standalone"
    assert tenant.name in body["name"]
    sizes = {icon["sizes"]: icon["src"] for icon in body["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for size, src in sizes.items():
        icon = await app_client.get(src)
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"
        side = int(size.split("x")[0])
        with Image.open(io.BytesIO(icon.content)) as image:
            assert image.size == (side, side)

    worker = await app_client.get(f"{base}sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache"
    config = json.loads(re.search(r"const CONFIG = (\{.*?\});", worker.text).group(1))
    assert config["scope"] == base and re.fullmatch(r"[0-9a-f]{16}", config["version"])
    shell = set(config["shell"])
    assert {
        base,
        f"{base}manifest.webmanifest",
        "/web/citizen/app.js",
        "/web/common/api.js",
    } <= shell
    assert "/web/vendor/leaflet/leaflet.js" in shell and "/web/citizen/sw.js" not in shell
    for url in shell:  # every file of the shell is served
        assert (await app_client.get(url)).status_code == 200, url
    # It never answers for GraphQL or /auth, and only GET.
    assert 'request.method !== "GET"' in worker.text and '"/auth/"' in worker.text

    for path in ("", "manifest.webmanifest", "sw.js"):
        assert (await app_client.get(f"/t/no-such-command/{path}")).status_code == 404
    await owner.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", tenant.id)
    registry.clear_cache()
    for path in ("", "manifest.webmanifest", "sw.js"):
        assert (await app_client.get(f"{base}{path}")).status_code == 404, path


async def test_my_reports_show_police_notes_and_take_replies(
    phone, live_server, app_client, settings, owner
):
    tenant = await onboard()
    _, citizen = await make_user(Role.CITIZEN, tenant)
    await open_citizen(phone, citizen_url(live_server, tenant, "lapor"))
    await citizen_password_sign_in(phone, live_server, citizen)
    title = "Lampu jalan mati di Ijen"
    await fill_report(phone, title)
    anonymous = phone.get_by_label("Lapor secara anonim")
    assert await anonymous.is_enabled() and not await anonymous.is_checked()
    await phone.get_by_role("button", name="Kirim laporan").click()
    await phone.locator(".kept[data-state=sent]").wait_for(timeout=20_000)
    assert await phone.locator(".kept[data-state=sent] .pin").count() == 0  # named: no PIN
    [row] = await reports_titled(owner, tenant, title)
    assert row["anonymous"] is False
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    note = "Petugas PLN sudah dihubungi."
    done = await act(app_client, tenant.slug, NOTE, operator, id=str(row["id"]), n=note, p=True)
    assert done["errors"] == []
    await phone.goto(citizen_url(live_server, tenant, "lacak"))
    mine = phone.locator(f".mine .tracked[data-ticket='{row['ticket']}']")
    await mine.get_by_text(note).first.wait_for(timeout=10_000)
    await mine.get_by_label("Balas petugas").fill("Terima kasih, lampunya di depan nomor 12.")
    await mine.get_by_role("button", name="Kirim balasan").click()
    await phone.get_by_text("Balasan terkirim.").wait_for()
    notes = await owner.fetch(
        "SELECT note, public FROM report_events WHERE report_id = $1 AND kind = 'NOTE'"
        " ORDER BY created_at",
        row["id"],
    )
    assert [(n["note"], n["public"]) for n in notes] == [
        (note, True),
        ("Terima kasih, lampunya di depan nomor 12.", True),
    ]


async def test_sign_up_by_phone_then_choose_notification_channels(phone, live_server, owner):
    """Needs the phone sign-in routes (branch i17-auth) and the citizen notification
    settings (branch i17-notify)."""
    tenant = await onboard()
    # The command sends codes by SMS and news by WhatsApp (a channel is only added where
    # the command has a gateway for it: GATEWAY_UNAVAILABLE otherwise).
    await owner.execute(
        "INSERT INTO notification_gateways (tenant_id, kind) VALUES ($1, 'SMS'), ($1, 'WHATSAPP')",
        tenant.id,
    )
    await open_citizen(phone, citizen_url(live_server, tenant, "akun"))
    await phone.get_by_label("Nomor ponsel").fill("0812 3456 7890")
    await phone.get_by_role("button", name="Kirim kode").click()
    await phone.get_by_text("Kode dikirim ke").wait_for(timeout=10_000)
    code = await owner.fetchval(
        "SELECT params->>'code' FROM notifications WHERE tenant_id = $1 AND template = 'otp_code'"
        " ORDER BY created_at DESC LIMIT 1",
        tenant.id,
    )
    assert code
    await phone.get_by_label("Kode", exact=True).fill(code)
    await phone.get_by_label("Nama (opsional)").fill("Siti Warga")
    await phone.get_by_role("button", name="Masuk", exact=True).click()
    # A new citizen accepts the privacy notice first.
    await phone.get_by_text("setujui pemberitahuan privasi").first.wait_for(timeout=10_000)
    await phone.get_by_label("Saya menyetujui pemberitahuan privasi.").check()
    await phone.get_by_role("button", name="Masuk", exact=True).click()
    await phone.get_by_text("Masuk sebagai").wait_for(timeout=10_000)
    await phone.get_by_role("link", name="Akun").wait_for()
    # A WhatsApp channel for news of their reports, then removed.
    await phone.get_by_label("Nomor atau e-mail").fill("0812 3456 7891")
    await phone.get_by_role("button", name="Tambah", exact=True).click()
    row = phone.locator(".channel-row")
    await row.get_by_text("+6281234567891").wait_for(timeout=10_000)
    channels = await owner.fetch(
        "SELECT channel, address, user_id FROM notification_channels"
        " WHERE tenant_id = $1 AND removed_at IS NULL",
        tenant.id,
    )
    assert [(c["channel"], c["address"]) for c in channels] == [("WHATSAPP", "+6281234567891")]
    assert channels[0]["user_id"] is not None
    await row.get_by_role("button", name="Hapus").click()
    await phone.get_by_text("Belum ada jalur notifikasi.").wait_for(timeout=10_000)


async def test_bulletins_in_force_show_with_their_areas(phone, live_server, app_client, settings):
    tenant = await onboard()
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    published = await call(app_client, tenant, PUBLISH, operator, input=content())
    assert published["errors"] == []
    await open_citizen(phone, citizen_url(live_server, tenant, "info"))
    card = phone.locator(f".bulletin[data-id='{published['bulletin']['id']}']")
    await card.get_by_text("Penutupan Jalan Ijen untuk Car Free Day").wait_for()
    await card.get_by_text("Gunakan Jalan Semeru atau Jalan Kawi.").wait_for()
    # Its area on the map: the polygon and the circle, drawn on the map's canvas.
    assert await phone.evaluate("() => document.querySelectorAll('#info-map canvas').length") >= 1
    await card.get_by_role("button", name="Lihat di peta").click()
    assert await overflow(phone) <= 0
