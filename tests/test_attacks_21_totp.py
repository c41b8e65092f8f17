"""Attacks on issue 21 part 6, staff TOTP sign-in: bypasses, replays, brute force,
enumeration, cross-tenant policy, malformed input, and the browser flow."""

from __future__ import annotations

import asyncio
import time

import pyotp
from helpers import (
    PASSWORD,
    bearer_for,
    enable_gateway,
    fresh_client,
    gql,
    make_user,
    new_phone,
    phone_code,
    phone_sign_up,
    proxied_app,
    verify_phone,
    web_csrf,
)

from jogo.platform.auth import login
from jogo.platform.auth.roles import Role

SET_REQUIRED = """mutation($r: Boolean!) { setStaffTwoFactorRequired(required: $r) {
  policy { twoFactorRequired } errors { code field message } } }"""
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


async def mandatory(client, tenant, admin) -> None:
    status, body = await gql(client, f"/t/{tenant.slug}/graphql", SET_REQUIRED, admin, r=True)
    assert status == 200 and body["data"]["setStaffTwoFactorRequired"]["errors"] == [], body


async def test_phone_sign_in_of_staff_asks_the_second_factor(settings, two_tenants, owner):
    """A citizen made an operator signs in by phone: under a mandatory command that is
    no way round the factor (enrol first), and with TOTP on the code is asked."""
    tenant = two_tenants.a
    await enable_gateway(tenant.id, "SMS")
    admin = bearer_for(*await make_user(Role.TENANT_ADMIN, tenant), settings)
    async with proxied_app(settings) as client:
        here = fresh_client()
        typed, _ = new_phone()
        signed_up = await phone_sign_up(client, owner, tenant, typed, here)
        citizen = {"Authorization": f"Bearer {signed_up['access_token']}"}
        _, body = await gql(client, f"/t/{tenant.slug}/graphql", "{ me { name } }", citizen)
        user_id = await owner.fetchval(
            "SELECT id FROM users WHERE username = $1", body["data"]["me"]["name"]
        )
        _, body = await gql(
            client,
            f"/t/{tenant.slug}/graphql",
            "mutation($u: ID!) { changeMemberRole(userId: $u, role: OPERATOR) {"
            " errors { code } } }",
            admin,
            u=str(user_id),
        )
        assert body["data"]["changeMemberRole"]["errors"] == [], body
        await mandatory(client, tenant, admin)

        code = await phone_code(client, owner, tenant, typed, here)
        answer = await verify_phone(client, tenant.slug, typed, code, here)
        assert answer.status_code == 200, answer.text
        assert "access_token" not in answer.json(), answer.text
        assert answer.json()["second_factor"] == "enrol"
        # The browser route: no cookie either.
        code = await phone_code(client, owner, tenant, typed, here)
        csrf = await web_csrf(client)
        answer = await verify_phone(
            client,
            tenant.slug,
            typed,
            code,
            {**here, "X-Jogo-CSRF": csrf},
            path="/auth/web/phone/verify",
        )
        assert answer.status_code == 200, answer.text
        assert "access_token" not in answer.json() and "jogo_refresh" not in answer.cookies
        # Enrolled through the challenge, the next phone sign-in asks for the code.
        pending = answer.json()["challenge"]
        started = await client.post("/auth/totp/enrol", json={"challenge": pending})
        assert started.status_code == 200, started.text
        totp = pyotp.TOTP(started.json()["secret"])
        step = steady_step()
        done = await second(client, pending, totp.generate_otp(step), here)
        assert done.status_code == 200, done.text
        code = await phone_code(client, owner, tenant, typed, here)
        answer = await verify_phone(client, tenant.slug, typed, code, here)
        assert answer.json()["second_factor"] == "totp", answer.text
        ok = await second(client, answer.json()["challenge"], totp.generate_otp(step + 1), here)
        assert ok.status_code == 200 and "access_token" in ok.json(), ok.text


async def test_a_session_opened_before_the_command_made_it_mandatory(settings, two_tenants):
    """Decided: an operator's session opened without the factor keeps its access token
    (at most JOGO_TOKEN_TTL_SECONDS) but is not refreshed once their command requires a
    factor they have not enrolled; they sign in again and enrol. Another command's
    operator, and an operator who enrolled, refresh as before."""
    a, b = two_tenants.a, two_tenants.b
    admin = bearer_for(*await make_user(Role.TENANT_ADMIN, a), settings)
    _, operator_a = await make_user(Role.OPERATOR, a)
    _, operator_b = await make_user(Role.OPERATOR, b)
    async with proxied_app(settings) as client:
        here = fresh_client()
        _, enrolled_a, totp, _, step = await enrolled(client, settings, a, headers=here)
        tokens = {}
        for name in (operator_a, operator_b):
            tokens[name] = (await password(client, name, here)).json()
        pending = (await challenge_of(client, enrolled_a, here))["challenge"]
        tokens[enrolled_a] = (
            await second(client, pending, totp.generate_otp(step + 1), here)
        ).json()
        await mandatory(client, a, admin)
        refused = await client.post(
            "/auth/refresh", json={"refresh_token": tokens[operator_a]["refresh_token"]}
        )
        assert refused.status_code == 401, refused.text
        assert "verifikasi dua langkah" in refused.json()["errors"][0]["message"]
        for name in (operator_b, enrolled_a):
            other = await client.post(
                "/auth/refresh", json={"refresh_token": tokens[name]["refresh_token"]}
            )
            assert other.status_code == 200, other.text
        # Signing in again asks them to enrol.
        assert (await challenge_of(client, operator_a, here))["second_factor"] == "enrol"


