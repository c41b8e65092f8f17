"""Issue 14, item 4: sessions that last a shift. Refresh tokens rotate, a reused one ends
its whole session, logout ends it, a revoked session's access tokens stop at once over
HTTP and on sockets, and a live feed survives a token refresh (re-authentication by
``ping`` on the socket). Real server, real WebSocket client, real PostgreSQL NOTIFY."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import jwt
import pytest
from helpers import (
    EVENTS,
    ME,
    SOCKET_WAIT,
    auth_header,
    bearer,
    closed_with,
    gql,
    make_user,
    me_status,
    open_socket,
    refresh,
    sign_in,
    submit,
    subscribe,
)

from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token


async def test_sign_in_opens_a_session_that_rotates(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    _, username = await make_user(Role.OPERATOR, tenant)
    first = await sign_in(app_client, username)
    assert first["refresh_token"].startswith("jrt_")
    assert first["refresh_expires_in"] > 12 * 3600 - 60
    sid = jwt.decode(first["access_token"], options={"verify_signature": False})["sid"]
    stored = await owner.fetch(
        "SELECT token_hash FROM refresh_tokens WHERE session_id = $1::uuid", sid
    )
    assert len(stored) == 1 and first["refresh_token"] not in stored[0]["token_hash"]
    second = (await refresh(app_client, first["refresh_token"])).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert jwt.decode(second["access_token"], options={"verify_signature": False})["sid"] == sid
    third = await refresh(app_client, second["refresh_token"])
    assert third.status_code == 200
    for access in (first["access_token"], second["access_token"], third.json()["access_token"]):
        assert await me_status(app_client, tenant.slug, access) == 200
    assert (await refresh(app_client, "jrt_" + "A" * 43)).status_code == 401
    assert (await refresh(app_client, "nonsense")).status_code == 401
    assert (await app_client.post("/auth/refresh", json={"token": "x"})).status_code == 400


async def test_a_reused_refresh_token_ends_the_whole_session(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    user_id, username = await make_user(Role.OPERATOR, tenant)
    first = await sign_in(app_client, username)
    other = await sign_in(app_client, username)  # another device: a session of its own
    second = (await refresh(app_client, first["refresh_token"])).json()
    third = (await refresh(app_client, second["refresh_token"])).json()
    replay = await refresh(app_client, first["refresh_token"])  # a thief's copy
    assert replay.status_code == 401
    assert "already used" in replay.json()["errors"][0]["message"]
    # The legitimate holder's newer tokens die with the session.
    assert (await refresh(app_client, third["refresh_token"])).status_code == 401
    assert await me_status(app_client, tenant.slug, third["access_token"]) == 401
    assert await me_status(app_client, tenant.slug, second["access_token"]) == 401
    assert await me_status(app_client, tenant.slug, first["access_token"]) == 401
    # The other device goes on.
    assert await me_status(app_client, tenant.slug, other["access_token"]) == 200
    assert (await refresh(app_client, other["refresh_token"])).status_code == 200
    audit = await owner.fetch(
        "SELECT target FROM audit_log WHERE action = 'auth.refresh_reuse' AND detail->>'user_id' = $1",
        str(user_id),
    )
    assert len(audit) == 1


async def test_parallel_refreshes_with_one_token_all_get_the_same_successor(
    app_client, settings, two_tenants, owner
):
    """Two tabs, or a phone retrying: one rotation, every duplicate answers its successor."""
    tenant = two_tenants.a
    _, username = await make_user(Role.OFFICER, tenant)
    signed = await sign_in(app_client, username)
    sid = jwt.decode(signed["access_token"], options={"verify_signature": False})["sid"]
    answers = await asyncio.gather(
        *(refresh(app_client, signed["refresh_token"]) for _ in range(5))
    )
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    successors = {a.json()["refresh_token"] for a in answers}
    assert len(successors) == 1 and signed["refresh_token"] not in successors
    assert (
        await owner.fetchval("SELECT count(*) FROM refresh_tokens WHERE session_id = $1::uuid", sid)
        == 2
    )  # the sign-in's token and one successor: no double rotation
    for a in answers:
        assert await me_status(app_client, tenant.slug, a.json()["access_token"]) == 200
    (successor,) = successors
    onward = await refresh(app_client, successor)
    assert onward.status_code == 200
    assert onward.json()["refresh_token"] not in (successor, signed["refresh_token"])
    assert await me_status(app_client, tenant.slug, onward.json()["access_token"]) == 200
    # The successor was used: it works once, the old token is no retry any more.
    assert (await refresh(app_client, signed["refresh_token"])).status_code == 401
    assert await me_status(app_client, tenant.slug, onward.json()["access_token"]) == 401


async def test_a_retry_within_the_window_answers_the_same_pair(
    app_client, settings, two_tenants, owner
):
    """The response to a refresh was lost; the app sends the same refresh token again."""
    tenant = two_tenants.a
    user_id, username = await make_user(Role.OPERATOR, tenant)
    signed = await sign_in(app_client, username)
    first = (await refresh(app_client, signed["refresh_token"])).json()
    retry = await refresh(app_client, signed["refresh_token"])
    assert retry.status_code == 200, retry.text
    assert retry.json()["refresh_token"] == first["refresh_token"]
    assert retry.json()["refresh_expires_in"] > 12 * 3600 - 60
    for access in (first["access_token"], retry.json()["access_token"]):
        assert await me_status(app_client, tenant.slug, access) == 200
    # Only hashes are stored, the successor's too.
    rows = await owner.fetch("SELECT token_hash FROM refresh_tokens")
    assert all(first["refresh_token"] not in r["token_hash"] for r in rows)
    # The session goes on: the successor rotates once more.
    assert (await refresh(app_client, first["refresh_token"])).status_code == 200
    assert not await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.refresh_reuse'"
        " AND detail->>'user_id' = $1",
        str(user_id),
    )


async def test_a_retry_after_the_successor_was_used_is_reuse(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    user_id, username = await make_user(Role.OPERATOR, tenant)
    signed = await sign_in(app_client, username)
    first = (await refresh(app_client, signed["refresh_token"])).json()
    second = (await refresh(app_client, first["refresh_token"])).json()
    replay = await refresh(app_client, signed["refresh_token"])
    assert replay.status_code == 401
    assert "already used" in replay.json()["errors"][0]["message"]
    assert (await refresh(app_client, second["refresh_token"])).status_code == 401
    assert await me_status(app_client, tenant.slug, second["access_token"]) == 401
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.refresh_reuse'"
            " AND detail->>'user_id' = $1",
            str(user_id),
        )
        == 1
    )


async def test_a_retry_after_the_window_is_reuse(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    user_id, username = await make_user(Role.OPERATOR, tenant)
    signed = await sign_in(app_client, username)
    sid = jwt.decode(signed["access_token"], options={"verify_signature": False})["sid"]
    first = (await refresh(app_client, signed["refresh_token"])).json()
    await owner.execute(
        "UPDATE refresh_tokens SET used_at = used_at - make_interval(secs => $2)"
        " WHERE session_id = $1::uuid AND used_at IS NOT NULL",
        sid,
        settings.refresh_retry_seconds + 1,
    )
    replay = await refresh(app_client, signed["refresh_token"])
    assert replay.status_code == 401
    assert "already used" in replay.json()["errors"][0]["message"]
    assert (await refresh(app_client, first["refresh_token"])).status_code == 401
    assert await me_status(app_client, tenant.slug, first["access_token"]) == 401
    assert (
        await owner.fetchval("SELECT revoked_reason FROM auth_sessions WHERE id = $1::uuid", sid)
        == "reuse"
    )
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.refresh_reuse'"
            " AND detail->>'user_id' = $1",
            str(user_id),
        )
        == 1
    )


async def test_sessions_end_at_their_shift_and_idle_limits(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    _, username = await make_user(Role.OPERATOR, tenant)
    for column in ("expires_at", "idle_until"):
        signed = await sign_in(app_client, username)
        sid = jwt.decode(signed["access_token"], options={"verify_signature": False})["sid"]
        assert await me_status(app_client, tenant.slug, signed["access_token"]) == 200
        await owner.execute(
            f"UPDATE auth_sessions SET {column} = now() - interval '1 second' WHERE id = $1::uuid",
            sid,
        )
        assert (await refresh(app_client, signed["refresh_token"])).status_code == 401
        assert await me_status(app_client, tenant.slug, signed["access_token"]) == 401


async def test_logout_by_refresh_token_and_by_mutation(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    _, username = await make_user(Role.CITIZEN, tenant)
    signed = await sign_in(app_client, username)
    r = await app_client.post("/auth/logout", json={"refresh_token": signed["refresh_token"]})
    assert r.status_code == 200 and r.json() == {"ended": True}
    assert await me_status(app_client, tenant.slug, signed["access_token"]) == 401
    assert (await refresh(app_client, signed["refresh_token"])).status_code == 401
    again = await app_client.post("/auth/logout", json={"refresh_token": signed["refresh_token"]})
    assert again.json() == {"ended": False}
    # The mutation ends the session of the request's token.
    other = await sign_in(app_client, username)
    status, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        "mutation { logout { ended errors { code } } }",
        bearer(other["access_token"]),
    )
    assert status == 200 and body["data"]["logout"] == {"ended": True, "errors": []}
    assert await me_status(app_client, tenant.slug, other["access_token"]) == 401
    assert (await refresh(app_client, other["refresh_token"])).status_code == 401
    logouts = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.logout' AND actor = $1", username
    )
    assert logouts == 2


async def test_logout_closes_that_sessions_socket_at_once(
    app_client, live_server, settings, two_tenants
):
    tenant = two_tenants.a
    _, username = await make_user(Role.OPERATOR, tenant)
    ended = await sign_in(app_client, username)
    kept = await sign_in(app_client, username)
    ws_ended = await open_socket(live_server, tenant.slug, ended["access_token"])
    ws_kept = await open_socket(live_server, tenant.slug, kept["access_token"])
    async with ws_ended, ws_kept:
        await subscribe(ws_ended, EVENTS)
        await subscribe(ws_kept, EVENTS)
        r = await app_client.post("/auth/logout", json={"refresh_token": ended["refresh_token"]})
        assert r.json() == {"ended": True}
        code, reason = await closed_with(ws_ended)
        assert (code, reason) == (4401, "Unauthorized: the session has ended; sign in again")
        # The same user's other session keeps its feed: a report still reaches it.
        citizen = await auth_header(settings, Role.CITIZEN, tenant)
        created = await submit(app_client, tenant.slug, citizen)
        async with asyncio.timeout(SOCKET_WAIT):
            message = json.loads(await ws_kept.recv())
        assert message["type"] == "next", message
        assert message["payload"]["data"]["reportEvents"]["ticket"] == created["report"]["ticket"]


async def test_a_reuse_closes_the_sessions_socket(app_client, live_server, settings, two_tenants):
    tenant = two_tenants.a
    _, username = await make_user(Role.OPERATOR, tenant)
    signed = await sign_in(app_client, username)
    fresh = (await refresh(app_client, signed["refresh_token"])).json()
    onward = (await refresh(app_client, fresh["refresh_token"])).json()  # successor used
    ws = await open_socket(live_server, tenant.slug, onward["access_token"])
    async with ws:
        await subscribe(ws, EVENTS)
        assert (await refresh(app_client, signed["refresh_token"])).status_code == 401
        code, _ = await closed_with(ws)
    assert code == 4401


async def test_a_live_feed_survives_a_token_refresh(app_client, live_server, settings, two_tenants):
    """The socket opens with a token of 3 seconds; the client refreshes and sends the new
    token in a ping; after the first token's expiry the feed still delivers and the
    socket still runs operations."""
    tenant = two_tenants.a
    user_id, username = await make_user(Role.OPERATOR, tenant)
    signed = await sign_in(app_client, username)
    sid = uuid.UUID(jwt.decode(signed["access_token"], options={"verify_signature": False})["sid"])
    short = issue_token(user_id, username, settings.secret_key, 3, session_id=sid).token
    expires_at = jwt.decode(short, options={"verify_signature": False})["exp"]
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    ws = await open_socket(live_server, tenant.slug, short)
    async with ws:
        op_id = await subscribe(ws, EVENTS)
        renewed = (await refresh(app_client, signed["refresh_token"])).json()
        await ws.send(json.dumps({"type": "ping", "payload": bearer(renewed["access_token"])}))
        pong = json.loads(await asyncio.wait_for(ws.recv(), SOCKET_WAIT))
        assert pong["type"] == "pong", pong
        await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.5)  # the old token's TTL
        created = await submit(app_client, tenant.slug, citizen)
        message = json.loads(await asyncio.wait_for(ws.recv(), SOCKET_WAIT))
        assert message["id"] == op_id and message["type"] == "next", message
        assert message["payload"]["data"]["reportEvents"]["ticket"] == created["report"]["ticket"]
        query_id = uuid.uuid4().hex
        await ws.send(json.dumps({"id": query_id, "type": "subscribe", "payload": {"query": ME}}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), SOCKET_WAIT))
        assert answer["type"] == "next" and answer["payload"]["data"]["me"]["name"] == username


async def test_without_a_refresh_the_feed_ends_at_expiry(
    app_client, live_server, settings, two_tenants
):
    """The counterpart of the test above: the same feed, no ping, ends at the token's expiry."""
    tenant = two_tenants.a
    user_id, username = await make_user(Role.OPERATOR, tenant)
    short = issue_token(user_id, username, settings.secret_key, 2).token
    ws = await open_socket(live_server, tenant.slug, short)
    async with ws:
        op_id = await subscribe(ws, EVENTS)
        message = json.loads(await asyncio.wait_for(ws.recv(), SOCKET_WAIT))
    assert message["id"] == op_id, message
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert [e["message"] for e in errors] == ["the access token has expired"], message


