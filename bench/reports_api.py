"""The tenant GraphQL API for reports, in process (httpx → ASGI, no network), against a
tenant holding 1,000 reports. Each row is timed in the same run and shown as a ratio of
the trivial ``{ tenant { slug } }`` request; SQL statements per request are counted from
the asyncpg spans.

    python -m bench.reports_api [--requests 200] [--reports 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from dataclasses import replace
from typing import Any

import httpx
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bench._db import scratch_database
from jogo.platform.app.factory import create_app
from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.platform.auth.users import create_user
from jogo.platform.settings import load_settings
from jogo.platform.telemetry import setup_telemetry
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant

EXPORTER = InMemorySpanExporter()
LIST = """query($first: Int!, $filter: ReportFilterInput) { reports(first: $first, filter: $filter)
  { edges { node { ticket status category { code nameId } assignedOfficer { username }
    lastEvent { kind messageId } } } } }"""
ONE = """query($id: ID!) { report(id: $id) { ticket title status category { code }
  lastEvent { kind } timeline { kind } } }"""
SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input)
  { report { id ticket } errors { code } } }"""


def report_input(i: int) -> dict[str, Any]:
    return {
        "categoryCode": ["FLOOD", "FIRE", "CRIME", "FALLEN_TREE"][i % 4],
        "title": f"Laporan uji nomor {i}",
        "description": "Uraian kejadian untuk pengujian beban.",
        "latitude": -7.90 - (i % 97) * 0.003,
        "longitude": 112.60 + (i % 89) * 0.003,
    }


async def measure(
    client: httpx.AsyncClient, path: str, body: dict, headers: dict, n: int, vary: Any = None
) -> tuple[float, float, float]:
    times, statements = [], []
    for i in range(n):
        payload = vary(i) if vary else body
        EXPORTER.clear()
        start = time.perf_counter()
        r = await client.post(path, json=payload, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200 and "errors" not in r.json(), r.text[:300]
        statements.append(
            sum(
                1
                for s in EXPORTER.get_finished_spans()
                if (s.attributes or {}).get("db.system") == "postgresql"
            )
        )
    return (
        statistics.median(times),
        statistics.quantiles(times, n=10)[-1],
        statistics.mean(statements),
    )


async def run(requests: int, reports: int) -> None:
    setup_telemetry(exporter=EXPORTER)
    async with scratch_database() as url:
        settings = replace(
            load_settings(
                {"JOGO_GRAPHQL_BUDGET": "100000000", "JOGO_GRAPHQL_USER_BUDGET": "100000000"}
            ),
            database_url=url,
        )
        tenant = (
            await do_onboard_tenant(
                OnboardInput(
                    slug="polresta-bench",
                    name="Polresta Bench",
                    polda_code="JATIM",
                    region_code="35.73",
                    template="jogo-malang-presisi",
                ),
                actor=("bench", "system"),
            )
        ).tenant
        name = f"op{uuid.uuid4().hex[:8]}"
        uid = await create_user(name, "bench password 123", Role.OPERATOR, tenant=tenant)
        headers = {
            "Authorization": "Bearer " + issue_token(uid, name, settings.secret_key, 3600).token
        }
        app = create_app(settings, manage_database=False)
        path = f"/t/{tenant.slug}/graphql"
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://b"
        ) as c:
            ids = []
            for i in range(reports):
                r = await c.post(
                    path,
                    json={"query": SUBMIT, "variables": {"input": report_input(i)}},
                    headers=headers,
                )
                ids.append(r.json()["data"]["submitReport"]["report"]["id"])
            rows = [
                ("`{ tenant { slug } }` (baseline)", {"query": "{ tenant { slug } }"}, None),
                (
                    "one report + category, last event, timeline",
                    {"query": ONE, "variables": {"id": ids[0]}},
                    None,
                ),
                (
                    "list 20 + category, officer, last event",
                    {"query": LIST, "variables": {"first": 20}},
                    None,
                ),
                (
                    "list 100 + category, officer, last event",
                    {"query": LIST, "variables": {"first": 100}},
                    None,
                ),
                (
                    "list 20, full-text + category filter",
                    {
                        "query": LIST,
                        "variables": {
                            "first": 20,
                            "filter": {"text": "uji", "categoryCodes": ["FLOOD"]},
                        },
                    },
                    None,
                ),
                (
                    "submitReport (signed in)",
                    None,
                    lambda i: {"query": SUBMIT, "variables": {"input": report_input(reports + i)}},
                ),
            ]
            for _, body, vary in rows:  # warm-up: caches, plans, pool
                await measure(c, path, body or {}, headers, 10, vary)
            results = [
                (label, *await measure(c, path, body or {}, headers, requests, vary))
                for label, body, vary in rows
            ]
    base = results[0][1]
    print(
        f"Reports API, in process, {reports:,} reports in the tenant, {requests} requests per row\n"
    )
    print("| request | median ms | p90 ms | x baseline | SQL statements / request |")
    print("|---|---:|---:|---:|---:|")
    for label, med, q90, sql in results:
        print(f"| {label} | {med:.2f} | {q90:.2f} | {med / base:.1f}x | {sql:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reports", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.reports))


if __name__ == "__main__":
    main()
