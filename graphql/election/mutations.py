"""Election mutations: polling stations and the officers assigned to them."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.election.queries import stations_of
from jogo.graphql.election.types import (
    DeploymentRulePayload,
    DeploymentRuleType,
    ImportPollingStationsPayload,
    ImportRowError,
    PollingStationInput,
    PollingStationPayload,
    Vulnerability,
)
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.http import UploadedFile
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.tenants.election import actions, queries
from jogo.tenants.election.plan import effective_rules
from jogo.tenants.election.vocab import DeploymentRule


async def _station_payload(
    info: Info[Context, None], station_id: uuid.UUID | None, errors: list[UserError]
) -> PollingStationPayload:
    if station_id is None:
        return PollingStationPayload(errors=errors)
    tenant = info.context.require_tenant()
    row = await queries.station_by_id(tenant.id, station_id)
    return PollingStationPayload(station=(await stations_of(tenant.id, [row]))[0] if row else None)


@strawberry.type
class ElectionMutation:
    @strawberry.mutation(
        description="Import polling stations from a CSV file (multipart). All or nothing"
        " unless partial; a known code updates its TPS.",
        extensions=writes(Cap.ELECTION_MANAGE),
    )
    async def import_polling_stations(
        self, info: Info[Context, None], file: Upload, partial: bool = False
    ) -> ImportPollingStationsPayload:
        """Import polling stations (TPS) from a CSV file sent as a multipart file; a known code
        updates its TPS. All or nothing unless ``partial`` (valid rows kept); row faults come back
        as ``rowErrors`` with their line. Needs ``ELECTION_MANAGE``. ``INVALID_INPUT`` on
        ``file`` when it is not a multipart file or cannot be read as the CSV.
        """
        ctx = info.context
        tenant = ctx.require_tenant()

        async def run() -> actions.ImportResult:
            if not isinstance(file, UploadedFile):
                raise InvalidInput("send the CSV as a file of a multipart request", field="file")
            return await actions.do_import_stations(
                tenant, ctx.principal, file.data, partial=partial
            )

        result, errors = await attempt(run)
        if result is None:
            return ImportPollingStationsPayload(errors=errors)
        return ImportPollingStationsPayload(
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            rejected=result.rejected,
            kept=result.kept,
            row_errors=[ImportRowError.of(e) for e in result.errors],
        )

    @strawberry.mutation(
        description="Add one polling station (operators).",
        extensions=writes(Cap.ELECTION_MANAGE),
    )
    async def create_polling_station(
        self,
        info: Info[Context, None],
        input: PollingStationInput,
        client_key: ClientKeyArgument = None,
    ) -> PollingStationPayload:
        """Add one TPS (code: 13 digits, the Kemendagri village's 10 and the TPS number's 3). Needs
        ``ELECTION_MANAGE``. Errors: ``INVALID_INPUT`` per field (all at once), ``CONFLICT`` for a
        known code or a ``clientKey`` reused with other input.
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        station_id, errors = await attempt(
            lambda: actions.do_create_polling_station(
                tenant,
                ctx.principal,
                input.raw(),
                retry=retry_key(info, "createPollingStation", client_key, {"input": input}),
            )
        )
        return await _station_payload(info, station_id, errors)

    @strawberry.mutation(
        description="Set how many officers and Linmas a level of TPS gets.",
        extensions=writes(Cap.ELECTION_PLAN),
    )
    async def set_deployment_rule(
        self,
        info: Info[Context, None],
        vulnerability: Vulnerability,
        max_tps_per_group: int,
        officers_per_group: int,
        linmas_per_tps: int,
    ) -> DeploymentRulePayload:
        """Set this command's rule for one vulnerability level: TPS per group (1-20), officers per
        group (1-20), Linmas per TPS (0-10); answers every effective rule. Needs
        ``ELECTION_PLAN``. ``INVALID_INPUT`` per out-of-range field, all at once.
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        rule = DeploymentRule(
            vulnerability.value, max_tps_per_group, officers_per_group, linmas_per_tps
        )
        _, errors = await attempt(
            lambda: actions.do_set_deployment_rule(tenant, ctx.principal, rule)
        )
        if errors:
            return DeploymentRulePayload(errors=errors)
        _, rules = await queries.plan_inputs(tenant.id)
        return DeploymentRulePayload(
            rules=[DeploymentRuleType.of(r) for r in effective_rules(rules).values()]
        )

    @strawberry.mutation(
        description="Name an officer of this command for a TPS.",
        extensions=writes(Cap.ELECTION_PLAN),
    )
    async def assign_station_officer(
        self, info: Info[Context, None], code: str, officer_id: strawberry.ID
    ) -> PollingStationPayload:
        """Name an officer of this command for the TPS ``code``; answers the station. Needs
        ``ELECTION_PLAN``. ``NOT_FOUND`` for an unknown TPS code or an id that is no officer
        here.
        """
        return await _assign(info, code, officer_id, assign=True)

    @strawberry.mutation(
        description="Take a named officer off a TPS.", extensions=writes(Cap.ELECTION_PLAN)
    )
    async def unassign_station_officer(
        self, info: Info[Context, None], code: str, officer_id: strawberry.ID
    ) -> PollingStationPayload:
        """Take a named officer off the TPS ``code``; answers the station. Needs ``ELECTION_PLAN``.
        ``NOT_FOUND`` for an unknown TPS code or an id that is no officer here.
        """
        return await _assign(info, code, officer_id, assign=False)


async def _assign(
    info: Info[Context, None], code: str, officer_id: strawberry.ID, *, assign: bool
) -> PollingStationPayload:
    ctx = info.context
    tenant = ctx.require_tenant()

    async def run() -> uuid.UUID:
        officer = parse_uuid(officer_id, "officerId", "no officer of this command has that id")
        return await actions.do_assign_station_officer(tenant, ctx.principal, code, officer, assign)

    station_id, errors = await attempt(run)
    return await _station_payload(info, station_id, errors)
