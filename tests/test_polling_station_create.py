"""``createPollingStation`` (issue 15, item 6): one TPS at a time, over GraphQL.

Rules from the module's source (tenants/election/stations.py, README "Election"): the TPS
code is 13 digits, the village's 10 then the TPS number's 3; the village is a Kemendagri
village inside the command's region; the address 3-300 characters; voters 1-1000; a
location is both coordinates or neither; notes at most 2000 characters. A code the
command knows already is CONFLICT (never an update). Only operators, tenant admins and
a key with ``election:write`` may add one. Each refusal is typed and writes nothing.
A retried create under one client key is tested in test_idempotent_creates.py."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import auth_header, gql, onboard

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.platform.registry import TenantInfo

CREATE = """mutation($i: PollingStationInput!) { createPollingStation(input: $i) {
  station { id code villageCode districtCode address latitude longitude voters vulnerability notes }
  errors { code field message } } }"""
ONE = "query($c: String!) { pollingStation(code: $c) { code voters } }"
ALL = "query { pollingStations(first: 100) { edges { node { code } } } }"

# Kota Malang (35.73): Balearjosari, Blimbing (35.73.01.1001).
MALANG_TPS = {
    "code": "3573011001001",
    "villageCode": "35.73.01.1001",
    "address": "SDN Balearjosari 1",
    "voters": 250,
    "vulnerability": "RAWAN",
    "latitude": -7.93,
    "longitude": 112.65,
    "notes": "dekat pasar",
}
# Kota Semarang (33.74): 33.74.01.1001.
SEMARANG_TPS = {
    "code": "3374011001001",
    "villageCode": "33.74.01.1001",
    "address": "SD Negeri Semarang",
    "voters": 300,
    "vulnerability": "AMAN",
}


@pytest.fixture
async def pair(settings) -> tuple[TenantInfo, TenantInfo]:
    a = await onboard(modules=["election"], polda="JATIM", region="35.73")
    b = await onboard(modules=["election"], polda="JATENG", region="33.74")
    return a, b


async def create(client, tenant: TenantInfo, headers: dict, station: dict) -> tuple[int, dict]:
    return await gql(client, f"/t/{tenant.slug}/graphql", CREATE, headers, i=station)


async def payload(client, tenant: TenantInfo, headers: dict, station: dict) -> dict[str, Any]:
    status, body = await create(client, tenant, headers, station)
    assert status == 200 and "errors" not in body, body
    result: dict[str, Any] = body["data"]["createPollingStation"]
    return result


async def stations(owner, tenant: TenantInfo) -> list[dict[str, Any]]:
    rows = await owner.fetch(
        "SELECT code, voters, address FROM polling_stations WHERE tenant_id = $1 ORDER BY code",
        tenant.id,
    )
    return [dict(r) for r in rows]


async def audits(owner, tenant: TenantInfo) -> int:
    count: int = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'election.create_tps'",
        tenant.id,
    )
    return count


async def test_an_operator_adds_a_station_that_only_their_command_sees(
    app_client, settings, pair, owner
):
    a, b = pair
    operator_a = await auth_header(settings, Role.OPERATOR, a)
    operator_b = await auth_header(settings, Role.OPERATOR, b)
    made = await payload(app_client, a, operator_a, MALANG_TPS)
    assert made["errors"] == []
    station = made["station"]
    assert {k: v for k, v in station.items() if k != "id"} == {
        "code": "3573011001001",
        "villageCode": "35.73.01.1001",
        "districtCode": "35.73.01",
        "address": "SDN Balearjosari 1",
        "latitude": -7.93,
        "longitude": 112.65,
        "voters": 250,
        "vulnerability": "RAWAN",
        "notes": "dekat pasar",
    }
    assert await stations(owner, a) == [
        {"code": "3573011001001", "voters": 250, "address": "SDN Balearjosari 1"}
    ]
    assert await audits(owner, a) == 1

    # B's own station works through the same path (the channel B reads through works) ...
    theirs = await payload(app_client, b, operator_b, SEMARANG_TPS)
    assert theirs["errors"] == [] and theirs["station"]["code"] == "3374011001001"
    _, seen = await gql(app_client, f"/t/{b.slug}/graphql", ALL, operator_b)
    assert [e["node"]["code"] for e in seen["data"]["pollingStations"]["edges"]] == [
        "3374011001001"
    ]
    # ... and B sees none of A's, by list or by code.
    _, lookup = await gql(app_client, f"/t/{b.slug}/graphql", ONE, operator_b, c="3573011001001")
    assert lookup == {"data": {"pollingStation": None}}
    # B cannot add A's TPS either: the village is outside B's region.
    refused = await payload(app_client, b, operator_b, MALANG_TPS)
    assert refused["station"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("INVALID_INPUT", "villageCode")
    ]
    assert await stations(owner, b) == [
        {"code": "3374011001001", "voters": 300, "address": "SD Negeri Semarang"}
    ]
    # A's operator on B's path: NOT_FOUND, as for a stranger; nothing written.
    status, body = await create(app_client, b, operator_a, SEMARANG_TPS | {"code": "3374011001002"})
    assert (status, body) == (
        404,
        {"errors": [{"message": "not found", "extensions": {"code": "NOT_FOUND"}}]},
    )
    assert len(await stations(owner, b)) == 1


async def test_a_known_code_is_a_conflict_and_changes_nothing(app_client, settings, pair, owner):
    a, _ = pair
    operator = await auth_header(settings, Role.OPERATOR, a)
    assert (await payload(app_client, a, operator, MALANG_TPS))["errors"] == []
    again = await payload(
        app_client, a, operator, MALANG_TPS | {"voters": 999, "address": "Alamat lain"}
    )
    assert again["station"] is None
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("CONFLICT", "code")]
    # Not an upsert: the first TPS keeps its values.
    assert await stations(owner, a) == [
        {"code": "3573011001001", "voters": 250, "address": "SDN Balearjosari 1"}
    ]
    assert await audits(owner, a) == 1


# (what changes in MALANG_TPS, the fields reported)
REFUSED = [
    ({"code": "357301100100"}, ["code"]),  # 12 digits
    ({"code": "35730110010011"}, ["code"]),  # 14 digits
    ({"code": "357301100100A"}, ["code"]),
    ({"code": "3573011002001"}, ["code"]),  # another village's digits
    ({"villageCode": "35.73.01.9999", "code": "3573019999001"}, ["villageCode"]),  # none such
    ({"villageCode": "3573011001"}, ["villageCode"]),  # not dotted
    ({"villageCode": "33.74.01.1001", "code": "3374011001001"}, ["villageCode"]),  # Semarang
    ({"address": "ab"}, ["address"]),  # 2 characters
    ({"address": "x" * 301}, ["address"]),
    ({"voters": 0}, ["voters"]),
    ({"voters": 1001}, ["voters"]),
    ({"voters": -5}, ["voters"]),
    ({"latitude": -7.93, "longitude": None}, ["latitude"]),  # half a location
    ({"latitude": None, "longitude": 112.65}, ["latitude"]),
    ({"latitude": -91.0}, ["latitude"]),
    ({"notes": "n" * 2001}, ["notes"]),
    # Every fault at once, each with its field.
    (
        {"code": "1", "address": "", "voters": 0, "notes": "n" * 2001},
        ["code", "address", "voters", "notes"],
    ),
]


@pytest.mark.parametrize(("change", "fields"), REFUSED)
async def test_each_bad_field_is_refused_by_name_and_nothing_is_written(
    app_client, settings, pair, owner, change, fields
):
    a, _ = pair
    operator = await auth_header(settings, Role.OPERATOR, a)
    refused = await payload(app_client, a, operator, MALANG_TPS | change)
    assert refused["station"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("INVALID_INPUT", f) for f in fields
    ], refused
    assert await stations(owner, a) == []
    assert await audits(owner, a) == 0


async def test_the_limits_themselves_are_accepted(app_client, settings, pair, owner):
    a, _ = pair
    operator = await auth_header(settings, Role.OPERATOR, a)
    edges = [
        {"code": "3573011001001", "voters": 1, "address": "abc", "notes": "n" * 2000},
        {"code": "3573011001002", "voters": 1000, "address": "y" * 300},
        {"code": "3573011001003", "latitude": None, "longitude": None},
    ]
    for change in edges:
        made = await payload(app_client, a, operator, MALANG_TPS | change)
        assert made["errors"] == [], (change, made)
    rows = await stations(owner, a)
    assert [(r["code"], r["voters"]) for r in rows] == [
        ("3573011001001", 1),
        ("3573011001002", 1000),
        ("3573011001003", 250),
    ]


async def test_who_may_add_a_station(app_client, settings, pair, owner):
    a, _ = pair
    refusals: list[tuple[str, dict[str, str], str]] = [
        ("citizen", await auth_header(settings, Role.CITIZEN, a), "FORBIDDEN"),
        ("officer", await auth_header(settings, Role.OFFICER, a), "FORBIDDEN"),
        ("liaison", await auth_header(settings, Role.AGENCY_LIAISON, a), "FORBIDDEN"),
        ("anonymous", {}, "UNAUTHENTICATED"),
    ]
    for scope in ("reports:read", "reports:write", "bulletins:write"):
        key = await create_api_key(a, f"Kunci {scope}", [scope], "pytest")
        refusals.append((scope, {"X-API-Key": key.key}, "FORBIDDEN"))
    for who, headers, code in refusals:
        status, body = await create(app_client, a, headers, MALANG_TPS)
        assert status == 200, (who, body)
        refused = body["data"]["createPollingStation"]
        assert refused["station"] is None, who
        assert [e["code"] for e in refused["errors"]] == [code], (who, body)
    # A national role is nobody on a tenant's path: NOT_FOUND, as for a stranger.
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    status, body = await create(app_client, a, national, MALANG_TPS)
    assert (status, body["errors"][0]["extensions"]["code"]) == (404, "NOT_FOUND")
    assert await stations(owner, a) == []
    assert await audits(owner, a) == 0

    # Those who may: an operator, a tenant admin and the KPU's election:write key.
    kpu = await create_api_key(a, "KPU sync", ["election:write"], "pytest")
    allowed = [
        ("3573011001001", await auth_header(settings, Role.OPERATOR, a)),
        ("3573011001002", await auth_header(settings, Role.TENANT_ADMIN, a)),
        ("3573011001003", {"X-API-Key": kpu.key}),
    ]
    for code, headers in allowed:
        made = await payload(app_client, a, headers, MALANG_TPS | {"code": code})
        assert made["errors"] == [] and made["station"]["code"] == code, made
    assert [r["code"] for r in await stations(owner, a)] == [c for c, _ in allowed]


async def test_a_command_without_the_election_module_has_no_such_mutation(
    app_client, settings, owner
):
    tenant = await onboard(modules=["bulletins"], polda="JATIM", region="35.73")
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    status, body = await create(app_client, tenant, operator, MALANG_TPS)
    assert status == 200 and body["data"] is None, body
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("Unknown type 'PollingStationInput'.", "INVALID_INPUT"),
        ("Cannot query field 'createPollingStation' on type 'Mutation'.", "INVALID_INPUT"),
    ]
    assert await stations(owner, tenant) == []
