"""A tenant admin manages the command's people: create, change role, reset (deactivation
and reactivation: :mod:`jogo.platform.auth.departures`).

Users and their usernames are platform-wide; a membership ties a user to a command
with a role. Every action here:

- runs in one transaction of the tenant (``tenant_tx``: the control-plane rows, the
  agency check and the liaison binding commit together) and writes an audit row with
  the tenant set;
- sees only this tenant's members: a user of another command, or an id that exists
  nowhere, is the same ``NOT_FOUND``;
- announces the change (:func:`jogo.platform.auth.revocation.announce`), so the
  person's open sockets are re-checked at once.

A username taken anywhere on the platform is ``CONFLICT`` with one message that names
no command. A person who also belongs to another command or holds a national role can
have their role changed or membership ended here, but not their password reset
(``FORBIDDEN``): the password is theirs everywhere. The last tenant admin of a command
cannot demote or deactivate themselves (``CONFLICT``); admins' changes are serialised
per tenant by an advisory lock, so two admins cannot demote each other at once.
"""

from __future__ import annotations

import uuid

import asyncpg

from jogo.platform import db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.codes import NewCode, code_expiry, derived_code, issue_code
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.revocation import announce
from jogo.platform.auth.roles import TENANT_ROLES, Role
from jogo.platform.auth.users import check_username
from jogo.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from jogo.platform.registry import TenantInfo

TAKEN = "this username is taken; choose another"
NO_MEMBER = "member not found"


def _tenant_role(value: str) -> Role:
    try:
        role = Role(value.strip().lower())
    except ValueError:
        role = None
    if role not in TENANT_ROLES:
        raise InvalidInput(
            f"role must be one of {', '.join(sorted(r.value for r in TENANT_ROLES))}",
            field="role",
        )
    assert role is not None
    return role