async def test_a_citizen_cannot_enrol(settings, two_tenants, owner):
    tenant = two_tenants.b
    await enable_gateway(tenant.id, "SMS")
    async with proxied_app(settings) as client:
        here = fresh_client()
        typed, _ = new_phone()
        signed_up = await phone_sign_up(client, owner, tenant, typed, here)
        citizen = {"Authorization": f"Bearer {signed_up['access_token']}"}
        started = await client.post("/auth/totp/enrol", headers=citizen)
        assert started.status_code == 403, started.text
        confirmed = await client.post(
            "/auth/totp/confirm", json={"code": "123456"}, headers=citizen
        )
        assert confirmed.status_code == 403, confirmed.text
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM staff_totp t JOIN users u ON u.id = t.user_id WHERE u.phone IS NOT NULL"
            " AND u.id IN (SELECT user_id FROM memberships WHERE tenant = $1)",
            tenant.id,
        )
        == 0
    )


async def test_an_api_key_cannot_enrol_or_answer_a_challenge(settings, two_tenants):
    tenant = two_tenants.a
    admin = bearer_for(*await make_user(Role.TENANT_ADMIN, tenant), settings)
    async with proxied_app(settings) as client:
        _, body = await gql(
            client,
            f"/t/{tenant.slug}/graphql",
            'mutation { createApiKey(name: "totp-probe", scopes: ["reports:read"]) {'
            " key errors { code } } }",
            admin,
        )
        key = body["data"]["createApiKey"]["key"]
        for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
            for path, payload in (
                ("/auth/totp/enrol", None),
                ("/auth/totp/confirm", {"code": "123456"}),
                ("/auth/totp/recovery-codes", {"code": "123456"}),
            ):
                answer = await client.post(path, json=payload, headers=headers)
                assert answer.status_code == 401, (path, answer.text)
        answer = await second(client, key, "123456", {})
        assert answer.status_code == 401, answer.text


async def test_two_different_recovery_codes_on_one_challenge_spend_one(settings, two_tenants):
    """Parallel submissions of one challenge with two good codes: one session, and the
    loser's recovery code is not spent for nothing."""
    tenant = two_tenants.a
    async with proxied_app(settings) as client:
        here = fresh_client()
        user_id, username, _, codes, _ = await enrolled(client, settings, tenant, headers=here)
        pending = (await challenge_of(client, username, here))["challenge"]
        answers = await asyncio.gather(*(second(client, pending, c, here) for c in codes[:4]))
        assert sorted(r.status_code for r in answers) == [200, 401, 401, 401]
        _, body = await gql(
            client, f"/t/{tenant.slug}/graphql", ME, bearer_for(user_id, username, settings)
        )
    assert body["data"]["me"]["twoFactor"]["recoveryCodesLeft"] == 9


async def test_a_challenge_dies_with_the_account_or_the_password(settings, two_tenants, owner):
    tenant = two_tenants.b
    admin = bearer_for(*await make_user(Role.TENANT_ADMIN, tenant), settings)
    async with proxied_app(settings) as client:
        here = fresh_client()
        user_id, username, totp, _, step = await enrolled(client, settings, tenant, headers=here)
        pending = (await challenge_of(client, username, here))["challenge"]
        _, body = await gql(
            client,
            f"/t/{tenant.slug}/graphql",
            "mutation($u: ID!) { deactivateMember(userId: $u) { errors { code } } }",
            admin,
            u=str(user_id),
        )
        assert body["data"]["deactivateMember"]["errors"] == [], body
        late = await second(client, pending, totp.generate_otp(step + 1), here)
        assert late.status_code == 401, late.text

        # A password changed meanwhile: the challenge opened with the old one is void.
        user_id, username, totp, _, step = await enrolled(client, settings, tenant, headers=here)
        pending = (await challenge_of(client, username, here))["challenge"]
        changed = await client.post(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": "another long passphrase"},
            headers=bearer_for(user_id, username, settings),
        )
        assert changed.status_code == 200, changed.text
        late = await second(client, pending, totp.generate_otp(step + 1), here)
        assert late.status_code == 401, late.text
    assert (
        await owner.fetchval("SELECT count(*) FROM auth_sessions WHERE user_id = $1", user_id) == 0
    )


