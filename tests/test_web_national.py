"""The national dashboard (/national/) in a real chromium: its figures are the national API's
for the same caller, a Polda supervisor sees only its Polda, the compliance table sorts and
lists quiet commands with zeros, the auditor reads a command's audit log, and a tenant
operator gets no dashboard."""

from __future__ import annotations

from helpers import (
    NATIONAL_BY_TENANT,
    NATIONAL_GQL,
    NATIONAL_SUMMARY,
    PASSWORD,
    auth_header,
    bearer_for,
    browser_sign_in,
    compliance_rows,
    csv_bytes,
    gql,
    kpi_number,
    make_user,
    national_reports,
    onboard,
    page_int,
    screenshot,
    submit,
    upload_stations,
)

from jogo.platform.auth.roles import Role
from jogo.tenants.oversight.rollups import do_rebuild_tenant


async def test_national_totals_equal_the_api(page, live_server, app_client, settings, two_tenants):
    busy, quiet = two_tenants.a, two_tenants.b  # JATIM with reports, JATENG with none
    await national_reports(app_client, settings, busy, 5)
    user_id, username = await make_user(Role.NATIONAL_SUPERVISOR)
    headers = bearer_for(user_id, username, settings)
    await browser_sign_in(page, f"http://{live_server}/national/", username)
    await page.locator('[data-kpi="reports"] .value').wait_for()
    assert await page.locator(".topbar .scope").inner_text() == "Nasional"
    _, body = await gql(app_client, NATIONAL_GQL, NATIONAL_SUMMARY, headers)
    api = body["data"]["summary"]
    assert api["reports"] >= 5
    for key in ("reports", "urgent", "slaBreaches", "tenants"):
        assert await kpi_number(page, key) == api[key], key
    # The trend shows a bar per day, and the day with our reports is drawn.
    assert await page.locator("svg.trend rect.bar:not(.empty)").count() >= 1
    await screenshot(page, "national-overview")

    await page.get_by_role("link", name="Kepatuhan SLA").click()
    await page.locator("table.compliance tbody tr").first.wait_for()
    _, body = await gql(app_client, NATIONAL_GQL, NATIONAL_BY_TENANT, headers)
    api_rows = {r["tenant"]["slug"]: r["summary"] for r in body["data"]["byTenant"]}
    shown = await compliance_rows(page)
    assert set(shown) == set(api_rows)
    for slug, s in api_rows.items():
        row = shown[slug]
        assert page_int(row["reports"]) == s["reports"], slug
        assert page_int(row["urgent"]) == s["urgent"], slug
        assert page_int(row["breaches"]) == s["slaBreaches"], slug
    assert page_int(shown[busy.slug]["reports"]) == 5
    # The quiet command is listed, with zeros.
    assert {k: shown[quiet.slug][k] for k in ("reports", "urgent", "breaches")} == {
        "reports": "0",
        "urgent": "0",
        "breaches": "0",
    }
    assert shown[quiet.slug]["compliance"] == "—"
    quiet_row = page.locator(f'tr[data-tenant="{quiet.slug}"]')
    assert "tanpa laporan" in await quiet_row.inner_text()

    # Sorting: by reports, descending then ascending; by command name.
    header = page.locator('th[data-sort="reports"]')
    await header.click()
    assert await header.get_attribute("aria-sort") == "descending"
    counts = [page_int(r["reports"]) for r in (await compliance_rows(page)).values()]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 5
    await header.click()
    assert await header.get_attribute("aria-sort") == "ascending"
    counts = [page_int(r["reports"]) for r in (await compliance_rows(page)).values()]
    assert counts == sorted(counts) and counts[-1] >= 5
    await page.locator('th[data-sort="tenant"]').click()
    names = await page.locator("table.compliance tbody tr td:first-child button").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    await screenshot(page, "national-compliance")

    # A command's name opens its redacted drill-down: its reports only, no reporter.
    await page.locator(f'tr[data-tenant="{busy.slug}"] button.link').click()
    await page.locator("table.drilldown tbody tr").first.wait_for()
    tenants = await page.locator("table.drilldown tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.tenant)"
    )
    assert tenants and set(tenants) == {busy.slug} and len(tenants) == 5
    text = await page.locator("table.drilldown").inner_text()
    assert "Laporan uji nasional 4" in text and "Jl. Ijen" not in text
    await screenshot(page, "national-drilldown")

    # The heat map draws the API's cells; English switches every label and date.
    await page.get_by_role("link", name="Peta panas").click()
    total = page.locator("[data-heat-total]")
    await total.wait_for()
    # (The drill-down's command filter is kept: the map shows that command's cells.)
    _, body = await gql(
        app_client,
        NATIONAL_GQL,
        "query($f: NationalFilter) { heatmap(filter: $f) { count } }",
        headers,
        f={"tenantSlug": busy.slug},
    )
    cells = body["data"]["heatmap"]
    assert int(await total.get_attribute("data-heat-total")) == sum(c["count"] for c in cells) == 5
    assert int(await total.get_attribute("data-heat-cells")) == len(cells)
    await page.locator("#heatmap .leaflet-overlay-pane canvas").wait_for()
    await screenshot(page, "national-heatmap")
    await page.get_by_role("button", name="English").click()
    await page.get_by_role("link", name="Overview").click()
    await page.get_by_text("Daily trend").wait_for()
    assert await page.locator(".topbar .scope").inner_text() == "National"


