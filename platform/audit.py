"""The audit log: append-only (the app role cannot update or delete it).

``role``: the role the actor acted in. A national actor's is given by the caller (its
widest national role). A user acting in a command gets, unless given, the roles they
hold in that command when the row is written, sorted and comma-separated (e.g.
``operator,tenant_admin``), looked up in the same statement that writes the row. Keys,
the console and the system have none.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from jogo.platform import db
from jogo.platform.auth.principal import Principal

# The user's roles in the row's tenant, when none was given: $1 actor, $2 kind, $3 role,
# and the tenant as {tenant}.
_ROLE = (
    "coalesce($3, (SELECT string_agg(m.role, ',' ORDER BY m.role) FROM memberships m"
    " JOIN users u ON u.id = m.user_id WHERE $2 = 'user' AND u.username = $1"
    " AND m.tenant = {tenant}))"
)


def actor_of(principal: Principal | None) -> tuple[str, str]:
    """The audit ``(actor, actor_kind)`` of a principal: ``("system", "system")`` for none,
    ``("anonymous", "system")`` for an anonymous caller, else its name with ``"api_key"`` or
    ``"user"``."""
    if principal is None:
        return "system", "system"
    if principal.kind == "anonymous":
        return "anonymous", "system"
    kind = "api_key" if principal.kind == "api_key" else "user"
    return principal.name, kind


async def write_audit(
    action: str,
    *,
    principal: Principal | None = None,
    actor: tuple[str, str] | None = None,
    role: str | None = None,
    tenant_id: uuid.UUID | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Joins the caller's transaction when there is one, so audit and change commit together."""
    name, kind = actor or actor_of(principal)
    await db.fetch(
        "INSERT INTO audit_log (actor, actor_kind, role, action, tenant, target, detail)"
        f" VALUES ($1, $2, {_ROLE.format(tenant='$5')}, $4, $5, $6, $7::jsonb)",
        name,
        kind,
        role,
        action,
        tenant_id,
        target,
        json.dumps(detail or {}, default=str),
    )


async def write_audit_many(
    action: str,
    targets: list[str],
    *,
    principal: Principal,
    tenant_id: uuid.UUID | None,
    role: str | None = None,
) -> None:
    """One row per target in a single statement (e.g. every reporter identity shown)."""
    name, kind = actor_of(principal)
    await db.fetch(
        "INSERT INTO audit_log (actor, actor_kind, role, action, tenant, target)"
        f" SELECT $1, $2, {_ROLE.format(tenant='$5')}, $4, $5, t FROM unnest($6::text[]) AS t",
        name,
        kind,
        role,
        action,
        tenant_id,
        targets,
    )


async def write_user_audit(
    action: str,
    username: str,
    *,
    actor: tuple[str, str],
    target: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """A row about a user (a sign-in, a lockout) in every command the user belongs to,
    so each command's own audit log shows it; one row without a tenant when the user
    belongs to none (a national user, or a name no user has). One statement."""
    name, kind = actor
    await db.fetch(
        "INSERT INTO audit_log (actor, actor_kind, role, action, tenant, target, detail)"
        f" SELECT $1, $2, {_ROLE.format(tenant='t')}, $4, t, $5, $6::jsonb"
        " FROM unnest(coalesce(("
        "   SELECT array_agg(DISTINCT m.tenant) FROM memberships m"
        "   JOIN users u ON u.id = m.user_id"
        "   WHERE u.username = $7 AND m.tenant IS NOT NULL), ARRAY[NULL]::uuid[])) AS t",
        name,
        kind,
        None,
        action,
        target,
        json.dumps(detail or {}, default=str),
        username,
    )
