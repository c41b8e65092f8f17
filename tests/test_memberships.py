"""``add_membership`` and who may grant a role (issue 15, item 6).

The rules, from the control-plane schema (migration 0001: the nine role names, a
tenant for the five tenant roles and none for the rest, a Polda for
``polda_supervisor`` alone, one row per user, tenant and role) and from
``create_user``, whose checks ``add_membership`` must share: every refusal is a typed
error with its field, and writes nothing.

Who may grant: ``add_membership`` checks no caller (it is called by ``create_user`` for
the CLI and ``jogo up``); over the API only a tenant admin grants, only the five tenant
roles, and only to members of their own command (people.py)."""

from __future__ import annotations

import uuid

import pytest
from helpers import auth_header, bearer_for, gql, make_user

from jogo.platform import db
from jogo.platform.auth.roles import Role, parse_role
from jogo.platform.auth.users import add_membership
from jogo.platform.errors import JogoError

TENANT_ROLES = ["citizen", "officer", "operator", "tenant_admin", "agency_liaison"]
OTHER_ROLES = ["polda_supervisor", "national_supervisor", "oversight_auditor", "platform_admin"]


async def grant(user_id: uuid.UUID, role: Role, **kwargs) -> None:
    async with db.control_tx():
        await add_membership(user_id, role, **kwargs)


async def refused(user_id: uuid.UUID, role: Role, **kwargs) -> tuple[str, str | None]:
    with pytest.raises(JogoError) as error:
        await grant(user_id, role, **kwargs)
    return error.value.code, error.value.field


async def roles_of(owner, user_id: uuid.UUID) -> list[tuple[uuid.UUID | None, str, str | None]]:
    rows = await owner.fetch(
        "SELECT tenant, role, polda_code FROM memberships WHERE user_id = $1"
        " ORDER BY role, tenant NULLS FIRST",
        user_id,
    )
    return [(r["tenant"], r["role"], r["polda_code"]) for r in rows]


def test_the_nine_role_names_and_nothing_else():
    assert sorted(r.value for r in Role) == sorted(TENANT_ROLES + OTHER_ROLES)
    assert parse_role(" Operator ") == Role.OPERATOR
    for wrong in ("superuser", "admin", "", "operators"):
        with pytest.raises(JogoError) as error:
            parse_role(wrong)
        assert (error.value.code, error.value.field) == ("INVALID_INPUT", "role")


async def test_a_tenant_role_needs_a_tenant_and_no_other_role_takes_one(two_tenants, owner):
    a = two_tenants.a
    user_id, _ = await make_user(Role.CITIZEN, a)
    before = await roles_of(owner, user_id)
    assert before == [(a.id, "citizen", None)]
    for name in TENANT_ROLES:
        assert await refused(user_id, Role(name)) == ("INVALID_INPUT", "tenant"), name
    for name in OTHER_ROLES:
        polda = "JATIM" if name == "polda_supervisor" else None
        given = await refused(user_id, Role(name), tenant=a, polda_code=polda)
        assert given == ("INVALID_INPUT", "tenant"), name
    assert await roles_of(owner, user_id) == before


async def test_roles_are_granted_per_tenant_once(two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    user_id, _ = await make_user(Role.OFFICER, a)
    await grant(user_id, Role.OPERATOR, tenant=a)
    await grant(user_id, Role.OFFICER, tenant=b)  # the same role in another command
    await grant(user_id, Role.NATIONAL_SUPERVISOR)
    assert set(await roles_of(owner, user_id)) == {
        (a.id, "officer", None),
        (a.id, "operator", None),
        (b.id, "officer", None),
        (None, "national_supervisor", None),
    }
    # Held already: CONFLICT on role, in a command and without one (NULLS NOT DISTINCT).
    assert await refused(user_id, Role.OFFICER, tenant=a) == ("CONFLICT", "role")
    assert await refused(user_id, Role.OFFICER, tenant=b) == ("CONFLICT", "role")
    assert await refused(user_id, Role.NATIONAL_SUPERVISOR) == ("CONFLICT", "role")
    assert len(await roles_of(owner, user_id)) == 4


async def test_a_polda_for_the_polda_supervisor_alone(two_tenants, owner):
    user_id, _ = await make_user(Role.CITIZEN, two_tenants.a)
    before = await roles_of(owner, user_id)
    assert await refused(user_id, Role.POLDA_SUPERVISOR) == ("INVALID_INPUT", "polda")
    assert await refused(user_id, Role.POLDA_SUPERVISOR, polda_code="NOPE") == (
        "INVALID_INPUT",
        "polda",
    )
    for name in ("national_supervisor", "oversight_auditor", "platform_admin"):
        given = await refused(user_id, Role(name), polda_code="JATIM")
        assert given == ("INVALID_INPUT", "polda"), name
    assert await roles_of(owner, user_id) == before
    await grant(user_id, Role.POLDA_SUPERVISOR, polda_code=" jatim ")
    assert (None, "polda_supervisor", "JATIM") in await roles_of(owner, user_id)


async def test_only_a_tenant_admin_grants_and_only_tenant_roles_of_their_own_command(
    app_client, settings, two_tenants, owner
):
    a, b = two_tenants.a, two_tenants.b
    path = f"/t/{a.slug}/graphql"
    change = """mutation($u: ID!, $r: MemberRole!) { changeMemberRole(userId: $u, role: $r) {
      member { roles } errors { code field } } }"""
    member, _ = await make_user(Role.OFFICER, a)
    stranger, _ = await make_user(Role.OFFICER, b)
    admin = bearer_for(*await make_user(Role.TENANT_ADMIN, a), settings)
    # The path works: A's admin makes A's officer an operator.
    _, body = await gql(app_client, path, change, admin, u=str(member), r="OPERATOR")
    assert body["data"]["changeMemberRole"] == {"member": {"roles": ["OPERATOR"]}, "errors": []}
    assert await roles_of(owner, member) == [(a.id, "operator", None)]
    # Nobody else grants: operators, officers, and a key (no scope grants TENANT_ADMIN).
    for role in (Role.OPERATOR, Role.OFFICER, Role.CITIZEN):
        headers = await auth_header(settings, role, a)
        _, body = await gql(app_client, path, change, headers, u=str(member), r="TENANT_ADMIN")
        assert body["data"]["changeMemberRole"]["errors"] == [
            {"code": "FORBIDDEN", "field": None}
        ], role
    # A national or platform role is no MemberRole: the request is not even valid.
    _, body = await gql(app_client, path, change, admin, u=str(member), r="PLATFORM_ADMIN")
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    # Another command's person is NOT_FOUND, as one who exists nowhere.
    _, body = await gql(app_client, path, change, admin, u=str(stranger), r="OPERATOR")
    assert body["data"]["changeMemberRole"]["errors"] == [{"code": "NOT_FOUND", "field": "userId"}]
    assert await roles_of(owner, member) == [(a.id, "operator", None)]
    assert await roles_of(owner, stranger) == [(b.id, "officer", None)]
