"""The only reads of the election module."""

from __future__ import annotations

import uuid
from typing import Any

from jogo.platform import db
from jogo.tenants.election.plan import Count
from jogo.tenants.election.vocab import DeploymentRule
from jogo.tenants.reports.lifecycle import OPEN_SQL

ESCALATE_AT = 3  # open incidents at one TPS that escalate it by themselves

_BOARD = f"""
SELECT s.id, s.code, s.district_code, s.village_code, s.vulnerability, s.latitude,
       s.longitude, s.voters,
       count(r.id) FILTER (WHERE r.status IN {OPEN_SQL}) AS open_incidents,
       count(r.id) FILTER (WHERE r.status IN {OPEN_SQL} AND r.urgent) AS urgent_open,
       count(r.id) FILTER (WHERE r.status IN {OPEN_SQL} AND (r.verify_breached_at IS NOT NULL
                           OR r.followup_breached_at IS NOT NULL)) AS breached_open,
       count(r.id) AS incidents, max(r.created_at) AS last_incident_at
  FROM polling_stations s
  LEFT JOIN reports r ON r.tenant_id = s.tenant_id AND r.polling_station_id = s.id
"""


def board_state(row: dict[str, Any]) -> str:
    """NORMAL, INCIDENT (an open incident) or ESCALATED (an urgent or overdue one, or
    several at once)."""
    if row["urgent_open"] or row["breached_open"] or row["open_incidents"] >= ESCALATE_AT:
        return "ESCALATED"
    return "INCIDENT" if row["open_incidents"] else "NORMAL"


async def stations(
    tenant_id: uuid.UUID,
    *,
    district_code: str | None,
    vulnerability: str | None,
    first: int,
    after_code: str | None,
) -> list[dict[str, Any]]:
    """A page of the tenant's polling stations by TPS code (13 digits), optionally of one kecamatan
    (``PP.KK.CC``) and vulnerability level, after the code ``after_code``: at most ``first + 1``
    rows (one more tells a next page)."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT * FROM polling_stations WHERE ($1::text IS NULL OR district_code = $1)"
            " AND ($2::text IS NULL OR vulnerability = $2) AND ($3::text IS NULL OR code > $3)"
            " ORDER BY code LIMIT $4",
            district_code,
            vulnerability,
            after_code,
            first + 1,
        )
    return [dict(r) for r in rows]


async def station_by_code(tenant_id: uuid.UUID, code: str) -> dict[str, Any] | None:
    """The polling station with this TPS code, or None (also for another tenant's)."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch("SELECT * FROM polling_stations WHERE code = $1", code)
    return dict(rows[0]) if rows else None


async def station_by_id(tenant_id: uuid.UUID, station_id: uuid.UUID) -> dict[str, Any] | None:
    """The polling station with this id, or None (also for another tenant's)."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch("SELECT * FROM polling_stations WHERE id = $1", station_id)
    return dict(rows[0]) if rows else None


async def station_officers(
    tenant_id: uuid.UUID, station_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Named officers per station, for one DataLoader batch."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT station_id, user_id FROM polling_station_officers"
            " WHERE station_id = ANY($1::uuid[]) ORDER BY assigned_at, user_id",
            station_ids,
        )
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for r in rows:
        found.setdefault(r["station_id"], []).append(r["user_id"])
    return found


async def plan_inputs(
    tenant_id: uuid.UUID,
) -> tuple[list[Count], dict[str, DeploymentRule]]:
    """What :func:`plan.compute_plan` needs: station counts, voters and named officers per kecamatan
    and vulnerability, and the tenant's rule overrides by level. One tenant transaction, two
    statements."""
    async with db.read_tx(tenant_id):
        counts = await db.fetch(
            "SELECT s.district_code, s.vulnerability, count(*) AS stations,"
            " sum(s.voters) AS voters, coalesce(sum(a.n), 0) AS assigned"
            " FROM polling_stations s LEFT JOIN (SELECT station_id, count(*) AS n"
            "   FROM polling_station_officers GROUP BY station_id) a ON a.station_id = s.id"
            " GROUP BY s.district_code, s.vulnerability"
        )
        rules = await db.fetch("SELECT * FROM election_deployment_rules")
    return (
        [
            Count(
                r["district_code"],
                r["vulnerability"],
                int(r["stations"]),
                int(r["voters"]),
                int(r["assigned"]),
            )
            for r in counts
        ],
        {
            r["vulnerability"]: DeploymentRule(
                r["vulnerability"],
                r["max_tps_per_group"],
                r["officers_per_group"],
                r["linmas_per_tps"],
            )
            for r in rules
        },
    )


async def board(
    tenant_id: uuid.UUID,
    *,
    station_id: uuid.UUID | None = None,
    district_code: str | None = None,
    incidents_only: bool = False,
) -> list[dict[str, Any]]:
    """The election-day board: each TPS (by code) with its incident counts (open, urgent open,
    overdue open, all) and last incident time, plus ``state`` (see :func:`board_state`); optionally
    one station or one kecamatan, and with ``incidents_only`` only TPS with an open incident."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            _BOARD + " WHERE ($1::uuid IS NULL OR s.id = $1)"
            " AND ($2::text IS NULL OR s.district_code = $2)"
            " GROUP BY s.tenant_id, s.id"
            f" HAVING NOT $3 OR count(r.id) FILTER (WHERE r.status IN {OPEN_SQL}) > 0"
            " ORDER BY s.code",
            station_id,
            district_code,
            incidents_only,
        )
    return [dict(r) | {"state": board_state(r)} for r in rows]


async def station_of_event(tenant_id: uuid.UUID, event_id: uuid.UUID) -> uuid.UUID | None:
    """The polling station of the report a timeline event belongs to, or None (no such event, or its
    report is not at a TPS)."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT r.polling_station_id FROM report_events e JOIN reports r"
            " ON r.tenant_id = e.tenant_id AND r.id = e.report_id WHERE e.id = $1",
            event_id,
        )
    return rows[0]["polling_station_id"] if rows else None
