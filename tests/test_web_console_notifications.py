"""The operator console's side of issue 17 in a real chromium: how a report came in (a
WhatsApp conversation through the signed intake webhook) on its page and in the queue,
what was sent to the reporter with "Kirim ulang" on a DEAD notification, the failed
notifications paged by cursor, and the tenant admin's notification gateways (secrets
never in the page; the intake URLs to give Meta and the SMS gateway)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import httpx
from helpers import (
    MALANG,
    a_sender,
    browser_sign_in,
    console_url,
    go_to_view,
    hub_signature,
    make_user,
    onboard,
    open_console,
    post_whatsapp,
    screenshot,
    seed_open_reports,
    set_intake_gateways,
    wa_body,
    wa_message,
    wa_say,
)

from jogo.platform.auth.roles import Role
from jogo.platform.crypto import decrypt

DESCRIPTION = "Ada pohon tumbang menutup jalan di depan sekolah, motor tidak bisa lewat."
PHONE_NUMBER_ID = "105500012345"


async def _whatsapp_report(live_server, tenant, owner) -> tuple[dict, str]:
    """A report made by a WhatsApp conversation over the signed webhook: (its row, the
    sender's E.164 number)."""
    sender = a_sender()
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        await wa_say(client, tenant.slug, sender, body=DESCRIPTION)
        await wa_say(client, tenant.slug, sender, body="2")
        answer = await wa_say(
            client, tenant.slug, sender, "location", latitude=MALANG[0], longitude=MALANG[1]
        )
    assert answer["messages"] == ["reported"], answer
    row = await owner.fetchrow(
        "SELECT id, ticket, channel FROM reports WHERE tenant_id = $1 AND reporter_phone = $2",
        tenant.id,
        "+" + sender,
    )
    assert row["channel"] == "WHATSAPP"
    return dict(row), "+" + sender


async def _notification(owner, tenant, report_id, address, **fields) -> uuid.UUID:
    """One notification row, as the delivery actor leaves it (``status``, ``attempts``,
    ``last_error``, ``sent_at``, ``created_at``, ``template``…)."""
    values = {
        "channel": "WHATSAPP",
        "template": "report_status",
        "status": "DEAD",
        "attempts": 5,
        "last_error": "connect ECONNREFUSED 127.0.0.1:9",
    } | fields
    columns = ", ".join(values)
    marks = ", ".join(f"${i}" for i in range(4, 4 + len(values)))
    return await owner.fetchval(
        f"INSERT INTO notifications (tenant_id, report_id, address, {columns})"
        f" VALUES ($1, $2, $3, {marks}) RETURNING id",
        tenant.id,
        report_id,
        address,
        *values.values(),
    )


async def test_a_whatsapp_report_shows_its_channel_and_a_dead_notification_is_retried(
    page, live_server, settings, owner
):
    tenant = await onboard()
    await set_intake_gateways(tenant, settings)
    report, phone = await _whatsapp_report(live_server, tenant, owner)
    # The ticket and PIN went out; a later status message gave up.
    await owner.execute(
        "UPDATE notifications SET status = 'SENT', attempts = 1, sent_at = now()"
        " WHERE tenant_id = $1 AND report_id = $2 AND template = 'report_received'",
        tenant.id,
        report["id"],
    )
    dead = await _notification(owner, tenant, report["id"], phone)
    _, operator = await make_user(Role.OPERATOR, tenant)

    await open_console(page, live_server, tenant, operator)
    row = page.locator(f"tr.qrow[data-id='{report['id']}']")
    await row.locator(".badge.ch[data-channel=WHATSAPP]", has_text="WA").wait_for()

    await row.click()
    await page.locator(
        ".report-head .badge.ch[data-channel=WHATSAPP]", has_text="WhatsApp"
    ).wait_for()
    card = page.locator("section.notifications")
    await card.get_by_role("heading", name="Notifikasi ke pelapor").wait_for()
    items = card.locator("li.nf-item")
    await items.nth(1).wait_for()
    assert await items.count() == 2
    sent = items.filter(has_text="Laporan diterima (tiket & PIN)")
    await sent.locator(".badge.ns-SENT", has_text="Terkirim").wait_for()
    assert "Terkirim:" in await sent.locator(".nf-meta").inner_text()
    assert await sent.get_by_role("button", name="Kirim ulang").count() == 0
    failed = card.locator(f"li.nf-item[data-id='{dead}']")
    assert "Perubahan status" in await failed.inner_text()
    await failed.locator(".badge.ns-DEAD", has_text="Gagal terkirim").wait_for()
    assert "5\u00d7 dicoba" in await failed.locator(".nf-meta").inner_text()
    assert "ECONNREFUSED" in await failed.locator(".nf-error").inner_text()
    # The address is masked: the reporter's full number is not on the page.
    address = await failed.locator(".nf-address").inner_text()
    assert "*" in address and phone not in await page.content()
    await card.scroll_into_view_if_needed()
    await screenshot(page, "console-report-notifications")

    await failed.get_by_role("button", name="Kirim ulang").click()
    again = card.locator(f"li.nf-item[data-id='{dead}']")
    await again.locator(".badge.ns-PENDING", has_text="Menunggu kirim").wait_for()
    assert await again.get_by_role("button", name="Kirim ulang").count() == 0
    stored = await owner.fetchrow(
        "SELECT status, attempts FROM notifications WHERE tenant_id = $1 AND id = $2",
        tenant.id,
        dead,
    )
    assert tuple(stored) == ("PENDING", 0)


async def test_the_failed_notifications_page_by_page_with_retry(page, live_server, settings, owner):
    tenant = await onboard()
    await seed_open_reports(tenant, 1, settings.data_dir)
    report = await owner.fetchrow("SELECT id, ticket FROM reports WHERE tenant_id = $1", tenant.id)
    made = []
    for i in range(25):
        made.append(
            await _notification(
                owner,
                tenant,
                report["id"],
                f"+6281200000{i:03d}",
                channel="SMS" if i % 2 else "WHATSAPP",
                status="FAILED" if i % 5 == 0 else "DEAD",
                created_at=datetime(2025, 1, 1, 0, i, tzinfo=UTC),
            )
        )
    # Sent ones are not listed.
    await _notification(owner, tenant, report["id"], "+62812999", status="SENT", last_error=None)
    _, operator = await make_user(Role.OPERATOR, tenant)
    await open_console(page, live_server, tenant, operator)
    await page.locator("nav.tabs a[data-view=notifications]", has_text="Notifikasi gagal").click()
    rows = page.locator("table.nf-failed tbody tr")
    await page.locator("#main[data-loaded='20']").wait_for()
    assert await rows.count() == 20
    # Newest first: the last made is on top, with its ticket linking to the report.
    first = rows.first
    assert await first.get_attribute("data-id") == str(made[24])
    assert await first.get_by_role("link", name=report["ticket"]).get_attribute("href") == (
        f"#/report/{report['id']}"
    )
    await screenshot(page, "console-failed-notifications")
    more = page.get_by_role("button", name="Muat lebih banyak")
    await more.click()
    await page.locator("#main[data-loaded='25']").wait_for()
    assert await rows.count() == 25
    assert await more.is_hidden()
    listed = await rows.evaluate_all("trs => trs.map((tr) => tr.dataset.id)")
    assert listed == [str(n) for n in reversed(made)]
    # A FAILED one is being retried by the worker: no button.
    failing = page.locator(f"tr[data-id='{made[20]}']")
    await failing.locator(".badge.ns-FAILED", has_text="Gagal, dicoba lagi").wait_for()
    assert await failing.get_by_role("button", name="Kirim ulang").count() == 0

    dead = page.locator(f"tr[data-id='{made[23]}']")
    await dead.get_by_role("button", name="Kirim ulang").click()
    await dead.locator(".badge.ns-PENDING").wait_for()
    assert (
        await owner.fetchval(
            "SELECT status FROM notifications WHERE tenant_id = $1 AND id = $2", tenant.id, made[23]
        )
        == "PENDING"
    )
    # Sent meanwhile (another operator, or the worker): the typed error, with what to do.
    await owner.execute(
        "UPDATE notifications SET status = 'SENT' WHERE tenant_id = $1 AND id = $2",
        tenant.id,
        made[22],
    )
    stale = page.locator(f"tr[data-id='{made[22]}']")
    await stale.get_by_role("button", name="Kirim ulang").click()
    error = stale.locator(".field-error[data-field=id]")
    await error.wait_for()
    assert (await error.inner_text()).startswith("Isian tidak valid. Hanya notifikasi")


async def test_the_admin_sets_the_sms_and_whatsapp_gateways_and_never_sees_a_secret(
    page, live_server, settings, owner
):
    tenant = await onboard()
    _, admin = await make_user(Role.TENANT_ADMIN, tenant)
    access_token = "EAAG-access-token-" + uuid.uuid4().hex
    verify_token = "verify-" + uuid.uuid4().hex
    app_secret = "app-secret-" + uuid.uuid4().hex
    sms_secret = "sms-signing-" + uuid.uuid4().hex
    await browser_sign_in(page, console_url(live_server, tenant, "admin/gateways"), admin)
    await page.locator(".subtabs a.active", has_text="Gateway notifikasi").wait_for()
    forms = page.locator("form.gw-form")
    await forms.nth(3).wait_for()
    kinds = await forms.evaluate_all("fs => fs.map((f) => f.dataset.kind)")
    assert kinds == ["WHATSAPP", "SMS", "EMAIL", "WEBPUSH"]
    base = f"http://{live_server}/t/{tenant.slug}/intake"
    assert await page.locator("[data-intake=WHATSAPP]").inner_text() == f"{base}/whatsapp"
    assert await page.locator("[data-intake=SMS]").inner_text() == f"{base}/sms"

    # SMS: a short secret is refused next to its field, in Indonesian with the hint.
    sms = page.locator("form.gw-form[data-kind=SMS]")
    await sms.locator(".badge", has_text="Belum diatur").wait_for()
    await sms.get_by_label("URL API").fill("http://127.0.0.1:9/sms/send")
    await sms.get_by_label("Nama pengirim").fill("POLRESTA")
    await sms.get_by_label("Rahasia penandatangan").fill("pendek")
    await sms.get_by_role("button", name="Simpan gateway").click()
    error = sms.locator(".field-error[data-field=secret]")
    await error.wait_for()
    assert (await error.inner_text()).startswith("Isian tidak valid. Rahasia yang sah")
    await sms.get_by_label("Rahasia penandatangan").fill(sms_secret)
    await sms.get_by_role("button", name="Simpan gateway").click()
    await sms.locator(".badge[data-state='gw.on']", has_text="Aktif").wait_for()
    await sms.locator("[data-secret=secret][data-set='1']", has_text="tersimpan").wait_for()
    assert await sms.get_by_label("URL API").input_value() == "http://127.0.0.1:9/sms/send"

    # WhatsApp: a bad phone number id, then the whole gateway with the intake secrets.
    wa = page.locator("form.gw-form[data-kind=WHATSAPP]")
    await wa.get_by_label("ID nomor telepon bisnis").fill("nomor")
    await wa.get_by_label("Token akses").fill(access_token)
    await wa.get_by_label("Verify token webhook").fill(verify_token)
    await wa.get_by_label("App secret Meta").fill(app_secret)
    await wa.get_by_role("button", name="Simpan gateway").click()
    await wa.locator(".field-error[data-field=phoneNumberId]").wait_for()
    await wa.get_by_label("ID nomor telepon bisnis").fill(PHONE_NUMBER_ID)
    await wa.get_by_role("button", name="Simpan gateway").click()
    await wa.locator(".badge[data-state='gw.on']").wait_for()
    for name in ("secret", "verifyToken", "appSecret"):
        await wa.locator(f"[data-secret={name}][data-set='1']", has_text="tersimpan").wait_for()
    await screenshot(page, "console-admin-gateways")

    secrets = (access_token, verify_token, app_secret, sms_secret)
    html = await page.content()
    values = await page.evaluate(
        "() => [...document.querySelectorAll('input, textarea')].map((i) => i.value).join(' ')"
    )
    for secret in secrets:
        assert secret not in html and secret not in values
    stored = {
        r["kind"]: r
        for r in await owner.fetch(
            "SELECT kind, config, secret_enc, enabled FROM notification_gateways"
            " WHERE tenant_id = $1",
            tenant.id,
        )
    }
    assert decrypt(stored["SMS"]["secret_enc"], settings.secret_key) == sms_secret
    assert decrypt(stored["WHATSAPP"]["secret_enc"], settings.secret_key) == access_token
    config = json.loads(stored["WHATSAPP"]["config"])
    assert config["verify_token"] == verify_token and config["phone_number_id"] == PHONE_NUMBER_ID
    assert decrypt(config["app_secret_enc"], settings.secret_key) == app_secret

    # What the admin set is what the intake checks: Meta's handshake and a signed message.
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        handshake = await client.get(
            f"/t/{tenant.slug}/intake/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": verify_token,
                "hub.challenge": "4242",
            },
        )
        assert handshake.status_code == 200 and handshake.text == "4242"
        body = wa_body(wa_message(a_sender(), body=DESCRIPTION), phone_number_id=PHONE_NUMBER_ID)
        signed = await post_whatsapp(client, tenant.slug, body, hub_signature(body, app_secret))
        assert signed.status_code == 200, signed.text
        forged = await post_whatsapp(client, tenant.slug, body)  # the tests' default secret
        assert forged.status_code != 200

    # Switched off with the secret fields left empty: every stored secret is kept.
    await page.reload()
    wa = page.locator("form.gw-form[data-kind=WHATSAPP]")
    await wa.get_by_label("Aktif", exact=True).uncheck()
    await wa.get_by_role("button", name="Simpan gateway").click()
    await wa.locator(".badge[data-state='gw.off']", has_text="Nonaktif").wait_for()
    row = await owner.fetchrow(
        "SELECT config, secret_enc, enabled FROM notification_gateways"
        " WHERE tenant_id = $1 AND kind = 'WHATSAPP'",
        tenant.id,
    )
    config = json.loads(row["config"])
    assert not row["enabled"] and config["verify_token"] == verify_token
    assert decrypt(row["secret_enc"], settings.secret_key) == access_token
    assert decrypt(config["app_secret_enc"], settings.secret_key) == app_secret
    assert verify_token not in await page.content()
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        body = wa_body(wa_message(a_sender(), body=DESCRIPTION), phone_number_id=PHONE_NUMBER_ID)
        off = await post_whatsapp(client, tenant.slug, body, hub_signature(body, app_secret))
        assert off.status_code == 404  # a switched-off gateway takes no messages


