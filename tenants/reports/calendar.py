"""A tenant's working-day calendar for the service levels (tables in migration 0013).

Weekends and national public holidays are always days off (``sla.py``). Each tenant
also has:

- ``collective_leave_off`` (default ``True``): collective leave (*cuti bersama*, the
  ``holidays`` package's ``government`` category for Indonesia) is a day off;
- its own non-working days (regional holidays), at most :data:`MAX_DAYS` of them.

A change re-times the deadlines of the tenant's open reports (verification, agency
follow-up, auto-close) from the moment each clock started, with the category's current
service levels, so that no deadline falls on a day the tenant has just made a day off.
Breaches already marked stay marked. Only a tenant admin (``Cap.TENANT_ADMIN``) changes
the calendar; every change is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import Conflict, InvalidInput, NotFound
from jogo.platform.registry import TenantInfo
from jogo.tenants.reports import sla
from jogo.tenants.reports.sla import WorkingCalendar

MAX_DAYS = 500  # a tenant's own days off, all years together
NAME_LENGTH = (2, 120)


@dataclass(frozen=True)
class NonWorkingDay:
    day: date
    name: str


@dataclass(frozen=True)
class CalendarView:
    """What a tenant's calendar settings are: the setting and the tenant's own days."""

    time_zone: str
    collective_leave_off: bool
    days: list[NonWorkingDay]


async def load_calendar(tenant: TenantInfo) -> WorkingCalendar:
    """The tenant's :class:`WorkingCalendar`; inside the caller's ``tenant_tx``."""
    rows = await db.fetch(f"SELECT {CALENDAR_COLUMNS}")
    return calendar_of(tenant, rows[0]["leave_off"], rows[0]["extra_days"])


# The tenant's calendar settings as two columns (``leave_off``, ``extra_days``), for a
# statement that reads them beside other things (report intake); :func:`calendar_of`.
CALENDAR_COLUMNS = (
    "(SELECT collective_leave_off FROM sla_calendar_settings) AS leave_off,"
    " coalesce((SELECT array_agg(day) FROM sla_non_working_days), '{}') AS extra_days"
)


def calendar_of(
    tenant: TenantInfo, leave_off: bool | None, extra_days: list[date]
) -> WorkingCalendar:
    """The :class:`WorkingCalendar` from the two :data:`CALENDAR_COLUMNS` (no setting row:
    collective leave is off work)."""
    return WorkingCalendar(
        time_zone=tenant.time_zone,
        collective_leave_off=True if leave_off is None else bool(leave_off),
        extra_days=frozenset(extra_days),
    )


async def get_calendar(tenant: TenantInfo) -> CalendarView:
    """The tenant's calendar settings, in their own transaction; days in date order."""
    async with db.tenant_tx(tenant.id):
        calendar = await load_calendar(tenant)
        rows = await db.fetch("SELECT day, name FROM sla_non_working_days ORDER BY day")
    return CalendarView(
        time_zone=tenant.time_zone,
        collective_leave_off=calendar.collective_leave_off,
        days=[NonWorkingDay(r["day"], r["name"]) for r in rows],
    )


def _require_admin(tenant: TenantInfo, principal: Principal) -> None:
    if Cap.TENANT_ADMIN not in principal.tenant_caps(tenant.id):
        raise denied(
            principal,
            "hanya admin satuan yang dapat mengubah kalender kerja"
            " / only a tenant admin can change the working calendar",
        )


async def do_set_collective_leave(tenant: TenantInfo, principal: Principal, off: bool) -> None:
    """Whether collective leave (cuti bersama) is a day off for this tenant's SLAs.
    Errors: ``FORBIDDEN`` for anyone but a tenant admin."""
    _require_admin(tenant, principal)
    async with db.tenant_tx(tenant.id):
        await db.fetch(
            "INSERT INTO sla_calendar_settings (tenant_id, collective_leave_off)"
            " VALUES ($1, $2) ON CONFLICT (tenant_id) DO UPDATE"
            " SET collective_leave_off = EXCLUDED.collective_leave_off, updated_at = now()",
            tenant.id,
            off,
        )
        await write_audit(
            "calendar.set_collective_leave",
            principal=principal,
            tenant_id=tenant.id,
            target="calendar",
            detail={"collective_leave_off": off},
        )
        await _retime_open_reports(tenant)


