"""Tokens, API keys, roles and the 404 wall between tenants."""

from __future__ import annotations

import hashlib
import time

import jwt
import pytest
from helpers import PASSWORD, auth_header, bearer_for, gql, make_user

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.platform.auth.users import create_user
from jogo.platform.errors import Conflict, InvalidInput

ME = "{ me { kind name roles } tenant { slug } }"


async def test_token_login_and_use(app_client, settings, two_tenants):
    _, username = await make_user(Role.OPERATOR, two_tenants.a)
    r = await app_client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and 60 <= body["expires_in"] <= 3600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    status, data = await gql(app_client, f"/t/{two_tenants.a.slug}/graphql", ME, headers)
    assert status == 200
    assert data["data"]["me"] == {"kind": "user", "name": username, "roles": ["operator"]}


@pytest.mark.parametrize(
    "body",
    [
        {"username": "nobody-here", "password": PASSWORD},
        {"username": "WRONGPASS", "password": "not the password"},
    ],
)
async def test_wrong_credentials_get_401(app_client, two_tenants, body):
    _, username = await make_user(Role.CITIZEN, two_tenants.a)
    if body["username"] == "WRONGPASS":
        body = body | {"username": username}
    r = await app_client.post("/auth/token", json=body)
    assert r.status_code == 401
    assert r.json()["errors"][0]["message"] == "wrong username or password"


async def test_malformed_login_gets_400(app_client):
    for body in ({"username": "x"}, ["x"], {"username": 1, "password": 2}):
        r = await app_client.post("/auth/token", json=body)
        assert r.status_code == 400
    r = await app_client.post("/auth/token", content=b"{nope")
    assert r.status_code == 400


