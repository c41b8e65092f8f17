"""Issue 14 attack follow-ups: a person deactivated everywhere gets no credentials by any
path (sign-in, refresh, a one-time code issued before, a password change), while people
who still belong somewhere (another command, a national role, a citizen) keep working;
deactivation is idempotent, also under parallel calls; and a socket's ``ping`` checks
credentials of either form (``Authorization`` or ``X-API-Key``) the same way."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from helpers import (
    CREATE_MEMBER,
    DEACTIVATE,
    PASSWORD,
    RESET,
    auth_header,
    bearer,
    bearer_for,
    closed_with,
    make_user,
    open_socket,
    redeem,
    refresh,
    run_as,
    sign_in,
)

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.login import FAILED_USERNAME
from jogo.platform.auth.roles import Role
from jogo.platform.auth.users import create_user

WAIT = 5.0


async def _deactivate(client: Any, tenant: Any, admin: dict, user_id: Any) -> Any:
    done = await run_as(client, tenant.slug, admin, DEACTIVATE, u=str(user_id))
    assert done["errors"] == [], done
    assert done["member"]["status"] == "DEACTIVATED", done
    return done


async def _token(client: Any, username: str, password: str = PASSWORD) -> Any:
    return await client.post("/auth/token", json={"username": username, "password": password})


async def _sessions(owner: Any, user_id: Any) -> int:
    count: int = await owner.fetchval(
        "SELECT count(*) FROM auth_sessions WHERE user_id = $1", user_id
    )
    return count


async def test_a_deactivated_person_signs_in_like_a_wrong_password(
    app_client, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    user_id, username = await make_user(Role.OPERATOR, a)
    _, other = await make_user(Role.OPERATOR, a)
    wrong = await _token(app_client, other, "not the password at all")
    await _deactivate(app_client, a, admin, user_id)
    logins = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND target = $1",
        f"user:{username}",
    )
    signed = await _token(app_client, username)
    assert (signed.status_code, signed.json()) == (wrong.status_code, wrong.json())
    assert signed.status_code == 401
    assert await _sessions(owner, user_id) == 0
    assert logins == await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND target = $1",
        f"user:{username}",
    )
    # Counted as a failure, as a wrong password is.
    assert await FAILED_USERNAME.recent(username) == 1


async def test_a_deactivated_persons_refresh_token_is_refused(app_client, settings, two_tenants):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    user_id, username = await make_user(Role.OPERATOR, a)
    signed = await sign_in(app_client, username)
    await _deactivate(app_client, a, admin, user_id)
    r = await refresh(app_client, signed["refresh_token"])
    assert r.status_code == 401, r.text


async def test_a_deactivated_person_cannot_change_the_password(
    app_client, settings, two_tenants, owner
):
    """Even with an access token that names no session (so none could be ended)."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    user_id, username = await make_user(Role.OPERATOR, a)
    token = bearer_for(user_id, username, settings)
    await _deactivate(app_client, a, admin, user_id)
    before = await owner.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
    r = await app_client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=token,
    )
    assert r.status_code == 401, r.text
    assert await owner.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id) == before


async def test_codes_issued_before_deactivation_set_no_password(
    app_client, settings, two_tenants, owner
):
    """An activation code and a reset code, each issued before the person was
    deactivated, answer 401 like an invalid code; so does a code of a command that
    deactivated the person when they still belong to another command."""
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    garbage = await redeem(app_client, "jpc_" + "x" * 43)
    assert garbage.status_code == 401

    async def new_member(name: str) -> tuple[str, str]:
        made = await run_as(
            app_client, a.slug, admin, CREATE_MEMBER, i={"username": name, "role": "OPERATOR"}
        )
        assert made["errors"] == [], made
        return made["member"]["id"], made["activationCode"]

    pending, activation = await new_member("kept.pending")
    await _deactivate(app_client, a, admin, pending)
    refused = await redeem(app_client, activation)
    assert (refused.status_code, refused.json()) == (401, garbage.json())

    active, first = await new_member("kept.active")
    assert (await redeem(app_client, first)).status_code == 200
    reset = await run_as(app_client, a.slug, admin, RESET, u=active)
    assert reset["errors"] == [], reset
    await _deactivate(app_client, a, admin, active)
    refused = await redeem(app_client, reset["code"])
    assert (refused.status_code, refused.json()) == (401, garbage.json())

    # Belongs to B too: deactivation in A leaves their codes, but A's code is A's.
    both, code = await new_member("kept.both")
    await owner.execute(
        "INSERT INTO memberships (user_id, tenant, role) VALUES ($1::uuid, $2, 'operator')",
        both,
        b.id,
    )
    await _deactivate(app_client, a, admin, both)
    refused = await redeem(app_client, code)
    assert (refused.status_code, refused.json()) == (401, garbage.json())
    hashes = await owner.fetchval(
        "SELECT count(*) FROM users WHERE id = ANY($1::uuid[]) AND password_hash IS NOT NULL",
        [pending, both],
    )
    assert hashes == 0


