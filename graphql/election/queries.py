from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from functools import partial
from typing import Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.election.types import (
    BoardStation,
    DeploymentPlan,
    DeploymentRulePayload,
    DeploymentRuleType,
    ImportPollingStationsPayload,
    ImportRowError,
    PollingStation,
    PollingStationConnection,
    PollingStationEdge,
    PollingStationInput,
    PollingStationPayload,
    Vulnerability,
)
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.http import UploadedFile
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.limits import page_size
from jogo.graphql.permissions import requires, writes
from jogo.graphql.reports.subscriptions import LIVE_READS, tenant_event_ids
from jogo.graphql.reports.types import PageInfo
from jogo.platform.auth.principal import denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.platform.regions import district_name
from jogo.tenants.election import actions, queries
from jogo.tenants.election.plan import compute_plan, effective_rules
from jogo.tenants.election.vocab import DeploymentRule

STAFF = [requires(Cap.ELECTION_READ)]  # officers, operators, the KPU's key; not liaisons
PLAN = [requires(Cap.ELECTION_DEPLOYMENT)]  # the police deployment: police staff only
BOARD = [requires(Cap.ELECTION_BOARD)]  # operators; not officers, liaisons or any key


async def _stations(tenant_id: uuid.UUID, rows: list[dict[str, Any]]) -> list[PollingStation]:
    officers = await queries.station_officers(tenant_id, [r["id"] for r in rows])
    return [PollingStation.of(r, officers.get(r["id"])) for r in rows]


@strawberry.type
class ElectionQuery:
    @strawberry.field(description="Polling stations by code (staff).", permission_classes=STAFF)
    async def polling_stations(
        self,
        info: Info[Context, None],
        first: int = 50,
        after: str | None = None,
        district_code: str | None = None,
        vulnerability: Vulnerability | None = None,
    ) -> PollingStationConnection | None:
        page_size(first)
        tenant = info.context.require_tenant()
        rows = await queries.stations(
            tenant.id,
            district_code=district_code,
            vulnerability=vulnerability.value if vulnerability else None,
            first=first,
            after_code=after,
        )
        nodes = await _stations(tenant.id, rows[:first])
        return PollingStationConnection(
            edges=[PollingStationEdge(cursor=n.code, node=n) for n in nodes],
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                end_cursor=nodes[-1].code if nodes else None,
                start_cursor=nodes[0].code if nodes else None,
            ),
        )

    @strawberry.field(description="One polling station (staff).", permission_classes=STAFF)
    async def polling_station(self, info: Info[Context, None], code: str) -> PollingStation | None:
        tenant = info.context.require_tenant()
        row = await queries.station_by_code(tenant.id, code.strip())
        return (await _stations(tenant.id, [row]))[0] if row else None

    @strawberry.field(
        description="Officers and Linmas per kecamatan by the deployment rules, with totals"
        " (police staff).",
        permission_classes=PLAN,
    )
    async def deployment_plan(self, info: Info[Context, None]) -> DeploymentPlan | None:
        tenant = info.context.require_tenant()
        counts, rules = await queries.plan_inputs(tenant.id)
        names = {c.district_code: district_name(c.district_code) for c in counts}
        return DeploymentPlan.of(compute_plan(counts, rules, names))

    @strawberry.field(
        description="Every TPS with its state: NORMAL, INCIDENT or ESCALATED (operators).",
        permission_classes=BOARD,
    )
    async def election_board(
        self,
        info: Info[Context, None],
        district_code: str | None = None,
        incidents_only: bool = False,
    ) -> list[BoardStation] | None:
        tenant = info.context.require_tenant()
        rows = await queries.board(
            tenant.id, district_code=district_code, incidents_only=incidents_only
        )
        return [BoardStation.of(r) for r in rows]


async def _station_payload(
    info: Info[Context, None], station_id: uuid.UUID | None, errors: list[UserError]
) -> PollingStationPayload:
    if station_id is None:
        return PollingStationPayload(errors=errors)
    tenant = info.context.require_tenant()
    row = await queries.station_by_id(tenant.id, station_id)
    return PollingStationPayload(station=(await _stations(tenant.id, [row]))[0] if row else None)


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
        return await _assign(info, code, officer_id, assign=True)

    @strawberry.mutation(
        description="Take a named officer off a TPS.", extensions=writes(Cap.ELECTION_PLAN)
    )
    async def unassign_station_officer(
        self, info: Info[Context, None], code: str, officer_id: strawberry.ID
    ) -> PollingStationPayload:
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


@strawberry.type
class ElectionSubscription:
    @strawberry.subscription(
        description="The election-day board live: a TPS each time its incidents change"
        " (operators).",
        permission_classes=BOARD,
    )
    async def election_board(self, info: Info[Context, None]) -> AsyncGenerator[BoardStation, None]:
        tenant = info.context.require_tenant()
        events = tenant_event_ids(tenant, info.context.principal, info.context.caller)
        async for event_id, principal in events:
            if Cap.ELECTION_BOARD not in principal.tenant_caps(tenant.id):
                raise denied(principal, "the election board is for operators")
            rows = await LIVE_READS.get(
                ("board", tenant.id, event_id), partial(_board_of_event, tenant.id, event_id)
            )
            for row in rows:
                yield BoardStation.of(row)


async def _board_of_event(tenant_id: uuid.UUID, event_id: uuid.UUID) -> list[dict[str, Any]]:
    """The board line of the TPS an event's report is at (none for a report at no TPS);
    read once per event for every subscriber (``LIVE_READS``)."""
    station_id = await queries.station_of_event(tenant_id, event_id)
    if station_id is None:
        return []
    return await queries.board(tenant_id, station_id=station_id)
