"""Issue 20 under attack: bulk exports and persisted queries / trusted documents driven
over real HTTP as another tenant, a citizen, a read-only, revoked or expired credential,
with parallel duplicates, clients that vanish mid-download, and malformed input. Nothing
answers 500, leaks another command's data, or leaves a connection in a transaction."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
from typing import Any

import httpx
import pytest
from helpers import (
    auth_header,
    eventually,
    idle_in_transaction,
    seed_reports_sql,
    submit,
)

from jogo.platform import db
from jogo.platform.app.exports_http import SLOTS
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text[:300]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


async def pool_settled() -> None:
    pool = db.ENGINE.pool
    assert pool is not None
    for _ in range(200):
        if pool.get_idle_size() == pool.get_size() and SLOTS.busy == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError((pool.get_idle_size(), pool.get_size(), SLOTS.busy))


# --- CSV injection -------------------------------------------------------------------

SNEAKY = [
    " =cmd|' /C calc'!A0",
    "  +1+1",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " \t@SUM(A1)",
    '\u00a0=HYPERLINK("http://evil.example")',
    "-2+3",
]
SNEAKY = [t + " pohon tumbang di jalan" for t in SNEAKY]


async def test_formula_cells_are_neutralised_behind_leading_whitespace(
    app_client, settings, owner, two_tenants
):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    made = [await submit(app_client, a.slug, operator) for _ in SNEAKY]
    # Text that reaches the table by another way than the form (imports, Open311, SQL).
    for text, done in zip(SNEAKY, made, strict=True):
        await owner.execute(
            "UPDATE reports SET title = $2, address = $2 WHERE id = $1::uuid",
            done["report"]["id"],
            text,
        )
    rows = csv_rows(await app_client.get(f"/t/{a.slug}/export/reports.csv", headers=operator))
    by_ticket = {r["ticket"]: r for r in rows}
    for text, done in zip(SNEAKY, made, strict=True):
        row = by_ticket[done["report"]["ticket"]]
        for column in ("title", "address"):
            assert row[column] == "'" + text, (column, row[column])


# --- malformed query strings -----------------------------------------------------------

ODD_QUERIES = [
    "status=%E2%80%8BVERIFIED",  # a zero-width space
    "status=verified,,,%20,SUBMITTED",
    "category=%C3%9F%F0%9F%92%A5",
    "text=%22%27%3B--%20%26%7C!%3A*%28%29%5C",
    "text=" + "%F0%9F%92%A5" * 200,
    "bbox=1e400,1,2,3",
    "bbox=nan,1,2,3",
    "bbox=1,2,3,4,5",
    "bbox=-90,-180,90,180",
    "from=0001-01-01",
    "from=2026-11-30T08:00:00%2B25:00",
    "from=2026-11-30T08:00:00%2B14:00&to=2026-11-30T08:00:00-12:00",
    "from=20261130",
    "from=2026-W48-1",
    "to=2100-12-31",
    "from=9999-12-31T23:59:59.999999",
    "urgent=TRUE&sla_breached=0&outside_jurisdiction=1",
    "text=%00",
    "status%00=VERIFIED",
    "from=%00",
    "%F0%9F%92%A5=1",
    "status=" + "VERIFIED," * 2000,
    "from=2026-11-30&from=2026-11-29",
]


@pytest.mark.parametrize("query", ODD_QUERIES)
@pytest.mark.parametrize("name", ["reports.csv", "dispatches.geojson"])
async def test_odd_query_strings_are_answered_never_500(
    app_client, settings, two_tenants, query, name
):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    response = await app_client.get(f"/t/{a.slug}/export/{name}?{query}", headers=operator)
    assert response.status_code in (200, 400), (response.status_code, response.text[:300])
    if response.status_code == 400:
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert SLOTS.busy == 0


@pytest.mark.parametrize(
    "query",
    [
        "from=2000-01-01&to=2100-12-31",
        "from=2026-02-01&to=2026-01-01",
        "tenant=tidak-ada",
        "polda=%F0%9F%92%A5",
        "category=%00",
        "from=0001-01-01",
        "to=2026-02-30",
        "tenant=a&tenant=b",
    ],
)
async def test_odd_national_query_strings_are_answered_never_500(app_client, settings, query):
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    response = await app_client.get(f"/national/export/daily.csv?{query}", headers=national)
    assert response.status_code in (200, 400, 404), (response.status_code, response.text[:300])
    if response.status_code != 200:
        assert "extensions" in response.json()["errors"][0]
    assert SLOTS.busy == 0


# --- credentials and tenants -----------------------------------------------------------


async def test_another_commands_credentials_look_exactly_like_not_found(
    app_client, settings, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    key_b = await create_api_key(b, "B", ["reports:read"], "pytest")
    operator_b = await auth_header(settings, Role.OPERATOR, b)
    citizen_b = await auth_header(settings, Role.CITIZEN, b)
    answers = []
    for slug, headers, name in (
        ("tidak-ada", operator_b, "reports.csv"),
        (a.slug, {"X-API-Key": key_b.key}, "reports.csv"),
        (a.slug, {"Authorization": f"Bearer {key_b.key}"}, "dispatches.geojson"),
        (a.slug, operator_b, "bulletins.csv"),
        (a.slug, citizen_b, "bulletins.geojson"),
        (a.slug, operator_b, "reports.csv?status=VERIFIED&bbox=1,2,3"),
    ):
        r = await app_client.get(f"/t/{slug}/export/{name}", headers=headers)
        answers.append((r.status_code, r.content, r.headers.get("content-type")))
    assert all(x == answers[0] for x in answers), answers
    assert answers[0][0] == 404


async def test_a_revoked_key_and_an_expired_key_export_nothing(app_client, settings, two_tenants):
    from jogo.platform.auth.apikey_admin import revoke_api_key

    a = two_tenants.a
    await submit(app_client, a.slug, await auth_header(settings, Role.OPERATOR, a))
    key = await create_api_key(a, "Kota", ["reports:read"], "pytest")
    headers = {"X-API-Key": key.key}
    assert len(csv_rows(await app_client.get(f"/t/{a.slug}/export/reports.csv", headers=headers)))
    await revoke_api_key(a, key.id, ("pytest", "user"))
    for name in ("reports.csv", "dispatches.csv", "bulletins.geojson"):
        r = await app_client.get(f"/t/{a.slug}/export/{name}", headers=headers)
        assert r.status_code == 401, r.text
        assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- the pool under parallel and abandoned downloads ----------------------------------


async def test_parallel_exports_are_served_or_told_to_wait_and_the_pool_holds(
    live_server, owner, settings, two_tenants
):
    a = two_tenants.a
    await seed_reports_sql(owner, a, 3000)
    operator = await auth_header(settings, Role.OPERATOR, a)
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:

        async def one(i: int) -> tuple[int, int]:
            name = ("reports.csv", "reports.geojson", "dispatches.csv")[i % 3]
            r = await client.get(f"/t/{a.slug}/export/{name}", headers=operator)
            return r.status_code, len(r.content)

        answers = await asyncio.gather(*(one(i) for i in range(20)))
        codes = [c for c, _ in answers]
        assert set(codes) <= {200, 429}, codes
        assert 200 in codes
        await pool_settled()
        assert await idle_in_transaction(owner) == 0
        whole = await client.get(f"/t/{a.slug}/export/reports.csv", headers=operator)
        assert len(whole.content.decode().splitlines()) == 3001


async def test_clients_that_vanish_mid_download_again_and_again_strand_nothing(
    live_server, owner, settings, two_tenants
):
    a = two_tenants.a
    await seed_reports_sql(owner, a, 5000)
    operator = await auth_header(settings, Role.OPERATOR, a)
    url = f"http://{live_server}/t/{a.slug}/export/reports.csv"

    async def vanish(after: int) -> None:
        async with (
            httpx.AsyncClient(timeout=60) as client,
            client.stream("GET", url, headers=operator) as r,
        ):
            if r.status_code != 200:
                assert r.status_code == 429
                return
            got = 0
            async for chunk in r.aiter_raw():
                got += len(chunk)
                if got > after:
                    break

    for _ in range(3):
        await asyncio.gather(*(vanish(after) for after in (0, 1, 5000, 60_000, 300_000)))
    await pool_settled()
    assert await idle_in_transaction(owner) == 0
    async with httpx.AsyncClient(timeout=60) as client:
        whole = await client.get(url, headers=operator)
    assert len(whole.content.decode().splitlines()) == 5001


# --- persisted queries and trusted documents --------------------------------------------

CATEGORIES = "query Categories { categories { code } }"
REGISTER = """mutation($k: ID!, $d: [String!]!) { registerTrustedDocuments(keyId: $k, documents: $d) {
  documents { sha256 } errors { code field message } } }"""
ONLY = """mutation($id: ID!, $o: Boolean!) { setApiKeyTrustedDocumentsOnly(id: $id, only: $o) {
  apiKey { id } errors { code field message } } }"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(digest: str, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


