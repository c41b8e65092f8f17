"""Bulk exports (issue 20, part 5): CSV and GeoJSON of reports, dispatches and bulletins,
the national daily CSV; who sees which rows; filters; a download abandoned mid-stream."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import date

import httpx
import pytest
from helpers import (
    AGENCY_DISPATCH,
    PUBLISH,
    VERIFY,
    act,
    auth_header,
    bearer_for,
    call,
    content,
    gql,
    idle_in_transaction,
    liaison_of,
    make_user,
    manual_agencies,
    seed_reports_sql,
    submit,
)

from jogo.platform import db
from jogo.platform.app.exports_http import NATIONAL_COLUMNS, SLOTS
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.tenants.oversight.rollups import do_rebuild_tenant
from jogo.tenants.reports.exports import IDENTITY_COLUMNS, REPORT_COLUMNS

REPORTS_GQL = (
    "{ reports(first: 100) { edges { node { ticket status title latitude longitude } } } }"
)
FORMULA = '=HYPERLINK("http://evil.example","klik")'


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


async def export(client, slug, name, headers, **params) -> httpx.Response:
    return await client.get(f"/t/{slug}/export/{name}", headers=headers, params=params)


async def graphql_reports(client, slug, headers) -> dict[str, dict]:
    status, body = await gql(client, f"/t/{slug}/graphql", REPORTS_GQL, headers)
    assert status == 200 and "errors" not in body, body
    return {e["node"]["ticket"]: e["node"] for e in body["data"]["reports"]["edges"]}


@pytest.fixture
async def command(app_client, settings, two_tenants):
    """Tenant A with an operator, a citizen, four reports (one verified, one urgent, one
    titled like a formula) and a report in tenant B."""
    a, b = two_tenants.a, two_tenants.b
    operator = await auth_header(settings, Role.OPERATOR, a)
    citizen_id, citizen_name = await make_user(Role.CITIZEN, a)
    citizen = bearer_for(citizen_id, citizen_name, settings)
    made = [
        await submit(app_client, a.slug, citizen, reporterName="Siti Rahma"),
        await submit(app_client, a.slug, citizen, title=FORMULA, reporterPhone="0812 3456 7890"),
        await submit(app_client, a.slug, operator, urgent=True, description="-1+1 tumbang @jalan"),
        await submit(app_client, a.slug, operator, title="Lampu jalan mati di Kayutangan"),
    ]
    await act(app_client, a.slug, VERIFY, operator, id=made[0]["report"]["id"])
    other = await submit(app_client, b.slug, await auth_header(settings, Role.OPERATOR, b))
    return a, b, operator, citizen, made, other


async def test_reports_csv_round_trips_the_graphql_read(app_client, owner, command):
    a, _, operator, _, made, other = command
    response = await export(app_client, a.slug, "reports.csv", operator)
    rows = rows_of(response)
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and a.slug in disposition
    assert date.today().isoformat()[:4] in disposition and disposition.endswith('.csv"')
    assert list(rows[0]) == [*REPORT_COLUMNS, *IDENTITY_COLUMNS]
    seen = await graphql_reports(app_client, a.slug, operator)
    assert {r["ticket"] for r in rows} == set(seen) == {m["report"]["ticket"] for m in made}
    assert other["report"]["ticket"] not in {r["ticket"] for r in rows}
    for row in rows:
        node = seen[row["ticket"]]
        assert row["status"] == node["status"]
        assert float(row["latitude"]) == node["latitude"]
        assert float(row["longitude"]) == node["longitude"]
    by_ticket = {r["ticket"]: r for r in rows}
    # Formula-like text is neutralised; the value is otherwise intact.
    formula = by_ticket[made[1]["report"]["ticket"]]
    assert formula["title"] == "'" + FORMULA
    assert formula["reporter_phone"] == "'+6281234567890"
    assert by_ticket[made[2]["report"]["ticket"]]["description"].startswith("'-1+1")
    assert by_ticket[made[0]["report"]["ticket"]]["reporter_name"] == "Siti Rahma"
    # Numbers stay numbers (a negative latitude is not "neutralised").
    assert not any(r["latitude"].startswith("'") for r in rows)
    # Times in the command's zone with an offset.
    assert all(r["created_at"].endswith("+07:00") for r in rows)
    # The identities the export showed are audited per report, and the export itself.
    targets = {
        r["target"]
        for r in await owner.fetch(
            "SELECT target FROM audit_log WHERE tenant = $1"
            " AND action = 'report.reporter_identity.read'",
            a.id,
        )
    }
    assert {f"report:{t}" for t in by_ticket} <= targets
    assert await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'report.export'", a.id
    )


async def test_reports_geojson_is_one_feature_collection(app_client, command):
    a, _, operator, _, made, _ = command
    response = await export(app_client, a.slug, "reports.geojson", operator)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    body = json.loads(response.content)
    assert body["type"] == "FeatureCollection"
    seen = await graphql_reports(app_client, a.slug, operator)
    assert len(body["features"]) == len(seen) == len(made)
    for f in body["features"]:
        node = seen[f["properties"]["ticket"]]
        assert f["type"] == "Feature"
        assert f["geometry"] == {
            "type": "Point",
            "coordinates": [node["longitude"], node["latitude"]],
        }
        assert f["properties"]["title"] == node["title"]  # JSON needs no neutralising


async def test_filters_narrow_like_the_graphql_filter(app_client, command):
    a, _, operator, _, made, _ = command
    verified = rows_of(await export(app_client, a.slug, "reports.csv", operator, status="VERIFIED"))
    assert [r["ticket"] for r in verified] == [made[0]["report"]["ticket"]]
    urgent = rows_of(await export(app_client, a.slug, "reports.csv", operator, urgent="true"))
    assert [r["ticket"] for r in urgent] == [made[2]["report"]["ticket"]]
    both = rows_of(
        await app_client.get(
            f"/t/{a.slug}/export/reports.csv?status=VERIFIED&status=SUBMITTED", headers=operator
        )
    )
    assert len(both) == len(made)
    text = rows_of(await export(app_client, a.slug, "reports.csv", operator, text="Kayutangan"))
    assert [r["ticket"] for r in text] == [made[3]["report"]["ticket"]]
    today = date.today().isoformat()
    assert len(rows_of(await export(app_client, a.slug, "reports.csv", operator, to=today))) == 4
    none = await export(app_client, a.slug, "reports.csv", operator, to="2024-01-01")
    assert rows_of(none) == []
    boxed = await export(
        app_client, a.slug, "reports.geojson", operator, bbox="-8.1,112.5,-7.8,112.7"
    )
    assert len(json.loads(boxed.content)["features"]) == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "LOST"}, "status"),
        ({"from": "kemarin"}, "from"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "-7,112,-8,113"}, "bbox"),
        ({"urgent": "mungkin"}, "urgent"),
        ({"text": "x" * 201}, "text"),
        ({"statuses": "VERIFIED"}, "statuses"),
        ({"urgent": ["true", "false"]}, "urgent"),
    ],
)
async def test_bad_filters_are_400_with_a_code(app_client, settings, two_tenants, params, field):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    response = await export(app_client, a.slug, "reports.csv", operator, **params)
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["message"].startswith(field), error


async def test_visibility_follows_the_graphql_reads(app_client, settings, command):
    a, _, operator, citizen, made, _ = command
    officer_id, officer_name = await make_user(Role.OFFICER, a)
    officer = bearer_for(officer_id, officer_name, settings)
    assign = "mutation($id: ID!, $o: ID) { assignReport(reportId: $id, officerId: $o) { errors { code } } }"
    await act(app_client, a.slug, assign, operator, id=made[0]["report"]["id"], o=str(officer_id))
    rows = rows_of(await export(app_client, a.slug, "reports.csv", officer))
    assert [r["ticket"] for r in rows] == [made[0]["report"]["ticket"]]
    assert list(rows[0]) == list(REPORT_COLUMNS)  # no reporter identity for an officer
    assert set(await graphql_reports(app_client, a.slug, officer)) == {rows[0]["ticket"]}
    # A key with reports:read reads everything, without who reported (read-only is enough).
    key = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest")
    keyed = rows_of(await export(app_client, a.slug, "reports.csv", {"X-API-Key": key.key}))
    assert len(keyed) == len(made) and "reporter_name" not in keyed[0]
    # A citizen reads their own reports in the app, and exports nothing.
    refused = await export(app_client, a.slug, "reports.csv", citizen)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await export(app_client, a.slug, "dispatches.csv", citizen)).status_code == 403
    # A key without a report scope neither.
    other_key = await create_api_key(a, "Direktori", ["agencies:read"], "pytest")
    assert (
        await export(app_client, a.slug, "reports.geojson", {"X-API-Key": other_key.key})
    ).status_code == 403


async def test_credentials_and_tenants(app_client, settings, command):
    a, b, operator, _, _, other = command
    assert (await export(app_client, a.slug, "reports.csv", {})).status_code == 401
    expired_id, expired_name = await make_user(Role.OPERATOR, a)
    expired = bearer_for(expired_id, expired_name, settings, ttl=-10)
    assert (await export(app_client, a.slug, "reports.csv", expired)).status_code == 401
    assert (
        await export(app_client, a.slug, "reports.csv", {"Authorization": "Bearer x"})
    ).status_code == 401
    # Another command's caller, an unknown command, an unknown export: all 404 alike.
    key_b = await create_api_key(b, "B", ["reports:read"], "pytest")
    for slug, headers in ((b.slug, operator), (a.slug, {"X-API-Key": key_b.key})):
        response = await export(app_client, slug, "reports.csv", headers)
        assert response.status_code == 404, response.text
    assert (await export(app_client, "tidak-ada", "reports.csv", operator)).status_code == 404
    unknown = await export(app_client, a.slug, "reports.xlsx", operator)
    missing = await export(app_client, "tidak-ada", "reports.xlsx", operator)
    assert unknown.status_code == missing.status_code == 404
    assert unknown.json() == missing.json()
    # B's own export holds B's report only.
    mine = rows_of(await export(app_client, b.slug, "reports.csv", {"X-API-Key": key_b.key}))
    assert [r["ticket"] for r in mine] == [other["report"]["ticket"]]


async def test_dispatches_operator_liaison_and_key(app_client, settings, two_tenants):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    first, second = (await manual_agencies(app_client, a.slug, admin))[:2]
    tickets = {}
    for agency in (first, second):
        done = await submit(app_client, a.slug, admin)
        rid = done["report"]["id"]
        await act(app_client, a.slug, VERIFY, admin, id=rid)
        await act(app_client, a.slug, AGENCY_DISPATCH, admin, r=rid, a=agency)
        tickets[agency] = done["report"]["ticket"]
    every = rows_of(await export(app_client, a.slug, "dispatches.csv", admin))
    assert {r["ticket"] for r in every} == set(tickets.values())
    liaison = await liaison_of(app_client, settings, a, admin, first)
    own = rows_of(await export(app_client, a.slug, "dispatches.csv", liaison))
    assert [(r["ticket"], r["status"] != "") for r in own] == [(tickets[first], True)]
    assert "reporter_name" not in own[0]
    # A liaison exports no reports; a key with reports:read their dispatches, as GeoJSON too.
    assert (await export(app_client, a.slug, "reports.csv", liaison)).status_code == 403
    key = await create_api_key(a, "Pembaca", ["reports:read"], "pytest")
    body = json.loads(
        (await export(app_client, a.slug, "dispatches.geojson", {"X-API-Key": key.key})).content
    )
    assert {f["properties"]["ticket"] for f in body["features"]} == set(tickets.values())
    assert all(f["geometry"]["type"] == "Point" for f in body["features"])
    filtered = rows_of(await export(app_client, a.slug, "dispatches.csv", admin, agency=second))
    assert [r["ticket"] for r in filtered] == [tickets[second]]
    bad = await export(app_client, a.slug, "dispatches.csv", admin, status="HILANG")
    assert (
        bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    )


async def test_bulletins_csv_and_geojson(app_client, settings, two_tenants):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    await call(app_client, a, PUBLISH, operator, input=content(headline="=Penutupan Jalan Ijen"))
    region_only = content(
        area={"description": "Kota Malang", "regionCodes": ["35.73"]}, category="WEATHER"
    )
    await call(app_client, a, PUBLISH, operator, input=region_only)
    rows = rows_of(await export(app_client, a.slug, "bulletins.csv", operator))
    assert len(rows) == 2
    traffic = next(r for r in rows if r["category"] == "TRAFFIC")
    assert traffic["headline"] == "'=Penutupan Jalan Ijen"
    assert traffic["polygon"].startswith("POLYGON((112.62 -7.97")
    assert traffic["circle_radius_m"] == "1500.0"
    body = json.loads((await export(app_client, a.slug, "bulletins.geojson", operator)).content)
    shapes = {f["properties"]["category"]: f["geometry"] for f in body["features"]}
    assert shapes["WEATHER"] is None
    assert [g["type"] for g in shapes["TRAFFIC"]["geometries"]] == ["Polygon", "Point"]
    # Anyone of the command sees the bulletins in force; a status is for writers only.
    citizen = await auth_header(settings, Role.CITIZEN, a)
    assert len(rows_of(await export(app_client, a.slug, "bulletins.csv", citizen))) == 2
    refused = await export(app_client, a.slug, "bulletins.csv", citizen, status="DRAFT")
    assert refused.status_code == 403
    drafts = await export(app_client, a.slug, "bulletins.csv", operator, status="DRAFT")
    assert rows_of(drafts) == []


async def test_national_daily_csv_has_figures_and_nobody(app_client, settings, command):
    a, b, _, _, made, _ = command
    for tenant in (a, b):
        await do_rebuild_tenant(tenant)
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    response = await app_client.get("/national/export/daily.csv", headers=national)
    rows = rows_of(response)
    assert tuple(rows[0]) == NATIONAL_COLUMNS
    mine = [r for r in rows if r["command"] == a.slug]
    assert sum(int(r["reports"]) for r in mine) == len(made)
    assert sum(int(r["verified"]) for r in mine) == 1
    assert sum(int(r["urgent"]) for r in mine) == 1
    assert any(r["command"] == b.slug for r in rows)
    text = response.content.decode()
    for secret in (
        "Siti Rahma",
        "6281234567890",
        "Kayutangan",
        "Jl. Ijen",
        made[0]["report"]["ticket"],
    ):
        assert secret not in text
    # A Polda supervisor of another Polda sees none of these commands.
    other = await auth_header(settings, Role.POLDA_SUPERVISOR, polda="PAPUA")
    elsewhere = rows_of(await app_client.get("/national/export/daily.csv", headers=other))
    assert not {r["command"] for r in elsewhere} & {a.slug, b.slug}
    citizen = await auth_header(settings, Role.CITIZEN, a)
    assert (await app_client.get("/national/export/daily.csv", headers=citizen)).status_code == 403
    assert (await app_client.get("/national/export/daily.csv")).status_code == 401
    bad = await app_client.get(
        "/national/export/daily.csv", headers=national, params={"from": "2026-13-01"}
    )
    assert (
        bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    )


async def _pool_settled() -> tuple[int, int]:
    pool = db.ENGINE.pool
    assert pool is not None
    for _ in range(200):
        if pool.get_idle_size() == pool.get_size():
            break
        await asyncio.sleep(0.05)
    return pool.get_idle_size(), pool.get_size()


@pytest.mark.parametrize("name", ["reports.csv", "reports.geojson"])
async def test_a_download_abandoned_mid_stream_strands_no_connection(
    live_server, owner, settings, two_tenants, name
):
    a = two_tenants.a
    await seed_reports_sql(owner, a, 6000)
    operator = await auth_header(settings, Role.OPERATOR, a)
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        async with client.stream("GET", f"/t/{a.slug}/export/{name}", headers=operator) as r:
            assert r.status_code == 200
            got = 0
            async for chunk in r.aiter_raw():
                got += len(chunk)
                if got > 10_000:
                    break
        # The client is gone (connection closed mid-body); the server must give back all.
        idle, size = await _pool_settled()
        assert idle == size, (idle, size)
        assert await idle_in_transaction(owner) == 0
        for _ in range(100):  # the export's slot is given back too
            if SLOTS.busy == 0:
                break
            await asyncio.sleep(0.05)
        assert SLOTS.busy == 0
        # And the pool serves: a full export right after.
        whole = await client.get(f"/t/{a.slug}/export/reports.csv", headers=operator)
        assert whole.status_code == 200
        assert len(whole.content.decode().splitlines()) == 6001
    assert await idle_in_transaction(owner) == 0


async def test_beyond_half_the_pool_an_export_is_told_to_wait(app_client, settings, two_tenants):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    pool = db.ENGINE.pool
    assert pool is not None
    held = max(1, pool.get_max_size() // 2)
    SLOTS.busy += held  # as many exports streaming in this process as it allows
    try:
        refused = await export(app_client, a.slug, "reports.csv", operator)
    finally:
        SLOTS.busy -= held
    assert refused.status_code == 429, refused.text
    assert refused.headers["retry-after"] == "5"
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert (await export(app_client, a.slug, "reports.csv", operator)).status_code == 200
    assert SLOTS.busy == 0
