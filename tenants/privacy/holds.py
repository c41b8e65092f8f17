"""Legal holds: a report under investigation keeps its data. Erasure and retention
(:mod:`.anonymise`) skip it until an operator lifts the hold. Setting and lifting are
audited (``report.legal_hold.set`` / ``report.legal_hold.lift``, target ``report:<ticket>``)
with the reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal
from jogo.platform.errors import InvalidInput, NotFound

REPORT_NOT_FOUND = "laporan tidak ditemukan / report not found"


def _reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not 3 <= len(text) <= 1000:
        raise InvalidInput("reason is 3-1000 characters", field="reason")
    return text


async def do_set_legal_hold(
    tenant_id: uuid.UUID, principal: Principal, report_id: uuid.UUID, reason: str
) -> str:
    """Hold ``report_id`` with ``reason`` (a new reason replaces the old); returns its
    ticket. ``INVALID_INPUT`` on ``reason``; ``NOT_FOUND`` on ``reportId`` (also for
    another command's report)."""
    text = _reason(reason)
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "UPDATE reports SET legal_hold_reason = $3, legal_hold_by = $4,"
            " legal_hold_at = coalesce(legal_hold_at, $5) WHERE tenant_id = $1 AND id = $2"
            " RETURNING ticket",
            tenant_id,
            report_id,
            text,
            principal.name,
            datetime.now(UTC),
        )
        if not rows:
            raise NotFound(REPORT_NOT_FOUND, field="reportId")
        await write_audit(
            "report.legal_hold.set",
            principal=principal,
            tenant_id=tenant_id,
            target=f"report:{rows[0]['ticket']}",
            detail={"reason": text},
        )
    return str(rows[0]["ticket"])


async def do_lift_legal_hold(
    tenant_id: uuid.UUID, principal: Principal, report_id: uuid.UUID, reason: str
) -> str:
    """Lift the hold on ``report_id`` (why: ``reason``); returns its ticket. A report with
    no hold is left as it is (still audited). ``INVALID_INPUT``; ``NOT_FOUND``."""
    text = _reason(reason)
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "UPDATE reports SET legal_hold_reason = NULL, legal_hold_by = NULL,"
            " legal_hold_at = NULL WHERE tenant_id = $1 AND id = $2 RETURNING ticket",
            tenant_id,
            report_id,
        )
        if not rows:
            raise NotFound(REPORT_NOT_FOUND, field="reportId")
        await write_audit(
            "report.legal_hold.lift",
            principal=principal,
            tenant_id=tenant_id,
            target=f"report:{rows[0]['ticket']}",
            detail={"reason": text},
        )
    return str(rows[0]["ticket"])


async def legal_holds(tenant_id: uuid.UUID, first: int) -> list[dict[str, Any]]:
    """Reports under a legal hold, newest hold first: id, ticket, reason, by, at."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT id, ticket, legal_hold_reason AS reason, legal_hold_by AS held_by,"
            " legal_hold_at AS held_at FROM reports WHERE tenant_id = $1"
            " AND legal_hold_at IS NOT NULL ORDER BY legal_hold_at DESC, id LIMIT $2",
            tenant_id,
            first,
        )
    return [dict(r) for r in rows]
