"""A camera's operating agency must be an active agency of the same command: another
command's agency, a deactivated one, or an unknown id is NOT_FOUND on ``operatorAgencyId``
and the camera is left as it was."""

from __future__ import annotations

from helpers import act, auth_header

from jogo.platform.auth.roles import Role

CAMERA = """mutation($input: CreateCameraInput!) { createCamera(input: $input) {
  camera { id code } errors { code field } } }"""
UPDATE_CAMERA = """mutation($id: ID!, $input: UpdateCameraInput!) { updateCamera(cameraId: $id,
  input: $input) { camera { id name code isActive } errors { code field } } }"""
TUGU = (-7.9770, 112.6340)  # Kota Malang


async def test_the_operating_agency_must_be_an_active_agency_here(
    app_client, settings, two_tenants, owner
) -> None:
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    made = await act(
        app_client,
        a.slug,
        CAMERA,
        admin,
        input={
            "name": "Simpang Kayutangan",
            "latitude": TUGU[0],
            "longitude": TUGU[1],
            "streamUrl": "rtsp://10.0.0.6/kayutangan",
        },
    )
    assert made["errors"] == []
    camera_id = made["camera"]["id"]
    own, inactive = await owner.fetch(
        "SELECT id FROM agencies WHERE tenant_id = $1 ORDER BY code LIMIT 2", a.id
    )
    await owner.execute("UPDATE agencies SET is_active = false WHERE id = $1", inactive["id"])
    foreign = await owner.fetchval("SELECT id FROM agencies WHERE tenant_id = $1 LIMIT 1", b.id)
    assert foreign is not None
    row = "SELECT * FROM cameras WHERE id = $1::uuid"
    before = dict(await owner.fetchrow(row, camera_id))
    for agency in (foreign, inactive["id"], "00000000-0000-4000-8000-000000000000"):
        bad = await act(
            app_client,
            a.slug,
            UPDATE_CAMERA,
            admin,
            id=camera_id,
            input={"operatorAgencyId": str(agency)},
        )
        assert bad["errors"] == [{"code": "NOT_FOUND", "field": "operatorAgencyId"}], agency
        assert dict(await owner.fetchrow(row, camera_id)) == before
    # An active agency of this command is accepted.
    good = await act(
        app_client,
        a.slug,
        UPDATE_CAMERA,
        admin,
        id=camera_id,
        input={"operatorAgencyId": str(own["id"])},
    )
    assert good["errors"] == []
    assert (
        await owner.fetchval(
            "SELECT operator_agency_id FROM cameras WHERE id = $1::uuid", camera_id
        )
        == own["id"]
    )
