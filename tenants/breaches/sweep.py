"""The scheduled breach sweep (actor ``sweep_breach_clocks``): escalate running clocks.

For each incident whose subjects or authority notification is still missing, every
threshold of :mod:`jogo.tenants.breaches.clock` it has reached gets one
``breach_escalations`` row. One set-based ``INSERT … ON CONFLICT DO NOTHING`` per sweep:
sweeps running in parallel (two schedulers, a redelivered message) agree, since the
unique key (incident, level) lets one insert and makes the others find it there, and only
the inserting sweep notifies. A sweep that comes late (the worker was down) records
every level passed and tells the admins once, of the highest.

Each new escalation, in the sweep's transaction:
- a message to every tenant admin of the command on each of their own notification
  channels with an enabled gateway (``notifications`` + outbox, template
  ``breach_escalation``; exactly once per escalation and address);
- an audit row ``breach.escalated`` in the command's log (read by the national oversight
  auditor too);
- the incident's ``escalation_level``, which the national ``breachOversight`` view shows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.registry import TenantInfo
from jogo.tenants.breaches import clock
from jogo.tenants.breaches.notices import reference, when
from jogo.tenants.notifications.actions import do_send

TEMPLATE = "breach_escalation"


@dataclass(frozen=True)
class SweepResult:
    escalations: int  # rows recorded
    messages: int  # notifications queued


_ESCALATE = (
    "INSERT INTO breach_escalations (tenant_id, breach_id, level, threshold_hours, at)"
    " SELECT b.tenant_id, b.id, t.level, t.hours, $1 FROM breach_incidents b"
    " CROSS JOIN unnest($2::int[], $3::int[]) AS t(level, hours)"
    " WHERE (b.subjects_notified_at IS NULL OR b.authority_notified_at IS NULL)"
    " AND b.found_at + make_interval(hours => t.hours) <= $1"
    " ORDER BY b.id, t.level"
    " ON CONFLICT (tenant_id, breach_id, level) DO NOTHING"
    " RETURNING id, breach_id, level, threshold_hours"
)
# The command's tenant admins' own channels, on kinds the command can send.
_ADMIN_CHANNELS = (
    "SELECT c.channel, c.address, c.locale FROM notification_channels c"
    " JOIN notification_gateways g ON g.tenant_id = c.tenant_id AND g.kind = c.channel"
    " AND g.enabled"
    " WHERE c.removed_at IS NULL AND c.user_id IN (SELECT m.user_id FROM memberships m"
    " WHERE m.tenant = $1 AND m.role = 'tenant_admin') ORDER BY c.created_at, c.id"
)


async def do_sweep_breach_clocks(tenant: TenantInfo, now: datetime | None = None) -> SweepResult:
    """One command's sweep at ``now`` (default now, UTC), in one tenant transaction (see the
    module). Returns how many escalations were recorded and messages queued; running it
    again at the same ``now`` records nothing."""
    now = now or datetime.now(UTC)
    levels = [t.level for t in clock.THRESHOLDS]
    hours = [t.hours for t in clock.THRESHOLDS]
    messages = 0
    async with db.tenant_tx(tenant.id):
        made = [dict(r) for r in await db.fetch(_ESCALATE, now, levels, hours)]
        if not made:
            return SweepResult(0, 0)
        highest: dict[uuid.UUID, dict[str, Any]] = {}
        for e in made:
            if e["breach_id"] not in highest or e["level"] > highest[e["breach_id"]]["level"]:
                highest[e["breach_id"]] = e
        channels = await db.fetch(_ADMIN_CHANNELS, tenant.id)
        for breach_id, e in highest.items():
            rows = await db.fetch(
                "UPDATE breach_incidents SET escalation_level = greatest(escalation_level, $2)"
                " WHERE id = $1 RETURNING id, found_at, due_at, subjects_notified_at,"
                " authority_notified_at",
                breach_id,
                e["level"],
            )
            params = _params(dict(rows[0]), e["level"], tenant)
            sent = 0
            for c in channels:
                queued = await do_send(
                    tenant.id,
                    channel=c["channel"],
                    address=c["address"],
                    template=TEMPLATE,
                    params=params,
                    locale=c["locale"],
                    event_id=e["id"],
                )
                sent += queued is not None
            if sent:
                await db.fetch(
                    "UPDATE breach_escalations SET notified = $2 WHERE id = $1", e["id"], sent
                )
            messages += sent
        for e in made:
            await write_audit(
                "breach.escalated",
                tenant_id=tenant.id,
                target=f"breach:{e['breach_id']}",
                detail={"level": e["level"], "threshold_hours": e["threshold_hours"]},
            )
    return SweepResult(len(made), messages)


def _params(row: dict[str, Any], level: int, tenant: TenantInfo) -> dict[str, str]:
    stage = clock.threshold(level)
    pending_id = [
        name
        for name, at in (
            ("subjek data", row["subjects_notified_at"]),
            ("lembaga", row["authority_notified_at"]),
        )
        if at is None
    ]
    pending_en = [
        name
        for name, at in (
            ("data subjects", row["subjects_notified_at"]),
            ("authority", row["authority_notified_at"]),
        )
        if at is None
    ]
    return {
        "reference": reference(row["id"]),
        "stage": stage.name_id,
        "stage_en": stage.name_en,
        "found": when(row["found_at"], tenant, "id"),
        "found_en": when(row["found_at"], tenant, "en"),
        "due": when(row["due_at"], tenant, "id"),
        "due_en": when(row["due_at"], tenant, "en"),
        "pending": ", ".join(pending_id),
        "pending_en": ", ".join(pending_en),
    }