async def post(client: Any, url: str, headers: dict | None = None, **body: Any) -> httpx.Response:
    return await client.post(url, json=body, headers=headers or {})


def code_of(response: httpx.Response) -> str | None:
    errors = response.json().get("errors") or []
    return (errors[0].get("extensions") or {}).get("code") if errors else None


@pytest.mark.parametrize(
    ("extensions", "status", "code"),
    [
        (apq(sha(CATEGORIES), version=2), 400, "INVALID_INPUT"),
        (apq(sha(CATEGORIES), version="1"), 400, "INVALID_INPUT"),
        (apq(sha(CATEGORIES), version=True), 400, "INVALID_INPUT"),
        (apq(sha(CATEGORIES)[:-1] + "g"), 400, "INVALID_INPUT"),
        (apq(sha(CATEGORIES) + "\n"), 400, "INVALID_INPUT"),
        (apq(sha(CATEGORIES)[:63]), 400, "INVALID_INPUT"),
        (apq(sha(CATEGORIES).upper()), 200, None),
        (apq(sha(CATEGORIES + " ")), 400, "PERSISTED_QUERY_HASH_MISMATCH"),
        ({"persistedQuery": []}, 400, "INVALID_INPUT"),
        ({"persistedQuery": {"version": 1, "sha256Hash": 5}}, 400, "INVALID_INPUT"),
        ([], 400, "INVALID_INPUT"),
    ],
)
async def test_malformed_persisted_query_extensions(
    app_client, two_tenants, extensions, status, code
):
    url = f"/t/{two_tenants.a.slug}/graphql"
    response = await post(app_client, url, query=CATEGORIES, extensions=extensions)
    assert response.status_code == status, response.text
    assert code_of(response) == code, response.text


