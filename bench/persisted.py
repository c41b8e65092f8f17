"""Persisted queries against full text, in process (httpx → ASGI, no network), on a tenant
with 200 reports: the same list document sent as text, by APQ hash, and by a
trusted-documents key (text, hash). Each row is timed in the same run and shown as a
ratio of the full-text request; request bytes and SQL statements per request beside.

    python -m bench.persisted [--requests 300] [--reports 200]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import time
import uuid
from dataclasses import replace
from typing import Any

import httpx
import msgspec
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bench._db import scratch_database
from jogo.platform.app.factory import create_app
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.platform.auth.trusted import register_documents, set_documents_only
from jogo.platform.auth.users import create_user
from jogo.platform.settings import load_settings
from jogo.platform.telemetry import setup_telemetry
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant

EXPORTER = InMemorySpanExporter()
LIST = """query Reports($first: Int!) { reports(first: $first) { edges { node {
  ...Row category { code nameId } assignedOfficer { username } lastEvent { kind messageId } } }
  pageInfo { hasNextPage endCursor } } }
fragment Row on Report { id ticket title status urgent createdAt address latitude longitude }"""
SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input)
  { report { id } errors { code } } }"""


def report_input(i: int) -> dict[str, Any]:
    return {
        "categoryCode": ["FLOOD", "FIRE", "CRIME", "FALLEN_TREE"][i % 4],
        "title": f"Laporan uji nomor {i}",
        "description": "Uraian kejadian untuk pengujian beban.",
        "latitude": -7.90 - (i % 97) * 0.003,
        "longitude": 112.60 + (i % 89) * 0.003,
    }


async def measure(
    client: httpx.AsyncClient, path: str, body: dict, headers: dict, n: int
) -> tuple[float, float]:
    """Median milliseconds and mean SQL statements per request."""
    times, statements = [], []
    for _ in range(n):
        EXPORTER.clear()
        start = time.perf_counter()
        r = await client.post(path, json=body, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200 and "errors" not in r.json(), r.text[:300]
        statements.append(
            sum(
                1
                for s in EXPORTER.get_finished_spans()
                if (s.attributes or {}).get("db.system") == "postgresql"
            )
        )
    return statistics.median(times), statistics.mean(statements)


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
        operator = {
            "Authorization": "Bearer " + issue_token(uid, name, settings.secret_key, 3600).token
        }
        plain = await create_api_key(tenant, "bench plain", ["reports:read"])
        trusted = await create_api_key(tenant, "bench trusted", ["reports:read"])
        await register_documents(tenant.id, trusted.id, [LIST], ("bench", "cli"), max_bytes=32768)
        await set_documents_only(tenant.id, trusted.id, True, ("bench", "cli"))
        app = create_app(settings, manage_database=False)
        path = f"/t/{tenant.slug}/graphql"
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://b"
        ) as c:
            for i in range(reports):
                await c.post(
                    path,
                    json={"query": SUBMIT, "variables": {"input": report_input(i)}},
                    headers=operator,
                )
            digest = hashlib.sha256(LIST.encode()).hexdigest()
            ext = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
            variables = {"first": 20}
            text = {"query": LIST, "variables": variables}
            by_hash = {"variables": variables, "extensions": ext}
            await c.post(path, json={**text, "extensions": ext}, headers=operator)  # register
            rows = [
                ("full text, operator (baseline)", text, operator),
                ("APQ by hash, operator", by_hash, operator),
                ("full text, API key", text, {"X-API-Key": plain.key}),
                ("APQ by hash, API key", by_hash, {"X-API-Key": plain.key}),
                ("trusted-documents key, full text", text, {"X-API-Key": trusted.key}),
                ("trusted-documents key, by hash", by_hash, {"X-API-Key": trusted.key}),
            ]
            for _, body, headers in rows:  # warm every path once
                await measure(c, path, body, headers, 5)
            results = [
                (
                    label,
                    len(msgspec.json.encode(body)),
                    *await measure(c, path, body, headers, requests),
                )
                for label, body, headers in rows
            ]
    base = results[0][2]
    print(f"\n{requests} requests per row, a page of 20 of {reports} reports\n")
    print("| request | body bytes | median ms | ratio to baseline | SQL statements |")
    print("|---|---:|---:|---:|---:|")
    for label, size, median, sql in results:
        print(f"| {label} | {size} | {median:.2f} | {median / base:.2f}x | {sql:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--reports", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.reports))


if __name__ == "__main__":
    main()
