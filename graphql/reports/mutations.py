"""Report mutations. Thin: build the action's input, run it, return a typed payload."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.facilities.types import Facility
from jogo.graphql.http import UploadedFile
from jogo.graphql.idempotency import ClientKeyArgument, request_key, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.notifications.intake import report_channel
from jogo.graphql.permissions import writes
from jogo.graphql.reports.dataloaders import viewer_of
from jogo.graphql.reports.inputs import SubmitReportInput
from jogo.graphql.reports.types import Category, Report
from jogo.graphql.scalars import in_zone_or_none
from jogo.platform.auth.phone import ConsentRequired
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.platform.outage import is_unavailable
from jogo.platform.storage import FileStore
from jogo.tenants.agencies import dispatches
from jogo.tenants.consent.actions import record_report_notify
from jogo.tenants.reports import actions, assignment, queries
from jogo.tenants.reports.intake import Submitted, do_submit_report
from jogo.tenants.reports.lifecycle import Status
from jogo.tenants.reports.sos import do_raise_sos
from jogo.tenants.reports.validation import ReportInput

log = logging.getLogger("jogo.graphql")
# The X-Jogo-Client header of the citizen web app (web/citizen/outbox.js).
CITIZEN_APP = "citizen"


@strawberry.type
class SubmitReportPayload:
    report: Report | None = None
    pin: str | None = strawberry.field(
        default=None, description="Anonymous reports only: shown once, keep it to track."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReportPayload:
    report: Report | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _photo_bytes(photos: list[Any] | None) -> list[bytes]:
    """Photos come only as files of a multipart request, never as JSON values."""
    files = []
    for photo in photos or []:
        if not isinstance(photo, UploadedFile):
            raise InvalidInput("send photos as files of a multipart request", field="photos")
        files.append(photo.data)
    return files


async def _run(
    info: Info[Context, None], action: Callable[[], Awaitable[uuid.UUID]]
) -> ReportPayload:
    """Run an action that returns a report id; answer with the report as this caller sees it.

    The action has committed when the report is read back. If the database goes away in
    between, the answer is still a success (no errors) with ``report: null``: an error
    would make the client retry a change that was made (a second note, say)."""
    report_id, errors = await attempt(action)
    if report_id is None:
        return ReportPayload(errors=errors)
    tenant = info.context.require_tenant()
    try:
        row = await queries.get_report(tenant.id, viewer_of(info.context), report_id)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        log.warning("report %s changed, but could not be read back: %s", report_id, exc)
        return ReportPayload()
    return ReportPayload(report=Report.of(row))


@strawberry.type
class ReportsMutation:
    @strawberry.mutation(
        description="Report something. Anonymous callers must set anonymous.",
        extensions=writes(Cap.REPORTS_SUBMIT, anonymous=True),
    )
    async def submit_report(
        self, info: Info[Context, None], input: SubmitReportInput
    ) -> SubmitReportPayload:
        """File a report (status SUBMITTED, service-level clocks started) and answer it as
        committed, with the tracking PIN for an anonymous report (shown once).

        Needs ``REPORTS_SUBMIT``, or no sign-in with ``anonymous`` set. Every bad field is reported
        at once as ``INVALID_INPUT`` (location outside Indonesia, photos not sent as multipart
        files, …); anonymous callers are limited to 10 reports per address in 10 minutes
        (``RATE_LIMITED``). A ``clientKey`` retry with the same input answers the first report;
        other input under that key is ``CONFLICT``.

        ``noticeVersion`` (the privacy notice the client showed) is recorded on the report,
        ``unknown`` when missing: a police report is never refused for it. A ``notify``
        channel is consent to notifications: without the version in force the report is
        filed without it, and ``errors`` holds ``CONSENT_REQUIRED`` on ``notify`` beside
        the report.
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        store = FileStore(ctx.settings.data_dir / "attachments")
        refused: list[UserError] = []
        p = ctx.principal
        # Who the consent log names: a signed-in reporter who is not anonymous.
        who = p.id if p.kind == "user" and not input.anonymous else None

        async def submit() -> Submitted:
            data = ReportInput(
                category_code=input.category_code,
                title=input.title,
                description=input.description,
                latitude=input.latitude,
                longitude=input.longitude,
                address=input.address,
                occurred_at=in_zone_or_none(input.occurred_at, tenant.time_zone),
                anonymous=input.anonymous,
                reporter_name=input.reporter_name,
                reporter_phone=input.reporter_phone,
                urgent=input.urgent,
                photos=_photo_bytes(input.photos),
                polling_station_code=input.polling_station_code,
                # Recorded on the report, and in the consent log for a signed-in reporter,
                # by the insert itself (tenants/reports/intake.py); never refuses a report.
                notice_version=input.notice_version or "unknown",
            )
            # The reporter's channel (notify), checked before anything is written.
            on_channel = await report_channel(
                tenant.id,
                input.notify,
                data,
                allow_private_egress=ctx.settings.allow_private_egress,
            )

            async def on_insert(report_id: uuid.UUID) -> None:
                if on_channel is None:
                    return
                current = await record_report_notify(
                    tenant.id, report_id, input.notice_version, user_id=who, client=ctx.client
                )
                if current is None:
                    await on_channel(report_id)
                else:
                    # (Assigned, not appended: a retried transaction runs this again.)
                    refused[:] = [UserError.of(ConsentRequired(current, field="notify"))]

            return await do_submit_report(
                tenant,
                ctx.principal,
                data,
                store,
                on_insert,
                client=ctx.client,
                client_key=request_key(info, input.client_key),
                secret_key=ctx.settings.secret_key,
                channel="WEB" if ctx.app_client == CITIZEN_APP else "API",
            )

        done, errors = await attempt(submit)
        if done is None:
            return SubmitReportPayload(errors=errors)
        # The caller has just created it: echo it back even to an anonymous reporter, as
        # it was committed. No read after the commit: if that failed, the client would
        # be told "failed" about a stored report and retry into a duplicate.
        return SubmitReportPayload(report=Report.of(done.row), pin=done.pin, errors=refused)

    @strawberry.mutation(description="SUBMITTED → VERIFIED.", extensions=writes(Cap.REPORTS_TRIAGE))
    async def verify_report(
        self, info: Info[Context, None], report_id: strawberry.ID, note: str | None = None
    ) -> ReportPayload:
        """SUBMITTED → VERIFIED, then dispatch to every active agency whose routing rule for the
        category auto-dispatches. Needs ``REPORTS_TRIAGE``. Errors: ``NOT_FOUND`` (unknown or
        unreadable report), ``ILLEGAL_TRANSITION`` from any other status, ``INVALID_INPUT`` note.
        """
        tenant, viewer = info.context.require_tenant(), viewer_of(info.context)
        return await _run(
            info,
            lambda: dispatches.do_verify_report(
                tenant, viewer, parse_uuid(report_id, "reportId"), note
            ),
        )

    @strawberry.mutation(
        description="SUBMITTED or VERIFIED → REJECTED, with a reason.",
        extensions=writes(Cap.REPORTS_TRIAGE),
    )
    async def reject_report(
        self, info: Info[Context, None], report_id: strawberry.ID, reason: str
    ) -> ReportPayload:
        """SUBMITTED or VERIFIED → REJECTED; ``reason`` is required (at most 5000 characters) and
        shown to the reporter. Needs ``REPORTS_TRIAGE``. Errors: ``INVALID_INPUT``, ``NOT_FOUND``,
        ``ILLEGAL_TRANSITION``.
        """
        tenant, viewer = info.context.require_tenant(), viewer_of(info.context)
        return await _run(
            info,
            lambda: actions.do_reject_report(
                tenant, viewer, parse_uuid(report_id, "reportId"), reason
            ),
        )

    @strawberry.mutation(
        description="Assign an officer of this command (see officers) and/or one of its"
        " active units (see units); replaces the earlier assignment. An assigned VERIFIED"
        " report can then be worked by the police themselves (updateReportStatus).",
        extensions=writes(Cap.REPORTS_TRIAGE),
    )
    async def assign_report(
        self,
        info: Info[Context, None],
        report_id: strawberry.ID,
        officer_id: strawberry.ID | None = None,
        unit_id: strawberry.ID | None = None,
    ) -> ReportPayload:
        """Assign an open report to an officer of this tenant, an active unit, or both (replacing
        the earlier assignment). Needs ``REPORTS_TRIAGE``. Errors: ``INVALID_INPUT`` (neither
        given, not an officer here), ``NOT_FOUND`` (report or unit), ``CONFLICT`` (deactivated
        unit), ``ILLEGAL_TRANSITION`` (closed, resolved or rejected report).
        """
        tenant, viewer = info.context.require_tenant(), viewer_of(info.context)
        return await _run(
            info,
            lambda: assignment.do_assign_report(
                tenant,
                viewer,
                parse_uuid(report_id, "reportId"),
                parse_uuid(officer_id, "officerId") if officer_id else None,
                parse_uuid(unit_id, "unitId", "unit not found") if unit_id else None,
            ),
        )

    @strawberry.mutation(
        description="Send a verified report to an agency (VERIFIED → DISPATCHED).",
        extensions=writes(Cap.REPORTS_TRIAGE),
    )
    async def dispatch_report(
        self,
        info: Info[Context, None],
        report_id: strawberry.ID,
        agency_id: strawberry.ID,
        note: str | None = None,
        client_key: ClientKeyArgument = None,
    ) -> ReportPayload:
        """VERIFIED → DISPATCHED to one agency: a dispatch its connector delivers (webhook or
        Open311; a manual agency's liaison answers it in the inbox), and the follow-up clock
        starts (working days; minutes for an urgent report). Needs ``REPORTS_TRIAGE``. A
        ``clientKey`` retry answers the report without a second dispatch. Errors:
        ``NOT_FOUND`` (report or agency), ``ILLEGAL_TRANSITION``, ``CONFLICT`` (key reused
        with other input).
        """
        tenant, viewer = info.context.require_tenant(), viewer_of(info.context)
        arguments = {"reportId": report_id, "agencyId": agency_id, "note": note}
        return await _run(
            info,
            lambda: dispatches.do_dispatch_report(
                tenant,
                viewer,
                parse_uuid(report_id, "reportId"),
                parse_uuid(agency_id, "agencyId"),
                note,
                retry=retry_key(info, "dispatchReport", client_key, arguments),
            ),
        )

    @strawberry.mutation(
        description="IN_PROGRESS, RESOLVED (note required) or CLOSED. Operators on any"
        " report; officers (not CLOSED) on reports assigned to them or their unit."
        " VERIFIED → IN_PROGRESS: the police handle it themselves; the report must be"
        " assigned to an officer or unit (else ILLEGAL_TRANSITION).",
        extensions=writes(Cap.REPORTS_TRIAGE, Cap.REPORTS_WORK),
    )
    async def update_report_status(
        self,
        info: Info[Context, None],
        report_id: strawberry.ID,
        status: Status,
        note: str | None = None,
    ) -> ReportPayload:
        """Move a report to IN_PROGRESS, RESOLVED (note required) or CLOSED, per the lifecycle
        table. Needs ``REPORTS_TRIAGE`` (any report) or ``REPORTS_WORK`` (reports assigned to the
        caller or their unit; not CLOSED). Errors: ``INVALID_INPUT``, ``FORBIDDEN``,
        ``NOT_FOUND``, ``ILLEGAL_TRANSITION`` (incl. VERIFIED → IN_PROGRESS on an unassigned
        report).
        """
        tenant, viewer = info.context.require_tenant(), viewer_of(info.context)
        return await _run(
            info,
            lambda: actions.do_update_report_status(
                tenant, viewer, parse_uuid(report_id, "reportId"), status, note
            ),
        )

    @strawberry.mutation(
        description="A note on the timeline; staff choose public or internal.",
        # Operators and assigned officers write staff notes; a reporter on their own report.
        extensions=writes(Cap.REPORTS_TRIAGE, Cap.REPORTS_WORK, Cap.REPORTS_SUBMIT),
    )
    async def add_report_note(
        self,
        info: Info[Context, None],
        report_id: strawberry.ID,
        note: str,
        public: bool = False,
        client_key: ClientKeyArgument = None,
    ) -> ReportPayload:
        """Add a timeline note (at most 5000 characters). Staff (``REPORTS_TRIAGE``, or
        ``REPORTS_WORK`` on assigned reports) choose public or internal; a reporter
        (``REPORTS_SUBMIT``) writes public notes on their own report only (``public: false`` is
        ``INVALID_INPUT``). A read-only caller is ``FORBIDDEN``; an unreadable report
        ``NOT_FOUND``. A ``clientKey`` retry writes nothing twice.
        """
        tenant, viewer = info.context.require_tenant(), viewer_of(info.context)
        rid = parse_uuid(report_id, "reportId")

        async def act() -> uuid.UUID:
            await actions.do_add_report_note(
                tenant, viewer, rid, note, public, client_key=request_key(info, client_key)
            )
            return rid

        return await _run(info, act)