async def trusted_key(client: Any, tenant: Any, admin: dict, documents: list[str]) -> dict:
    """A reports:read key limited to ``documents``: {"id", "key"}."""
    key = await create_api_key(tenant, "Vendor", ["reports:read"], "pytest")
    url = f"/t/{tenant.slug}/graphql"
    r = await post(client, url, admin, query=REGISTER, variables={"k": str(key.id), "d": documents})
    assert r.json()["data"]["registerTrustedDocuments"]["errors"] == [], r.text
    r = await post(client, url, admin, query=ONLY, variables={"id": str(key.id), "o": True})
    assert r.json()["data"]["setApiKeyTrustedDocumentsOnly"]["errors"] == [], r.text
    return {"id": str(key.id), "key": key.key}


async def test_apq_documents_stay_in_their_command_and_schema(app_client, settings, two_tenants):
    from jogo.graphql.persisted import STORE

    STORE.clear()
    a, b = two_tenants.a, two_tenants.b
    doc = "query Mine { categories { code nameId } }"
    citizen_b = await auth_header(settings, Role.CITIZEN, b)
    # Twenty parallel registrations of one hash in B: each runs, none fails.
    answers = await asyncio.gather(
        *(
            post(app_client, f"/t/{b.slug}/graphql", citizen_b, query=doc, extensions=apq(sha(doc)))
            for _ in range(20)
        )
    )
    assert {r.status_code for r in answers} == {200}
    assert all("errors" not in r.json() for r in answers), answers[0].text
    assert len({json.dumps(r.json()["data"]) for r in answers}) == 1
    # Neither A, nor the national or platform schema, knows B's document.
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    for url, headers in (
        (f"/t/{a.slug}/graphql", {}),
        (f"/t/{a.slug}/graphql", await auth_header(settings, Role.OPERATOR, a)),
        ("/national/graphql", national),
    ):
        r = await post(app_client, url, headers, extensions=apq(sha(doc)))
        assert r.status_code == 200 and code_of(r) == "PERSISTED_QUERY_NOT_FOUND", (url, r.text)
    # A trusted document of A is no APQ document of A for anyone else.
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    only = "query Only { categories { code } }"
    made = await trusted_key(app_client, a, admin, [only])
    r = await post(app_client, f"/t/{a.slug}/graphql", {}, extensions=apq(sha(only)))
    assert code_of(r) == "PERSISTED_QUERY_NOT_FOUND", r.text
    # ... and a trusted-only key cannot use an APQ document that is not its own.
    r = await post(
        app_client, f"/t/{b.slug}/graphql", {"X-API-Key": made["key"]}, extensions=apq(sha(doc))
    )
    assert r.status_code == 404


