"""Issue 21, part 6: staff sign-in's TOTP second factor, recovery codes, a command's
mandatory setting (two tenants), new-device and lockout events shown to the user."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace

import pyotp
from helpers import (
    PASSWORD,
    bearer_for,
    browser_sign_in,
    console_url,
    fresh_client,
    gql,
    make_user,
    one_line_error,
    proxied_app,
    run_jogo,
    screenshot,
)

from jogo.platform.auth import login
from jogo.platform.auth.roles import Role

ME = """{ me { twoFactor { enabled required recoveryCodesLeft }
  securityEvents { kind at client message } } }"""
SET_REQUIRED = """mutation($r: Boolean!) { setStaffTwoFactorRequired(required: $r) {
  policy { twoFactorRequired } errors { code field message } } }"""
POLICY = "{ staffSignInPolicy { twoFactorRequired } }"


def steady_step() -> int:
    """The current 30-second step, with at least 5 seconds of it left (so a test's codes
    are judged in the step they were made for, or the next)."""
    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.1)
    return int(time.time() // 30)


async def password(client, username, headers, ua="test-agent") -> dict:
    response = await client.post(
        "/auth/token",
        json={"username": username, "password": PASSWORD},
        headers={**headers, "User-Agent": ua},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def second(client, challenge, code, headers):
    return await client.post(
        "/auth/token/second-factor", json={"challenge": challenge, "code": code}, headers=headers
    )


async def enrolled(client, settings, tenant, role=Role.OPERATOR, headers=None):
    """A user with TOTP on: (user_id, username, TOTP, recovery codes, the step used)."""
    user_id, username = await make_user(role, tenant)
    auth = bearer_for(user_id, username, settings)
    started = await client.post("/auth/totp/enrol", headers={**auth, **(headers or {})})
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    uri = started.json()["provisioning_uri"]
    assert uri.startswith("otpauth://totp/") and "issuer=Jogo%20Indonesia%20Presisi" in uri
    totp = pyotp.TOTP(secret)
    step = steady_step()
    confirmed = await client.post(
        "/auth/totp/confirm", json={"code": totp.generate_otp(step)}, headers=auth
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return user_id, username, totp, codes, step


async def test_enrolment_and_sign_in_with_a_code_and_a_replay_refused(settings, two_tenants, owner):
    tenant = two_tenants.a
    async with proxied_app(settings) as client:
        here = fresh_client()
        user_id, username, totp, _, step = await enrolled(client, settings, tenant, headers=here)
        stored = await owner.fetchval("SELECT secret FROM staff_totp WHERE user_id = $1", user_id)
        assert totp.secret not in stored  # encrypted at rest

        first = await password(client, username, here)
        assert first["second_factor"] == "totp" and "access_token" not in first
        # The code that confirmed enrolment is spent: the same time step again is a replay.
        replay = await second(client, first["challenge"], totp.generate_otp(step), here)
        assert replay.status_code == 401
        ok = await second(client, first["challenge"], totp.generate_otp(step + 1), here)
        assert ok.status_code == 200, ok.text
        access = {"Authorization": f"Bearer {ok.json()['access_token']}"}
        assert ok.json()["refresh_token"].startswith("jrt_")
        # The challenge is spent with its code.
        again = await second(client, first["challenge"], totp.generate_otp(step + 1), here)
        assert again.status_code == 401

        # A new sign-in with the code just used: a replay, refused.
        later = await password(client, username, here)
        replayed = await second(client, later["challenge"], totp.generate_otp(step + 1), here)
        assert replayed.status_code == 401
        assert replayed.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        status, body = await gql(client, f"/t/{tenant.slug}/graphql", ME, access)
        assert status == 200 and body["data"]["me"]["twoFactor"]["enabled"] is True
    audit = await owner.fetch(
        "SELECT action FROM audit_log WHERE target = $1 AND action LIKE 'auth.totp%'",
        f"user:{username}",
    )
    assert [r["action"] for r in audit] == ["auth.totp_enabled"]


async def test_wrong_codes_are_refused_counted_and_lock_out(settings, two_tenants, owner):
    tenant = two_tenants.a
    async with proxied_app(settings) as client:
        here = fresh_client()
        user_id, username, totp, _, step = await enrolled(client, settings, tenant, headers=here)
        challenge = (await password(client, username, here))["challenge"]
        right = {totp.generate_otp(s) for s in (step - 1, step, step + 1, step + 2)}
        wrong = next(c for c in ("000000", "111111", "222222") if c not in right)
        for _ in range(login.BY_USERNAME.limit):
            refused = await second(client, challenge, wrong, here)
            assert refused.status_code == 401
        assert await login.FAILED_USERNAME.recent(username) == login.BY_USERNAME.limit
        # Locked: even the right code is refused now, and the lockout is audited.
        locked = await second(client, challenge, totp.generate_otp(step + 1), here)
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 1
        status, body = await gql(
            client, f"/t/{tenant.slug}/graphql", ME, bearer_for(user_id, username, settings)
        )
    assert status == 200, body
    events = body["data"]["me"]["securityEvents"]
    lockout = [e for e in events if e["kind"] == "lockout"]
    assert lockout and lockout[0]["message"].startswith("Terlalu banyak")
    assert " / Too many failed sign-ins" in lockout[0]["message"]
    assert body["data"]["me"]["twoFactor"] == {
        "enabled": True,
        "required": False,
        "recoveryCodesLeft": 10,
    }
    rows = await owner.fetch(
        "SELECT tenant FROM audit_log WHERE action = 'auth.lockout' AND target = $1",
        f"user:{username}",
    )
    assert [r["tenant"] for r in rows] == [tenant.id]


async def test_a_recovery_code_works_once_and_codes_regenerate(settings, two_tenants):
    tenant = two_tenants.b
    async with proxied_app(settings) as client:
        here = fresh_client()
        user_id, username, totp, codes, step = await enrolled(
            client, settings, tenant, headers=here
        )
        challenge = (await password(client, username, here))["challenge"]
        ok = await second(client, challenge, codes[0].lower(), here)
        assert ok.status_code == 200, ok.text
        challenge = (await password(client, username, here))["challenge"]
        assert (await second(client, challenge, codes[0], here)).status_code == 401
        # Regenerated with a current code: the old ones are void, the new ones work.
        auth = bearer_for(user_id, username, settings)
        new = await client.post(
            "/auth/totp/recovery-codes", json={"code": totp.generate_otp(step + 1)}, headers=auth
        )
        assert new.status_code == 200, new.text
        fresh = new.json()["recovery_codes"]
        assert not set(fresh) & set(codes)
        assert (await second(client, challenge, codes[1], here)).status_code == 401
        assert (await second(client, challenge, fresh[3], here)).status_code == 200
        status, body = await gql(client, f"/t/{tenant.slug}/graphql", ME, auth)
    assert status == 200 and body["data"]["me"]["twoFactor"]["recoveryCodesLeft"] == 9
    kinds = {e["kind"] for e in body["data"]["me"]["securityEvents"]}
    assert {"totp_enabled", "recovery_code_used", "recovery_codes"} <= kinds


async def test_a_mandatory_command_forces_enrolment_and_not_the_other(settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    admin_a = bearer_for(*await make_user(Role.TENANT_ADMIN, a), settings)
    admin_b = bearer_for(*await make_user(Role.TENANT_ADMIN, b), settings)
    _, operator_a = await make_user(Role.OPERATOR, a)
    _, operator_b = await make_user(Role.OPERATOR, b)
    _, officer_a = await make_user(Role.OFFICER, a)
    async with proxied_app(settings) as client:
        here = fresh_client()
        # Another command's admin cannot change it: A's endpoint does not know them.
        status, body = await gql(client, f"/t/{a.slug}/graphql", SET_REQUIRED, admin_b, r=True)
        assert status == 404, body
        status, body = await gql(client, f"/t/{a.slug}/graphql", SET_REQUIRED, admin_a, r=True)
        assert status == 200 and body["data"]["setStaffTwoFactorRequired"] == {
            "policy": {"twoFactorRequired": True},
            "errors": [],
        }
        status, body = await gql(client, f"/t/{b.slug}/graphql", POLICY, admin_b)
        assert body["data"]["staffSignInPolicy"] == {"twoFactorRequired": False}

        answer = await password(client, operator_a, here)
        assert answer["second_factor"] == "enrol" and "access_token" not in answer
        assert "daftarkan" in answer["message"]
        # B's operator and A's officer (not bound by the setting) sign in as before.
        assert "access_token" in await password(client, operator_b, here)
        assert "access_token" in await password(client, officer_a, here)

        # The enrolment-only session: start, then confirm with a code for the session.
        started = await client.post("/auth/totp/enrol", json={"challenge": answer["challenge"]})
        assert started.status_code == 200, started.text
        totp = pyotp.TOTP(started.json()["secret"])
        done = await second(client, answer["challenge"], totp.generate_otp(steady_step()), here)
        assert done.status_code == 200, done.text
        assert "access_token" in done.json() and len(done.json()["recovery_codes"]) == 10
        # From now on, a code is asked.
        assert (await password(client, operator_a, here))["second_factor"] == "totp"
    audit = await owner.fetch(
        "SELECT tenant, detail FROM audit_log WHERE action = 'tenant.staff_totp_policy'"
        " AND tenant = ANY($1::uuid[])",
        [a.id, b.id],
    )
    assert [(r["tenant"], r["detail"]) for r in audit] == [(a.id, '{"required": true}')]


async def test_national_roles_follow_the_platform_setting(settings):
    national = replace(settings, staff_totp_required=True)
    _, supervisor = await make_user(Role.NATIONAL_SUPERVISOR)
    async with proxied_app(settings) as client:
        assert "access_token" in await password(client, supervisor, fresh_client())
    async with proxied_app(national) as client:
        answer = await password(client, supervisor, fresh_client())
        assert answer["second_factor"] == "enrol"


async def test_an_expired_challenge_is_refused(settings, two_tenants, owner):
    async with proxied_app(settings) as client:
        here = fresh_client()
        user_id, username, totp, _, step = await enrolled(
            client, settings, two_tenants.a, headers=here
        )
        challenge = (await password(client, username, here))["challenge"]
        await owner.execute(
            "UPDATE sign_in_challenges SET expires_at = now() - interval '1 second'"
            " WHERE user_id = $1",
            user_id,
        )
        expired = await second(client, challenge, totp.generate_otp(step + 1), here)
        assert expired.status_code == 401
        assert "kedaluwarsa" in expired.json()["errors"][0]["message"]


async def test_parallel_submissions_of_one_code_let_one_in(settings, two_tenants, owner):
    async with proxied_app(settings) as client:
        here = fresh_client()
        user_id, username, totp, _, step = await enrolled(
            client, settings, two_tenants.a, headers=here
        )
        one = (await password(client, username, here))["challenge"]
        two = (await password(client, username, here))["challenge"]
        code = totp.generate_otp(step + 1)
        answers = await asyncio.gather(
            *(second(client, c, code, here) for c in (one, two, one, two, one, two))
        )
    assert sorted(r.status_code for r in answers) == [200, 401, 401, 401, 401, 401]
    sessions = await owner.fetchval(
        "SELECT count(*) FROM auth_sessions WHERE user_id = $1", user_id
    )
    assert sessions == 1


async def test_a_new_device_is_audited_and_shown(settings, two_tenants, owner):
    tenant = two_tenants.a
    _, username = await make_user(Role.OPERATOR, tenant)
    async with proxied_app(settings) as client:
        here = fresh_client()
        await password(client, username, here, ua="Firefox on the desk")
        await password(client, username, here, ua="Firefox on the desk")
        token = (await password(client, username, here, ua="Chrome elsewhere"))["access_token"]
        status, body = await gql(
            client, f"/t/{tenant.slug}/graphql", ME, {"Authorization": f"Bearer {token}"}
        )
    assert status == 200, body
    kinds = [e["kind"] for e in body["data"]["me"]["securityEvents"]]
    assert kinds == ["new_device"]
    assert body["data"]["me"]["securityEvents"][0]["message"].startswith("Masuk dari perangkat")
    rows = await owner.fetch(
        "SELECT tenant FROM audit_log WHERE action = 'auth.new_device' AND target = $1",
        f"user:{username}",
    )
    assert [r["tenant"] for r in rows] == [tenant.id]


async def test_console_sign_in_asks_for_the_code(settings, live_server, two_tenants, page):
    tenant = two_tenants.a
    async with proxied_app(settings) as client:
        _, username, totp, _, step = await enrolled(client, settings, tenant)
    await page.goto(f"http://{live_server}/t/{tenant.slug}/console/")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    code = page.get_by_label("Kode verifikasi")
    await code.wait_for(timeout=10_000)
    await code.fill(totp.generate_otp(step + 1))
    await page.get_by_role("button", name="Verifikasi").click()
    try:
        await page.locator(".topbar").wait_for(timeout=10_000)
    except Exception:
        await screenshot(page, "staff_totp_console")
        raise
    assert username in (await page.locator(".topbar .user").inner_text())


RESET = """mutation($u: ID!) { resetMemberTwoFactor(userId: $u) {
  member { username } errors { code field message } } }"""


async def test_an_admin_resets_a_lost_factor_and_the_member_enrols_again(
    settings, two_tenants, owner
):
    """A member who lost phone and recovery codes: their command's admin removes the
    factor; the next sign-in asks them to enrol (the command requires it), and they see
    the reset. Another command's admin cannot; nor can the admin of someone who belongs
    to another command too (only the platform operator, below)."""
    a, b = two_tenants.a, two_tenants.b
    admin_a = bearer_for(*await make_user(Role.TENANT_ADMIN, a), settings)
    admin_b = bearer_for(*await make_user(Role.TENANT_ADMIN, b), settings)
    async with proxied_app(settings) as client:
        here = fresh_client()
        _, body = await gql(client, f"/t/{a.slug}/graphql", SET_REQUIRED, admin_a, r=True)
        assert body["data"]["setStaffTwoFactorRequired"]["errors"] == [], body
        user_id, username, _, _, _ = await enrolled(client, settings, a, headers=here)
        assert (await password(client, username, here))["second_factor"] == "totp"

        status, body = await gql(client, f"/t/{a.slug}/graphql", RESET, admin_b, u=str(user_id))
        assert status == 404, body
        _, body = await gql(client, f"/t/{b.slug}/graphql", RESET, admin_b, u=str(user_id))
        assert [e["code"] for e in body["data"]["resetMemberTwoFactor"]["errors"]] == ["NOT_FOUND"]
        _, body = await gql(client, f"/t/{a.slug}/graphql", RESET, admin_a, u=str(user_id))
        assert body["data"]["resetMemberTwoFactor"] == {
            "member": {"username": username},
            "errors": [],
        }
        answer = await password(client, username, here)
        assert answer["second_factor"] == "enrol", answer
        _, me = await gql(
            client, f"/t/{a.slug}/graphql", ME, bearer_for(user_id, username, settings)
        )
        assert me["data"]["me"]["twoFactor"]["enabled"] is False
        assert "totp_reset" in {e["kind"] for e in me["data"]["me"]["securityEvents"]}

        # Someone who is staff at B too: A's admin may not weaken B's sign-in.
        both_id, _, _, _, _ = await enrolled(client, settings, a, headers=here)
        await owner.execute(
            "INSERT INTO memberships (user_id, tenant, role) VALUES ($1, $2, 'operator')",
            both_id,
            b.id,
        )
        _, body = await gql(client, f"/t/{a.slug}/graphql", RESET, admin_a, u=str(both_id))
        assert [e["code"] for e in body["data"]["resetMemberTwoFactor"]["errors"]] == ["FORBIDDEN"]
        assert await owner.fetchval("SELECT count(*) FROM staff_totp WHERE user_id = $1", both_id)
    audit = await owner.fetch(
        "SELECT target, detail FROM audit_log WHERE action = 'user.totp_reset' AND tenant = $1",
        a.id,
    )
    assert [(r["target"], r["detail"]) for r in audit] == [
        (f"user:{user_id}", '{"had_factor": true}')
    ]


async def test_the_platform_operator_resets_a_factor_from_the_command_line(
    settings, database, two_tenants, owner
):
    async with proxied_app(settings) as client:
        user_id, username, _, _, _ = await enrolled(client, settings, two_tenants.a)
    done = run_jogo(["user", "reset-2fa", "--username", username.upper()], database)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"username": username, "reset": True}
    assert not await owner.fetchval("SELECT count(*) FROM staff_totp WHERE user_id = $1", user_id)
    again = run_jogo(["user", "reset-2fa", "--username", username], database)
    assert again.returncode == 0 and json.loads(again.stdout)["reset"] is False
    missing = run_jogo(["user", "reset-2fa", "--username", "tidak-ada"], database)
    assert missing.returncode != 0
    assert one_line_error(missing) == "jogo: no user 'tidak-ada'"
    rows = await owner.fetch(
        "SELECT actor, detail FROM audit_log WHERE action = 'user.totp_reset' AND target = $1",
        f"user:{user_id}",
    )
    assert [(r["actor"], r["detail"]) for r in rows] == [
        ("cli", '{"had_factor": true}'),
        ("cli", '{"had_factor": false}'),
    ]


async def test_the_console_resets_a_members_factor(settings, live_server, two_tenants, page, owner):
    """People → "Hapus verifikasi dua langkah" on a member's row, confirmed: the factor
    is gone and the admin is told so, in Bahasa Indonesia."""
    tenant = two_tenants.a
    async with proxied_app(settings) as client:
        user_id, username, _, _, _ = await enrolled(client, settings, tenant)
    _, admin = await make_user(Role.TENANT_ADMIN, tenant)
    await browser_sign_in(page, console_url(live_server, tenant, "admin/people"), admin)
    row = page.locator(f".members-table tr[data-user='{username}']")
    await row.wait_for()
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await row.get_by_role("button", name="Hapus verifikasi dua langkah").click()
    await page.get_by_text(f"Verifikasi dua langkah {username} dihapus.").wait_for()
    assert not await owner.fetchval("SELECT count(*) FROM staff_totp WHERE user_id = $1", user_id)
