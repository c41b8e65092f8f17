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
    PUBLISH,
    auth_header,
    call,
    content,
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
    "\u00a0=HYPERLINK(\"http://evil.example\")",
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
@pytest.mark.parametrize("name", ["reports.csv", "dispatches.geojson", "bulletins.csv"])
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
        async with httpx.AsyncClient(timeout=60) as client:
            async with client.stream("GET", url, headers=operator) as r:
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
