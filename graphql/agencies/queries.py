from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.agencies.types import Agency, Dispatch
from jogo.graphql.context import Context
from jogo.graphql.permissions import requires
from jogo.graphql.reports.queries import parse_id
from jogo.platform.auth.roles import Cap
from jogo.platform.db import read_tx
from jogo.tenants.agencies.dispatches import dispatches_for_report
from jogo.tenants.agencies.queries import list_agencies


@strawberry.type
class AgenciesQuery:
    @strawberry.field(
        description="The agency directory: active agencies; includeInactive (tenant admins"
        " only, ignored for others) adds the deactivated ones.",
        permission_classes=[requires(Cap.DIRECTORY_READ)],
    )
    async def agencies(
        self, info: Info[Context, None], kind: str | None = None, include_inactive: bool = False
    ) -> list[Agency] | None:
        """The agency directory, by kind and name, optionally only one ``kind``. Deactivated
        entries are added with ``includeInactive`` for ``DIRECTORY_WRITE`` holders only (ignored
        for others). Needs ``DIRECTORY_READ``.
        """
        tenant = info.context.require_tenant()
        admin = Cap.DIRECTORY_WRITE in info.context.principal.tenant_caps(tenant.id)
        async with read_tx(tenant.id):
            rows = await list_agencies(kind, include_inactive and admin)
        return [Agency.of(r) for r in rows]

    @strawberry.field(
        description="Deliveries of one report to agencies, with attempts, last error and"
        " next attempt.",
        permission_classes=[requires(Cap.DISPATCH_UPDATE)],
    )
    async def dispatches(
        self, info: Info[Context, None], report_id: strawberry.ID
    ) -> list[Dispatch] | None:
        """One report's deliveries to agencies, oldest first, with attempts, last error and next
        attempt. Needs ``DISPATCH_UPDATE``: operators see all, a liaison only its agencies'.
        A malformed report ID is ``NOT_FOUND``; an unknown one gives an empty list.
        """
        tenant = info.context.require_tenant()
        principal = info.context.principal
        # Operators see every dispatch; a liaison only those to the agencies they speak for.
        liaison = None if Cap.REPORTS_TRIAGE in principal.tenant_caps(tenant.id) else principal.id
        rows = await dispatches_for_report(tenant.id, parse_id(report_id, "reportId"), liaison)
        return [Dispatch.of(r) for r in rows]
