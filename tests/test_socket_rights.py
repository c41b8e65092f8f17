"""Issue 12, part 4: a socket is a series of requests. Every operation on an open
graphql-transport-ws connection is authorised as the same HTTP request would be at that
moment; a caller who is no longer valid has the socket closed (4401 bad credential,
4403 valid credential that may no longer use this tenant). Real server, real client."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import jwt
import pytest
import websockets
from helpers import NOTE, REJECT, auth_header, bearer_for, gql, make_user, submit

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.tenants.onboarding.actions import do_set_tenant_status

REPORTER = "query($id: ID!) { report(id: $id) { ticket reporter { name phone } } }"
# What the citizen gave, and the phone as the product stores it (E.164).
REPORTER_NAME, REPORTER_PHONE, REPORTER_E164 = "Siti Aminah", "0812-3456-7890", "+6281234567890"
WAIT = 5.0


async def _open(server: str, slug: str, authorization: str | None) -> Any:
    """A socket on the tenant's GraphQL path, past connection_init/connection_ack."""
    ws = await websockets.connect(
        f"ws://{server}/t/{slug}/graphql", subprotocols=["graphql-transport-ws"]
    )
    payload = {"Authorization": authorization} if authorization else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert ack["type"] == "connection_ack", ack
    return ws


async def _send(ws: Any, query: str, **variables: Any) -> str:
    op_id = uuid.uuid4().hex
    message = {"query": query, "variables": variables or None}
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": message}))
    return op_id


async def _result(ws: Any, op_id: str) -> dict[str, Any]:
    """The one result of a query or mutation, as the HTTP body would hold it."""
    first = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert first["id"] == op_id, first
    if first["type"] == "error":
        return {"errors": first["payload"]}
    assert first["type"] == "next", first
    done = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert done == {"id": op_id, "type": "complete"}, done
    payload: dict[str, Any] = first["payload"]
    return payload


async def _run(ws: Any, query: str, **variables: Any) -> dict[str, Any]:
    return await _result(ws, await _send(ws, query, **variables))


async def _closed(ws: Any, query: str, **variables: Any) -> tuple[int, str]:
    """Send an operation that must be refused: the socket closes and nothing answers.
    A socket the server already closed (a suspension is announced at once) refuses the
    send itself, with the server's close frame."""
    try:
        await _send(ws, query, **variables)
    except websockets.ConnectionClosed as exc:
        assert exc.rcvd is not None, "the client, not the server, ended the socket"
        return exc.rcvd.code, exc.rcvd.reason
    with pytest.raises(websockets.ConnectionClosed) as closed:
        answer = await asyncio.wait_for(ws.recv(), WAIT)
        pytest.fail(f"the operation ran on the socket: {answer}")
    frame = closed.value.rcvd
    assert frame is not None
    return frame.code, frame.reason


async def _note_count(owner: Any, report_id: str) -> int:
    count: int = await owner.fetchval(
        "SELECT count(*) FROM report_events WHERE report_id = $1::uuid AND kind = 'NOTE'",
        report_id,
    )
    return count


async def _citizen_report(app_client: Any, settings: Any, tenant: Any) -> dict[str, Any]:
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    created = await submit(
        app_client, tenant.slug, citizen, reporterName=REPORTER_NAME, reporterPhone=REPORTER_PHONE
    )
    report: dict[str, Any] = created["report"]
    return report


async def test_an_expired_token_reads_nothing_more(app_client, live_server, settings, two_tenants):
    a = two_tenants.a
    report = await _citizen_report(app_client, settings, a)
    user_id, username = await make_user(Role.OPERATOR, a)
    token = issue_token(user_id, username, settings.secret_key, ttl_seconds=2).token
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    ws = await _open(live_server, a.slug, f"Bearer {token}")
    async with ws:
        seen = await _run(ws, REPORTER, id=report["id"])
        assert seen["data"]["report"]["reporter"] == {
            "name": REPORTER_NAME,
            "phone": REPORTER_E164,
        }
        await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.1)  # the token's own TTL
        status, _ = await gql(
            app_client,
            f"/t/{a.slug}/graphql",
            REPORTER,
            {"Authorization": f"Bearer {token}"},
            id=report["id"],
        )
        assert status == 401  # over HTTP, at this moment
        code, reason = await _closed(ws, REPORTER, id=report["id"])
    assert code == 4401
    assert reason == "Unauthorized: the access token has expired"


