"""The clients on a tablet (820x1180, portrait): every main view fits the screen's width
(tables and maps may scroll inside their own boxes, the page itself does not)."""

from __future__ import annotations

from helpers import PASSWORD, make_user, onboard, screenshot, submit

from jogo.platform.auth.roles import Role

TABLET = {"width": 820, "height": 1180}


async def overflow(page) -> int:
    """How many pixels the page is wider than the screen."""
    return await page.evaluate(
        "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )


async def sign_in_at(page, url: str, username: str) -> None:
    await page.goto(url)
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.locator(".topbar").wait_for(timeout=15_000)


async def test_every_view_fits_a_tablet(page, live_server, app_client):
    await page.set_viewport_size(TABLET)
    tenant = await onboard()
    report = (await submit(app_client, tenant.slug, anonymous=True))["report"]
    _, admin = await make_user(Role.TENANT_ADMIN, tenant)
    console = f"http://{live_server}/t/{tenant.slug}/console/"
    await sign_in_at(page, console, admin)
    views = ["queue", "map", "bulletins", "moderation", "election", "admin"]
    for view in views:
        await page.goto(f"{console}#/{view}")
        await page.wait_for_load_state("networkidle")
        await page.wait_for_timeout(300)
        await screenshot(page, f"tablet-console-{view}")
        assert await overflow(page) <= 0, f"console #{view} is wider than a tablet"
        if view == "queue":
            await page.get_by_text(report["ticket"]).wait_for()
    # Every view shares the page's one live socket: leaving the election board ends its
    # subscription, not the connection.
    assert await page.locator("#live-status.on").count() == 1
    await page.get_by_role("button", name="Keluar").click()
    await page.get_by_label("Nama pengguna").wait_for()
    _, national = await make_user(Role.NATIONAL_SUPERVISOR)
    await sign_in_at(page, f"http://{live_server}/national/", national)
    for view in ["overview", "compliance", "heatmap", "election", "reports"]:
        await page.goto(f"http://{live_server}/national/#/{view}")
        await page.wait_for_load_state("networkidle")
        await screenshot(page, f"tablet-national-{view}")
        assert await overflow(page) <= 0, f"national #{view} is wider than a tablet"
    await page.get_by_role("button", name="Keluar").click()
    await page.get_by_label("Nama pengguna").wait_for()
    _, platform = await make_user(Role.PLATFORM_ADMIN)
    await sign_in_at(page, f"http://{live_server}/platform/", platform)
    for view in ["tenants", "onboard"]:
        await page.goto(f"http://{live_server}/platform/#/{view}")
        await page.wait_for_load_state("networkidle")
        await screenshot(page, f"tablet-platform-{view}")
        assert await overflow(page) <= 0, f"platform #{view} is wider than a tablet"
