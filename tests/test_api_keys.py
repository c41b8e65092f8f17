"""Issue 14, item 5: API keys have a life. A tenant admin lists keys with their last
use, creates them with an expiry, revokes and rotates them (with an overlap window);
expired and revoked keys are refused over HTTP and on open sockets; integrators may send
``X-API-Key``; an anonymous caller is told how to authenticate, never which role it
lacks. Two tenants throughout: another tenant's key is NOT_FOUND."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import websockets
from helpers import (
    API_KEYS,
    CREATE_API_KEY,
    ROTATE_API_KEY,
    auth_header,
    eventually,
    gql,
    unique_slug,
)

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role

WAIT = 5.0
ME = "{ me { kind name scopes } reports(first: 1) { edges { cursor } } }"
REVOKE = """mutation($id: ID!) { revokeApiKey(id: $id) {
  apiKey { id status revokedAt revokedBy } errors { code field message } } }"""


def path(tenant: Any) -> str:
    return f"/t/{tenant.slug}/graphql"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def create(client: Any, tenant: Any, admin: dict, **variables: Any) -> dict[str, Any]:
    variables.setdefault("name", "Dishub Kota")
    variables.setdefault("scopes", ["reports:read"])
    status, body = await gql(client, path(tenant), CREATE_API_KEY, admin, **variables)
    assert status == 200, body
    payload: dict[str, Any] = body["data"]["createApiKey"]
    return payload


async def use(client: Any, tenant: Any, headers: dict[str, str]) -> tuple[int, dict]:
    return await gql(client, path(tenant), ME, headers)


async def listed(client: Any, tenant: Any, admin: dict) -> dict[str, dict[str, Any]]:
    status, body = await gql(client, path(tenant), API_KEYS, admin)
    assert status == 200 and "errors" not in body, body
    return {n["id"]: n for n in body["data"]["apiKeys"]["nodes"]}


async def test_admin_creates_lists_and_sees_last_use(app_client, settings, two_tenants, owner):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    expires = (datetime.now(UTC) + timedelta(days=90)).isoformat()
    made = await create(app_client, a, admin, exp=expires)
    assert made["errors"] == [] and made["key"].startswith("jogo_")
    key_id = made["apiKey"]["id"]
    assert made["apiKey"]["status"] == "ACTIVE"
    # Shown once: the table keeps its SHA-256 only.
    row = await owner.fetchrow("SELECT * FROM api_keys WHERE id = $1::uuid", key_id)
    assert made["key"] not in json.dumps(dict(row), default=str)
    assert (await listed(app_client, a, admin))[key_id]["lastUsedAt"] is None
    status, body = await use(app_client, a, bearer(made["key"]))
    assert status == 200 and body["data"]["me"]["kind"] == "api_key", body
    seen = (await listed(app_client, a, admin))[key_id]
    assert seen["lastUsedAt"] is not None and seen["expiresAt"] is not None
    assert seen["createdBy"] == (await admin_name(owner, key_id))
    audit = await owner.fetchrow(
        "SELECT * FROM audit_log WHERE action = 'apikey.create' AND target = $1",
        f"api_key:{made['apiKey']['prefix']}",
    )
    assert audit is not None and audit["tenant"] == a.id and audit["actor_kind"] == "user"


async def admin_name(owner: Any, key_id: str) -> str:
    name: str = await owner.fetchval("SELECT created_by FROM api_keys WHERE id = $1::uuid", key_id)
    return name


async def test_last_use_is_written_at_most_once_a_minute(app_client, two_tenants, owner):
    a = two_tenants.a
    key = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest")
    assert (await use(app_client, a, bearer(key.key)))[0] == 200
    first = await owner.fetchval("SELECT last_used_at FROM api_keys WHERE id = $1", key.id)
    assert first is not None
    # 10 s ago: within the minute, so the next request does not write.
    await owner.execute(
        "UPDATE api_keys SET last_used_at = now() - interval '10 s' WHERE id = $1", key.id
    )
    recent = await owner.fetchval("SELECT last_used_at FROM api_keys WHERE id = $1", key.id)
    assert (await use(app_client, a, bearer(key.key)))[0] == 200
    assert await owner.fetchval("SELECT last_used_at FROM api_keys WHERE id = $1", key.id) == recent
    # Two minutes ago: stamped again.
    await owner.execute(
        "UPDATE api_keys SET last_used_at = now() - interval '2 min' WHERE id = $1", key.id
    )
    old = await owner.fetchval("SELECT last_used_at FROM api_keys WHERE id = $1", key.id)
    assert (await use(app_client, a, bearer(key.key)))[0] == 200
    assert await owner.fetchval("SELECT last_used_at FROM api_keys WHERE id = $1", key.id) > old
    # A wrong secret with a real prefix stamps nothing.
    await owner.execute("UPDATE api_keys SET last_used_at = NULL WHERE id = $1", key.id)
    forged = f"jogo_{key.prefix}_{'A' * 43}"
    status, body = await use(app_client, a, bearer(forged))
    assert status == 401 and body["errors"][0]["message"] == "the API key is invalid"
    assert await owner.fetchval("SELECT last_used_at FROM api_keys WHERE id = $1", key.id) is None


async def test_a_retried_create_shows_the_same_key(app_client, settings, two_tenants, owner):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    ck = uuid.uuid4().hex
    first = await create(app_client, a, admin, ck=ck)
    again = await create(app_client, a, admin, ck=ck)
    assert first["errors"] == [] and again["errors"] == []
    assert again["key"] == first["key"] and again["apiKey"]["id"] == first["apiKey"]["id"]
    assert (await use(app_client, a, bearer(again["key"])))[0] == 200
    count = await owner.fetchval(
        "SELECT count(*) FROM api_keys WHERE tenant = $1 AND name = 'Dishub Kota'", a.id
    )
    assert count == 1
    other = await create(app_client, a, admin, ck=ck, scopes=["reports:write"])
    assert other["key"] is None and other["errors"][0]["code"] == "CONFLICT"
    # No client key: a new key each time.
    plain = await create(app_client, a, admin)
    assert plain["key"] != first["key"]


async def test_bad_input_is_typed(app_client, settings, two_tenants):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    cases = [
        ({"exp": past}, "expiresAt"),
        ({"scopes": ["everything"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"name": " "}, "name"),
    ]
    for variables, field in cases:
        made = await create(app_client, a, admin, **variables)
        assert made["key"] is None, variables
        assert [(e["code"], e["field"]) for e in made["errors"]] == [("INVALID_INPUT", field)]


async def test_revoke_ends_http_and_socket_at_once(
    app_client, live_server, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    key = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest")
    notices: list[str] = []
    await owner.add_listener("jogo_principal_revoked", lambda *args: notices.append(args[3]))
    ws = await open_socket(live_server, a.slug, {"X-API-Key": key.key})
    async with ws:
        assert (await run(ws, ME))["data"]["me"]["kind"] == "api_key"
        status, body = await gql(app_client, path(a), REVOKE, admin, id=str(key.id))
        revoked = body["data"]["revokeApiKey"]
        assert revoked["errors"] == [] and revoked["apiKey"]["status"] == "REVOKED"
        # The socket closes at once, announced by the revoking transaction: no operation
        # of the key's is needed to find out.
        code, reason = await closed_unprompted(ws)
        status, body = await use(app_client, a, bearer(key.key))
        assert status == 401 and body["errors"][0]["message"] == "the API key has been revoked"
    assert (code, reason) == (4401, "Unauthorized: the API key has been revoked")
    await eventually(lambda: notices, "the revocation notice")
    assert notices == [f"apikey:{key.id}"]
    # Revoking again changes nothing and writes no second audit row.
    _, body = await gql(app_client, path(a), REVOKE, admin, id=str(key.id))
    assert body["data"]["revokeApiKey"]["apiKey"]["status"] == "REVOKED"
    rows = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'apikey.revoke' AND target = $1",
        f"api_key:{key.prefix}",
    )
    assert rows == 1


async def test_rotation_overlaps_then_the_old_key_expires(
    app_client, live_server, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    old = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest")
    _, body = await gql(app_client, path(a), ROTATE_API_KEY, admin, id=str(old.id), h=2)
    rotated = body["data"]["rotateApiKey"]
    assert rotated["errors"] == [] and rotated["key"] != old.key
    assert rotated["apiKey"]["replacesId"] == str(old.id)
    new_key = rotated["key"]
    keys = await listed(app_client, a, admin)
    assert keys[str(old.id)]["status"] == "EXPIRING"
    assert keys[rotated["apiKey"]["id"]]["scopes"] == ["reports:read"]
    # Within the window both keys work.
    assert (await use(app_client, a, bearer(old.key)))[0] == 200
    assert (await use(app_client, a, bearer(new_key)))[0] == 200
    ws = await open_socket(live_server, a.slug, {"Authorization": f"Bearer {old.key}"})
    async with ws:
        assert (await run(ws, ME))["data"]["me"]["kind"] == "api_key"
        # The window has passed (moved into the past, no sleeping).
        await owner.execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 s' WHERE id = $1", old.id
        )
        status, body = await use(app_client, a, bearer(old.key))
        assert status == 401 and body["errors"][0]["message"] == "the API key has expired"
        code, reason = await closed(ws, ME)
    assert (code, reason) == (4401, "Unauthorized: the API key has expired")
    assert (await use(app_client, a, bearer(new_key)))[0] == 200
    assert (await listed(app_client, a, admin))[str(old.id)]["status"] == "EXPIRED"
    # An expired key can't be rotated; the overlap is at most 7 days.
    _, body = await gql(app_client, path(a), ROTATE_API_KEY, admin, id=str(old.id))
    assert body["data"]["rotateApiKey"]["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    _, body = await gql(
        app_client, path(a), ROTATE_API_KEY, admin, id=rotated["apiKey"]["id"], h=169
    )
    assert [(e["code"], e["field"]) for e in body["data"]["rotateApiKey"]["errors"]] == [
        ("INVALID_INPUT", "overlapHours")
    ]
    audit = await owner.fetchrow(
        "SELECT detail FROM audit_log WHERE action = 'apikey.rotate' AND target = $1",
        f"api_key:{old.prefix}",
    )
    assert json.loads(audit["detail"])["new_prefix"] == rotated["apiKey"]["prefix"]


async def test_a_key_is_rotated_once_and_a_retry_shows_the_same_successor(
    app_client, settings, two_tenants, owner
):
    """A retry with the clientKey answers the same new key; rotating the old key again
    without it is ILLEGAL_TRANSITION naming the successor; the successor of a key with an
    expiry lives as long as the old key was meant to (not the overlap), and may itself be
    rotated."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    month = datetime.now(UTC) + timedelta(days=30)
    old = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest", expires_at=month)
    ck = uuid.uuid4().hex
    answers = []
    for _ in range(2):
        _, body = await gql(app_client, path(a), ROTATE_API_KEY, admin, id=str(old.id), h=1, ck=ck)
        answers.append(body["data"]["rotateApiKey"])
    first, again = answers
    assert first["errors"] == [] and again["errors"] == [], answers
    assert again["key"] == first["key"] and again["apiKey"] == first["apiKey"]
    made = datetime.fromisoformat(first["apiKey"]["expiresAt"])
    assert made - datetime.now(UTC) > timedelta(days=29), first
    assert first["apiKey"]["status"] == "ACTIVE"
    _, body = await gql(app_client, path(a), ROTATE_API_KEY, admin, id=str(old.id), h=1)
    [error] = body["data"]["rotateApiKey"]["errors"]
    assert error["code"] == "ILLEGAL_TRANSITION" and error["field"] == "id"
    assert first["apiKey"]["prefix"] in error["message"]
    assert body["data"]["rotateApiKey"]["key"] is None
    count = await owner.fetchval("SELECT count(*) FROM api_keys WHERE replaces = $1", old.id)
    assert count == 1
    # The successor is a key like any other: rotating it works.
    _, body = await gql(app_client, path(a), ROTATE_API_KEY, admin, id=first["apiKey"]["id"], h=0)
    assert body["data"]["rotateApiKey"]["errors"] == [], body


