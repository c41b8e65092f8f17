"""The only writes of the election module: polling stations (one at a time or a CSV
import), deployment rules, named officers, and the election categories."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from jogo.platform import db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.auth.users import is_field_officer
from jogo.platform.errors import Conflict, InputErrors, InvalidInput, NotFound
from jogo.platform.registry import TenantInfo
from jogo.tenants.election.stations import RowError, Station, check_station, parse_csv
from jogo.tenants.election.vocab import ELECTION_CATEGORIES, VULNERABILITIES, DeploymentRule
from jogo.tenants.oversight.rollups import announce, refresh_station_counts

_UPSERT = """
INSERT INTO polling_stations (tenant_id, code, village_code, address, latitude, longitude,
                              voters, vulnerability, notes)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[],
                         $7::int[], $8::text[], $9::text[])
ON CONFLICT (tenant_id, code) DO UPDATE SET
    village_code = EXCLUDED.village_code, address = EXCLUDED.address,
    latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, voters = EXCLUDED.voters,
    vulnerability = EXCLUDED.vulnerability, notes = EXCLUDED.notes, updated_at = now()
RETURNING id, (xmax = 0) AS inserted
"""


@dataclass
class ImportResult:
    rows: int
    created: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    kept: bool = True  # False: the file had errors and nothing was written


def require_election(tenant: TenantInfo) -> None:
    """Refuse when the tenant has the election module off. Raises :class:`InvalidInput` on
    ``module``."""
    if "election" not in tenant.modules:
        raise InvalidInput("the election module is off for this command", field="module")


def _require_manager(
    tenant: TenantInfo, principal: Principal, cap: Cap = Cap.ELECTION_MANAGE
) -> None:
    require_election(tenant)
    if cap not in principal.tenant_caps(tenant.id):
        what = "polling stations" if cap == Cap.ELECTION_MANAGE else "the deployment plan"
        raise denied(principal, f"only operators (or a key with election:write) can manage {what}")


async def _upsert(tenant: TenantInfo, stations: list[Station]) -> tuple[int, int, list[uuid.UUID]]:
    """Inside the caller's tenant transaction. Reports at a TPS whose vulnerability
    changed are announced to the rollups, so the national figures follow."""
    before = {
        r["code"]: r["vulnerability"]
        for r in await db.fetch(
            "SELECT code, vulnerability FROM polling_stations WHERE code = ANY($1::text[])",
            [s.code for s in stations],
        )
    }
    rows = await db.fetch(
        _UPSERT,
        tenant.id,
        [s.code for s in stations],
        [s.village_code for s in stations],
        [s.address for s in stations],
        [s.latitude for s in stations],
        [s.longitude for s in stations],
        [s.voters for s in stations],
        [s.vulnerability for s in stations],
        [s.notes for s in stations],
    )
    created = sum(1 for r in rows if r["inserted"])
    changed = [s.code for s in stations if s.code in before and before[s.code] != s.vulnerability]
    if changed:
        for report in await db.fetch(
            "SELECT r.id FROM reports r JOIN polling_stations s ON s.tenant_id = r.tenant_id"
            " AND s.id = r.polling_station_id WHERE s.code = ANY($1::text[])",
            changed,
        ):
            await announce(tenant.id, report["id"])
    await refresh_station_counts(tenant)
    return created, len(rows) - created, [r["id"] for r in rows]


async def do_import_stations(
    tenant: TenantInfo, principal: Principal, data: bytes, *, partial: bool = False
) -> ImportResult:
    """All or nothing by default: one faulty row and nothing is written. With ``partial``
    the valid rows are kept. A TPS already known (by code) is updated."""
    _require_manager(tenant, principal)
    parsed = parse_csv(data, tenant.region_code)
    bad_lines = {e.line for e in parsed.errors}
    result = ImportResult(rows=parsed.rows, rejected=len(bad_lines), errors=parsed.errors)
    if parsed.errors and not partial:
        result.kept = False
        return result
    good = [s for line, s in parsed.stations if line not in bad_lines]
    async with db.tenant_tx(tenant.id):
        if good:
            result.created, result.updated, _ = await _upsert(tenant, good)
        await write_audit(
            "election.import_tps",
            principal=principal,
            tenant_id=tenant.id,
            target=f"tenant:{tenant.slug}",
            detail={
                "rows": parsed.rows,
                "created": result.created,
                "updated": result.updated,
                "rejected": result.rejected,
            },
        )
    return result


async def do_create_polling_station(
    tenant: TenantInfo,
    principal: Principal,
    raw: dict[str, str | None],
    *,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """One TPS; a known code is CONFLICT. ``retry``: a retry under the same client key
    returns the first try's TPS (:mod:`jogo.platform.idempotency`)."""
    _require_manager(tenant, principal)
    station, faults = check_station(raw, tenant.region_code)
    if station is None:
        raise InputErrors([InvalidInput(m, field=_camel(f)) for f, m in faults])
    async with db.tenant_tx(tenant.id):
        # The TPS's id comes from the upsert below: claim now, name the object after it.
        if (earlier := await idempotency.claim(tenant.id, retry, uuid.uuid4())) is not None:
            return earlier
        if await db.fetch("SELECT 1 FROM polling_stations WHERE code = $1", station.code):
            raise Conflict(f"TPS {station.code} already exists", field="code")
        created, _, (station_id,) = await _upsert(tenant, [station])
        if not created:
            # A parallel call created it after the check above: this upsert updated that
            # row, and raising rolls the update back. One create wins; the rest conflict.
            raise Conflict(f"TPS {station.code} already exists", field="code")
        await idempotency.settle(tenant.id, retry, station_id)
        await write_audit(
            "election.create_tps",
            principal=principal,
            tenant_id=tenant.id,
            target=f"tps:{station.code}",
        )
    return station_id


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


