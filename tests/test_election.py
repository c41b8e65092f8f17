"""The election module (issue 7): TPS import with per-row errors, the deployment plan,
incidents on the board, the national summary, two tenants, and the module switch."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from helpers import (
    auth_header,
    csv_bytes,
    gql,
    make_user,
    onboard,
    one_line_error,
    report_input,
    run_jogo,
    upload_stations,
    wait_for_listeners,
)

from jogo.platform.auth.roles import Role
from jogo.tenants.election.plan import Count, compute_plan
from jogo.tenants.election.vocab import DeploymentRule
from jogo.tenants.oversight.rollups import do_rebuild_tenant

# Kota Malang: Blimbing (35.73.01) and Klojen (35.73.02) villages.
GOOD = [
    "3573011001001,35.73.01.1001,SDN Balearjosari 1,-7.9300,112.6500,250,AMAN,",
    "3573011001002,35.73.01.1001,Balai RW 03 Balearjosari,-7.9310,112.6510,240,RAWAN,dekat pasar",
    "3573011002001,35.73.01.1002,Lapangan Arjosari,,,260,SANGAT_RAWAN,riwayat kericuhan",
    "3573021001001,35.73.02.1001,Aula Kelurahan Klojen,-7.9800,112.6300,230,aman,",
]
STATIONS = "query { pollingStations(first: 100) { edges { node { code districtCode districtName villageName vulnerability voters } } } }"
PLAN = """query { deploymentPlan { total { stations groups officers linmas assignedOfficers officersShort }
  districts { districtCode districtName total { stations officers } lines { vulnerability stations groups officers linmas } } } }"""
BOARD = "query { electionBoard { code state openIncidents urgentOpenIncidents incidents } }"
SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id ticket } errors { code field message } } }"""


async def call(client, tenant, query, headers=None, **variables):
    status, body = await gql(client, f"/t/{tenant.slug}/graphql", query, headers, **variables)
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


@pytest.fixture
async def election(settings, database):
    tenant = await onboard(modules=["election", "integrations"])
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    return tenant, operator


async def test_import_reports_every_faulty_row_and_keeps_nothing(app_client, election, owner):
    tenant, operator = election
    data = csv_bytes(
        GOOD[0],
        "357301100100,35.73.01.1001,Kode pendek,,,200,AMAN,",  # line 3: code
        "3573011001003,35.73.01.9999,Desa tak ada,,,200,AMAN,",  # line 4: unknown village
        "3374011001001,33.74.01.1001,Di Semarang,,,200,AMAN,",  # line 5: outside the region
        "3573011002009,35.73.01.1001,Kode lain desa,,,200,AMAN,",  # line 6: code/village
        "3573011001004,35.73.01.1001,Pemilih nol,,,0,AMAN,",  # line 7: voters
        "3573011001005,35.73.01.1001,Tingkat salah,,,200,BAHAYA,",  # line 8: vulnerability
        "3573011001006,35.73.01.1001,Lokasi separuh,-7.93,,200,AMAN,",  # line 9: location
        GOOD[0],  # line 10: the same code as line 2
        GOOD[1],
    )
    result = await upload_stations(app_client, tenant, operator, data)
    assert result["errors"] == [] and result["kept"] is False
    faults = [(e["line"], e["field"]) for e in result["rowErrors"]]
    assert faults == [
        (3, "code"),
        (4, "village_code"),
        (5, "village_code"),
        (6, "code"),
        (7, "voters"),
        (8, "vulnerability"),
        (9, "latitude"),
        (10, "code"),
    ]
    assert result["rows"] == 10 and result["rejected"] == 8 and result["created"] == 0
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM polling_stations WHERE tenant_id = $1", tenant.id
        )
        == 0
    )

    partial = await upload_stations(app_client, tenant, operator, data, partial=True)
    assert partial["kept"] and partial["created"] == 2 and partial["rejected"] == 8
    codes = [
        e["node"]["code"] for e in (await call(app_client, tenant, STATIONS, operator))["edges"]
    ]
    assert codes == ["3573011001001", "3573011001002"]


