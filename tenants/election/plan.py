"""The deployment plan: per kecamatan and vulnerability, how many groups (posts) of TPS,
officers and Linmas the rules call for, against the officers already named.

Pure arithmetic on counts, so it is cheap to recompute whenever a rule or a station
changes. Groups never cross a kecamatan or a vulnerability level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from jogo.tenants.election.vocab import DEFAULT_RULES, VULNERABILITIES, DeploymentRule


@dataclass(frozen=True)
class Count:
    district_code: str
    vulnerability: str
    stations: int
    voters: int
    assigned_officers: int = 0


@dataclass
class Line:
    vulnerability: str
    stations: int = 0
    voters: int = 0
    groups: int = 0
    officers: int = 0
    linmas: int = 0
    assigned_officers: int = 0

    def add(self, other: Line) -> None:
        """Add ``other``'s counts (stations, voters, groups, officers, Linmas, assigned officers) to
        this line, in place."""
        self.stations += other.stations
        self.voters += other.voters
        self.groups += other.groups
        self.officers += other.officers
        self.linmas += other.linmas
        self.assigned_officers += other.assigned_officers


@dataclass
class DistrictPlan:
    district_code: str
    district_name: str | None
    lines: list[Line] = field(default_factory=list)
    total: Line = field(default_factory=lambda: Line("ALL"))


@dataclass
class Plan:
    districts: list[DistrictPlan]
    by_vulnerability: list[Line]
    total: Line
    rules: list[DeploymentRule]


def line_for(count: Count, rule: DeploymentRule) -> Line:
    """The plan line of one kecamatan and vulnerability level: ``ceil(stations /
    max_tps_per_group)`` groups, ``officers_per_group`` officers per group and ``linmas_per_tps``
    Linmas per TPS; zero groups for zero stations."""
    groups = math.ceil(count.stations / rule.max_tps_per_group) if count.stations else 0
    return Line(
        vulnerability=count.vulnerability,
        stations=count.stations,
        voters=count.voters,
        groups=groups,
        officers=groups * rule.officers_per_group,
        linmas=count.stations * rule.linmas_per_tps,
        assigned_officers=count.assigned_officers,
    )


def effective_rules(overrides: dict[str, DeploymentRule]) -> dict[str, DeploymentRule]:
    """The rule for every vulnerability level, in :data:`VULNERABILITIES` order: the tenant's
    override where it has one, else the default (pola pengamanan TPS, ``vocab.DEFAULT_RULES``)."""
    return {v: overrides.get(v, DEFAULT_RULES[v]) for v in VULNERABILITIES}


def compute_plan(
    counts: list[Count],
    overrides: dict[str, DeploymentRule],
    names: dict[str, str | None] | None = None,
) -> Plan:
    """The deployment plan from station ``counts`` per kecamatan and level, with the tenant's rule
    ``overrides`` and optional kecamatan ``names`` (code → name). Districts sorted by code, lines by
    level; totals per district, per level (levels with stations only) and overall. Pure arithmetic,
    no I/O."""
    rules = effective_rules(overrides)
    order = list(VULNERABILITIES)
    districts: dict[str, DistrictPlan] = {}
    by_vulnerability = {v: Line(v) for v in order}
    total = Line("ALL")
    for count in sorted(counts, key=lambda c: (c.district_code, order.index(c.vulnerability))):
        district = districts.setdefault(
            count.district_code,
            DistrictPlan(count.district_code, (names or {}).get(count.district_code)),
        )
        line = line_for(count, rules[count.vulnerability])
        district.lines.append(line)
        district.total.add(line)
        by_vulnerability[count.vulnerability].add(line)
        total.add(line)
    return Plan(
        districts=list(districts.values()),
        by_vulnerability=[by_vulnerability[v] for v in order if by_vulnerability[v].stations],
        total=total,
        rules=list(rules.values()),
    )
