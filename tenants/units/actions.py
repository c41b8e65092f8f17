"""Writes of units: create, rename or re-kind, shift status, members, deactivate.

Who: :data:`MANAGE` (``reports:triage``): operators and tenant admins. Units are the
operators' shift tool: the duty operator marks a patrol BUSY or OFF_DUTY and changes its
crew as the shift runs, so waiting for a tenant admin would leave the board wrong. Every
write is one tenant transaction with an audit row (members are people administered).

Errors: ``INVALID_INPUT`` (name, kind, status, members), ``NOT_FOUND`` (no such unit in
this tenant: another tenant's unit reads the same), ``CONFLICT`` (an active unit with the
same name, or a change to a deactivated unit, or deactivating a unit with open reports).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from jogo.platform import db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.auth.users import active_staff
from jogo.platform.errors import Conflict, InvalidInput, NotFound
from jogo.tenants.reports.lifecycle import OPEN_SQL
from jogo.tenants.units.tables import UnitKind, UnitStatus

MANAGE = Cap.REPORTS_TRIAGE
NAME_MAX = 120
MEMBERS_MAX = 50


def _require(principal: Principal, tenant_id: uuid.UUID) -> None:
    # The duty board is the police's own: an integrator's reports:write key triages
    # reports but does not run units.
    if principal.kind != "user" or MANAGE not in principal.tenant_caps(tenant_id):
        raise denied(principal, "only operators and tenant admins manage units")


def check_name(name: str | None) -> str:
    """A unit name with whitespace collapsed: 1-120 characters. Raises :class:`InvalidInput` on
    ``name``."""
    text = " ".join((name or "").split())
    if not 1 <= len(text) <= NAME_MAX:
        raise InvalidInput(f"name must be 1-{NAME_MAX} characters", field="name")
    return text


def check_kind(kind: str) -> UnitKind:
    """The :class:`UnitKind` named exactly by ``kind`` (Polri's *satuan fungsi*, e.g. ``SAMAPTA``).
    Raises :class:`InvalidInput` on ``kind``."""
    try:
        return UnitKind(kind)
    except ValueError:
        raise InvalidInput(f"kind must be one of {', '.join(UnitKind)}", field="kind") from None


async def _lock(unit_id: uuid.UUID) -> dict[str, Any]:
    rows = await db.fetch("SELECT * FROM units WHERE id = $1 FOR UPDATE", unit_id)
    if not rows:
        raise NotFound("unit not found", field="unitId")
    if not rows[0]["is_active"]:
        raise Conflict("the unit is deactivated", field="unitId")
    return dict(rows[0])


def _taken(name: str) -> Conflict:
    return Conflict(f"an active unit is already named {name!r}", field="name")


async def do_create_unit(
    tenant_id: uuid.UUID,
    principal: Principal,
    name: str,
    kind: str,
    *,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """A new AVAILABLE unit without members; ``retry`` returns the first try's unit."""
    _require(principal, tenant_id)
    name, unit_kind = check_name(name), check_kind(kind)
    unit_id = uuid.uuid4()
    try:
        async with db.tenant_tx(tenant_id):
            if (earlier := await idempotency.claim(tenant_id, retry, unit_id)) is not None:
                return earlier
            await db.fetch(
                "INSERT INTO units (tenant_id, id, name, kind) VALUES ($1, $2, $3, $4)",
                tenant_id,
                unit_id,
                name,
                unit_kind.value,
            )
            await write_audit(
                "unit.create",
                principal=principal,
                tenant_id=tenant_id,
                target=f"unit:{unit_id}",
                detail={"name": name, "kind": unit_kind.value},
            )
    except asyncpg.UniqueViolationError:
        raise _taken(name) from None
    return unit_id


async def do_update_unit(
    tenant_id: uuid.UUID,
    principal: Principal,
    unit_id: uuid.UUID,
    name: str | None = None,
    kind: str | None = None,
) -> uuid.UUID:
    """Rename a unit or change its kind (give at least one)."""
    _require(principal, tenant_id)
    if name is None and kind is None:
        raise InvalidInput("give a new name or kind", field="name")
    changes: dict[str, str] = {}
    if name is not None:
        changes["name"] = check_name(name)
    if kind is not None:
        changes["kind"] = check_kind(kind).value
    try:
        async with db.tenant_tx(tenant_id):
            await _lock(unit_id)
            sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(changes, start=2))
            await db.fetch(
                f"UPDATE units SET {sets}, updated_at = now() WHERE id = $1",
                unit_id,
                *changes.values(),
            )
            await write_audit(
                "unit.update",
                principal=principal,
                tenant_id=tenant_id,
                target=f"unit:{unit_id}",
                detail=changes,
            )
    except asyncpg.UniqueViolationError:
        raise _taken(changes.get("name", "")) from None
    return unit_id


