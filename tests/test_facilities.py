"""Hospitals' capacity (FHIR R4 and simple JSON) and CCTV health, pulled by scheduled
jobs through the outbox, RabbitMQ and the worker; cameras near a report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from helpers import auth_header, gql, onboard, run_job, submit

from jogo.platform.app.scheduler import enqueue_for_all_tenants
from jogo.platform.auth.roles import Role
from jogo.tenants.facilities.capacity import CapacityUnreadable, parse_fhir, parse_json

NOW = datetime.now(UTC).replace(microsecond=0)


def bed(ident: str, status: str, part_of: str | None = "Location/er") -> dict:
    resource = {
        "resourceType": "Location",
        "id": ident,
        "physicalType": {"coding": [{"code": "bd"}]},
        "operationalStatus": {"code": status},
        "meta": {"lastUpdated": NOW.isoformat()},
    }
    if part_of:
        resource["partOf"] = {"reference": part_of}
    return {"resource": resource}


FHIR_BEDS = {
    "resourceType": "Bundle",
    "type": "searchset",
    "entry": [
        {
            "resource": {
                "resourceType": "Location",
                "id": "er",
                "type": [{"coding": [{"code": "ER"}]}],
            }
        },
        bed("b1", "U"),
        bed("b2", "O"),
        bed("b3", "U"),
        bed("b4", "K"),
        bed("ward-1", "U", part_of="Location/ward"),  # not an emergency bed
    ],
}
FHIR_SERVICE = {
    "resourceType": "HealthcareService",
    "id": "igd",
    "meta": {"lastUpdated": NOW.isoformat()},
    "extension": [
        {"url": "https://example.id/fhir/available-beds", "valueInteger": 2},
        {"url": "https://example.id/fhir/total-beds", "valueInteger": 10},
    ],
}


def test_fhir_and_json_capacity():
    beds = parse_fhir(FHIR_BEDS)
    assert (beds.available, beds.total, beds.observed_at) == (2, 4, NOW)
    service = parse_fhir(FHIR_SERVICE)
    assert (service.available, service.total) == (2, 10)
    simple = parse_json(
        {"er_beds_available": 3, "er_beds_total": 12, "observed_at": NOW.isoformat()}
    )
    assert (simple.available, simple.total, simple.observed_at) == (3, 12, NOW)
    for bad in (
        {"resourceType": "Patient"},
        {"er_beds_available": -1},
        {"er_beds_available": 5, "er_beds_total": 2},
        [],
        {"er_beds_available": "many"},
    ):
        with pytest.raises(CapacityUnreadable):
            (parse_fhir if isinstance(bad, dict) and "resourceType" in bad else parse_json)(bad)


CREATE_AGENCY = """mutation($i: CreateAgencyInput!) { createAgency(input: $i) { agency { id }
  errors { field message } } }"""
CREATE_CAMERA = """mutation($i: CreateCameraInput!) { createCamera(input: $i) { camera { id status }
  errors { field message } } }"""


async def test_hospital_capacity_job(app_client, settings, owner, sink, worker, relay):
    tenant = await onboard("minimal", modules=["facilities", "integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    old = (NOW - timedelta(hours=2)).isoformat()
    sink.pages.update(
        {
            "/fhir/Location": (200, "application/fhir+json", json.dumps(FHIR_BEDS).encode()),
            "/igd.json": (
                200,
                "application/json",
                json.dumps(
                    {"er_beds_available": 1, "er_beds_total": 6, "observed_at": old}
                ).encode(),
            ),
            "/broken": (500, "text/plain", b"down"),
        }
    )
    for code, path, kind in (
        ("RS-A", "/fhir/Location", "fhir"),
        ("RS-B", "/igd.json", "json"),
        ("RS-C", "/broken", "json"),
    ):
        _, body = await gql(
            app_client,
            f"/t/{tenant.slug}/graphql",
            CREATE_AGENCY,
            admin,
            i={
                "code": code,
                "name": f"Rumah Sakit {code}",
                "kind": "hospital",
                "capacityUrl": sink.url + path,
                "capacityFormat": kind,
            },
        )
        assert body["data"]["createAgency"]["errors"] == [], body
    await run_job("poll_hospital_capacity", owner, tenant)
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        "{ hospitals { code erBedsAvailable erBedsTotal stale observedAt checkedAt } }",
    )
    got = {h["code"]: h for h in body["data"]["hospitals"]}
    assert (got["RS-A"]["erBedsAvailable"], got["RS-A"]["erBedsTotal"], got["RS-A"]["stale"]) == (
        2,
        4,
        False,
    )
    assert (got["RS-B"]["erBedsAvailable"], got["RS-B"]["stale"]) == (1, True)  # seen two hours ago
    assert got["RS-C"]["erBedsAvailable"] is None and got["RS-C"]["stale"] is True
    assert got["RS-C"]["checkedAt"] is not None
    # The feed breaks later: the last numbers stay, and are marked stale once old.
    sink.pages["/fhir/Location"] = (503, "text/plain", b"maintenance")
    await owner.execute(
        "UPDATE hospital_capacity SET observed_at = now() - interval '1 hour' WHERE tenant_id = $1",
        tenant.id,
    )
    await run_job("poll_hospital_capacity", owner, tenant)
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", "{ hospitals { code erBedsAvailable stale } }"
    )
    got = {h["code"]: h for h in body["data"]["hospitals"]}
    assert got["RS-A"] == {"code": "RS-A", "erBedsAvailable": 2, "stale": True}


async def test_camera_checks_and_cameras_near_a_report(
    app_client, settings, owner, sink, worker, relay
):
    tenant = await onboard("minimal", modules=["facilities"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    sink.pages["/cam/ok.jpg"] = (200, "image/jpeg", b"\xff\xd8\xff fake jpeg")
    sink.pages["/cam/html"] = (200, "text/html", b"<html>login</html>")
    lat, lon = -7.9770, 112.6340  # Alun-alun Tugu
    cameras = {
        "Tugu 100 m": (lat + 0.0009, lon, "/cam/ok.jpg"),
        "Tugu 300 m": (lat, lon + 0.0027, "/cam/ok.jpg"),
        "Kayutangan 900 m": (lat - 0.0081, lon, "/cam/ok.jpg"),
        "Tugu dead": (lat + 0.0005, lon, "/cam/missing.jpg"),
        "Tugu login page": (lat + 0.0004, lon, "/cam/html"),
    }
    for name, (c_lat, c_lon, path) in cameras.items():
        _, body = await gql(
            app_client,
            f"/t/{tenant.slug}/graphql",
            CREATE_CAMERA,
            admin,
            i={
                "name": name,
                "latitude": c_lat,
                "longitude": c_lon,
                "streamUrl": "https://cctv.malangkota.example/live/cam.m3u8",
                "snapshotUrl": sink.url + path,
            },
        )
        assert body["data"]["createCamera"]["camera"]["status"] == "UNKNOWN", body
    await run_job("check_cameras", owner, tenant)
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", "{ cameras { name status lastSeenAt } }", admin
    )
    status = {c["name"]: c["status"] for c in body["data"]["cameras"]}
    assert status == {
        "Tugu 100 m": "ONLINE",
        "Tugu 300 m": "ONLINE",
        "Kayutangan 900 m": "ONLINE",
        "Tugu dead": "OFFLINE",
        "Tugu login page": "OFFLINE",
    }
    report = (await submit(app_client, tenant.slug, admin, latitude=lat, longitude=lon))["report"][
        "id"
    ]
    query = "query($id: ID!) { report(id: $id) { nearbyCameras { name distanceM } } }"
    _, near = await gql(app_client, f"/t/{tenant.slug}/graphql", query, admin, id=report)
    found = near["data"]["report"]["nearbyCameras"]
    assert [c["name"] for c in found] == ["Tugu 100 m", "Tugu 300 m"]
    assert 90 < found[0]["distanceM"] < 110 and 280 < found[1]["distanceM"] < 320
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    own = (await submit(app_client, tenant.slug, citizen, latitude=lat, longitude=lon))["report"][
        "id"
    ]
    _, denied = await gql(app_client, f"/t/{tenant.slug}/graphql", query, citizen, id=own)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "x"}, "name"),
        ({"latitude": 30.0}, "latitude"),
        ({"streamUrl": "https://cctv.example/page.html"}, "streamUrl"),
        ({"streamUrl": "ftp://cctv.example/a.m3u8"}, "streamUrl"),
        ({"snapshotUrl": "file:///etc/passwd"}, "snapshotUrl"),
        ({"operatorAgencyId": "00000000-0000-0000-0000-000000000000"}, "operatorAgencyId"),
    ],
)
async def test_create_camera_bad_input(app_client, settings, two_tenants, data, field):
    admin = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    base = {
        "name": "Kamera Tugu",
        "latitude": -7.97,
        "longitude": 112.63,
        "streamUrl": "rtsp://cctv.example/tugu",
    }
    _, body = await gql(
        app_client, f"/t/{two_tenants.a.slug}/graphql", CREATE_CAMERA, admin, i=base | data
    )
    assert field in [e["field"] for e in body["data"]["createCamera"]["errors"]], body


async def test_cameras_and_hospitals_stay_in_their_tenant(app_client, settings, two_tenants):
    a_admin = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    _, rs = await gql(
        app_client,
        f"/t/{two_tenants.a.slug}/graphql",
        CREATE_AGENCY,
        a_admin,
        i={"code": "RS-HANYA-A", "name": "Rumah Sakit khusus A", "kind": "hospital"},
    )
    assert rs["data"]["createAgency"]["errors"] == []
    _, made = await gql(
        app_client,
        f"/t/{two_tenants.a.slug}/graphql",
        CREATE_CAMERA,
        a_admin,
        i={
            "name": "Kamera rahasia A",
            "latitude": -7.97,
            "longitude": 112.63,
            "streamUrl": "rtsp://a.example/1",
        },
    )
    assert made["data"]["createCamera"]["errors"] == []
    b_admin = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.b)
    _, b = await gql(
        app_client,
        f"/t/{two_tenants.b.slug}/graphql",
        "{ cameras { name } hospitals { code } }",
        b_admin,
    )
    assert "Kamera rahasia A" not in json.dumps(b)
    assert "RS-HANYA-A" not in {h["code"] for h in b["data"]["hospitals"]}
    _, a = await gql(
        app_client, f"/t/{two_tenants.a.slug}/graphql", "{ hospitals { code } }", a_admin
    )
    assert "RS-HANYA-A" in {h["code"] for h in a["data"]["hospitals"]}


async def test_scheduler_enqueues_one_job_per_active_tenant(owner, database):
    active = await onboard("minimal")
    suspended = await onboard("minimal")
    await owner.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", suspended.id)
    await enqueue_for_all_tenants("sweep_report_slas")
    rows = await owner.fetch(
        "SELECT tenant FROM outbox WHERE actor = 'sweep_report_slas' AND tenant = ANY($1::uuid[])",
        [active.id, suspended.id],
    )
    assert [r["tenant"] for r in rows] == [active.id]


def test_malformed_fhir_is_unreadable_not_a_crash():
    from jogo.tenants.facilities.capacity import parse

    for bad in (
        {
            "resourceType": "Bundle",
            "meta": "x",
            "entry": [
                {
                    "resource": {
                        "resourceType": "Location",
                        "physicalType": {"coding": [{"code": "bd"}]},
                        "operationalStatus": "U",
                    }
                }
            ],
        },
        {"resourceType": "Location", "extension": "nope"},
        {"resourceType": "Bundle", "entry": "nope"},
    ):
        with pytest.raises(CapacityUnreadable):
            parse("fhir", bad)
