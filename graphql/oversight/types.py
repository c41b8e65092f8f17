from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import strawberry

from jogo.graphql.core.types import TenantType
from jogo.graphql.reports import Status
from jogo.platform.regions import TIME_ZONES
from jogo.tenants.election.vocab import VULNERABILITIES
from jogo.tenants.oversight.election import Group
from jogo.tenants.oversight.queries import Percentiles, Totals


@strawberry.input(
    description="Every field narrows; by default the last 30 days, all tenants. Days are"
    " each tenant's own calendar days. status narrows counts and the drill-down, not"
    " durations or the heat map."
)
class NationalFilter:
    date_from: date | None = None
    date_to: date | None = None
    polda_code: str | None = None
    tenant_slug: str | None = None
    category_code: str | None = None
    status: Status | None = None


@strawberry.type
class Count:
    key: str
    count: int


@strawberry.type
class DayCount:
    day: date
    count: int


@strawberry.type(description="From histograms of about ±10 % resolution.")
class Duration:
    median_seconds: float | None
    p90_seconds: float | None
    reports: int

    @classmethod
    def of(cls, p: Percentiles | None) -> Duration:
        """A duration figure: median and 90th percentile in seconds (null without reports) and how
        many reports they cover.
        """
        p = p or Percentiles()
        return cls(median_seconds=p.median_seconds, p90_seconds=p.p90_seconds, reports=p.reports)


@strawberry.type
class Summary:
    tenants: int = strawberry.field(description="Tenants the filter covers.")
    reports: int
    urgent: int
    sla_breaches: int
    sla_breach_rate: float
    by_status: list[Count]
    by_category: list[Count]
    time_to_verify: Duration
    time_to_dispatch: Duration
    time_to_resolve: Duration
    daily: list[DayCount]

    @classmethod
    def of(cls, t: Totals, tenants: int) -> Summary:
        """The GraphQL summary of rollup totals over ``tenants`` tenants; the breach rate is a share
        (0-1) rounded to 4 places, statuses, categories and days sorted.
        """
        return cls(
            tenants=tenants,
            reports=t.reports,
            urgent=t.urgent,
            sla_breaches=t.breaches,
            sla_breach_rate=round(t.breach_rate, 4),
            by_status=[Count(key=k, count=v) for k, v in sorted(t.by_status.items())],
            by_category=[Count(key=k, count=v) for k, v in sorted(t.by_category.items())],
            time_to_verify=Duration.of(t.durations.get("verify")),
            time_to_dispatch=Duration.of(t.durations.get("dispatch")),
            time_to_resolve=Duration.of(t.durations.get("resolve")),
            daily=[DayCount(day=d, count=n) for d, n in sorted(t.daily.items())],
        )


@strawberry.type
class TenantSummary:
    tenant: TenantType
    summary: Summary


@strawberry.type(description="Reports per ~1 km grid cell; never an exact point.")
class HeatCell:
    latitude: float
    longitude: float
    count: int


@strawberry.type(
    description="A report as national views see it: no reporter, no phone, no"
    " address, coordinates to ~100 m, personal data masked in the text."
)
class NationalReport:
    tenant_slug: str
    ticket: str
    category_code: str
    title: str
    description: str
    latitude: float
    longitude: float
    status: Status
    urgent: bool
    sla_breached: bool
    created_at: datetime
    verified_at: datetime | None
    resolved_at: datetime | None


@strawberry.type
class NationalReportEdge:
    cursor: str
    node: NationalReport


@strawberry.type
class NationalReportConnection:
    edges: list[NationalReportEdge]
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: str
    actor_kind: str
    role: str | None = strawberry.field(
        description="The role the actor acted in: a national actor's national role; a"
        " user's roles in this command when the row was written, sorted and"
        " comma-separated (e.g. operator,tenant_admin); null for keys, the console and"
        " the system."
    )
    action: str
    tenant_id: strawberry.ID | None
    target: str | None
    detail: strawberry.scalars.JSON

    @classmethod
    def of(cls, row: dict[str, Any], time_zone: str | None = None) -> AuditEntry:
        """``time_zone``: WIB, WITA or WIT to show ``at`` in (default: as stored, UTC)."""
        import json

        detail = row["detail"]
        at = row["at"]
        if time_zone is not None:
            at = at.astimezone(ZoneInfo(TIME_ZONES[time_zone]))
        return cls(
            id=strawberry.ID(str(row["id"])),
            at=at,
            actor=row["actor"],
            actor_kind=row["actor_kind"],
            role=row["role"],
            action=row["action"],
            tenant_id=strawberry.ID(str(row["tenant"])) if row["tenant"] else None,
            target=row["target"],
            detail=json.loads(detail) if isinstance(detail, str) else detail,
        )


@strawberry.type
class AuditConnection:
    entries: list[AuditEntry]
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="Polling stations and election incidents of one vulnerability.")
class VulnerabilityFigures:
    vulnerability: str = strawberry.field(
        description="AMAN, KURANG_RAWAN, RAWAN, SANGAT_RAWAN or KHUSUS."
    )
    name: str = strawberry.field(description="Bahasa Indonesia.")
    stations: int
    voters: int
    incidents: int
    open_incidents: int
    urgent_incidents: int


@strawberry.type(description="Election figures of a Polda, a tenant, or all visible tenants.")
class ElectionGroup:
    key: str = strawberry.field(description="Polda code, tenant slug, or ALL.")
    stations: int
    voters: int
    incidents: int
    open_incidents: int
    urgent_incidents: int
    by_vulnerability: list[VulnerabilityFigures]

    @classmethod
    def of(cls, group: Group) -> ElectionGroup:
        """One group of the election summary (a Polda, a tenant, or all): its totals and, per
        vulnerability level in ``VULNERABILITIES`` order, the levels that have figures.
        """
        t = group.total
        return cls(
            key=group.key,
            stations=t.stations,
            voters=t.voters,
            incidents=t.incidents,
            open_incidents=t.open_incidents,
            urgent_incidents=t.urgent_incidents,
            by_vulnerability=[
                VulnerabilityFigures(
                    vulnerability=v,
                    name=VULNERABILITIES[v][0],
                    stations=f.stations,
                    voters=f.voters,
                    incidents=f.incidents,
                    open_incidents=f.open_incidents,
                    urgent_incidents=f.urgent_incidents,
                )
                for v in VULNERABILITIES
                if (f := group.by_vulnerability.get(v)) is not None
            ],
        )


@strawberry.type(name="ElectionSummary", description="TPS and incidents, from the rollups.")
class ElectionSummaryType:
    total: ElectionGroup
    by_polda: list[ElectionGroup]
    by_tenant: list[ElectionGroup]
