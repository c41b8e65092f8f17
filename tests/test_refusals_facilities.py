"""Issue 15, item 6: what camera and police-post writes refuse, with nothing written."""

from __future__ import annotations

import pytest
from helpers import CREATE_POLICE_POST, UPDATE_CAMERA, UPDATE_POST, auth_header, gql

from jogo.platform.auth.roles import Role

CREATE_CAMERA = """mutation($i: CreateCameraInput!) { createCamera(input: $i) { camera { id }
  errors { code field } } }"""
CREATE_AGENCY = """mutation($i: CreateAgencyInput!) { createAgency(input: $i) { agency { id }
  errors { code field } } }"""
CAMERA = {
    "name": "Kamera Tugu",
    "latitude": -7.97,
    "longitude": 112.63,
    "streamUrl": "rtsp://cctv.example/tugu",
}
CAMERAS = "SELECT count(*) FROM cameras WHERE tenant_id = $1"


@pytest.mark.parametrize("code", ["A", "BAD CODE", "KAMERA/1", "X" * 41])
async def test_a_camera_code_outside_the_pattern_is_refused(
    app_client, settings, owner, two_tenants, code
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    url = f"/t/{a.slug}/graphql"
    before = await owner.fetchval(CAMERAS, a.id)
    _, body = await gql(app_client, url, CREATE_CAMERA, admin, i=CAMERA | {"code": code})
    assert body["data"]["createCamera"] == {
        "camera": None,
        "errors": [{"code": "INVALID_INPUT", "field": "code"}],
    }, body
    assert await owner.fetchval(CAMERAS, a.id) == before
    # 2-40 of A-Z, 0-9, '_' or '-' (lower case is upper-cased): stored.
    _, body = await gql(app_client, url, CREATE_CAMERA, admin, i=CAMERA | {"code": "cam_tugu-01"})
    assert body["data"]["createCamera"]["errors"] == [], body
    assert await owner.fetchval(CAMERAS, a.id) == before + 1


async def test_a_camera_of_another_tenants_agency_is_refused(
    app_client, settings, owner, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    b_admin = await auth_header(settings, Role.TENANT_ADMIN, b)
    _, made = await gql(
        app_client,
        f"/t/{b.slug}/graphql",
        CREATE_AGENCY,
        b_admin,
        i={"code": "DISHUB-B", "name": "Dishub B", "kind": "dinas"},
    )
    assert made["data"]["createAgency"]["errors"] == [], made
    b_agency = made["data"]["createAgency"]["agency"]["id"]
    before = await owner.fetchval(CAMERAS, a.id)
    _, body = await gql(
        app_client,
        f"/t/{a.slug}/graphql",
        CREATE_CAMERA,
        admin,
        i=CAMERA | {"operatorAgencyId": b_agency},
    )
    assert body["data"]["createCamera"] == {
        "camera": None,
        "errors": [{"code": "NOT_FOUND", "field": "operatorAgencyId"}],
    }, body
    assert await owner.fetchval(CAMERAS, a.id) == before
    # In its own tenant the same agency operates a camera.
    _, body = await gql(
        app_client,
        f"/t/{b.slug}/graphql",
        CREATE_CAMERA,
        b_admin,
        i=CAMERA | {"operatorAgencyId": b_agency},
    )
    assert body["data"]["createCamera"]["errors"] == [], body


async def test_a_location_cannot_be_cleared(app_client, settings, owner, two_tenants):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    url = f"/t/{a.slug}/graphql"
    _, cam = await gql(app_client, url, CREATE_CAMERA, admin, i=CAMERA)
    camera = cam["data"]["createCamera"]["camera"]["id"]
    _, post = await gql(
        app_client, url, CREATE_POLICE_POST, admin, n="Polsek Klojen", lat=-7.98, lon=112.63
    )
    post_id = post["data"]["createPolicePost"]["id"]
    cam_row = "SELECT latitude, longitude FROM cameras WHERE tenant_id = $1 AND id = $2::uuid"
    post_row = "SELECT latitude, longitude FROM police_posts WHERE tenant_id = $1 AND id = $2::uuid"
    cam_before = await owner.fetchrow(cam_row, a.id, camera)
    post_before = await owner.fetchrow(post_row, a.id, post_id)
    for where in ({"latitude": None}, {"longitude": None}):
        [field] = where
        _, body = await gql(app_client, url, UPDATE_CAMERA, admin, id=camera, input=where)
        assert body["data"]["updateCamera"]["errors"] == [
            {"code": "INVALID_INPUT", "field": field}
        ], body
        _, body = await gql(app_client, url, UPDATE_POST, admin, id=post_id, input=where)
        assert body["data"]["updatePolicePost"]["errors"] == [
            {"code": "INVALID_INPUT", "field": field}
        ], body
    assert await owner.fetchrow(cam_row, a.id, camera) == cam_before
    assert await owner.fetchrow(post_row, a.id, post_id) == post_before
