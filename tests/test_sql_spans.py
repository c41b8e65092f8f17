"""SQL statements in traces, as ``JOGO_SQL_SPANS`` says (issue 18).

The test run itself uses ``statement`` (conftest); each other mode is set up in a fresh
process, since telemetry is set up once per process. There, 200 requests (SERVER spans)
each run one control transaction of 4 statements (``BEGIN; SELECT set_config(...)``,
two queries, ``COMMIT``) on the test database's app role."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import counted_request

from jogo.platform import db
from jogo.platform.telemetry import STATEMENTS_ATTRIBUTE, TENANT_ATTRIBUTE, count_statements

REQUESTS = 200
PER_REQUEST = 4

SCRIPT = """
import asyncio, json, sys
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from jogo.platform import db, telemetry

exporter = InMemorySpanExporter()
telemetry.setup_telemetry(exporter=exporter, sql_spans=sys.argv[2])
tracer = telemetry.tracer()

async def request():
    with tracer.start_as_current_span("GET /x", kind=SpanKind.SERVER):
        async with db.control_tx() as tx:
            await tx.connection.fetchval("SELECT 1")
            await tx.connection.fetch("SELECT 2")

async def main():
    await db.start_engine(sys.argv[1], pool_size=2)
    try:
        for _ in range(int(sys.argv[3])):
            await request()
        with telemetry.count_statements() as counted:
            await request()
    finally:
        await db.stop_engine()
    spans = exporter.get_finished_spans()
    roots = [s for s in spans if s.kind is SpanKind.SERVER]
    sql = [s for s in spans if (s.attributes or {}).get("db.system") == "postgresql"]
    per_trace = {}
    for s in sql:
        per_trace[s.context.trace_id] = per_trace.get(s.context.trace_id, 0) + 1
    print(json.dumps({
        "roots": len(roots),
        "root_statements": sorted({(r.attributes or {}).get("db.statements") for r in roots}, key=str),
        "root_ms": all((r.attributes or {}).get("db.duration_ms", 0) > 0 for r in roots),
        "sql_traces": len(per_trace),
        "sql_per_trace": sorted(set(per_trace.values())),
        "orphans": len(set(per_trace) - {r.context.trace_id for r in roots}),
        "counted": counted.statements,
        "mode": str(telemetry.sql_spans()),
    }))

asyncio.run(main())
"""


def _run(mode: str) -> dict:
    dsn = db.ENGINE.config["dsn"]
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, dsn, mode, str(REQUESTS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    ("mode", "spans", "counts"),
    [("off", False, False), ("count", False, True), ("statement", True, True)],
)
async def test_each_mode_spans_and_counts_as_documented(database, mode, spans, counts):
    seen = _run(mode)
    assert seen["mode"] == mode
    assert seen["roots"] == REQUESTS + 1
    # count_statements counts whatever the mode, spans or not.
    assert seen["counted"] == PER_REQUEST
    assert seen["root_statements"] == ([PER_REQUEST] if counts else [None])
    assert seen["root_ms"] is counts
    assert seen["sql_traces"] == (REQUESTS + 1 if spans else 0)
    assert seen["sql_per_trace"] == ([PER_REQUEST] if spans else [])
    assert seen["orphans"] == 0


async def test_a_fraction_keeps_every_statement_of_that_share_of_the_traces(database):
    seen = _run("0.5")
    assert seen["mode"] == "0.5"
    # 201 traces, each kept with probability 0.5 by its id: 5.6 standard deviations wide.
    assert 0.3 * REQUESTS < seen["sql_traces"] < 0.7 * REQUESTS
    assert seen["sql_per_trace"] == [PER_REQUEST]  # a kept trace has all its statements
    assert seen["root_statements"] == [PER_REQUEST]  # and every request its count
    assert seen["orphans"] == 0


async def test_the_request_span_counts_what_its_sql_spans_show(
    app_client, span_exporter, two_tenants
):
    """In-process, in the run's ``statement`` mode: each tenant's request span carries
    ``db.statements``, equal to its SQL spans and to :func:`count_statements`."""
    for tenant in (two_tenants.a, two_tenants.b):
        span_exporter.clear()
        response, queries = await counted_request(
            app_client,
            "POST",
            f"/t/{tenant.slug}/graphql",
            json={"query": "{ categories { code } }"},
        )
        assert response.status_code == 200 and "errors" not in response.json()
        spans = span_exporter.get_finished_spans()
        server = [s for s in spans if s.kind.name == "SERVER"][-1]
        assert server.attributes[TENANT_ATTRIBUTE] == tenant.slug
        sql = [
            s
            for s in spans
            if s.context.trace_id == server.context.trace_id
            and (s.attributes or {}).get("db.system") == "postgresql"
        ]
        assert sql and server.attributes[STATEMENTS_ATTRIBUTE] == len(sql) == len(queries)
        assert server.attributes["db.duration_ms"] > 0


async def test_count_statements_nests_and_sees_only_its_context(two_tenants):
    import asyncio

    async def elsewhere() -> None:
        async with db.tenant_tx(two_tenants.b.id) as tx:
            await tx.connection.fetchval("SELECT 1")

    other = asyncio.get_running_loop().create_future()
    # A task started before the block: its statements are not the block's.
    started = asyncio.create_task(asyncio.wait_for(other, 10))
    with count_statements() as outer:
        async with db.tenant_tx(two_tenants.a.id) as tx:
            await tx.connection.fetchval("SELECT 1")
        with count_statements() as inner:
            await asyncio.create_task(elsewhere())  # started inside: counted
        other.set_result(None)
        await started
    assert inner.statements == 3
    assert outer.statements == 6
    assert outer.queries[1:3] == ["SELECT 1", "COMMIT"]
    assert outer.queries[0].startswith("BEGIN; SELECT set_config('app.tenant_id'")
