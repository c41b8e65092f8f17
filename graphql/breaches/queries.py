"""Breach register reads: the command's incidents (tenant admins), and the national view
(counts and clocks across commands, audited like every national read)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import strawberry
from strawberry.types import Info

from jogo.graphql.breaches.types import (
    Breach,
    BreachClock,
    BreachDataCategory,
    BreachOversight,
    BreachSubjectCategory,
    BreachTenantCounts,
    _codes,
)
from jogo.graphql.context import Context
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import requires
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import NotFound
from jogo.tenants.breaches import clock, queries
from jogo.tenants.breaches.notices import reference

# The national window's days run from the easternmost zone's midnight (WIT), like the
# other national views: nobody's today is cut off.
WIT = ZoneInfo("Asia/Jayapura")


@strawberry.type
class BreachesQuery:
    @strawberry.field(
        description="The command's breach register, newest found first (at most 200);"
        " openOnly: those whose clock still runs (tenant admins).",
        permission_classes=[requires(Cap.TENANT_ADMIN)],
    )
    async def breaches(
        self, info: Info[Context, None], open_only: bool = False
    ) -> list[Breach] | None:
        """Needs ``tenant:admin``."""
        tenant = info.context.require_tenant()
        rows = await queries.list_breaches(tenant.id, open_only=open_only)
        return [Breach.of(r, tenant) for r in rows]

    @strawberry.field(
        description="One incident (tenant admins); null when there is none here.",
        permission_classes=[requires(Cap.TENANT_ADMIN)],
    )
    async def breach(self, info: Info[Context, None], id: strawberry.ID) -> Breach | None:
        """Needs ``tenant:admin``. Another command's incident is null, like an unknown id."""
        tenant = info.context.require_tenant()
        try:
            breach_id = parse_uuid(id, "id", queries.NOT_FOUND)
        except NotFound:
            return None
        row = await queries.get_breach(tenant.id, breach_id)
        return Breach.of(row, tenant) if row is not None else None


async def breach_oversight(principal: Principal, f: object) -> BreachOversight:
    """The national view for ``principal`` under the ``NationalFilter`` ``f``: the commands
    it may see (a Polda supervisor its own Polda's), audited ``national.breachOversight``
    by :func:`~jogo.graphql.oversight.queries.national_scope`; the incidents found in the
    filter's days plus every clock still running. No free text and no person."""
    from jogo.graphql.oversight.queries import national_scope

    tenants, scoped = await national_scope(principal, "breachOversight", f, per_tenant=True)  # type: ignore[arg-type]
    since = datetime.combine(scoped.day_from, time(), WIT)
    until = datetime.combine(scoped.day_to + timedelta(days=1), time(), WIT)
    rows = await queries.national_clocks([t.id for t in tenants], since, until)
    now = datetime.now(UTC)
    by_id = {t.id: t for t in tenants}
    counts = {
        t.id: BreachTenantCounts(
            tenant_slug=t.slug,
            tenant_name=t.name,
            polda_code=t.polda_code,
            total=0,
            open=0,
            overdue=0,
            highest_level=0,
        )
        for t in tenants
    }
    clocks = []
    for r in rows:
        tenant = by_id.get(r["tenant_id"])
        if tenant is None:
            continue
        is_open, overdue = clock.is_open(r), clock.is_overdue(r, now)
        c = counts[tenant.id]
        c.total += 1
        c.open += is_open
        c.overdue += overdue
        c.highest_level = max(c.highest_level, r["escalation_level"])
        clocks.append(
            BreachClock(
                tenant_slug=tenant.slug,
                reference=reference(r["id"]),
                found_at=r["found_at"],
                due_at=r["due_at"],
                subjects_notified_at=r["subjects_notified_at"],
                authority_notified_at=r["authority_notified_at"],
                escalation_level=r["escalation_level"],
                open=is_open,
                overdue=overdue,
                data_categories=_codes(BreachDataCategory, r["data_categories"]),
                subject_categories=_codes(BreachSubjectCategory, r["subject_categories"]),
                subjects_estimate=r["subjects_estimate"],
            )
        )
    return BreachOversight(tenants=list(counts.values()), clocks=clocks)
