"""Users and memberships (control plane)."""

from __future__ import annotations

import re
import uuid

import asyncpg

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.passwords import hash_password_async, verify_password_async
from jogo.platform.auth.principal import Membership, Principal
from jogo.platform.auth.roles import TENANT_ROLES, Role
from jogo.platform.errors import Conflict, InvalidInput, Unauthenticated
from jogo.platform.regions import check_polda
from jogo.platform.registry import TenantInfo

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def check_username(username: str) -> str:
    """The username trimmed and lower-cased: 3-64 characters of ``a-z``, ``0-9``, ``.``, ``_`` or
    ``-``, starting with a letter or digit. Raises :class:`InvalidInput` on ``username``."""
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput(
            "username must be 3-64 characters: lowercase letters, digits, '.', '_' or '-'",
            field="username",
        )
    return username


async def create_user(
    username: str,
    password: str,
    role: Role,
    *,
    tenant: TenantInfo | None = None,
    polda_code: str | None = None,
    full_name: str | None = None,
    also: list[Role] | None = None,
    actor: tuple[str, str] | None = None,
) -> uuid.UUID:
    """A user with a membership (plus national or platform roles in ``also``), in one
    transaction: nothing half-written. With ``actor`` (the CLI: ``("cli", "cli")``) the
    same transaction writes a ``user.create`` audit row, with the tenant set."""
    username = check_username(username)
    if role in TENANT_ROLES and tenant is None:
        raise InvalidInput(f"role {role} needs a tenant", field="tenant")
    if role not in TENANT_ROLES and tenant is not None:
        raise InvalidInput(f"role {role} is national and takes no tenant", field="tenant")
    if role == Role.POLDA_SUPERVISOR:
        polda_code = check_polda(polda_code or "", field="polda").code
    elif polda_code:
        raise InvalidInput("only polda_supervisor takes a Polda", field="polda")
    password_hash = await hash_password_async(password, username)
    user_id = uuid.uuid4()
    try:
        async with db.control_tx():
            await db.fetch(
                "INSERT INTO users (id, username, password_hash, full_name)"
                " VALUES ($1, $2, $3, $4)",
                user_id,
                username,
                password_hash,
                full_name,
            )
            await db.fetch(
                "INSERT INTO memberships (user_id, tenant, role, polda_code)"
                " VALUES ($1, $2, $3, $4)",
                user_id,
                tenant.id if tenant else None,
                role.value,
                polda_code,
            )
            for extra in also or []:
                if extra in TENANT_ROLES or extra == Role.POLDA_SUPERVISOR:
                    raise InvalidInput(f"{extra} cannot be an extra role", field="role")
                await add_membership(user_id, extra)
            if actor is not None:
                await write_audit(
                    "user.create",
                    actor=actor,
                    tenant_id=tenant.id if tenant else None,
                    target=f"user:{user_id}",
                    detail={"username": username, "role": role.value, "polda": polda_code},
                )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"user {username!r} already exists", field="username") from None
    return user_id


async def user_exists(username: str) -> bool:
    """Whether a user with this username (trimmed, any case) exists anywhere on the platform, active
    or not."""
    rows = await db.fetch("SELECT 1 FROM users WHERE username = $1", username.strip().lower())
    return bool(rows)


async def authenticate(username: str, password: str) -> tuple[uuid.UUID, str]:
    """The user's id and name for right credentials; one error for every wrong case.
    A disabled user, or one who belongs nowhere (no membership in any command and no
    national or platform role: deactivated everywhere), is refused exactly like a wrong
    password, after the same argon2 check."""
    name = (username or "").strip().lower()
    # A name no user can have (too long, control characters) is not looked up at all,
    # but still costs the same argon2 check below.
    rows = (
        await db.fetch(
            "SELECT u.id, u.username, u.password_hash, u.is_active"
            " AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id) AS may_sign_in"
            " FROM users u WHERE u.username = $1",
            name,
        )
        if USERNAME.match(name)
        else []
    )
    row = rows[0] if rows else None
    # argon2 takes tens of milliseconds of CPU and 64 MiB: off the event loop, and at most
    # passwords.ARGON2_CONCURRENCY at once (a burst of sign-ins waits its turn).
    ok = await verify_password_async(row["password_hash"] if row else None, password or "")
    if row is None or not ok or not row["may_sign_in"]:
        raise Unauthenticated("wrong username or password")
    return row["id"], row["username"]