async def test_reimport_updates_by_code_and_accepts_kpu_headers(app_client, election, owner):
    tenant, operator = election
    first = await upload_stations(app_client, tenant, operator, csv_bytes(*GOOD))
    assert (first["created"], first["updated"], first["kept"]) == (4, 0, True)
    kpu = (
        "\ufeffkode_tps;kode_desa;alamat;lat;lon;dpt;kerawanan;catatan\n"
        "3573011001001;35.73.01.1001;SDN Balearjosari 1;-7,9300;112,6500;275;Sangat Rawan;naik\n"
        "3573021001002;35.73.02.1001;Gereja Klojen;;;210;KHUSUS;\n"
    ).encode()
    second = await upload_stations(app_client, tenant, operator, kpu)
    assert (second["created"], second["updated"], second["rowErrors"]) == (1, 1, [])
    row = await owner.fetchrow(
        "SELECT voters, vulnerability, notes, latitude FROM polling_stations"
        " WHERE tenant_id = $1 AND code = '3573011001001'",
        tenant.id,
    )
    assert dict(row) == {
        "voters": 275,
        "vulnerability": "SANGAT_RAWAN",
        "notes": "naik",
        "latitude": -7.93,
    }
    nodes = [e["node"] for e in (await call(app_client, tenant, STATIONS, operator))["edges"]]
    assert len(nodes) == 5
    assert nodes[0]["districtName"] == "Blimbing" and nodes[0]["villageName"] == "Balearjosari"
    no_header = await upload_stations(app_client, tenant, operator, b"kode,alamat\n1,2\n")
    assert (
        no_header["errors"][0]["field"] == "file"
        and "village_code" in no_header["errors"][0]["message"]
    )
    not_text = await upload_stations(app_client, tenant, operator, b"\xff\xfe\x00binary")
    assert not_text["errors"][0]["field"] == "file"
    citizen = await auth_header_for(tenant, Role.CITIZEN)
    denied = await upload_stations(app_client, tenant, citizen, csv_bytes(*GOOD))
    assert denied["errors"][0]["code"] == "FORBIDDEN"


async def auth_header_for(tenant, role):
    from helpers import bearer_for

    from jogo.platform.settings import load_settings

    user_id, name = await make_user(role, tenant)
    return bearer_for(user_id, name, load_settings())


def test_plan_arithmetic_follows_the_default_pattern():
    counts = [
        Count("35.73.01", "AMAN", 9, 2000),  # 2 officers per 4-8: 2 groups
        Count("35.73.01", "RAWAN", 5, 1200),  # 2 per at most 4: 2 groups
        Count("35.73.01", "SANGAT_RAWAN", 3, 700, assigned_officers=2),  # a post each
        Count("35.73.02", "AMAN", 8, 1900),  # exactly one group
        Count("35.73.02", "KHUSUS", 1, 150),
    ]
    plan = compute_plan(counts, {})
    blimbing, klojen = plan.districts
    lines = {x.vulnerability: (x.groups, x.officers, x.linmas) for x in blimbing.lines}
    assert lines == {"AMAN": (2, 4, 18), "RAWAN": (2, 4, 10), "SANGAT_RAWAN": (3, 6, 6)}
    assert (blimbing.total.stations, blimbing.total.officers, blimbing.total.linmas) == (17, 14, 34)
    assert (klojen.total.groups, klojen.total.officers) == (2, 4)
    assert (plan.total.stations, plan.total.officers, plan.total.assigned_officers) == (26, 18, 2)
    assert [x.vulnerability for x in plan.by_vulnerability] == [
        "AMAN",
        "RAWAN",
        "SANGAT_RAWAN",
        "KHUSUS",
    ]
    # A command's own rule: 3 officers per at most 6 safe TPS, 1 Linmas each.
    custom = compute_plan(counts, {"AMAN": DeploymentRule("AMAN", 6, 3, 1)})
    aman = next(x for x in custom.districts[0].lines if x.vulnerability == "AMAN")
    assert (aman.groups, aman.officers, aman.linmas) == (2, 6, 9)
    assert compute_plan([], {}).total.officers == 0


