from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from functools import partial
from typing import Any, cast

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.election.types import (
    BoardStation,
    DeploymentPlan,
    PollingStation,
    PollingStationConnection,
    PollingStationEdge,
    Vulnerability,
)
from jogo.graphql.limits import page_size
from jogo.graphql.live import LiveEvent
from jogo.graphql.permissions import requires
from jogo.graphql.reports.subscriptions import LIVE_READS, tenant_event_ids
from jogo.graphql.reports.types import PageInfo
from jogo.platform.auth.principal import denied
from jogo.platform.auth.roles import Cap
from jogo.platform.regions import district_name
from jogo.tenants.election import queries
from jogo.tenants.election.plan import compute_plan

STAFF = [requires(Cap.ELECTION_READ)]  # officers, operators, the KPU's key; not liaisons
PLAN = [requires(Cap.ELECTION_DEPLOYMENT)]  # the police deployment: police staff only
BOARD = [requires(Cap.ELECTION_BOARD)]  # operators; not officers, liaisons or any key


async def stations_of(tenant_id: uuid.UUID, rows: list[dict[str, Any]]) -> list[PollingStation]:
    """Inside the tenant's transaction: ``rows`` (polling_stations rows) as GraphQL
    stations with their assigned officers, one statement for all of them."""
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
        """A page of polling stations ordered by code (the cursor is the last code), optionally in
        one kecamatan (``districtCode``) or one vulnerability level. Needs ``ELECTION_READ``
        (officers, operators, the KPU's key). ``INVALID_INPUT`` for ``first`` outside 1-100.
        """
        page_size(first)
        tenant = info.context.require_tenant()
        rows = await queries.stations(
            tenant.id,
            district_code=district_code,
            vulnerability=vulnerability.value if vulnerability else None,
            first=first,
            after_code=after,
        )
        nodes = await stations_of(tenant.id, rows[:first])
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
        """One TPS by its 13-digit code, with its named officers; null when unknown. Needs
        ``ELECTION_READ``.
        """
        tenant = info.context.require_tenant()
        row = await queries.station_by_code(tenant.id, code.strip())
        return (await stations_of(tenant.id, [row]))[0] if row else None

    @strawberry.field(
        description="Officers and Linmas per kecamatan by the deployment rules, with totals"
        " (police staff).",
        permission_classes=PLAN,
    )
    async def deployment_plan(self, info: Info[Context, None]) -> DeploymentPlan | None:
        """Officers and Linmas needed per kecamatan and vulnerability level under the effective
        deployment rules, with named officers and the shortfall, and totals. Needs
        ``ELECTION_DEPLOYMENT`` (police staff).
        """
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
        """Every TPS by code with its incident counts and state: NORMAL, INCIDENT (an open incident)
        or ESCALATED (an urgent or overdue one, or 3 or more open); optionally one kecamatan, or
        only TPS with open incidents. Needs ``ELECTION_BOARD`` (operators).
        """
        tenant = info.context.require_tenant()
        rows = await queries.board(
            tenant.id, district_code=district_code, incidents_only=incidents_only
        )
        return [BoardStation.of(r) for r in rows]


@strawberry.type
class ElectionSubscription:
    @strawberry.subscription(
        description="The election-day board live: a TPS each time its incidents change"
        " (operators).",
        permission_classes=BOARD,
    )
    async def election_board(self, info: Info[Context, None]) -> AsyncGenerator[BoardStation, None]:
        """The board live: a TPS's line each time an event touches a report at it. Needs
        ``ELECTION_BOARD``; re-checked with the caller (at least every 30 s), and a caller who
        lost it gets ``FORBIDDEN``, ending the feed.
        """
        tenant = info.context.require_tenant()
        events = tenant_event_ids(
            tenant, info.context.principal, info.context.caller, prefetch=prefetch_board
        )
        async for event_id, principal in events:
            if Cap.ELECTION_BOARD not in principal.tenant_caps(tenant.id):
                raise denied(principal, "the election board is for operators")
            rows = await LIVE_READS.get(
                ("board", tenant.id, event_id), partial(_board_of_event, tenant.id, event_id)
            )
            for n, row in enumerate(rows):
                # A board line reads nothing of the caller: one view for every operator.
                line = LiveEvent(tenant.id, ("board", event_id, n), partial(BoardStation.of, row))
                yield cast(BoardStation, line)


async def prefetch_board(tenant_id: uuid.UUID, ref: str) -> None:
    """The hub's prefetch for board feeds: the event's board line, read once before any
    subscriber wakes."""
    event_id = uuid.UUID(ref)
    read = partial(_board_of_event, tenant_id, event_id)
    await LIVE_READS.get(("board", tenant_id, event_id), read)


async def _board_of_event(tenant_id: uuid.UUID, event_id: uuid.UUID) -> list[dict[str, Any]]:
    """The board line of the TPS an event's report is at (none for a report at no TPS);
    read once per event for every subscriber (``LIVE_READS``)."""
    station_id = await queries.station_of_event(tenant_id, event_id)
    if station_id is None:
        return []
    return await queries.board(tenant_id, station_id=station_id)
