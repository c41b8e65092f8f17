"""Writes of the reports domain: category seeds and the operator workflow.

Submission lives in ``intake.py`` and the SLA sweep in ``sla_sweep.py``. Every action
opens its own tenant transaction (seeds run inside the onboarding one)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jogo.platform import db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput, NotFound
from jogo.platform.registry import TenantInfo
from jogo.tenants.reports import events, sla
from jogo.tenants.reports.access import Viewer, assigned_to
from jogo.tenants.reports.calendar import load_calendar
from jogo.tenants.reports.events import Actor
from jogo.tenants.reports.lifecycle import (
    Status,
    check_return,
    check_transition,
)
from jogo.tenants.reports.tables import Category


@dataclass(frozen=True)
class CategorySeed:
    code: str
    name_id: str
    name_en: str
    description_id: str = ""


async def do_seed_categories(tenant_id: uuid.UUID, seeds: Sequence[CategorySeed]) -> int:
    """Insert the tenant's report categories from ``seeds``, with ``sort_order`` 1, 2, ... in the
    given order. Inside the caller's tenant transaction (onboarding); returns how many were written
    (0 for none). Not idempotent: a repeated code breaks the unique index."""
    if not seeds:
        return 0
    rows = [
        Category(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            code=s.code,
            name_id=s.name_id,
            name_en=s.name_en,
            description_id=s.description_id,
            sort_order=i,
        )
        for i, s in enumerate(seeds, start=1)
    ]
    await Category.insert(*rows)
    return len(rows)


# --- triage: every change below is one tenant transaction with its timeline event ---

NOTE_MAX = 5000


def _note(note: str | None, required: bool = False, field: str = "note") -> str | None:
    text = (note or "").strip() or None
    if required and not text:
        raise InvalidInput("a note is required", field=field)
    if text and len(text) > NOTE_MAX:
        raise InvalidInput(f"a note may be at most {NOTE_MAX} characters", field=field)
    return text


async def lock_report(viewer: Viewer | None, report_id: uuid.UUID) -> dict[str, Any]:
    """The report with its category's SLA, locked for update, if this viewer may see it
    (``None``: the system, e.g. an agency callback); else NOT_FOUND."""
    scope, args = viewer.sql_scope(2) if viewer is not None else ("TRUE", [])
    rows = await db.fetch(
        f"SELECT r.*, c.followup_working_days, c.autoclose_working_days,"
        f" c.urgent_followup_minutes FROM reports r JOIN report_categories c"
        f" ON c.tenant_id = r.tenant_id AND c.id = r.category_id"
        f" WHERE r.id = $1 AND {scope} FOR UPDATE OF r",
        report_id,
        *args,
    )
    if not rows:
        raise NotFound("report not found", field="reportId")
    return dict(rows[0])


def _require_triage(viewer: Viewer) -> None:
    if not viewer.triage:
        raise denied(viewer.principal, "only operators (or a key with reports:write) can do this")


async def set_status(
    tenant: TenantInfo,
    actor: Actor,
    report: dict[str, Any],
    target: Status,
    note: str | None,
    *,
    returned: bool = False,
    **columns: Any,
) -> None:
    """Move a locked report on (inside the caller's tenant transaction), with its event.
    ``returned``: the agency-return move (``lifecycle.RETURNS``) instead of a forward one."""
    if returned:
        check_return(report["status"])
        columns.setdefault("police_started_at", None)  # whoever takes it next starts anew
    else:
        assigned = bool(report.get("assigned_officer_id") or report.get("assigned_unit_id"))
        check_transition(report["status"], target, assigned=assigned)
    sets = ["status = $2", "updated_at = now()"]
    values: list[Any] = [report["id"], target.value]
    for name, value in columns.items():
        values.append(value)
        sets.append(f"{name} = ${len(values)}")
    await db.fetch(f"UPDATE reports SET {', '.join(sets)} WHERE id = $1", *values)
    await events.record(
        tenant.id,
        report["id"],
        "STATUS",
        public=True,
        actor=actor,
        note=note,
        from_status=report["status"],
        to_status=target.value,
    )
    report["status"] = target.value


async def verify_locked(
    tenant: TenantInfo, viewer: Viewer, report: dict[str, Any], note: str | None
) -> None:
    """SUBMITTED → VERIFIED on a locked report; routing may dispatch it right after."""
    _require_triage(viewer)
    await set_status(
        tenant,
        events.actor_of(viewer.principal),
        report,
        Status.VERIFIED,
        _note(note),
        verified_at=_now(),
    )


async def do_reject_report(
    tenant: TenantInfo, viewer: Viewer, report_id: uuid.UUID, reason: str
) -> uuid.UUID:
    """Reject a SUBMITTED or VERIFIED report with a required reason (at most 5000 characters), shown
    to the reporter: status REJECTED, ``reject_reason`` and ``closed_at`` set, a public STATUS
    event, in one tenant transaction. Returns the id. Raises ``FORBIDDEN``/``UNAUTHENTICATED``
    without ``reports:triage``, :class:`InvalidInput` on ``reason``, :class:`NotFound` outside the
    viewer's scope, ``ILLEGAL_TRANSITION`` from any other status."""
    _require_triage(viewer)
    reason_text = _note(reason, required=True, field="reason")
    async with db.tenant_tx(tenant.id):
        report = await lock_report(viewer, report_id)
        await set_status(
            tenant,
            events.actor_of(viewer.principal),
            report,
            Status.REJECTED,
            reason_text,
            reject_reason=reason_text,
            closed_at=_now(),
        )
    return report_id


async def dispatch_locked(
    tenant: TenantInfo,
    actor: Actor,
    report: dict[str, Any],
    agency: dict[str, Any],
    note: str | None = None,
) -> None:
    """VERIFIED → DISPATCHED to an agency, on a locked report; a further agency on a
    report already with one adds a timeline entry without changing the status."""
    status = Status(report["status"])
    if status == Status.VERIFIED:
        now = _now()
        due = sla.followup_due(now, report, report["urgent"], await load_calendar(tenant))
        await set_status(
            tenant,
            actor,
            report,
            Status.DISPATCHED,
            _note(note),
            dispatched_at=now,
            followup_due_at=due,
        )
    elif status not in (Status.DISPATCHED, Status.IN_PROGRESS):
        check_transition(report["status"], Status.DISPATCHED)
    await events.record(
        tenant.id,
        report["id"],
        "DISPATCH",
        public=True,
        actor=actor,
        note=f"Diteruskan ke {agency['name']}",
        data={"agency_id": str(agency["id"]), "agency_name": agency["name"]},
    )


async def do_update_report_status(
    tenant: TenantInfo,
    viewer: Viewer,
    report_id: uuid.UUID,
    status: Status,
    note: str | None = None,
) -> uuid.UUID:
    """IN_PROGRESS, RESOLVED (note required) or CLOSED: operators on any report, officers
    (IN_PROGRESS and RESOLVED) on those assigned to them or their unit.

    VERIFIED → IN_PROGRESS is a police-handled case (``lifecycle``): the report must be
    assigned, else ILLEGAL_TRANSITION; it starts the follow-up clock (``followupDueAt``)
    as a dispatch does. Errors: INVALID_INPUT, FORBIDDEN, NOT_FOUND (not visible, or an
    officer's report that is not assigned to them), ILLEGAL_TRANSITION."""
    if status not in (Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED):
        raise InvalidInput(
            "use verifyReport, rejectReport or dispatchReport for that status", field="status"
        )
    if not viewer.triage and not (viewer.work and status != Status.CLOSED):
        raise denied(viewer.principal, "only operators, or the assigned officer, can do this")
    note = _note(note, required=status == Status.RESOLVED)
    async with db.tenant_tx(tenant.id):
        report = await lock_report(viewer, report_id)
        if not viewer.triage and not await assigned_to(report, viewer.user_id):
            raise NotFound("report not found", field="reportId")
        now = _now()
        columns: dict[str, Any] = {}
        if status == Status.IN_PROGRESS and report["status"] == Status.VERIFIED:
            calendar = await load_calendar(tenant)
            columns = {
                "police_started_at": now,
                "followup_due_at": sla.followup_due(now, report, report["urgent"], calendar),
            }
        elif status == Status.RESOLVED:
            columns = {
                "resolved_at": now,
                "autoclose_at": sla.autoclose_at(now, report, await load_calendar(tenant)),
            }
        elif status == Status.CLOSED:
            columns = {"closed_at": now, "autoclose_at": None}
        await set_status(tenant, events.actor_of(viewer.principal), report, status, note, **columns)
    return report_id


async def do_add_report_note(
    tenant: TenantInfo,
    viewer: Viewer,
    report_id: uuid.UUID,
    note: str,
    public: bool,
    *,
    client_key: str | None = None,
) -> uuid.UUID:
    """Staff notes (operators on any report, officers on those assigned to them) are
    public or internal; a reporter's own note is always public, and a reply to a resolved
    report stops its auto-close until an operator closes it. Seeing a report is not
    enough to write on it: a read-only caller is FORBIDDEN.

    Returns the event's id. ``client_key`` (:mod:`jogo.platform.idempotency`): a retry
    with the same key, report, note and ``public`` returns the first try's event and
    writes nothing; other input is ``IdempotencyConflict``."""
    staff = viewer.triage or viewer.work
    if not staff and not viewer.reporter:
        raise denied(viewer.principal, "only staff, or the reporter, can add a note")
    text = _note(note, required=True)
    if not staff and not public:
        raise InvalidInput("a reporter's note is always public", field="public")
    key = idempotency.client_key(
        "addReportNote",
        viewer.principal,
        client_key,
        {"reportId": str(report_id), "note": text, "public": public},
    )
    new_id = uuid.uuid4()
    async with db.tenant_tx(tenant.id):
        if key is not None:
            earlier = await idempotency.claim(tenant.id, key, new_id)
            if earlier is not None:
                return earlier
        report = await lock_report(viewer, report_id)
        mine = await assigned_to(report, viewer.user_id)
        if not viewer.triage and not mine and viewer.user_id != report["reporter_user_id"]:
            raise NotFound("report not found", field="reportId")
        staff = viewer.triage or (viewer.work and mine)
        if not staff and report["status"] == Status.RESOLVED and report["autoclose_at"]:
            await db.fetch(
                "UPDATE reports SET autoclose_at = NULL, updated_at = now() WHERE id = $1",
                report_id,
            )
        event_id = await events.record(
            tenant.id,
            report_id,
            "NOTE",
            public=public or not staff,
            actor=events.actor_of(viewer.principal),
            note=text,
            data={"by_reporter": True} if not staff else None,
            event_id=new_id,
        )
    return event_id


def _now() -> datetime:
    return datetime.now(UTC)


SLA_LIMITS = {
    "verify_working_days": (1, 60),
    "followup_working_days": (1, 60),
    "autoclose_working_days": (1, 60),
    "urgent_verify_minutes": (1, 1440),
    "urgent_followup_minutes": (1, 10080),
}


async def do_set_category_sla(
    tenant: TenantInfo, viewer: Viewer, code: str, changes: dict[str, int | None]
) -> uuid.UUID:
    """A tenant's own service levels for one category; new reports use them."""
    if Cap.TENANT_ADMIN not in viewer.principal.tenant_caps(tenant.id):
        raise denied(viewer.principal, "only a tenant admin can change service levels")
    values = {k: v for k, v in changes.items() if v is not None}
    if not values:
        raise InvalidInput("give at least one service level to change", field="code")
    for name, value in values.items():
        lo, hi = SLA_LIMITS[name]
        if not lo <= value <= hi:
            camel = name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:])
            raise InvalidInput(f"{camel} must be between {lo} and {hi}", field=camel)
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(values, start=2))
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch(
            f"UPDATE report_categories SET {sets} WHERE code = $1 RETURNING id",
            (code or "").strip().upper(),
            *values.values(),
        )
        if not rows:
            raise NotFound(f"unknown category {code!r}", field="code")
        await write_audit(
            "category.set_sla",
            principal=viewer.principal,
            tenant_id=tenant.id,
            target=f"category:{code.upper()}",
            detail=values,
        )
    category_id: uuid.UUID = rows[0]["id"]
    return category_id
