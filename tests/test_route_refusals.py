"""Refusals of the HTTP routes around GraphQL (``jogo.platform.app.routes``): a multipart
request lacking its GraphQL fields is a 400 saying so and writes nothing; a suspended
command takes no agency callbacks (404, as for a command that does not exist)."""

from __future__ import annotations

import json
import uuid

from helpers import auth_header, onboard

from jogo.platform import registry
from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.auth.roles import Role

SHARE = """mutation($input: SharePostInput!) { sharePost(input: $input) {
  post { id } errors { code field } } }"""


async def shared_posts(owner, tenant) -> int:
    return await owner.fetchval("SELECT count(*) FROM shared_posts WHERE tenant_id = $1", tenant.id)


async def test_a_multipart_request_without_operations_or_map_is_a_400(app_client, settings, owner):
    tenant = await onboard("jogo-malang-presisi", modules=["sharing"], sample_directory=False)
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    url = f"/t/{tenant.slug}/graphql"
    operations = json.dumps(
        {
            "query": SHARE,
            "variables": {"input": {"noticeVersion": NOTICE_VERSION, "body": "Jalan berlubang"}},
        }
    )
    # The same post as a well-formed multipart request is shared: the form itself works.
    good = await app_client.post(
        url, headers=citizen, data={"operations": operations, "map": "{}"}, files={"x": b""}
    )
    assert good.status_code == 200, good.text
    assert good.json()["data"]["sharePost"]["errors"] == [], good.text
    assert await shared_posts(owner, tenant) == 1
    for form in ({"operations": operations}, {"map": "{}"}):
        response = await app_client.post(url, headers=citizen, data=form, files={"x": b""})
        assert response.status_code == 400, response.text
        assert "a multipart request needs 'operations' and 'map' fields" in response.text
    assert await shared_posts(owner, tenant) == 1


async def test_a_suspended_command_takes_no_agency_callback(app_client, owner):
    tenant = await onboard("jogo-malang-presisi", modules=["integrations"])
    agency = await owner.fetchval(
        "SELECT id FROM agencies WHERE tenant_id = $1 ORDER BY code LIMIT 1", tenant.id
    )
    url = f"/t/{tenant.slug}/integrations/{agency}/callback"
    body = json.dumps({"dispatch_id": str(uuid.uuid4()), "status": "accepted"}).encode()
    headers = {"content-type": "application/json", "x-jogo-signature": "sha256=00"}
    active = await app_client.post(url, content=body, headers=headers)
    assert active.status_code == 401, active.text  # the command answers: the signature is bad
    await registry.set_status(tenant.slug, "SUSPENDED")
    suspended = await app_client.post(url, content=body, headers=headers)
    assert suspended.status_code == 404, suspended.text
    unknown = await app_client.post(
        url.replace(tenant.slug, f"{tenant.slug}-x"), content=body, headers=headers
    )
    assert (unknown.status_code, unknown.json()) == (404, suspended.json())
