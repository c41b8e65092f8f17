"""The operator console's other views in a real chromium: bulletins drawn on the map and
published to the CAP feed, typed errors next to the fields, the moderation queue, the
election board, and the tenant admin's people, API keys and audit log."""

from __future__ import annotations

import re

from helpers import (
    CAP,
    CONSOLE_TPS,
    SUBMIT,
    auth_header,
    browser_sign_in,
    call,
    click_map,
    console_url,
    csv_bytes,
    go_to_view,
    make_user,
    onboard,
    report_input,
    screenshot,
    share,
    upload_stations,
)
from lxml import etree

from jogo.platform.auth.roles import Role


async def test_a_bulletin_drawn_on_the_map_is_published_to_the_cap_feed(page, live_server):
    tenant = await onboard()
    _, operator = await make_user(Role.OPERATOR, tenant)
    await browser_sign_in(page, console_url(live_server, tenant, "bulletins/new"), operator)
    await page.get_by_label("Judul", exact=True).fill("Penutupan Jalan Ijen untuk Car Free Day")
    await page.get_by_label("Uraian", exact=True).fill("Jalan Ijen ditutup pukul 06.00-10.00 WIB.")
    await page.get_by_label("Uraian wilayah").fill("Jalan Ijen, Klojen, Kota Malang")
    await page.get_by_role("button", name="Gambar poligon").click()
    await click_map(page, ".bul-map", [(200, 100), (420, 110), (400, 280), (190, 260)])
    state = page.locator(".draw-state")
    await state.filter(has_text="Poligon: 4 titik").wait_for()
    preview = await page.locator(".cap-preview").inner_text()
    drawn = re.search(r"^polygon: (.+)$", preview, re.M)
    assert drawn, preview
    points = [tuple(map(float, p.split(","))) for p in drawn.group(1).split()]
    assert len(set(points)) == 4
    # Drawn over Kota Malang: the map was fitted to the command's own hospitals and posts.
    assert all(-8.1 < lat < -7.8 and 112.5 < lon < 112.8 for lat, lon in points), points
    await screenshot(page, "console-bulletin-drawn")
    await page.get_by_role("button", name="Terbitkan", exact=True).click()
    await page.locator(".bul-editor .badge", has_text="Terbit").wait_for()
    served = page.locator(".cap-preview")
    await served.filter(has_text="<polygon>").wait_for()
    await screenshot(page, "console-bulletin-published")

    response = await page.request.get(f"http://{live_server}/t/{tenant.slug}/alerts.cap.xml")
    assert response.ok
    root = etree.fromstring(await response.body())
    alerts = root.findall(f".//{{{CAP}}}alert")
    (alert,) = [
        a
        for a in alerts
        if a.findtext(f"{{{CAP}}}info/{{{CAP}}}headline")
        == "Penutupan Jalan Ijen untuk Car Free Day"
    ]
    ring = alert.findtext(f"{{{CAP}}}info/{{{CAP}}}area/{{{CAP}}}polygon").split()
    fed = [tuple(map(float, p.split(","))) for p in ring]
    assert fed[0] == fed[-1] and fed[:-1] == points  # the drawn ring, closed by CAP
    assert (
        alert.findtext(f"{{{CAP}}}info/{{{CAP}}}area/{{{CAP}}}areaDesc")
        == "Jalan Ijen, Klojen, Kota Malang"
    )

    # Reloaded, the editor holds the bulletin's content; an update replaces it (CAP Update).
    await page.reload()
    description = page.get_by_label("Uraian", exact=True)
    assert await description.input_value() == "Jalan Ijen ditutup pukul 06.00-10.00 WIB."
    await page.get_by_label("Judul", exact=True).fill("Jalan Ijen ditutup sampai pukul 11.00")
    await page.get_by_role("button", name="Terbitkan pembaruan").click()
    await page.locator(".bul-editor .badge", has_text="Pembaruan").wait_for()
    await page.locator(".cap-preview").filter(has_text="<msgType>Update</msgType>").wait_for()
    await screenshot(page, "console-bulletin-updated")

    # The list shows the update published and the first one superseded; a cancel with no
    # reason is refused next to the field.
    await go_to_view(page, "bulletins")
    await page.get_by_label("Digantikan").check()
    await (
        page.locator("table.bulletins tr", has_text="Car Free Day")
        .get_by_text("Digantikan")
        .wait_for()
    )
    row = page.locator("table.bulletins tr", has_text="sampai pukul 11.00")
    await row.get_by_text("Terbit").wait_for()
    await screenshot(page, "console-bulletin-list")
    await row.get_by_role("link").click()
    await page.get_by_role("button", name="Batalkan buletin").click()
    await page.locator(".bul-cancel .field-error[data-field=reason]").wait_for()
    await page.get_by_label("Alasan pembatalan").fill("Acara dibatalkan panitia")
    await page.get_by_role("button", name="Batalkan buletin").click()
    await page.locator(".bul-editor .badge", has_text="Dibatalkan").wait_for()