async def test_expired_and_forged_tokens_get_401(app_client, settings, two_tenants):
    user_id, _username = await make_user(Role.OPERATOR, two_tenants.a)
    path = f"/t/{two_tenants.a.slug}/graphql"
    now = int(time.time())
    claims = {"iss": "jogo", "aud": "jogo-api", "sub": str(user_id), "iat": now - 100}
    expired = jwt.encode(claims | {"exp": now - 10}, settings.secret_key, algorithm="HS256")
    forged = jwt.encode(claims | {"exp": now + 100}, "x" * 40, algorithm="HS256")
    none_alg = jwt.encode(claims | {"exp": now + 100}, None, algorithm="none")
    for token, message in (
        (expired, "the access token has expired"),
        (forged, "the access token is invalid"),
        (none_alg, "the access token is invalid"),
        ("garbage", "the access token is invalid"),
    ):
        r = await app_client.post(
            path, json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 401, token
        assert r.json()["errors"][0]["message"] == message
        assert r.headers["www-authenticate"] == "Bearer"
    r = await app_client.post(path, json={"query": ME}, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


async def test_token_for_tenant_a_gets_404_on_tenant_b(app_client, settings, two_tenants):
    headers = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    status, body = await gql(app_client, f"/t/{two_tenants.b.slug}/graphql", ME, headers)
    unknown_status, unknown_body = await gql(app_client, "/t/no-such-command/graphql", ME, headers)
    assert status == unknown_status == 404
    assert body == unknown_body  # another tenant's and an unknown one look the same
    status, _ = await gql(app_client, f"/t/{two_tenants.a.slug}/graphql", ME, headers)
    assert status == 200


async def test_api_key_is_shown_once_stored_hashed_and_bound_to_its_tenant(
    app_client, two_tenants, owner
):
    key = await create_api_key(two_tenants.a, "Dishub feed", ["agencies:read"], "pytest")
    row = await owner.fetchrow("SELECT * FROM api_keys WHERE id = $1", key.id)
    assert key.key.startswith(f"jogo_{key.prefix}_")
    assert row["prefix"] == key.prefix and row["scopes"] == ["agencies:read"]
    assert (
        key.key not in str(dict(row))
        and row["key_hash"] == hashlib.sha256(key.key.encode()).hexdigest()
    )
    headers = {"Authorization": f"Bearer {key.key}"}
    status, body = await gql(
        app_client,
        f"/t/{two_tenants.a.slug}/graphql",
        "{ me { kind scopes } agencies { code } }",
        headers,
    )
    assert status == 200, body
    assert body["data"]["me"] == {"kind": "api_key", "scopes": ["agencies:read"]}
    assert len(body["data"]["agencies"]) == 25
    status, _ = await gql(app_client, f"/t/{two_tenants.b.slug}/graphql", ME, headers)
    assert status == 404
    tampered = key.key[:-2] + ("AA" if not key.key.endswith("AA") else "BB")
    status, _ = await gql(
        app_client, f"/t/{two_tenants.a.slug}/graphql", ME, {"Authorization": f"Bearer {tampered}"}
    )
    assert status == 401


async def test_api_key_scopes_are_validated(two_tenants):
    with pytest.raises(InvalidInput) as err:
        await create_api_key(two_tenants.a, "x", ["root"], "pytest")
    assert err.value.field == "scopes"
    with pytest.raises(InvalidInput):
        await create_api_key(two_tenants.a, "x", [], "pytest")


async def test_permissions_are_enforced_per_role(app_client, settings, two_tenants):
    path = f"/t/{two_tenants.a.slug}/graphql"
    query = "{ agencies { code } }"
    _, anon = await gql(app_client, path, query)
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    _, citizen = await gql(
        app_client, path, query, await auth_header(settings, Role.CITIZEN, two_tenants.a)
    )
    assert citizen["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, officer = await gql(
        app_client, path, query, await auth_header(settings, Role.OFFICER, two_tenants.a)
    )
    assert "errors" not in officer and len(officer["data"]["agencies"]) == 25
    # Public information needs no sign-in.
    _, public = await gql(app_client, path, "{ categories { code } tenant { name } }")
    assert len(public["data"]["categories"]) == 9


async def test_duplicate_user_and_bad_roles(two_tenants):
    _, username = await make_user(Role.CITIZEN, two_tenants.a)
    with pytest.raises(Conflict):
        await create_user(username, PASSWORD, Role.CITIZEN, tenant=two_tenants.a)
    with pytest.raises(InvalidInput):
        await create_user("someone-new", PASSWORD, Role.OPERATOR)  # tenant role, no tenant
    with pytest.raises(InvalidInput):
        await create_user("someone-new", PASSWORD, Role.NATIONAL_SUPERVISOR, tenant=two_tenants.a)
    with pytest.raises(InvalidInput):
        await create_user("someone-new", PASSWORD, Role.POLDA_SUPERVISOR)  # no Polda
    with pytest.raises(InvalidInput):
        await create_user("someone-new", "short", Role.CITIZEN, tenant=two_tenants.a)
    with pytest.raises(InvalidInput):
        await create_user("x", PASSWORD, Role.CITIZEN, tenant=two_tenants.a)


async def test_national_endpoint_is_closed_to_tenant_roles(app_client, settings, two_tenants):
    query = "{ tenants { slug } }"
    status, _ = await gql(app_client, "/national/graphql", query)
    assert status == 401
    operator = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    status, body = await gql(app_client, "/national/graphql", query, operator)
    assert status == 403 and "data" not in body
    status, _ = await gql(app_client, "/platform/graphql", query, operator)
    assert status == 403


async def test_polda_supervisor_sees_only_its_polda(app_client, settings, two_tenants, owner):
    jatim = await auth_header(settings, Role.POLDA_SUPERVISOR, polda="JATIM")
    status, body = await gql(
        app_client, "/national/graphql", "{ tenants { slug poldaCode } }", jatim
    )
    assert status == 200, body
    slugs = {t["slug"] for t in body["data"]["tenants"]}
    assert two_tenants.a.slug in slugs and two_tenants.b.slug not in slugs
    assert {t["poldaCode"] for t in body["data"]["tenants"]} == {"JATIM"}
    # Asking for another Polda by name gives nothing, not an error that confirms it.
    _, other = await gql(
        app_client, "/national/graphql", '{ tenants(poldaCode: "JATENG") { slug } }', jatim
    )
    assert other["data"]["tenants"] == []
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    _, everything = await gql(app_client, "/national/graphql", "{ tenants { slug } }", national)
    assert {two_tenants.a.slug, two_tenants.b.slug} <= {
        t["slug"] for t in everything["data"]["tenants"]
    }
    audit = await owner.fetch(
        "SELECT role, detail FROM audit_log WHERE action = 'national.tenants' ORDER BY id DESC LIMIT 3"
    )
    assert [a["role"] for a in audit] == [
        "national_supervisor",
        "polda_supervisor",
        "polda_supervisor",
    ]


async def test_revoked_membership_takes_effect_at_once(app_client, settings, two_tenants, owner):
    user_id, username = await make_user(Role.OPERATOR, two_tenants.a)
    headers = bearer_for(user_id, username, settings)
    path = f"/t/{two_tenants.a.slug}/graphql"
    assert (await gql(app_client, path, ME, headers))[0] == 200
    await owner.execute("DELETE FROM memberships WHERE user_id = $1", user_id)
    assert (await gql(app_client, path, ME, headers))[0] == 404
