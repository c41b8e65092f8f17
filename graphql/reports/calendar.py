"""The working-day calendar the service levels count in (``tenants/reports/calendar.py``):
read by staff, changed by tenant admins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.permissions import requires, writes
from jogo.platform.auth.roles import Cap
from jogo.tenants.reports import calendar
from jogo.tenants.reports.calendar import CalendarView

DAY = "A calendar day of this command, in its own time zone, e.g. 2026-11-12."


@strawberry.type(description="One of the command's own days off (e.g. a regional holiday).")
class NonWorkingDay:
    day: date
    name: str


@strawberry.type(
    description="The days the service levels (verify, follow-up, auto-close) count."
    " Weekends and national public holidays are always days off; collective leave (cuti"
    " bersama) is one while collectiveLeaveOff is true (the default); and so are the"
    " command's own nonWorkingDays. No SLA breach is marked on a day off."
)
class WorkingCalendar:
    time_zone: str = strawberry.field(description="WIB, WITA or WIT: the days are counted here.")
    collective_leave_off: bool = strawberry.field(
        description="Collective leave (cuti bersama, as the government sets it) is a day off."
    )
    non_working_days: list[NonWorkingDay] = strawberry.field(
        description="The command's own days off, in date order."
    )

    @classmethod
    def of(cls, view: CalendarView) -> WorkingCalendar:
        """The GraphQL view of a tenant's calendar settings: time zone, the collective-leave switch
        and the tenant's own days off.
        """
        return cls(
            time_zone=view.time_zone,
            collective_leave_off=view.collective_leave_off,
            non_working_days=[NonWorkingDay(day=d.day, name=d.name) for d in view.days],
        )


@strawberry.type
class WorkingCalendarPayload:
    calendar: WorkingCalendar | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CalendarQuery:
    @strawberry.field(
        description="This command's working-day calendar (signed-in members).",
        permission_classes=[requires(Cap.TENANT_READ)],
    )
    async def working_calendar(self, info: Info[Context, None]) -> WorkingCalendar | None:
        """The tenant's working-day calendar (``sla_calendar_settings`` and
        ``sla_non_working_days``). Needs ``TENANT_READ``.
        """
        return WorkingCalendar.of(await calendar.get_calendar(info.context.require_tenant()))


async def _change(
    info: Info[Context, None], change: Callable[[], Awaitable[Any]]
) -> WorkingCalendarPayload:
    """Run ``change``; answer the calendar as it now is, or the typed errors."""
    _, errors = await attempt(change)
    if errors:
        return WorkingCalendarPayload(errors=errors)
    view = await calendar.get_calendar(info.context.require_tenant())
    return WorkingCalendarPayload(calendar=WorkingCalendar.of(view))


@strawberry.type
class CalendarMutation:
    @strawberry.mutation(
        description="Whether collective leave (cuti bersama) is a day off for this command's"
        " service levels (tenant admins). Open reports' deadlines are re-timed.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def set_collective_leave_off(
        self, info: Info[Context, None], off: bool
    ) -> WorkingCalendarPayload:
        """Set whether cuti bersama counts as a day off for the service levels; open reports'
        deadlines are re-timed. Needs ``TENANT_ADMIN``. Answers the calendar as it now is.
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _change(
            info, lambda: calendar.do_set_collective_leave(tenant, ctx.principal, off)
        )

    @strawberry.mutation(
        description="Add one of this command's own days off, e.g. a regional holiday"
        " (tenant admins). name: 2-120 characters. A day already off is CONFLICT. Open"
        " reports' deadlines are re-timed.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def add_non_working_day(
        self,
        info: Info[Context, None],
        day: Annotated[date, strawberry.argument(description=DAY)],
        name: str,
    ) -> WorkingCalendarPayload:
        """Add a tenant day off (e.g. a regional holiday) and re-time open reports' deadlines. Needs
        ``TENANT_ADMIN``; audited. ``INVALID_INPUT`` for a name outside 2-120 characters or when
        the tenant already has ``MAX_DAYS`` own days off, ``CONFLICT`` for a day already off.
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _change(
            info, lambda: calendar.do_add_non_working_day(tenant, ctx.principal, day, name)
        )

    @strawberry.mutation(
        description="Remove one of this command's own days off (tenant admins); a day that"
        " is not one is NOT_FOUND. Open reports' deadlines are re-timed.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def remove_non_working_day(
        self, info: Info[Context, None], day: Annotated[date, strawberry.argument(description=DAY)]
    ) -> WorkingCalendarPayload:
        """Remove a tenant day off and re-time open reports' deadlines. Needs ``TENANT_ADMIN``;
        audited. ``NOT_FOUND`` when the day is not one of the tenant's own days off.
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _change(
            info, lambda: calendar.do_remove_non_working_day(tenant, ctx.principal, day)
        )