async def test_a_revoked_api_key_writes_nothing_more(
    app_client, live_server, settings, two_tenants, owner
):
    a = two_tenants.a
    report = await _citizen_report(app_client, settings, a)
    key = await create_api_key(a, "Sistem kota", ["reports:write"], "pytest")
    ws = await _open(live_server, a.slug, f"Bearer {key.key}")
    async with ws:
        done = await _run(ws, NOTE, id=report["id"], n="catatan pertama", p=False)
        assert done["data"]["addReportNote"]["errors"] == [], done
        assert await _note_count(owner, report["id"]) == 1
        await owner.execute("UPDATE api_keys SET revoked_at = now() WHERE id = $1", key.id)
        status, _ = await gql(
            app_client,
            f"/t/{a.slug}/graphql",
            NOTE,
            {"Authorization": f"Bearer {key.key}"},
            id=report["id"],
            n="lewat HTTP",
            p=False,
        )
        assert status == 401
        code, reason = await _closed(ws, NOTE, id=report["id"], n="catatan kedua", p=True)
    assert (code, reason) == (4401, "Unauthorized: the API key has been revoked")
    assert await _note_count(owner, report["id"]) == 1


async def test_a_removed_membership_rejects_nothing(
    app_client, live_server, settings, two_tenants, owner
):
    a = two_tenants.a
    report = await _citizen_report(app_client, settings, a)
    user_id, username = await make_user(Role.OPERATOR, a)
    headers = bearer_for(user_id, username, settings)
    ws = await _open(live_server, a.slug, headers["Authorization"])
    async with ws:
        me = await _run(ws, "{ me { kind roles } }")
        assert me["data"]["me"] == {"kind": "user", "roles": ["operator"]}, me
        await owner.execute("DELETE FROM memberships WHERE user_id = $1", user_id)
        status, _ = await gql(
            app_client, f"/t/{a.slug}/graphql", REJECT, headers, id=report["id"], r="spam"
        )
        assert status == 404  # as for a stranger
        code, reason = await _closed(ws, REJECT, id=report["id"], r="bukan laporan")
    assert (code, reason) == (4403, "Forbidden: the membership has ended")
    status = await owner.fetchval("SELECT status FROM reports WHERE id = $1::uuid", report["id"])
    assert status == "SUBMITTED"


async def test_a_suspended_tenant_takes_no_more_writes(
    app_client, live_server, settings, two_tenants, owner
):
    a, b = two_tenants.a, two_tenants.b
    report_a = await _citizen_report(app_client, settings, a)
    report_b = await _citizen_report(app_client, settings, b)
    a_operator = await auth_header(settings, Role.OPERATOR, a)
    b_operator = await auth_header(settings, Role.OPERATOR, b)
    ws_a = await _open(live_server, a.slug, a_operator["Authorization"])
    ws_b = await _open(live_server, b.slug, b_operator["Authorization"])
    async with ws_a, ws_b:
        done = await _run(ws_a, NOTE, id=report_a["id"], n="sebelum", p=False)
        assert done["data"]["addReportNote"]["errors"] == [], done
        await do_set_tenant_status(a.slug, "SUSPENDED", actor=("pytest", "system"))
        status, _ = await gql(
            app_client, f"/t/{a.slug}/graphql", NOTE, a_operator, id=report_a["id"], n="x", p=False
        )
        assert status == 403
        code, reason = await _closed(ws_a, NOTE, id=report_a["id"], n="sesudah", p=True)
        # The other tenant's socket goes on.
        other = await _run(ws_b, NOTE, id=report_b["id"], n="tetap jalan", p=False)
        assert other["data"]["addReportNote"]["errors"] == [], other
    assert (code, reason) == (4403, "Forbidden: this command's service is suspended")
    assert await _note_count(owner, report_a["id"]) == 1
    assert await _note_count(owner, report_b["id"]) == 1


async def test_a_changed_role_applies_to_the_next_operation(
    app_client, live_server, settings, two_tenants, owner
):
    a = two_tenants.a
    report = await _citizen_report(app_client, settings, a)
    user_id, username = await make_user(Role.OPERATOR, a)
    headers = bearer_for(user_id, username, settings)
    ws = await _open(live_server, a.slug, headers["Authorization"])
    async with ws:
        seen = await _run(ws, REPORTER, id=report["id"])
        assert seen["data"]["report"]["reporter"]["name"] == REPORTER_NAME
        await owner.execute("UPDATE memberships SET role = 'citizen' WHERE user_id = $1", user_id)
        _, over_http = await gql(
            app_client, f"/t/{a.slug}/graphql", REJECT, headers, id=report["id"], r="spam"
        )
        on_socket = await _run(ws, REJECT, id=report["id"], r="spam")
        # The same answer; only ``extensions.cost`` differs (each spent the same budget).
        assert {**on_socket, "extensions": None} == {**over_http, "extensions": None}
        refused = on_socket["data"]["rejectReport"]
        assert refused["report"] is None, on_socket
        assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"], on_socket
        me = await _run(ws, "{ me { roles } }")  # still connected, now as a citizen
        assert me["data"]["me"]["roles"] == ["citizen"]
    status = await owner.fetchval("SELECT status FROM reports WHERE id = $1::uuid", report["id"])
    assert status == "SUBMITTED"