async def test_plan_rules_and_named_officers_through_the_api(app_client, election, owner):
    tenant, operator = election
    await upload_stations(app_client, tenant, operator, csv_bytes(*GOOD))
    plan = await call(app_client, tenant, PLAN, operator)
    # Blimbing: AMAN 1 (1 group), RAWAN 1 (1), SANGAT_RAWAN 1 (1 post); Klojen: AMAN 1.
    assert plan["total"] == {
        "stations": 4,
        "groups": 4,
        "officers": 8,
        "linmas": 8,
        "assignedOfficers": 0,
        "officersShort": 8,
    }
    assert [(d["districtCode"], d["districtName"]) for d in plan["districts"]] == [
        ("35.73.01", "Blimbing"),
        ("35.73.02", "Klojen"),
    ]
    rule = await call(
        app_client,
        tenant,
        "mutation { setDeploymentRule(vulnerability: SANGAT_RAWAN, maxTpsPerGroup: 1,"
        " officersPerGroup: 4, linmasPerTps: 2) { rules { vulnerability officersPerGroup }"
        " errors { field } } }",
        operator,
    )
    assert {"vulnerability": "SANGAT_RAWAN", "officersPerGroup": 4} in rule["rules"]
    bad = await call(
        app_client,
        tenant,
        "mutation { setDeploymentRule(vulnerability: AMAN, maxTpsPerGroup: 0,"
        " officersPerGroup: 50, linmasPerTps: 2) { rules { vulnerability } errors { code field } } }",
        operator,
    )
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [
        ("INVALID_INPUT", "maxTpsPerGroup"),
        ("INVALID_INPUT", "officersPerGroup"),
    ]
    aman = await owner.fetchval(
        "SELECT count(*) FROM election_deployment_rules WHERE tenant_id = $1"
        " AND vulnerability = 'AMAN'",
        tenant.id,
    )
    assert aman == 0
    officer_id, _ = await make_user(Role.OFFICER, tenant)
    citizen_id, _ = await make_user(Role.CITIZEN, tenant)
    assign = """mutation($c: String!, $o: ID!) { assignStationOfficer(code: $c, officerId: $o) {
      station { code officerIds } errors { code field } } }"""
    done = await call(app_client, tenant, assign, operator, c="3573011002001", o=str(officer_id))
    assert done["station"]["officerIds"] == [str(officer_id)]
    not_officer = await call(
        app_client, tenant, assign, operator, c="3573011002001", o=str(citizen_id)
    )
    unknown_tps = await call(
        app_client, tenant, assign, operator, c="3573019999001", o=str(officer_id)
    )
    assert not_officer["errors"] == [{"code": "NOT_FOUND", "field": "officerId"}]
    assert unknown_tps["errors"] == [{"code": "NOT_FOUND", "field": "code"}]
    named = await owner.fetch(
        "SELECT user_id FROM polling_station_officers WHERE tenant_id = $1", tenant.id
    )
    assert [r["user_id"] for r in named] == [officer_id]
    plan = await call(app_client, tenant, PLAN, operator)
    assert plan["total"]["officers"] == 10 and plan["total"]["assignedOfficers"] == 1
    assert plan["total"]["officersShort"] == 9


