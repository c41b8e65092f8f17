"""Changing and deactivating directory entries: agencies (hospitals are agencies of kind
``hospital``), cameras and police posts.

Nothing is deleted. Deactivation sets ``is_active = false`` and ``deactivated_at``;
dispatches, reports and timelines that name an entry keep resolving to it, while new
dispatches, SOS answers and the default lists leave it out. Every change writes an audit
row with the changed fields before and after (secrets only as ``"(changed)"``).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.crypto import encrypt
from jogo.platform.errors import Conflict, InvalidInput, NotFound

# entry → (table, column that names it in the audit, GraphQL argument of its id)
ENTRIES = {
    "agency": ("agencies", "code", "agencyId"),
    "camera": ("cameras", "name", "cameraId"),
    "police_post": ("police_posts", "name", "policePostId"),
}
SECRET = "(changed)"
JSON = ("service_codes", "contacts")


def constraint_field(exc: asyncpg.CheckViolationError, table: str) -> str | None:
    """The GraphQL field a column's check names (``agencies_latitude_check`` →
    ``latitude``, ``cameras_stream_url_check`` → ``streamUrl``); None for a check over
    several columns (``agencies_check``)."""
    match = re.fullmatch(rf"{table}_([a-z_]+?)_check", exc.constraint_name or "")
    if not match:
        return None
    head, *rest = match.group(1).split("_")
    return head + "".join(part.title() for part in rest)


def require_directory_writer(tenant_id: uuid.UUID, principal: Principal) -> None:
    """Refuse a caller without ``directory:write`` in this tenant: ``UNAUTHENTICATED`` when
    anonymous, else ``FORBIDDEN`` (see ``denied``)."""
    if Cap.DIRECTORY_WRITE not in principal.tenant_caps(tenant_id):
        raise denied(
            principal, "only a tenant admin (or a key with agencies:write) can change the directory"
        )


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"before": {...}, "after": {...}}`` of the fields whose value differs."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {"before": {k: before.get(k) for k in keys}, "after": {k: after[k] for k in keys}}


async def load_entry(entry: str, entry_id: uuid.UUID) -> dict[str, Any]:
    """Inside the caller's tenant transaction, locked; ``NotFound`` on the id's argument
    for an unknown id (another tenant's looks the same)."""
    table, _, argument = ENTRIES[entry]
    rows = await db.fetch(f"SELECT * FROM {table} WHERE id = $1 FOR UPDATE", entry_id)
    if not rows:
        raise NotFound(f"{entry.replace('_', ' ')} not found", field=argument)
    return dict(rows[0])


async def apply_update(
    tenant_id: uuid.UUID,
    principal: Principal,
    entry: str,
    entry_id: uuid.UUID,
    values: dict[str, Any],
    *,
    seen_at: datetime | None,
    audit_values: dict[str, Any] | None = None,
) -> None:
    """Write ``values`` (column → value, already checked) to one entry in one tenant
    transaction with its audit row. ``seen_at``: the ``updated_at`` the caller checked
    against; a change by someone else since then is ``CONFLICT`` (nothing written).
    Agencies lose their sample flag: a command that edits an entry has confirmed it."""
    table, label, _ = ENTRIES[entry]
    try:
        async with db.tenant_tx(tenant_id):
            row = await load_entry(entry, entry_id)
            if row.get("updated_at") != seen_at:
                raise Conflict(f"the {entry.replace('_', ' ')} changed meanwhile; try again")
            shown = audit_values or values
            before = {k: as_json(row.get(k), None) if k in JSON else row.get(k) for k in shown}
            diff = changes(before, shown)
            if not diff["after"]:
                return
            columns = dict(values)
            if entry == "agency":
                columns["is_sample"] = False
            sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
            await db.fetch(
                f"UPDATE {table} SET {sets}, updated_at = now() WHERE id = $1",
                entry_id,
                *columns.values(),
            )
            await write_audit(
                f"{entry}.update",
                principal=principal,
                tenant_id=tenant_id,
                target=f"{entry}:{values.get(label, row[label])}",
                detail=diff,
            )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"another {entry.replace('_', ' ')} has this code", field="code") from None
    except asyncpg.CheckViolationError as exc:
        raise InvalidInput(
            f"the change breaks a rule ({exc.constraint_name})",
            field=constraint_field(exc, table) or "name",
        ) from None


async def do_set_entry_active(
    tenant_id: uuid.UUID, principal: Principal, entry: str, entry_id: uuid.UUID, active: bool
) -> uuid.UUID:
    """Deactivate (``active=False``) or reactivate an entry; one already in that state is
    left as it is, without an audit row. ``Forbidden`` without directory rights,
    ``NotFound`` for an unknown id."""
    require_directory_writer(tenant_id, principal)
    table, label, _ = ENTRIES[entry]
    async with db.tenant_tx(tenant_id):
        row = await load_entry(entry, entry_id)
        if row["is_active"] == active:
            return entry_id
        await db.fetch(
            f"UPDATE {table} SET is_active = $2, updated_at = now(),"
            " deactivated_at = CASE WHEN $2 THEN NULL ELSE now() END WHERE id = $1",
            entry_id,
            active,
        )
        await write_audit(
            f"{entry}.{'reactivate' if active else 'deactivate'}",
            principal=principal,
            tenant_id=tenant_id,
            target=f"{entry}:{row[label]}",
            detail={"before": {"is_active": not active}, "after": {"is_active": active}},
        )
    return entry_id


async def read_entry(tenant_id: uuid.UUID, entry: str, entry_id: uuid.UUID) -> dict[str, Any]:
    """One directory entry (``agency``, ``camera`` or ``police_post``, a key of :data:`ENTRIES`) as
    a dict of all its columns, active or not, read in the tenant's transaction. Raises
    :class:`NotFound` on the entry's id argument (``agencyId``...), also for another tenant's
    entry."""
    async with db.tenant_tx(tenant_id):
        table, _, argument = ENTRIES[entry]
        rows = await db.fetch(f"SELECT * FROM {table} WHERE id = $1", entry_id)
    if not rows:
        raise NotFound(f"{entry.replace('_', ' ')} not found", field=argument)
    return dict(rows[0])


def sealed_secret(secret: str | None, secret_key: str) -> str | None:
    """A webhook secret encrypted for storage under ``JOGO_SECRET_KEY`` (``secret_key``), or None
    for no (or an empty) secret."""
    return encrypt(secret, secret_key) if secret else None


def as_json(value: Any, default: Any) -> Any:
    """A jsonb column's value as Python data: ``default`` for NULL, parsed when it arrives as text,
    else as it is."""
    if value is None:
        return default
    return json.loads(value) if isinstance(value, str) else value