async def test_a_trusted_key_with_odd_operation_names_variables_and_stale_documents(
    app_client, settings, owner, two_tenants
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    two_ops = (
        "query A { categories { code } }\n"
        "query B($n: Int!) { reports(first: $n) { edges { node { id } } } }"
    )
    made = await trusted_key(app_client, a, admin, [two_ops])
    url, headers = f"/t/{a.slug}/graphql", {"X-API-Key": made["key"]}
    # Either operation of the registered document runs, by hash.
    r = await post(app_client, url, headers, operationName="A", extensions=apq(sha(two_ops)))
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    r = await post(
        app_client,
        url,
        headers,
        operationName="B",
        variables={"n": 2},
        extensions=apq(sha(two_ops)),
    )
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    # An operation the document does not hold, or bad variables: refused as input.
    for body in (
        {"operationName": "C"},
        {"operationName": "B", "variables": {"n": "dua"}},
        {"operationName": "B", "variables": {"n": 2**40}},
        {"operationName": "B", "variables": {"n": 2, "extra": "\u0000"}},
        {"operationName": "A", "variables": []},
    ):
        r = await post(app_client, url, headers, extensions=apq(sha(two_ops)), **body)
        assert r.status_code in (200, 400), (body, r.status_code, r.text)
        assert code_of(r) in ("INVALID_INPUT", "QUERY_TOO_COSTLY"), (body, r.text)
    # A registered document the schema no longer accepts (a field removed since): its
    # hash and its text are answered as invalid, never as a server error.
    stale = "query Stale { categories { code removedSinceRegistration } }"
    await owner.execute(
        "INSERT INTO trusted_documents (tenant_id, api_key_id, sha256, document, created_by)"
        " VALUES ($1, $2::uuid, $3, $4, 'pytest')",
        a.id,
        made["id"],
        sha(stale),
        stale,
    )
    for body in ({"extensions": apq(sha(stale))}, {"query": stale}):
        r = await post(app_client, url, headers, **body)
        assert r.status_code in (200, 400), r.text
        assert code_of(r) == "INVALID_INPUT", r.text


async def test_a_trusted_key_over_the_socket_cannot_slip_past_by_hash_or_name(
    app_client, live_server, settings, two_tenants
):
    import websockets

    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    made = await trusted_key(app_client, a, admin, [CATEGORIES])
    ws = await websockets.connect(
        f"ws://{live_server}/t/{a.slug}/graphql", subprotocols=["graphql-transport-ws"]
    )
    try:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"X-API-Key": made["key"]}})
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        adhoc = "{ reports(first: 1) { edges { node { id } } } }"
        # The registered document's hash beside an ad hoc text: the text is what would run.
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": adhoc, "extensions": apq(sha(CATEGORIES))},
                }
            )
        )
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert answer["type"] == "error" and answer["id"] == "1", answer
        assert answer["payload"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        # The registered text under another operation name: refused as a bad request.
        await ws.send(
            json.dumps(
                {
                    "id": "2",
                    "type": "subscribe",
                    "payload": {"query": CATEGORIES, "operationName": "Other"},
                }
            )
        )
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert answer["type"] == "error" and answer["id"] == "2", answer
        # The socket still serves the registered document.
        await ws.send(
            json.dumps({"id": "3", "type": "subscribe", "payload": {"query": CATEGORIES}})
        )
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert answer["type"] == "next" and answer["payload"]["data"]["categories"], answer
    finally:
        await ws.close()


async def test_a_trusted_key_cannot_open_an_ad_hoc_subscription(
    app_client, live_server, settings, two_tenants
):
    import websockets

    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    made = await trusted_key(app_client, a, admin, [CATEGORIES])
    ws = await websockets.connect(
        f"ws://{live_server}/t/{a.slug}/graphql", subprotocols=["graphql-transport-ws"]
    )
    try:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"X-API-Key": made["key"]}})
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        feed = "subscription { reportEvents { ticket status } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": feed}}))
        # Refused (a subscription's error comes as "next" with errors), then completed.
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert answer["id"] == "1" and answer["type"] in ("next", "error"), answer
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED", answer
        assert answer["type"] == "error" or answer["payload"]["data"] is None
        if answer["type"] == "next":
            done = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert done == {"id": "1", "type": "complete"}, done
        # No event of the command reaches it afterwards.
        await submit(app_client, a.slug, admin)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 2)
    finally:
        await ws.close()


