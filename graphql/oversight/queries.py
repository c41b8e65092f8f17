"""National oversight (``/national/graphql``). Every call writes an audit row: who, with
which role, what filter, and how many tenants it touched. A polda_supervisor sees only
its own Polda's tenants; the drill-down is redacted for every role."""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import strawberry
from strawberry.types import Info

from jogo.graphql.audit.national import audited_tenant
from jogo.graphql.audit.types import AuditLogFilter
from jogo.graphql.breaches.queries import breach_oversight
from jogo.graphql.breaches.types import BreachOversight
from jogo.graphql.context import Context
from jogo.graphql.core.queries import me_global
from jogo.graphql.core.types import Me, TenantType
from jogo.graphql.limits import page_size
from jogo.graphql.oversight.types import (
    AuditConnection,
    AuditEntry,
    ElectionGroup,
    ElectionSummaryType,
    HeatCell,
    NationalFilter,
    NationalReport,
    NationalReportConnection,
    NationalReportEdge,
    Summary,
    TenantSummary,
)
from jogo.graphql.permissions import requires
from jogo.graphql.reports import Status
from jogo.platform.audit import write_audit
from jogo.platform.audit_read import AuditFilter, tenant_audit_page
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.platform.registry import TenantInfo
from jogo.tenants.oversight import queries
from jogo.tenants.oversight.access import visible_tenants
from jogo.tenants.oversight.election import election_summary
from jogo.tenants.reports.queries import cursor_of, decode_cursor

READ = [requires(Cap.NATIONAL_READ)]
MAX_DAYS = 366
AUDIT_ID = re.compile(r"[1-9][0-9]{0,17}")  # below 2**63
# "Today" as the easternmost tenants (WIT, UTC+9) see it, so no one's today is cut off.
WIT = timedelta(hours=9)


async def _scope(
    info: Info[Context, None], name: str, f: NationalFilter | None, per_tenant: bool = False
) -> tuple[list[TenantInfo], queries.Filter]:
    """The tenants this caller may see under the filter, and the audit row for the call."""
    return await national_scope(info.context.principal, name, f, per_tenant)


async def national_scope(
    principal: Principal, name: str, f: NationalFilter | None, per_tenant: bool = False
) -> tuple[list[TenantInfo], queries.Filter]:
    """The tenants ``principal`` may see under ``f`` (:func:`visible_tenants`) and the
    rollup filter over them (per tenant with ``per_tenant`` or a tenant filter, else per
    Polda), after writing the ``national.<name>`` audit row. Days default to the 30 up to
    today (WIT). ``INVALID_INPUT`` on ``dateFrom`` when it is after ``dateTo`` or the span
    exceeds :data:`MAX_DAYS`; ``FORBIDDEN`` without a national or Polda role."""
    f = f or NationalFilter()
    today = (datetime.now(UTC) + WIT).date()
    day_to = f.date_to or today
    day_from = f.date_from or day_to - timedelta(days=29)
    if day_from > day_to:
        raise InvalidInput("dateFrom is after dateTo", field="dateFrom")
    if (day_to - day_from).days >= MAX_DAYS:
        raise InvalidInput(f"a filter spans at most {MAX_DAYS} days", field="dateFrom")
    tenants = await visible_tenants(principal, f.polda_code, f.tenant_slug)
    # A tenant filter (or a per-tenant view) reads the tenants' own rollups; otherwise
    # whole Polda, which is what every visible set of tenants then is.
    scopes = (
        [f"tenant:{t.id}" for t in tenants]
        if f.tenant_slug or per_tenant
        else sorted({f"polda:{t.polda_code}" for t in tenants})
    )
    scoped = queries.Filter(
        scopes=scopes,
        tenants=[t.id for t in tenants],
        day_from=day_from,
        day_to=day_to,
        category=f.category_code.strip().upper() if f.category_code else None,
        status=f.status.value if f.status else None,
    )
    role = principal.national_role
    await write_audit(
        f"national.{name}",
        principal=principal,
        role=role.value if role else None,
        detail={
            "filter": {
                k: (v.isoformat() if isinstance(v, date) else v)
                for k, v in asdict(scoped).items()
                if k not in ("tenants", "scopes")
            }
            | {"poldaCode": f.polda_code, "tenantSlug": f.tenant_slug},
            "tenants": len(tenants),
            "tenant_ids": [str(t.id) for t in tenants],
        },
    )
    return tenants, scoped


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    return decode_cursor(cursor) if cursor else None


