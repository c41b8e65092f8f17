from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from jogo.graphql.compiled import planned_type
from jogo.graphql.context import Context
from jogo.graphql.facilities.types import Camera
from jogo.graphql.permissions import allowed, requires
from jogo.graphql.privacy.types import LegalHold
from jogo.platform.auth.roles import Cap
from jogo.tenants.reports.lifecycle import Status, label

if TYPE_CHECKING:
    from jogo.graphql.reports.dataloaders import ReportLoaders
    from jogo.graphql.units.types import Unit


def loaders(info: Info[Context, None]) -> ReportLoaders:
    """This request's report DataLoaders and viewer (built once per request)."""
    from jogo.graphql.reports.dataloaders import report_loaders

    return report_loaders(info.context)


@planned_type
@strawberry.type(description="A report category. nameId is Bahasa Indonesia, nameEn English.")
class Category:
    id: strawberry.ID
    code: str
    name_id: str
    name_en: str
    description_id: str
    verify_working_days: int
    followup_working_days: int
    autoclose_working_days: int
    urgent_verify_minutes: int

    @classmethod
    def of(cls, row: dict[str, Any]) -> Category:
        """A category from its ``categories`` row. Service levels are in working days (verify,
        follow-up, auto-close) except ``urgentVerifyMinutes``, in minutes.
        """
        return cls(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            name_id=row["name_id"],
            name_en=row["name_en"],
            description_id=row["description_id"],
            verify_working_days=row["verify_working_days"],
            followup_working_days=row["followup_working_days"],
            autoclose_working_days=row["autoclose_working_days"],
            urgent_verify_minutes=row["urgent_verify_minutes"],
        )


EVENT_LABELS = {
    "SUBMITTED": ("Laporan diterima", "Report received"),
    "NOTE": ("Catatan", "Note"),
    "ASSIGNMENT": ("Laporan ditugaskan", "Assigned"),
    "DISPATCH": ("Diteruskan ke instansi", "Sent to an agency"),
    "DUPLICATE_HINT": ("Kemungkinan laporan ganda", "Possible duplicate"),
    "SLA_BREACH": ("Melewati batas waktu layanan", "Service level breached"),
    "ATTACHMENT": ("Foto ditambahkan", "Photo added"),
    "FROM_SHARING": ("Dibuat dari unggahan warga", "Made from a shared post"),
    "TRANSFER": ("Dialihkan dari komando lain", "Transferred from another command"),
}


def public_actor(row: dict[str, Any], internal: bool, viewer_id: uuid.UUID | None) -> str:
    """Who did it, as this viewer may know: the reporter's own entries read "pelapor"
    (their identity is shown, audited, only through ``Report.reporter``); staff and
    integrators read "petugas" to the public; callers always see their own name."""
    name: str = row["actor_name"]
    if row["actor_id"] is not None and row["actor_id"] == viewer_id:
        return name
    data = row["data"]
    if isinstance(data, str):
        # jsonb as text (planned rows): parsed only when it can hold the flag
        data = json.loads(data) if '"by_reporter"' in data else None
    if (data or {}).get("by_reporter"):
        return "pelapor anonim" if name == "pelapor anonim" else "pelapor"
    if internal or name == "sistem":
        return name
    return "petugas"


