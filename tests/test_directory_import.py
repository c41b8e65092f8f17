"""Issue 14 part 2: CSV import of agencies, hospitals and cameras (the TPS import's rules:
line-numbered errors, all or nothing unless partial, upsert by code), and the command's
go-live readiness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import auth_header, bearer_for, gql, make_user, onboard, run_import

from jogo.platform.auth.roles import Role

ROOT = Path(__file__).resolve().parent.parent
AGENCIES = "{ agencies { code name role kind phone isSample } }"
READINESS = "{ readiness { ready issues { code severity subject message } } }"
PLATFORM_READINESS = """query($s: String!) { tenantReadiness(slug: $s) { ready
  issues { code subject } } }"""

GOOD_AGENCIES = """kode;nama;peran;telepon;alamat
DISHUB-BATU;Dinas Perhubungan Kota Batu;transport;0341 591 234;Jl. Panglima Sudirman
DAMKAR-BATU;Pemadam Kebakaran Kota Batu;fire;0341 112 113;
BPBD-BATU;BPBD Kota Batu;disaster;;
DLH-BATU;Dinas Lingkungan Hidup Kota Batu;environment;;
PLN-BATU;PLN ULP Batu;electricity;;
"""
HOSPITALS = """code,name,address,latitude,longitude,phone
RSUD-BATU,RSUD Karsa Husada Batu,Jl. Ahmad Yani 10,-7.8746,112.5255,0341 596 901
RS-BAPTIS-BATU,RS Baptis Batu,Jl. Raya Tlekung 1,-7.8880,112.5402,
"""


async def test_import_agencies_all_or_nothing_partial_and_upsert(app_client, settings, owner):
    tenant = await onboard("jogo-malang-presisi", region="35.79", sample_directory=False)
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    path = f"/t/{tenant.slug}/graphql"
    # A bad phone on line 4 (the header is line 1): nothing is written.
    bad = GOOD_AGENCIES.replace("BPBD Kota Batu;disaster;;", "BPBD Kota Batu;disaster;12;")
    result = await run_import(app_client, tenant, admin, "AGENCIES", bad)
    assert result["kept"] is False and result["created"] == 0 and result["rejected"] == 1
    assert result["rowErrors"] == [
        {"line": 4, "field": "phone", "message": result["rowErrors"][0]["message"]}
    ]
    assert (
        await owner.fetchval("SELECT count(*) FROM agencies WHERE tenant_id = $1", tenant.id) == 0
    )
    # Partial: the valid rows are kept.
    result = await run_import(app_client, tenant, admin, "AGENCIES", bad, partial=True)
    assert (result["kept"], result["created"], result["rejected"]) == (True, 4, 1)
    # The whole good file: the known codes are updated, the new one created.
    good = GOOD_AGENCIES.replace("Pemadam Kebakaran Kota Batu", "Damkar Batu")
    result = await run_import(app_client, tenant, admin, "AGENCIES", good)
    assert (result["rows"], result["created"], result["updated"], result["kept"]) == (5, 1, 4, True)
    _, body = await gql(app_client, path, AGENCIES, admin)
    agencies = {a["code"]: a for a in body["data"]["agencies"]}
    assert agencies["DAMKAR-BATU"]["name"] == "Damkar Batu"
    assert agencies["DAMKAR-BATU"]["role"] == "fire" and agencies["DAMKAR-BATU"]["kind"] == "dinas"
    assert agencies["DISHUB-BATU"]["phone"] == "+62341591234"
    audit = await owner.fetch(
        "SELECT detail FROM audit_log WHERE tenant = $1 AND action = 'directory.import'"
        " ORDER BY id",
        tenant.id,
    )
    assert [json.loads(a["detail"])["created"] for a in audit] == [4, 1]


async def test_row_faults_name_line_and_column(app_client, settings):
    tenant = await onboard("minimal", region="35.79")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    text = (
        "code,name,latitude,longitude,capacity_url,capacity_format\n"
        "RS-A,RS Satu,-7.87,112.52,,\n"
        "RS-B,RS Dua,,,,\n"
        "RS-C,RS Tiga,-7.88,112.53,http://169.254.169.254/beds,json\n"
        "RS-A,RS Satu lagi,-7.87,112.52,,\n"
        "x,RS Empat,abc,112.5,,\n"
    )
    result = await run_import(app_client, tenant, admin, "HOSPITALS", text)
    faults = {(e["line"], e["field"]) for e in result["rowErrors"]}
    assert faults == {
        (3, "latitude"),
        (4, "capacity_url"),
        (5, "code"),
        (6, "latitude"),
    }, result["rowErrors"]
    assert result["kept"] is False and result["rejected"] == 4
    # A file that is not the kind's CSV: one typed error, no rows.
    result = await run_import(app_client, tenant, admin, "CAMERAS", "nama\nx\n")
    assert result["errors"] == [{"code": "INVALID_INPUT", "field": "file"}]
    # Neither or both of file and csv.
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        "mutation { importDirectory(kind: AGENCIES) { errors { code field } } }",
        admin,
    )
    assert body["data"]["importDirectory"]["errors"] == [{"code": "INVALID_INPUT", "field": "file"}]


async def test_two_commands_may_use_the_same_codes(app_client, settings, owner):
    a = await onboard("jogo-malang-presisi", region="35.79", sample_directory=False)
    b = await onboard("jogo-malang-presisi", region="35.79", sample_directory=False)
    for tenant, name in ((a, "RSUD Karsa Husada Batu"), (b, "RSUD Lain")):
        admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
        text = HOSPITALS.replace("RSUD Karsa Husada Batu", name)
        result = await run_import(app_client, tenant, admin, "HOSPITALS", text)
        assert (result["created"], result["kept"]) == (2, True)
    names = {
        r["tenant_id"]: r["name"]
        for r in await owner.fetch(
            "SELECT tenant_id, name FROM agencies WHERE code = 'RSUD-BATU'"
            " AND tenant_id = ANY($1::uuid[])",
            [a.id, b.id],
        )
    }
    assert names == {a.id: "RSUD Karsa Husada Batu", b.id: "RSUD Lain"}
    # An operator, and another command's admin, cannot import into a.
    operator = await auth_header(settings, Role.OPERATOR, a)
    result = await run_import(app_client, a, operator, "HOSPITALS", HOSPITALS)
    assert result["errors"][0]["code"] == "FORBIDDEN"


async def test_cameras_name_their_operator_by_code(app_client, settings):
    tenant = await onboard("jogo-malang-presisi")  # Kota Malang: DISKOMINFO exists
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    text = (
        "code,name,latitude,longitude,stream_url,operator_code\n"
        "CAM-1,Simpang Tugu,-7.977,112.634,rtsp://10.0.0.5/tugu,DISKOMINFO\n"
        "CAM-2,Simpang Balapan,-7.975,112.633,rtsp://10.0.0.6/balapan,NOBODY\n"
    )
    result = await run_import(app_client, tenant, admin, "CAMERAS", text)
    assert result["kept"] is False
    assert [(e["line"], e["field"]) for e in result["rowErrors"]] == [(3, "operator_code")]
    result = await run_import(app_client, tenant, admin, "CAMERAS", text.replace("NOBODY", ""))
    assert (result["created"], result["kept"]) == (2, True)
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", "{ cameras { code operatorAgencyId } }", admin
    )
    operators = {c["code"]: c["operatorAgencyId"] for c in body["data"]["cameras"]}
    assert operators["CAM-1"] is not None and operators["CAM-2"] is None


async def test_cli_imports_a_file(database, tmp_path, owner):
    import asyncio

    tenant = await onboard("minimal", region="35.79")
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD_AGENCIES.replace("BPBD Kota Batu;disaster", "BPBD Kota Batu;polisi"))
    args = ["directory", "import", "--tenant", tenant.slug, "--kind", "agencies"]
    refused = await asyncio.to_thread(cli, [*args, str(bad)], database)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "line 4: role:" in lines[0], refused.stderr
    assert json.loads(refused.stdout)["errors"][0]["line"] == 4
    assert (
        await owner.fetchval("SELECT count(*) FROM agencies WHERE tenant_id = $1", tenant.id) == 0
    )
    partial = await asyncio.to_thread(cli, [*args, "--partial", str(bad)], database)
    assert partial.returncode == 0 and json.loads(partial.stdout)["created"] == 4
    usage = await asyncio.to_thread(cli, [*args[:-1], "tps", str(bad)], database)
    assert usage.returncode == 2
    actor = await owner.fetchval(
        "SELECT actor FROM audit_log WHERE tenant = $1 AND action = 'directory.import'", tenant.id
    )
    assert actor == "cli"


async def test_readiness_lists_what_is_missing_until_fixed(app_client, settings):
    tenant = await onboard("jogo-malang-presisi", region="35.79", sample_directory=False)
    admin_id, admin_name = await make_user(Role.TENANT_ADMIN, tenant)
    admin = bearer_for(admin_id, admin_name, settings)
    path = f"/t/{tenant.slug}/graphql"
    _, body = await gql(app_client, path, READINESS, admin)
    readiness = body["data"]["readiness"]
    codes = {(i["code"], i["subject"]) for i in readiness["issues"]}
    assert readiness["ready"] is False
    assert {
        ("NO_OPERATOR", None),
        ("NO_OFFICER", None),
        ("NO_JURISDICTION", None),
        ("NO_HOSPITALS", None),
        ("NO_POLICE_POSTS", None),
        ("NO_CAMERAS", None),
        ("NO_AGENCY_FOR_CATEGORY", "FIRE"),
        ("NO_AGENCY_FOR_CATEGORY", "TRAFFIC_ACCIDENT"),
        ("NO_AGENCY_FOR_CATEGORY", "FLOOD"),
        ("NO_AGENCY_FOR_CATEGORY", "FALLEN_TREE"),
        ("NO_AGENCY_FOR_CATEGORY", "POWER_FAULT"),
    } == codes
    fire = next(i for i in readiness["issues"] if i["subject"] == "FIRE")
    assert (
        fire["severity"] == "WARNING"
        and "Kebakaran" in fire["message"]
        and "Fire" in fire["message"]
    )
    # Only tenant admins (and platform admins, per tenant) read it.
    officer = await auth_header(settings, Role.OFFICER, tenant)
    _, body = await gql(app_client, path, READINESS, officer)
    assert (
        body["data"]["readiness"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    )
    platform = await auth_header(settings, Role.PLATFORM_ADMIN)
    _, body = await gql(
        app_client, "/platform/graphql", PLATFORM_READINESS, platform, s=tenant.slug
    )
    # (The officer just made for the refusal above counts: one item fewer.)
    assert {
        (i["code"], i["subject"]) for i in body["data"]["tenantReadiness"]["issues"]
    } == codes - {("NO_OFFICER", None)}
    # Fixed: an operator, hospitals, agencies for every category, a post and a camera.
    assert (await run_import(app_client, tenant, admin, "HOSPITALS", HOSPITALS))["kept"]
    assert (await run_import(app_client, tenant, admin, "AGENCIES", GOOD_AGENCIES))["kept"]
    camera = "code,name,latitude,longitude,stream_url\nCAM-BATU,Alun-alun,-7.8671,112.5239,rtsp://10.1.1.1/a\n"
    assert (await run_import(app_client, tenant, admin, "CAMERAS", camera))["kept"]
    _, body = await gql(
        app_client,
        path,
        """mutation { createPolicePost(name: "Polsek Batu", kind: "POLSEK", latitude: -7.87,
        longitude: 112.52) { errors { code } } }""",
        admin,
    )
    assert body["data"]["createPolicePost"]["errors"] == []
    await make_user(Role.OPERATOR, tenant)
    await make_user(Role.OFFICER, tenant)
    batu = {
        "type": "Polygon",
        "coordinates": [
            [[112.45, -7.95], [112.62, -7.95], [112.62, -7.75], [112.45, -7.75], [112.45, -7.95]]
        ],
    }
    _, body = await gql(
        app_client,
        path,
        "mutation($g: String) { setJurisdiction(geojson: $g) { errors { code } } }",
        admin,
        g=json.dumps(batu),
    )
    assert body["data"]["setJurisdiction"]["errors"] == []
    _, body = await gql(app_client, path, READINESS, admin)
    assert body["data"]["readiness"] == {"ready": True, "issues": []}
    _, body = await gql(
        app_client, "/platform/graphql", PLATFORM_READINESS, platform, s=tenant.slug
    )
    assert body["data"]["tenantReadiness"] == {"ready": True, "issues": []}


def cli(args: list[str], database: str) -> subprocess.CompletedProcess[str]:
    import os

    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    environ["JOGO_DATABASE_URL"] = database
    return subprocess.run(
        [sys.executable, "-m", "jogo.platform.app.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=120,
    )