@strawberry.type
class OversightQuery:
    @strawberry.field(description="The caller.")
    def me(self, info: Info[Context, None]) -> Me:
        """The caller on the national schema (see :func:`me_global`); anyone may ask."""
        return me_global(info.context)

    @strawberry.field(
        description="Tenants visible to the caller, with status and modules.",
        permission_classes=READ,
    )
    async def tenants(
        self, info: Info[Context, None], polda_code: str | None = None
    ) -> list[TenantType] | None:
        """The tenants the caller may see, by slug (a Polda role: its own Polda's only), optionally
        one Polda's. Needs ``NATIONAL_READ``; every call writes an audit row.
        """
        tenants, _ = await _scope(info, "tenants", NationalFilter(polda_code=polda_code))
        return [TenantType.of(t) for t in tenants]

    @strawberry.field(
        description="UU PDP breach registers across the visible commands: counts per command"
        " and each clock (found, due, notified, escalation level, category codes, estimated"
        " people); no incident text and no person. Incidents found in the filter's days"
        " (default the last 30) plus every clock still running.",
        permission_classes=READ,
    )
    async def breach_oversight(
        self, info: Info[Context, None], filter: NationalFilter | None = None
    ) -> BreachOversight | None:
        """Needs ``NATIONAL_READ``; audited ``national.breachOversight``
        (:func:`jogo.graphql.breaches.queries.breach_oversight`)."""
        return await breach_oversight(info.context.principal, filter)

    @strawberry.field(
        description="Totals across the visible tenants, from the rollups.", permission_classes=READ
    )
    async def summary(
        self, info: Info[Context, None], filter: NationalFilter | None = None
    ) -> Summary | None:
        """Totals over the visible tenants from the rollups (``tenants.oversight``): reports,
        urgent, SLA breaches and rate (0-1), by status and category, time to verify, dispatch
        and resolve (median and p90, in seconds), and per day.

        Needs ``NATIONAL_READ``; audited. Filter days default to the 30 days up to today (WIT);
        ``INVALID_INPUT`` when ``dateFrom`` is after ``dateTo`` or the span exceeds 366 days.
        """
        tenants, scoped = await _scope(info, "summary", filter)
        return Summary.of(await queries.summary(scoped), len(tenants))

    @strawberry.field(
        description="The same figures per tenant: every active tenant the caller may see,"
        " with zeros where nothing was reported.",
        permission_classes=READ,
    )
    async def by_tenant(
        self, info: Info[Context, None], filter: NationalFilter | None = None
    ) -> list[TenantSummary] | None:
        """The same figures per visible tenant, from each tenant's own rollups: every active tenant
        (zeros where nothing was reported), a suspended one only when it has reports. Needs
        ``NATIONAL_READ``; audited. ``INVALID_INPUT`` for a bad date range.
        """
        tenants, scoped = await _scope(info, "byTenant", filter, per_tenant=True)
        return [
            TenantSummary(tenant=TenantType.of(t), summary=Summary.of(totals, 1))
            for t, totals in await queries.by_tenant(scoped, tenants)
        ]

    @strawberry.field(
        description="Polling stations and election incidents by Polda, tenant and"
        " vulnerability (tenants with the election module), from the rollups.",
        permission_classes=READ,
    )
    async def election_summary(
        self, info: Info[Context, None], filter: NationalFilter | None = None
    ) -> ElectionSummaryType | None:
        """Polling stations, voters and election incidents (open, urgent) in total, by Polda and by
        tenant, each by vulnerability level, from the rollups of visible tenants with the
        election module. Needs ``NATIONAL_READ``; audited. ``INVALID_INPUT`` for a bad date
        range.
        """
        tenants, scoped = await _scope(info, "electionSummary", filter, per_tenant=True)
        summary = await election_summary(scoped, tenants)
        return ElectionSummaryType(
            total=ElectionGroup.of(summary.total),
            by_polda=[ElectionGroup.of(g) for g in summary.by_polda],
            by_tenant=[ElectionGroup.of(g) for g in summary.by_tenant],
        )

    @strawberry.field(
        description="Reports per ~1 km grid cell, the 5,000 busiest cells at most.",
        permission_classes=READ,
    )
    async def heatmap(
        self, info: Info[Context, None], filter: NationalFilter | None = None
    ) -> list[HeatCell] | None:
        """Reports per grid cell of 0.01° (about 1.1 km): cell centre and count, busiest first, at
        most 5000 cells. Needs ``NATIONAL_READ``; audited. ``INVALID_INPUT`` for a bad date
        range.
        """
        _, scoped = await _scope(info, "heatmap", filter)
        return [
            HeatCell(latitude=lat, longitude=lon, count=n)
            for lat, lon, n in await queries.heatmap(scoped)
        ]

    @strawberry.field(
        description="Reports across tenants, newest first, redacted.", permission_classes=READ
    )
    async def reports(
        self,
        info: Info[Context, None],
        filter: NationalFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> NationalReportConnection | None:
        """A keyset-paged drill-down into reports across the visible tenants, newest first, through
        the redacting ``oversight_reports`` function: personal data masked in title and
        description (the reporter's name, address and phone, e-mails, phone numbers, runs of 8+
        digits), never who reported. Needs
        ``NATIONAL_READ``; audited. ``INVALID_INPUT`` for ``first`` outside 1-100, a bad cursor
        or date range.
        """
        page_size(first)
        tenants, scoped = await _scope(info, "reports", filter)
        slugs = {t.id: t.slug for t in tenants}
        rows = await queries.reports(scoped, first, _after(after))
        edges = [
            NationalReportEdge(
                cursor=cursor_of(r["created_at"], r["id"]),
                node=NationalReport(
                    tenant_slug=slugs[r["tenant_id"]],
                    ticket=r["ticket"],
                    category_code=r["category_code"],
                    title=r["title"],
                    description=r["description"],
                    latitude=r["latitude"],
                    longitude=r["longitude"],
                    status=Status(r["status"]),
                    urgent=r["urgent"],
                    sla_breached=r["breached"],
                    created_at=r["created_at"],
                    verified_at=r["verified_at"],
                    resolved_at=r["resolved_at"],
                ),
            )
            for r in rows[:first]
        ]
        return NationalReportConnection(
            edges=edges,
            has_next_page=len(rows) > first,
            end_cursor=edges[-1].cursor if edges else None,
        )

    @strawberry.field(
        description="The audit log, newest first (oversight auditors): the national looks"
        " (national.* rows), or with tenantSlug that command's own audit log (as its tenant"
        " admin reads it). filter narrows either. first: 1-200; before: the endCursor of"
        " the previous page. The read is itself audited (national.auditLog, in that"
        " command's log too).",
        permission_classes=[requires(Cap.AUDIT_READ)],
    )
    async def audit_log(
        self,
        info: Info[Context, None],
        first: int = 50,
        before: strawberry.ID | None = None,
        tenant_slug: str | None = None,
        filter: AuditLogFilter | None = None,
    ) -> AuditConnection | None:
        """A page of audit entries, newest first (``before``: the previous page's ``endCursor``):
        the national looks (``national.*`` rows, times in WIB), or with ``tenantSlug`` that
        command's own log in its zone. Needs ``AUDIT_READ``; the read is itself audited (in that
        command's log too). ``INVALID_INPUT`` for ``first`` outside 1-200, a ``before`` that is
        no audit entry id, a bad filter, or a command the caller cannot see (unknown alike).
        """
        page_size(first, 200)
        # An audit entry id is a positive bigint in ASCII digits; int() alone also takes
        # "1_000", other scripts' digits, and numbers past PostgreSQL's bigint.
        if before and not AUDIT_ID.fullmatch(before):
            raise InvalidInput("before must be an audit entry id", field="before")
        before_id = int(before) if before else None
        if tenant_slug is None:
            f = filter.to_domain("WIB") if filter else AuditFilter()
            await _scope(info, "auditLog", None)
            rows = await tenant_audit_page(None, f, first, before_id)
            entries = [AuditEntry.of(r) for r in rows[:first]]
        else:
            tenant = await audited_tenant(info.context.principal, tenant_slug, filter)
            f = filter.to_domain(tenant.time_zone) if filter else AuditFilter()
            rows = await tenant_audit_page(tenant.id, f, first, before_id)
            entries = [AuditEntry.of(r, tenant.time_zone) for r in rows[:first]]
        return AuditConnection(
            entries=entries,
            has_next_page=len(rows) > first,
            end_cursor=entries[-1].id if entries else None,
        )
