"""Issue 14 attacks, the kind of fault: every value of a directory or TPS import, and of
the directory's own mutations, is checked in Python (ranges, lengths, plain decimals,
kinds) and refused with a row error or INVALID_INPUT naming its field, before a
database check could fail a whole import as an unexpected error."""

from __future__ import annotations

import asyncpg
import pytest
from helpers import act, auth_header, csv_bytes, gql, onboard, run_import, upload_stations

from jogo.platform.auth.roles import Role
from jogo.platform.csvfile import decimal
from jogo.tenants.agencies.directory import constraint_field

LONG = "Jalan " + "panjang " * 40  # 326 characters
AGENCY = """mutation($input: CreateAgencyInput!) { createAgency(input: $input) {
  agency { id } errors { code field } } }"""
UPDATE_AGENCY = """mutation($id: ID!, $input: UpdateAgencyInput!) { updateAgency(agencyId: $id,
  input: $input) { agency { kind } errors { code field } } }"""
CAMERA = """mutation($input: CreateCameraInput!) { createCamera(input: $input) {
  camera { id } errors { code field } } }"""
UPDATE_CAMERA = """mutation($id: ID!, $input: UpdateCameraInput!) { updateCamera(cameraId: $id,
  input: $input) { camera { id } errors { code field } } }"""
POST = """mutation($lat: Float!, $lon: Float!, $a: String) { createPolicePost(
  name: "Polsek Klojen", kind: "POLSEK", latitude: $lat, longitude: $lon, address: $a) {
  id errors { code field } } }"""


@pytest.fixture
async def election(settings, database):
    tenant = await onboard(modules=["election", "integrations"])
    return tenant, await auth_header(settings, Role.OPERATOR, tenant)


@pytest.mark.parametrize(
    "text,value",
    [("-7.87", -7.87), ("-7,87", -7.87), ("+112", 112.0), (" 6.5 ", 6.5), ("", None)],
)
def test_plain_decimals_are_read(text, value):
    assert decimal(text) == value


@pytest.mark.parametrize(
    "text", ["-7_9", "1e308", "1E2", "nan", "inf", "-", ".5", "1.000,5", "٣", "0x10", "7.", "1 2"]
)
def test_anything_but_a_plain_decimal_is_refused(text):
    with pytest.raises(ValueError):
        decimal(text)


async def test_tps_rows_out_of_range_or_too_long_are_row_errors_in_partial_mode(
    app_client, election, owner
):
    tenant, operator = election
    data = csv_bytes(
        "3573011001001,35.73.01.1001,SDN Balearjosari 1,-7.9300,112.6500,250,AMAN,",
        "3573011001002,35.73.01.1001,Balai RW 03,-91,112.6500,240,RAWAN,",  # 3: latitude
        "3573011001003,35.73.01.1001,Balai RW 04,-7.93,200,240,RAWAN,",  # 4: longitude
        "3573011001004,35.73.01.1001,Balai RW 05,-7_9,112_6,240,RAWAN,",  # 5: latitude
        f"3573011001005,35.73.01.1001,{LONG},-7.93,112.65,240,RAWAN,",  # 6: address
        "3573011001006,35.73.01.1001,Balai RW 07,-7.93,112.65,240,RAWAN," + "x" * 2001,  # 7
        "3573011001008,35.73.01.1001,Balai RW 09,-7.93,112.65,2_4,RAWAN,",  # 8: voters
        '3573011001007,35.73.01.1001,Balai RW 08,"-7,9310","112,6510",240,AMAN,',
    )
    result = await upload_stations(app_client, tenant, operator, data, partial=True)
    assert result["errors"] == [] and result["kept"], result
    assert [(e["line"], e["field"]) for e in result["rowErrors"]] == [
        (3, "latitude"),
        (4, "longitude"),
        (5, "latitude"),
        (6, "address"),
        (7, "notes"),
        (8, "voters"),
    ]
    assert result["created"] == 2 and result["rejected"] == 6
    rows = await owner.fetch(
        "SELECT code, latitude FROM polling_stations WHERE tenant_id = $1 ORDER BY code",
        tenant.id,
    )
    assert [(r["code"], r["latitude"]) for r in rows] == [
        ("3573011001001", -7.93),
        ("3573011001007", -7.931),
    ]