@strawberry.type
class CategoryPayload:
    category: Category | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CategoryMutation:
    @strawberry.mutation(
        description="This command's service levels for one category.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def set_category_sla(
        self,
        info: Info[Context, None],
        code: str,
        verify_working_days: int | None = None,
        followup_working_days: int | None = None,
        autoclose_working_days: int | None = None,
        urgent_verify_minutes: int | None = None,
        urgent_followup_minutes: int | None = None,
    ) -> CategoryPayload:
        """Change this tenant's service levels for category ``code``; only new reports use them.
        Units: working days 1-60 (verify, follow-up, auto-close), minutes for the urgent clocks
        (verify 1-1440, follow-up 1-10080). Needs ``TENANT_ADMIN``. ``INVALID_INPUT`` for none
        given or a value out of range, ``NOT_FOUND`` for an unknown code.
        """
        tenant, viewer = info.context.require_tenant(), viewer_of(info.context)
        changes = {
            "verify_working_days": verify_working_days,
            "followup_working_days": followup_working_days,
            "autoclose_working_days": autoclose_working_days,
            "urgent_verify_minutes": urgent_verify_minutes,
            "urgent_followup_minutes": urgent_followup_minutes,
        }
        category_id, errors = await attempt(
            lambda: actions.do_set_category_sla(tenant, viewer, code, changes)
        )
        if category_id is None:
            return CategoryPayload(errors=errors)
        found = await queries.categories_by_id(tenant.id, [category_id])
        return CategoryPayload(category=Category.of(found[category_id]))


