from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from jogo.graphql.errors import UserError
from jogo.graphql.permissions import requires
from jogo.graphql.reports.types import PageInfo
from jogo.platform.auth.roles import Cap
from jogo.platform.regions import district_name, village_name
from jogo.tenants.election.plan import DistrictPlan, Line, Plan
from jogo.tenants.election.stations import RowError
from jogo.tenants.election.vocab import VULNERABILITIES, DeploymentRule


@strawberry.enum(description="How vulnerable a TPS is (kerawanan).")
class Vulnerability(Enum):
    AMAN = "AMAN"
    KURANG_RAWAN = "KURANG_RAWAN"
    RAWAN = "RAWAN"
    SANGAT_RAWAN = "SANGAT_RAWAN"
    KHUSUS = "KHUSUS"


@strawberry.enum(description="A TPS on the election-day board.")
class BoardState(Enum):
    NORMAL = "NORMAL"
    INCIDENT = "INCIDENT"
    ESCALATED = "ESCALATED"


@strawberry.type(description="A polling station (TPS).")
class PollingStation:
    id: strawberry.ID
    code: str = strawberry.field(description="KPU style: village digits and TPS number.")
    village_code: str
    village_name: str | None
    district_code: str = strawberry.field(description="The kecamatan.")
    district_name: str | None
    address: str
    latitude: float | None
    longitude: float | None
    voters: int
    vulnerability: Vulnerability
    vulnerability_name: str = strawberry.field(description="Bahasa Indonesia.")
    notes: str | None
    officers: strawberry.Private[list[Any]]

    @strawberry.field(
        description="Named officers (police staff).",
        permission_classes=[requires(Cap.ELECTION_DEPLOYMENT)],
    )
    def officer_ids(self) -> list[strawberry.ID] | None:
        """The officers named for this TPS. Needs ``ELECTION_DEPLOYMENT`` (null and a typed error at
        this field otherwise).
        """
        return [strawberry.ID(str(o)) for o in self.officers]

    @classmethod
    def of(cls, row: dict[str, Any], officers: list[Any] | None = None) -> PollingStation:
        """A TPS from its ``polling_stations`` row, with the Kemendagri names of its village and
        kecamatan, its vulnerability's Indonesian name, and the named officers' ids.
        """
        return cls(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            village_code=row["village_code"],
            village_name=village_name(row["village_code"]),
            district_code=row["district_code"],
            district_name=district_name(row["district_code"]),
            address=row["address"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            voters=row["voters"],
            vulnerability=Vulnerability(row["vulnerability"]),
            vulnerability_name=VULNERABILITIES[row["vulnerability"]][0],
            notes=row["notes"],
            officers=list(officers or []),
        )


@strawberry.type
class PollingStationEdge:
    cursor: str
    node: PollingStation


@strawberry.type
class PollingStationConnection:
    edges: list[PollingStationEdge]
    page_info: PageInfo


@strawberry.input
class PollingStationInput:
    code: str
    village_code: str
    address: str
    voters: int
    vulnerability: Vulnerability
    latitude: float | None = None
    longitude: float | None = None
    notes: str | None = None

    def raw(self) -> dict[str, str | None]:
        """As a CSV row would give it, so one check serves both."""
        return {
            "code": self.code,
            "village_code": self.village_code,
            "address": self.address,
            "voters": str(self.voters),
            "vulnerability": self.vulnerability.value,
            "latitude": None if self.latitude is None else repr(self.latitude),
            "longitude": None if self.longitude is None else repr(self.longitude),
            "notes": self.notes,
        }


@strawberry.type
class PollingStationPayload:
    station: PollingStation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="One faulty row of an import.")
class ImportRowError:
    line: int = strawberry.field(description="Line number in the file (the header is 1).")
    field: str | None
    message: str

    @classmethod
    def of(cls, e: RowError) -> ImportRowError:
        """One fault of a CSV row: its line in the file, the column (if one) and what is wrong."""
        return cls(line=e.line, field=e.field, message=e.message)


