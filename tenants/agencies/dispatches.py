"""Dispatches: a report sent to an agency.

``do_dispatch_report`` and ``do_verify_report`` (verification plus auto-dispatch by the
routing rules) write the dispatch row and its outbox row in the report's transaction;
``delivery.py`` is the worker's side, ``answers.py`` the agency's. A report goes to an
agency once: a second live dispatch to the same agency is refused. A dispatch the agency
handed back (RETURNED: declined, duplicate, not theirs, needs information) is no longer
live, so the operators may send the report to that agency again.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from jogo.platform import db, idempotency
from jogo.platform.auth.principal import denied
from jogo.platform.errors import Conflict, InvalidInput, NotFound
from jogo.platform.registry import TenantInfo
from jogo.tenants.agencies import delivery
from jogo.tenants.reports import actions as report_actions
from jogo.tenants.reports import events
from jogo.tenants.reports.access import Viewer


async def _active_agency(agency_id: uuid.UUID) -> dict[str, Any]:
    rows = await db.fetch("SELECT * FROM agencies WHERE id = $1 AND is_active", agency_id)
    if not rows:
        raise NotFound("agency not found", field="agencyId")
    return dict(rows[0])


async def create_dispatch(
    tenant: TenantInfo, report_id: uuid.UUID, agency: dict[str, Any], created_by: str
) -> uuid.UUID:
    """Inside the report's transaction: the dispatch row and, unless manual, its message."""
    live = await db.fetch(
        "SELECT 1 FROM dispatches WHERE report_id = $1 AND agency_id = $2"
        " AND status NOT IN ('DEAD', 'RETURNED')",
        report_id,
        agency["id"],
    )
    if live:
        raise Conflict(f"the report has already been sent to {agency['name']}", field="agencyId")
    dispatch_id = uuid.uuid4()
    manual = agency["connector"] == "manual"
    await db.fetch(
        "INSERT INTO dispatches (tenant_id, id, report_id, agency_id, status, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        tenant.id,
        dispatch_id,
        report_id,
        agency["id"],
        "AWAITING_LIAISON" if manual else "PENDING",
        created_by,
    )
    if not manual:
        await delivery.enqueue_attempt(tenant.id, dispatch_id, 0)
    return dispatch_id


async def do_dispatch_report(
    tenant: TenantInfo,
    viewer: Viewer,
    report_id: uuid.UUID,
    agency_id: uuid.UUID,
    note: str | None = None,
    *,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """VERIFIED → DISPATCHED with a new dispatch; returns the report's id. ``retry``:
    a retry under the same client key answers with the report and writes no second
    dispatch (:mod:`jogo.platform.idempotency`)."""
    if not viewer.triage:
        raise denied(viewer.principal, "only operators (or a key with reports:write) can do this")
    actor = events.actor_of(viewer.principal)
    async with db.tenant_tx(tenant.id):
        if (earlier := await idempotency.claim(tenant.id, retry, report_id)) is not None:
            return earlier
        report = await report_actions.lock_report(viewer, report_id)
        agency = await _active_agency(agency_id)
        await report_actions.dispatch_locked(tenant, actor, report, agency, note)
        await create_dispatch(tenant, report_id, agency, actor[0])
    return report_id


async def do_verify_report(
    tenant: TenantInfo, viewer: Viewer, report_id: uuid.UUID, note: str | None = None
) -> uuid.UUID:
    """Verify; then every routing rule of the category with auto-dispatch sends it on."""
    actor = events.actor_of(viewer.principal)
    async with db.tenant_tx(tenant.id):
        report = await report_actions.lock_report(viewer, report_id)
        await report_actions.verify_locked(tenant, viewer, report, note)
        rules = await db.fetch(
            "SELECT a.* FROM routing_rules r JOIN agencies a"
            " ON a.tenant_id = r.tenant_id AND a.id = r.agency_id"
            " WHERE r.category_id = $1 AND r.auto_dispatch AND a.is_active ORDER BY a.name",
            report["category_id"],
        )
        for agency in rules:
            await report_actions.dispatch_locked(tenant, actor, report, dict(agency))
            await create_dispatch(tenant, report_id, dict(agency), actor[0])
    return report_id


async def do_retry_dispatch(
    tenant: TenantInfo, viewer: Viewer, dispatch_id: uuid.UUID
) -> uuid.UUID:
    """A DEAD dispatch gets a fresh set of attempts, under the same Idempotency-Key."""
    if not viewer.triage:
        raise denied(viewer.principal, "only operators (or a key with reports:write) can do this")
    async with db.tenant_tx(tenant.id):
        try:
            rows = await db.fetch(
                "UPDATE dispatches SET status = 'PENDING', attempts = 0, next_attempt_at = now(),"
                " updated_at = now() WHERE id = $1 AND status = 'DEAD' RETURNING report_id",
                dispatch_id,
            )
        except asyncpg.UniqueViolationError:
            raise Conflict(
                "the report has a newer dispatch to this agency", field="dispatchId"
            ) from None
        if not rows:
            exists = await db.fetch("SELECT status FROM dispatches WHERE id = $1", dispatch_id)
            if not exists:
                raise NotFound("dispatch not found", field="dispatchId")
            raise InvalidInput(
                f"only a DEAD dispatch can be retried, this one is {exists[0]['status']}",
                field="dispatchId",
            )
        await delivery.enqueue_attempt(tenant.id, dispatch_id, 0)
        await events.record(
            tenant.id,
            rows[0]["report_id"],
            "DISPATCH",
            public=False,
            actor=events.actor_of(viewer.principal),
            note="Pengiriman diulang / delivery retried",
            data={"dispatch_id": str(dispatch_id)},
        )
    return dispatch_id


async def dispatches_for_report(
    tenant_id: uuid.UUID, report_id: uuid.UUID, liaison: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """A report's dispatches; for a liaison, only those to the agencies they speak for."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT d.*, a.name AS agency_name, a.code AS agency_code, a.connector"
            " FROM dispatches d JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
            " WHERE d.report_id = $1 AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM"
            " agency_liaisons l WHERE l.agency_id = d.agency_id AND l.user_id = $2))"
            " ORDER BY d.created_at, d.id",
            report_id,
            liaison,
        )
    return [dict(r) for r in rows]
