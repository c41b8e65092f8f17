"""Issue 14, item 8 (first half): a command's jurisdiction, and reports outside it flagged
for operators. Polresta Malang Kota accepted reports located in Singapore and Dili."""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers import MALANG, auth_header, gql, onboard, one_line_error, run_jogo, submit, unique_slug

from jogo.platform import db
from jogo.platform.auth.roles import Role
from jogo.platform.errors import InvalidInput
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant
from jogo.tenants.reports import jurisdiction
from jogo.tenants.reports.jurisdiction import parse_jurisdiction

# Roughly Kota Malang (lon 112.57-112.70, lat -7.89 to -8.05), longitude first.
KOTA_MALANG = {
    "type": "Polygon",
    "coordinates": [
        [[112.55, -7.88], [112.72, -7.88], [112.72, -8.06], [112.55, -8.06], [112.55, -7.88]]
    ],
}
SINGAPORE = (1.29, 103.85)
DILI = (-8.56, 125.57)
AROUND_DILI = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[125.4, -8.4], [125.7, -8.4], [125.7, -8.7], [125.4, -8.7], [125.4, -8.4]]],
        [[[103.7, 1.2], [104.0, 1.2], [104.0, 1.4], [103.7, 1.4], [103.7, 1.2]]],
    ],
}
LIST = """query($f: ReportFilterInput) { reports(first: 50, filter: $f) {
  edges { node { ticket outsideJurisdiction } } totalCount } }"""
SET = """mutation($g: String) { setJurisdiction(geojson: $g) {
  jurisdiction { geojson version vertices } openReports flagged
  errors { code field message } } }"""
PLATFORM_SET = """mutation($s: String!, $g: String) { setTenantJurisdiction(slug: $s, geojson: $g) {
  jurisdiction { version } openReports flagged errors { code field message } } }"""
READ = "{ jurisdiction { geojson version vertices } }"


async def malang_kota(geojson: dict | None = KOTA_MALANG):
    result = await do_onboard_tenant(
        OnboardInput(
            slug=unique_slug("polresta-malang-kota"),
            name="Polresta Malang Kota",
            polda_code="JATIM",
            region_code="35.73",
            template="jogo-malang-presisi",
            jurisdiction=json.dumps(geojson) if geojson else None,
        ),
        actor=("pytest", "system"),
    )
    return result.tenant


async def three_reports(app_client, tenant, headers) -> dict[str, str]:
    tickets = {}
    for name, (lat, lon) in {"singapore": SINGAPORE, "dili": DILI, "alun": MALANG}.items():
        made = await submit(app_client, tenant.slug, headers, latitude=lat, longitude=lon)
        assert made["errors"] == [], made
        tickets[name] = made["report"]["ticket"]
    return tickets


async def flagged(app_client, tenant, headers, value: bool | None = True) -> set[str]:
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", LIST, headers, f={"outsideJurisdiction": value}
    )
    return {e["node"]["ticket"] for e in body["data"]["reports"]["edges"]}


async def test_reports_from_singapore_and_dili_are_flagged(app_client, settings):
    tenant = await malang_kota()
    other = await onboard()  # no jurisdiction: nothing is ever flagged there
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    tickets = await three_reports(app_client, tenant, operator)
    assert await flagged(app_client, tenant, operator) == {tickets["singapore"], tickets["dili"]}
    assert await flagged(app_client, tenant, operator, False) == {tickets["alun"]}
    _, listed = await gql(app_client, f"/t/{tenant.slug}/graphql", LIST, operator)
    by_ticket = {e["node"]["ticket"]: e["node"] for e in listed["data"]["reports"]["edges"]}
    assert by_ticket[tickets["dili"]]["outsideJurisdiction"] is True
    assert by_ticket[tickets["alun"]]["outsideJurisdiction"] is False
    # The flag is for staff: a citizen reading their own report sees null.
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    await submit(app_client, tenant.slug, citizen, latitude=DILI[0], longitude=DILI[1])
    _, own = await gql(app_client, f"/t/{tenant.slug}/graphql", LIST, citizen)
    assert [e["node"]["outsideJurisdiction"] for e in own["data"]["reports"]["edges"]] == [None]
    # Another command without a jurisdiction flags nothing.
    other_operator = await auth_header(settings, Role.OPERATOR, other)
    await three_reports(app_client, other, other_operator)
    assert await flagged(app_client, other, other_operator) == set()


