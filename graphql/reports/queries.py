from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from jogo.graphql.compiled import planned_type
from jogo.graphql.context import Context
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import requires
from jogo.graphql.reports.dataloaders import viewer_of
from jogo.graphql.reports.inputs import ReportFilterInput, ReportOrderInput
from jogo.graphql.reports.plan import plan_connection, plan_report
from jogo.graphql.reports.types import (
    Category,
    PageInfo,
    Report,
    ReportEdge,
    ReportEvent,
    TrackedReport,
)
from jogo.graphql.scalars import in_zone_or_none
from jogo.platform.auth.roles import Cap
from jogo.platform.db import read_tx
from jogo.platform.errors import InvalidInput, NotFound
from jogo.tenants.reports import planned, queries, queue
from jogo.tenants.reports.lifecycle import Status
from jogo.tenants.reports.queries import MAX_PAGE, ReportFilter, list_categories
from jogo.tenants.reports.tracking import track

SIGNED_IN = [requires(Cap.TENANT_READ)]


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    """A report ID as a UUID; a malformed one is ``NOT_FOUND`` ("report not found") at ``field``."""
    return parse_uuid(value, field, "report not found")


def to_filter(f: ReportFilterInput | None, time_zone: str) -> ReportFilter:
    """The domain filter; dates and zone-less times are read in ``time_zone`` (the
    tenant's WIB/WITA/WIT), a date alone in ``createdTo`` up to the end of that day."""
    if f is None:
        return ReportFilter()
    return ReportFilter(
        statuses=[s.value for s in f.statuses] if f.statuses else None,
        category_codes=f.category_codes,
        created_from=in_zone_or_none(f.created_from, time_zone),
        created_to=in_zone_or_none(f.created_to, time_zone, end=True),
        bbox=(f.bbox.south, f.bbox.west, f.bbox.north, f.bbox.east) if f.bbox else None,
        urgent=f.urgent,
        text=f.text,
        breached=f.sla_breached,
        outside_jurisdiction=f.outside_jurisdiction,
    )


@planned_type
@strawberry.type
class ReportConnection:
    edges: list[ReportEdge]
    page_info: PageInfo
    tenant_id: strawberry.Private[uuid.UUID]
    where: strawberry.Private[tuple[str, list[Any]]]
    total: strawberry.Private[int | None] = None

    @strawberry.field(
        description="Reports matching the filter (counted in the same statement as the page).",
        graphql_type=int,
    )
    def total_count(self) -> Any:
        """How many reports match the connection's filter and the caller's read scope, ignoring
        paging: planned with the page, else one ``count(*)`` in the tenant.
        """
        if self.total is not None:
            return self.total
        return queries.count_reports(self.tenant_id, self.where)


@strawberry.type
class QueueEdge:
    cursor: str
    node: Report
    distance_meters: float | None = strawberry.field(
        description="From the location given to myQueue, in metres; null without one."
    )


@strawberry.type
class QueueConnection:
    edges: list[QueueEdge]
    page_info: PageInfo


def _offset_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"q:{position}".encode()).decode()


def _after_offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode() if len(cursor) <= 40 else ""
        if raw.startswith("q:") and raw[2:].isdigit() and int(raw[2:]) <= 100_000:
            return int(raw[2:])
    except (binascii.Error, ValueError):
        pass
    raise InvalidInput("the cursor is not one this API gave out", field="after")