async def test_a_polda_supervisor_sees_only_its_polda(
    page, live_server, app_client, settings, two_tenants
):
    jatim, jateng = two_tenants.a, two_tenants.b
    await national_reports(app_client, settings, jatim, 2)
    await national_reports(app_client, settings, jateng, 3)
    user_id, username = await make_user(Role.POLDA_SUPERVISOR, polda="JATIM")
    headers = bearer_for(user_id, username, settings)
    await browser_sign_in(page, f"http://{live_server}/national/", username)
    await page.locator('[data-kpi="reports"] .value').wait_for()
    assert await page.locator(".topbar .scope").inner_text() == "Polda Jawa Timur"
    _, body = await gql(app_client, NATIONAL_GQL, NATIONAL_SUMMARY, headers)
    assert await kpi_number(page, "reports") == body["data"]["summary"]["reports"]
    # No Polda choice for a Polda supervisor: its scope is fixed.
    assert await page.locator('select[name="poldaCode"]').count() == 0
    await page.get_by_role("link", name="Kepatuhan SLA").click()
    await page.locator("table.compliance tbody tr").first.wait_for()
    shown = await compliance_rows(page)
    assert jatim.slug in shown and jateng.slug not in shown
    assert page_int(shown[jatim.slug]["reports"]) == 2
    polda_cells = await page.locator("table.compliance tbody tr td:nth-child(2)").all_inner_texts()
    assert set(polda_cells) == {"Polda Jawa Timur"}
    # On a tablet the table scrolls inside its frame.
    await page.set_viewport_size({"width": 820, "height": 1180})
    await screenshot(page, "national-polda-compliance-tablet")
    await page.set_viewport_size({"width": 1366, "height": 768})
    # A period that ends before it starts: the API's typed error, in Bahasa Indonesia, at the field.
    await page.locator('select[name="period"]').select_option("custom")
    await page.locator('input[name="dateTo"]').fill("2026-01-01")
    await page.locator('input[name="dateFrom"]').fill("2026-02-01")
    await page.locator('input[name="dateFrom"]').dispatch_event("change")
    error = page.locator('.field-error[data-field="dateFrom"]')
    await error.wait_for()
    assert await error.inner_text() == "Isian tidak valid."
    await page.get_by_role("button", name="Atur ulang").click()
    await page.locator("table.compliance tbody tr").first.wait_for()
    await page.get_by_role("link", name="Laporan").click()
    await page.locator("table.drilldown tbody tr").first.wait_for()
    content = await page.content()
    assert jateng.slug not in content
    await screenshot(page, "national-polda-reports")
    assert "Log audit" not in await page.locator("nav.tabs").inner_text()


