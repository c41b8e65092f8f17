"""The operator console's live queue in a real browser (Debian's chromium through
Playwright), against a command with 1,000 open reports, each figure next to a baseline
measured in the same run and the same page:

- **the queue shown**: from navigation to every open report on screen (sign-in resumed
  from the cookie, ``me``, categories, the pages of ``reports``, the table), against a
  plain script in the same page that fetches the same pages of the same query and writes
  a bare table;
- **a new report on screen**: from the ``submitReport`` answer to its row in the queue,
  against the same event arriving on a bare graphql-transport-ws subscription in the same
  page;
- **frames while the countdowns run**: the 95th percentile of frame intervals over 3 s
  with 1,000 rows and their countdowns, against the same console on a command with no
  reports.

    python -m bench.web_console [--reports 1000] [--rounds 5]

Prints a markdown table (lower is better in every column but the ratio's meaning, which
the table states). Needs PostgreSQL (``JOGO_BENCH_ADMIN_URL``) and chromium
(``JOGO_CHROMIUM``, default ``/usr/bin/chromium``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bench._db import scratch_database
from jogo.platform.app.factory import create_app
from jogo.platform.app.runner import api_config
from jogo.platform.auth.principal import Membership, Principal
from jogo.platform.auth.roles import Role
from jogo.platform.auth.users import create_user
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings, load_settings
from jogo.platform.storage import FileStore
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant
from jogo.tenants.reports.intake import do_submit_report
from jogo.tenants.reports.validation import ReportInput

PASSWORD = "bench password 123"
MALANG = (-7.9666, 112.6326)
SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input)
  { report { id ticket } errors { code message } } }"""

# The baseline: the queue's own query and page size, a bare table, nothing else.
PLAIN_TABLE = """async (count) => {
  const api = await import('/web/common/api.js');
  const kit = await import('/web/console/reportkit.js');
  const query = `query($first: Int!, $after: String, $filter: ReportFilterInput) {
    reports(first: $first, after: $after, filter: $filter) { edges { node { ${kit.ROW_FIELDS} } }
    pageInfo { hasNextPage endCursor } totalCount } }`;
  const start = performance.now();
  const table = document.createElement('table');
  const body = table.createTBody();
  let after = null;
  for (;;) {
    const variables = { first: 100, after, filter: { statuses: kit.OPEN, categoryCodes: null } };
    const page = (await api.gql(query, variables)).reports;
    for (const { node } of page.edges) {
      const row = body.insertRow();
      const cells = [node.ticket, node.category.nameId, node.title, node.status, node.verifyDueAt];
      for (const v of cells) {
        row.insertCell().textContent = v ?? '';
      }
    }
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  document.body.append(table);
  await new Promise((done) => requestAnimationFrame(() => done()));
  const rows = body.rows.length;
  table.remove();
  return [performance.now() - start, rows];
}"""

# A bare subscription in the page; resolves with Date.now() when the ticket arrives.
RAW_FEED = """(ticketPrefix) => new Promise((ready) => {
  const api = window.__jogoApi;
  const url = `ws://${location.host}${api.config.endpoint}`;
  const socket = new WebSocket(url, 'graphql-transport-ws');
  window.__rawArrivals = {};
  socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init',
    payload: { Authorization: api.session.authorization() } }));
  socket.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === 'connection_ack') {
      socket.send(JSON.stringify({ id: '1', type: 'subscribe',
        payload: { query: 'subscription { reportEvents { ticket } }' } }));
      setTimeout(ready, 300);
    }
    const event = msg.type === 'next' && msg.payload.data.reportEvents;
    if (event) window.__rawArrivals[event.ticket] = Date.now();
  };
})"""

ROW_WATCH = """() => {
  window.__rowArrivals = {};
  const cells = () => document.querySelectorAll('#main td.ticket');
  const seen = new Set(Array.from(cells(), (td) => td.textContent));
  new MutationObserver(() => {
    for (const td of cells()) {
      if (seen.has(td.textContent)) continue;
      seen.add(td.textContent);
      window.__rowArrivals[td.textContent] = Date.now();
    }
  }).observe(document.getElementById('main'), { childList: true, subtree: true });
}"""

FRAMES = """() => new Promise((done) => {
  const gaps = []; let last = performance.now(); const end = last + 3000;
  const step = (now) => { gaps.push(now - last); last = now;
    if (now < end) requestAnimationFrame(step); else done(gaps); };
  requestAnimationFrame(step);
})"""


async def seed(tenant: TenantInfo, count: int, data_dir: Path) -> None:
    """``count`` open reports from one citizen through the intake action the API runs."""
    username = f"warga{uuid.uuid4().hex[:8]}"
    user_id = await create_user(username, PASSWORD, Role.CITIZEN, tenant=tenant)
    citizen = Principal(
        kind="user", id=user_id, name=username, memberships=(Membership(Role.CITIZEN, tenant.id),)
    )
    store = FileStore(data_dir / "attachments")
    rnd = random.Random(count)
    codes = ["FALLEN_TREE", "FLOOD", "TRAFFIC_ACCIDENT", "PUBLIC_ORDER", "FIRE"]
    for i in range(count):
        await do_submit_report(
            tenant,
            citizen,
            ReportInput(
                codes[i % len(codes)],
                f"Laporan beban antrean {i}",
                "Uraian kejadian untuk mengukur antrean langsung.",
                MALANG[0] + rnd.uniform(-0.05, 0.05),
                MALANG[1] + rnd.uniform(-0.05, 0.05),
                urgent=i % 50 == 0,
            ),
            store,
        )


