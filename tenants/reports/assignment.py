"""Assigning a report to an officer and/or a unit (operators)."""

from __future__ import annotations

import uuid

from jogo.platform import db
from jogo.platform.auth.users import is_field_officer
from jogo.platform.errors import Conflict, InvalidInput, NotFound
from jogo.platform.registry import TenantInfo
from jogo.tenants.reports import events
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.actions import _require_triage, lock_report
from jogo.tenants.reports.lifecycle import OPEN, IllegalTransition, Status


async def do_assign_report(
    tenant: TenantInfo,
    viewer: Viewer,
    report_id: uuid.UUID,
    officer_id: uuid.UUID | None,
    unit_id: uuid.UUID | None,
) -> uuid.UUID:
    """Assign an open report to an officer (an active officer, operator or tenant admin
    of this tenant), an active unit of this tenant, or both; replaces the earlier
    assignment. Errors: INVALID_INPUT (neither given, not an officer here), NOT_FOUND (no
    such report or unit: another tenant's read the same), CONFLICT (a deactivated unit),
    ILLEGAL_TRANSITION (a closed, resolved or rejected report)."""
    _require_triage(viewer)
    if officer_id is None and unit_id is None:
        raise InvalidInput("assign an officer, a unit, or both", field="officerId")
    if officer_id is not None and not await is_field_officer(tenant.id, officer_id):
        raise InvalidInput("not an officer of this command", field="officerId")
    async with db.tenant_tx(tenant.id):
        report = await lock_report(viewer, report_id)
        if Status(report["status"]) not in OPEN:
            raise IllegalTransition(
                f"a {report['status']} report cannot be assigned", field="reportId"
            )
        unit_name = None
        if unit_id is not None:
            units = await db.fetch("SELECT name, is_active FROM units WHERE id = $1", unit_id)
            if not units:
                raise NotFound("unit not found", field="unitId")
            if not units[0]["is_active"]:
                raise Conflict("the unit is deactivated", field="unitId")
            unit_name = units[0]["name"]
        await db.fetch(
            "UPDATE reports SET assigned_officer_id = $2, assigned_unit_id = $3,"
            " updated_at = now() WHERE id = $1",
            report_id,
            officer_id,
            unit_id,
        )
        await events.record(
            tenant.id,
            report_id,
            "ASSIGNMENT",
            public=False,
            actor=events.actor_of(viewer.principal),
            data={
                "officer_id": str(officer_id) if officer_id else None,
                "unit_id": str(unit_id) if unit_id else None,
                "unit": unit_name,
            },
        )
    return report_id
