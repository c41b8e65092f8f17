"""Attacks on issue 21 part 6, staff TOTP sign-in: bypasses, replays, brute force,
enumeration, cross-tenant policy, malformed input, and the browser flow."""

from __future__ import annotations

import asyncio
import time

import pyotp
from helpers import (
    PASSWORD,
    bearer_for,
    fresh_client,
    gql,
    make_user,
    proxied_app,
)

from jogo.platform.auth import login
from jogo.platform.auth.roles import Role

ME = """{ me { name twoFactor { enabled required recoveryCodesLeft }
  securityEvents { kind client } } }"""


def steady_step() -> int:
    """The current 30-second step with at least 5 seconds of it left."""
    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.1)
    return int(time.time() // 30)


async def password(client, username, headers, ua="attack-agent"):
    return await client.post(
        "/auth/token",
        json={"username": username, "password": PASSWORD},
        headers={**headers, "User-Agent": ua},
    )


async def challenge_of(client, username, headers) -> dict:
    answer = await password(client, username, headers)
    assert answer.status_code == 200, answer.text
    assert "access_token" not in answer.json(), answer.text
    return answer.json()


async def second(client, challenge, code, headers, path="/auth/token/second-factor"):
    return await client.post(path, json={"challenge": challenge, "code": code}, headers=headers)


async def enrolled(client, settings, tenant, role=Role.OPERATOR, headers=None):
    """A user with TOTP on: (user_id, username, TOTP, recovery codes, the step used)."""
    user_id, username = await make_user(role, tenant)
    auth = bearer_for(user_id, username, settings)
    started = await client.post("/auth/totp/enrol", headers={**auth, **(headers or {})})
    assert started.status_code == 200, started.text
    totp = pyotp.TOTP(started.json()["secret"])
    step = steady_step()
    confirmed = await client.post(
        "/auth/totp/confirm", json={"code": totp.generate_otp(step)}, headers=auth
    )
    assert confirmed.status_code == 200, confirmed.text
    return user_id, username, totp, confirmed.json()["recovery_codes"], step


def code_of(response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def test_a_challenge_is_no_bearer_token_anywhere(settings, two_tenants):
    tenant = two_tenants.a
    async with proxied_app(settings) as client:
        here = fresh_client()
        _, username, _, _, _ = await enrolled(client, settings, tenant, headers=here)
        pending = (await challenge_of(client, username, here))["challenge"]
        bearer = {"Authorization": f"Bearer {pending}"}
        status, body = await gql(client, f"/t/{tenant.slug}/graphql", ME, bearer)
        assert status == 401, body
        for path in ("/national/graphql", "/platform/graphql"):
            status, body = await gql(client, path, "{ me { name } }", bearer)
            assert status == 401, (path, body)
        for path, payload in (
            ("/auth/totp/enrol", None),
            ("/auth/totp/confirm", {"code": "123456"}),
            ("/auth/totp/recovery-codes", {"code": "123456"}),
            ("/auth/password", {"current_password": PASSWORD, "new_password": "x" * 12}),
            ("/auth/refresh", {"refresh_token": pending}),
            ("/auth/logout", {"refresh_token": pending}),
        ):
            answer = await client.post(path, json=payload, headers={**bearer, **here})
            assert answer.status_code == 401, (path, answer.text)
        # A TOTP challenge does not start an enrolment either (that would reset nothing,
        # but it is no enrolment-only session).
        answer = await client.post("/auth/totp/enrol", json={"challenge": pending})
        assert answer.status_code == 401, answer.text


async def test_an_enrol_challenge_only_enrols(settings, two_tenants):
    tenant = two_tenants.b
    admin = bearer_for(*await make_user(Role.TENANT_ADMIN, tenant), settings)
    _, operator = await make_user(Role.OPERATOR, tenant)
    async with proxied_app(settings) as client:
        here = fresh_client()
        status, body = await gql(
            client,
            f"/t/{tenant.slug}/graphql",
            "mutation { setStaffTwoFactorRequired(required: true) { errors { code } } }",
            admin,
        )
        assert status == 200 and body["data"]["setStaffTwoFactorRequired"]["errors"] == [], body
        answer = await challenge_of(client, operator, here)
        assert answer["second_factor"] == "enrol"
        pending = answer["challenge"]
        bearer = {"Authorization": f"Bearer {pending}"}
        status, body = await gql(client, f"/t/{tenant.slug}/graphql", ME, bearer)
        assert status == 401, body
        for path in ("/auth/totp/confirm", "/auth/totp/recovery-codes"):
            answer = await client.post(path, json={"code": "123456"}, headers=bearer)
            assert answer.status_code == 401, (path, answer.text)
        # Without an enrolment started, no code completes it.
        refused = await second(client, pending, "123456", here)
        assert refused.status_code in (400, 401), refused.text


async def test_malformed_codes_and_bodies_are_refused_not_500(settings, two_tenants):
    tenant = two_tenants.a
    async with proxied_app(settings) as client:
        here = fresh_client()
        user_id, username, totp, _, step = await enrolled(client, settings, tenant, headers=here)
        auth = bearer_for(user_id, username, settings)
        pending = (await challenge_of(client, username, here))["challenge"]
        # Each is a wrong guess, counted (fewer than the limit here).
        for code in (
            "١٢٣٤٥٦",  # Arabic-Indic digits: str.isdigit() says yes
            "¹²³⁴⁵⁶",
            "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth
            "1234567",
            " \t ",
            "\u0000" * 6,
            "9" * 100_000,
            "ß" * 8,
        ):
            answer = await second(client, pending, code, here)
            assert answer.status_code == 401, (code[:10], answer.status_code, answer.text[:200])
            for path in ("/auth/totp/confirm", "/auth/totp/recovery-codes"):
                answer = await client.post(path, json={"code": code}, headers=auth)
                assert answer.status_code in (400, 409, 429), (path, code[:10], answer.text[:200])
        for body in (
            b"",
            b"null",
            b"[]",
            b'"x"',
            b"{",
            b'{"challenge": 1, "code": "123456"}',
            b'{"challenge": "jch_x", "code": 123456}',
            b'{"challenge": "jch_x"}',
            b'{"challenge": "jch_x", "code": "1", "extra": 1}',
            b'{"challenge": "\\ud800", "code": "\\ud800"}',
            b'{"challenge": "' + b"a" * 1_000_000 + b'", "code": "1"}',
        ):
            for path in ("/auth/token/second-factor", "/auth/totp/enrol"):
                answer = await client.post(
                    path, content=body, headers={**here, "Content-Type": "application/json"}
                )
                assert answer.status_code in (400, 401, 413), (path, body[:40], answer.text[:200])
        # The right code still works afterwards (the malformed ones were counted, not locked).
        assert await login.FAILED_USERNAME.recent(username) < login.BY_USERNAME.limit
        ok = await second(client, pending, totp.generate_otp(step + 1), here)
        assert ok.status_code == 200, ok.text


async def test_clock_skew_one_step_either_side_only(settings, two_tenants):
    async with proxied_app(settings) as client:
        here = fresh_client()
        _, username, totp, _, step = await enrolled(client, settings, two_tenants.a, headers=here)
        now = int(time.time() // 30)
        pending = (await challenge_of(client, username, here))["challenge"]
        for far in (now + 2, now + 3, now - 2):
            answer = await second(client, pending, totp.generate_otp(far), here)
            assert answer.status_code == 401, far
        ok = await second(client, pending, totp.generate_otp(max(now + 1, step + 1)), here)
        assert ok.status_code == 200, ok.text


async def test_code_guessing_across_challenges_shares_one_limit(settings, two_tenants, owner):
    tenant = two_tenants.a
    async with proxied_app(settings) as client:
        here = fresh_client()
        _, username, totp, _, step = await enrolled(client, settings, tenant, headers=here)
        right = {totp.generate_otp(s) for s in range(step - 1, step + 4)}
        wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in right)
        for _ in range(login.BY_USERNAME.limit):
            # A fresh challenge for each guess (from a fresh address each time).
            elsewhere = fresh_client()
            pending = (await challenge_of(client, username, elsewhere))["challenge"]
            assert (await second(client, pending, wrong, elsewhere)).status_code == 401
        elsewhere = fresh_client()
        locked = await password(client, username, elsewhere)
        assert locked.status_code == 429, locked.text
        # More attempts while locked: still one lockout row and one event.
        for _ in range(3):
            assert (await password(client, username, fresh_client())).status_code == 429
    rows = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.lockout' AND target = $1",
        f"user:{username}",
    )
    events = await owner.fetchval(
        "SELECT count(*) FROM security_events s JOIN users u ON u.id = s.user_id"
        " WHERE u.username = $1 AND kind = 'lockout'",
        username,
    )
    assert (rows, events) == (1, 1)


async def test_a_recovery_code_raced_on_two_challenges_lets_one_in(settings, two_tenants, owner):
    async with proxied_app(settings) as client:
        here = fresh_client()
        user_id, username, _, codes, _ = await enrolled(
            client, settings, two_tenants.b, headers=here
        )
        one = (await challenge_of(client, username, here))["challenge"]
        two = (await challenge_of(client, username, here))["challenge"]
        answers = await asyncio.gather(
            *(second(client, c, codes[0], here) for c in (one, two, one, two))
        )
    assert sorted(r.status_code for r in answers) == [200, 401, 401, 401]
    assert (
        await owner.fetchval("SELECT count(*) FROM auth_sessions WHERE user_id = $1", user_id) == 1
    )


async def test_wrong_and_unknown_users_read_the_same(settings, two_tenants):
    _, username = await make_user(Role.OPERATOR, two_tenants.a)
    async with proxied_app(settings) as client:
        here = fresh_client()
        known = await client.post(
            "/auth/token", json={"username": username, "password": "wrong one"}, headers=here
        )
        unknown = await client.post(
            "/auth/token", json={"username": "nobody-" + username, "password": "x"}, headers=here
        )
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()