async def test_incidents_on_the_board_and_live(app_client, live_server, settings, election):
    tenant, operator = election
    await upload_stations(app_client, tenant, operator, csv_bytes(*GOOD))
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    categories = await call(app_client, tenant, "{ categories { code } }")
    assert {"ELECTION_VOTE_BUYING", "ELECTION_HOAX", "ELECTION_NEUTRALITY"} <= {
        c["code"] for c in categories
    }
    async with websockets.connect(
        f"ws://{live_server}/t/{tenant.slug}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": operator}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": "subscription { electionBoard { code state openIncidents } }"
                    },
                }
            )
        )
        await wait_for_listeners(1, tenant.id)
        done = await call(
            app_client,
            tenant,
            SUBMIT,
            citizen,
            input=report_input(
                categoryCode="ELECTION_VOTE_BUYING",
                title="Pembagian amplop di TPS 1",
                description="Ada orang membagikan amplop kepada pemilih di dekat TPS.",
                pollingStationCode="3573011001001",
            ),
        )
        assert done["errors"] == []
        message = json.loads(await asyncio.wait_for(ws.recv(), 5.0))
    assert message["payload"]["data"]["electionBoard"] == {
        "code": "3573011001001",
        "state": "INCIDENT",
        "openIncidents": 1,
    }
    urgent = await call(
        app_client,
        tenant,
        SUBMIT,
        citizen,
        input=report_input(
            categoryCode="ELECTION_UNREST",
            title="Kericuhan di TPS",
            description="Massa berkumpul dan terjadi keributan di TPS.",
            urgent=True,
            pollingStationCode="3573011002001",
        ),
    )
    assert urgent["errors"] == []
    board = {s["code"]: s for s in await call(app_client, tenant, BOARD, operator)}
    assert board["3573011001001"]["state"] == "INCIDENT"
    assert board["3573011002001"]["state"] == "ESCALATED"
    assert board["3573021001001"]["state"] == "NORMAL"
    unknown = await call(
        app_client,
        tenant,
        SUBMIT,
        citizen,
        input=report_input(pollingStationCode="3573011009001"),
    )
    malformed = await call(
        app_client, tenant, SUBMIT, citizen, input=report_input(pollingStationCode="TPS-1")
    )
    for refused in (unknown, malformed):
        assert refused["report"] is None
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("INVALID_INPUT", "pollingStationCode")
        ], refused
    _, denied = await gql(app_client, f"/t/{tenant.slug}/graphql", BOARD, citizen)
    assert denied["data"] == {"electionBoard": None}
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_two_tenants_keep_their_stations_apart(app_client, settings, election, owner):
    tenant, operator = election
    other = await onboard(modules=["election"], polda="JATENG", region="33.74")
    other_operator = await auth_header(settings, Role.OPERATOR, other)
    await upload_stations(app_client, tenant, operator, csv_bytes(*GOOD))
    assert (await call(app_client, other, STATIONS, other_operator))["edges"] == []
    assert (
        await call(
            app_client,
            other,
            'query { pollingStation(code: "3573011001001") { code } }',
            other_operator,
        )
        is None
    )
    assert await call(app_client, other, BOARD, other_operator) == []
    theirs = await call(
        app_client,
        other,
        SUBMIT,
        other_operator,
        input=report_input(latitude=-6.99, longitude=110.42, pollingStationCode="3573011001001"),
    )
    assert theirs["report"] is None
    assert [(e["code"], e["field"]) for e in theirs["errors"]] == [
        ("INVALID_INPUT", "pollingStationCode")
    ]
    # Malang's rows are outside Semarang's region: B cannot import them either.
    refused = await upload_stations(app_client, other, other_operator, csv_bytes(GOOD[0]))
    assert refused["rowErrors"][0]["field"] == "village_code" and refused["kept"] is False
    for table in ("reports", "polling_stations"):
        rows = await owner.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", other.id)
        assert rows == 0, table
    officer_id, _ = await make_user(Role.OFFICER, other)
    assign = await call(
        app_client,
        other,
        'mutation($o: ID!) { assignStationOfficer(code: "3573011001001", officerId: $o) { errors { code } } }',
        other_operator,
        o=str(officer_id),
    )
    assert assign["errors"][0]["code"] == "NOT_FOUND"