async def test_changing_the_jurisdiction_flags_open_reports_again(app_client, settings, owner):
    tenant = await malang_kota()
    path = f"/t/{tenant.slug}/graphql"
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    tickets = await three_reports(app_client, tenant, operator)
    # A closed report keeps the flag it had.
    await owner.execute(
        "UPDATE reports SET status = 'REJECTED', reject_reason = 'uji' WHERE ticket = $1",
        tickets["singapore"],
    )
    _, body = await gql(app_client, path, SET, admin, g=json.dumps(AROUND_DILI))
    done = body["data"]["setJurisdiction"]
    assert done["errors"] == [] and done["openReports"] == 2 and done["flagged"] == 1
    assert done["jurisdiction"]["version"] == 2 and done["jurisdiction"]["vertices"] == 10
    assert await flagged(app_client, tenant, operator) == {tickets["alun"], tickets["singapore"]}
    # New reports follow the new shape at once (the cached geometry is per version).
    made = await submit(app_client, tenant.slug, operator, latitude=DILI[0], longitude=DILI[1])
    assert made["report"]["ticket"] not in await flagged(app_client, tenant, operator)
    made = await submit(app_client, tenant.slug, operator)
    assert made["report"]["ticket"] in await flagged(app_client, tenant, operator)
    audit = await owner.fetchrow(
        "SELECT actor, detail FROM audit_log WHERE tenant = $1 AND action ="
        " 'tenant.set_jurisdiction' ORDER BY id DESC LIMIT 1",
        tenant.id,
    )
    assert json.loads(audit["detail"])["flagged"] == 1
    # Cleared: nothing is outside any more.
    _, body = await gql(app_client, path, SET, admin, g=None)
    assert body["data"]["setJurisdiction"]["jurisdiction"]["geojson"] is None
    assert await flagged(app_client, tenant, operator) == {tickets["singapore"]}  # closed
    _, read = await gql(app_client, path, READ, operator)
    assert read["data"]["jurisdiction"] is None


async def test_the_geometry_is_prepared_once_per_version(database):
    tenant = await malang_kota()
    async with db.tenant_tx(tenant.id):
        first = await jurisdiction.current_geometry(tenant.id)
        again = await jurisdiction.current_geometry(tenant.id)
    assert first is again and first is not None
    await jurisdiction.do_set_jurisdiction(
        tenant, json.dumps(AROUND_DILI), actor=("pytest", "system")
    )
    jurisdiction._cache.pop(tenant.id)  # as another process would see it
    async with db.tenant_tx(tenant.id):
        fresh = await jurisdiction.current_geometry(tenant.id)
        assert await jurisdiction.outside(tenant.id, *MALANG)
        assert not await jurisdiction.outside(tenant.id, *DILI)
        assert not await jurisdiction.outside(tenant.id, None, None)  # no location
    assert fresh is not first


BOW_TIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