async def test_a_ping_with_another_callers_token_closes_the_socket(
    app_client, live_server, settings, two_tenants
):
    tenant = two_tenants.a
    _, username = await make_user(Role.OPERATOR, tenant)
    _, stranger = await make_user(Role.TENANT_ADMIN, tenant)
    mine = await sign_in(app_client, username)
    theirs = await sign_in(app_client, stranger)
    ws = await open_socket(live_server, tenant.slug, mine["access_token"])
    async with ws:
        await ws.send(json.dumps({"type": "ping", "payload": bearer(theirs["access_token"])}))
        code, _ = await closed_with(ws)
    assert code == 4403
    ws = await open_socket(live_server, tenant.slug, mine["access_token"])
    async with ws:
        await ws.send(json.dumps({"type": "ping", "payload": bearer("garbage")}))
        code, reason = await closed_with(ws)
    assert (code, reason) == (4401, "Unauthorized: the access token is invalid")
    # A plain ping is still a ping.
    ws = await open_socket(live_server, tenant.slug, mine["access_token"])
    async with ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), SOCKET_WAIT))["type"] == "pong"


async def test_an_announced_key_revocation_closes_its_socket(
    app_client, live_server, settings, two_tenants
):
    """What the API-key administration calls: announce("apikey", id) in the revoking
    transaction closes the key's sockets at once."""
    from jogo.platform import db
    from jogo.platform.auth.apikeys import create_api_key
    from jogo.platform.auth.revocation import announce

    tenant = two_tenants.a
    key = await create_api_key(tenant, "Sistem kota", ["reports:read"], "pytest")
    kept = await create_api_key(tenant, "Dasbor", ["reports:read"], "pytest")
    ws = await open_socket(live_server, tenant.slug, key.key)
    ws_kept = await open_socket(live_server, tenant.slug, kept.key)
    async with ws, ws_kept:
        await subscribe(ws, EVENTS)
        async with db.control_tx():
            await db.fetch("UPDATE api_keys SET revoked_at = now() WHERE id = $1", key.id)
            await announce("apikey", key.id)
        code, reason = await closed_with(ws)
        await ws_kept.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws_kept.recv(), SOCKET_WAIT))["type"] == "pong"
    assert (code, reason) == (4401, "Unauthorized: the API key has been revoked")
    with pytest.raises(ValueError):
        await announce("sheriff", key.id)


async def test_logout_with_a_token_that_is_no_refresh_token_is_a_401(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    _, username = await make_user(Role.CITIZEN, tenant)
    signed = await sign_in(app_client, username)
    forged = "jrt_" + "A" * 43  # our prefix, but no session has it
    for token in ("not-a-refresh-token", "jrt_" + "x" * 200, forged):
        response = await app_client.post("/auth/logout", json={"refresh_token": token})
        assert response.status_code == 401, (token, response.text)
        assert "the refresh token is invalid" in response.text
    # None of them ended the real session.
    assert await me_status(app_client, tenant.slug, signed["access_token"]) == 200
    logouts = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.logout' AND actor = $1", username
    )
    assert logouts == 0