@strawberry.type
class ImportPollingStationsPayload:
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = strawberry.field(default=0, description="Rows with faults.")
    kept: bool = strawberry.field(
        default=False, description="False when faults stopped the whole file (not partial)."
    )
    row_errors: list[ImportRowError] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Officers and Linmas one level of TPS gets.")
class DeploymentRuleType:
    vulnerability: Vulnerability
    max_tps_per_group: int
    officers_per_group: int
    linmas_per_tps: int

    @classmethod
    def of(cls, rule: DeploymentRule) -> DeploymentRuleType:
        """A deployment rule: per vulnerability level, TPS per group, officers per group and Linmas
        per TPS.
        """
        return cls(
            vulnerability=Vulnerability(rule.vulnerability),
            max_tps_per_group=rule.max_tps_per_group,
            officers_per_group=rule.officers_per_group,
            linmas_per_tps=rule.linmas_per_tps,
        )


@strawberry.type
class DeploymentRulePayload:
    rules: list[DeploymentRuleType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PlanLine:
    vulnerability: str = strawberry.field(description="A level, or ALL for a total.")
    stations: int
    voters: int
    groups: int = strawberry.field(description="Groups of TPS (posts) the rules make.")
    officers: int
    linmas: int
    assigned_officers: int = strawberry.field(description="Officers already named.")
    officers_short: int

    @classmethod
    def of(cls, line: Line) -> PlanLine:
        """One line of the plan: TPS, voters, groups, officers and Linmas needed, officers named,
        and ``officersShort`` (needed minus named, never below 0).
        """
        return cls(
            vulnerability=line.vulnerability,
            stations=line.stations,
            voters=line.voters,
            groups=line.groups,
            officers=line.officers,
            linmas=line.linmas,
            assigned_officers=line.assigned_officers,
            officers_short=max(0, line.officers - line.assigned_officers),
        )


@strawberry.type
class DistrictPlanType:
    district_code: str
    district_name: str | None
    lines: list[PlanLine]
    total: PlanLine

    @classmethod
    def of(cls, d: DistrictPlan) -> DistrictPlanType:
        """One kecamatan's plan: a line per vulnerability level and its total."""
        return cls(
            district_code=d.district_code,
            district_name=d.district_name,
            lines=[PlanLine.of(x) for x in d.lines],
            total=PlanLine.of(d.total),
        )


@strawberry.type(description="The deployment plan per kecamatan, with totals.")
class DeploymentPlan:
    districts: list[DistrictPlanType]
    by_vulnerability: list[PlanLine]
    total: PlanLine
    rules: list[DeploymentRuleType]

    @classmethod
    def of(cls, plan: Plan) -> DeploymentPlan:
        """The whole plan: per kecamatan, per vulnerability level, the total, and the rules used."""
        return cls(
            districts=[DistrictPlanType.of(d) for d in plan.districts],
            by_vulnerability=[PlanLine.of(x) for x in plan.by_vulnerability],
            total=PlanLine.of(plan.total),
            rules=[DeploymentRuleType.of(r) for r in plan.rules],
        )


@strawberry.type(description="A TPS on the election-day board.")
class BoardStation:
    code: str
    district_code: str
    vulnerability: Vulnerability
    latitude: float | None
    longitude: float | None
    state: BoardState
    open_incidents: int
    urgent_open_incidents: int
    incidents: int
    last_incident_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> BoardStation:
        """A TPS's line on the election board: location, vulnerability, state, open and urgent open
        incidents, all incidents and the latest one's time.
        """
        return cls(
            code=row["code"],
            district_code=row["district_code"],
            vulnerability=Vulnerability(row["vulnerability"]),
            latitude=row["latitude"],
            longitude=row["longitude"],
            state=BoardState(row["state"]),
            open_incidents=row["open_incidents"],
            urgent_open_incidents=row["urgent_open"],
            incidents=row["incidents"],
            last_incident_at=row["last_incident_at"],
        )