async def test_expired_and_revoked_tokens_cannot_enrol(settings, two_tenants):
    from jogo.platform.auth.tokens import issue_token

    async with proxied_app(settings) as client:
        here = fresh_client()
        user_id, username = await make_user(Role.OPERATOR, two_tenants.a)
        expired = issue_token(user_id, username, settings.secret_key, -60).token
        answer = await client.post(
            "/auth/totp/enrol", headers={"Authorization": f"Bearer {expired}"}
        )
        assert answer.status_code == 401, answer.text
        signed = (await password(client, username, here)).json()
        ended = await client.post("/auth/logout", json={"refresh_token": signed["refresh_token"]})
        assert ended.json() == {"ended": True}
        answer = await client.post(
            "/auth/totp/enrol", headers={"Authorization": f"Bearer {signed['access_token']}"}
        )
        assert answer.status_code == 401, answer.text


async def test_staff_of_two_commands_follow_the_stricter(settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    from jogo.platform.auth.users import add_membership

    user_id, username = await make_user(Role.OFFICER, a)
    await add_membership(user_id, Role.OPERATOR, tenant=b)
    admin_b = bearer_for(*await make_user(Role.TENANT_ADMIN, b), settings)
    operator = bearer_for(*await make_user(Role.OPERATOR, b), settings)
    async with proxied_app(settings) as client:
        here = fresh_client()
        assert "access_token" in (await password(client, username, here)).json()
        # Not an admin: the policy is neither read nor set.
        _, body = await gql(client, f"/t/{b.slug}/graphql", SET_REQUIRED, operator, r=True)
        assert body["data"]["setStaffTwoFactorRequired"]["errors"][0]["code"] == "FORBIDDEN"
        _, body = await gql(
            client, f"/t/{b.slug}/graphql", "{ staffSignInPolicy { twoFactorRequired } }", operator
        )
        assert body["data"]["staffSignInPolicy"] is None and body["errors"], body
        await mandatory(client, b, admin_b)
        # Mandatory in B (an operator there), not in A (an officer): one sign-in for both.
        assert (await challenge_of(client, username, here))["second_factor"] == "enrol"
        _, body = await gql(
            client, f"/t/{a.slug}/graphql", ME, bearer_for(user_id, username, settings)
        )
        assert body["data"]["me"]["twoFactor"]["required"] is True


async def test_security_events_are_their_owners_and_bounded(settings, two_tenants, owner):
    from jogo.platform.auth import totp as totp_module

    tenant = two_tenants.a
    one_id, one = await make_user(Role.OPERATOR, tenant)
    _, other = await make_user(Role.OPERATOR, tenant)
    async with proxied_app(settings) as client:
        here = fresh_client()
        for n in range(3):
            await password(client, one, here, ua=f"Browser {n}")
        token = (await password(client, other, here)).json()["access_token"]
        _, body = await gql(
            client, f"/t/{tenant.slug}/graphql", ME, {"Authorization": f"Bearer {token}"}
        )
        assert body["data"]["me"]["securityEvents"] == []
        # A flood of new devices (an attacker with the password rotating user agents):
        # what is kept per user stays bounded.
        await owner.execute(
            "INSERT INTO known_devices (user_id, device)"
            " SELECT $1, md5(g::text) FROM generate_series(1, $2) g",
            one_id,
            totp_module.DEVICES_KEPT + 50,
        )
        await owner.execute(
            "INSERT INTO security_events (user_id, kind)"
            " SELECT $1, 'new_device' FROM generate_series(1, $2)",
            one_id,
            totp_module.EVENTS_KEPT + 50,
        )
        await password(client, one, here, ua="Yet another browser")
        _, body = await gql(
            client, f"/t/{tenant.slug}/graphql", ME, bearer_for(one_id, one, settings)
        )
    assert len(body["data"]["me"]["securityEvents"]) == totp_module.SECURITY_EVENTS_MAX
    kept = await owner.fetchrow(
        "SELECT (SELECT count(*) FROM known_devices WHERE user_id = $1) AS devices,"
        " (SELECT count(*) FROM security_events WHERE user_id = $1) AS events",
        one_id,
    )
    assert kept["devices"] <= totp_module.DEVICES_KEPT
    assert kept["events"] <= totp_module.EVENTS_KEPT


async def test_browser_enrol_shows_secret_and_codes_once_and_wrong_codes_in_bahasa(
    settings, live_server, two_tenants, page
):
    from helpers import go_to_view, screenshot

    tenant = two_tenants.a
    admin = bearer_for(*await make_user(Role.TENANT_ADMIN, tenant), settings)
    _, username = await make_user(Role.OPERATOR, tenant)
    async with proxied_app(settings) as client:
        await mandatory(client, tenant, admin)
    wrong_text = "Kode salah, sudah terpakai, atau sudah lewat waktunya."
    try:
        await page.goto(f"http://{live_server}/t/{tenant.slug}/console/")
        await page.get_by_label("Nama pengguna").fill(username)
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        secret_box = page.get_by_label("Kunci rahasia")
        await secret_box.wait_for(timeout=10_000)
        secret = await secret_box.input_value()
        assert len(secret) == 32 and secret.isalnum()
        uri = await page.get_by_label("Alamat otpauth://").input_value()
        assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
        totp = pyotp.TOTP(secret)
        step = steady_step()
        right = {totp.generate_otp(s) for s in range(step - 1, step + 3)}
        wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in right)
        await page.get_by_label("Kode verifikasi").fill(wrong)
        await page.get_by_role("button", name="Verifikasi").click()
        await page.get_by_role("alert").filter(has_text=wrong_text).wait_for(timeout=10_000)
        await page.get_by_label("Kode verifikasi").fill(totp.generate_otp(step))
        await page.get_by_role("button", name="Verifikasi").click()
        codes = page.locator("pre.recovery-codes")
        await codes.wait_for(timeout=10_000)
        shown = (await codes.inner_text()).split()
        assert len(shown) == 10 and all(len(c) == 19 for c in shown)
        await page.get_by_role("button", name="Lanjut").click()
        await page.locator(".topbar").wait_for(timeout=10_000)
        # Shown once: the security view tells the count, never the secret or the codes.
        await go_to_view(page, "security")
        await page.get_by_text("Verifikasi dua langkah aktif (10 kode pemulihan").wait_for(
            timeout=10_000
        )
        html = await page.content()
        assert secret not in html and not any(c in html for c in shown)

        # Signed out and in again: the code is asked; a wrong one reads in Bahasa Indonesia.
        await page.get_by_role("button", name="Keluar").first.click()
        await page.get_by_label("Nama pengguna").fill(username)
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        code = page.get_by_label("Kode verifikasi")
        await code.wait_for(timeout=10_000)
        await code.fill(wrong)
        await page.get_by_role("button", name="Verifikasi").click()
        await page.get_by_role("alert").filter(has_text=wrong_text).wait_for(timeout=10_000)
        await code.fill("١٢٣٤٥٦")
        async with page.expect_response("**/auth/web/second-factor") as answered:
            await page.get_by_role("button", name="Verifikasi").click()
        assert (await answered.value).status == 401  # once a 500
        await page.get_by_role("alert").filter(has_text=wrong_text).wait_for(timeout=10_000)
        await code.fill(totp.generate_otp(step + 1))
        await page.get_by_role("button", name="Verifikasi").click()
        await page.locator(".topbar").wait_for(timeout=10_000)
    except Exception:
        await screenshot(page, "attack_21_totp_browser")
        raise


