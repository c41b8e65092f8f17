"""Faults of an uploaded CSV file as a whole (``jogo.platform.csvfile.rows``), through the
directory import a tenant admin runs: each is one ``INVALID_INPUT`` on ``file`` with the
documented reason, and nothing is written. Limits from ``tenants.agencies.csvrows``: at most
5,000 rows and 10 MB per import."""

from __future__ import annotations

import asyncio

import pytest
from helpers import auth_header, gql, onboard, run_jogo

from jogo.platform.auth.roles import Role

IMPORT = """mutation($csv: String) { importDirectory(kind: AGENCIES, csv: $csv) {
  created kept errors { code field message } } }"""
HEADER = "code;name;role\n"
ROW = "DISHUB-{n};Dinas Perhubungan {n};transport\n"


@pytest.fixture
async def command():
    return await onboard("minimal", region="35.79")


async def refused(app_client, settings, owner, tenant, text: str) -> str:
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", IMPORT, admin, csv=text)
    assert "errors" not in body, body
    result = body["data"]["importDirectory"]
    assert (result["created"], result["kept"]) == (0, False), result
    [error] = result["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "file")
    assert (
        await owner.fetchval("SELECT count(*) FROM agencies WHERE tenant_id = $1", tenant.id) == 0
    )
    return error["message"]


async def test_a_good_file_is_written_so_the_refusals_below_mean_something(
    app_client, settings, owner, command
):
    admin = await auth_header(settings, Role.TENANT_ADMIN, command)
    text = HEADER + ROW.format(n=1)
    _, body = await gql(app_client, f"/t/{command.slug}/graphql", IMPORT, admin, csv=text)
    assert body["data"]["importDirectory"]["created"] == 1, body
    assert (
        await owner.fetchval("SELECT count(*) FROM agencies WHERE tenant_id = $1", command.id) == 1
    )


async def test_more_than_5000_rows_is_refused_whole(app_client, settings, owner, command):
    text = HEADER + "".join(ROW.format(n=n) for n in range(5001))
    message = await refused(app_client, settings, owner, command, text)
    assert "at most 5000 rows per import" in message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((HEADER + "A\x00;B;fire\n").encode(), "must be UTF-8 text"),
        ((HEADER + "x" * (10 * 1024 * 1024)).encode(), "at most 10 MB"),
    ],
    ids=["nul", "over-10-mb"],
)
async def test_a_file_that_is_not_csv_text_is_refused(
    database, owner, command, tmp_path, data, message
):
    # GraphQL refuses NUL in any string, and a JSON body over 256 KiB, before the import
    # runs; a file on the command line reaches the CSV reader as it is.
    path = tmp_path / "agencies.csv"
    path.write_bytes(data)
    args = ["directory", "import", "--tenant", command.slug, "--kind", "agencies", str(path)]
    result = await asyncio.to_thread(run_jogo, args, database)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("jogo: ") and message in line, result.stderr
    assert (
        await owner.fetchval("SELECT count(*) FROM agencies WHERE tenant_id = $1", command.id) == 0
    )
    # The same command takes a good file: the refusal was the file's.
    path.write_text(HEADER + ROW.format(n=1))
    assert (await asyncio.to_thread(run_jogo, args, database)).returncode == 0
    assert (
        await owner.fetchval("SELECT count(*) FROM agencies WHERE tenant_id = $1", command.id) == 1
    )


async def test_an_empty_file_and_a_header_alone_are_refused(app_client, settings, owner, command):
    assert "the file is empty" in await refused(app_client, settings, owner, command, "\n")
    message = await refused(app_client, settings, owner, command, HEADER)
    assert "a header but no rows" in message
