"""``reportEvents``: the live feed. Only this tenant's events reach the subscriber, and
each is re-read through the tenant transaction and the subscriber's own scope."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.permissions import requires
from jogo.graphql.reports.dataloaders import viewer_of
from jogo.graphql.reports.types import ReportEvent
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.revalidate import still_allowed
from jogo.platform.auth.roles import Cap
from jogo.platform.notify import HUB
from jogo.platform.registry import TenantInfo
from jogo.tenants.reports import queries
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.events import TOPIC
from jogo.tenants.reports.lifecycle import Status

RECHECK_SECONDS = 30.0


@strawberry.type(description="A timeline event as it happens, with its report's state.")
class ReportLiveEvent:
    report_id: strawberry.ID
    ticket: str
    status: Status
    urgent: bool
    event: ReportEvent


def visible(viewer: Viewer, row: dict[str, Any]) -> bool:
    if not row["public"] and not viewer.internal:
        return False
    if viewer.scope == "all":
        return True
    me = viewer.user_id
    if viewer.scope == "assigned":
        return me is not None and me in (row["assigned_officer_id"], row["reporter_user_id"])
    return me is not None and row["reporter_user_id"] == me


async def tenant_event_ids(
    tenant: TenantInfo, principal: Principal
) -> AsyncGenerator[tuple[uuid.UUID, Principal], None]:
    """This tenant's timeline events as they commit, each with the caller as re-checked at
    most ``RECHECK_SECONDS`` ago: an expired token, a revoked membership or a suspended
    tenant ends the feed (``still_allowed`` raises)."""
    checked = time.monotonic()
    async with HUB.subscribe(TOPIC, tenant.id) as queue:
        while True:
            try:
                event_id = uuid.UUID(await asyncio.wait_for(queue.get(), RECHECK_SECONDS))
            except TimeoutError:
                event_id = None
            if event_id is None or time.monotonic() - checked >= RECHECK_SECONDS:
                principal = await still_allowed(principal, tenant)
                checked = time.monotonic()
            if event_id is not None:
                yield event_id, principal


@strawberry.type
class ReportsSubscription:
    @strawberry.subscription(
        description="Events of the reports this caller may see: all for operators, assigned"
        " ones for officers, their own (public entries) for citizens.",
        permission_classes=[requires(Cap.TENANT_READ)],
    )
    async def report_events(
        self, info: Info[Context, None], urgent_only: bool = False
    ) -> AsyncGenerator[ReportLiveEvent, None]:
        tenant = info.context.require_tenant()
        viewer = viewer_of(info.context)
        async for event_id, principal in tenant_event_ids(tenant, viewer.principal):
            if principal is not viewer.principal:
                viewer = Viewer.of(principal, tenant.id)
            row = await queries.event_with_report(tenant.id, event_id)
            if row is None or not visible(viewer, row) or (urgent_only and not row["urgent"]):
                continue
            yield ReportLiveEvent(
                report_id=strawberry.ID(str(row["report_id"])),
                ticket=row["ticket"],
                status=Status(row["status"]),
                urgent=row["urgent"],
                event=ReportEvent.of(row, viewer.internal, viewer.user_id),
            )
