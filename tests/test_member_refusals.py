"""A tenant admin's people management refusing what the rules forbid
(``jogo.platform.auth.people``, ``members``, ``passwords``): each refusal is the typed
code on its field and writes no person, membership or binding."""

from __future__ import annotations

import uuid

from helpers import PASSWORD, auth_header, bearer_for, gql, make_user

from jogo.platform.auth.roles import Role

CREATE = """mutation($i: CreateMemberInput!, $k: String) { createMember(input: $i, clientKey: $k) {
  activationCode member { id username fullName roles } errors { code field message } } }"""
MEMBERS = "query($s: String) { members(search: $s) { edges { node { username } } } }"
CHANGE = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) {
  sessionsEnded errors { code field message } } }"""


async def create(client, tenant, admin, **fields):
    _, body = await gql(client, f"/t/{tenant.slug}/graphql", CREATE, admin, **fields)
    assert "errors" not in body, body
    return body["data"]["createMember"]


async def users_named(owner, username: str) -> int:
    return await owner.fetchval("SELECT count(*) FROM users WHERE username = $1", username)


async def an_agency(owner, tenant) -> uuid.UUID:
    return await owner.fetchval(
        "SELECT id FROM agencies WHERE tenant_id = $1 ORDER BY code LIMIT 1", tenant.id
    )


async def test_a_name_over_200_characters_or_an_agency_for_an_officer_is_refused(
    app_client, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    agency = await an_agency(owner, a)
    username = f"bripda-{uuid.uuid4().hex[:6]}"
    long_name = await create(
        app_client, a, admin, i={"username": username, "role": "OFFICER", "fullName": "N" * 201}
    )
    officer_agency = await create(
        app_client, a, admin, i={"username": username, "role": "OFFICER", "agencyId": str(agency)}
    )
    assert [(e["code"], e["field"]) for e in long_name["errors"]] == [("INVALID_INPUT", "fullName")]
    assert "at most 200 characters" in long_name["errors"][0]["message"]
    assert [(e["code"], e["field"]) for e in officer_agency["errors"]] == [
        ("INVALID_INPUT", "agencyId")
    ]
    assert "only an agency_liaison takes an agency" in officer_agency["errors"][0]["message"]
    assert long_name["member"] is None and officer_agency["member"] is None
    assert await users_named(owner, username) == 0
    # 200 characters exactly is a name.
    made = await create(
        app_client, a, admin, i={"username": username, "role": "OFFICER", "fullName": "N" * 200}
    )
    assert made["errors"] == [] and made["member"]["fullName"] == "N" * 200
    assert await users_named(owner, username) == 1


async def test_a_liaison_is_bound_to_the_agency_given(app_client, settings, two_tenants, owner):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    agency = await an_agency(owner, a)
    made = await create(
        app_client,
        a,
        admin,
        i={
            "username": f"dishub-{uuid.uuid4().hex[:6]}",
            "role": "AGENCY_LIAISON",
            "agencyId": str(agency),
        },
    )
    assert made["errors"] == [], made
    bound = await owner.fetch(
        "SELECT agency_id, tenant_id FROM agency_liaisons WHERE user_id = $1::uuid",
        made["member"]["id"],
    )
    assert [(r["agency_id"], r["tenant_id"]) for r in bound] == [(agency, a.id)]


async def test_a_search_over_100_characters_is_refused(app_client, settings, two_tenants):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    path = f"/t/{a.slug}/graphql"
    _, ok = await gql(app_client, path, MEMBERS, admin, s="x" * 100)
    assert "errors" not in ok and ok["data"]["members"]["edges"] == []
    _, body = await gql(app_client, path, MEMBERS, admin, s="x" * 101)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert "search is at most 100 characters" in error["message"]


async def test_a_new_password_over_256_characters_is_refused(
    app_client, settings, two_tenants, owner
):
    a = two_tenants.a
    user_id, username = await make_user(Role.OPERATOR, a)
    headers = bearer_for(user_id, username, settings)
    before = await owner.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
    _, body = await gql(
        app_client, f"/t/{a.slug}/graphql", CHANGE, headers, c=PASSWORD, n="p" * 257
    )
    [error] = body["data"]["changePassword"]["errors"]
    assert error["code"] == "INVALID_INPUT"
    assert "password must be at most 256 characters" in error["message"]
    assert await owner.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id) == before
