"""The only reads of the breach register: a command's incidents with their escalations
(one statement per list), and the national clocks through ``oversight_breaches`` (no
free text, no person)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from jogo.platform import db

NOT_FOUND = "insiden tidak ditemukan / incident not found"
MAX_LIST = 200  # the newest incidents a list shows (graphql/cost.py LIST_SIZES)
MAX_EXPORT = 10_000
_COLUMNS = (
    "b.id, b.title, b.description, b.data_categories, b.subject_categories,"
    " b.subjects_estimate, b.occurred_at, b.found_at, b.due_at, b.measures,"
    " b.subjects_notified_at, b.subjects_notified_by, b.authority_notified_at,"
    " b.authority_notified_by, b.authority_reference, b.escalation_level, b.recorded_by,"
    " b.created_at, b.updated_at,"
    " (SELECT coalesce(json_agg(json_build_object('level', e.level, 'threshold_hours',"
    " e.threshold_hours, 'at', e.at, 'notified', e.notified) ORDER BY e.level), '[]')"
    " FROM breach_escalations e WHERE e.tenant_id = b.tenant_id AND e.breach_id = b.id)"
    " AS escalations"
)


def _row(record: Any) -> dict[str, Any]:
    out = dict(record)
    out["escalations"] = [
        e | {"at": datetime.fromisoformat(e["at"])} for e in json.loads(out["escalations"])
    ]
    return out


async def breach_row(breach_id: uuid.UUID) -> dict[str, Any] | None:
    """One incident with its escalations (``escalations``: ``level``, ``threshold_hours``,
    ``at``, ``notified``), in the caller's tenant transaction; None when there is none
    (or it is another command's: row-level security hides it)."""
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM breach_incidents b WHERE b.id = $1", breach_id)
    return _row(rows[0]) if rows else None


async def get_breach(tenant_id: uuid.UUID, breach_id: uuid.UUID) -> dict[str, Any] | None:
    """:func:`breach_row` in a read transaction of ``tenant_id``."""
    async with db.read_tx(tenant_id):
        return await breach_row(breach_id)


async def list_breaches(
    tenant_id: uuid.UUID, *, open_only: bool = False, limit: int = MAX_LIST
) -> list[dict[str, Any]]:
    """The command's incidents, newest found first (at most ``limit``); with ``open_only``
    those whose clock still runs (a notification missing). One statement."""
    where = (
        " WHERE b.subjects_notified_at IS NULL OR b.authority_notified_at IS NULL"
        if open_only
        else ""
    )
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT {_COLUMNS} FROM breach_incidents b{where}"
            f" ORDER BY b.found_at DESC, b.id DESC LIMIT {int(limit)}"
        )
    return [_row(r) for r in rows]


async def national_clocks(
    tenant_ids: list[uuid.UUID], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Across ``tenant_ids``: every incident found in ``[since, until)`` and every one
    whose clock still runs, soonest due first (at most 1,000): ``tenant_id``, ``id``,
    ``found_at``, ``due_at``, ``subjects_notified_at``, ``authority_notified_at``,
    ``escalation_level``, ``data_categories``, ``subject_categories``,
    ``subjects_estimate``. Read by the ``oversight_breaches`` SECURITY DEFINER function
    (migration 0037), which returns nothing more."""
    if not tenant_ids:
        return []
    rows = await db.fetch(
        "SELECT * FROM oversight_breaches($1::uuid[], $2, $3)", tenant_ids, since, until
    )
    return [dict(r) for r in rows]