async def test_the_auditor_reads_a_commands_audit_log(
    page, live_server, app_client, settings, two_tenants
):
    tenant = two_tenants.a
    user_id, username = await make_user(Role.OVERSIGHT_AUDITOR)
    headers = bearer_for(user_id, username, settings)
    await browser_sign_in(page, f"http://{live_server}/national/", username)
    await page.get_by_role("link", name="Log audit").click()
    await page.locator("table.audit tbody tr").first.wait_for()  # the national looks
    await page.locator('select[name="tenantSlug"]').select_option(tenant.slug)
    # The auditor's own read is in the command's log.
    await page.locator('table.audit tr[data-action="national.auditLog"]').first.wait_for()
    shown = await page.locator("table.audit tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.id)"
    )
    _, body = await gql(
        app_client,
        NATIONAL_GQL,
        "query($s: String) { auditLog(tenantSlug: $s, first: 50) { entries { id action } } }",
        headers,
        s=tenant.slug,
    )
    api_ids = [e["id"] for e in body["data"]["auditLog"]["entries"]]
    # The API call is itself audited (one newer row); everything the page showed is there.
    assert shown and set(shown) <= set(api_ids)
    assert api_ids[1 : len(shown) + 1] == shown
    assert "#/audit/" in page.url
    await screenshot(page, "national-audit")
    # A filter that matches nothing says so.
    await page.get_by_label("Aksi (awalan)").fill("tidak.ada.")
    await page.get_by_role("button", name="Tampilkan").click()
    await page.get_by_text("Tidak ada entri.").wait_for()


async def test_a_tenant_operator_gets_no_dashboard(page, live_server, two_tenants):
    _, operator = await make_user(Role.OPERATOR, two_tenants.a)
    await page.goto(f"http://{live_server}/national/")
    await page.get_by_label("Nama pengguna").fill(operator)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.get_by_text("tidak memiliki akses").wait_for()
    assert await page.locator("nav.tabs").count() == 0
    assert await page.locator("[data-kpi]").count() == 0
    await screenshot(page, "national-operator-refused")


async def test_the_election_summary_equals_the_api(page, live_server, app_client, settings):
    tenant = await onboard(modules=["election", "integrations"])
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    stations = csv_bytes(
        "3573011001001,35.73.01.1001,SDN Balearjosari 1,-7.9300,112.6500,250,AMAN,",
        "3573011001002,35.73.01.1001,Balai RW 03 Balearjosari,-7.9310,112.6510,240,RAWAN,",
        "3573011002001,35.73.01.1002,Lapangan Arjosari,,,260,SANGAT_RAWAN,",
    )
    assert (await upload_stations(app_client, tenant, operator, stations))["created"] == 3
    await submit(
        app_client,
        tenant.slug,
        operator,
        categoryCode="ELECTION_INTIMIDATION",
        title="Intimidasi di TPS",
        pollingStationCode="3573011001002",
    )
    await do_rebuild_tenant(tenant)
    user_id, username = await make_user(Role.NATIONAL_SUPERVISOR)
    headers = bearer_for(user_id, username, settings)
    await browser_sign_in(page, f"http://{live_server}/national/#/election", username)
    await page.locator('[data-kpi="election-stations"] .value').wait_for()
    _, body = await gql(
        app_client,
        NATIONAL_GQL,
        """{ electionSummary { total { stations voters incidents openIncidents urgentIncidents }
          byTenant { key stations incidents } } }""",
        headers,
    )
    total = body["data"]["electionSummary"]["total"]
    for key in ("stations", "voters", "incidents", "openIncidents", "urgentIncidents"):
        assert await kpi_number(page, f"election-{key}") == total[key], key
    row = page.locator(f'tr[data-key="{tenant.slug}"]')
    assert "Polresta Uji Coba" in await row.inner_text()
    cells = await row.locator("td.num").all_inner_texts()
    assert page_int(cells[0]) == 3 and page_int(cells[2]) == 1
    assert await page.locator('tr[data-key="RAWAN"] .badge').inner_text() == "Rawan"
    await screenshot(page, "national-election")
