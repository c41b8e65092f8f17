"""A tenant admin ends a member's membership in the command, and undoes that.

Deactivation keeps the person in the command's list as ``DEACTIVATED`` (a row of
``ended_memberships``: the roles and agencies they had). When they belong nowhere else
(no other command, no national or platform role), every session and unused one-time
code of theirs ends, and they can no longer sign in, refresh, set a password with a
code or change it (:func:`jogo.platform.auth.users.authenticate`,
:mod:`jogo.platform.auth.sessions`, :mod:`jogo.platform.auth.codes`,
:mod:`jogo.platform.auth.account`). Both actions run in one tenant transaction,
serialised per tenant with the other changes of :mod:`jogo.platform.auth.people`, write
an audit row and announce the change so open sockets are re-checked at once.
"""

from __future__ import annotations

import uuid

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.people import NO_MEMBER, actor_of, lock_members, member_roles, other_admins
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.revocation import announce
from jogo.platform.auth.roles import Role
from jogo.platform.auth.sessions import end_user_sessions
from jogo.platform.errors import Conflict, NotFound
from jogo.platform.registry import TenantInfo


async def deactivate_member(
    tenant: TenantInfo, principal: Principal, user_id: uuid.UUID
) -> list[str]:
    """End the member's membership in this command (kept as DEACTIVATED in the list).
    Their open sockets here close at once; when they belong nowhere else, every session
    and unused code of theirs ends too. Returns the roles they had. Idempotent: for a
    person this command deactivated already it returns the roles they had and writes
    nothing (no second audit row). Errors: NOT_FOUND (userId: never a member here, or
    another command's), CONFLICT (the last tenant admin)."""
    async with db.tenant_tx(tenant.id):
        await lock_members(tenant)
        try:
            roles = await member_roles(tenant, user_id)
        except NotFound:
            # Deactivated by this command already (a retry, a parallel twin): the same
            # answer, nothing written again.
            ended_before = await db.fetch(
                "SELECT roles FROM ended_memberships WHERE user_id = $1 AND tenant = $2",
                user_id,
                tenant.id,
            )
            if not ended_before:
                raise
            return list(ended_before[0]["roles"])
        if "tenant_admin" in roles and not await other_admins(tenant, user_id):
            raise Conflict("the command's last tenant admin cannot be deactivated", field="userId")
        await db.fetch(
            "DELETE FROM memberships WHERE user_id = $1 AND tenant = $2", user_id, tenant.id
        )
        bound = await db.fetch(
            "DELETE FROM agency_liaisons WHERE tenant_id = $1 AND user_id = $2 RETURNING agency_id",
            tenant.id,
            user_id,
        )
        await db.fetch(
            "INSERT INTO ended_memberships (user_id, tenant, roles, ended_by, agency_ids)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, tenant) DO UPDATE"
            " SET roles = excluded.roles, ended_at = now(), ended_by = excluded.ended_by,"
            " agency_ids = excluded.agency_ids",
            user_id,
            tenant.id,
            roles,
            principal.name,
            sorted({r["agency_id"] for r in bound}),
        )
        elsewhere = await db.fetch("SELECT 1 FROM memberships WHERE user_id = $1", user_id)
        ended = 0
        if not elsewhere:
            ended = await end_user_sessions(user_id, "deactivated")
            await db.fetch(
                "UPDATE password_codes SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
                user_id,
            )
        await announce("user", user_id)
        await write_audit(
            "user.deactivate",
            actor=actor_of(principal),
            tenant_id=tenant.id,
            target=f"user:{user_id}",
            detail={"roles": roles, "sessions_ended": ended},
        )
    return roles


async def reactivate_member(
    tenant: TenantInfo, principal: Principal, user_id: uuid.UUID
) -> list[str]:
    """Undo :func:`deactivate_member`: the role(s) the person had here come back, and an
    agency liaison speaks for the agencies they spoke for again when those still exist
    and are active (otherwise they get the plain role, bound to no agency). They sign in
    again (their sessions stayed ended). Returns the roles restored.
    Errors: NOT_FOUND (userId: no one this command deactivated; another command's
    people look the same), CONFLICT (the person is a member here already)."""
    async with db.tenant_tx(tenant.id):
        await lock_members(tenant)
        ended = await db.fetch(
            "SELECT roles, agency_ids FROM ended_memberships"
            " WHERE user_id = $1 AND tenant = $2 FOR UPDATE",
            user_id,
            tenant.id,
        )
        if not ended:
            raise NotFound(NO_MEMBER, field="userId")
        if await db.fetch(
            "SELECT 1 FROM memberships WHERE user_id = $1 AND tenant = $2", user_id, tenant.id
        ):
            raise Conflict("this person is a member of the command already", field="userId")
        roles = list(ended[0]["roles"])
        await db.fetch(
            "INSERT INTO memberships (user_id, tenant, role) SELECT $1, $2, unnest($3::text[])",
            user_id,
            tenant.id,
            roles,
        )
        agencies: list[uuid.UUID] = []
        if Role.AGENCY_LIAISON.value in roles and ended[0]["agency_ids"]:
            rows = await db.fetch(
                "INSERT INTO agency_liaisons (tenant_id, agency_id, user_id)"
                " SELECT $1, a.id, $2 FROM agencies a"
                " WHERE a.id = ANY($3::uuid[]) AND a.is_active"
                " ON CONFLICT DO NOTHING RETURNING agency_id",
                tenant.id,
                user_id,
                ended[0]["agency_ids"],
            )
            agencies = sorted(r["agency_id"] for r in rows)
        await db.fetch(
            "DELETE FROM ended_memberships WHERE user_id = $1 AND tenant = $2",
            user_id,
            tenant.id,
        )
        await announce("user", user_id)
        await write_audit(
            "user.reactivate",
            actor=actor_of(principal),
            tenant_id=tenant.id,
            target=f"user:{user_id}",
            detail={
                "roles": roles,
                "agency_ids": agencies,
                "agencies_not_restored": sorted(set(ended[0]["agency_ids"]) - set(agencies)),
            },
        )
    return roles
