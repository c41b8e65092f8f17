"""The live feed's own re-checks (issue 15, item 6): a running ``reportEvents``
subscription whose caller stops being valid while it runs ends, as platform/app/ws.py
and graphql/reports/subscriptions.py document:

- a token that expires ends the feed the moment it expires, with the typed error HTTP
  would give (``UNAUTHENTICATED``), then ``complete``; the next operation on the socket
  closes it, 4401 ``Unauthorized: the access token has expired``;
- a suspended tenant's socket is closed at once (4403): the suspension is announced
  with ``FORBIDDEN``; the next operation closes the socket, 4403; another tenant's feed
  goes on;
- an API key revoked is announced at commit and closes the socket at once, 4401
  ``Unauthorized: the API key has been revoked``.

Each test first proves the feed delivers an event to this caller, then revokes."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
import websockets
from helpers import auth_header, gql, make_user, submit, wait_for_listeners

from jogo.graphql.reports.subscriptions import RECHECK_SECONDS
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.tenants.onboarding.actions import do_set_tenant_status

EVENTS = "subscription { reportEvents { ticket status } }"
WAIT = 10.0


async def _feed(server: str, slug: str, init: dict[str, str], tenant_id: uuid.UUID) -> Any:
    """A socket with ``reportEvents`` running and listening; returns (socket, op id)."""
    from helpers import live_listeners

    ws = await websockets.connect(
        f"ws://{server}/t/{slug}/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": init}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert ack["type"] == "connection_ack", ack
    op_id = uuid.uuid4().hex
    before = live_listeners(tenant_id)
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": EVENTS}}))
    await wait_for_listeners(before + 1, tenant_id)
    return ws, op_id


async def _next_ticket(ws: Any, op_id: str) -> str:
    message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert (message["id"], message["type"]) == (op_id, "next"), message
    ticket: str = message["payload"]["data"]["reportEvents"]["ticket"]
    return ticket


async def _closed(ws: Any, within: float) -> tuple[int, str, list[dict[str, Any]]]:
    """Wait for the server to close the socket; the code, reason and what came first."""
    seen: list[dict[str, Any]] = []
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(within):
            while True:
                seen.append(json.loads(await ws.recv()))
    frame = closed.value.rcvd
    assert frame is not None, "the client, not the server, ended the socket"
    return frame.code, frame.reason, seen


async def _ends(ws: Any, op_id: str, within: float) -> list[dict[str, Any]]:
    """Messages of the operation until it ends (an error or complete message, or the
    socket closing); fails at the deadline."""
    seen: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(within):
            while True:
                message = json.loads(await ws.recv())
                seen.append(message)
                if message.get("id") == op_id and message["type"] in ("error", "complete"):
                    return seen
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd is not None, "the client, not the server, ended the socket"
        seen.append({"closed": (closed.rcvd.code, closed.rcvd.reason)})
    return seen


def ended_with(op_id: str, code: str, message: str) -> list[dict[str, Any]]:
    """How a feed ends when its own re-check fails: one result carrying the typed error
    (the HTTP status's code), then ``complete``."""
    error = {"message": message, "extensions": {"code": code}}
    return [
        {"id": op_id, "type": "next", "payload": {"data": None, "errors": [error]}},
        {"id": op_id, "type": "complete"},
    ]


async def _refused(ws: Any) -> tuple[int, str]:
    """Start another operation: the socket's check before it closes the socket."""
    op_id = uuid.uuid4().hex
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": EVENTS}}))
    code, reason, seen = await _closed(ws, WAIT)
    assert seen == [], seen
    return code, reason


async def test_a_feed_whose_api_key_is_revoked_is_closed_at_once(
    app_client, live_server, settings, two_tenants
):
    a = two_tenants.a
    key = await create_api_key(a, "Dasbor kota", ["reports:read"], "pytest")
    ws, op_id = await _feed(live_server, a.slug, {"X-API-Key": key.key}, a.id)
    async with ws:
        sent = await submit(app_client, a.slug, anonymous=True)
        assert await _next_ticket(ws, op_id) == sent["report"]["ticket"]
        admin = await auth_header(settings, Role.TENANT_ADMIN, a)
        revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { errors { code } } }"
        _, body = await gql(app_client, f"/t/{a.slug}/graphql", revoke, admin, id=str(key.id))
        assert body["data"]["revokeApiKey"]["errors"] == [], body
        code, reason, seen = await _closed(ws, WAIT)
    assert (code, reason) == (4401, "Unauthorized: the API key has been revoked")
    assert seen == []


async def test_a_feed_whose_tenant_is_suspended_is_closed_at_once_and_another_goes_on(
    app_client, live_server, settings, two_tenants
):
    """Suspension is announced at commit like a revocation: A's socket closes within
    WAIT (well before the periodic re-check), B's feed carries on."""
    a, b = two_tenants.a, two_tenants.b
    operator_a = await auth_header(settings, Role.OPERATOR, a)
    operator_b = await auth_header(settings, Role.OPERATOR, b)
    ws_a, op_a = await _feed(live_server, a.slug, operator_a, a.id)
    ws_b, op_b = await _feed(live_server, b.slug, operator_b, b.id)
    assert WAIT < RECHECK_SECONDS
    async with ws_a, ws_b:
        sent = await submit(app_client, a.slug, anonymous=True)
        assert await _next_ticket(ws_a, op_a) == sent["report"]["ticket"]
        await do_set_tenant_status(a.slug, "SUSPENDED", actor=("pytest", "system"))
        code, reason, seen = await _closed(ws_a, WAIT)
        # B's feed still delivers, after A's closed.
        theirs = await submit(app_client, b.slug, anonymous=True)
        assert await _next_ticket(ws_b, op_b) == theirs["report"]["ticket"]
    assert seen == [], seen
    assert (code, reason) == (4403, "Forbidden: this command's service is suspended")


async def test_a_feed_ends_when_its_token_expires(app_client, live_server, settings, two_tenants):
    a = two_tenants.a
    user_id, username = await make_user(Role.OPERATOR, a)
    token = issue_token(user_id, username, settings.secret_key, ttl_seconds=8).token
    ws, op_id = await _feed(live_server, a.slug, {"Authorization": f"Bearer {token}"}, a.id)
    async with ws:
        sent = await submit(app_client, a.slug, anonymous=True)
        assert await _next_ticket(ws, op_id) == sent["report"]["ticket"]
        ended = await _ends(ws, op_id, 8 + WAIT)
        # The socket stays, and the next operation on it is refused by closing it.
        code, reason = await _refused(ws)
    assert ended == ended_with(op_id, "UNAUTHENTICATED", "the access token has expired"), ended
    assert (code, reason) == (4401, "Unauthorized: the access token has expired")