async def test_a_typed_bulletin_error_is_shown_next_to_its_field_in_indonesian(page, live_server):
    tenant = await onboard()
    _, operator = await make_user(Role.OPERATOR, tenant)
    await browser_sign_in(page, console_url(live_server, tenant, "bulletins/new"), operator)
    await page.get_by_label("Judul", exact=True).fill("Abc")  # under 5 characters
    await page.get_by_label("Uraian", exact=True).fill("Hujan deras disertai angin kencang.")
    await page.get_by_label("Uraian wilayah").fill("Kota Malang")
    await page.get_by_role("button", name="Gambar lingkaran").click()
    await click_map(page, ".bul-map", [(300, 180)], last_double=False)
    await page.get_by_label("Jari-jari (m)").fill("5")  # under 10 m
    await page.get_by_label("Jari-jari (m)").press("Tab")
    await page.get_by_role("button", name="Simpan draf").click()
    headline = page.locator(".field-error[data-field=headline]")
    await headline.wait_for()
    # The code in Bahasa Indonesia, then what the field takes.
    assert await headline.inner_text() == "Isian tidak valid. Judul 5\u2013160 karakter."
    # Next to the headline input itself, not in the form's general box.
    assert await page.evaluate(
        "() => document.querySelector('.field-error[data-field=headline]')"
        ".previousElementSibling.querySelector('[name=headline]') !== null"
    )
    circle = page.locator(".field-error[data-field=circle]")
    assert "jari-jari 10 m sampai 500 km" in await circle.inner_text()
    await screenshot(page, "console-bulletin-typed-error")
    # Fixed, it saves as a draft.
    await page.get_by_label("Judul", exact=True).fill("Hujan deras di Kota Malang")
    await page.get_by_label("Jari-jari (m)").fill("2000")
    await page.get_by_label("Jari-jari (m)").press("Tab")
    await page.get_by_role("button", name="Simpan draf").click()
    await page.locator(".bul-editor .badge", has_text="Draf").wait_for()
    assert await page.locator(".field-error").count() == 0


async def test_a_held_post_is_moderated_with_its_reason(page, live_server, app_client, settings):
    tenant = await onboard()
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    shared = await share(app_client, tenant, citizen, body="Jual murah hubungi 081234567890")
    assert shared["post"]["status"] == "HELD"
    post_id = shared["post"]["id"]
    _, operator = await make_user(Role.OPERATOR, tenant)
    await browser_sign_in(page, console_url(live_server, tenant, "moderation"), operator)
    card = page.locator(f"article.post[data-id='{post_id}']")
    await card.wait_for()
    assert "Jual murah hubungi 081234567890" in await card.inner_text()
    await card.locator(
        ".hold-reasons [data-reason=PHONE]", has_text="berisi nomor telepon"
    ).wait_for()
    await screenshot(page, "console-moderation-held")
    # Approving a held post without the acknowledgement: the API's HELD_CONTENT, in Bahasa.
    await card.get_by_role("button", name="Setujui").click()
    await card.locator(
        ".field-error[data-field=acknowledgeHold]", has_text="centang konfirmasi"
    ).wait_for()
    await card.get_by_label("Saya sudah memeriksa").check()
    await card.get_by_role("button", name="Setujui").click()
    await card.wait_for(state="detached")
    public = await call(app_client, tenant, "{ sharedPosts { edges { node { id status } } } }")
    assert {"id": post_id, "status": "APPROVED"} in [e["node"] for e in public["edges"]]


