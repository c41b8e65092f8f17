"""Attacks on issue 20's Open311 server and query cost, over HTTP against the app
(platform/app/open311_http.py, graphql/cost.py, platform/budget.py)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import quote

import httpx
import pytest
import websockets
from helpers import MALANG, auth_header, bearer_for, gql, make_user
from lxml import etree

from graphql import parse
from jogo.graphql.cost import operation_cost
from jogo.graphql.schemas import full_tenant_schema
from jogo.platform import registry
from jogo.platform.auth.apikey_admin import revoke_api_key
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.platform.settings import Settings

FORM = {
    "service_code": "FALLEN_TREE",
    "lat": str(MALANG[0]),
    "long": str(MALANG[1]),
    "description": "Pohon besar tumbang menutup jalan di depan sekolah.",
}
PAGE_OF_TEN = "{ reports(first: 10) { edges { node { id ticket } } pageInfo { hasNextPage } } }"


def base(slug: str) -> str:
    return f"/t/{slug}/open311/v2"


async def key_of(tenant, scopes=("reports:write",)):
    return await create_api_key(tenant, "Sistem kota", list(scopes), "pytest")


def errors_of(response: httpx.Response) -> list[dict]:
    """GeoReport errors from JSON or XML; the answer is never a 500."""
    assert response.status_code < 500, response.text
    if response.headers["content-type"].startswith("application/xml"):
        root = etree.fromstring(response.content)
        return [
            {"code": int(e.findtext("code")), "description": e.findtext("description")}
            for e in root.findall("error")
        ]
    return response.json()


def refused(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    [error] = errors_of(response)
    assert error["code"] == status
    return error["description"]


# --- Open311 -------------------------------------------------------------------------------


async def test_another_commands_ticket_and_token_read_exactly_like_not_found(
    app_client, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    key_a, key_b = (await key_of(a)).key, (await key_of(b, ("reports:read",))).key
    made = await app_client.post(f"{base(a.slug)}/requests.json", data={**FORM, "api_key": key_a})
    ticket, token = made.json()[0]["service_request_id"], made.json()[0]["token"]
    for fmt in ("json", "xml"):
        for path, missing in (
            (f"requests/{ticket}", "requests/NOPE-2026-000001"),
            (f"tokens/{token}", f"tokens/{uuid.uuid4()}"),
        ):
            for params in ({}, {"api_key": key_b}):
                theirs = await app_client.get(f"{base(b.slug)}/{path}.{fmt}", params=params)
                nothing = await app_client.get(f"{base(b.slug)}/{missing}.{fmt}", params=params)
                assert theirs.status_code == nothing.status_code == 404
                assert theirs.content == nothing.content
                assert theirs.headers["content-type"] == nothing.headers["content-type"]


async def test_who_may_not_submit(app_client, two_tenants, settings):
    tenant = two_tenants.a
    path = f"{base(tenant.slug)}/requests.json"
    reader = await key_of(tenant, ("reports:read",))
    refused(await app_client.post(path, data={**FORM, "api_key": reader.key}), 403)
    # An expired bearer token, and a key revoked a moment ago, are bad keys.
    user = await make_user(Role.OPERATOR, tenant)
    expired = bearer_for(*user, settings, ttl=-10)
    refused(await app_client.post(path, data=FORM, headers=expired), 403)
    writer = await key_of(tenant)
    assert (await app_client.post(path, data={**FORM, "api_key": writer.key})).status_code == 200
    await revoke_api_key(tenant, writer.id, ("pytest", "cli"))
    refused(await app_client.post(path, data={**FORM, "api_key": writer.key}), 403)
    refused(
        await app_client.post(path, data=FORM, headers={"Authorization": f"Bearer {writer.key}"}),
        403,
    )
    # Another command's staff token is no key here.
    other = await auth_header(settings, Role.OPERATOR, two_tenants.b)
    refused(await app_client.post(path, data=FORM, headers=other), 403)


async def test_a_citizen_token_submits_as_that_citizen_never_as_a_500(
    app_client, two_tenants, settings
):
    tenant = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    response = await app_client.post(
        f"{base(tenant.slug)}/requests.json", data=FORM, headers=citizen
    )
    # A citizen may submit (as with GraphQL's submitReport, same action and limits).
    assert response.status_code == 200, response.text
    assert response.json()[0]["service_request_id"]


async def test_parallel_duplicates_with_one_idempotency_key_make_one_report(
    app_client, two_tenants
):
    tenant = two_tenants.a
    key = (await key_of(tenant)).key
    reader = (await key_of(tenant, ("reports:read",))).key
    retry = {"Idempotency-Key": str(uuid.uuid4())}
    answers = await asyncio.gather(
        *(
            app_client.post(
                f"{base(tenant.slug)}/requests.json", data={**FORM, "api_key": key}, headers=retry
            )
            for _ in range(8)
        )
    )
    assert all(r.status_code < 500 for r in answers), [r.text for r in answers]
    tickets = {r.json()[0]["service_request_id"] for r in answers if r.status_code == 200}
    assert len(tickets) == 1, [r.text for r in answers]
    listed = await app_client.get(f"{base(tenant.slug)}/requests.json", params={"api_key": reader})
    assert len(listed.json()) == 1


async def test_malformed_input_is_400_never_500(app_client, two_tenants):
    tenant = two_tenants.a
    slug = tenant.slug
    key = (await key_of(tenant)).key
    path = f"{base(slug)}/requests.json"

    async def post(**fields) -> httpx.Response:
        return await app_client.post(path, data={**FORM, "api_key": key, **fields})

    for lat in ("abc", "nan", "inf", "-inf", "1e999", "-20.0", "0x10", ""):
        errors_of(await post(lat=lat))
        assert (await post(lat=lat)).status_code == 400, lat
    assert (await post(long="nan")).status_code == 400
    huge = await post(description="Pohon tumbang " + "x" * 50_000)
    assert huge.status_code == 400, huge.text
    over = await app_client.post(path, content=b"a=" + b"x" * 70_000, headers={"X-API-Key": key})
    assert over.status_code in (400, 413), over.text
    assert (
        await app_client.post(path, json={"lat": 1}, headers={"X-API-Key": key})
    ).status_code == 400
    for params in (
        {"start_date": "kemarin"},
        {"start_date": "2026-13-45"},
        {"end_date": "0001-01-01"},
        {"start_date": "9999-12-31T23:59:59"},
        {"start_date": "2026-12-01", "end_date": "2026-01-01"},
        {"page": str(10**12)},
        {"page": "-1"},
        {"page_size": "0"},
        {"page_size": "1e3"},
        {"status": "maybe"},
    ):
        response = await app_client.get(path, params=params)
        assert response.status_code == 400, (params, response.text)
    many = ",".join(f"X{i}" for i in range(10_000))
    response = await app_client.get(f"{path}?service_request_id={many}")
    assert response.status_code == 200 and response.json() == []
    for odd in ("\x00", "ñ😀", "<![CDATA[", "\x01\x02", "'; DROP TABLE reports;--"):
        for name in (f"requests/{quote(odd)}.xml", f"tokens/{quote(odd)}.xml"):
            assert (await app_client.get(f"{base(slug)}/{name}")).status_code == 404
        response = await app_client.get(f"{base(slug)}/requests.xml", params={"service_code": odd})
        assert response.status_code == 200, response.text


async def test_control_characters_never_break_the_xml(app_client, two_tenants):
    tenant = two_tenants.a
    key = (await key_of(tenant)).key
    reader = (await key_of(tenant, ("reports:read",))).key
    description = "Pohon tumbang\x01 di <jalan> & \x1b[31m sekolah \x0b\x7f dan \ufffe \x00 ok"
    made = await app_client.post(
        f"{base(tenant.slug)}/requests.xml",
        data={**FORM, "api_key": key, "description": description, "first_name": "Bu\x02di"},
    )
    assert made.status_code in (200, 400), made.text
    if made.status_code == 200:
        ticket = etree.fromstring(made.content).findtext("request/service_request_id")
        response = await app_client.get(
            f"{base(tenant.slug)}/requests/{ticket}.xml", params={"api_key": reader}
        )
        assert response.status_code == 200, response.text
        read = etree.fromstring(response.content).findtext("request/description")
        assert "Pohon tumbang" in read and "<jalan> &" in read
        assert not any(c in read for c in "\x00\x01\x0b\x1b")
        listed = await app_client.get(
            f"{base(tenant.slug)}/requests.xml", params={"api_key": reader}
        )
        assert listed.status_code == 200
        etree.fromstring(listed.content)


async def test_unknown_extensions_and_jurisdictions(app_client, two_tenants):
    slug = two_tenants.a.slug
    for name in ("services.csv", "services", "services.", ".json", "requests.JSON", "x.json"):
        assert (await app_client.get(f"{base(slug)}/{name}")).status_code == 404, name
    refused(await app_client.post(f"{base(slug)}/requests.html", data=FORM), 404)
    refused(await app_client.post(f"{base(slug)}/services.json", data=FORM), 404)
    for jurisdiction in (two_tenants.b.slug, "", " ", "\x00", "x" * 5000):
        response = await app_client.get(
            f"{base(slug)}/services.json", params={"jurisdiction_id": jurisdiction}
        )
        assert response.status_code in (200, 404), response.text
        if jurisdiction.strip(" \x00"):
            assert response.status_code == 404


# --- query cost: pricing -------------------------------------------------------------------

SCHEMA = full_tenant_schema()._schema


def price(query: str, **variables) -> int:
    return operation_cost(SCHEMA, parse(query), None, variables)


def test_pages_cannot_be_priced_below_what_they_read() -> None:
    ten = price("{ reports(first: 10) { edges { node { id } } } }")
    assert price("{ reports { edges { node { id } } } }") >= ten  # no first: the most
    assert price("query($n: Int) { reports(first: $n) { edges { node { id } } } }") >= ten
    assert price("query($n: Int) { reports(first: $n) { edges { node { id } } } }", n="10") >= ten
    assert price("query($n: Int) { reports(first: $n) { edges { node { id } } } }", n=2**31) > ten
    assert price("query($n: Int) { reports(first: $n) { edges { node { id } } } }", n=10.0) >= ten
    # A negative page reads nothing (the resolver refuses it) and still costs at least 1.
    assert price("{ reports(first: -5) { edges { node { id } } } }") >= 1
    # Introspection is priced: its object fields count like any other.
    assert price("{ __schema { types { name fields { name type { name } } } } }") >= 3


# --- query cost: over HTTP -----------------------------------------------------------------


@pytest.fixture
async def tight(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a budget of 50 points a minute for keys and anonymous callers."""
    from jogo.platform.app.factory import create_app

    registry.clear_cache()
    app = create_app(replace(settings, graphql_budget=50), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_odd_bodies_are_400_never_500(app_client, two_tenants):
    path = f"/t/{two_tenants.a.slug}/graphql"
    for body in (
        [{"query": "{ __typename }"}, {"query": "{ __typename }"}],  # a batch
        {"query": "{ __typename }", "variables": [1]},
        {
            "query": "query($n: Int) { reports(first: $n) { totalCount } }",
            "variables": {"n": 2**31},
        },
        {"query": "query($n: Int) { reports(first: $n) { totalCount } }", "variables": {"n": "x"}},
        {"query": "query($n: Int) { reports(first: $n) { totalCount } }", "variables": {"n": -1}},
        {"query": "{ reports(first: 2147483648) { totalCount } }"},
        {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"},
        {"query": "{ __schema { types { fields { type { ofType { ofType { name } } } } } } }"},
        {"query": "query A { __typename } query B { __typename }", "operationName": "C"},
        {"query": "fragment F on Query { ...F } { ...F }"},
    ):
        response = await app_client.post(path, json=body)
        assert response.status_code in (200, 400), (body, response.text)
    response = await app_client.get(path, params={"query": "{ __typename }"})
    assert response.status_code < 500


async def test_rotating_forwarded_for_does_not_buy_a_new_budget(tight, two_tenants):
    path = f"/t/{two_tenants.a.slug}/graphql"
    statuses = []
    for i in range(3):
        response = await tight.post(
            path, json={"query": PAGE_OF_TEN}, headers={"X-Forwarded-For": f"10.9.{i}.1"}
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 429]


async def test_parallel_operations_never_overspend(tight, two_tenants):
    path = f"/t/{two_tenants.a.slug}/graphql"
    key = await key_of(two_tenants.a, ("reports:read",))
    headers = {"X-API-Key": key.key}
    answers = await asyncio.gather(
        *(tight.post(path, json={"query": PAGE_OF_TEN}, headers=headers) for _ in range(10))
    )
    assert sorted(r.status_code for r in answers) == [200] * 2 + [429] * 8
    for r in answers:
        if r.status_code == 429:
            assert 1 <= int(r.headers.get("Retry-After", "0")) <= 60, (r.headers, r.text)
    after = await tight.post(path, json={"query": "{ me { kind } }"}, headers=headers)
    assert after.headers["X-RateLimit-Remaining"] == str(50 - 44 - 1)


async def test_refused_operations_spend_nothing_and_expired_tokens_are_401(
    tight, two_tenants, settings
):
    path = f"/t/{two_tenants.a.slug}/graphql"
    key = await key_of(two_tenants.a, ("reports:read",))
    headers = {"X-API-Key": key.key}
    # 51 points: over this budget, under the maximum; refused, and nothing spent.
    costly = "{ reports(first: 25) { edges { node { id } } } }"
    response = await tight.post(path, json={"query": costly}, headers=headers)
    assert response.status_code == 429 and "Retry-After" in response.headers
    ok = await tight.post(path, json={"query": PAGE_OF_TEN}, headers=headers)
    assert ok.status_code == 200 and ok.headers["X-RateLimit-Remaining"] == "28"
    # Over the maximum: refused before the budget, nothing spent.
    over = (
        "{ "
        + " ".join(
            f"r{i}: reports(first: 100) {{ edges {{ node {{ id category {{ code }} assignedOfficer {{ username }} }} }} }}"
            for i in range(15)
        )
        + " }"
    )
    response = await tight.post(path, json={"query": over}, headers=headers)
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    ok = await tight.post(path, json={"query": "{ me { kind } }"}, headers=headers)
    assert ok.headers["X-RateLimit-Remaining"] == "27"
    # Anonymous budget spent; an expired token is still 401, not 429.
    for _ in range(3):
        await tight.post(path, json={"query": PAGE_OF_TEN})
    expired = bearer_for(*await make_user(Role.OPERATOR, two_tenants.a), settings, ttl=-10)
    status, body = await gql(tight, path, PAGE_OF_TEN, expired)
    assert status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A revoked key: 401 too.
    await revoke_api_key(two_tenants.a, key.id, ("pytest", "cli"))
    status, body = await gql(tight, path, PAGE_OF_TEN, headers)
    assert status == 401, body


async def test_a_new_socket_per_operation_spends_the_same_budget(
    live_server, settings, two_tenants
):
    headers = bearer_for(*await make_user(Role.OPERATOR, two_tenants.a), settings)
    remaining = []
    for i in range(2):
        ws = await websockets.connect(
            f"ws://{live_server}/t/{two_tenants.a.slug}/graphql",
            subprotocols=["graphql-transport-ws"],
        )
        try:
            await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
            await ws.send(
                json.dumps({"id": str(i), "type": "subscribe", "payload": {"query": PAGE_OF_TEN}})
            )
            answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
            remaining.append(answer["payload"]["extensions"]["cost"]["budget"]["remaining"])
        finally:
            await ws.close()
    assert remaining[1] == remaining[0] - 22
