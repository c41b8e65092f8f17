"""Platform administration in a real chromium (/platform/): the onboarding wizard with
the region chosen by name, typed errors next to their field, the go-live checklist, the
first tenant admin's invitation, suspend and resume; and the platform API's region
look-up behind the wizard."""

from __future__ import annotations

import uuid

from helpers import (
    PASSWORD,
    auth_header,
    browser_sign_in,
    gql,
    make_user,
    onboard,
    pick_region,
    platform_tenant,
    screenshot,
)

from jogo.platform.auth.roles import Role
from jogo.platform.regions import POLDAS

REGIONS = """query($s: String!, $n: Int) { regions(search: $s, limit: $n) {
  code name province timeZone polda { code name } } }"""


def letters(n: int) -> str:
    """``n`` random letters A-Z (a fresh ticket prefix)."""
    return "".join(chr(65 + b % 26) for b in uuid.uuid4().bytes[:n])


async def test_regions_are_found_by_name_for_platform_admins_only(app_client, settings):
    admin = await auth_header(settings, Role.PLATFORM_ADMIN)
    _, body = await gql(app_client, "/platform/graphql", REGIONS, admin, s="malang", n=10)
    found = {r["name"]: r for r in body["data"]["regions"]}
    assert {"Kota Malang", "Kabupaten Malang"} <= set(found)
    assert found["Kota Malang"]["code"] == "35.73"
    assert found["Kota Malang"]["polda"] == {"code": "JATIM", "name": "Polda Jawa Timur"}
    assert found["Kota Malang"]["province"] == "Jawa Timur"
    # The Polda that holds the region, also across a province line, and its time zone.
    _, sorong = await gql(app_client, "/platform/graphql", REGIONS, admin, s="kota sorong")
    assert [(r["code"], r["polda"]["code"], r["timeZone"]) for r in sorong["data"]["regions"]] == [
        ("96.71", "PAPUA_BARAT_DAYA", "WIT")
    ]
    _, depok = await gql(app_client, "/platform/graphql", REGIONS, admin, s="depok")
    assert {r["polda"]["code"] for r in depok["data"]["regions"] if r["code"] == "32.76"} == {
        "METRO_JAYA"
    }
    _, bad = await gql(app_client, "/platform/graphql", REGIONS, admin, s="x" * 101)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    _, options = await gql(
        app_client,
        "/platform/graphql",
        "{ onboardingOptions { kinds modules timeZones poldas { code } } }",
        admin,
    )
    assert options["data"]["onboardingOptions"]["kinds"] == ["POLRES", "POLRESTA", "POLRESTABES"]
    poldas = [p["code"] for p in options["data"]["onboardingOptions"]["poldas"]]
    assert sorted(poldas) == sorted(POLDAS)
    # Anyone else is refused at the platform endpoint.
    tenant = await onboard()
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    status, refused = await gql(app_client, "/platform/graphql", REGIONS, operator, s="malang")
    assert status == 403 and not refused.get("data"), refused
    status, _ = await gql(app_client, "/platform/graphql", REGIONS, None, s="malang")
    assert status in (401, 403)


async def test_a_platform_admin_onboards_a_command_through_the_wizard(
    page, live_server, app_client, settings
):
    taken = await onboard()  # its ticket prefix is taken
    _, admin = await make_user(Role.PLATFORM_ADMIN)
    await browser_sign_in(page, f"http://{live_server}/platform/", admin)
    await page.locator("#main").get_by_role("link", name="Daftarkan komando").click()
    slug = f"batu-{uuid.uuid4().hex[:8]}"
    prefix = letters(6)
    await page.get_by_label("Templat").select_option("minimal")
    await page.get_by_label("Nama komando").fill("Polres Batu")
    await page.get_by_label("Slug").fill(slug)
    await page.get_by_label("Jenis").select_option("POLRES")
    await pick_region(page, "batu", "Kota Batu")
    # Picking the region sets its Polda; the admin picks a wrong one on purpose.
    assert await page.get_by_label("Polda").input_value() == "JATIM"
    await page.get_by_label("Polda").select_option("JATENG")
    await page.get_by_label("Pemilu (TPS)").check()
    await page.get_by_label("Berbagi ke publik").uncheck()
    await page.get_by_label("Prefiks tiket").fill(taken.ticket_prefix)
    await page.get_by_role("button", name="Daftarkan komando").click()
    polda_error = page.locator('.field-error[data-field="poldaCode"]')
    await polda_error.wait_for()
    assert "Kota Batu berada di wilayah Polda Jawa Timur" in await polda_error.inner_text()
    await screenshot(page, "platform-wizard-wrong-polda")
    await page.get_by_label("Polda").select_option("JATIM")
    await page.get_by_role("button", name="Daftarkan komando").click()
    prefix_error = page.locator('.field-error[data-field="ticketPrefix"]')
    await prefix_error.wait_for()
    assert (await prefix_error.inner_text()).startswith("Bentrok dengan data yang ada.")
    assert "sudah dipakai komando lain" in await prefix_error.inner_text()
    assert await page.locator('.field-error[data-field="poldaCode"]').count() == 0
    await screenshot(page, "platform-wizard-prefix-taken")
    admin_header = await auth_header(settings, Role.PLATFORM_ADMIN)
    assert await platform_tenant(app_client, admin_header, slug) is None
    await page.get_by_label("Prefiks tiket").fill(prefix.lower())
    await page.get_by_role("button", name="Daftarkan komando").click()
    await page.locator(".readiness [data-ready]").wait_for()
    await screenshot(page, "platform-onboarded")
    assert page.url.endswith(f"#/tenant/{slug}")
    made = await platform_tenant(app_client, admin_header, slug)
    assert made is not None
    assert made["name"] == "Polres Batu" and made["kind"] == "POLRES"
    assert (made["poldaCode"], made["regionCode"], made["timeZone"]) == ("JATIM", "35.79", "WIB")
    assert made["ticketPrefix"] == prefix and made["status"] == "ACTIVE"
    assert sorted(made["modules"]) == sorted(["election"])  # minimal has none; election added