async def test_the_election_board_shows_the_tps_and_their_incidents(
    page, live_server, app_client, settings
):
    tenant = await onboard(modules=["election", "integrations"])
    operator_headers = await auth_header(settings, Role.OPERATOR, tenant)
    done = await upload_stations(app_client, tenant, operator_headers, csv_bytes(*CONSOLE_TPS))
    assert done["created"] == 4, done
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    made = await call(
        app_client,
        tenant,
        SUBMIT,
        citizen,
        input=report_input(
            categoryCode="ELECTION_VOTE_BUYING",
            title="Pembagian amplop di TPS 1",
            description="Ada orang membagikan amplop kepada pemilih di dekat TPS.",
            pollingStationCode="3573011001001",
        ),
    )
    assert made["errors"] == []
    _, operator = await make_user(Role.OPERATOR, tenant)
    await browser_sign_in(page, console_url(live_server, tenant, "election"), operator)
    board = page.locator(".el-board")
    await board.locator("[data-kpi=stations] .value", has_text="4").wait_for()
    assert await board.locator("[data-kpi=INCIDENT] .value").inner_text() == "1"
    assert await board.locator("[data-kpi=NORMAL] .value").inner_text() == "3"
    incident = board.locator(".el-incidents-table tbody tr")
    assert await incident.count() == 1
    assert (
        "3573011001001" in await incident.inner_text()
        and "Ada insiden" in await incident.inner_text()
    )
    assert "1 TPS tanpa koordinat" in await board.inner_text()
    await board.locator("details.el-all summary").click()
    assert await board.locator(".el-stations-table tbody tr").count() == 4
    plan = page.locator(".el-plan")
    await plan.locator("table.el-plan-table").wait_for()
    assert "Jumlah" in await plan.inner_text()
    await screenshot(page, "console-election-board")
    # The operator plans: a rule out of range is refused next to its field, then saved.
    rule = plan.locator("form.el-rule[data-level=AMAN]")
    await rule.get_by_label("TPS per pos (maks.)").fill("0")
    await rule.get_by_role("button", name="Simpan").click()
    await rule.locator(
        ".field-error[data-field=maxTpsPerGroup]", has_text="Isian tidak valid"
    ).wait_for()
    await rule.get_by_label("TPS per pos (maks.)").fill("1")
    await rule.get_by_label("Personel per pos").fill("3")
    await rule.get_by_role("button", name="Simpan").click()
    await page.wait_for_function(
        "() => document.querySelector('form.el-rule[data-level=AMAN] [name=officersPerGroup]')"
        "?.value === '3' && !document.querySelector('.el-plan .field-error')"
    )
    rules = await call(
        app_client,
        tenant,
        "{ deploymentPlan { rules { vulnerability maxTpsPerGroup officersPerGroup } } }",
        operator_headers,
    )
    assert {"vulnerability": "AMAN", "maxTpsPerGroup": 1, "officersPerGroup": 3} in rules["rules"]

    # An officer sees the plan, not the board (the API keeps it for operators).
    _, officer = await make_user(Role.OFFICER, tenant)
    await page.get_by_role("button", name="Keluar").click()
    await browser_sign_in(page, console_url(live_server, tenant, "election"), officer)
    await page.locator(".el-plan table").wait_for()
    assert await page.locator(".el-board").count() == 0


async def test_the_election_tab_of_a_command_without_the_module(page, live_server):
    tenant = await onboard()  # Malang's template: no election module
    _, operator = await make_user(Role.OPERATOR, tenant)
    await browser_sign_in(page, console_url(live_server, tenant, "election"), operator)
    await page.locator(".module-off", has_text="tidak aktif untuk komando ini").wait_for()


