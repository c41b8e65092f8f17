from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.facilities.types import Camera
from jogo.graphql.permissions import requires
from jogo.platform.auth.roles import Cap
from jogo.tenants.reports.lifecycle import Status, label

if TYPE_CHECKING:
    from jogo.graphql.reports.dataloaders import ReportLoaders
    from jogo.graphql.units.types import Unit


def loaders(info: Info[Context, None]) -> ReportLoaders:
    """This request's report DataLoaders and viewer (built once per request)."""
    from jogo.graphql.reports.dataloaders import report_loaders

    return report_loaders(info.context)


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
        data = json.loads(data)
    if (data or {}).get("by_reporter"):
        return "pelapor anonim" if name == "pelapor anonim" else "pelapor"
    if internal or name == "sistem":
        return name
    return "petugas"


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


@strawberry.type(description="A photo attached to a report.")
class Attachment:
    id: strawberry.ID
    content_type: str
    size_bytes: int
    sha256: str
    url: str = strawberry.field(description="GET with the same Authorization header.")
    created_at: datetime


@strawberry.type(description="An officer a report is assigned to.")
class Officer:
    id: strawberry.ID
    username: str
    full_name: str | None


@strawberry.type(description="Who reported. Operators only; every read is audited.")
class Reporter:
    anonymous: bool
    username: str | None
    name: str | None
    phone: str | None


@strawberry.enum(description="How a report came in.")
class ReportChannel(Enum):
    API = "API"
    WEB = "WEB"
    WHATSAPP = "WHATSAPP"
    SMS = "SMS"
    OPEN311 = "OPEN311"


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
            reject_reason=row["reject_reason"],
            verify_due_at=row["verify_due_at"],
            followup_due_at=row["followup_due_at"],
            autoclose_at=row["autoclose_at"],
            sla_breached=bool(row["verify_breached_at"] or row["followup_breached_at"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            row=row,
        )

    @strawberry.field
    async def category(self, info: Info[Context, None]) -> Category:
        """The report's category, batched through the per-request category loader."""
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
        description="Staff only (null for others): how the report came in: API, WEB (the"
        " citizen app), WHATSAPP, SMS or OPEN311."
    )
    def channel(self, info: Info[Context, None]) -> ReportChannel | None:
        """The intake channel of the report (``reports.channel``); null for non-staff viewers."""
        if not loaders(info).internal:
            return None
        return ReportChannel(self.row.get("channel") or "API")

    @strawberry.field(description="Staff only: the officer the report is assigned to.")
    async def assigned_officer(self, info: Info[Context, None]) -> Officer | None:
        """The assigned officer's ID, username and full name (from ``users``); null when unassigned,
        the user is gone, or the viewer is not staff.
        """
        officer_id: uuid.UUID | None = self.row["assigned_officer_id"]
        if officer_id is None or not loaders(info).internal:
            return None
        found = await loaders(info).officer.load(officer_id)
        if found is None:
            return None
        return Officer(id=strawberry.ID(str(officer_id)), username=found[0], full_name=found[1])

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

    @strawberry.field(description="The newest timeline entry this caller may see.")
    async def last_event(self, info: Info[Context, None]) -> ReportEvent | None:
        """The newest timeline entry the viewer may see (public ones only for non-staff),
        or null."""
        view = loaders(info)
        row = await view.last_event.load(self.row["id"])
        return ReportEvent.of(row, view.internal, view.user_id) if row else None

    @strawberry.field(description="Public entries for reporters; all entries for staff.")
    async def timeline(self, info: Info[Context, None]) -> list[ReportEvent]:
        """The timeline, oldest first (``created_at``, then id): every entry for staff, only
        public entries for the others.
        """
        view = loaders(info)
        rows = await view.timeline.load(self.row["id"])
        return [ReportEvent.of(r, view.internal, view.user_id) for r in rows]

    @strawberry.field
    async def attachments(self, info: Info[Context, None]) -> list[Attachment]:
        """The report's photos, oldest first, each with its download path
        ``/t/{slug}/attachments/{id}``, size in bytes and SHA-256.
        """
        slug = info.context.require_tenant().slug
        rows = await loaders(info).attachments.load(self.row["id"])
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


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    start_cursor: str | None


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
