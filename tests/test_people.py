"""Issue 14, item 3: a tenant admin manages the command's people in the API, every
action audited; users change their own password. Two tenants throughout: an admin of
one command can neither see nor touch another's people."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from helpers import (
    CREATE_MEMBER,
    DEACTIVATE,
    EVENTS,
    MEMBER_FIELDS,
    NEW_PASSWORD,
    PASSWORD,
    RESET,
    auth_header,
    bearer,
    bearer_for,
    closed_with,
    gql,
    make_user,
    me_status,
    open_socket,
    redeem,
    refresh,
    run_as,
    sign_in,
)
from helpers import subscribe as subscribe_feed

from jogo.platform.auth.roles import Role
from jogo.platform.auth.users import create_user

ROOT = Path(__file__).resolve().parent.parent
ROLE = f"""mutation($u: ID!, $r: MemberRole!, $a: ID) {{
  changeMemberRole(userId: $u, role: $r, agencyId: $a) {{ {MEMBER_FIELDS} }} }}"""
REACTIVATE = f"mutation($u: ID!) {{ reactivateMember(userId: $u) {{ {MEMBER_FIELDS} }} }}"
CHANGE = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) {
  sessionsEnded errors { code field message } } }"""
MEMBERS = """query($first: Int, $after: String, $s: String, $r: MemberRole, $st: MemberStatus) {
  members(first: $first, after: $after, search: $s, role: $r, status: $st) {
    edges { cursor node { id username roles status } } pageInfo { hasNextPage endCursor } } }"""


async def audit_actions(owner: Any, user_id: str) -> list[tuple[str, Any]]:
    rows = await owner.fetch(
        "SELECT action, tenant FROM audit_log WHERE target = $1 ORDER BY id", f"user:{user_id}"
    )
    return [(r["action"], r["tenant"]) for r in rows]


