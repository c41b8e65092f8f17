"""The operator console's UU PDP screens (issue 21) in a real chromium: data-subject
requests with their deadlines (an overdue one marked), a request recorded on a person's
behalf and fulfilled, its export in a sandboxed frame; typed errors next to their fields in
Bahasa Indonesia; the legal hold on the report page, kept while a live event redraws it;
the tenant admin's breach register with its clock, and what an operator does not see."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from helpers import (
    NOTE,
    bearer_for,
    browser_sign_in,
    console_url,
    go_to_view,
    gql,
    make_user,
    new_phone,
    onboard,
    open_console,
    screenshot,
    submit,
)

from jogo.platform.auth.roles import Role
from jogo.tenants.privacy.retention import CATEGORIES

ASK = """mutation($input: DataSubjectRequestInput!) { requestMyData(input: $input) {
  request { id status dueAt } errors { code field message } } }"""
RECORD_BREACH = """mutation($input: RecordBreachInput!) { recordBreach(input: $input) {
  breach { id reference } errors { code field message } } }"""
HOLD = "query($id: ID!) { report(id: $id) { legalHold { reason heldBy } } }"


async def _citizen(owner, tenant, settings) -> tuple[str, str, dict]:
    """A citizen account of ``tenant`` with a phone: (username, phone as typed, headers)."""
    user_id, username = await make_user(Role.CITIZEN, tenant)
    typed, e164 = new_phone()
    await owner.execute("UPDATE users SET phone = $1 WHERE id = $2", e164, user_id)
    return username, typed, bearer_for(user_id, username, settings)


async def test_an_operator_works_the_requests_and_reads_an_access_export(
    page, live_server, settings, owner
):
    tenant = await onboard()
    username, phone, headers = await _citizen(owner, tenant, settings)
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        _, body = await gql(
            client, f"/t/{tenant.slug}/graphql", ASK, headers, input={"right": "RESTRICTION"}
        )
    asked = body["data"]["requestMyData"]
    assert asked["errors"] == [] and asked["request"]["status"] == "RECEIVED", body
    # Its deadline passed an hour ago: the list marks it overdue.
    await owner.execute(
        "UPDATE data_subject_requests SET due_at = now() - interval '1 hour' WHERE id = $1",
        asked["request"]["id"],
    )
    _, operator = await make_user(Role.OPERATOR, tenant)

    await open_console(page, live_server, tenant, operator)
    await page.locator("nav.tabs a[data-view=privacy]", has_text="Privasi").click()
    item = page.locator(f"li.dsr[data-id='{asked['request']['id']}']")
    await item.wait_for()
    assert await item.get_attribute("data-status") == "RECEIVED"
    assert "Pembatasan" in await item.inner_text()
    await item.locator(".due.overdue", has_text="Lewat tenggat").wait_for()
    await item.locator(".badge.danger", has_text="Lewat tenggat").wait_for()

    # Refusing without a reason: the typed error next to the reason, in Bahasa Indonesia.
    await item.locator("summary", has_text="Tolak").click()
    refuse = item.locator("form.dsr-refuse")
    await refuse.get_by_role("button", name="Tolak").click()
    error = refuse.locator(".field-error[data-field=reason]")
    await error.wait_for()
    assert "Isian tidak valid." in await error.inner_text()
    assert "3-1000 karakter" in await error.inner_text()

    # Recording on the person's behalf: without saying how the identity was checked, the
    # error stands next to that field; then with it.
    form = page.locator("form.dsr-record")
    await form.get_by_label("Nomor telepon orang itu").fill(phone)
    await form.get_by_label("Hak").select_option("ACCESS")
    await form.get_by_role("button", name="Catat permintaan").click()
    missing = form.locator(".field-error[data-field=identityCheck]")
    await missing.wait_for()
    assert "Isian tidak valid." in await missing.inner_text()
    await form.get_by_label("Pemeriksaan identitas").fill("KTP dicocokkan di SPKT")
    await form.get_by_role("button", name="Catat permintaan").click()
    access = page.locator("li.dsr[data-right=ACCESS]")
    await access.wait_for()
    assert await access.get_attribute("data-status") == "RECEIVED"
    assert "KTP dicocokkan di SPKT" in await access.inner_text()
    assert "dicatat operator" in await access.inner_text()
    # An open request shows its deadline ticking (72 h by default), not overdue.
    due = access.locator(".due")
    assert "overdue" not in (await due.get_attribute("class") or "")
    assert await due.inner_text() != ""
    await screenshot(page, "console-privacy-requests")

    await access.get_by_role("button", name="Penuhi").click()
    await page.locator("li.dsr[data-right=ACCESS][data-status=DONE]").wait_for()
    done = page.locator("li.dsr[data-right=ACCESS][data-status=DONE]")
    await done.get_by_role("button", name="Lihat ekspor").click()
    frame = done.locator("iframe.export-frame")
    await frame.wait_for()
    assert await frame.get_attribute("sandbox") == ""
    body_text = page.frame_locator("li.dsr[data-status=DONE] iframe.export-frame").locator("body")
    await body_text.get_by_text(username).first.wait_for()
    audited = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'privacy.export.read'",
        tenant.id,
    )
    assert audited >= 1
    await screenshot(page, "console-privacy-export")


async def test_the_legal_hold_is_set_and_lifted_and_survives_a_live_redraw(
    page, live_server, settings, owner
):
    tenant = await onboard()
    operator_id, operator = await make_user(Role.OPERATOR, tenant)
    citizen = bearer_for(*await make_user(Role.CITIZEN, tenant), settings)
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        made = await submit(client, tenant.slug, citizen)
    assert made["errors"] == [], made
    report_id = made["report"]["id"]

    await open_console(page, live_server, tenant, operator)
    await go_to_view(page, f"report/{report_id}")
    card = page.locator("section.legal-hold")
    await card.wait_for()
    assert await card.get_attribute("data-held") == "0"
    assert "tidak ditahan" in await card.inner_text()

    # No reason: the typed error next to the reason field, in Bahasa Indonesia.
    await card.get_by_role("button", name="Tahan laporan ini").click()
    error = card.locator(".field-error[data-field=reason]")
    await error.wait_for()
    assert "Isian tidak valid." in await error.inner_text()

    # A reason is being typed when a note arrives over the live feed: the page redraws
    # (the note shows in the timeline) and the typed reason stays.
    reason = "Penyidikan perkara LP/B/123/2025 masih berjalan"
    await card.get_by_label("Alasan").fill(reason)
    note = "Catatan dari operator lain saat alasan sedang diketik"
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        _, body = await gql(
            client,
            f"/t/{tenant.slug}/graphql",
            NOTE,
            bearer_for(operator_id, operator, settings),
            id=report_id,
            n=note,
            p=False,
        )
    assert body["data"]["addReportNote"]["errors"] == [], body
    await page.locator("ol.timeline .note", has_text=note).wait_for()
    assert await page.locator("section.legal-hold textarea[name=reason]").input_value() == reason

    await page.locator("section.legal-hold").get_by_role("button", name="Tahan laporan ini").click()
    held = page.locator("section.legal-hold[data-held='1']")
    await held.wait_for()
    assert reason in await held.inner_text()
    assert operator in await held.inner_text()
    await page.locator(".report-head .badge.hold", has_text="Ditahan hukum").wait_for()
    stored = await owner.fetchval(
        "SELECT legal_hold_reason FROM reports WHERE tenant_id = $1 AND id = $2",
        tenant.id,
        report_id,
    )
    assert stored == reason
    await held.scroll_into_view_if_needed()
    await screenshot(page, "console-report-legal-hold")

    # The API gives the hold to privacy:requests staff only; officers read null.
    _, officer = await make_user(Role.OFFICER, tenant)
    officer_id = await owner.fetchval("SELECT id FROM users WHERE username = $1", officer)
    await owner.execute(
        "UPDATE reports SET assigned_officer_id = $1 WHERE tenant_id = $2 AND id = $3",
        officer_id,
        tenant.id,
        report_id,
    )
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        _, seen = await gql(
            client,
            f"/t/{tenant.slug}/graphql",
            HOLD,
            bearer_for(officer_id, officer, settings),
            id=report_id,
        )
    assert seen == {"data": {"report": {"legalHold": None}}}, seen

    await held.get_by_label("Alasan").fill("Perkara sudah diputus")
    await held.get_by_role("button", name="Cabut penahanan").click()
    await page.locator("section.legal-hold[data-held='0']").wait_for()
    assert await page.locator(".report-head .badge.hold").count() == 0
    lifted = await owner.fetchval(
        "SELECT legal_hold_at FROM reports WHERE tenant_id = $1 AND id = $2",
        tenant.id,
        report_id,
    )
    assert lifted is None


async def test_a_tenant_admin_records_a_breach_and_sees_its_clock(
    page, live_server, settings, owner
):
    tenant = await onboard()
    admin_id, admin = await make_user(Role.TENANT_ADMIN, tenant)
    # One found 80 hours ago, nobody notified: past its 3 x 24 h.
    found = (datetime.now(UTC) - timedelta(hours=80)).isoformat()
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        _, body = await gql(
            client,
            f"/t/{tenant.slug}/graphql",
            RECORD_BREACH,
            bearer_for(admin_id, admin, settings),
            input={
                "title": "Laptop berisi ekspor laporan hilang",
                "description": "Laptop dinas tertinggal di angkutan umum.",
                "dataCategories": ["IDENTITY", "CONTACT"],
                "subjectCategories": ["REPORTERS"],
                "subjectsEstimate": 40,
                "foundAt": found,
            },
        )
    late = body["data"]["recordBreach"]
    assert late["errors"] == [], body

    await browser_sign_in(page, console_url(live_server, tenant, "privacy/breaches"), admin)
    await page.locator("#main[data-loaded]").wait_for()
    tabs = page.locator("nav.privacy-tabs a")
    assert await tabs.all_inner_texts() == [
        "Permintaan subjek data",
        "Tenggat & retensi",
        "Kegagalan pelindungan",
        "Catatan pemrosesan",
    ]
    overdue = page.locator(f"li.breach[data-id='{late['breach']['id']}']")
    await overdue.locator(".badge.danger", has_text="Lewat batas").wait_for()
    await overdue.locator(".due.overdue", has_text="Lewat tenggat").wait_for()
    assert late["breach"]["reference"] in await overdue.inner_text()

    # A new incident through the form: its clock runs 72 h from now, level 0.
    form = page.locator("form.breach-form")
    await form.get_by_role("button", name="Catat insiden").click()
    await form.locator(".field-error[data-field=title]").wait_for()
    assert "Isian tidak valid." in await form.locator(".field-error[data-field=title]").inner_text()
    await form.get_by_label("Judul singkat").fill("Akses tidak sah ke kotak masuk WhatsApp")
    await form.get_by_label("Apa yang terjadi").fill("Kata sandi gateway bocor di grup obrolan.")
    await form.get_by_label("Kontak (nomor telepon, e-mail)").check()
    await form.get_by_label("Pelapor", exact=True).check()
    await form.get_by_label("Perkiraan jumlah orang").fill("12")
    await form.get_by_role("button", name="Catat insiden").click()
    fresh = page.locator("li.breach", has_text="Akses tidak sah ke kotak masuk WhatsApp")
    await fresh.wait_for()
    assert await fresh.get_attribute("data-open") == "true"
    assert await fresh.get_attribute("data-overdue") == "false"
    assert "Eskalasi 0/4" in await fresh.inner_text()
    due = await fresh.locator(".due").inner_text()
    assert due.startswith("2h 23j") or due.startswith("3h 0j"), due
    row = await owner.fetchrow(
        "SELECT due_at - found_at AS clock, data_categories FROM breach_incidents WHERE tenant_id = $1"
        " AND title = 'Akses tidak sah ke kotak masuk WhatsApp'",
        tenant.id,
    )
    assert row["clock"] == timedelta(hours=72) and list(row["data_categories"]) == ["CONTACT"]

    # The notice drafts, both languages, with a copy button.
    await fresh.locator("summary", has_text="Draf pemberitahuan").click()
    pair = fresh.locator(".notice-pair[data-recipient=subjects]")
    await pair.locator("pre.notice-text").first.wait_for()
    assert await pair.locator("button.copy").count() == 2
    reference = await fresh.locator("code").first.inner_text()
    assert reference.startswith("PDP-")
    subjects_id = await pair.locator(".notice[data-lang=id] pre").inner_text()
    assert reference in subjects_id and "Kepada Yth. Pelapor" in subjects_id
    assert "To: Reporters" in await pair.locator(".notice[data-lang=en] pre").inner_text()

    # Recording the subjects' notice; the authority's still runs the clock.
    notify = fresh.locator("form.breach-notify")
    await notify.get_by_label("Kepada").select_option("SUBJECTS")
    await notify.get_by_role("button", name="Catat pemberitahuan").click()
    again = page.locator("li.breach", has_text="Akses tidak sah ke kotak masuk WhatsApp")
    await again.locator("form.breach-notify option[value=SUBJECTS]").wait_for(state="detached")
    notified = await owner.fetchval(
        "SELECT subjects_notified_by FROM breach_incidents WHERE tenant_id = $1"
        " AND title = 'Akses tidak sah ke kotak masuk WhatsApp'",
        tenant.id,
    )
    assert notified == admin
    assert await again.locator("form.breach-notify option").all_inner_texts() == [
        "Lembaga (otoritas PDP)"
    ]
    await screenshot(page, "console-privacy-breaches")

    # The CSV for the authority comes through the bearer header as a download.
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Unduh CSV untuk lembaga").click()
    download = await waiting.value
    assert download.suggested_filename.endswith(".csv")
    saved = await download.path()
    text = await asyncio.to_thread(Path(saved).read_text, encoding="utf-8")
    assert late["breach"]["reference"] in text


async def test_an_operator_sees_requests_but_not_the_admin_parts(page, live_server):
    tenant = await onboard()
    _, operator = await make_user(Role.OPERATOR, tenant)
    await browser_sign_in(page, console_url(live_server, tenant, "privacy/breaches"), operator)
    await page.locator("#main[data-loaded]").wait_for()
    # An admin-only page asked for: the requests page instead, with no admin tabs.
    assert await page.locator("section.privacy-page").get_attribute("data-page") == "requests"
    assert await page.locator("nav.privacy-tabs a").all_inner_texts() == ["Permintaan subjek data"]
    assert await page.locator("nav.tabs a[data-view=admin]").count() == 0
    await page.locator("form.dsr-record").wait_for()
    assert await page.locator("form.breach-form").count() == 0

    # An officer has no privacy view at all.
    _, officer = await make_user(Role.OFFICER, tenant)
    await page.get_by_role("button", name="Keluar").click()
    await browser_sign_in(page, console_url(live_server, tenant), officer)
    await page.locator("#main[data-loaded]").wait_for()
    assert await page.locator("nav.tabs a[data-view=privacy]").count() == 0


async def test_a_tenant_admin_sets_a_deadline_and_reads_the_records_of_processing(
    page, live_server, owner
):
    tenant = await onboard()
    _, admin = await make_user(Role.TENANT_ADMIN, tenant)
    await browser_sign_in(page, console_url(live_server, tenant, "privacy/deadlines"), admin)
    rows = page.locator("table.deadlines tbody tr")
    await rows.nth(3).wait_for()
    assert await rows.count() == 4
    access = page.locator("form.number-form[data-key=ACCESS]")
    assert await access.locator("input").input_value() == "72"
    await access.locator("input").fill("0")
    await access.get_by_role("button", name="Simpan").click()
    await access.locator(".field-error[data-field=hours]").wait_for()
    assert "1-2160 jam" in await access.locator(".field-error").inner_text()
    await access.locator("input").fill("48")
    await access.get_by_role("button", name="Simpan").click()
    await page.locator("table.deadlines", has_text="Diubah").wait_for()
    assert await page.locator("table.rules tbody tr").count() == len(CATEGORIES)

    await go_to_view(page, "privacy/processing")
    activities = page.locator("section.ropa-activities table tbody tr")
    await activities.first.wait_for()
    assert await activities.count() >= 5
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Unduh halaman HTML").click()
    download = await waiting.value
    assert download.suggested_filename.endswith(".html")
    audited = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'processing.export'",
        tenant.id,
    )
    assert audited == 1
