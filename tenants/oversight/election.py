"""The national election summary: TPS and incidents by Polda, tenant and vulnerability,
read from the rollups only (``oversight_election`` and ``election_station_counts``):
two statements, whatever the number of reports or stations."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from jogo.platform import db
from jogo.platform.registry import TenantInfo
from jogo.tenants.oversight.queries import Filter
from jogo.tenants.reports.lifecycle import OPEN_SQL


@dataclass
class Figures:
    stations: int = 0
    voters: int = 0
    incidents: int = 0
    open_incidents: int = 0
    urgent_incidents: int = 0

    def add(self, other: Figures) -> None:
        """Add ``other``'s counts to these, in place."""
        self.stations += other.stations
        self.voters += other.voters
        self.incidents += other.incidents
        self.open_incidents += other.open_incidents
        self.urgent_incidents += other.urgent_incidents


@dataclass
class Group:
    key: str
    total: Figures = field(default_factory=Figures)
    by_vulnerability: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))

    def add(self, vulnerability: str, figures: Figures) -> None:
        """Add one vulnerability level's figures to the group's total and to that level's line."""
        self.total.add(figures)
        self.by_vulnerability[vulnerability].add(figures)


@dataclass
class ElectionSummary:
    total: Group
    by_polda: list[Group]
    by_tenant: list[Group]


async def election_summary(f: Filter, tenants: list[TenantInfo]) -> ElectionSummary:
    """``f.scopes`` must be the tenants' own scopes (``tenant:<id>``)."""
    cells: dict[tuple[uuid.UUID, str], Figures] = defaultdict(Figures)
    if tenants:
        args: list[object] = [f.scopes, f.day_from, f.day_to]
        where = "scope = ANY($1::text[]) AND day BETWEEN $2 AND $3"
        if f.category:
            args.append(f.category)
            where += f" AND category_code = ${len(args)}"
        if f.status:
            args.append(f.status)
            where += f" AND status = ${len(args)}"
        for r in await db.fetch(
            "SELECT substr(scope, 8)::uuid AS tenant, vulnerability, sum(reports) AS n,"
            f" sum(reports) FILTER (WHERE status IN {OPEN_SQL}) AS open, sum(urgent) AS u"
            f" FROM oversight_election WHERE {where} GROUP BY scope, vulnerability",
            *args,
        ):
            figures = cells[(r["tenant"], r["vulnerability"])]
            figures.incidents += int(r["n"])
            figures.open_incidents += int(r["open"] or 0)
            figures.urgent_incidents += int(r["u"])
        for r in await db.fetch(
            "SELECT tenant, vulnerability, stations, voters FROM election_station_counts"
            " WHERE tenant = ANY($1::uuid[])",
            [t.id for t in tenants],
        ):
            figures = cells[(r["tenant"], r["vulnerability"])]
            figures.stations += r["stations"]
            figures.voters += r["voters"]
    by_id = {t.id: t for t in tenants}
    total = Group("ALL")
    poldas: dict[str, Group] = {}
    per_tenant: dict[uuid.UUID, Group] = {}
    for (tenant_id, vulnerability), figures in cells.items():
        tenant = by_id[tenant_id]
        total.add(vulnerability, figures)
        poldas.setdefault(tenant.polda_code, Group(tenant.polda_code)).add(vulnerability, figures)
        per_tenant.setdefault(tenant_id, Group(tenant.slug)).add(vulnerability, figures)
    return ElectionSummary(
        total=total,
        by_polda=sorted(poldas.values(), key=lambda g: g.key),
        by_tenant=sorted(per_tenant.values(), key=lambda g: g.key),
    )