async def test_the_checklist_the_first_admin_and_suspend_resume(
    page, live_server, app_client, settings
):
    tenant = await onboard(template="minimal")
    _, admin = await make_user(Role.PLATFORM_ADMIN)
    admin_header = await auth_header(settings, Role.PLATFORM_ADMIN)
    await browser_sign_in(page, f"http://{live_server}/platform/", admin)
    row = page.locator(f'tr[data-slug="{tenant.slug}"]')
    await row.wait_for()
    assert await row.locator(".status").inner_text() == "Aktif"
    await row.get_by_role("link", name="Periksa").click()
    checklist = page.locator(".checklist")
    await checklist.wait_for()
    assert await page.locator(".readiness [data-ready]").get_attribute("data-ready") == "false"
    blocker = checklist.locator('li[data-code="NO_TENANT_ADMIN"]')
    assert "Belum ada admin komando" in await blocker.inner_text()
    assert await blocker.get_attribute("data-severity") == "BLOCKER"
    await screenshot(page, "platform-checklist")

    # The first tenant admin: the activation code is shown once, and it works.
    username = f"admin{uuid.uuid4().hex[:8]}"
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Nama lengkap (opsional)").fill("Admin Pertama")
    await page.get_by_role("button", name="Undang").click()
    code = await page.locator(".activation-code").inner_text()
    # The checklist is asked again: the command now has its admin.
    await checklist.locator('li[data-code="NO_TENANT_ADMIN"]').wait_for(state="detached")
    await checklist.locator('li[data-code="NO_OPERATOR"]').wait_for()
    await screenshot(page, "platform-invited")
    reset = await app_client.post("/auth/reset", json={"code": code, "password": PASSWORD})
    assert reset.status_code == 200, reset.text
    signed = await app_client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    # Inviting the same username again is a typed error next to the field.
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_role("button", name="Undang").click()
    await page.locator('.invite .field-error[data-field="username"]').wait_for()

    # Suspend, then resume, from the command's page; the API agrees each time.
    await page.locator(".profile").get_by_role("button", name="Tangguhkan").click()
    await page.locator('.profile .status[data-status="SUSPENDED"]').wait_for()
    assert (await platform_tenant(app_client, admin_header, tenant.slug))["status"] == "SUSPENDED"
    await screenshot(page, "platform-suspended")
    await page.locator(".profile").get_by_role("button", name="Aktifkan kembali").click()
    await page.locator('.profile .status[data-status="ACTIVE"]').wait_for()
    assert (await platform_tenant(app_client, admin_header, tenant.slug))["status"] == "ACTIVE"
    # And from the list.
    await page.get_by_role("link", name="Semua komando").click()
    await row.get_by_role("button", name="Tangguhkan").click()
    await row.locator('.status[data-status="SUSPENDED"]').wait_for()
    assert (await platform_tenant(app_client, admin_header, tenant.slug))["status"] == "SUSPENDED"
    await screenshot(page, "platform-tenants")
    await page.get_by_role("button", name="English").click()
    await row.get_by_role("button", name="Resume").wait_for()
    assert await row.locator(".status").inner_text() == "Suspended"
    await row.get_by_role("link", name="Check").click()
    await page.get_by_role("heading", name="Go-live checklist").wait_for()
    await screenshot(page, "platform-checklist-en")


async def test_a_tenant_operator_gets_no_platform_admin(page, live_server):
    tenant = await onboard()
    _, operator = await make_user(Role.OPERATOR, tenant)
    await page.goto(f"http://{live_server}/platform/")
    await page.get_by_label("Nama pengguna").fill(operator)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.get_by_text("tidak memiliki akses").wait_for()
    assert await page.locator("nav.tabs").count() == 0
    await screenshot(page, "platform-operator-refused")