async def test_module_off_hides_the_types_and_refuses_a_tps_code(app_client, settings):
    tenant = await onboard(modules=["integrations", "bulletins"])
    names = {
        t["name"]
        for t in (await call(app_client, tenant, "{ __schema { types { name } } }"))["types"]
    }
    assert not {"PollingStation", "DeploymentPlan", "BoardStation", "Vulnerability"} & names
    subscription = await call(
        app_client, tenant, '{ __type(name: "Subscription") { fields { name } } }'
    )
    assert [f["name"] for f in subscription["fields"]] == ["reportEvents"]
    categories = {c["code"] for c in await call(app_client, tenant, "{ categories { code } }")}
    assert not any(c.startswith("ELECTION_") for c in categories)
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    done = await call(
        app_client, tenant, SUBMIT, citizen, input=report_input(pollingStationCode="3573011001001")
    )
    assert done["report"] is None
    assert [(e["code"], e["field"]) for e in done["errors"]] == [
        ("INVALID_INPUT", "pollingStationCode")
    ]


async def test_national_election_summary_by_polda_tenant_and_vulnerability(
    app_client, settings, election
):
    tenant, operator = election
    other = await onboard(modules=["election"], polda="JATENG", region="33.74")
    await upload_stations(app_client, tenant, operator, csv_bytes(*GOOD))
    semarang = csv_bytes("3374011001001,33.74.01.1001,SD Semarang,,,300,RAWAN,")
    other_operator = await auth_header(settings, Role.OPERATOR, other)
    assert (await upload_stations(app_client, other, other_operator, semarang))["created"] == 1
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    for code, category in (
        ("3573011001002", "ELECTION_INTIMIDATION"),
        ("3573011001002", "ELECTION_HOAX"),
        ("3573011002001", "ELECTION_UNREST"),
    ):
        done = await call(
            app_client,
            tenant,
            SUBMIT,
            citizen,
            input=report_input(
                categoryCode=category,
                title="Insiden pemilu di TPS",
                description="Uraian insiden pemilu di sekitar TPS.",
                pollingStationCode=code,
            ),
        )
        assert done["errors"] == []
    await do_rebuild_tenant(tenant)
    await do_rebuild_tenant(other)
    query = """query($f: NationalFilter) { electionSummary(filter: $f) {
      total { stations voters incidents byVulnerability { vulnerability stations incidents } }
      byPolda { key stations incidents } byTenant { key stations incidents openIncidents } } }"""
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    mine = {"tenantSlug": None}
    _, body = await gql(app_client, "/national/graphql", query, national, f=None)
    summary = body["data"]["electionSummary"]
    by_tenant = {t["key"]: t for t in summary["byTenant"]}
    assert by_tenant[tenant.slug] == {
        "key": tenant.slug,
        "stations": 4,
        "incidents": 3,
        "openIncidents": 3,
    }
    assert by_tenant[other.slug]["stations"] == 1 and by_tenant[other.slug]["incidents"] == 0
    for_tenant = {"tenantSlug": tenant.slug}
    _, body = await gql(app_client, "/national/graphql", query, national, f=for_tenant)
    vulnerability = {
        v["vulnerability"]: v for v in body["data"]["electionSummary"]["total"]["byVulnerability"]
    }
    assert vulnerability["RAWAN"] == {"vulnerability": "RAWAN", "stations": 1, "incidents": 2}
    assert (
        vulnerability["SANGAT_RAWAN"]["incidents"] == 1 and vulnerability["AMAN"]["incidents"] == 0
    )
    polda = await auth_header(settings, Role.POLDA_SUPERVISOR, polda="JATENG")
    _, body = await gql(app_client, "/national/graphql", query, polda, f=mine)
    keys = {p["key"] for p in body["data"]["electionSummary"]["byPolda"]}
    tenants = {t["key"] for t in body["data"]["electionSummary"]["byTenant"]}
    assert keys == {"JATENG"} and tenant.slug not in tenants and other.slug in tenants


