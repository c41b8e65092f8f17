"""Reads of the agency directory. ``list_agencies`` runs in the caller's tenant
transaction; the others open their own."""

from __future__ import annotations

import uuid
from typing import Any

from jogo.platform import db
from jogo.platform.errors import NotFound
from jogo.tenants.agencies.tables import Agency


async def list_agencies(
    kind: str | None = None, include_inactive: bool = False
) -> list[dict[str, Any]]:
    """Active agencies (all with ``include_inactive``), by kind and name."""
    query = Agency.select().order_by(Agency.kind).order_by(Agency.name)
    if not include_inactive:
        query = query.where(Agency.is_active.eq(True))
    if kind is not None:
        query = query.where(Agency.kind == kind)
    rows: list[dict[str, Any]] = await query
    return rows


async def agency_by_id(tenant_id: uuid.UUID, agency_id: uuid.UUID) -> dict[str, Any]:
    """The agency (or hospital) row with all columns, active or not. Raises :class:`NotFound` on
    ``agencyId``, also for another tenant's agency."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch("SELECT * FROM agencies WHERE id = $1", agency_id)
    if not rows:
        raise NotFound("agency not found", field="agencyId")
    return dict(rows[0])


async def dispatch_by_id(tenant_id: uuid.UUID, dispatch_id: uuid.UUID) -> dict[str, Any]:
    """The dispatch row with its agency's ``agency_name`` and ``connector``. Raises
    :class:`NotFound` on ``dispatchId``, also for another tenant's."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT d.*, a.name AS agency_name, a.connector FROM dispatches d JOIN agencies a"
            " ON a.tenant_id = d.tenant_id AND a.id = d.agency_id WHERE d.id = $1",
            dispatch_id,
        )
    if not rows:
        raise NotFound("dispatch not found", field="dispatchId")
    return dict(rows[0])
