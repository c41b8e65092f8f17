"""Dispatch lists: ``agencyInbox`` (a liaison's agencies), ``allDispatches`` (operators,
across reports) and ``dispatch(id)``; and ``Dispatch.report``, the report as an agency
sees it (:class:`DispatchedReport`: public content, location and photos, never who
reported). Every relation of a page is one DataLoader batch, so a page of 100 costs the
statements a page of 1 does."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from jogo.graphql.agencies.types import Dispatch
from jogo.graphql.context import Context
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import requires
from jogo.graphql.reports import Status
from jogo.graphql.reports.types import Attachment, Category, PageInfo, ReportEvent
from jogo.graphql.scalars import in_zone_or_none
from jogo.platform.auth.roles import Cap
from jogo.tenants.agencies import inbox
from jogo.tenants.reports import queries as report_queries


@strawberry.enum(
    description="A dispatch's status, for filters. FAILED: an attempt failed and another"
    " is scheduled (status PENDING with a lastError); PENDING matches those too."
)
class DispatchState(Enum):
    PENDING = "PENDING"
    FAILED = "FAILED"
    DELIVERING = "DELIVERING"
    DELIVERED = "DELIVERED"
    AWAITING_LIAISON = "AWAITING_LIAISON"
    ACCEPTED = "ACCEPTED"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    RETURNED = "RETURNED"
    DEAD = "DEAD"


@strawberry.input(description="Every field narrows the list; all are optional.")
class DispatchFilter:
    status: list[DispatchState] | None = None
    agency_id: strawberry.ID | None = None
    report_id: strawberry.ID | None = None
    since: datetime | None = strawberry.field(
        default=None,
        description="Created or changed at or after this moment (without an offset: the"
        " command's time zone; a date alone: from the start of that day).",
    )


def _filter(f: DispatchFilter | None, time_zone: str) -> inbox.DispatchFilter:
    if f is None:
        return inbox.DispatchFilter()
    return inbox.DispatchFilter(
        states=[s.value for s in f.status] if f.status else None,
        agency_id=parse_uuid(f.agency_id, "agencyId") if f.agency_id else None,
        report_id=parse_uuid(f.report_id, "reportId") if f.report_id else None,
        since=in_zone_or_none(f.since, time_zone),
    )


def _loader(fetch: Callable[[list[Any]], Awaitable[dict[Any, Any]]], empty: Any = None) -> Any:
    async def batch(keys: Sequence[Any]) -> list[Any]:
        found = await fetch(list(dict.fromkeys(keys)))
        return [found.get(k, empty() if callable(empty) else empty) for k in keys]

    return DataLoader(load_fn=batch)


@dataclass
class AgencyViewLoaders:
    report: DataLoader[uuid.UUID, dict[str, Any] | None]
    category: DataLoader[uuid.UUID, dict[str, Any]]
    timeline: DataLoader[uuid.UUID, list[dict[str, Any]]]
    attachments: DataLoader[uuid.UUID, list[dict[str, Any]]]


def agency_view_loaders(context: Context) -> AgencyViewLoaders:
    """This request's loaders for reports as an agency sees them (made once, kept in
    ``context.loaders``): masked reports, categories, masked public timelines and photos, each
    one batched statement in the request's tenant.
    """
    existing = context.loaders.get("agency_view")
    if isinstance(existing, AgencyViewLoaders):
        return existing
    tid = context.require_tenant().id
    made = AgencyViewLoaders(
        report=_loader(lambda ids: inbox.reports_for_agencies(tid, ids)),
        category=_loader(lambda ids: report_queries.categories_by_id(tid, ids)),
        # The public timeline only, whoever asks, with every note masked.
        timeline=_loader(lambda ids: inbox.timelines_for_agencies(tid, ids), list),
        attachments=_loader(lambda ids: report_queries.attachments_by_report(tid, ids), list),
    )
    context.loaders["agency_view"] = made
    return made


@strawberry.type(
    description="A report as an agency sees it: what happened, where, the photos and the"
    " public timeline. Never who reported (no name, phone, address or account); names,"
    " phone numbers, e-mail and street addresses in the text are masked."
)
class DispatchedReport:
    id: strawberry.ID
    ticket: str
    title: str
    description: str
    latitude: float
    longitude: float
    occurred_at: datetime
    urgent: bool
    status: Status
    created_at: datetime
    updated_at: datetime
    category_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def category(self, info: Info[Context, None]) -> Category:
        """The report's category (see :class:`Category`), batched per request."""
        return Category.of(await agency_view_loaders(info.context).category.load(self.category_id))

    @strawberry.field(
        description="The public entries, oldest first, with names, phone numbers, e-mail"
        " and street addresses in their notes masked."
    )
    async def timeline(self, info: Info[Context, None]) -> list[ReportEvent]:
        """The report's public timeline entries, oldest first, with the reporter's name, phone,
        e-mail and address masked in every note; the caller's own entries carry their name.
        """
        rows = await agency_view_loaders(info.context).timeline.load(uuid.UUID(self.id))
        viewer = info.context.principal
        me = viewer.id if viewer.kind == "user" else None
        return [ReportEvent.of(r, False, me) for r in rows]

    @strawberry.field(
        description="Photos; GET each url with the same Authorization header (a liaison"
        " may fetch the photos of reports dispatched to its agencies only)."
    )
    async def attachments(self, info: Info[Context, None]) -> list[Attachment]:
        """The report's photos, oldest first, with download path ``/t/{slug}/attachments/{id}``,
        size in bytes and SHA-256.
        """
        slug = info.context.require_tenant().slug
        rows = await agency_view_loaders(info.context).attachments.load(uuid.UUID(self.id))
        return [
            Attachment(
                id=strawberry.ID(str(a["id"])),
                content_type=a["content_type"],
                size_bytes=a["size_bytes"],
                sha256=a["sha256"],
                url=f"/t/{slug}/attachments/{a['id']}",
                created_at=a["created_at"],
            )
            for a in rows
        ]

    @classmethod
    def of(cls, row: dict[str, Any]) -> DispatchedReport:
        """A report as an agency sees it, from a row of ``inbox.reports_for_agencies``: content
        (reporter details masked), location, status and times; never who reported.
        """
        return cls(
            id=strawberry.ID(str(row["id"])),
            ticket=row["ticket"],
            title=row["title"],
            description=row["description"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            occurred_at=row["occurred_at"],
            urgent=row["urgent"],
            status=Status(row["status"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            category_id=row["category_id"],
        )


async def dispatched_report(info: Info[Context, None], report_id: uuid.UUID) -> DispatchedReport:
    """The report behind a dispatch the caller already sees, as an agency sees it (batched).
    The row always exists: a dispatch's report is a foreign key.
    """
    row = await agency_view_loaders(info.context).report.load(report_id)
    assert row is not None, "a dispatch's report exists (foreign key)"
    return DispatchedReport.of(row)


@strawberry.type
class DispatchEdge:
    cursor: str
    node: Dispatch


@strawberry.type(description="A page of dispatches: open ones first, then oldest first.")
class DispatchConnection:
    edges: list[DispatchEdge]
    page_info: PageInfo
    tenant_id: strawberry.Private[uuid.UUID]
    where: strawberry.Private[tuple[str, list[Any]]]

    @strawberry.field(description="Dispatches matching the filter (one extra count query).")
    async def total_count(self) -> int:
        """How many dispatches match the filter and the caller's scope, ignoring paging (one
        ``count(*)``).
        """
        return await inbox.count_dispatches(self.tenant_id, self.where)


async def _page(
    info: Info[Context, None],
    scope: inbox.DispatchScope,
    first: int,
    after: str | None,
    filter: DispatchFilter | None,
) -> DispatchConnection:
    tenant = info.context.require_tenant()
    page = await inbox.list_dispatches(
        tenant.id, scope, _filter(filter, tenant.time_zone), first, after
    )
    return DispatchConnection(
        edges=[DispatchEdge(cursor=inbox.cursor_of(r), node=Dispatch.of(r)) for r in page.rows],
        page_info=PageInfo(
            has_next_page=page.has_next,
            end_cursor=page.end_cursor,
            start_cursor=page.start_cursor,
        ),
        tenant_id=tenant.id,
        where=page.where,
    )


def _scope(context: Context) -> inbox.DispatchScope:
    """Operators see every dispatch; anyone else (a liaison) their agencies' only."""
    principal = context.principal
    tenant = context.require_tenant()
    if Cap.REPORTS_TRIAGE in principal.tenant_caps(tenant.id):
        return inbox.DispatchScope(liaison=None)
    return inbox.DispatchScope(
        liaison=principal.id if principal.kind == "user" else uuid.UUID(int=0)
    )


@strawberry.type
class InboxQuery:
    @strawberry.field(
        description="Agency liaisons: the dispatches to the agencies they speak for, open"
        f" ones first, then oldest first; first ≤ {inbox.MAX_PAGE}. Each carries its"
        " report as the agency sees it (Dispatch.report); answer with updateDispatchStatus.",
        permission_classes=[requires(Cap.DISPATCH_UPDATE)],
    )
    async def agency_inbox(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
        filter: DispatchFilter | None = None,
    ) -> DispatchConnection | None:
        """A keyset-paged page of the dispatches to the agencies the caller is liaison for, open
        ones first, then oldest first. Needs ``DISPATCH_UPDATE``; an API key sees none.
        ``INVALID_INPUT`` for ``first`` outside 1-100 or a cursor this API did not give out.
        """
        principal = info.context.principal
        own = principal.id if principal.kind == "user" else uuid.UUID(int=0)
        return await _page(info, inbox.DispatchScope(liaison=own), first, after, filter)

    @strawberry.field(
        description="Operators: dispatches across reports, open ones first, then oldest"
        f" first; first ≤ {inbox.MAX_PAGE}. Filter by status (FAILED and DEAD find the"
        " deliveries in trouble; requeue a DEAD one with retryDispatch), agency, report,"
        " and since.",
        permission_classes=[requires(Cap.REPORTS_TRIAGE)],
    )
    async def all_dispatches(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
        filter: DispatchFilter | None = None,
    ) -> DispatchConnection | None:
        """A keyset-paged page of every dispatch of the tenant, open ones first, then oldest first,
        filtered by status, agency, report and ``since`` (the tenant's time zone when no offset).
        Needs ``REPORTS_TRIAGE``. ``INVALID_INPUT`` for ``first`` outside 1-100 or a bad cursor.
        """
        return await _page(info, inbox.DispatchScope(liaison=None), first, after, filter)

    @strawberry.field(
        description="One dispatch: operators any, a liaison only its agencies' (any other"
        " is NOT_FOUND, like another command's).",
        permission_classes=[requires(Cap.DISPATCH_UPDATE)],
    )
    async def dispatch(self, info: Info[Context, None], id: strawberry.ID) -> Dispatch | None:
        """One dispatch with its delivery state and answer. Needs ``DISPATCH_UPDATE``; operators
        (``REPORTS_TRIAGE``) see any, a liaison only its agencies'. Any other id, or a malformed
        one, is ``NOT_FOUND``.
        """
        tenant = info.context.require_tenant()
        row = await inbox.visible_dispatch(
            tenant.id, _scope(info.context), parse_uuid(id, "id", "dispatch not found")
        )
        return Dispatch.of(row)
