"""The scheduled SLA job: mark breaches and auto-close resolved reports nobody answered.

Set-based per tenant (one UPDATE per rule), so a sweep costs the same few statements
whether one report or ten thousand are due.

No breach is marked on a day the tenant's working calendar keeps off (weekends, public
holidays, collective leave unless the tenant turned that off, the tenant's own days off;
see ``calendar.py``): offices are shut, so the breach waits for the next working day.
The follow-up clock runs from a dispatch until the agency starts, and for a case the
police handle themselves (``police_started_at``) from their start until it is resolved.
Urgent reports are the exception: their verify and follow-up deadlines are in minutes
and the command centre works around the clock, so they are marked any day. Auto-close
is not a breach and runs every day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from jogo.platform import db, notify
from jogo.platform.registry import TenantInfo
from jogo.tenants.oversight import rollups
from jogo.tenants.reports.calendar import load_calendar
from jogo.tenants.reports.events import TOPIC

AUTOCLOSE_NOTE = (
    "Ditutup otomatis: tidak ada tanggapan pelapor dalam batas waktu"
    " / Closed automatically: no reply from the reporter in time"
)

# What a breach rule covers (its ``{scope}``): every report on a working day; on a day
# off only urgent ones, whose deadlines run in minutes around the clock (the command
# centre never closes), for verification and agency follow-up alike.
_EVERY_REPORT = ""
_URGENT_ONLY = " AND urgent"

_RULES = {
    # name: (UPDATE ... RETURNING id, event kind, public, from, to, note)
    "verify": (
        "UPDATE reports SET verify_breached_at = $1 WHERE status = 'SUBMITTED'"
        " AND verify_due_at < $1 AND verify_breached_at IS NULL{scope} RETURNING id",
        "SLA_BREACH",
        False,
        None,
        None,
        None,
    ),
    "followup": (
        "UPDATE reports SET followup_breached_at = $1 WHERE (status = 'DISPATCHED'"
        " OR (status = 'IN_PROGRESS' AND police_started_at IS NOT NULL))"
        " AND followup_due_at < $1 AND followup_breached_at IS NULL{scope} RETURNING id",
        "SLA_BREACH",
        False,
        None,
        None,
        None,
    ),
    "autoclose": (
        "UPDATE reports SET status = 'CLOSED', closed_at = $1, autoclose_at = NULL,"
        " updated_at = $1 WHERE status = 'RESOLVED' AND autoclose_at < $1 RETURNING id",
        "STATUS",
        True,
        "RESOLVED",
        "CLOSED",
        AUTOCLOSE_NOTE,
    ),
}


@dataclass(frozen=True)
class SweepResult:
    verify_breaches: int
    followup_breaches: int
    auto_closed: int


async def do_sweep_report_slas(tenant: TenantInfo, now: datetime | None = None) -> SweepResult:
    """One tenant's SLA sweep at ``now`` (default now, UTC), in one tenant transaction: mark verify
    and follow-up breaches (on a day off only urgent reports), auto-close RESOLVED reports past
    ``autoclose_at``. Writes one event per report touched (internal SLA_BREACH, or a public STATUS
    for a close), publishes each on the live feed and asks the rollups to look again (outbox).
    Returns the counts; idempotent."""
    now = now or datetime.now(UTC)
    counts: dict[str, int] = {}
    async with db.tenant_tx(tenant.id):
        calendar = await load_calendar(tenant)
        day_off = not calendar.is_working_day(calendar.today(now))
        scope = _URGENT_ONLY if day_off else _EVERY_REPORT
        for name, (update, kind, public, from_s, to_s, note) in _RULES.items():
            ids = [r["id"] for r in await db.fetch(update.format(scope=scope), now)]
            counts[name] = len(ids)
            if not ids:
                continue
            events = await db.fetch(
                "INSERT INTO report_events (tenant_id, id, report_id, kind, from_status,"
                " to_status, note, public, actor_name, data)"
                " SELECT $1, gen_random_uuid(), r, $3, $4, $5, $6, $7, 'sistem',"
                " jsonb_build_object('sla', $8::text)"
                " FROM unnest($2::uuid[]) AS r RETURNING id",
                tenant.id,
                ids,
                kind,
                from_s,
                to_s,
                note,
                public,
                name,
            )
            for event in events:
                await notify.publish(TOPIC, tenant.id, event["id"])
            for report_id in ids:
                await rollups.announce(tenant.id, report_id)
    return SweepResult(counts["verify"], counts["followup"], counts["autoclose"])
