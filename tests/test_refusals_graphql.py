"""Issue 15, item 6: what GraphQL over HTTP refuses before anything runs (400,
INVALID_INPUT with the member at fault), and that a refused upload writes nothing."""

from __future__ import annotations

import io
import json

import pytest
from helpers import auth_header, png_bytes, report_input

from jogo.platform.auth.roles import Role

SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id } errors { code field } } }"""


def _code(response) -> tuple[str, str]:
    """The code, and the message (over HTTP, a 400 names the member in its message)."""
    [error] = response.json()["errors"]
    return error["extensions"]["code"], error["message"]


async def _reports(owner, tenant) -> int:
    return await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", tenant.id)


async def _post(client, slug, headers, mapping, files=1, photos=None):
    operations = {
        "query": SUBMIT,
        "variables": {"input": report_input(photos=[None] if photos is None else photos)},
    }
    multipart = {str(i): ("a.png", io.BytesIO(png_bytes()), "image/png") for i in range(files)}
    return await client.post(
        f"/t/{slug}/graphql",
        headers=headers,
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files=multipart,
    )


@pytest.mark.parametrize(
    "mapping",
    [
        ["variables.input.photos.0"],  # not an object
        {"0": ["variables.input.photos.0"], "7": ["variables.input.photos.1"]},  # 7 not sent
        {"0": "variables.input.photos.0"},  # paths not a list
        {"0": ["files.0"]},  # outside the variables
        {"0": ["variables"]},  # no member named
        {"0": ["variables.input.title.x"]},  # into a string
        {"0": ["variables.input.photos.9"]},  # past the end of the list
        {"0": ["variables.input.photos.x"]},  # not an index
        {"0": ["variables.nothing.photos"]},  # a member that is not there
        {"0": ["variables.input.photos.0.x"]},  # through a list item into a null
    ],
)
async def test_a_bad_multipart_map_is_refused_and_writes_nothing(
    app_client, settings, owner, two_tenants, mapping
):
    a = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, a)
    before = await _reports(owner, a)
    got = await _post(app_client, a.slug, citizen, mapping)
    assert got.status_code == 400, got.text
    code, message = _code(got)
    assert code == "INVALID_INPUT" and "'map'" in message, message
    assert await _reports(owner, a) == before
    # The channel works: the same request with a good map creates one report.
    good = await _post(app_client, a.slug, citizen, {"0": ["variables.input.photos.0"]})
    assert good.status_code == 200 and good.json()["data"]["submitReport"]["errors"] == []
    assert await _reports(owner, a) == before + 1


async def test_a_file_placed_into_a_nested_list_member(app_client, settings, owner, two_tenants):
    """A path through a list to its last index places the file there."""
    a = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, a)
    before = await _reports(owner, a)
    got = await _post(
        app_client,
        a.slug,
        citizen,
        {"0": ["variables.input.photos.0"], "1": ["variables.input.photos.1"]},
        files=2,
        photos=[None, None],
    )
    assert got.status_code == 200 and got.json()["data"]["submitReport"]["errors"] == [], got.text
    rid = got.json()["data"]["submitReport"]["report"]["id"]
    photos = await owner.fetchval(
        "SELECT count(*) FROM report_attachments WHERE tenant_id = $1 AND report_id = $2::uuid",
        a.id,
        rid,
    )
    assert photos == 2
    assert await _reports(owner, a) == before + 1


async def test_a_body_over_the_limit_or_a_bad_operation_name_is_refused(
    app_client, settings, owner, two_tenants
):
    a = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, a)
    url = f"/t/{a.slug}/graphql"
    before = await _reports(owner, a)
    body = {"query": SUBMIT, "variables": {"input": report_input()}}
    big = json.dumps(body | {"pad": "x" * (256 * 1024)}).encode()
    got = await app_client.post(
        url, content=big, headers=citizen | {"content-type": "application/json"}
    )
    assert got.status_code == 400, got.text
    assert _code(got) == ("INVALID_INPUT", "request body is larger than 256 KiB")
    named = await app_client.post(url, json=body | {"operationName": 7}, headers=citizen)
    assert named.status_code == 400
    assert _code(named) == ("INVALID_INPUT", "'operationName' must be a string")
    assert await _reports(owner, a) == before
    ok = await app_client.post(url, json=body, headers=citizen)
    assert ok.status_code == 200 and ok.json()["data"]["submitReport"]["errors"] == [], ok.text
    assert await _reports(owner, a) == before + 1