async def test_people_who_still_belong_somewhere_keep_signing_in(
    app_client, settings, two_tenants, owner
):
    """Deactivated in A but a member of B, or holding a national role (a membership with
    no tenant): they sign in and change their password. Citizens (a membership with role
    citizen) and platform admins sign in as before."""
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    in_b, in_b_name = await make_user(Role.OPERATOR, a)
    await owner.execute(
        "INSERT INTO memberships (user_id, tenant, role) VALUES ($1, $2, 'officer')", in_b, b.id
    )
    national = await create_user(
        "kept.national", PASSWORD, Role.OPERATOR, tenant=a, also=[Role.NATIONAL_SUPERVISOR]
    )
    for user_id in (in_b, national):
        await _deactivate(app_client, a, admin, user_id)
    _, citizen = await make_user(Role.CITIZEN, a)
    _, platform = await make_user(Role.PLATFORM_ADMIN)
    for name in (in_b_name, "kept.national", citizen, platform):
        signed = await sign_in(app_client, name)
        r = await app_client.post(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
            headers=bearer(signed["access_token"]),
        )
        assert r.status_code == 200, (name, r.text)
        assert (await refresh(app_client, signed["refresh_token"])).status_code == 200


async def test_parallel_deactivations_are_one(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    user_id, _ = await make_user(Role.OPERATOR, a)
    answers = await asyncio.gather(
        *(run_as(app_client, a.slug, admin, DEACTIVATE, u=str(user_id)) for _ in range(12))
    )
    for done in answers:
        assert done["errors"] == [], done
        assert done["member"]["status"] == "DEACTIVATED", done
        assert done["member"]["roles"] == ["OPERATOR"], done
    again = await _deactivate(app_client, a, admin, user_id)  # later: the same answer
    assert again["member"] == answers[0]["member"]
    rows = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'user.deactivate' AND target = $1",
        f"user:{user_id}",
    )
    assert rows == 1
    # Never a member here (another command's, or no one): NOT_FOUND, as before.
    theirs, _ = await make_user(Role.OPERATOR, b)
    for target in (theirs, "00000000-0000-4000-8000-000000000000"):
        done = await run_as(app_client, a.slug, admin, DEACTIVATE, u=str(target))
        assert [e["code"] for e in done["errors"]] == ["NOT_FOUND"], done
        assert done["member"] is None


async def _ping(ws: Any, payload: Any) -> None:
    await ws.send(json.dumps({"type": "ping", "payload": payload}))


async def _pong(ws: Any) -> None:
    answer = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert answer["type"] == "pong", answer


async def test_a_ping_checks_credentials_of_either_form(
    app_client, live_server, settings, two_tenants
):
    a = two_tenants.a
    key = await create_api_key(a, "Sistem kota", ["reports:read"], "pytest")
    other = await create_api_key(a, "Dasbor", ["reports:read"], "pytest")
    _, username = await make_user(Role.OPERATOR, a)
    signed = await sign_in(app_client, username)
    user = signed["access_token"]
    cases: list[tuple[str, Any, int | None]] = [
        # the key's own socket
        (key.key, {"X-API-Key": key.key}, None),
        (key.key, {"x-api-key": key.key}, None),
        (key.key, {"Authorization": f"Bearer {key.key}"}, None),
        (key.key, {"X-API-Key": other.key}, 4403),
        (key.key, bearer(user), 4403),
        (key.key, {"X-API-Key": "jogo_not_a_real_key"}, 4401),
        (key.key, {"X-API-Key": 5}, 4401),
        (key.key, {"X-API-Key": ""}, 4401),
        # a user's socket
        (user, bearer(user), None),
        (user, {"authorization": f"Bearer {user}"}, None),
        (user, {"X-API-Key": key.key}, 4403),
        (user, {"X-API-Key": "jogo_not_a_real_key"}, 4401),
        (user, {"X-API-Key": user}, 4401),  # a token is no API key
        (user, {"Authorization": f"Bearer {user}", "X-API-Key": key.key}, 4401),
        # no credentials: a plain pong
        (user, {}, None),
        (user, {"note": "hi"}, None),
        (key.key, {"Authorization": None}, None),
    ]
    for opened_with, payload, closes in cases:
        ws = await open_socket(live_server, a.slug, opened_with)
        async with ws:
            await _ping(ws, payload)
            if closes is None:
                await _pong(ws)
                continue
            code, _ = await closed_with(ws)
        assert code == closes, (payload, code)