async def test_directory_import_rows_are_checked_field_by_field(
    app_client, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    agencies = (
        "kode;nama;alamat;lat;lon\n"
        "DINAS-KOMA;Dinas Koma Desimal;Jl. Ijen 1;-7,97;112,63\n"
        f"DINAS-PANJANG;Dinas Alamat Panjang;{LONG};;\n"  # 3: address
        "DINAS-TIMUR;Dinas Terlalu Timur;;-7.97;141.6\n"  # 4: longitude
        "DINAS-SEPARUH;Dinas Separuh Lokasi;;-7.97;\n"  # 5: latitude
    )
    done = await run_import(app_client, a, admin, "AGENCIES", agencies, partial=True)
    assert [(e["line"], e["field"]) for e in done["rowErrors"]] == [
        (3, "address"),
        (4, "longitude"),
        (5, "latitude"),
    ], done
    assert done["created"] == 1
    stored = await owner.fetchrow(
        "SELECT latitude, longitude FROM agencies WHERE tenant_id = $1 AND code = 'DINAS-KOMA'",
        a.id,
    )
    assert (stored["latitude"], stored["longitude"]) == (-7.97, 112.63)

    cameras = (
        "code,name,latitude,longitude,stream_url,snapshot_url\n"
        "CAM-OK,Simpang Tugu,-7.977,112.634,rtsp://10.0.0.5/tugu,\n"
        "CAM-UTARA,Kutub Utara,90,112.634,rtsp://10.0.0.5/a,\n"  # 3: latitude
        f"CAM-URL,Simpang Panjang,-7.977,112.634,rtsp://10.0.0.5/{'a' * 2000},\n"  # 4
        "CAM-EXP,Simpang Eksponen,-7.977,1.12634e2,rtsp://10.0.0.5/b,\n"  # 5: longitude
    )
    done = await run_import(app_client, a, admin, "CAMERAS", cameras, partial=True)
    assert [(e["line"], e["field"]) for e in done["rowErrors"]] == [
        (3, "latitude"),
        (4, "stream_url"),
        (5, "longitude"),
    ], done
    assert done["created"] == 1


async def test_a_hospitals_import_cannot_turn_a_dinas_into_a_hospital(
    app_client, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    await run_import(app_client, a, admin, "AGENCIES", "code,name\nDINAS-X,Dinas Percobaan\n")
    hospitals = (
        "code,name,latitude,longitude\n"
        "RS-BARU,RS Baru Batu,-7.87,112.52\n"
        "DINAS-X,RS Palsu,-7.87,112.52\n"
    )
    done = await run_import(app_client, a, admin, "HOSPITALS", hospitals, partial=True)
    assert [(e["line"], e["field"]) for e in done["rowErrors"]] == [(3, "code")], done
    assert "agencies import" in done["rowErrors"][0]["message"]
    assert done["created"] == 1 and done["updated"] == 0
    kinds = await owner.fetch(
        "SELECT code, kind, name FROM agencies WHERE tenant_id = $1"
        " AND code IN ('DINAS-X', 'RS-BARU') ORDER BY code",
        a.id,
    )
    assert [tuple(r) for r in kinds] == [
        ("DINAS-X", "dinas", "Dinas Percobaan"),
        ("RS-BARU", "hospital", "RS Baru Batu"),
    ]


async def test_directory_mutations_name_the_faulty_field(app_client, settings, two_tenants):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    _, body = await gql(app_client, f"/t/{a.slug}/graphql", "{ hospitals { id } }", admin)
    hospital = body["data"]["hospitals"][0]["id"]
    base = {"code": "DINAS-Y", "name": "Dinas Percobaan", "kind": "dinas"}
    for extra, field in (
        ({"latitude": -91.0, "longitude": 112.6}, "latitude"),
        ({"latitude": -7.9, "longitude": 200.0}, "longitude"),
        ({"address": LONG}, "address"),
        (
            {
                "kind": "hospital",
                "latitude": -7.9,
                "longitude": 112.6,
                "capacityUrl": "http://example.com/" + "c" * 2000,
                "capacityFormat": "json",
            },
            "capacityUrl",
        ),
    ):
        made = await act(app_client, a.slug, AGENCY, admin, input=base | extra)
        assert made["errors"] == [{"code": "INVALID_INPUT", "field": field}], (extra, made)
    made = await act(app_client, a.slug, AGENCY, admin, input=base)
    dinas = made["agency"]["id"]
    # Hospitals and agencies do not change into each other (README, the command's directory).
    for entry, kind in ((dinas, "hospital"), (hospital, "dinas")):
        changed = await act(
            app_client, a.slug, UPDATE_AGENCY, admin, id=entry, input={"kind": kind}
        )
        assert changed["errors"] == [{"code": "INVALID_INPUT", "field": "kind"}], changed
    changed = await act(
        app_client, a.slug, UPDATE_AGENCY, admin, id=dinas, input={"kind": "utility"}
    )
    assert changed["errors"] == [] and changed["agency"]["kind"] == "utility"
    changed = await act(
        app_client, a.slug, UPDATE_AGENCY, admin, id=hospital, input={"latitude": 7.0}
    )
    assert changed["errors"] == [{"code": "INVALID_INPUT", "field": "latitude"}], changed

    camera = {"name": "Simpang Tugu", "streamUrl": "rtsp://10.0.0.5/tugu"}
    made = await act(
        app_client, a.slug, CAMERA, admin, input=camera | {"latitude": -7.97, "longitude": 150.0}
    )
    assert made["errors"] == [{"code": "INVALID_INPUT", "field": "longitude"}]
    made = await act(
        app_client, a.slug, CAMERA, admin, input=camera | {"latitude": -7.97, "longitude": 112.6}
    )
    changed = await act(
        app_client,
        a.slug,
        UPDATE_CAMERA,
        admin,
        id=made["camera"]["id"],
        input={"snapshotUrl": "http://example.com/" + "s" * 2000},
    )
    assert changed["errors"] == [{"code": "INVALID_INPUT", "field": "snapshotUrl"}]
    post = await act(app_client, a.slug, POST, admin, lat=-12.0, lon=112.6)
    assert post["errors"] == [{"code": "INVALID_INPUT", "field": "latitude"}]
    post = await act(app_client, a.slug, POST, admin, lat=-7.97, lon=112.6, a=LONG)
    assert post["errors"] == [{"code": "INVALID_INPUT", "field": "address"}]


async def test_a_column_check_names_its_field(owner, two_tenants):
    """The last line of defence: a database check that still fails names its column."""
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await owner.execute(
            "INSERT INTO cameras (tenant_id, name, latitude, longitude, stream_url)"
            " VALUES ($1, 'Simpang', -7.9, 112.6, 'ftp://x/y')",
            two_tenants.a.id,
        )
    assert constraint_field(caught.value, "cameras") == "streamUrl"
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await owner.execute(
            "INSERT INTO agencies (tenant_id, code, name, kind, latitude) VALUES"
            " ($1, 'X-LAT', 'Dinas', 'dinas', 50)",
            two_tenants.a.id,
        )
    assert constraint_field(caught.value, "agencies") == "latitude"