async def test_an_admin_creates_a_member_who_activates_with_a_code(
    app_client, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    username = f"brigadir-{uuid.uuid4().hex[:6]}"
    made = await run_as(
        app_client,
        a.slug,
        admin,
        CREATE_MEMBER,
        i={"username": username, "role": "OFFICER", "fullName": "Brigadir Sutrisno"},
    )
    assert made["errors"] == []
    member, code = made["member"], made["activationCode"]
    assert member["status"] == "PENDING" and member["roles"] == ["OFFICER"]
    assert code.startswith("jpc_")
    stored = await owner.fetchrow(
        "SELECT code_hash, purpose FROM password_codes WHERE user_id = $1::uuid", member["id"]
    )
    assert stored["purpose"] == "activate" and code not in stored["code_hash"]
    # Nobody knows a password yet: no sign-in works until the person sets one.
    r = await app_client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 401
    short = await redeem(app_client, code, "short")
    assert short.status_code == 400  # the rules; the code stays valid
    same = await redeem(app_client, code, username)
    assert same.status_code == 400 and "username" in same.json()["errors"][0]["message"]
    assert (await redeem(app_client, code)).json() == {"status": "ok"}
    assert (await redeem(app_client, code, "another passphrase!")).status_code == 401  # once
    r = await app_client.post("/auth/token", json={"username": username, "password": NEW_PASSWORD})
    assert r.status_code == 200
    listed = await run_as(app_client, a.slug, admin, MEMBERS, s=username)
    assert [e["node"]["status"] for e in listed["edges"]] == ["ACTIVE"]
    assert await audit_actions(owner, member["id"]) == [
        ("user.create", a.id),
        ("user.activated", a.id),
    ]


async def test_a_retried_create_member_is_one_person_with_one_code(
    app_client, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    key = uuid.uuid4().hex
    person = {"username": f"bripka-{uuid.uuid4().hex[:6]}", "role": "OPERATOR"}
    first, again = [
        await run_as(app_client, a.slug, admin, CREATE_MEMBER, i=person, k=key) for _ in "12"
    ]
    assert first["errors"] == again["errors"] == []
    assert again["member"]["id"] == first["member"]["id"]
    assert again["activationCode"] == first["activationCode"]
    users = await owner.fetchval(
        "SELECT count(*) FROM users WHERE username = $1", person["username"]
    )
    assert users == 1
    other = await run_as(
        app_client, a.slug, admin, CREATE_MEMBER, i=person | {"role": "OFFICER"}, k=key
    )
    assert other["errors"][0]["code"] == "CONFLICT" and other["errors"][0]["field"] == "clientKey"
    assert (await redeem(app_client, again["activationCode"])).status_code == 200
    creates = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'user.create' AND target = $1",
        f"user:{first['member']['id']}",
    )
    assert creates == 1


async def test_a_taken_username_names_no_command(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    _, in_b = await make_user(Role.OFFICER, b)
    _, in_a = await make_user(Role.OFFICER, a)
    answers = []
    for taken in (in_b, in_a):
        made = await run_as(
            app_client, a.slug, admin_a, CREATE_MEMBER, i={"username": taken, "role": "OFFICER"}
        )
        assert made["member"] is None and made["activationCode"] is None
        answers.append(made["errors"])
    assert answers[0] == answers[1]
    assert answers[0][0]["code"] == "CONFLICT" and answers[0][0]["field"] == "username"
    assert b.slug not in json.dumps(answers) and b.name not in json.dumps(answers[0])


async def test_an_admin_cannot_see_or_touch_another_commands_people(
    app_client, settings, two_tenants, owner
):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    b_user, b_name = await make_user(Role.OPERATOR, b)
    listed = await run_as(app_client, a.slug, admin_a, MEMBERS, first=100)
    assert b_name not in json.dumps(listed)
    assert (await run_as(app_client, a.slug, admin_a, MEMBERS, s=b_name))["edges"] == []
    stranger, nobody = str(b_user), str(uuid.uuid4())
    for query, extra in ((ROLE, {"r": "CITIZEN"}), (DEACTIVATE, {}), (RESET, {})):
        seen = [
            (await run_as(app_client, a.slug, admin_a, query, u=target, **extra))["errors"]
            for target in (stranger, nobody)
        ]
        assert seen[0] == seen[1] and seen[0][0]["code"] == "NOT_FOUND", seen
    # B's person is untouched: same role, no code, no audit row from A.
    roles = await owner.fetch("SELECT tenant, role FROM memberships WHERE user_id = $1", b_user)
    assert [(r["tenant"], r["role"]) for r in roles] == [(b.id, "operator")]
    assert not await owner.fetch("SELECT 1 FROM password_codes WHERE user_id = $1", b_user)
    assert await audit_actions(owner, stranger) == []
    # An operator of A is no admin: FORBIDDEN, before anything is read.
    operator_a = await auth_header(settings, Role.OPERATOR, a)
    a_user, _ = await make_user(Role.OFFICER, a)
    for query, extra in ((ROLE, {"r": "OPERATOR"}), (DEACTIVATE, {}), (RESET, {})):
        refused = await run_as(app_client, a.slug, operator_a, query, u=str(a_user), **extra)
        assert refused["errors"][0]["code"] == "FORBIDDEN"
    _, body = await gql(app_client, f"/t/{a.slug}/graphql", MEMBERS, operator_a)
    assert body["data"]["members"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_roles_change_within_the_tenants_rules(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    admin_id, admin_name = await make_user(Role.TENANT_ADMIN, a)
    admin = bearer_for(admin_id, admin_name, settings)
    officer, _ = await make_user(Role.OFFICER, a)
    promoted = await run_as(app_client, a.slug, admin, ROLE, u=str(officer), r="OPERATOR")
    assert promoted["member"]["roles"] == ["OPERATOR"] and promoted["errors"] == []
    no_agency = await run_as(app_client, a.slug, admin, ROLE, u=str(officer), r="AGENCY_LIAISON")
    assert [(e["code"], e["field"]) for e in no_agency["errors"]] == [("INVALID_INPUT", "agencyId")]
    roles = "SELECT role FROM memberships WHERE user_id = $1 AND tenant = $2"
    assert [r["role"] for r in await owner.fetch(roles, officer, a.id)] == ["operator"]
    b_agency = await owner.fetchval("SELECT id FROM agencies WHERE tenant_id = $1 LIMIT 1", b.id)
    a_agency = await owner.fetchval("SELECT id FROM agencies WHERE tenant_id = $1 LIMIT 1", a.id)
    foreign = await run_as(
        app_client, a.slug, admin, ROLE, u=str(officer), r="AGENCY_LIAISON", a=str(b_agency)
    )
    assert [(e["code"], e["field"]) for e in foreign["errors"]] == [("NOT_FOUND", "agencyId")]
    assert [r["role"] for r in await owner.fetch(roles, officer, a.id)] == ["operator"]
    liaison = await run_as(
        app_client, a.slug, admin, ROLE, u=str(officer), r="AGENCY_LIAISON", a=str(a_agency)
    )
    assert liaison["member"]["roles"] == ["AGENCY_LIAISON"]
    bound = await owner.fetchval(
        "SELECT agency_id FROM agency_liaisons WHERE tenant_id = $1 AND user_id = $2",
        a.id,
        officer,
    )
    assert bound == a_agency
    # The only tenant admin cannot step down or leave; with a second admin they can.
    for query, extra in ((ROLE, {"r": "OPERATOR"}), (DEACTIVATE, {})):
        alone = await run_as(app_client, a.slug, admin, query, u=str(admin_id), **extra)
        assert alone["errors"][0]["code"] == "CONFLICT", alone
    second_admin = bearer_for(*await make_user(Role.TENANT_ADMIN, a), settings)
    stepped = await run_as(app_client, a.slug, admin, ROLE, u=str(admin_id), r="OPERATOR")
    assert stepped["errors"] == [] and stepped["member"]["roles"] == ["OPERATOR"]
    # A liaison moved to another role speaks for no agency any more.
    moved = await run_as(app_client, a.slug, second_admin, ROLE, u=str(officer), r="OFFICER")
    assert moved["errors"] == []
    assert not await owner.fetch("SELECT 1 FROM agency_liaisons WHERE user_id = $1", officer)
    changes = await owner.fetch(
        "SELECT detail FROM audit_log WHERE action = 'user.role_change' AND tenant = $1"
        " AND target = $2",
        a.id,
        f"user:{officer}",
    )
    assert len(changes) == 3


async def test_deactivation_ends_sessions_and_feeds_at_once(
    app_client, live_server, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    user_id, username = await make_user(Role.OPERATOR, a)
    signed = await sign_in(app_client, username)
    ws = await open_socket(live_server, a.slug, signed["access_token"])
    async with ws:
        await subscribe_feed(ws, EVENTS)
        done = await run_as(app_client, a.slug, admin, DEACTIVATE, u=str(user_id))
        assert done["errors"] == [] and done["member"]["status"] == "DEACTIVATED"
        assert done["member"]["roles"] == ["OPERATOR"] and done["member"]["deactivatedAt"]
        code, reason = await closed_with(ws)  # within WAIT (5 s); in practice milliseconds
    assert code == 4401 and "session has ended" in reason
    assert (await refresh(app_client, signed["refresh_token"])).status_code == 401
    assert await me_status(app_client, a.slug, signed["access_token"]) == 401
    listed = await run_as(app_client, a.slug, admin, MEMBERS, st="DEACTIVATED")
    assert [e["node"]["username"] for e in listed["edges"]] == [username]
    again = await run_as(app_client, a.slug, admin, DEACTIVATE, u=str(user_id))
    assert again["errors"] == [] and again["member"] == done["member"]  # idempotent
    assert await audit_actions(owner, str(user_id)) == [("user.deactivate", a.id)]


async def test_reactivation_restores_what_this_command_ended(
    app_client, settings, two_tenants, owner
):
    """Roles come back, a liaison's agency too while it is active; another command's
    people and people never deactivated are NOT_FOUND like unknown ids."""
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    kept, closed = [
        r["id"]
        for r in await owner.fetch(
            "SELECT id FROM agencies WHERE tenant_id = $1 ORDER BY code LIMIT 2", a.id
        )
    ]
    liaisons = []
    for agency in (kept, closed):
        user_id, username = await make_user(Role.OFFICER, a)
        made = await run_as(
            app_client, a.slug, admin_a, ROLE, u=str(user_id), r="AGENCY_LIAISON", a=str(agency)
        )
        assert made["errors"] == []
        ended = await run_as(app_client, a.slug, admin_a, DEACTIVATE, u=str(user_id))
        assert ended["member"]["status"] == "DEACTIVATED"
        liaisons.append((user_id, username))
    await owner.execute("UPDATE agencies SET is_active = false WHERE id = $1", closed)
    b_user, _ = await make_user(Role.OPERATOR, b)
    await run_as(app_client, b.slug, admin_b, DEACTIVATE, u=str(b_user))
    never, _ = await make_user(Role.OPERATOR, a)
    # Another command's deactivated person, an unknown id, a live member: one NOT_FOUND.
    seen = [
        (await run_as(app_client, a.slug, admin_a, REACTIVATE, u=str(target)))["errors"]
        for target in (b_user, uuid.uuid4(), never)
    ]
    assert seen[0] == seen[1] == seen[2] and seen[0][0]["code"] == "NOT_FOUND", seen
    assert not await owner.fetch("SELECT 1 FROM memberships WHERE user_id = $1", b_user)
    assert await audit_actions(owner, str(b_user)) == [("user.deactivate", b.id)]
    # The liaison of an active agency speaks for it again, and signs in again.
    (back_id, back_name), (plain_id, _) = liaisons
    back = await run_as(app_client, a.slug, admin_a, REACTIVATE, u=str(back_id))
    assert back["errors"] == [] and back["member"]["status"] == "ACTIVE"
    assert back["member"]["roles"] == ["AGENCY_LIAISON"] and back["member"]["deactivatedAt"] is None
    bound = "SELECT agency_id FROM agency_liaisons WHERE tenant_id = $1 AND user_id = $2"
    assert await owner.fetchval(bound, a.id, back_id) == kept
    signed = await sign_in(app_client, back_name)
    assert await me_status(app_client, a.slug, signed["access_token"]) == 200
    # The other's agency was deactivated meanwhile: the plain role, bound to nothing.
    plain = await run_as(app_client, a.slug, admin_a, REACTIVATE, u=str(plain_id))
    assert plain["errors"] == [] and plain["member"]["roles"] == ["AGENCY_LIAISON"]
    assert await owner.fetchval(bound, a.id, plain_id) is None
    detail = await owner.fetchval(
        "SELECT detail FROM audit_log WHERE action = 'user.reactivate' AND target = $1",
        f"user:{plain_id}",
    )
    assert json.loads(detail)["agencies_not_restored"] == [str(closed)]
    assert (await audit_actions(owner, str(back_id)))[-2:] == [
        ("user.deactivate", a.id),
        ("user.reactivate", a.id),
    ]
    # Once is enough: a second reactivation finds no one this command deactivated.
    again = await run_as(app_client, a.slug, admin_a, REACTIVATE, u=str(back_id))
    assert again["errors"][0]["code"] == "NOT_FOUND"
    # B's admin restores B's person; A's people stay as they are.
    restored = await run_as(app_client, b.slug, admin_b, REACTIVATE, u=str(b_user))
    assert restored["member"]["roles"] == ["OPERATOR"]
    listed = await run_as(app_client, a.slug, admin_a, MEMBERS, st="DEACTIVATED")
    assert listed["edges"] == []


async def test_deactivation_in_one_command_leaves_the_rest(
    app_client, live_server, settings, two_tenants, owner
):
    """A person who is also a platform admin: the tenant membership ends (their socket
    here closes 4403), the platform membership and their sessions stay."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    username = f"u{uuid.uuid4().hex[:12]}"
    user_id = await create_user(
        username, PASSWORD, Role.OFFICER, tenant=a, also=[Role.PLATFORM_ADMIN]
    )
    signed = await sign_in(app_client, username)
    ws = await open_socket(live_server, a.slug, signed["access_token"])
    async with ws:
        await subscribe_feed(ws, EVENTS)
        await run_as(app_client, a.slug, admin, DEACTIVATE, u=str(user_id))
        code, reason = await closed_with(ws)
    assert (code, reason) == (4403, "Forbidden: the membership has ended")
    roles = await owner.fetch("SELECT tenant, role FROM memberships WHERE user_id = $1", user_id)
    assert [(r["tenant"], r["role"]) for r in roles] == [(None, "platform_admin")]
    status, _ = await gql(
        app_client, "/platform/graphql", "{ tenants { slug } }", bearer(signed["access_token"])
    )
    assert status == 200
    assert (await refresh(app_client, signed["refresh_token"])).status_code == 200
    # Their password is theirs everywhere: this command's admin cannot reset it.
    other = await make_user(Role.OFFICER, a)
    await owner.execute(
        "INSERT INTO memberships (user_id, tenant, role) VALUES ($1, $2, 'citizen')",
        other[0],
        two_tenants.b.id,
    )
    refused = await run_as(app_client, a.slug, admin, RESET, u=str(other[0]))
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    assert two_tenants.b.slug not in json.dumps(refused)


async def test_a_password_reset_ends_every_session_and_feed(
    app_client, live_server, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    user_id, username = await make_user(Role.OFFICER, a)
    signed = await sign_in(app_client, username)
    first = await run_as(app_client, a.slug, admin, RESET, u=str(user_id))
    issued = await run_as(app_client, a.slug, admin, RESET, u=str(user_id))
    assert issued["errors"] == [] and issued["code"] != first["code"]
    assert (await redeem(app_client, first["code"])).status_code == 401  # replaced
    ws = await open_socket(live_server, a.slug, signed["access_token"])
    async with ws:
        await subscribe_feed(ws, EVENTS)
        assert (await redeem(app_client, issued["code"])).status_code == 200
        code, _ = await closed_with(ws)
    assert code == 4401
    assert (await refresh(app_client, signed["refresh_token"])).status_code == 401
    old = await app_client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert old.status_code == 401
    new = await app_client.post(
        "/auth/token", json={"username": username, "password": NEW_PASSWORD}
    )
    assert new.status_code == 200
    assert await audit_actions(owner, str(user_id)) == [
        ("user.password_reset", a.id),
        ("user.password_reset", a.id),
        ("user.password_reset_done", a.id),
    ]


async def test_wrong_codes_are_throttled_per_client(app_client, settings, two_tenants):
    """10 wrong codes from one client, then even a right one waits; another client not."""
    import ipaddress
    from dataclasses import replace

    import httpx

    from jogo.platform.app.factory import create_app

    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    user_id, _ = await make_user(Role.OFFICER, a)
    good = (await run_as(app_client, a.slug, admin, RESET, u=str(user_id)))["code"]
    proxied = replace(settings, trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),))
    app = create_app(proxied, manage_database=False)
    guesser = {"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250}"}
    other = {"X-Forwarded-For": "198.51.100.7"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        wrong = [
            (
                await client.post(
                    "/auth/reset",
                    json={"code": f"jpc_{i:043d}", "password": NEW_PASSWORD},
                    headers=guesser,
                )
            ).status_code
            for i in range(10)
        ]
        assert wrong == [401] * 10
        throttled = await client.post(
            "/auth/reset", json={"code": good, "password": NEW_PASSWORD}, headers=guesser
        )
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
        fine = await client.post(
            "/auth/reset", json={"code": good, "password": NEW_PASSWORD}, headers=other
        )
        assert fine.status_code == 200


async def test_users_change_their_own_password(app_client, settings, two_tenants, owner):
    a = two_tenants.a
    user_id, username = await make_user(Role.CITIZEN, a)
    here = await sign_in(app_client, username)
    elsewhere = await sign_in(app_client, username)
    me = bearer(here["access_token"])
    wrong = await run_as(app_client, a.slug, me, CHANGE, c="not my password", n=NEW_PASSWORD)
    assert [(e["code"], e["field"]) for e in wrong["errors"]] == [
        ("INVALID_INPUT", "currentPassword")
    ]
    hash_before = await owner.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
    weak = await run_as(app_client, a.slug, me, CHANGE, c=PASSWORD, n=username)
    assert [(e["code"], e["field"]) for e in weak["errors"]] == [("INVALID_INPUT", "newPassword")]
    assert (
        await owner.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
        == hash_before
    )
    done = await run_as(app_client, a.slug, me, CHANGE, c=PASSWORD, n=NEW_PASSWORD)
    assert done == {"sessionsEnded": 1, "errors": []}
    assert await me_status(app_client, a.slug, here["access_token"]) == 200  # this one stays
    assert await me_status(app_client, a.slug, elsewhere["access_token"]) == 401
    assert (await refresh(app_client, elsewhere["refresh_token"])).status_code == 401
    r = await app_client.post("/auth/token", json={"username": username, "password": NEW_PASSWORD})
    assert r.status_code == 200
    # Guessing the current password is bounded: 5 wrong ones, then RATE_LIMITED.
    codes = [
        (await run_as(app_client, a.slug, me, CHANGE, c=f"guess number {i}", n="whatever it is"))[
            "errors"
        ][0]["code"]
        for i in range(6)
    ]
    assert codes == ["INVALID_INPUT"] * 4 + ["RATE_LIMITED"] * 2  # one wrong try came first
    assert await audit_actions(owner, str(user_id)) == [("user.password_change", None)]


def _statements(span_exporter: Any) -> int:
    return sum(
        1
        for s in span_exporter.get_finished_spans()
        if s.attributes and s.attributes.get("db.system") == "postgresql"
    )


async def test_members_are_searched_filtered_and_paged(app_client, settings, span_exporter):
    from helpers import onboard

    tenant = await onboard()
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    tag = uuid.uuid4().hex[:6]
    for i in range(5):
        await create_user(f"bripda-{tag}-{i}", PASSWORD, Role.OFFICER, tenant=tenant)
    await create_user(f"ipda-{tag}", PASSWORD, Role.OPERATOR, tenant=tenant)
    pages, after = [], None
    while True:
        page = await run_as(
            app_client, tenant.slug, admin, MEMBERS, first=2, after=after, s=f"bripda-{tag}"
        )
        pages.append([e["node"]["username"] for e in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == [[f"bripda-{tag}-{i}" for i in pair] for pair in ((0, 1), (2, 3), (4,))]
    counts = []
    for first in (1, 6):
        span_exporter.clear()
        page = await run_as(app_client, tenant.slug, admin, MEMBERS, first=first, s=tag)
        assert len(page["edges"]) == first
        counts.append(_statements(span_exporter))
    assert counts[0] == counts[1]  # one page, one statement, however long
    operators = await run_as(app_client, tenant.slug, admin, MEMBERS, r="OPERATOR", s=tag)
    assert [e["node"]["username"] for e in operators["edges"]] == [f"ipda-{tag}"]
    wild = await run_as(app_client, tenant.slug, admin, MEMBERS, s="%")
    assert wild["edges"] == []  # a LIKE wildcard is a plain character
    _, bad = await gql(app_client, f"/t/{tenant.slug}/graphql", MEMBERS, admin, first=101)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    _, bad = await gql(app_client, f"/t/{tenant.slug}/graphql", MEMBERS, admin, after="!!")
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_jogo_user_create_is_audited(database, owner):
    from helpers import onboard

    tenant = await onboard()
    username = f"cli-{uuid.uuid4().hex[:8]}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    environ["JOGO_DATABASE_URL"] = database
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "jogo.platform.app.cli",
            "user",
            "create",
            "--username",
            username,
            "--password-stdin",
            "--role",
            "operator",
            "--tenant",
            tenant.slug,
        ],
        input="a long enough password\n",
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    user_id = json.loads(done.stdout)["id"]
    row = await owner.fetchrow(
        "SELECT actor, actor_kind, tenant, detail FROM audit_log WHERE action = 'user.create'"
        " AND target = $1",
        f"user:{user_id}",
    )
    assert (row["actor"], row["actor_kind"], row["tenant"]) == ("cli", "cli", tenant.id)
    assert json.loads(row["detail"])["role"] == "operator"


async def test_national_users_change_their_password_over_http(app_client, settings, owner):
    user_id, username = await make_user(Role.NATIONAL_SUPERVISOR)
    signed = await sign_in(app_client, username)
    headers = bearer(signed["access_token"])
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert (await app_client.post("/auth/password", json=body)).status_code == 401  # no token
    wrong = await app_client.post(
        "/auth/password", json=body | {"current_password": "not it at all"}, headers=headers
    )
    assert wrong.status_code == 400
    done = await app_client.post("/auth/password", json=body, headers=headers)
    assert done.status_code == 200 and done.json() == {"sessions_ended": 0}
    r = await app_client.post("/auth/token", json={"username": username, "password": NEW_PASSWORD})
    assert r.status_code == 200
    assert await audit_actions(owner, str(user_id)) == [("user.password_change", None)]
