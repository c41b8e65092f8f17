"""Issue 14 part 2: the directory is the command's own.

Templates seed no agencies (the Kota Malang sample belongs to the demo tenant only), the
panic button never names another city's or a far hospital, every directory entry can be
changed and deactivated with its history kept and audited, and migration 0019 takes the
sample directory away from commands outside Kota Malang.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import (
    CREATE_POLICE_POST,
    DISPATCH,
    UPDATE_CAMERA,
    UPDATE_POST,
    VERIFY,
    act,
    auth_header,
    gql,
    onboard,
    submit,
)

from jogo.platform import db
from jogo.platform.auth.roles import Role
from jogo.platform.errors import InvalidInput
from jogo.tenants.agencies.actions import do_seed_agencies
from jogo.tenants.onboarding import malang

SOS = """mutation($lat: Float!, $lon: Float!) { raiseSos(latitude: $lat, longitude: $lon) {
  report { id } nearestPolicePost { name } nearestHospital { name distanceM } advice
  errors { code } } }"""
AGENCIES = """query($all: Boolean!) { agencies(includeInactive: $all) { id code name
  isActive isSample role deactivatedAt } }"""
UPDATE_AGENCY = """mutation($id: ID!, $input: UpdateAgencyInput!) { updateAgency(agencyId: $id,
  input: $input) { agency { id name phone isSample role connector } errors { code field } } }"""
DEACTIVATE = """mutation($id: ID!) { deactivateAgency(agencyId: $id) { agency { isActive
  deactivatedAt } errors { code field } } }"""
REACTIVATE = """mutation($id: ID!) { reactivateAgency(agencyId: $id) { agency { isActive }
  errors { code field } } }"""
DISPATCHES = "query($r: ID!) { dispatches(reportId: $r) { agencyName status } }"
MIGRATION = Path(__file__).resolve().parents[1] / "platform/migrations/0019_directory_lifecycle.sql"
BATU = (-7.8671, 112.5239)  # Alun-alun Batu
TUGU = (-7.9770, 112.6340)  # Kota Malang


async def agency_ids(client, tenant, admin) -> dict[str, str]:
    _, body = await gql(client, f"/t/{tenant.slug}/graphql", AGENCIES, admin, all=True)
    return {a["code"]: a["id"] for a in body["data"]["agencies"]}


async def test_a_command_in_batu_gets_no_malang_directory(app_client, settings, owner):
    batu = await onboard("jogo-malang-presisi", region="35.79", sample_directory=False)
    assert await owner.fetchval("SELECT count(*) FROM agencies WHERE tenant_id = $1", batu.id) == 0
    roles = dict(
        await owner.fetch(
            "SELECT code, agency_role FROM report_categories WHERE tenant_id = $1", batu.id
        )
    )
    assert roles["FIRE"] == "fire" and roles["TRAFFIC_ACCIDENT"] == "transport"
    assert roles["CRIME"] is None  # the police handle it themselves
    # The sample directory cannot be put into a command outside Kota Malang.
    with pytest.raises(InvalidInput) as refused:
        await malang.do_import_sample_directory(batu.id, batu.region_code, actor=("t", "system"))
    assert refused.value.field == "regionCode"
    # The panic button in Batu names no hospital and gives the national numbers.
    citizen = await auth_header(settings, Role.CITIZEN, batu)
    _, body = await gql(
        app_client, f"/t/{batu.slug}/graphql", SOS, citizen, lat=BATU[0], lon=BATU[1]
    )
    sos = body["data"]["raiseSos"]
    assert sos["errors"] == [] and sos["nearestHospital"] is None
    assert all(n in sos["advice"] for n in ("112", "110", "119"))
    assert "rumah sakit" in sos["advice"] and "hospital" in sos["advice"]


async def test_the_demo_seed_imports_the_sample_directory_once(owner):
    tenant = await onboard("jogo-malang-presisi", sample_directory=False)
    first = await malang.do_import_sample_directory(
        tenant.id, tenant.region_code, actor=("t", "system")
    )
    again = await malang.do_import_sample_directory(
        tenant.id, tenant.region_code, actor=("t", "system")
    )
    assert (first, again) == (25, 0)
    rows = await owner.fetch("SELECT is_sample, role FROM agencies WHERE tenant_id = $1", tenant.id)
    assert len(rows) == 25 and all(r["is_sample"] for r in rows)
    assert sum(r["role"] == "hospital" for r in rows) == 9


async def test_sos_names_only_a_near_active_hospital(app_client, settings, two_tenants):
    tenant = two_tenants.a  # Kota Malang, with the sample directory
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)

    async def press(lat, lon):
        citizen = await auth_header(settings, Role.CITIZEN, tenant)
        _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", SOS, citizen, lat=lat, lon=lon)
        return body["data"]["raiseSos"]

    near = await press(*TUGU)
    assert near["nearestHospital"]["distanceM"] < 25_000 and "112" not in near["advice"]
    # 40 km south of Malang: the hospitals exist but are too far to name.
    far = await press(-8.33, 112.63)
    assert far["errors"] == [] and far["nearestHospital"] is None and "112" in far["advice"]
    # A deactivated hospital is never the answer again.
    ids = await agency_ids(app_client, tenant, admin)
    named = near["nearestHospital"]["name"]
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", AGENCIES, admin, all=False)
    hospital_id = next(a["id"] for a in body["data"]["agencies"] if a["name"] == named)
    assert hospital_id in ids.values()
    done = await act(app_client, tenant.slug, DEACTIVATE, admin, id=hospital_id)
    assert done["errors"] == [] and done["agency"]["isActive"] is False
    after = await press(*TUGU)
    assert after["nearestHospital"]["name"] != named


async def test_update_agency_checks_audits_and_confirms(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    damkar = (await agency_ids(app_client, a, admin))["DAMKAR"]
    path = f"/t/{a.slug}/graphql"
    done = await act(
        app_client,
        a.slug,
        UPDATE_AGENCY,
        admin,
        id=damkar,
        input={"name": "Damkar Kota Malang", "phone": "0341 364 113"},
    )
    assert done["errors"] == [], done
    agency = done["agency"]
    assert agency["name"] == "Damkar Kota Malang" and agency["phone"] == "+62341364113"
    assert agency["isSample"] is False and agency["role"] == "fire"  # confirmed by the edit
    audit = await owner.fetchrow(
        "SELECT detail, target FROM audit_log WHERE action = 'agency.update' AND tenant = $1",
        a.id,
    )
    assert audit["target"] == "agency:DAMKAR"
    detail = json.loads(audit["detail"])
    assert detail["after"]["name"] == "Damkar Kota Malang"
    assert detail["before"]["name"] == "Dinas Pemadam Kebakaran dan Penyelamatan"
    assert "address" not in detail["after"]  # only what changed
    # The same contact checks as create; nothing is written on a fault.
    bad = await act(app_client, a.slug, UPDATE_AGENCY, admin, id=damkar, input={"phone": "12"})
    assert bad["errors"][0] == {"code": "INVALID_INPUT", "field": "phone"}
    # The same egress rule: an address the platform may not call.
    hook = await act(
        app_client,
        a.slug,
        UPDATE_AGENCY,
        admin,
        id=damkar,
        input={
            "connector": "webhook",
            "endpointUrl": "http://169.254.169.254/latest",
            "secret": "s" * 20,
        },
    )
    assert hook["errors"] == [{"code": "INVALID_INPUT", "field": "endpointUrl"}]
    # A webhook needs its secret; once stored, later edits need not send it again.
    ok = await act(
        app_client,
        a.slug,
        UPDATE_AGENCY,
        admin,
        id=damkar,
        input={"connector": "webhook", "endpointUrl": "http://127.0.0.1:9/hook"},
    )
    assert ok["errors"] == [{"code": "INVALID_INPUT", "field": "secret"}]
    ok = await act(
        app_client,
        a.slug,
        UPDATE_AGENCY,
        admin,
        id=damkar,
        input={
            "connector": "webhook",
            "endpointUrl": "http://127.0.0.1:9/hook",
            "secret": "s" * 20,
        },
    )
    assert ok["errors"] == [] and ok["agency"]["connector"] == "webhook"
    rename = await act(
        app_client, a.slug, UPDATE_AGENCY, admin, id=damkar, input={"name": "Damkar"}
    )
    assert rename["errors"] == []
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'agency.update' AND tenant = $1"
            " AND detail->'after'->>'secret' = '(changed)'",
            a.id,
        )
        == 1
    )
    phone = await owner.fetchval("SELECT phone FROM agencies WHERE id = $1::uuid", damkar)
    assert phone == "+62341364113"
    # Another command's admin: not found, and nothing changes.
    other = await auth_header(settings, Role.TENANT_ADMIN, b)
    for query, variables in (
        (UPDATE_AGENCY, {"id": damkar, "input": {"name": "Diambil alih"}}),
        (DEACTIVATE, {"id": damkar}),
    ):
        _, body = await gql(app_client, f"/t/{b.slug}/graphql", query, other, **variables)
        payload = next(iter(body["data"].values()))
        assert payload["errors"] == [{"code": "NOT_FOUND", "field": "agencyId"}]
    _, body = await gql(app_client, path, AGENCIES, admin, all=False)
    assert "Damkar" in {x["name"] for x in body["data"]["agencies"]}


async def test_a_deactivated_agency_keeps_its_history(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    path = f"/t/{tenant.slug}/graphql"
    dishub = (await agency_ids(app_client, tenant, admin))["DISHUB"]
    rid = (await submit(app_client, tenant.slug, operator))["report"]["id"]
    await act(app_client, tenant.slug, VERIFY, operator, id=rid)
    sent = await act(app_client, tenant.slug, DISPATCH, operator, id=rid, a=dishub)
    assert sent["errors"] == [], sent
    done = await act(app_client, tenant.slug, DEACTIVATE, admin, id=dishub)
    assert done["agency"]["isActive"] is False and done["agency"]["deactivatedAt"]
    again = await act(app_client, tenant.slug, DEACTIVATE, admin, id=dishub)
    assert again["errors"] == []  # already inactive: left as it is
    # Not offered any more: not listed by default, not even when an operator asks for all.
    for who, everything, listed in (
        (operator, True, False),
        (admin, False, False),
        (admin, True, True),
    ):
        _, body = await gql(app_client, path, AGENCIES, who, all=everything)
        assert ("DISHUB" in {a["code"] for a in body["data"]["agencies"]}) is listed
    # The report's dispatch still names it; a new dispatch to it is refused.
    _, body = await gql(app_client, path, DISPATCHES, operator, r=rid)
    assert body["data"]["dispatches"][0]["agencyName"] == "Dinas Perhubungan"
    rid2 = (await submit(app_client, tenant.slug, operator))["report"]["id"]
    await act(app_client, tenant.slug, VERIFY, operator, id=rid2)
    refused = await act(app_client, tenant.slug, DISPATCH, operator, id=rid2, a=dishub)
    assert refused["errors"] == [
        {"code": "NOT_FOUND", "field": "agencyId", "message": "agency not found"}
    ]
    assert await owner.fetchval("SELECT count(*) FROM agencies WHERE id = $1::uuid", dishub) == 1
    back = await act(app_client, tenant.slug, REACTIVATE, admin, id=dishub)
    assert back["errors"] == [] and back["agency"]["isActive"] is True
    actions = [
        r["action"]
        for r in await owner.fetch(
            "SELECT action FROM audit_log WHERE tenant = $1 AND target = 'agency:DISHUB'"
            " ORDER BY id",
            tenant.id,
        )
    ]
    assert actions == ["agency.deactivate", "agency.reactivate"]
    # Only tenant admins change the directory.
    _, body = await gql(app_client, path, DEACTIVATE, operator, id=dishub)
    assert body["data"]["deactivateAgency"]["errors"][0]["code"] == "FORBIDDEN"


CAMERA = """mutation($input: CreateCameraInput!) { createCamera(input: $input) {
  camera { id code } errors { code field } } }"""
CAMERA_ACTIVE = """mutation($id: ID!) { deactivateCamera(cameraId: $id) { camera { isActive }
  errors { code field } } }"""
CAMERAS = "query($all: Boolean!) { cameras(includeInactive: $all) { id name isActive } }"
POST_ACTIVE = """mutation($id: ID!) { deactivatePolicePost(policePostId: $id) {
  policePost { isActive } errors { code field } } }"""
POSTS = "query($all: Boolean!) { policePosts(includeInactive: $all) { name isActive } }"


async def test_cameras_and_police_posts_change_and_deactivate(
    app_client, settings, two_tenants, owner
):
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    other = await auth_header(settings, Role.TENANT_ADMIN, b)
    path = f"/t/{a.slug}/graphql"
    made = await act(
        app_client,
        a.slug,
        CAMERA,
        admin,
        input={
            "name": "Simpang Tugu",
            "latitude": TUGU[0],
            "longitude": TUGU[1],
            "streamUrl": "rtsp://10.0.0.5/tugu",
            "code": "cam-tugu",
        },
    )
    camera_id = made["camera"]["id"]
    assert made["camera"]["code"] == "CAM-TUGU"
    changed = await act(
        app_client, a.slug, UPDATE_CAMERA, admin, id=camera_id, input={"name": "Simpang Tugu Utara"}
    )
    assert (
        changed["camera"]["name"] == "Simpang Tugu Utara"
        and changed["camera"]["code"] == "CAM-TUGU"
    )
    bad = await act(
        app_client,
        a.slug,
        UPDATE_CAMERA,
        admin,
        id=camera_id,
        input={"snapshotUrl": "http://169.254.169.254/snap.jpg"},
    )
    assert bad["errors"] == [{"code": "INVALID_INPUT", "field": "snapshotUrl"}]
    _, body = await gql(app_client, f"/t/{b.slug}/graphql", CAMERA_ACTIVE, other, id=camera_id)
    assert body["data"]["deactivateCamera"]["errors"] == [
        {"code": "NOT_FOUND", "field": "cameraId"}
    ]
    off = await act(app_client, a.slug, CAMERA_ACTIVE, admin, id=camera_id)
    assert off["camera"]["isActive"] is False
    _, body = await gql(app_client, path, CAMERAS, admin, all=False)
    assert camera_id not in {c["id"] for c in body["data"]["cameras"]}
    _, body = await gql(app_client, path, CAMERAS, admin, all=True)
    assert camera_id in {c["id"] for c in body["data"]["cameras"]}

    post = await act(
        app_client, a.slug, CREATE_POLICE_POST, admin, n="Polsek Klojen", lat=TUGU[0], lon=TUGU[1]
    )
    post_id = post["id"]
    edit = await act(
        app_client,
        a.slug,
        UPDATE_POST,
        admin,
        id=post_id,
        input={"phone": "110", "name": "Polsek Klojen Kota"},
    )
    assert edit["errors"] == [] and edit["policePost"]["phone"] == "110"
    bad = await act(app_client, a.slug, UPDATE_POST, admin, id=post_id, input={"kind": "MARKAS"})
    assert bad["errors"] == [{"code": "INVALID_INPUT", "field": "kind"}]
    _, body = await gql(
        app_client,
        f"/t/{b.slug}/graphql",
        UPDATE_POST,
        other,
        id=post_id,
        input={"name": "Diambil"},
    )
    assert body["data"]["updatePolicePost"]["errors"] == [
        {"code": "NOT_FOUND", "field": "policePostId"}
    ]
    citizen = await auth_header(settings, Role.CITIZEN, a)
    _, body = await gql(app_client, path, SOS, citizen, lat=TUGU[0], lon=TUGU[1])
    assert body["data"]["raiseSos"]["nearestPolicePost"]["name"] == "Polsek Klojen Kota"
    off = await act(app_client, a.slug, POST_ACTIVE, admin, id=post_id)
    assert off["policePost"]["isActive"] is False
    _, body = await gql(app_client, path, SOS, citizen, lat=TUGU[0], lon=TUGU[1])
    assert body["data"]["raiseSos"]["nearestPolicePost"] is None
    _, body = await gql(app_client, path, POSTS, None, all=True)  # the public sees active ones
    assert body["data"]["policePosts"] == []
    _, body = await gql(app_client, path, POSTS, admin, all=True)
    assert body["data"]["policePosts"] == [{"name": "Polsek Klojen Kota", "isActive": False}]
    actions = {
        r["action"]
        for r in await owner.fetch("SELECT action FROM audit_log WHERE tenant = $1", a.id)
    }
    assert {
        "camera.update",
        "camera.deactivate",
        "police_post.update",
        "police_post.deactivate",
    } <= actions


async def test_migration_0019_deactivates_the_sample_outside_malang(owner):
    batu = await onboard("jogo-malang-presisi", region="35.79", sample_directory=False)
    kota = await onboard("jogo-malang-presisi")  # Kota Malang, with the sample directory
    async with db.tenant_tx(batu.id):  # as onboarding did before issue 14
        await do_seed_agencies(batu.id, malang.AGENCIES + malang.HOSPITALS, sample=True)
        await do_seed_agencies(
            batu.id, [malang.AgencySeed("DAMKAR-BATU", "Damkar Kota Batu", "dinas")], sample=False
        )
    sql = MIGRATION.read_text()
    await owner.execute(sql[sql.index("DO $$") :])
    rows = await owner.fetch(
        "SELECT tenant_id, code, is_sample, is_active, deactivated_at FROM agencies"
        " WHERE tenant_id = ANY($1::uuid[])",
        [batu.id, kota.id],
    )
    batu_rows = [r for r in rows if r["tenant_id"] == batu.id]
    assert len(batu_rows) == 26
    for r in batu_rows:
        assert r["is_active"] is (not r["is_sample"]), r
        assert (r["deactivated_at"] is None) is r["is_active"]
    assert all(r["is_active"] for r in rows if r["tenant_id"] == kota.id)
    audit = await owner.fetchrow(
        "SELECT detail FROM audit_log WHERE tenant = $1 AND action = 'directory.deactivate_sample'",
        batu.id,
    )
    assert audit is not None and '"entries": 25' in audit["detail"]


async def test_jogo_up_seeds_the_sample_directory_into_its_demo_only(owner):
    from jogo.platform.app.bootstrap import DEMO_SLUG, seed_demo

    demo = await onboard("jogo-malang-presisi", slug=DEMO_SLUG, sample_directory=False)
    await seed_demo()  # the demo exists: completed with its sample directory
    await seed_demo()  # and a rerun adds nothing
    rows = await owner.fetch("SELECT is_sample, kind FROM agencies WHERE tenant_id = $1", demo.id)
    assert len(rows) == 25 and all(r["is_sample"] for r in rows)
    assert sum(r["kind"] == "hospital" for r in rows) == 9