async def command(slug: str) -> tuple[TenantInfo, str]:
    """A command and one operator of it."""
    tenant = (
        await do_onboard_tenant(
            OnboardInput(
                slug=slug,
                name=f"Polresta {slug}",
                polda_code="JATIM",
                region_code="35.73",
                template="jogo-malang-presisi",
            ),
            actor=("bench", "system"),
        )
    ).tenant
    operator = f"op{uuid.uuid4().hex[:8]}"
    await create_user(operator, PASSWORD, Role.OPERATOR, tenant=tenant)
    return tenant, operator


async def open_queue(page: Any, base: str, slug: str, rows: int) -> float:
    """Open the console's queue afresh (a new document: the session resumes from the
    cookie); ms from navigation until ``rows`` rows show."""
    await page.goto("about:blank")
    await page.goto(f"{base}/t/{slug}/console/#/queue")
    await page.wait_for_function(
        "(rows) => document.querySelectorAll('#main tr.qrow').length >= rows"
        " && document.getElementById('main')?.dataset.loaded",
        arg=rows,
        polling="raf",
        timeout=120_000,
    )
    return float(await page.evaluate("performance.now()"))


async def run(reports: int, rounds: int) -> None:
    async with scratch_database() as url:
        data_dir = Path(tempfile.mkdtemp(prefix="jogo-bench-web-"))
        settings: Settings = replace(
            load_settings(
                {"JOGO_GRAPHQL_BUDGET": "100000000", "JOGO_GRAPHQL_USER_BUDGET": "100000000"}
            ),
            database_url=url,
            data_dir=data_dir,
        )
        busy, busy_op = await command("bench-busy")
        quiet, quiet_op = await command("bench-quiet")
        started = time.perf_counter()
        await seed(busy, reports, data_dir)
        print(f"seeded {reports} reports in {time.perf_counter() - started:.1f} s")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(
            api_config(
                create_app(settings, manage_database=False),
                "127.0.0.1",
                port,
                lifespan="off",
                log_level="warning",
            )
        )
        serving = asyncio.create_task(server.serve())
        for _ in range(600):  # up to 30 s
            if server.started:
                break
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            await measure(base, busy, busy_op, quiet, quiet_op, reports, rounds)
        finally:
            server.should_exit = True
            await serving


async def sign_in(page: Any, base: str, slug: str, username: str) -> None:
    await page.goto(f"{base}/t/{slug}/console/")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.locator(".topbar").wait_for(timeout=30_000)


async def measure(
    base: str,
    busy: TenantInfo,
    busy_op: str,
    quiet: TenantInfo,
    quiet_op: str,
    reports: int,
    rounds: int,
) -> None:
    from playwright.async_api import async_playwright

    shown, plain, to_row, to_raw, busy_p95, quiet_p95 = [], [], [], [], [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=os.environ.get("JOGO_CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        ctx_busy = await browser.new_context(viewport={"width": 1366, "height": 768})
        ctx_quiet = await browser.new_context(viewport={"width": 1366, "height": 768})
        page, calm = await ctx_busy.new_page(), await ctx_quiet.new_page()
        await sign_in(page, base, busy.slug, busy_op)
        await sign_in(calm, base, quiet.slug, quiet_op)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for round_ in range(rounds):
                # Interleaved: each round measures the console and its baseline back to back.
                shown.append(await open_queue(page, base, busy.slug, reports))
                elapsed, rows = await page.evaluate(PLAIN_TABLE, reports)
                assert rows >= reports, rows
                plain.append(elapsed)
                await page.evaluate(
                    "async () => { window.__jogoApi = await import('/web/common/api.js'); }"
                )
                await page.evaluate(RAW_FEED, "")
                await page.evaluate(ROW_WATCH)
                answer = await client.post(
                    f"/t/{busy.slug}/graphql",
                    json={
                        "query": SUBMIT,
                        "variables": {
                            "input": {
                                "categoryCode": "FLOOD",
                                "title": f"Banjir putaran {round_}",
                                "description": "Genangan setinggi lutut di jalan utama.",
                                "latitude": MALANG[0],
                                "longitude": MALANG[1],
                                "anonymous": True,
                            }
                        },
                    },
                )
                submitted = time.time() * 1000
                ticket = answer.json()["data"]["submitReport"]["report"]["ticket"]
                await page.wait_for_function(
                    "(t) => window.__rowArrivals[t] && window.__rawArrivals[t]",
                    arg=ticket,
                    timeout=30_000,
                )
                row_at, raw_at = await page.evaluate(
                    "(t) => [window.__rowArrivals[t], window.__rawArrivals[t]]", ticket
                )
                to_row.append(max(row_at - submitted, 0.1))
                to_raw.append(max(raw_at - submitted, 0.1))
                reports += 1
                await open_queue(calm, base, quiet.slug, 0)
                quiet_p95.append(statistics.quantiles(await calm.evaluate(FRAMES), n=20)[-1])
                busy_p95.append(statistics.quantiles(await page.evaluate(FRAMES), n=20)[-1])
        await browser.close()

    def row(name: str, ours: list[float], baseline_name: str, theirs: list[float]) -> str:
        a, b = statistics.median(ours), statistics.median(theirs)
        return f"| {name} | {a:.0f} | {baseline_name} | {b:.0f} | {a / b:.2f} |"

    print(f"\n{rounds} rounds, medians (ms); ratio = console ÷ baseline (lower is better)\n")
    print("| measure | console | baseline | baseline ms | ratio |")
    print("|---|---:|---|---:|---:|")
    print(
        row(
            f"queue of {reports - rounds} open reports shown",
            shown,
            "same query pages + bare table",
            plain,
        )
    )
    print(row("new report → its row", to_row, "bare subscription event", to_raw))
    print(
        row(
            "p95 frame interval, countdowns running",
            busy_p95,
            "same console, empty queue",
            quiet_p95,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.reports, args.rounds))


if __name__ == "__main__":
    main()