async def do_set_unit_status(
    tenant_id: uuid.UUID, principal: Principal, unit_id: uuid.UUID, status: str
) -> uuid.UUID:
    """AVAILABLE, BUSY or OFF_DUTY."""
    _require(principal, tenant_id)
    try:
        value = UnitStatus(status)
    except ValueError:
        raise InvalidInput(
            f"status must be one of {', '.join(UnitStatus)}", field="status"
        ) from None
    async with db.tenant_tx(tenant_id):
        unit = await _lock(unit_id)
        await db.fetch(
            "UPDATE units SET status = $2, updated_at = now() WHERE id = $1", unit_id, value.value
        )
        await write_audit(
            "unit.set_status",
            principal=principal,
            tenant_id=tenant_id,
            target=f"unit:{unit_id}",
            detail={"from": unit["status"], "to": value.value},
        )
    return unit_id


async def do_set_unit_members(
    tenant_id: uuid.UUID, principal: Principal, unit_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> uuid.UUID:
    """Replace the unit's members with ``user_ids`` (at most 50; an empty list empties
    it). Each must be an active officer, operator or tenant admin of this tenant."""
    _require(principal, tenant_id)
    wanted = list(dict.fromkeys(user_ids))
    if len(wanted) > MEMBERS_MAX:
        raise InvalidInput(f"a unit has at most {MEMBERS_MAX} members", field="userIds")
    staff = await active_staff(tenant_id, wanted) if wanted else set()
    strangers = [u for u in wanted if u not in staff]
    if strangers:
        raise InvalidInput(f"not an officer of this command: {strangers[0]}", field="userIds")
    async with db.tenant_tx(tenant_id):
        await _lock(unit_id)
        before = {
            r["user_id"]
            for r in await db.fetch("SELECT user_id FROM unit_members WHERE unit_id = $1", unit_id)
        }
        await db.fetch(
            "DELETE FROM unit_members WHERE unit_id = $1 AND NOT user_id = ANY($2::uuid[])",
            unit_id,
            wanted,
        )
        await db.fetch(
            "INSERT INTO unit_members (tenant_id, unit_id, user_id)"
            " SELECT $1, $2, u FROM unnest($3::uuid[]) AS u ON CONFLICT DO NOTHING",
            tenant_id,
            unit_id,
            wanted,
        )
        await db.fetch("UPDATE units SET updated_at = now() WHERE id = $1", unit_id)
        await write_audit(
            "unit.set_members",
            principal=principal,
            tenant_id=tenant_id,
            target=f"unit:{unit_id}",
            detail={
                "added": sorted(str(u) for u in set(wanted) - before),
                "removed": sorted(str(u) for u in before - set(wanted)),
            },
        )
    return unit_id


async def do_deactivate_unit(
    tenant_id: uuid.UUID, principal: Principal, unit_id: uuid.UUID
) -> uuid.UUID:
    """Retire a unit: it stays on the reports it worked (history kept) but takes no new
    ones and its members no longer see reports through it. A unit with open reports is
    ``CONFLICT``: reassign them first. Its name is free again."""
    _require(principal, tenant_id)
    async with db.tenant_tx(tenant_id):
        await _lock(unit_id)
        rows = await db.fetch(
            f"SELECT count(*) FROM reports WHERE assigned_unit_id = $1 AND status IN {OPEN_SQL}",
            unit_id,
        )
        if rows[0][0]:
            raise Conflict(
                f"the unit has {rows[0][0]} open report(s): reassign them first", field="unitId"
            )
        await db.fetch(
            "UPDATE units SET is_active = false, status = 'OFF_DUTY', updated_at = now()"
            " WHERE id = $1",
            unit_id,
        )
        await write_audit(
            "unit.deactivate", principal=principal, tenant_id=tenant_id, target=f"unit:{unit_id}"
        )
    return unit_id