async def do_set_deployment_rule(
    tenant: TenantInfo, principal: Principal, rule: DeploymentRule
) -> None:
    """Set (insert or replace) the tenant's deployment rule for one vulnerability level, overriding
    the default (``vocab.DEFAULT_RULES``). Bounds: 1-20 TPS per group, 1-20 officers per group, 0-10
    Linmas per TPS. Writes one ``election_deployment_rules`` row and the audit ``election.set_rule``
    in one tenant transaction. Raises :class:`InputErrors` (every faulty field at once),
    ``INVALID_INPUT`` when the module is off, ``FORBIDDEN``/``UNAUTHENTICATED`` without
    ``election:plan``."""
    _require_manager(tenant, principal, Cap.ELECTION_PLAN)
    errors = []
    if rule.vulnerability not in VULNERABILITIES:
        errors.append(InvalidInput("unknown vulnerability", field="vulnerability"))
    if not 1 <= rule.max_tps_per_group <= 20:
        errors.append(InvalidInput("a group holds 1-20 TPS", field="maxTpsPerGroup"))
    if not 1 <= rule.officers_per_group <= 20:
        errors.append(InvalidInput("a group gets 1-20 officers", field="officersPerGroup"))
    if not 0 <= rule.linmas_per_tps <= 10:
        errors.append(InvalidInput("a TPS gets 0-10 Linmas", field="linmasPerTps"))
    if errors:
        raise InputErrors(errors)
    async with db.tenant_tx(tenant.id):
        await db.fetch(
            "INSERT INTO election_deployment_rules (tenant_id, vulnerability, max_tps_per_group,"
            " officers_per_group, linmas_per_tps) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (tenant_id, vulnerability) DO UPDATE SET"
            " max_tps_per_group = EXCLUDED.max_tps_per_group,"
            " officers_per_group = EXCLUDED.officers_per_group,"
            " linmas_per_tps = EXCLUDED.linmas_per_tps, updated_at = now()",
            tenant.id,
            rule.vulnerability,
            rule.max_tps_per_group,
            rule.officers_per_group,
            rule.linmas_per_tps,
        )
        await write_audit(
            "election.set_rule",
            principal=principal,
            tenant_id=tenant.id,
            target=f"rule:{rule.vulnerability}",
            detail={
                "max_tps_per_group": rule.max_tps_per_group,
                "officers_per_group": rule.officers_per_group,
                "linmas_per_tps": rule.linmas_per_tps,
            },
        )


async def do_assign_station_officer(
    tenant: TenantInfo, principal: Principal, code: str, officer_id: uuid.UUID, assign: bool
) -> uuid.UUID:
    """Name (or, with ``assign`` False, un-name) an officer of this command for a TPS."""
    _require_manager(tenant, principal, Cap.ELECTION_PLAN)
    async with db.tenant_tx(tenant.id):
        stations = await db.fetch("SELECT id FROM polling_stations WHERE code = $1", code.strip())
        if not stations:
            raise NotFound("polling station not found", field="code")
        station_id: uuid.UUID = stations[0]["id"]
        if assign:
            if not await is_field_officer(tenant.id, officer_id):
                raise NotFound("no officer of this command has that id", field="officerId")
            await db.fetch(
                "INSERT INTO polling_station_officers (tenant_id, station_id, user_id)"
                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                tenant.id,
                station_id,
                officer_id,
            )
        else:
            await db.fetch(
                "DELETE FROM polling_station_officers WHERE station_id = $1 AND user_id = $2",
                station_id,
                officer_id,
            )
        await write_audit(
            "election.assign" if assign else "election.unassign",
            principal=principal,
            tenant_id=tenant.id,
            target=f"tps:{code}",
            detail={"officer": str(officer_id)},
        )
    return station_id


async def do_seed_election_categories(tenant_id: uuid.UUID) -> None:
    """Inside the caller's tenant transaction; safe to repeat."""
    for i, seed in enumerate(ELECTION_CATEGORIES, start=1):
        await db.fetch(
            "INSERT INTO report_categories (tenant_id, code, name_id, name_en, description_id,"
            " sort_order) VALUES ($1, $2, $3, $4, $5,"
            " (SELECT coalesce(max(sort_order), 0) + $6 FROM report_categories))"
            " ON CONFLICT (tenant_id, code) DO NOTHING",
            tenant_id,
            seed.code,
            seed.name_id,
            seed.name_en,
            seed.description_id,
            i,
        )