async def test_an_operator_has_the_failed_list_but_not_the_gateways(page, live_server):
    tenant = await onboard()
    _, operator = await make_user(Role.OPERATOR, tenant)
    await browser_sign_in(page, console_url(live_server, tenant), operator)
    tabs = page.locator("nav.tabs a")
    await tabs.first.wait_for()
    views = await tabs.evaluate_all("links => links.map((a) => a.dataset.view)")
    assert "notifications" in views and "admin" not in views
    await go_to_view(page, "admin/gateways")
    await page.wait_for_timeout(300)
    assert await page.locator("form.gw-form").count() == 0
    await go_to_view(page, "notifications")
    await page.get_by_text("Tidak ada notifikasi yang gagal.").wait_for()


async def test_an_officer_has_no_failed_notifications_tab(page, live_server):
    tenant = await onboard()
    _, officer = await make_user(Role.OFFICER, tenant)
    await browser_sign_in(page, console_url(live_server, tenant), officer)
    tabs = page.locator("nav.tabs a")
    await tabs.first.wait_for()
    views = await tabs.evaluate_all("links => links.map((a) => a.dataset.view)")
    assert "notifications" not in views


async def test_the_admin_sets_web_push_and_e_mail(page, live_server, settings, owner):
    tenant = await onboard()
    _, admin = await make_user(Role.TENANT_ADMIN, tenant)
    password = "smtp-password-" + uuid.uuid4().hex
    await browser_sign_in(page, console_url(live_server, tenant, "admin/gateways"), admin)
    # Web Push with no key given: one is made, its public half shown, the private one not.
    push = page.locator("form.gw-form[data-kind=WEBPUSH]")
    await push.get_by_label("Kontak VAPID").fill("ops@polres")
    await push.get_by_role("button", name="Simpan gateway").click()
    await push.locator(".field-error[data-field=subject]", has_text="mailto:").wait_for()
    await push.get_by_label("Kontak VAPID").fill("mailto:ops@polres.example.id")
    await push.get_by_role("button", name="Simpan gateway").click()
    key = push.locator(".gw-key")
    await key.wait_for()
    await push.locator("[data-secret=secret][data-set='1']").wait_for()
    row = await owner.fetchrow(
        "SELECT config, secret_enc FROM notification_gateways WHERE tenant_id = $1"
        " AND kind = 'WEBPUSH'",
        tenant.id,
    )
    assert json.loads(row["config"])["public_key"] == await key.inner_text()
    assert decrypt(row["secret_enc"], settings.secret_key) not in await page.content()

    # E-mail: a password needs a username; then saved, then cleared.
    mail = page.locator("form.gw-form[data-kind=EMAIL]")
    await mail.get_by_label("Server SMTP").fill("127.0.0.1")
    await mail.get_by_label("Port").fill("2525")
    await mail.get_by_label("Keamanan").select_option("NONE")
    await mail.get_by_label("Alamat pengirim").fill("lapor@polres.example.id")
    await mail.get_by_label("Kata sandi SMTP").fill(password)
    await mail.get_by_role("button", name="Simpan gateway").click()
    await mail.locator(".field-error[data-field=username]").wait_for()
    await mail.get_by_label("Nama pengguna SMTP").fill("lapor")
    await mail.get_by_role("button", name="Simpan gateway").click()
    await mail.locator("[data-secret=secret][data-set='1']").wait_for()
    assert await mail.get_by_label("Port").input_value() == "2525"
    assert password not in await page.content()
    await mail.get_by_label("Hapus kata sandi tersimpan").check()
    await mail.get_by_role("button", name="Simpan gateway").click()
    await mail.locator("[data-secret=secret][data-set='0']", has_text="belum ada").wait_for()
    assert (
        await owner.fetchval(
            "SELECT secret_enc FROM notification_gateways WHERE tenant_id = $1 AND kind = 'EMAIL'",
            tenant.id,
        )
        is None
    )
    # In English too.
    await page.get_by_role("button", name="English").click()
    await page.get_by_role("heading", name="Notification gateways").wait_for()
    await mail.locator("[data-secret=secret]", has_text="not set").wait_for()