async def do_add_non_working_day(
    tenant: TenantInfo, principal: Principal, day: date, name: str
) -> NonWorkingDay:
    """Make ``day`` (the tenant's calendar day) a day off, named ``name`` (2-120
    characters, e.g. "Hari Jadi Kota Merauke"). Errors: ``FORBIDDEN``; ``INVALID_INPUT``
    on ``name`` or when the tenant already has :data:`MAX_DAYS`; ``CONFLICT`` on ``day``
    when it is already one of the tenant's days off."""
    _require_admin(tenant, principal)
    clean = " ".join((name or "").split())
    lo, hi = NAME_LENGTH
    if not lo <= len(clean) <= hi:
        raise InvalidInput(
            f"nama harus {lo}-{hi} karakter / name must be {lo}-{hi} characters", field="name"
        )
    async with db.tenant_tx(tenant.id):
        count = await db.fetch("SELECT count(*) AS n FROM sla_non_working_days")
        if count[0]["n"] >= MAX_DAYS:
            raise InvalidInput(
                f"paling banyak {MAX_DAYS} hari libur sendiri / at most {MAX_DAYS} own days off",
                field="day",
            )
        inserted = await db.fetch(
            "INSERT INTO sla_non_working_days (tenant_id, day, name, created_by)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, day) DO NOTHING RETURNING day",
            tenant.id,
            day,
            clean,
            principal.id,
        )
        if not inserted:
            raise Conflict(
                f"{day.isoformat()} sudah hari libur / is already a day off", field="day"
            )
        await write_audit(
            "calendar.add_day",
            principal=principal,
            tenant_id=tenant.id,
            target=f"calendar:{day.isoformat()}",
            detail={"name": clean},
        )
        await _retime_open_reports(tenant)
    return NonWorkingDay(day, clean)


async def do_remove_non_working_day(tenant: TenantInfo, principal: Principal, day: date) -> None:
    """``day`` is no longer one of the tenant's own days off. Errors: ``FORBIDDEN``;
    ``NOT_FOUND`` on ``day`` when it was not one."""
    _require_admin(tenant, principal)
    async with db.tenant_tx(tenant.id):
        deleted = await db.fetch(
            "DELETE FROM sla_non_working_days WHERE day = $1 RETURNING day", day
        )
        if not deleted:
            raise NotFound(
                f"{day.isoformat()} bukan hari libur satuan ini / is not one of this"
                " command's days off",
                field="day",
            )
        await write_audit(
            "calendar.remove_day",
            principal=principal,
            tenant_id=tenant.id,
            target=f"calendar:{day.isoformat()}",
        )
        await _retime_open_reports(tenant)


# (status, clock start column, due column, breach column or None, working-days column)
_CLOCKS = (
    ("SUBMITTED", "created_at", "verify_due_at", "verify_breached_at", "verify_working_days"),
    (
        "DISPATCHED",
        "dispatched_at",
        "followup_due_at",
        "followup_breached_at",
        "followup_working_days",
    ),
    # Police-handled cases: the follow-up clock runs from when the police started.
    (
        "IN_PROGRESS",
        "police_started_at",
        "followup_due_at",
        "followup_breached_at",
        "followup_working_days",
    ),
    ("RESOLVED", "resolved_at", "autoclose_at", None, "autoclose_working_days"),
)


async def _retime_open_reports(tenant: TenantInfo) -> None:
    """Recompute the working-day deadlines of open reports (not yet breached; for the
    verify and follow-up clocks, not urgent) with the tenant's calendar as it now is;
    inside the caller's ``tenant_tx``."""
    calendar = await load_calendar(tenant)
    for status, start, due, breached, days in _CLOCKS:
        # Urgent reports count verification and follow-up in minutes, not working days.
        unbreached = f" AND r.{breached} IS NULL AND NOT r.urgent" if breached else ""
        rows = await db.fetch(
            f"SELECT r.id, r.{start} AS start, c.{days} AS days FROM reports r"
            " JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id"
            f" WHERE r.status = $1 AND r.{due} IS NOT NULL"
            f" AND r.{start} IS NOT NULL{unbreached}",
            status,
        )
        if not rows:
            continue
        ids: list[uuid.UUID] = [r["id"] for r in rows]
        dues: list[Any] = [sla.add_working_days(r["start"], r["days"], calendar) for r in rows]
        await db.fetch(
            f"UPDATE reports r SET {due} = u.due FROM unnest($1::uuid[], $2::timestamptz[])"
            " AS u(id, due) WHERE r.id = u.id",
            ids,
            dues,
        )