async def test_a_tenant_admin_manages_people_and_keys_and_reads_the_audit_log(page, live_server):
    tenant = await onboard()
    _, admin = await make_user(Role.TENANT_ADMIN, tenant)
    await browser_sign_in(page, console_url(live_server, tenant, "admin/people"), admin)
    form = page.locator("form.member-form")
    await form.get_by_label("Nama pengguna").fill("budi.santoso")
    await form.get_by_label("Nama lengkap").fill("Budi Santoso")
    await form.get_by_label("Peran").select_option("OFFICER")
    await form.get_by_role("button", name="Tambah").click()
    once = page.locator(".once", has_text="Kode aktivasi untuk budi.santoso")
    await once.wait_for()
    code = (await once.locator(".secret").inner_text()).strip()
    assert len(code) >= 8
    await page.locator(
        ".members-table tr[data-user='budi.santoso']", has_text="Belum aktivasi"
    ).wait_for()
    # A unit, with the admin as its member.
    units = page.locator(".units")
    await units.get_by_label("Nama").fill("Samapta Siaga 1")
    await units.get_by_label("Jenis").select_option("SAMAPTA")
    await units.get_by_role("button", name="Unit baru").click()
    unit = units.locator("table.units-table tr", has_text="Samapta Siaga 1")
    await unit.get_by_role("button", name="Atur anggota").click()
    await units.locator("form.unit-members").get_by_label(admin).check()
    await units.locator("form.unit-members").get_by_role("button", name="Simpan").click()
    await unit.get_by_text(admin).wait_for()
    await screenshot(page, "console-admin-people")

    await go_to_view(page, "admin/keys")
    keys = page.locator("form.key-form")
    await keys.get_by_label("Nama (mis. sistem Dishub)").fill("Sistem Dishub")
    await keys.get_by_label("reports:read").check()
    await keys.get_by_role("button", name="Buat kunci").click()
    shown = page.locator(".once", has_text="Kunci API baru")
    await shown.wait_for()
    secret = (await shown.locator(".secret").inner_text()).strip()
    row = page.locator("table.keys tr", has_text="Sistem Dishub")
    await row.wait_for()
    prefix = (await row.locator("code").inner_text()).strip()
    assert secret.startswith(f"jogo_{prefix}_") and len(secret) > len(prefix) + 16
    await screenshot(page, "console-admin-keys")
    # Shown once: the list, after a reload, has only the prefix.
    await page.reload()
    await page.locator("table.keys tr", has_text="Sistem Dishub").wait_for()
    assert secret not in await page.content()
    assert await page.locator(".once").count() == 0

    await go_to_view(page, "admin/audit")
    await page.locator(".audit-table tr[data-action='apikey.create']").first.wait_for()
    assert await page.locator(".audit-table tr[data-action='user.create']").count() >= 1
    await page.get_by_label("Tindakan (mis. member.create)").fill("apikey.create")
    await page.get_by_role("button", name="Saring").click()
    await page.wait_for_function(
        "() => [...document.querySelectorAll('.audit-table tbody tr')]"
        ".map((r) => r.dataset.action).join() === 'apikey.create'"
    )
    await screenshot(page, "console-admin-audit")

    await go_to_view(page, "admin/directory/posts")
    post = page.locator("form.dir-form")
    await post.get_by_label("Nama").fill("Pos Polisi Alun-alun")
    await post.get_by_label("Lintang").fill("-7.9826")
    await post.get_by_label("Bujur").fill("112.6308")
    await post.get_by_label("Telepon").fill("12")  # neither a number nor a short one
    await post.get_by_role("button", name="Tambah").click()
    await post.locator(".field-error[data-field=phone]", has_text="Isian tidak valid").wait_for()
    await post.get_by_label("Telepon").fill("0341 551234")
    await post.get_by_role("button", name="Tambah").click()
    listed = page.locator("table.dir-posts tr", has_text="Pos Polisi Alun-alun")
    await listed.get_by_text("+62341551234").wait_for()
    await listed.get_by_role("button", name="Nonaktifkan").click()
    await listed.get_by_text("Nonaktif", exact=True).wait_for()
    await screenshot(page, "console-admin-directory")


async def test_an_operator_sees_no_admin_tab(page, live_server):
    tenant = await onboard()
    _, operator = await make_user(Role.OPERATOR, tenant)
    await browser_sign_in(page, console_url(live_server, tenant), operator)
    tabs = page.locator("nav.tabs a")
    await tabs.first.wait_for()
    views = await tabs.evaluate_all("links => links.map((a) => a.dataset.view)")
    assert "admin" not in views and {"bulletins", "moderation", "election"} <= set(views)
    await page.get_by_role("button", name="English").click()
    await page.locator("nav.tabs a[data-view=bulletins]", has_text="Bulletins").wait_for()
    await go_to_view(page, "moderation")
    await page.get_by_text("Moderation queue of citizens' posts").wait_for()
    # Typing the route leads to the first view, not to the admin pages.
    await go_to_view(page, "admin/people")
    await page.wait_for_timeout(300)
    assert await page.locator("form.member-form").count() == 0