@strawberry.type
class SosPayload:
    report: Report | None = None
    nearest_police_post: Facility | None = None
    nearest_hospital: Facility | None = None
    advice: str | None = strawberry.field(
        default=None,
        description="What to do now, Bahasa Indonesia then English, with the national"
        " emergency numbers (112, 110, 119); says so when no hospital is listed within 25 km.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SosMutation:
    @strawberry.mutation(
        description="Panic button for a signed-in citizen: an urgent report on the operators'"
        " live feed at once, with the nearest police post and hospital. At most 3 in 10 minutes.",
        extensions=writes(Cap.REPORTS_SUBMIT),
    )
    async def raise_sos(
        self,
        info: Info[Context, None],
        latitude: float,
        longitude: float,
        note: str | None = None,
        client_key: ClientKeyArgument = None,
    ) -> SosPayload:
        """Panic button: an urgent report at the caller's position, on the operators' live feed at
        once, with the nearest active police post and hospital within 25 km and advice.

        Needs ``REPORTS_SUBMIT`` as a signed-in user (an API key is ``FORBIDDEN``). Errors:
        ``INVALID_INPUT`` (outside Indonesia, note over 500 characters), ``RATE_LIMITED`` past 3
        presses in 10 minutes. A ``clientKey`` retry answers the first press and counts once.
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        store = FileStore(ctx.settings.data_dir / "attachments")
        done, errors = await attempt(
            lambda: do_raise_sos(
                tenant,
                ctx.principal,
                latitude,
                longitude,
                note,
                store,
                client_key=request_key(info, client_key),
                secret_key=ctx.settings.secret_key,
            )
        )
        if done is None:
            return SosPayload(errors=errors)
        return SosPayload(
            report=Report.of(done.report.row),  # as committed: no read after the commit
            nearest_police_post=Facility.of(done.police_post) if done.police_post else None,
            nearest_hospital=Facility.of(done.hospital) if done.hospital else None,
            advice=done.advice,
        )
