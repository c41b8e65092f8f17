"""Rules of users and their roles (``jogo.platform.auth.users``): a tenant role needs a
tenant and a national one takes none, only a Polda supervisor takes a Polda, an extra
role is never a tenant or Polda role, and a refused user is not half-written. A token
of a user who does not exist (or no longer may act) is refused."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from helpers import PASSWORD, bearer_for, gql, onboard, run_jogo

from jogo.platform import db
from jogo.platform.auth.roles import Role
from jogo.platform.auth.users import add_membership, create_user
from jogo.platform.errors import InvalidInput

ME = "query { me { name } }"


async def rows_of(owner, username: str) -> tuple[int, int]:
    users = await owner.fetchval("SELECT count(*) FROM users WHERE username = $1", username)
    memberships = await owner.fetchval(
        "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = $1",
        username,
    )
    return users, memberships


async def test_an_extra_tenant_or_polda_role_is_refused_and_nothing_is_written(database, owner):
    tenant = await onboard("minimal", region="35.79")
    for extra in (Role.OPERATOR, Role.POLDA_SUPERVISOR):
        username = f"x-{uuid.uuid4().hex[:8]}"
        with pytest.raises(InvalidInput) as caught:
            await create_user(username, PASSWORD, Role.OFFICER, tenant=tenant, also=[extra])
        assert (caught.value.field, caught.value.message) == (
            "role",
            f"{extra} cannot be an extra role",
        )
        assert await rows_of(owner, username) == (0, 0)  # the user row was rolled back too
    # A national extra role is taken: two memberships.
    username = f"x-{uuid.uuid4().hex[:8]}"
    await create_user(
        username, PASSWORD, Role.OFFICER, tenant=tenant, also=[Role.OVERSIGHT_AUDITOR]
    )
    assert await rows_of(owner, username) == (1, 2)


async def test_add_membership_checks_the_tenant_against_the_role(database, owner):
    tenant = await onboard("minimal", region="35.79")
    username = f"x-{uuid.uuid4().hex[:8]}"
    user_id = await create_user(username, PASSWORD, Role.OVERSIGHT_AUDITOR)
    for role, given in ((Role.OPERATOR, None), (Role.NATIONAL_SUPERVISOR, tenant)):
        with pytest.raises(InvalidInput) as caught:
            async with db.control_tx():
                await add_membership(user_id, role, tenant=given)
        needs = "needs" if given is None else "takes no"
        assert caught.value.message == f"role {role} {needs} tenant"
    assert await rows_of(owner, username) == (1, 1)
    async with db.control_tx():
        await add_membership(user_id, Role.OPERATOR, tenant=tenant)
    roles = await owner.fetch(
        "SELECT role, tenant FROM memberships WHERE user_id = $1 ORDER BY role", user_id
    )
    assert [(r["role"], r["tenant"]) for r in roles] == [
        ("operator", tenant.id),
        ("oversight_auditor", None),
    ]


async def test_the_cli_refuses_a_polda_for_another_role(database, owner):
    username = f"x-{uuid.uuid4().hex[:8]}"
    args = ["user", "create", "--username", username, "--password-stdin"]
    args += ["--role", "national_supervisor", "--polda", "JATIM"]
    result = await asyncio.to_thread(run_jogo, args, database, stdin=PASSWORD + "\n")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "only polda_supervisor takes a Polda" in line
    assert await rows_of(owner, username) == (0, 0)


async def test_a_token_of_no_user_is_refused(app_client, settings, two_tenants):
    tenant = two_tenants.a
    real_id = await create_user(f"x-{uuid.uuid4().hex[:8]}", PASSWORD, Role.CITIZEN, tenant=tenant)
    path = f"/t/{tenant.slug}/graphql"
    ok_status, ok = await gql(app_client, path, ME, bearer_for(real_id, "x", settings))
    assert ok_status == 200 and "errors" not in ok, ok
    status, body = await gql(app_client, path, ME, bearer_for(uuid.uuid4(), "ghost", settings))
    assert status == 401, body
    assert "the access token is invalid" in str(body)