async def load_user_principal(
    user_id: uuid.UUID, *, expires_at: float | None = None, session_id: uuid.UUID | None = None
) -> Principal:
    """The user with their current memberships, in one query. With ``session_id`` (the
    token's ``sid``) the session must be live too: revoked, past its shift or idle
    lifetime, or another user's, it is :class:`Unauthenticated` ("the session has
    ended")."""
    rows = await db.fetch(
        "SELECT u.username, u.is_active, m.tenant, m.role, m.polda_code,"
        " (SELECT s.revoked_at IS NULL AND s.expires_at > now() AND s.idle_until > now()"
        "  FROM auth_sessions s WHERE s.id = $2 AND s.user_id = u.id) AS session_live"
        " FROM users u LEFT JOIN memberships m ON m.user_id = u.id WHERE u.id = $1",
        user_id,
        session_id,
    )
    if not rows or not rows[0]["is_active"]:
        raise Unauthenticated("the access token is invalid")
    if session_id is not None and not rows[0]["session_live"]:
        raise Unauthenticated("the session has ended; sign in again")
    memberships = tuple(
        Membership(Role(r["role"]), r["tenant"], r["polda_code"]) for r in rows if r["role"]
    )
    return Principal(
        kind="user",
        id=user_id,
        name=rows[0]["username"],
        memberships=memberships,
        expires_at=expires_at,
        session_id=session_id,
    )


async def add_membership(
    user_id: uuid.UUID,
    role: Role,
    *,
    tenant: TenantInfo | None = None,
    polda_code: str | None = None,
) -> None:
    """Give an existing user one more role: writes one ``memberships`` row, inside the
    caller's transaction (if any); not audited here.

    The same rules as :func:`create_user`: a tenant role needs ``tenant`` and a national
    or platform role takes none (:class:`InvalidInput` on ``tenant``);
    ``polda_supervisor`` needs a known Polda code and no other role takes one
    (:class:`InvalidInput` on ``polda``); a role the user holds already (in that
    tenant) is :class:`Conflict` on ``role``. It checks no caller: who may grant is the
    caller's business (tenant admins through :mod:`jogo.platform.auth.people`, the CLI
    and ``jogo up``)."""
    if (role in TENANT_ROLES) != (tenant is not None):
        raise InvalidInput(
            f"role {role} {'needs' if role in TENANT_ROLES else 'takes no'} tenant",
            field="tenant",
        )
    if role == Role.POLDA_SUPERVISOR:
        polda_code = check_polda(polda_code or "", field="polda").code
    elif polda_code:
        raise InvalidInput("only polda_supervisor takes a Polda", field="polda")
    try:
        await db.fetch(
            "INSERT INTO memberships (user_id, tenant, role, polda_code) VALUES ($1, $2, $3, $4)",
            user_id,
            tenant.id if tenant else None,
            role.value,
            polda_code,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("the user has this role already", field="role") from None


FIELD_ROLES = ("officer", "operator", "tenant_admin")


async def is_field_officer(tenant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the user may be assigned reports in this tenant."""
    rows = await db.fetch(
        "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.user_id = $1 AND m.tenant = $2 AND m.role = ANY($3::text[]) AND u.is_active",
        user_id,
        tenant_id,
        list(FIELD_ROLES),
    )
    return bool(rows)


async def display_names(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str | None]]:
    """Username and full name per user id, for one batch of a DataLoader."""
    rows = await db.fetch(
        "SELECT id, username, full_name FROM users WHERE id = ANY($1::uuid[])", user_ids
    )
    return {r["id"]: (r["username"], r["full_name"]) for r in rows}


# --- Staff directory reads (issue 14: the ``officers`` query, unit members) ------------
# Read-only; nothing above depends on them.


async def active_staff(tenant_id: uuid.UUID, user_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``user_ids`` who are active users with a field role (``FIELD_ROLES``) in
    this tenant: who may be assigned reports or be a unit member. One statement."""
    rows = await db.fetch(
        "SELECT DISTINCT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.user_id = ANY($1::uuid[]) AND m.tenant = $2 AND m.role = ANY($3::text[])"
        " AND u.is_active",
        user_ids,
        tenant_id,
        list(FIELD_ROLES),
    )
    return {r["user_id"] for r in rows}


async def search_staff(
    tenant_id: uuid.UUID, search: str | None, after: str | None, limit: int
) -> list[dict[str, object]]:
    """Active users with a field role in this tenant, by username: ``id``, ``username``,
    ``full_name``, ``roles`` (their roles in this tenant, sorted). ``search``: a part of
    the username or full name, any case (``%`` and ``_`` match themselves); ``after``: a
    username (keyset); at most ``limit`` rows. One statement."""
    pattern = None
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
    rows = await db.fetch(
        "SELECT u.id, u.username, u.full_name, array_agg(m.role ORDER BY m.role) AS roles"
        " FROM users u JOIN memberships m ON m.user_id = u.id"
        " WHERE m.tenant = $1 AND m.role = ANY($2::text[]) AND u.is_active"
        " AND ($3::text IS NULL OR u.username ILIKE $3 OR u.full_name ILIKE $3)"
        " AND ($4::text IS NULL OR u.username > $4)"
        " GROUP BY u.id ORDER BY u.username LIMIT $5",
        tenant_id,
        list(FIELD_ROLES),
        pattern,
        after,
        limit,
    )
    return [dict(r) for r in rows]