async def test_parallel_rotations_make_one_successor(app_client, settings, two_tenants, owner):
    """Ten rotations of one key at once: exactly one new key, nine ILLEGAL_TRANSITION
    naming it; the new key never expires, like the old one."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    old = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest")
    bodies = await asyncio.gather(
        *(gql(app_client, path(a), ROTATE_API_KEY, admin, id=str(old.id), h=1) for _ in range(10))
    )
    answers = [body["data"]["rotateApiKey"] for _, body in bodies]
    won = [r for r in answers if r["errors"] == []]
    assert len(won) == 1, answers
    assert won[0]["apiKey"]["expiresAt"] is None and won[0]["apiKey"]["status"] == "ACTIVE"
    lost = [r["errors"][0] for r in answers if r["errors"]]
    assert {e["code"] for e in lost} == {"ILLEGAL_TRANSITION"} and len(lost) == 9
    assert all(won[0]["apiKey"]["prefix"] in e["message"] for e in lost)
    rows = await owner.fetch("SELECT id FROM api_keys WHERE tenant = $1", a.id)
    assert len(rows) == 2
    rotations = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'apikey.rotate' AND target = $1",
        f"api_key:{old.prefix}",
    )
    assert rotations == 1


async def test_an_expired_key_is_refused(app_client, two_tenants, owner):
    a = two_tenants.a
    soon = datetime.now(UTC) + timedelta(days=3)
    key = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest", expires_at=soon)
    assert (await use(app_client, a, bearer(key.key)))[0] == 200
    await owner.execute("UPDATE api_keys SET expires_at = now() WHERE id = $1", key.id)
    status, body = await use(app_client, a, {"X-API-Key": key.key})
    assert status == 401
    assert body["errors"][0] == {
        "message": "the API key has expired",
        "extensions": {"code": "UNAUTHENTICATED"},
    }


async def test_x_api_key_header(app_client, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    key = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest")
    status, body = await use(app_client, a, {"X-API-Key": key.key})
    assert status == 200 and body["data"]["me"]["kind"] == "api_key", body
    assert body["data"]["reports"] is not None
    both = {"X-API-Key": key.key, "Authorization": f"Bearer {key.key}"}
    assert (await use(app_client, a, both))[0] == 200
    other = await create_api_key(a, "Sistem lain", ["reports:read"], "pytest")
    status, body = await use(
        app_client, a, {"X-API-Key": key.key, "Authorization": f"Bearer {other.key}"}
    )
    assert status == 401 and "different credentials" in body["errors"][0]["message"]
    status, body = await use(app_client, a, {"X-API-Key": "not-a-key"})
    assert status == 401 and "X-API-Key" in body["errors"][0]["message"]
    # Another tenant's key is as unknown there as any.
    assert (await use(app_client, b, {"X-API-Key": key.key}))[0] == 404


GUIDANCE = ("Authorization: Bearer <token>", "X-API-Key")
PUBLISH = """mutation { publishBulletin(input: {category: WEATHER, severity: MINOR,
  urgency: FUTURE, certainty: POSSIBLE, headline: "x", description: "y",
  area: {description: "Kota"}, validUntil: "2030-01-01T00:00:00+07:00"})
  { errors { code message } } }"""


async def test_anonymous_callers_are_told_how_to_authenticate(app_client, two_tenants):
    a = two_tenants.a
    _, body = await gql(app_client, path(a), PUBLISH)
    [error] = body["data"]["publishBulletin"]["errors"]
    assert error["code"] == "UNAUTHENTICATED"
    assert all(g in error["message"] for g in GUIDANCE) and "operator" not in error["message"]
    for query in ("{ bulletins(status: DRAFT) { id } }", "{ apiKeys { nodes { id } } }"):
        _, body = await gql(app_client, path(a), query)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED", query
        assert all(g in error["message"] for g in GUIDANCE), query
    _, body = await gql(app_client, path(a), CREATE_API_KEY, name="x", scopes=["reports:read"])
    assert body["data"]["createApiKey"]["errors"][0]["code"] == "UNAUTHENTICATED"
    status, body = await gql(app_client, "/national/graphql", "{ me { kind } }")
    assert status == 401 and all(g in body["errors"][0]["message"] for g in GUIDANCE)


async def test_only_the_tenant_admin_administers_keys(app_client, settings, two_tenants):
    a = two_tenants.a
    target = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest")
    writer = await create_api_key(a, "Sistem kota", ["reports:write", "agencies:write"], "pytest")
    operator = await auth_header(settings, Role.OPERATOR, a)
    for headers in (bearer(target.key), {"X-API-Key": writer.key}, operator):
        _, body = await gql(app_client, path(a), API_KEYS, headers)
        assert body["data"]["apiKeys"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        _, body = await gql(app_client, path(a), REVOKE, headers, id=str(target.id))
        assert body["data"]["revokeApiKey"]["errors"][0]["code"] == "FORBIDDEN"
    assert (await use(app_client, a, bearer(target.key)))[0] == 200


async def test_another_tenants_key_is_not_found(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    b_key = await create_api_key(b, "Sistem kota B", ["reports:read"], "pytest")
    a_key = await create_api_key(a, "Sistem kota A", ["reports:read"], "pytest")
    keys = await listed(app_client, a, admin_a)
    assert str(a_key.id) in keys and str(b_key.id) not in keys
    unknown = str(uuid.uuid4())
    for mutation, name in ((REVOKE, "revokeApiKey"), (ROTATE_API_KEY, "rotateApiKey")):
        answers = []
        for key_id in (str(b_key.id), unknown):
            _, body = await gql(app_client, path(a), mutation, admin_a, id=key_id)
            answers.append(body["data"][name]["errors"])
        assert answers[0] == answers[1] and answers[0][0]["code"] == "NOT_FOUND"
    row = await owner.fetchrow(
        "SELECT revoked_at, expires_at FROM api_keys WHERE id = $1", b_key.id
    )
    assert row["revoked_at"] is None and row["expires_at"] is None
    assert (await use(app_client, b, bearer(b_key.key)))[0] == 200


# --- a socket, as tests/test_socket_rights.py opens one ---------------------------


async def open_socket(server: str, slug: str, payload: dict[str, str]) -> Any:
    ws = await websockets.connect(
        f"ws://{server}/t/{slug}/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert ack["type"] == "connection_ack", ack
    return ws


async def run(ws: Any, query: str) -> dict[str, Any]:
    op_id = uuid.uuid4().hex
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query}}))
    first = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert first["type"] == "next", first
    done = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert done["type"] == "complete", done
    payload: dict[str, Any] = first["payload"]
    return payload


async def closed(ws: Any, query: str) -> tuple[int, str]:
    op_id = uuid.uuid4().hex
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query}}))
    with pytest.raises(websockets.ConnectionClosed) as ended:
        answer = await asyncio.wait_for(ws.recv(), WAIT)
        pytest.fail(f"the operation ran on the socket: {answer}")
    frame = ended.value.rcvd
    assert frame is not None
    return frame.code, frame.reason


async def closed_unprompted(ws: Any) -> tuple[int, str]:
    with pytest.raises(websockets.ConnectionClosed) as ended:
        answer = await asyncio.wait_for(ws.recv(), WAIT)
        pytest.fail(f"the socket sent something instead of closing: {answer}")
    frame = ended.value.rcvd
    assert frame is not None
    return frame.code, frame.reason


# --- the console ------------------------------------------------------------------


def test_the_console_lists_revokes_and_rotates(database):
    from helpers import one_line_error, run_jogo

    slug = unique_slug()
    created = run_jogo(
        [
            "tenant",
            "create",
            "--slug",
            slug,
            "--name",
            "Polres Z",
            "--polda",
            "JATIM",
            "--region",
            "35.79",
        ],
        database,
    )
    assert created.returncode == 0, created.stderr
    made = run_jogo(
        [
            "apikey",
            "create",
            "--tenant",
            slug,
            "--name",
            "Dishub",
            "--scopes",
            "reports:read",
            "--expires-days",
            "30",
        ],
        database,
    )
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert key["key"].startswith(f"jogo_{key['prefix']}_") and key["expires_at"]
    listing = run_jogo(["apikey", "list", "--tenant", slug, "--json"], database)
    assert listing.returncode == 0, listing.stderr
    [row] = json.loads(listing.stdout)
    assert row["prefix"] == key["prefix"] and row["status"] == "ACTIVE"
    assert row["last_used_at"] is None and "key" not in row and "key_hash" not in row
    rotated = run_jogo(
        ["apikey", "rotate", "--tenant", slug, key["prefix"], "--overlap-hours", "1"], database
    )
    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)
    assert new["prefix"] != key["prefix"] and new["name"] == "Dishub"
    text = run_jogo(["apikey", "list", "--tenant", slug], database)
    lines = text.stdout.strip().splitlines()
    assert len(lines) == 2 and any(f"{key['prefix']}  EXPIRING" in line for line in lines)
    revoked = run_jogo(["apikey", "revoke", "--tenant", slug, new["key"]], database)
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["status"] == "REVOKED"
    for args, message in (
        (["revoke", "--tenant", slug, "0123456789ab"], "not found"),
        (["rotate", "--tenant", slug, key["prefix"], "--overlap-hours", "200"], "overlap"),
        (
            [
                "create",
                "--tenant",
                slug,
                "--name",
                "x",
                "--scopes",
                "reports:read",
                "--expires-days",
                "0",
            ],
            "--expires-days",
        ),
        (
            [
                "create",
                "--tenant",
                slug,
                "--name",
                "x",
                "--scopes",
                "reports:read",
                "--expires-at",
                "2030-01-01",
            ],
            "offset",
        ),
        (["rotate", "--tenant", slug, new["prefix"]], "REVOKED"),
        (["rotate", "--tenant", slug, key["prefix"]], f"already rotated, to {new['prefix']}"),
    ):
        bad = run_jogo(["apikey", *args], database)
        assert bad.returncode == 1 and message in one_line_error(bad), (args, bad.stderr)