async def test_a_valid_caller_keeps_working(app_client, live_server, settings, two_tenants, owner):
    a = two_tenants.a
    report = await _citizen_report(app_client, settings, a)
    operator = await auth_header(settings, Role.OPERATOR, a)
    ws = await _open(live_server, a.slug, operator["Authorization"])
    async with ws:
        for i in range(15):  # one after another
            seen = await _run(ws, REPORTER, id=report["id"])
            assert seen["data"]["report"]["reporter"]["phone"] == REPORTER_E164, seen
            done = await _run(ws, NOTE, id=report["id"], n=f"catatan {i}", p=False)
            assert done["data"]["addReportNote"]["errors"] == [], done
        # ... and ten at once, each answered under its own id.
        sent = [
            await _send(ws, NOTE, id=report["id"], n=f"serentak {i}", p=False) for i in range(10)
        ]
        answers: dict[str, dict[str, Any]] = {}
        while len(answers) < len(sent) * 2:
            message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            answers[f"{message['id']}:{message['type']}"] = message
        for op_id in sent:
            assert answers[f"{op_id}:next"]["payload"]["data"]["addReportNote"]["errors"] == []
            assert f"{op_id}:complete" in answers
    assert await _note_count(owner, report["id"]) == 25


async def test_another_tenants_credentials_are_refused(
    app_client, live_server, settings, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    b_operator = await auth_header(settings, Role.OPERATOR, b)
    b_key = await create_api_key(b, "Sistem kota", ["reports:write"], "pytest")
    for credential in (b_operator["Authorization"], f"Bearer {b_key.key}"):
        status, _ = await gql(
            app_client, f"/t/{a.slug}/graphql", "{ me { kind } }", {"Authorization": credential}
        )
        assert status == 404  # over HTTP: as if the tenant did not exist
        async with await websockets.connect(
            f"ws://{live_server}/t/{a.slug}/graphql", subprotocols=["graphql-transport-ws"]
        ) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": credential}}
            await ws.send(json.dumps(init))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), WAIT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    # The upgrade's header: this tenant's caller, then another tenant's in connection_init.
    a_operator = await auth_header(settings, Role.OPERATOR, a)
    async with await websockets.connect(
        f"ws://{live_server}/t/{a.slug}/graphql",
        subprotocols=["graphql-transport-ws"],
        additional_headers=a_operator,
    ) as ws:
        init = {
            "type": "connection_init",
            "payload": {"Authorization": b_operator["Authorization"]},
        }
        await ws.send(json.dumps(init))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_socket_errors_carry_the_same_codes_as_http(
    live_server, app_client, settings, two_tenants
):
    """A refused field and a bad argument read the same on the socket as over HTTP:
    null plus an error at its path, with ``extensions.code``."""
    tenant = two_tenants.a
    citizen = bearer_for(*await make_user(Role.CITIZEN, tenant), settings)
    report = (await submit(app_client, tenant.slug, citizen))["report"]
    _, over_http = await gql(
        app_client, f"/t/{tenant.slug}/graphql", REPORTER, citizen, id=report["id"]
    )
    ws = await _open(live_server, tenant.slug, citizen["Authorization"])
    try:
        on_socket = await _run(ws, REPORTER, id=report["id"])
        bad = await _run(ws, '{ reports(first: 3, after: "x") { edges { node { ticket } } } }')
    finally:
        await ws.close()
    assert on_socket["data"]["report"]["ticket"] == report["ticket"]
    assert on_socket["data"]["report"]["reporter"] is None
    codes = [e["extensions"]["code"] for e in on_socket["errors"]]
    assert codes == [e["extensions"]["code"] for e in over_http["errors"]] == ["FORBIDDEN"]
    assert on_socket["errors"][0]["path"] == ["report", "reporter"]
    assert [e["extensions"]["code"] for e in bad["errors"]] == ["INVALID_INPUT"], bad


@pytest.mark.parametrize(
    "query",
    [
        "{ categories( ",  # a syntax error
        "{ categories { code } " + "a: __typename " * 1200 + "}",  # over the token limit
        "subscription { nope }",  # a field the schema lacks
    ],
    ids=["syntax", "tokens", "unknown-field"],
)
async def test_a_broken_document_on_the_socket_is_an_error_not_silence(
    live_server, settings, two_tenants, query
):
    tenant = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    ws = await _open(live_server, tenant.slug, operator["Authorization"])
    try:
        answer = await _run(ws, query)
        fine = await _run(ws, "{ categories { code } }")
    finally:
        await ws.close()
    assert answer["errors"], answer
    assert all(e["extensions"]["code"] == "INVALID_INPUT" for e in answer["errors"]), answer
    assert fine["data"]["categories"], fine


async def test_a_socket_message_is_bounded_like_an_http_body(live_server, settings, two_tenants):
    """HTTP refuses a body over 256 KiB; a socket message of that size closes the socket
    (1009, message too big) instead of being parsed."""
    tenant = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    ws = await _open(live_server, tenant.slug, operator["Authorization"])
    padding = "x" * (300 * 1024)
    await ws.send(
        json.dumps(
            {
                "id": "big",
                "type": "subscribe",
                "payload": {"query": "{ categories { code } }", "variables": {"pad": padding}},
            }
        )
    )
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