@planned_type
@strawberry.type(description="One entry of a report's timeline.")
class ReportEvent:
    id: strawberry.ID
    kind: str
    from_status: Status | None
    to_status: Status | None
    note: str | None
    public: bool
    actor_name: str = strawberry.field(description="'petugas' for public viewers.")
    created_at: datetime
    message_id: str = strawberry.field(description="What happened, in Bahasa Indonesia.")
    message_en: str

    @classmethod
    def of(cls, row: dict[str, Any], internal: bool, viewer_id: uuid.UUID | None) -> ReportEvent:
        """A timeline entry from its ``report_events`` row, as this viewer may see it.

        The message is bilingual: a status change reads its lifecycle label, a transfer its own
        "id / en" note, other kinds ``EVENT_LABELS``. ``internal`` and ``viewer_id`` decide the
        actor's name (see :func:`public_actor`).
        """
        to_status = Status(row["to_status"]) if row["to_status"] else None
        if row["kind"] == "STATUS" and to_status is not None:
            from_status = Status(row["from_status"]) if row["from_status"] else None
            message = label(from_status, to_status)
        elif row["kind"] == "TRANSFER" and " / " in (row["note"] or ""):
            # "Dialihkan dari <command> / Transferred from <command>"
            indonesian, english = row["note"].split(" / ", 1)
            message = (indonesian, english)
        else:
            message = EVENT_LABELS.get(row["kind"], (row["kind"], row["kind"]))
        return cls(
            id=strawberry.ID(str(row["id"])),
            kind=row["kind"],
            from_status=Status(row["from_status"]) if row["from_status"] else None,
            to_status=to_status,
            note=row["note"],
            public=row["public"],
            actor_name=public_actor(row, internal, viewer_id),
            created_at=row["created_at"],
            message_id=message[0],
            message_en=message[1],
        )


@planned_type
@strawberry.type(description="A photo attached to a report.")
class Attachment:
    id: strawberry.ID
    content_type: str
    size_bytes: int
    sha256: str
    url: str = strawberry.field(description="GET with the same Authorization header.")
    created_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any], slug: str) -> Attachment:
        """An attachment from its ``report_attachments`` row; ``url`` is
        ``/t/{slug}/attachments/{id}``."""
        return cls(
            id=strawberry.ID(str(row["id"])),
            content_type=row["content_type"],
            size_bytes=row["size_bytes"],
            sha256=row["sha256"],
            url=f"/t/{slug}/attachments/{row['id']}",
            created_at=row["created_at"],
        )


@planned_type
@strawberry.type(description="A delivery of a report to an agency, as staff see it on the report.")
class ReportDispatch:
    id: strawberry.ID
    agency_id: strawberry.ID
    agency_name: str
    agency_code: str
    status: str = strawberry.field(
        description="PENDING, DELIVERING, DELIVERED, AWAITING_LIAISON, ACCEPTED, IN_PROGRESS,"
        " RESOLVED, RETURNED or DEAD (see Dispatch.status)."
    )
    outcome: str | None = strawberry.field(
        description="The agency's final answer (DONE, NOT_THEIRS, NEEDS_INFO...); null until"
        " it gives one."
    )
    created_at: datetime
    delivered_at: datetime | None
    answered_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> ReportDispatch:
        """From a ``dispatches`` row joined with its agency (``agency_name``, ``agency_code``)."""
        return cls(
            id=strawberry.ID(str(row["id"])),
            agency_id=strawberry.ID(str(row["agency_id"])),
            agency_name=row["agency_name"],
            agency_code=row["agency_code"],
            status=row["status"],
            outcome=row.get("outcome"),
            created_at=row["created_at"],
            delivered_at=row.get("delivered_at"),
            answered_at=row.get("answered_at"),
        )


@planned_type
@strawberry.type(description="An officer a report is assigned to.")
class Officer:
    id: strawberry.ID
    username: str
    full_name: str | None

    @classmethod
    def of(cls, officer_id: uuid.UUID, found: tuple[str, str | None] | None) -> Officer | None:
        """The officer from its (username, full name); None when the user is gone."""
        if found is None:
            return None
        return cls(id=strawberry.ID(str(officer_id)), username=found[0], full_name=found[1])


@strawberry.type(description="Who reported. Operators only; every read is audited.")
class Reporter:
    anonymous: bool
    username: str | None
    name: str | None
    phone: str | None


