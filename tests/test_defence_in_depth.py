"""Defence in depth: the domain functions refuse a caller without the capability themselves,
before touching the database, even though the GraphQL layer checks first.

Each case calls the domain function directly with a principal that holds every role's
capabilities except the one the rule needs (``platform/auth/roles.py``), expects the typed
code (FORBIDDEN, or UNAUTHENTICATED for an anonymous caller), and counts that tenant's rows
before and after to show nothing was written.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from helpers import make_user, onboard

from jogo.platform.auth.principal import Membership, Principal
from jogo.platform.auth.roles import Role
from jogo.platform.errors import InputErrors, JogoError
from jogo.platform.registry import TenantInfo
from jogo.platform.storage import FileStore
from jogo.tenants.agencies.actions import (
    AgencyInput,
    do_create_agency,
    do_set_agency_jurisdiction,
    do_set_routing_rule,
)
from jogo.tenants.agencies.answers import do_add_agency_liaison, do_update_dispatch_status
from jogo.tenants.agencies.directory import apply_update, do_set_entry_active
from jogo.tenants.agencies.edits import do_update_agency
from jogo.tenants.election.actions import do_set_deployment_rule
from jogo.tenants.election.vocab import DeploymentRule
from jogo.tenants.facilities.actions import CameraInput, do_create_camera, do_create_police_post
from jogo.tenants.facilities.edits import do_update_camera, do_update_police_post
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.actions import do_reject_report, do_set_category_sla
from jogo.tenants.sharing.actions import PostInput, do_approve_post, do_reject_post, do_share_post

ANONYMOUS = Principal(kind="anonymous")


@pytest.fixture(scope="module")
async def tenant(database: str) -> TenantInfo:
    return await onboard()


def user_in(tenant: TenantInfo, role: Role) -> Principal:
    """A signed-in user holding ``role`` in ``tenant``, as the token loader builds it."""
    return Principal(
        kind="user",
        id=uuid.uuid4(),
        name=f"{role.value}-pytest",
        memberships=(Membership(role=role, tenant_id=tenant.id),),
    )


async def count(owner: asyncpg.Connection, table: str, tenant: TenantInfo) -> int:
    column = "tenant" if table == "audit_log" else "tenant_id"
    return int(await owner.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", tenant.id))


async def refused(
    owner: asyncpg.Connection,
    tenant: TenantInfo,
    tables: list[str],
    call: Callable[[], Awaitable[Any]],
    code: str = "FORBIDDEN",
) -> None:
    before = {t: await count(owner, t, tenant) for t in [*tables, "audit_log"]}
    with pytest.raises(JogoError) as caught:
        await call()
    assert caught.value.code == code, caught.value
    after = {t: await count(owner, t, tenant) for t in [*tables, "audit_log"]}
    assert after == before


async def one(owner: asyncpg.Connection, sql: str, tenant: TenantInfo) -> Any:
    value = await owner.fetchval(sql, tenant.id)
    assert value is not None, f"setup: nothing for {sql}"
    return value


AGENCY = "SELECT id FROM agencies WHERE tenant_id = $1 ORDER BY code LIMIT 1"
CATEGORY = "SELECT code FROM report_categories WHERE tenant_id = $1 ORDER BY code LIMIT 1"


# --- agencies: directory:write (tenant admin, or a key with agencies:write) ------------


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.OFFICER, Role.AGENCY_LIAISON])
async def test_create_agency_needs_directory_write(owner, tenant, role) -> None:
    principal = user_in(tenant, role)
    data = AgencyInput(code="DID-1", name="Dinas Uji Pertahanan", kind="other")
    assert await count(owner, "agencies", tenant) > 0  # the count sees this tenant's rows
    await refused(
        owner,
        tenant,
        ["agencies"],
        lambda: do_create_agency(tenant.id, principal, data, "k" * 32, allow_private_egress=False),
    )
    assert not await owner.fetchval(
        "SELECT 1 FROM agencies WHERE tenant_id = $1 AND code = 'DID-1'", tenant.id
    )


async def test_anonymous_create_agency_is_told_to_sign_in(owner, tenant) -> None:
    data = AgencyInput(code="DID-2", name="Dinas Uji Anonim", kind="other")
    await refused(
        owner,
        tenant,
        ["agencies"],
        lambda: do_create_agency(tenant.id, ANONYMOUS, data, "k" * 32, allow_private_egress=False),
        code="UNAUTHENTICATED",
    )


async def test_set_agency_jurisdiction_needs_directory_write(owner, tenant) -> None:
    agency_id = await one(owner, AGENCY, tenant)
    before = await owner.fetchval("SELECT jurisdiction_id FROM agencies WHERE id = $1", agency_id)
    await refused(
        owner,
        tenant,
        ["agencies"],
        lambda: do_set_agency_jurisdiction(
            tenant.id, user_in(tenant, Role.OPERATOR), agency_id, "malang.go.id"
        ),
    )
    after = await owner.fetchval("SELECT jurisdiction_id FROM agencies WHERE id = $1", agency_id)
    assert after == before


async def test_set_routing_rule_needs_directory_write(owner, tenant) -> None:
    agency_id = await one(owner, AGENCY, tenant)
    category = await one(owner, CATEGORY, tenant)
    await refused(
        owner,
        tenant,
        ["routing_rules"],
        lambda: do_set_routing_rule(
            tenant.id, user_in(tenant, Role.OPERATOR), category, agency_id, True
        ),
    )


async def test_add_agency_liaison_needs_directory_write(owner, tenant) -> None:
    agency_id = await one(owner, AGENCY, tenant)
    liaison_id, _ = await make_user(Role.AGENCY_LIAISON, tenant)
    await refused(
        owner,
        tenant,
        ["agency_liaisons"],
        lambda: do_add_agency_liaison(
            tenant, user_in(tenant, Role.OPERATOR), agency_id, liaison_id
        ),
    )


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICER])
async def test_update_dispatch_status_needs_dispatch_update(owner, tenant, role) -> None:
    # An unknown dispatch: the refusal comes before the lookup, so FORBIDDEN, not NOT_FOUND.
    await refused(
        owner,
        tenant,
        ["dispatches", "report_events"],
        lambda: do_update_dispatch_status(
            tenant, user_in(tenant, role), uuid.uuid4(), "done", "sudah ditangani"
        ),
    )


# --- facilities: directory:write ------------------------------------------------------


async def test_create_camera_needs_directory_write(owner, tenant) -> None:
    data = CameraInput(
        name="Kamera Uji Alun-alun",
        latitude=-7.98,
        longitude=112.63,
        stream_url="https://cctv.example.id/live/1.m3u8",
    )
    await refused(
        owner,
        tenant,
        ["cameras"],
        lambda: do_create_camera(
            tenant.id, user_in(tenant, Role.OPERATOR), data, allow_private_egress=False
        ),
    )


async def test_create_police_post_needs_directory_write(owner, tenant) -> None:
    await refused(
        owner,
        tenant,
        ["police_posts"],
        lambda: do_create_police_post(
            tenant.id,
            user_in(tenant, Role.OPERATOR),
            "Pos Uji Kayutangan",
            "POS_POLISI",
            -7.98,
            112.63,
        ),
    )


# --- sharing: sharing:post for members, sharing:moderate for operators -----------------


async def test_share_post_needs_a_member(owner, tenant, tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    data = PostInput(body="Jalan berlubang di depan pasar")
    # A member of another command, and an API key of this one: neither is a member here.
    other = await onboard(polda="JATENG", region="33.74", sample_directory=False)
    key = Principal(
        kind="api_key",
        id=uuid.uuid4(),
        name="key",
        key_tenant_id=tenant.id,
        scopes=frozenset({"reports:write"}),
    )
    for principal in (user_in(other, Role.CITIZEN), key):
        await refused(
            owner,
            tenant,
            ["shared_posts"],
            lambda p=principal: do_share_post(tenant, p, data, store),
        )
    await refused(
        owner,
        tenant,
        ["shared_posts"],
        lambda: do_share_post(tenant, ANONYMOUS, data, store),
        code="UNAUTHENTICATED",
    )


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICER])
async def test_moderation_needs_sharing_moderate(owner, tenant, role) -> None:
    principal = user_in(tenant, role)
    await refused(
        owner,
        tenant,
        ["shared_posts"],
        lambda: do_approve_post(tenant, principal, uuid.uuid4(), True),
    )
    await refused(
        owner,
        tenant,
        ["shared_posts"],
        lambda: do_reject_post(tenant, principal, uuid.uuid4(), "tidak pantas"),
    )


# --- reports: reports:triage, tenant:admin ----------------------------------------------


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICER])
async def test_reject_report_needs_triage(owner, tenant, role) -> None:
    viewer = Viewer.of(user_in(tenant, role), tenant.id)
    await refused(
        owner,
        tenant,
        ["reports", "report_events"],
        lambda: do_reject_report(tenant, viewer, uuid.uuid4(), "bukan wewenang kami"),
    )


async def test_set_category_sla_needs_tenant_admin(owner, tenant) -> None:
    code = await one(owner, CATEGORY, tenant)
    before = await owner.fetchval(
        "SELECT followup_working_days FROM report_categories WHERE tenant_id = $1 AND code = $2",
        tenant.id,
        code,
    )
    viewer = Viewer.of(user_in(tenant, Role.OPERATOR), tenant.id)
    await refused(
        owner,
        tenant,
        ["report_categories"],
        lambda: do_set_category_sla(tenant, viewer, code, {"followup_working_days": 9}),
    )
    after = await owner.fetchval(
        "SELECT followup_working_days FROM report_categories WHERE tenant_id = $1 AND code = $2",
        tenant.id,
        code,
    )
    assert after == before


# --- election: election:plan for the deployment rules -----------------------------------


@pytest.fixture(scope="module")
async def election_tenant(database: str) -> TenantInfo:
    return await onboard(modules=["election"], sample_directory=False)


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICER])
async def test_deployment_rules_need_election_plan(owner, election_tenant, role) -> None:
    rule = DeploymentRule("RAWAN", 5, 2, 2)
    await refused(
        owner,
        election_tenant,
        ["election_deployment_rules"],
        lambda: do_set_deployment_rule(election_tenant, user_in(election_tenant, role), rule),
    )


@pytest.mark.parametrize(
    ("rule", "fields"),
    [
        (DeploymentRule("SANGAT_AMAN", 5, 2, 2), ["vulnerability"]),
        (DeploymentRule("RAWAN", 0, 2, 2), ["maxTpsPerGroup"]),
        (DeploymentRule("RAWAN", 21, 2, 2), ["maxTpsPerGroup"]),
        (DeploymentRule("RAWAN", 5, 0, 2), ["officersPerGroup"]),
        (DeploymentRule("RAWAN", 5, 21, 2), ["officersPerGroup"]),
        (DeploymentRule("RAWAN", 5, 2, -1), ["linmasPerTps"]),
        (DeploymentRule("RAWAN", 5, 2, 11), ["linmasPerTps"]),
        (
            DeploymentRule("X", 0, 0, 11),
            ["vulnerability", "maxTpsPerGroup", "officersPerGroup", "linmasPerTps"],
        ),
    ],
)
async def test_deployment_rule_bounds(owner, election_tenant, rule, fields) -> None:
    # Groups of 1-20 TPS, 1-20 officers a group, 0-10 Linmas a TPS.
    operator = user_in(election_tenant, Role.OPERATOR)
    before = await count(owner, "election_deployment_rules", election_tenant)
    with pytest.raises(InputErrors) as caught:
        await do_set_deployment_rule(election_tenant, operator, rule)
    assert [e.field for e in caught.value.errors] == fields
    assert all(e.code == "INVALID_INPUT" for e in caught.value.errors)
    assert await count(owner, "election_deployment_rules", election_tenant) == before


async def test_deployment_rule_edges_are_accepted(owner, election_tenant) -> None:
    operator = user_in(election_tenant, Role.OPERATOR)
    for rule in (DeploymentRule("AMAN", 1, 1, 0), DeploymentRule("RAWAN", 20, 20, 10)):
        await do_set_deployment_rule(election_tenant, operator, rule)
        stored = await owner.fetchrow(
            "SELECT max_tps_per_group, officers_per_group, linmas_per_tps"
            " FROM election_deployment_rules WHERE tenant_id = $1 AND vulnerability = $2",
            election_tenant.id,
            rule.vulnerability,
        )
        assert tuple(stored) == (
            rule.max_tps_per_group,
            rule.officers_per_group,
            rule.linmas_per_tps,
        )


# --- directory edits: directory:write, and only the editable fields ---------------------


async def test_directory_edits_need_directory_write(owner, tenant) -> None:
    agency_id = await one(owner, AGENCY, tenant)
    operator = user_in(tenant, Role.OPERATOR)
    row = "SELECT * FROM agencies WHERE id = $1"
    before = dict(await owner.fetchrow(row, agency_id))
    calls = [
        lambda: do_set_entry_active(tenant.id, operator, "agency", agency_id, False),
        lambda: do_update_agency(
            tenant.id,
            operator,
            agency_id,
            {"name": "Dinas Baru"},
            "k" * 32,
            allow_private_egress=False,
        ),
        lambda: do_update_camera(
            tenant.id, operator, uuid.uuid4(), {"name": "Kamera"}, allow_private_egress=False
        ),
        lambda: do_update_police_post(tenant.id, operator, uuid.uuid4(), {"name": "Pos"}),
    ]
    for call in calls:
        await refused(owner, tenant, ["agencies", "cameras", "police_posts"], call)
    assert dict(await owner.fetchrow(row, agency_id)) == before


async def test_fields_that_are_not_editable_are_a_programming_error(owner, tenant) -> None:
    admin = user_in(tenant, Role.TENANT_ADMIN)
    with pytest.raises(ValueError, match="tenant_id"):
        await do_update_camera(
            tenant.id, admin, uuid.uuid4(), {"tenant_id": uuid.uuid4()}, allow_private_egress=False
        )
    with pytest.raises(ValueError, match="tenant_id"):
        await do_update_police_post(tenant.id, admin, uuid.uuid4(), {"tenant_id": uuid.uuid4()})


async def test_a_stale_or_empty_directory_update_writes_nothing(owner, tenant) -> None:
    agency_id = await one(owner, AGENCY, tenant)
    admin = user_in(tenant, Role.TENANT_ADMIN)
    row = "SELECT * FROM agencies WHERE id = $1"
    before = dict(await owner.fetchrow(row, agency_id))
    # Someone changed the entry since the caller read it: CONFLICT, nothing written.
    stale = datetime(2020, 1, 1, tzinfo=UTC)  # never this entry's updated_at
    await refused(
        owner,
        tenant,
        ["agencies"],
        lambda: apply_update(
            tenant.id, admin, "agency", agency_id, {"name": "Dinas Lain"}, seen_at=stale
        ),
        code="CONFLICT",
    )
    assert dict(await owner.fetchrow(row, agency_id)) == before
    # The same values again: no change, no audit row, updated_at kept.
    audits = await count(owner, "audit_log", tenant)
    await apply_update(
        tenant.id,
        admin,
        "agency",
        agency_id,
        {"name": before["name"]},
        seen_at=before["updated_at"],
    )
    assert dict(await owner.fetchrow(row, agency_id)) == before
    assert await count(owner, "audit_log", tenant) == audits
    # A real change is written with its audit row (the counts above can move).
    await apply_update(
        tenant.id,
        admin,
        "agency",
        agency_id,
        {"name": before["name"] + " Kota"},
        seen_at=before["updated_at"],
    )
    assert await owner.fetchval("SELECT name FROM agencies WHERE id = $1", agency_id) == (
        before["name"] + " Kota"
    )
    assert await count(owner, "audit_log", tenant) == audits + 1