async def test_cli_import(database, election, tmp_path, owner):
    tenant, _ = election
    faulty = tmp_path / "tps.csv"
    faulty.write_bytes(
        csv_bytes(GOOD[0], "3573011001009,35.73.01.1001,Pemilih nol,,,0,AMAN,", GOOD[1])
    )
    result = await asyncio.to_thread(
        run_jogo, ["election", "import-tps", "--tenant", tenant.slug, str(faulty)], database
    )
    assert result.returncode == 1
    assert "line 3: voters must be 1-1000 per TPS" in one_line_error(result)
    report = json.loads(result.stdout)
    assert report["kept"] is False and report["errors"][0]["line"] == 3
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM polling_stations WHERE tenant_id = $1", tenant.id
        )
        == 0
    )
    partial = await asyncio.to_thread(
        run_jogo,
        ["election", "import-tps", "--tenant", tenant.slug, "--partial", str(faulty)],
        database,
    )
    assert partial.returncode == 0, partial.stderr
    assert json.loads(partial.stdout)["created"] == 2
    missing = await asyncio.to_thread(
        run_jogo,
        ["election", "import-tps", "--tenant", tenant.slug, str(tmp_path / "nope.csv")],
        database,
    )
    assert missing.returncode == 1 and "cannot read" in one_line_error(missing)
    off = await onboard(modules=["bulletins"])
    refused = await asyncio.to_thread(
        run_jogo, ["election", "import-tps", "--tenant", off.slug, str(faulty)], database
    )
    assert refused.returncode == 1 and "election module is off" in one_line_error(refused)


async def test_who_may_read_and_plan_and_odd_digits(app_client, settings, election, owner):
    tenant, operator = election
    await upload_stations(app_client, tenant, operator, csv_bytes(*GOOD))
    liaison = await auth_header(settings, Role.AGENCY_LIAISON, tenant)
    _, denied = await gql(app_client, f"/t/{tenant.slug}/graphql", STATIONS, liaison)
    assert denied["data"] == {"pollingStations": None}  # ratings are for the police only
    officer = await auth_header(settings, Role.OFFICER, tenant)
    assert len((await call(app_client, tenant, STATIONS, officer))["edges"]) == 4
    from jogo.platform.auth.apikeys import create_api_key

    key = await create_api_key(tenant, "KPU sync", ["election:write"], "pytest")
    kpu = {"Authorization": f"Bearer {key.key}"}
    synced = await upload_stations(app_client, tenant, kpu, csv_bytes(GOOD[0]))
    assert synced["updated"] == 1  # the KPU's system keeps the list
    rule = await call(
        app_client,
        tenant,
        "mutation { setDeploymentRule(vulnerability: AMAN, maxTpsPerGroup: 8,"
        " officersPerGroup: 1, linmasPerTps: 2) { errors { code } } }",
        kpu,
    )
    assert rule["errors"][0]["code"] == "FORBIDDEN"  # but not the police deployment
    arabic = csv_bytes("3573011001\u0661\u0662\u0663,35.73.01.1001,Kode aneh,,,200,AMAN,")
    odd = await upload_stations(app_client, tenant, operator, arabic)
    assert odd["rowErrors"][0]["field"] == "code" and odd["kept"] is False


async def test_parallel_imports_of_one_tenant_both_succeed(app_client, election):
    tenant, operator = election
    results = await asyncio.gather(
        upload_stations(app_client, tenant, operator, csv_bytes(GOOD[0], GOOD[1])),
        upload_stations(app_client, tenant, operator, csv_bytes(GOOD[2], GOOD[3])),
    )
    assert all(r["errors"] == [] and r["kept"] for r in results)
