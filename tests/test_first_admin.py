"""A command onboarded through the API gets its first tenant admin through the API too
(issue 14: every role does its day with its own credentials, no server shell)."""

from __future__ import annotations

import uuid

from helpers import auth_header, gql, onboard

from jogo.platform.auth.roles import Role

INVITE = """mutation($s: String!, $u: String!, $n: String, $k: String) {
  inviteTenantAdmin(slug: $s, username: $u, fullName: $n, clientKey: $k) {
    invite { userId username tenantSlug activationCode activationExpiresAt }
    errors { code field message } } }"""
ME = "{ me { kind roles } members { edges { node { username roles status } } } }"


async def test_the_platform_admin_invites_a_new_commands_first_admin(app_client, settings, owner):
    batu = await onboard("jogo-malang-presisi", region="35.79", sample_directory=False)
    other = await onboard("minimal", region="35.07")
    platform = await auth_header(settings, Role.PLATFORM_ADMIN)
    username = f"kapolres{uuid.uuid4().hex[:8]}"
    key = uuid.uuid4().hex
    _, body = await gql(
        app_client, "/platform/graphql", INVITE, platform, s=batu.slug, u=username, k=key
    )
    invite = body["data"]["inviteTenantAdmin"]["invite"]
    assert body["data"]["inviteTenantAdmin"]["errors"] == []
    assert invite["tenantSlug"] == batu.slug and invite["username"] == username
    # A retry on a flaky network answers the same person and code, and makes no second.
    _, again = await gql(
        app_client, "/platform/graphql", INVITE, platform, s=batu.slug, u=username, k=key
    )
    assert again["data"]["inviteTenantAdmin"]["invite"] == invite
    # The new admin chooses a password with the code, signs in, and runs their command.
    password = "kata sandi kapolres batu"
    done = await app_client.post(
        "/auth/reset", json={"code": invite["activationCode"], "password": password}
    )
    assert done.status_code == 200, done.text
    token = await app_client.post("/auth/token", json={"username": username, "password": password})
    assert token.status_code == 200
    mine = {"Authorization": f"Bearer {token.json()['access_token']}"}
    _, me = await gql(app_client, f"/t/{batu.slug}/graphql", ME, mine)
    assert me["data"]["me"]["roles"] == ["tenant_admin"]
    assert [e["node"]["username"] for e in me["data"]["members"]["edges"]] == [username]
    # ... and only theirs: another command's path does not know them.
    other_path = await app_client.post(
        f"/t/{other.slug}/graphql", json={"query": "{ me { kind } }"}, headers=mine
    )
    assert other_path.status_code == 404
    audit = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'user.create'", batu.id
    )
    assert audit == 1


async def test_invites_are_typed_errors_and_platform_only(app_client, settings, two_tenants):
    platform = await auth_header(settings, Role.PLATFORM_ADMIN)
    _, body = await gql(
        app_client, "/platform/graphql", INVITE, platform, s="no-such-command", u="someone"
    )
    assert body["data"]["inviteTenantAdmin"]["errors"][0]["code"] == "NOT_FOUND"
    _, body = await gql(
        app_client, "/platform/graphql", INVITE, platform, s=two_tenants.a.slug, u="X Y"
    )
    [error] = body["data"]["inviteTenantAdmin"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "username")
    # A tenant admin of A cannot make admins anywhere through the platform schema.
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    status, body = await gql(
        app_client, "/platform/graphql", INVITE, admin_a, s=two_tenants.b.slug, u="mallory"
    )
    assert status == 403 and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not (body.get("data") or {}).get("inviteTenantAdmin")
