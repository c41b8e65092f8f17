"""Citizens sign up and sign in with a phone number and a one-time code (issue 17, item 3):
the code goes out as a notification (row and outbox row), is kept only as an HMAC,
expires, is spent once, dies after five wrong guesses and is voided by a newer code;
codes are limited per number and per client, atomically; the answer never tells whether
a number has an account; consent to the privacy notice is recorded with its version; a
citizen of one command signing in at another becomes a citizen there too."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from helpers import (
    PASSWORD,
    enable_gateway,
    fresh_client,
    gql,
    new_phone,
    onboard,
    phone_code,
    phone_sign_up,
    proxied_app,
    sent_codes,
    start_phone,
    verify_phone,
    web_csrf,
)

from jogo.platform.auth.phone import MAX_ATTEMPTS, START_BY_CLIENT, START_BY_PHONE
from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.settings import Settings

ME = "{ me { kind name roles phone } }"
NOTICE = "{ privacyNotice { version textId textEn } }"


@pytest.fixture
async def client(settings: Settings):
    async with proxied_app(settings) as app:
        yield app


@pytest.fixture
async def command():
    tenant = await onboard()
    await enable_gateway(tenant.id, "SMS")
    await enable_gateway(tenant.id, "WHATSAPP")
    return tenant


def code_of(response) -> str:
    return response.json()["code"]


async def test_sign_up_then_sign_in(client, owner, command, settings):
    typed, e164 = new_phone()
    who = fresh_client()
    started = await start_phone(client, command.slug, typed, who, channel="WHATSAPP")
    assert started.status_code == 200, started.text
    assert started.json() == {"channel": "WHATSAPP", "expires_in": 300}
    assert started.headers["cache-control"] == "no-store"
    # The code went out as a notification: its row and its outbox row, nothing else.
    [sent] = await sent_codes(owner, command.id, e164)
    assert (sent["channel"], sent["address"], sent["status"]) == ("WHATSAPP", e164, "PENDING")
    code = sent["params"]["code"]
    assert len(code) == 6 and code.isdigit() and sent["params"]["minutes"] == 5
    assert sent["actor"] == "deliver_notification"
    assert sent["payload"] == {"notification_id": str(sent["id"]), "attempt": 1}
    # Kept only as a keyed hash: neither the code nor its plain SHA-256.
    [stored] = await owner.fetch("SELECT * FROM phone_codes WHERE phone = $1", e164)
    assert stored["code_hash"] not in (code, hashlib.sha256(code.encode()).hexdigest())
    assert stored["channel"] == "WHATSAPP" and stored["tenant"] == command.id

    # A new number must accept the notice first; the code is not spent by being asked.
    asked = await verify_phone(client, command.slug, typed, code, who, name="Siti Aminah")
    assert asked.status_code == 409, asked.text
    body = asked.json()
    assert body["code"] == "CONSENT_REQUIRED" and body["notice_version"] == NOTICE_VERSION
    assert body["errors"][0]["extensions"]["code"] == "CONSENT_REQUIRED"
    assert not await owner.fetch("SELECT 1 FROM users WHERE phone = $1", e164)
    old = await verify_phone(client, command.slug, typed, code, who, consent="2000-01-01")
    assert old.status_code == 409

    done = await verify_phone(
        client, command.slug, typed, code, who, consent=NOTICE_VERSION, name="Siti Aminah"
    )
    assert done.status_code == 200, done.text
    tokens = done.json()
    assert tokens["token_type"] == "bearer" and tokens["refresh_token"].startswith("jrt_")
    [user] = await owner.fetch("SELECT * FROM users WHERE phone = $1", e164)
    assert user["username"].startswith("warga-") and user["password_hash"] is None
    assert user["full_name"] == "Siti Aminah"
    roles = await owner.fetch("SELECT tenant, role FROM memberships WHERE user_id = $1", user["id"])
    assert [(r["tenant"], r["role"]) for r in roles] == [(command.id, "citizen")]
    [consent] = await owner.fetch("SELECT * FROM privacy_consents WHERE user_id = $1", user["id"])
    assert consent["notice_version"] == NOTICE_VERSION and consent["tenant"] == command.id
    assert consent["client"] == who["X-Forwarded-For"] and consent["accepted_at"] is not None
    actions = {
        r["action"]
        for r in await owner.fetch(
            "SELECT action FROM audit_log WHERE tenant = $1 AND target = $2",
            command.id,
            f"user:{user['id']}",
        )
    }
    assert {"auth.phone_signup", "privacy.consent"} <= actions
    login = await owner.fetch(
        "SELECT 1 FROM audit_log WHERE action = 'auth.login' AND tenant = $1 AND actor = $2",
        command.id,
        user["username"],
    )
    assert login

    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    status, me = await gql(client, f"/t/{command.slug}/graphql", ME, headers)
    assert status == 200 and me["data"]["me"] == {
        "kind": "user",
        "name": user["username"],
        "roles": ["citizen"],
        "phone": e164,
    }
    # The same code again is spent.
    again = await verify_phone(client, command.slug, typed, code, who, consent=NOTICE_VERSION)
    assert again.status_code == 401 and again.json()["code"] == "INVALID_CODE"

    # Signing in later: a new code, no consent needed (accepted already), the same user.
    code = await phone_code(client, owner, command, e164, who)
    later = await verify_phone(client, command.slug, e164, code, who)
    assert later.status_code == 200, later.text
    assert await owner.fetchval("SELECT count(*) FROM users WHERE phone = $1", e164) == 1
    assert await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.phone_signin' AND target = $1",
        f"user:{user['id']}",
    )


async def test_privacy_notice_is_public_and_bilingual(client, command):
    status, body = await gql(client, f"/t/{command.slug}/graphql", NOTICE)
    assert status == 200, body
    notice = body["data"]["privacyNotice"]
    assert notice["version"] == NOTICE_VERSION
    assert "Pemberitahuan Privasi" in notice["textId"] and "privacy notice" in notice["textEn"]
    assert NOTICE_VERSION in notice["textId"] and "110" in notice["textEn"]


async def test_wrong_expired_spent_and_voided_codes(client, owner, command):
    typed, e164 = new_phone()
    who = fresh_client()
    code = await phone_code(client, owner, command, typed, who)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refused = await verify_phone(client, command.slug, typed, wrong, who, consent=NOTICE_VERSION)
    assert refused.status_code == 401
    assert refused.json()["code"] == "INVALID_CODE" and refused.json()["field"] == "code"
    assert "Kode salah" in refused.json()["message"]
    # A wrong guess leaves the right code working (under the cap); spaces are forgiven.
    spaced = f"{code[:3]} {code[3:]}"
    ok = await verify_phone(client, command.slug, typed, spaced, who, consent=NOTICE_VERSION)
    assert ok.status_code == 200, ok.text
    spent = await verify_phone(client, command.slug, typed, code, who)
    assert code_of(spent) == "INVALID_CODE"

    # Expired: five minutes are over.
    code = await phone_code(client, owner, command, typed, who)
    await owner.execute(
        "UPDATE phone_codes SET expires_at = now() - interval '1 second'"
        " WHERE phone = $1 AND used_at IS NULL",
        e164,
    )
    expired = await verify_phone(client, command.slug, typed, code, who)
    assert expired.status_code == 401 and code_of(expired) == "INVALID_CODE"

    # A newer code voids the older one.
    first = await phone_code(client, owner, command, typed, who)
    second = await phone_code(client, owner, command, typed, who)
    if first != second:
        voided = await verify_phone(client, command.slug, typed, first, who)
        assert voided.status_code == 401
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM phone_codes WHERE phone = $1 AND used_at IS NULL", e164
        )
        == 1
    )
    fresh = await verify_phone(client, command.slug, typed, second, who)
    assert fresh.status_code == 200, fresh.text


async def test_five_wrong_guesses_kill_the_code_even_in_parallel(client, owner, command):
    typed, e164 = new_phone()
    code = await phone_code(client, owner, command, typed, fresh_client())
    wrong = [f"{(int(code) + n) % 10**6:06d}" for n in range(1, 9)]
    answers = await asyncio.gather(
        *(
            verify_phone(client, command.slug, typed, guess, fresh_client(), consent=NOTICE_VERSION)
            for guess in wrong
        )
    )
    assert {a.status_code for a in answers} == {401}
    [row] = await owner.fetch("SELECT attempts, used_at FROM phone_codes WHERE phone = $1", e164)
    assert row["attempts"] == MAX_ATTEMPTS and row["used_at"] is not None  # dead
    right = await verify_phone(
        client, command.slug, typed, code, fresh_client(), consent=NOTICE_VERSION
    )
    assert right.status_code == 401 and code_of(right) == "INVALID_CODE"
    assert not await owner.fetch("SELECT 1 FROM users WHERE phone = $1", e164)
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.phone_code_locked' AND tenant = $1",
            command.id,
        )
        == 1
    )


async def test_codes_are_limited_per_number_and_per_client_in_parallel(client, owner, command):
    typed, e164 = new_phone()
    answers = await asyncio.gather(
        *(start_phone(client, command.slug, typed, fresh_client()) for _ in range(12))
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * START_BY_PHONE.limit + [429] * (12 - START_BY_PHONE.limit), codes
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.json()["code"] == "RATE_LIMITED" and int(limited.headers["retry-after"]) > 0
    assert "Terlalu banyak" in limited.json()["message"] and "Too many" in limited.json()["message"]
    assert len(await sent_codes(owner, command.id, e164)) == START_BY_PHONE.limit

    # Whoever used up the number's codes here blocked it here only: another command
    # still sends it one.
    other = await onboard(region="35.79")
    await enable_gateway(other.id, "SMS")
    elsewhere = await start_phone(client, other.slug, typed, fresh_client())
    assert elsewhere.status_code == 200, elsewhere.text

    who = fresh_client()
    many = [new_phone() for _ in range(START_BY_CLIENT.limit + 5)]
    answers = await asyncio.gather(*(start_phone(client, command.slug, p, who) for p, _ in many))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * START_BY_CLIENT.limit + [429] * 5, codes
    queued = 0
    for _, number in many:
        queued += len(await sent_codes(owner, command.id, number))
    assert queued == START_BY_CLIENT.limit


async def test_verifications_are_limited_per_number_in_parallel(client, owner, command):
    from jogo.platform.auth.phone import VERIFY_BY_PHONE

    typed, _ = new_phone()
    await phone_code(client, owner, command, typed, fresh_client())
    tries = VERIFY_BY_PHONE.limit + 5
    answers = await asyncio.gather(
        *(verify_phone(client, command.slug, typed, "000000", fresh_client()) for _ in range(tries))
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [401] * VERIFY_BY_PHONE.limit + [429] * 5, codes


async def test_the_answer_never_tells_whether_a_number_has_an_account(client, owner, command):
    known, _ = new_phone()
    await phone_sign_up(client, owner, command, known, fresh_client())
    unknown, _ = new_phone()
    answers = [await start_phone(client, command.slug, n, fresh_client()) for n in (known, unknown)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert answers[0].headers.keys() == answers[1].headers.keys()


async def test_refusals_are_typed(client, owner, settings):
    silent = await onboard()  # no gateway at all
    who = fresh_client()
    typed, _ = new_phone()
    none = await start_phone(client, silent.slug, typed, who)
    assert none.status_code == 503 and none.json()["code"] == "GATEWAY_UNAVAILABLE"
    assert none.json()["field"] == "channel" and "110" in none.json()["message"]
    bad = await start_phone(client, silent.slug, "0000000000", who)
    assert bad.status_code == 400
    assert (bad.json()["code"], bad.json()["field"]) == ("INVALID_INPUT", "phone")
    channel = await start_phone(client, silent.slug, typed, who, channel="PIGEON")
    assert channel.status_code == 400 and channel.json()["field"] == "channel"
    unknown = await start_phone(client, "no-such-command", typed, who)
    assert unknown.status_code == 404
    for body in (b"", b"[]", b'{"tenant": 1}', b"[" * 5000, b'{"tenant":"x","phone":"1","z":1}'):
        answer = await client.post("/auth/phone/start", content=body, headers=who)
        assert answer.status_code == 400, body[:20]
        answer = await client.post("/auth/phone/verify", content=body, headers=who)
        assert answer.status_code == 400, body[:20]
    assert (await verify_phone(client, silent.slug, typed, "x" * 10_000, who)).status_code == 401


async def test_a_citizen_of_one_command_signs_in_at_another(client, owner, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    for tenant in (a, b):
        await enable_gateway(tenant.id)
    typed, e164 = new_phone()
    who = fresh_client()
    await phone_sign_up(client, owner, a, typed, who)
    # A's code means nothing at B.
    code_a = await phone_code(client, owner, a, typed, who)
    at_b = await verify_phone(client, b.slug, typed, code_a, who)
    assert at_b.status_code == 401 and code_of(at_b) == "INVALID_CODE"
    code_b = await phone_code(client, owner, b, typed, who)
    if code_b != code_a:
        crossed = await verify_phone(client, a.slug, typed, code_b, who)
        assert crossed.status_code == 401
    # Each command is a controller with its own notice: accepted at A, asked again at B.
    asked = await verify_phone(client, b.slug, typed, code_b, who)
    assert asked.status_code == 409 and code_of(asked) == "CONSENT_REQUIRED"
    signed = await verify_phone(client, b.slug, typed, code_b, who, consent=NOTICE_VERSION)
    assert signed.status_code == 200, signed.text
    [user] = await owner.fetch("SELECT id FROM users WHERE phone = $1", e164)
    tenants = await owner.fetch(
        "SELECT tenant FROM privacy_consents WHERE user_id = $1 AND notice_version = $2",
        user["id"],
        NOTICE_VERSION,
    )
    assert {r["tenant"] for r in tenants} == {a.id, b.id}
    rows = await owner.fetch(
        "SELECT tenant FROM memberships WHERE user_id = $1 AND role = 'citizen'", user["id"]
    )
    assert {r["tenant"] for r in rows} == {a.id, b.id}
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    for tenant in (a, b):
        status, me = await gql(client, f"/t/{tenant.slug}/graphql", ME, headers)
        assert status == 200 and me["data"]["me"]["roles"] == ["citizen"], me
    # The code A issued is still live at A (B's sign-in did not touch it).
    again = await verify_phone(client, a.slug, typed, code_a, who)
    assert again.status_code == 200


async def test_a_phone_user_cannot_sign_in_with_a_password(client, owner, command):
    typed, e164 = new_phone()
    who = fresh_client()
    tokens = await phone_sign_up(client, owner, command, typed, who)
    username = await owner.fetchval("SELECT username FROM users WHERE phone = $1", e164)
    for password in (PASSWORD, "", "x" * 300):
        answer = await client.post(
            "/auth/token", json={"username": username, "password": password}, headers=who
        )
        assert answer.status_code == 401, answer.text
        assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    csrf = await web_csrf(client)
    web = await client.post(
        "/auth/web/login",
        json={"username": username, "password": PASSWORD},
        headers={"X-Jogo-CSRF": csrf, **who},
    )
    assert web.status_code == 401
    change = await client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "another long password"},
        headers={"Authorization": f"Bearer {tokens['access_token']}", **who},
    )
    assert change.status_code == 400, change.text


async def test_the_web_route_needs_the_csrf_double_submit(client, owner, command):
    typed, e164 = new_phone()
    who = fresh_client()
    code = await phone_code(client, owner, command, typed, who)
    path = "/auth/web/phone/verify"
    bare = await verify_phone(client, command.slug, typed, code, who, path, consent=NOTICE_VERSION)
    assert bare.status_code == 403 and bare.json()["code"] == "FORBIDDEN"
    token = await web_csrf(client)
    crossed = await verify_phone(
        client,
        command.slug,
        typed,
        code,
        {"X-Jogo-CSRF": token, "Origin": "https://evil.example", **who},
        path,
        consent=NOTICE_VERSION,
    )
    assert crossed.status_code == 403
    # Refused before the code was looked at: it still signs in.
    ok = await verify_phone(
        client,
        command.slug,
        typed,
        code,
        {"X-Jogo-CSRF": token, **who},
        path,
        consent=NOTICE_VERSION,
    )
    assert ok.status_code == 200, ok.text
    assert "refresh_token" not in ok.json() and ok.json()["token_type"] == "bearer"
    cookie = ok.headers["set-cookie"]
    for flag in ("jogo_refresh=", "HttpOnly", "Path=/auth/web", "SameSite=strict"):
        assert flag in cookie, cookie
    refreshed = await client.post("/auth/web/refresh", headers={"X-Jogo-CSRF": token})
    assert refreshed.status_code == 200, refreshed.text
    headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    status, me = await gql(client, f"/t/{command.slug}/graphql", ME, headers)
    assert status == 200 and me["data"]["me"]["phone"] == e164


async def test_a_command_that_ended_a_citizen_is_not_rejoined_by_phone(client, owner, command):
    typed, e164 = new_phone()
    who = fresh_client()
    await phone_sign_up(client, owner, command, typed, who)
    user_id = await owner.fetchval("SELECT id FROM users WHERE phone = $1", e164)
    await owner.execute(
        "DELETE FROM memberships WHERE user_id = $1 AND tenant = $2", user_id, command.id
    )
    await owner.execute(
        "INSERT INTO ended_memberships (user_id, tenant, roles, ended_by)"
        " VALUES ($1, $2, '{citizen}', 'pytest')",
        user_id,
        command.id,
    )
    code = await phone_code(client, owner, command, typed, who)
    refused = await verify_phone(client, command.slug, typed, code, who)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    assert not await owner.fetch(
        "SELECT 1 FROM memberships WHERE user_id = $1 AND tenant = $2", user_id, command.id
    )


async def test_parallel_verifications_of_one_code_sign_in_once(client, owner, command):
    typed, e164 = new_phone()
    code = await phone_code(client, owner, command, typed, fresh_client())
    answers = await asyncio.gather(
        *(
            verify_phone(client, command.slug, typed, code, fresh_client(), consent=NOTICE_VERSION)
            for _ in range(4)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 401, 401, 401]
    assert await owner.fetchval("SELECT count(*) FROM users WHERE phone = $1", e164) == 1
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM auth_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE u.phone = $1",
            e164,
        )
        == 1
    )
