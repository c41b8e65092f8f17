"""Take the README's screenshots of the web clients from a running ``jogo up``.

A developer tool (never run at install or run time)::

    .venv/bin/jogo up &                          # the demo command, on 127.0.0.1:8000
    .venv/bin/python web/screenshots.py          # writes web/docs/*.png

It signs in as the demo admin (``.jogo/admin-login.txt``: tenant admin of the demo command,
platform admin and national supervisor), submits a few anonymous demo reports through the
public API when the command has fewer than five, and saves one screenshot per client at
1366x768, shrunk to 1024 px wide and reduced to 256 colours (Pillow) so the PNGs stay
small; and the citizen app (``/t/{slug}/``) on a 360x640 phone, saved 360 px wide.
Drives Debian's chromium through Playwright (``JOGO_CHROMIUM``, default
``/usr/bin/chromium``); nothing is downloaded. Exit 1 with one line when the server or the
login is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

DOCS = Path(__file__).resolve().parent / "docs"
SLUG = "polresta-malang-kota"
DEMO_REPORTS = [
    ("FALLEN_TREE", "Pohon tumbang di Jalan Ijen", -7.9726, 112.6210),
    ("TRAFFIC_ACCIDENT", "Kecelakaan di perempatan Kayutangan", -7.9800, 112.6306),
    ("FLOOD", "Genangan air di Jalan Soekarno-Hatta", -7.9404, 112.6178),
    ("POWER_FAULT", "Lampu jalan padam di Sawojajar", -7.9727, 112.6617),
    ("FIRE", "Asap tebal dari gudang di Blimbing", -7.9390, 112.6445),
]
SUBMIT = """mutation($input: SubmitReportInput!) {
  submitReport(input: $input) { report { ticket } errors { code message } } }"""


async def seed(base: str, token: str) -> str:
    """Submit the demo reports (anonymously, each with its own idempotency key) when the
    demo command has fewer than five reports; the id of the newest report."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        count = await client.post(
            f"/t/{SLUG}/graphql",
            json={"query": "{ reports(first: 5) { edges { node { id } } } }"},
            headers=headers,
        )
        if len(count.json()["data"]["reports"]["edges"]) < 5:
            await _submit_demo(client)
        newest = await client.post(
            f"/t/{SLUG}/graphql",
            json={"query": "{ reports(first: 1) { edges { node { id } } } }"},
            headers=headers,
        )
        return str(newest.json()["data"]["reports"]["edges"][0]["node"]["id"])


async def _submit_demo(client: httpx.AsyncClient) -> None:
    """The demo reports, anonymously, each with its own idempotency key."""
    for code, title, lat, lon in DEMO_REPORTS:
        answer = await client.post(
            f"/t/{SLUG}/graphql",
            json={
                "query": SUBMIT,
                "variables": {
                    "input": {
                        "categoryCode": code,
                        "title": title,
                        "description": f"{title}. Mohon segera ditangani petugas.",
                        "latitude": lat,
                        "longitude": lon,
                        "anonymous": True,
                        "clientKey": f"readme-{code.lower()}-{uuid.uuid4().hex[:8]}",
                    },
                },
            },
        )
        body = answer.json()
        errors = body.get("errors") or (body["data"]["submitReport"]["errors"])
        if errors:
            raise SystemExit(f"screenshots: a demo report was refused: {errors}")


def shrink(path: Path) -> int:
    """Resize to 1024 px wide (a phone's screenshot to 360 px) and quantize to 256
    colours; the file's size in bytes."""
    with Image.open(path) as image:
        width, height = image.size
        target = 360 if path.name.startswith("citizen") else 1024
        size = (target, round(height * target / width))
        small = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
        small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path.stat().st_size


async def shoot(base: str, username: str, password: str, report_id: str) -> list[Path]:
    """Sign in on each client and save its screenshot; the paths written."""
    from playwright.async_api import async_playwright

    DOCS.mkdir(exist_ok=True)
    shots = [
        ("console.png", f"/t/{SLUG}/console/", "#/queue"),
        ("console-map.png", f"/t/{SLUG}/console/", "#/map"),
        ("console-report.png", f"/t/{SLUG}/console/", f"#/report/{report_id}"),
        ("console-gateways.png", f"/t/{SLUG}/console/", "#/admin/gateways"),
        ("national.png", "/national/", "#/compliance"),
        ("platform.png", "/platform/", ""),
    ]
    written = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=os.environ.get("JOGO_CHROMIUM", "/usr/bin/chromium")
        )
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        for name, path, view in shots:
            await page.goto(base + path)
            if await page.get_by_label("Nama pengguna").count():
                await page.get_by_label("Nama pengguna").fill(username)
                await page.get_by_label("Kata sandi").fill(password)
                await page.get_by_role("button", name="Masuk").click()
            await page.locator(".topbar").wait_for(timeout=15_000)
            if view:
                await page.goto(base + path + view)
            await page.wait_for_load_state("networkidle")
            await page.wait_for_timeout(1500)
            await page.screenshot(path=str(DOCS / name))
            written.append(DOCS / name)
        written += await shoot_phone(browser, base)
        await browser.close()
    return written


async def shoot_phone(browser: Any, base: str) -> list[Path]:
    """The citizen app on a 360x640 phone (twice the pixels, as a phone's screen), GPS at
    Alun-alun Malang: the report form and the panic button's page."""
    context = await browser.new_context(
        viewport={"width": 360, "height": 640},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": -7.9826, "longitude": 112.6308},
        permissions=["geolocation"],
        locale="id-ID",
    )
    page = await context.new_page()
    written = []
    for name, view in (("citizen.png", "#/lapor"), ("citizen-facilities.png", "#/fasilitas")):
        await page.goto(f"{base}/t/{SLUG}/{view}")
        await page.locator("#main[data-loaded]").wait_for(timeout=15_000)
        await page.wait_for_load_state("networkidle")
        await page.wait_for_timeout(1500)
        await page.screenshot(path=str(DOCS / name))
        written.append(DOCS / name)
    await context.close()
    return written


def main() -> int:
    """Seed, shoot and shrink; print each file with its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--login", default=".jogo/admin-login.txt")
    args = parser.parse_args()
    try:
        username, password = Path(args.login).read_text().split()
    except (OSError, ValueError):
        print(f"screenshots: no login in {args.login}; start jogo up first", file=sys.stderr)
        return 1
    try:
        token = httpx.post(
            f"{args.base}/auth/token", json={"username": username, "password": password}
        ).json()["access_token"]
    except (httpx.HTTPError, KeyError) as exc:
        print(f"screenshots: cannot sign in at {args.base}: {exc}", file=sys.stderr)
        return 1
    report_id = asyncio.run(seed(args.base, token))
    for path in asyncio.run(shoot(args.base, username, password, report_id)):
        print(f"{path.relative_to(DOCS.parent.parent)}: {shrink(path)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
