"""Camera URLs a tenant admin saves (``jogo.platform.urls``): scheme and host are stored
in lower case, and the credentials a URL carries are kept for the platform but never
shown by the API."""

from __future__ import annotations

from helpers import act, auth_header, gql

from jogo.platform.auth.roles import Role

CAMERA = """mutation($input: CreateCameraInput!) { createCamera(input: $input) {
  camera { id streamUrl snapshotUrl } errors { code field } } }"""
CAMERAS = "query { cameras { id streamUrl snapshotUrl } }"


async def test_credentials_are_stored_but_never_shown(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    made = await act(
        app_client,
        tenant.slug,
        CAMERA,
        admin,
        input={
            "name": "Simpang Balapan",
            "latitude": -7.9666,
            "longitude": 112.6326,
            "streamUrl": "RTSP://Op:S3cret@CAM.Example:554/Tugu",
            "snapshotUrl": "HTTP://admin:pw@10.0.0.5/Snap.jpg",
        },
    )
    assert made["errors"] == [], made
    shown = {
        "id": made["camera"]["id"],
        "streamUrl": "rtsp://cam.example:554/Tugu",
        "snapshotUrl": "http://10.0.0.5/Snap.jpg",
    }
    assert made["camera"] == shown
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", CAMERAS, admin)
    assert shown in body["data"]["cameras"]
    stored = await owner.fetchrow(
        "SELECT stream_url, snapshot_url FROM cameras WHERE id = $1::uuid AND tenant_id = $2",
        made["camera"]["id"],
        tenant.id,
    )
    assert tuple(stored) == (
        "rtsp://Op:S3cret@cam.example:554/Tugu",
        "http://admin:pw@10.0.0.5/Snap.jpg",
    )