def _full_name(value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > 200:
        raise InvalidInput("a name is at most 200 characters", field="fullName")
    return value or None


async def lock_members(tenant: TenantInfo) -> None:
    """Take the tenant's members advisory lock for the rest of the transaction, so admins' role
    changes and deactivations of one tenant run one at a time (the last tenant admin cannot be
    removed by two admins at once)."""
    await db.fetch(
        "SELECT pg_advisory_xact_lock(hashtext('members:' || $1::uuid::text))", tenant.id
    )


async def _check_agency(tenant: TenantInfo, role: Role, agency_id: uuid.UUID | None) -> None:
    if role != Role.AGENCY_LIAISON:
        if agency_id is not None:
            raise InvalidInput("only an agency_liaison takes an agency", field="agencyId")
        return
    if agency_id is None:
        raise InvalidInput("an agency_liaison needs the agency they speak for", field="agencyId")
    if not await db.fetch("SELECT 1 FROM agencies WHERE id = $1", agency_id):
        raise NotFound("agency not found", field="agencyId")


async def _bind_liaison(tenant: TenantInfo, agency_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await db.fetch(
        "INSERT INTO agency_liaisons (tenant_id, agency_id, user_id) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        tenant.id,
        agency_id,
        user_id,
    )


async def _unbind_liaison(tenant: TenantInfo, user_id: uuid.UUID) -> None:
    """A role changed or ended: the person no longer speaks for any agency here."""
    await db.fetch(
        "DELETE FROM agency_liaisons WHERE tenant_id = $1 AND user_id = $2", tenant.id, user_id
    )


async def member_roles(tenant: TenantInfo, user_id: uuid.UUID) -> list[str]:
    """The user's roles in this tenant, sorted. Raises :class:`NotFound` on ``userId`` when the user
    is no member here (the same for a user of another tenant)."""
    rows = await db.fetch(
        "SELECT role FROM memberships WHERE user_id = $1 AND tenant = $2 ORDER BY role",
        user_id,
        tenant.id,
    )
    if not rows:
        raise NotFound(NO_MEMBER, field="userId")
    return [r["role"] for r in rows]


async def other_admins(tenant: TenantInfo, user_id: uuid.UUID) -> int:
    """How many active users other than ``user_id`` are ``tenant_admin`` of this tenant."""
    rows = await db.fetch(
        "SELECT count(*) AS n FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.tenant = $1 AND m.role = 'tenant_admin' AND m.user_id <> $2 AND u.is_active",
        tenant.id,
        user_id,
    )
    return int(rows[0]["n"])


def actor_of(principal: Principal) -> tuple[str, str]:
    """The audit actor of a principal: ``(name, "api_key")`` for an API key, else ``(name,
    "user")``."""
    return principal.name, "api_key" if principal.kind == "api_key" else "user"


async def create_member(
    tenant: TenantInfo,
    principal: Principal,
    username: str,
    role: str,
    *,
    full_name: str | None = None,
    agency_id: uuid.UUID | None = None,
    retry: idempotency.ClientKey | None = None,
    secret_key: str = "",
) -> tuple[uuid.UUID, NewCode]:
    """A new person of this command with one role and no password yet, and the
    activation code (72 h) they set it with. With ``retry`` (a client key) a retry within
    24 hours answers the same person and code and writes nothing. Errors: INVALID_INPUT
    (username, role, agencyId, fullName), NOT_FOUND (agencyId), CONFLICT (username taken
    anywhere; the client key used with other input)."""
    name = check_username(username)
    checked = _tenant_role(role)
    full = _full_name(full_name)
    user_id = uuid.uuid4()
    given = None
    if retry is not None:
        given = derived_code(secret_key, tenant.id, retry.scope, retry.key)
    try:
        async with db.tenant_tx(tenant.id):
            earlier = await idempotency.claim(tenant.id, retry, user_id)
            if earlier is not None and given is not None:
                expires = await code_expiry(given)
                if expires is not None:
                    return earlier, NewCode(given, expires)
            await _check_agency(tenant, checked, agency_id)
            await db.fetch(
                "INSERT INTO users (id, username, password_hash, full_name, activated_at)"
                " VALUES ($1, $2, NULL, $3, NULL)",
                user_id,
                name,
                full,
            )
            await db.fetch(
                "INSERT INTO memberships (user_id, tenant, role) VALUES ($1, $2, $3)",
                user_id,
                tenant.id,
                checked.value,
            )
            if agency_id is not None:
                await _bind_liaison(tenant, agency_id, user_id)
            code = await issue_code(
                user_id, "activate", tenant_id=tenant.id, created_by=principal.name, code=given
            )
            await write_audit(
                "user.create",
                actor=actor_of(principal),
                tenant_id=tenant.id,
                target=f"user:{user_id}",
                detail={"username": name, "role": checked.value, "agency_id": agency_id},
            )
    except asyncpg.UniqueViolationError:
        raise Conflict(TAKEN, field="username") from None
    return user_id, code


async def change_member_role(
    tenant: TenantInfo,
    principal: Principal,
    user_id: uuid.UUID,
    role: str,
    *,
    agency_id: uuid.UUID | None = None,
) -> list[str]:
    """Replace the member's roles in this command with ``role``; returns the old ones.
    Errors: NOT_FOUND (userId, agencyId), INVALID_INPUT (role, agencyId), CONFLICT (it
    would leave the command without a tenant admin)."""
    checked = _tenant_role(role)
    async with db.tenant_tx(tenant.id):
        await lock_members(tenant)
        before = await member_roles(tenant, user_id)
        await _check_agency(tenant, checked, agency_id)
        losing_admin = "tenant_admin" in before and checked != Role.TENANT_ADMIN
        if losing_admin and not await other_admins(tenant, user_id):
            raise Conflict("the command's last tenant admin cannot give up the role", field="role")
        await db.fetch(
            "DELETE FROM memberships WHERE user_id = $1 AND tenant = $2", user_id, tenant.id
        )
        await _unbind_liaison(tenant, user_id)
        await db.fetch(
            "INSERT INTO memberships (user_id, tenant, role) VALUES ($1, $2, $3)",
            user_id,
            tenant.id,
            checked.value,
        )
        if agency_id is not None:
            await _bind_liaison(tenant, agency_id, user_id)
        await announce("user", user_id)
        await write_audit(
            "user.role_change",
            actor=actor_of(principal),
            tenant_id=tenant.id,
            target=f"user:{user_id}",
            detail={"from": before, "to": checked.value, "agency_id": agency_id},
        )
    return before


async def reset_two_factor(tenant: TenantInfo, principal: Principal, user_id: uuid.UUID) -> bool:
    """Remove a member's TOTP factor (:func:`totp.reset_factor`) for one who lost both phone
    and recovery codes; their next sign-in asks them to enrol where the command requires
    it. Audited ``user.totp_reset``; returns whether there was a factor. Errors: NOT_FOUND
    (userId), FORBIDDEN (the person belongs to another command or office too: only the
    platform operator resets theirs, ``jogo user reset-2fa``)."""
    from jogo.platform.auth import totp

    async with db.tenant_tx(tenant.id):
        await member_roles(tenant, user_id)
        rows = await db.fetch(
            "SELECT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = $1"
            " AND m.tenant IS DISTINCT FROM $2) AS elsewhere",
            user_id,
            tenant.id,
        )
        if rows[0]["elsewhere"]:
            raise Forbidden(
                "this person also belongs to another command or office; their two-step"
                " verification can be reset only by the platform administrator",
                field="userId",
            )
        had = await totp.reset_factor(user_id)
        await write_audit(
            "user.totp_reset",
            actor=actor_of(principal),
            tenant_id=tenant.id,
            target=f"user:{user_id}",
            detail={"had_factor": had},
        )
    return had


async def issue_password_reset(
    tenant: TenantInfo, principal: Principal, user_id: uuid.UUID
) -> NewCode:
    """A one-time code (1 h; for a member who never activated, 72 h) with which the
    member sets a new password at ``POST /auth/reset``. Older codes are void.
    Errors: NOT_FOUND (userId), FORBIDDEN (the person belongs elsewhere too)."""
    async with db.tenant_tx(tenant.id):
        await member_roles(tenant, user_id)
        rows = await db.fetch(
            "SELECT u.activated_at IS NULL AS pending,"
            " EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id"
            "  AND m.tenant IS DISTINCT FROM $2) AS elsewhere"
            " FROM users u WHERE u.id = $1",
            user_id,
            tenant.id,
        )
        if rows[0]["elsewhere"]:
            raise Forbidden(
                "this person also belongs to another command or office; their password"
                " can be reset only by the platform administrator",
                field="userId",
            )
        purpose = "activate" if rows[0]["pending"] else "reset"
        code = await issue_code(user_id, purpose, tenant_id=tenant.id, created_by=principal.name)
        await write_audit(
            "user.password_reset",
            actor=actor_of(principal),
            tenant_id=tenant.id,
            target=f"user:{user_id}",
            detail={"purpose": purpose, "expires_at": code.expires_at},
        )
    return code