async def test_web_second_factor_needs_csrf_and_spends_nothing_without(settings, two_tenants):
    async with proxied_app(settings) as client:
        here = fresh_client()
        _, username, totp, _, step = await enrolled(client, settings, two_tenants.b, headers=here)
        # A challenge from the token flow, answered at the browser route.
        pending = (await challenge_of(client, username, here))["challenge"]
        code = totp.generate_otp(step + 1)
        refused = await second(client, pending, code, here, path="/auth/web/second-factor")
        assert refused.status_code == 403, refused.text
        csrf = await web_csrf(client)
        ok = await second(
            client, pending, code, {**here, "X-Jogo-CSRF": csrf}, path="/auth/web/second-factor"
        )
        assert ok.status_code == 200, ok.text
        assert "refresh_token" not in ok.json() and client.cookies.get("jogo_refresh")


async def test_guessing_at_an_enrol_challenge_is_limited(settings, two_tenants):
    tenant = two_tenants.a
    admin = bearer_for(*await make_user(Role.TENANT_ADMIN, tenant), settings)
    _, operator = await make_user(Role.OPERATOR, tenant)
    async with proxied_app(settings) as client:
        here = fresh_client()
        await mandatory(client, tenant, admin)
        pending = (await challenge_of(client, operator, here))["challenge"]
        started = await client.post("/auth/totp/enrol", json={"challenge": pending})
        totp = pyotp.TOTP(started.json()["secret"])
        step = steady_step()
        right = {totp.generate_otp(s) for s in range(step - 1, step + 3)}
        wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in right)
        statuses = [(await second(client, pending, wrong, here)).status_code for _ in range(7)]
        assert statuses[:5] == [400] * 5 and statuses[5:] == [429, 429], statuses
        locked = await second(client, pending, totp.generate_otp(step), here)
        assert locked.status_code == 429, locked.text