async def test_a_stream_whose_database_session_dies_mid_download_frees_its_slot(
    live_server, owner, settings, two_tenants
):
    a = two_tenants.a
    await seed_reports_sql(owner, a, 20_000)
    operator = await auth_header(settings, Role.OPERATOR, a)
    url = f"http://{live_server}/t/{a.slug}/export/reports.geojson"
    async with httpx.AsyncClient(timeout=60) as client:
        async with client.stream("GET", url, headers=operator) as r:
            assert r.status_code == 200
            chunks = r.aiter_raw()
            await chunks.__anext__()
            # A slow reader: the stream waits in its transaction; then its session dies
            # (the idle timeout, a failover, an operator's pg_terminate_backend).

            async def kill() -> int | None:
                killed: int = await owner.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE usename = 'jogo_app' AND datname = current_database()"
                    " AND state LIKE 'idle in transaction%'"
                )
                return killed or None

            assert await eventually(kill, "the stalled stream's session") == 1
            with pytest.raises(httpx.HTTPError):  # cut short, never passed off as complete
                async for _ in chunks:
                    pass
        await pool_settled()
        whole = await client.get(url.replace(".geojson", ".csv"), headers=operator)
        assert len(whole.content.decode().splitlines()) == 20_001
    assert await idle_in_transaction(owner) == 0


def test_a_flood_of_tiny_apq_documents_holds_about_the_bytes_the_bound_names():
    import tracemalloc

    from jogo.graphql.persisted import DocumentStore

    limit = 1024 * 1024
    store = DocumentStore()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(40_000):  # distinct 4-10 byte documents, as anyone may send
            text = f"{{a}}#{i}"
            store.put(str(i % 3), sha(text), text, max_bytes=limit)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert 0 < len(store) < 40_000
    assert held < 1.5 * limit, (held, len(store))