@strawberry.enum(description="How a report reached the command.")
class ReportChannel(Enum):
    API = "API"
    WEB = "WEB"
    WHATSAPP = "WHATSAPP"
    SMS = "SMS"
    OPEN311 = "OPEN311"


@planned_type
@strawberry.type(description="A public-order report (laporan / pengaduan).")
class Report:
    id: strawberry.ID
    ticket: str
    title: str
    description: str
    latitude: float
    longitude: float
    address: str | None
    occurred_at: datetime
    urgent: bool
    sos: bool = strawberry.field(description="Raised with the panic button (raiseSos).")
    status: Status
    channel: ReportChannel = strawberry.field(
        description="How the report reached the command: API, WEB (the citizen app),"
        " WHATSAPP, SMS or OPEN311."
    )
    reject_reason: str | None
    verify_due_at: datetime
    followup_due_at: datetime | None
    autoclose_at: datetime | None
    sla_breached: bool
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[dict[str, Any]]

    @classmethod
    def of(cls, row: dict[str, Any]) -> Report:
        """A report from its ``reports`` row (kept as ``row`` for the relation fields).
        ``slaBreached`` is true once the verify or the follow-up deadline has been breached.
        """
        return cls(
            id=strawberry.ID(str(row["id"])),
            ticket=row["ticket"],
            title=row["title"],
            description=row["description"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            address=row["address"],
            occurred_at=row["occurred_at"],
            urgent=row["urgent"],
            sos=bool(row.get("sos", False)),
            status=Status(row["status"]),
            channel=ReportChannel(row.get("channel") or "API"),
            reject_reason=row["reject_reason"],
            verify_due_at=row["verify_due_at"],
            followup_due_at=row["followup_due_at"],
            autoclose_at=row["autoclose_at"],
            sla_breached=bool(row["verify_breached_at"] or row["followup_breached_at"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            row=row,
        )

    @strawberry.field(graphql_type=Category)
    def category(self, info: Info[Context, None]) -> Any:
        """The report's category: from the planned row when the query planned it
        (``graphql.reports.plan``), else through the per-request category loader."""
        if "_category" in self.row:
            return Category.of(self.row["_category"])
        return self._load_category(info)

    async def _load_category(self, info: Info[Context, None]) -> Category:
        return Category.of(await loaders(info).category.load(self.row["category_id"]))

    @strawberry.field(
        description="Staff only: a possible duplicate, an open report of the same category"
        " within 200 m, submitted less than 2 hours earlier."
    )
    def duplicate_of_id(self, info: Info[Context, None]) -> strawberry.ID | None:
        """The possible duplicate's ID (set at intake: same category, 200 m, 2 hours); null when
        there is none or the viewer is not staff (cannot read all or assigned reports).
        """
        if self.row["duplicate_of"] is None or not loaders(info).internal:
            return None
        return strawberry.ID(str(self.row["duplicate_of"]))

    @strawberry.field(
        description="Staff only (null for others): located outside this command's"
        " jurisdiction, so it may belong to another command (see transferReport)."
    )
    def outside_jurisdiction(self, info: Info[Context, None]) -> bool | None:
        """True when the report lies outside this command's jurisdiction; null for non-staff
        viewers, false when the row does not say.
        """
        if not loaders(info).internal:
            return None
        return bool(self.row.get("outside_jurisdiction", False))

    @strawberry.field(
        description="Staff with privacy:requests (operators, tenant admins) only, null for"
        " others: the report's legal hold (reason, who set it, since when), null when none."
    )
    def legal_hold(self, info: Info[Context, None]) -> LegalHold | None:
        """The hold from the row's ``legal_hold_*`` columns (set by ``setLegalHold``); null
        when the report is not held or the viewer lacks ``privacy:requests``."""
        held_at = self.row.get("legal_hold_at")
        if held_at is None or not allowed(info.context, Cap.PRIVACY_REQUESTS):
            return None
        return LegalHold(
            report_id=strawberry.ID(str(self.row["id"])),
            ticket=self.row["ticket"],
            reason=self.row["legal_hold_reason"] or "",
            held_by=self.row["legal_hold_by"] or "",
            held_at=held_at,
        )

    @strawberry.field(
        description="Staff only: the officer the report is assigned to.",
        graphql_type=Officer | None,
    )
    def assigned_officer(self, info: Info[Context, None]) -> Any:
        """The assigned officer's ID, username and full name (from ``users``); null when unassigned,
        the user is gone, or the viewer is not staff. Planned or through the officer loader.
        """
        officer_id: uuid.UUID | None = self.row["assigned_officer_id"]
        if officer_id is None or not loaders(info).internal:
            return None
        if "_officer" in self.row:
            found = self.row["_officer"]
            return Officer.of(
                officer_id, (found["username"], found["full_name"]) if found else None
            )
        return self._load_officer(info, officer_id)

    async def _load_officer(
        self, info: Info[Context, None], officer_id: uuid.UUID
    ) -> Officer | None:
        return Officer.of(officer_id, await loaders(info).officer.load(officer_id))

    @strawberry.field(description="Staff only: the unit the report is assigned to.")
    async def assigned_unit(
        self, info: Info[Context, None]
    ) -> Annotated[Unit, strawberry.lazy("jogo.graphql.units.types")] | None:
        """The assigned unit; null when unassigned, the unit is gone, or the viewer is not staff."""
        from jogo.graphql.units.types import Unit, unit_loaders

        unit_id: uuid.UUID | None = self.row["assigned_unit_id"]
        if unit_id is None or not loaders(info).internal:
            return None
        found = await unit_loaders(info.context).unit.load(unit_id)
        return Unit.of(found) if found else None

    @strawberry.field(
        description="The newest timeline entry this caller may see.",
        graphql_type=ReportEvent | None,
    )
    def last_event(self, info: Info[Context, None]) -> Any:
        """The newest timeline entry the viewer may see (public ones only for non-staff),
        or null. Planned or through the last-event loader."""
        view = loaders(info)
        if "_last_event" in self.row:
            row = self.row["_last_event"]
            return ReportEvent.of(row, view.internal, view.user_id) if row else None
        return self._load_last_event(info)

    async def _load_last_event(self, info: Info[Context, None]) -> ReportEvent | None:
        view = loaders(info)
        row = await view.last_event.load(self.row["id"])
        return ReportEvent.of(row, view.internal, view.user_id) if row else None

    @strawberry.field(
        description="Public entries for reporters; all entries for staff.",
        graphql_type=list[ReportEvent],
    )
    def timeline(self, info: Info[Context, None]) -> Any:
        """The timeline, oldest first (``created_at``, then id): every entry for staff, only
        public entries for the others. Planned or through the timeline loader.
        """
        view = loaders(info)
        if "_timeline" in self.row:
            return [ReportEvent.of(r, view.internal, view.user_id) for r in self.row["_timeline"]]
        return self._load_timeline(info)

    async def _load_timeline(self, info: Info[Context, None]) -> list[ReportEvent]:
        view = loaders(info)
        rows = await view.timeline.load(self.row["id"])
        return [ReportEvent.of(r, view.internal, view.user_id) for r in rows]

    @strawberry.field(graphql_type=list[Attachment])
    def attachments(self, info: Info[Context, None]) -> Any:
        """The report's photos, oldest first, each with its download path
        ``/t/{slug}/attachments/{id}``, size in bytes and SHA-256. Planned or through the
        attachments loader.
        """
        slug = info.context.require_tenant().slug
        if "_attachments" in self.row:
            return [Attachment.of(a, slug) for a in self.row["_attachments"]]
        return self._load_attachments(info, slug)

    async def _load_attachments(self, info: Info[Context, None], slug: str) -> list[Attachment]:
        rows = await loaders(info).attachments.load(self.row["id"])
        return [Attachment.of(a, slug) for a in rows]

    @strawberry.field(
        description="Staff only (null for others): the newest delivery of this report to an"
        " agency, with the agency's name.",
        graphql_type=ReportDispatch | None,
    )
    def latest_dispatch(self, info: Info[Context, None]) -> Any:
        """The newest dispatch (by ``created_at``, then id) with its agency; null when there is
        none or the viewer is not staff. Planned or through the dispatches loader."""
        if not loaders(info).internal:
            return None
        if "_latest_dispatch" in self.row:
            found = self.row["_latest_dispatch"]
            return ReportDispatch.of(found) if found else None
        return self._load_latest_dispatch(info)

    async def _load_latest_dispatch(self, info: Info[Context, None]) -> ReportDispatch | None:
        rows = await loaders(info).dispatches.load(self.row["id"])
        return ReportDispatch.of(rows[-1]) if rows else None

    @strawberry.field(
        description="Staff only (empty for others): the deliveries of this report to"
        " agencies, oldest first.",
        graphql_type=list[ReportDispatch],
    )
    def dispatches(self, info: Info[Context, None]) -> Any:
        """Every dispatch of the report, oldest first (``created_at``, then id), with the
        agency's name and code, delivery status and the agency's outcome; empty for
        viewers who are not staff. Planned or through the dispatches loader."""
        if not loaders(info).internal:
            return []
        if "_dispatches" in self.row:
            return [ReportDispatch.of(d) for d in self.row["_dispatches"]]
        return self._load_dispatches(info)

    async def _load_dispatches(self, info: Info[Context, None]) -> list[ReportDispatch]:
        return [ReportDispatch.of(d) for d in await loaders(info).dispatches.load(self.row["id"])]

    @strawberry.field(
        description="Police staff: ONLINE cameras within 500 m, nearest first (facilities module).",
        permission_classes=[requires(Cap.CAMERAS_READ)],
    )
    async def nearby_cameras(self, info: Info[Context, None]) -> list[Camera] | None:
        """ONLINE, active cameras seen in the last 10 minutes within 500 m of the report, nearest
        first; empty when the tenant has no facilities module. Needs ``CAMERAS_READ`` (null and
        ``FORBIDDEN``/``UNAUTHENTICATED`` at this field otherwise).
        """
        if "facilities" not in info.context.require_tenant().modules:
            return []
        return [Camera.of(r) for r in await loaders(info).cameras.load(self.row["id"])]

    @strawberry.field(
        description="Who reported: operators only, every read audited. Refused alone: the"
        " report and its other fields stay.",
        permission_classes=[requires(Cap.REPORTER_IDENTITY)],
    )
    async def reporter(self, info: Info[Context, None]) -> Reporter | None:
        """Who reported: the anonymous flag, the account's username, name and phone. Needs
        ``REPORTER_IDENTITY`` (null and a typed error at this field otherwise); every read writes
        a ``report.reporter_identity.read`` audit row, batched per request.
        """
        await loaders(info).identity_audit.load(self.row["ticket"])
        username = None
        if self.row["reporter_user_id"] is not None:
            found = await loaders(info).officer.load(self.row["reporter_user_id"])
            username = found[0] if found else None
        return Reporter(
            anonymous=self.row["anonymous"],
            username=username,
            name=self.row["reporter_name"],
            phone=self.row["reporter_phone"],
        )


@planned_type
@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    start_cursor: str | None


@planned_type
@strawberry.type
class ReportEdge:
    cursor: str
    node: Report


@strawberry.type(name="TrackedReport", description="What an anonymous reporter sees.")
class TrackedReport:
    ticket: str
    title: str
    status: Status
    created_at: datetime
    updated_at: datetime
    category_code: str
    timeline: list[ReportEvent]
    command_slug: str = strawberry.field(
        description="The command handling it now: another one after a transfer."
    )
    command_name: str