@strawberry.type
class ReportsQuery:
    @strawberry.field(description="Active report categories (public: citizens pick one).")
    async def categories(self, info: Info[Context, None]) -> list[Category]:
        """The tenant's active categories with their service levels (see :class:`Category`). Public:
        anyone, signed in or not, may read them.
        """
        async with read_tx(info.context.require_tenant().id):
            rows = await list_categories()
        return [Category.of(r) for r in rows]

    @strawberry.field(
        description=f"Reports this caller may see, newest first; first ≤ {MAX_PAGE}.",
        permission_classes=SIGNED_IN,
    )
    async def reports(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
        filter: ReportFilterInput | None = None,
        order_by: ReportOrderInput | None = None,
    ) -> ReportConnection | None:
        """A keyset-paged page of the reports the caller may read (all, assigned or own, by
        capability), sorted by ``orderBy`` (default newest first) with the id as tie-break.

        Needs ``TENANT_READ``. Dates in the filter are read in the tenant's time zone.
        ``INVALID_INPUT`` for ``first`` outside 1-100, a cursor this API did not give out, or a bad
        filter (e.g. search text over 200 characters).
        """
        tenant = info.context.require_tenant()
        order = order_by or ReportOrderInput()
        page = await planned.list_planned(
            tenant.id,
            viewer_of(info.context),
            to_filter(filter, tenant.time_zone),
            plan_connection(info),
            sort=order.field.value,
            descending=order.direction.value == "DESC",
            first=first,
            after=after,
        )
        edges = [
            ReportEdge(cursor=queries.encode_cursor(order.field.value, r), node=Report.of(r))
            for r in page.rows
        ]
        return ReportConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                end_cursor=page.end_cursor,
                start_cursor=page.start_cursor,
            ),
            tenant_id=tenant.id,
            where=page.where,
            total=page.total,
        )

    @strawberry.field(
        description="An officer's own queue: open reports assigned to the caller or to an"
        " active unit they are a member of. Nearest first when latitude and longitude (the"
        " caller's position) are given, else by the running deadline (verification, else"
        f" follow-up). first ≤ {MAX_PAGE}. Empty for API keys.",
        permission_classes=[requires(Cap.REPORTS_READ_ASSIGNED)],
    )
    async def my_queue(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> QueueConnection | None:
        """The caller's open assigned reports (theirs or their active units'), offset-paged. Nearest
        first with ``distanceMeters`` (metres) when a position is given, else by the running
        deadline (verification, else follow-up), then oldest first.

        Needs ``REPORTS_READ_ASSIGNED``; empty for API keys. ``INVALID_INPUT`` for ``first``
        outside 1-100, a foreign cursor, only one of latitude/longitude, or a point outside
        Indonesia.
        """
        tenant = info.context.require_tenant()
        user_id = viewer_of(info.context).user_id
        offset = _after_offset(after)
        rows: list[dict[str, Any]] = []
        has_next = False
        if user_id is not None:
            rows, has_next = await queue.my_queue(
                tenant.id,
                user_id,
                latitude=latitude,
                longitude=longitude,
                first=first,
                offset=offset,
            )
        edges = [
            QueueEdge(
                cursor=_offset_cursor(offset + i + 1),
                node=Report.of(r),
                distance_meters=r.get("distance_m"),
            )
            for i, r in enumerate(rows)
        ]
        return QueueConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=has_next,
                end_cursor=edges[-1].cursor if edges else None,
                start_cursor=edges[0].cursor if edges else None,
            ),
        )

    @strawberry.field(
        description="One report, if this caller may see it.", permission_classes=SIGNED_IN
    )
    async def report(self, info: Info[Context, None], id: strawberry.ID) -> Report | None:
        """One report, or null when it does not exist, is another tenant's, the ID is malformed, or
        it lies outside the caller's read scope (the cases look the same). Needs ``TENANT_READ``.
        """
        tenant = info.context.require_tenant()
        try:
            row = await planned.get_planned(
                tenant.id, viewer_of(info.context), parse_id(id), plan_report(info)
            )
        except NotFound:
            return None
        return Report.of(row)

    @strawberry.field(
        description="Follow an anonymous report. A wrong PIN answers null, "
        "exactly like an unknown ticket. A report this command transferred is followed to "
        "the command handling it now (commandSlug, commandName)."
    )
    async def track_report(
        self, info: Info[Context, None], ticket: str, pin: str
    ) -> TrackedReport | None:
        """An anonymous reporter's view of a report by ticket and PIN: status, category code and the
        public timeline. Public (no sign-in).

        A wrong PIN and an unknown ticket both answer null. A transferred report is looked up in
        the command that holds it now (null if that command is suspended). Rate-limited
        (``RATE_LIMITED``): 30 tries a minute per caller address and 10 a minute per ticket.
        """
        found = await track(
            info.context.require_tenant(),
            info.context.client,
            ticket,
            pin,
            info.context.settings.secret_key,
        )
        if found is None:
            return None
        row = found.report
        return TrackedReport(
            command_slug=found.home.slug,
            command_name=found.home.name,
            ticket=row["ticket"],
            title=row["title"],
            status=Status(row["status"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            category_code=found.category["code"],
            timeline=[ReportEvent.of(e, False, None) for e in found.timeline],
        )