@pytest.mark.parametrize(
    ("geojson", "message"),
    [
        ("{nope", "not valid JSON"),
        (json.dumps({"type": "Point", "coordinates": [112.6, -7.9]}), "Polygon or MultiPolygon"),
        (json.dumps({"type": "Polygon", "coordinates": []}), "empty"),
        (json.dumps(BOW_TIE), "Self-intersection"),
        (
            json.dumps(
                {"type": "Polygon", "coordinates": [[[200, 0], [201, 0], [201, 1], [200, 0]]]}
            ),
            "longitude first",
        ),
        (
            json.dumps({"type": "Polygon", "coordinates": [[[-7.9, 112.6], [-7.8, 112.6]]]}),
            "longitude first",
        ),
        (
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [[[112 + i / 1e5, -7.9] for i in range(10_001)]],
                }
            ),
            "at most 10000 vertices",
        ),
        (json.dumps({"type": "Polygon", "coordinates": [[["a", 1]]]}), "in numbers"),
        # Malformed rings are named in words, never as Python's "list index out of range".
        (
            json.dumps({"type": "MultiPolygon", "coordinates": [[[[112.6, -7.9], [112.7, -7.9]]]]}),
            "ring 1 of polygon 1 needs at least 4 positions",
        ),
        (
            json.dumps(
                {
                    "type": "MultiPolygon",
                    "coordinates": [
                        [[[112.5, -8], [112.7, -8], [112.7, -7.8], [112.5, -8]]],
                        [[[112.8, -8], [112.9, -8], [112.9, -7.8], [112.8, -7.9]]],
                    ],
                }
            ),
            "ring 1 of polygon 2 is not closed",
        ),
    ],
)
async def test_bad_shapes_are_refused_with_a_reason(app_client, settings, geojson, message):
    tenant = await malang_kota()
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", SET, admin, g=geojson)
    [error] = body["data"]["setJurisdiction"]["errors"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == "geojson"
    assert message in error["message"]
    # Nothing changed.
    _, read = await gql(app_client, f"/t/{tenant.slug}/graphql", READ, admin)
    assert read["data"]["jurisdiction"]["version"] == 1


async def test_onboarding_and_the_platform_admin_set_it(app_client, settings, owner):
    with pytest.raises(InvalidInput) as bad:
        await malang_kota(BOW_TIE)
    assert bad.value.field == "jurisdiction"
    tenant = await malang_kota(None)
    other = await malang_kota(None)
    path = f"/t/{tenant.slug}/graphql"
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    _, read = await gql(app_client, path, READ, operator)
    assert read["data"]["jurisdiction"] is None
    tickets = await three_reports(app_client, tenant, operator)
    platform = await auth_header(settings, Role.PLATFORM_ADMIN)
    _, body = await gql(
        app_client,
        "/platform/graphql",
        PLATFORM_SET,
        platform,
        s=tenant.slug,
        g=json.dumps({"type": "Feature", "properties": {}, "geometry": KOTA_MALANG}),
    )
    done = body["data"]["setTenantJurisdiction"]
    assert done["errors"] == [] and done["flagged"] == 2 and done["jurisdiction"]["version"] == 1
    assert await flagged(app_client, tenant, operator) == {tickets["singapore"], tickets["dili"]}
    # The other command is untouched.
    assert await owner.fetchval("SELECT jurisdiction FROM tenants WHERE id = $1", other.id) is None
    _, body = await gql(
        app_client, "/platform/graphql", PLATFORM_SET, platform, s="no-such-command", g=None
    )
    assert body["data"]["setTenantJurisdiction"]["errors"][0]["code"] == "NOT_FOUND"
    audited = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'tenant.set_jurisdiction'",
        tenant.id,
    )
    assert audited == 1


def test_parse_keeps_the_shape():
    stored = parse_jurisdiction(json.dumps(KOTA_MALANG))
    assert stored is not None and stored["type"] == "Polygon"
    assert parse_jurisdiction("  ") is None


def test_cli_tenant_create_takes_a_jurisdiction_file(database, tmp_path):
    good = tmp_path / "malang.geojson"
    good.write_text(json.dumps(KOTA_MALANG), encoding="utf-8")
    bad = tmp_path / "bowtie.geojson"
    bad.write_text(json.dumps(BOW_TIE), encoding="utf-8")
    base = ["tenant", "create", "--name", "Polresta Malang Kota", "--polda", "JATIM"]
    base += ["--region", "35.73"]
    slug = unique_slug()
    created = run_jogo([*base, "--slug", slug, "--jurisdiction", str(good)], database)
    assert created.returncode == 0, created.stderr
    refused: subprocess.CompletedProcess[str] = run_jogo(
        [*base, "--slug", unique_slug(), "--jurisdiction", str(bad)], database
    )
    assert refused.returncode == 1 and "Self-intersection" in one_line_error(refused)
    missing = run_jogo(
        [*base, "--slug", unique_slug(), "--jurisdiction", str(tmp_path / "x")], database
    )
    assert missing.returncode == 1 and "cannot read" in one_line_error(missing)
