from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.file_uploads import Upload

from jogo.graphql.idempotency import CLIENT_KEY
from jogo.graphql.notifications.types import NotifyInput
from jogo.tenants.reports.lifecycle import Status


@strawberry.input(description="A new report. Anonymous reports get a tracking PIN, shown once.")
class SubmitReportInput:
    category_code: str
    title: str = strawberry.field(description="5-200 characters.")
    description: str = strawberry.field(description="10-5000 characters.")
    latitude: float = strawberry.field(description="Inside Indonesia: 6°N to 11°S.")
    longitude: float = strawberry.field(description="Inside Indonesia: 95°E to 141°E.")
    address: str | None = None
    occurred_at: datetime | None = strawberry.field(
        default=None,
        description="When it happened; default now. Not in the future. Without an offset,"
        " read in the tenant's time zone.",
    )
    anonymous: bool = False
    reporter_name: str | None = None
    reporter_phone: str | None = strawberry.field(
        default=None,
        description="A valid Indonesian number (libphonenumber), e.g. 0812 3456 7890 or"
        " +62 812 3456 7890; kept as E.164 (+6281234567890).",
    )
    urgent: bool = False
    photos: list[Upload] | None = strawberry.field(
        default=None,
        description=(
            "Up to 5 JPEG, PNG, WebP or HEIC photos, 10 MB and 50 megapixels each"
            " (multipart). Stored cleaned: upright, without EXIF/GPS, XMP or IPTC, re-encoded"
            " as JPEG (PNG or transparent images: PNG)."
        ),
    )
    polling_station_code: str | None = strawberry.field(
        default=None,
        description="The 13-digit TPS code an election incident is about (election module).",
    )
    client_key: str | None = strawberry.field(default=None, description=CLIENT_KEY)
    notify: NotifyInput | None = strawberry.field(
        default=None,
        description="Optional: where to tell the reporter (an anonymous one above all) when"
        " the report's status changes or the officers write to them. Checked before the"
        " report is made (errors on notify.channel, notify.address, notify.locale)."
        " Enabling notifications is consent to them: noticeVersion must be the version in"
        " force, else the report is filed without the channel and errors holds"
        " CONSENT_REQUIRED on notify beside it.",
    )
    notice_version: str | None = strawberry.field(
        default=None,
        description="The version of the command's privacy notice (privacyNotice.version)"
        " the client showed before the report; recorded on the report ('unknown' when"
        " none). Never a reason to refuse a report.",
    )


@strawberry.input
class BoundingBoxInput:
    south: float
    west: float
    north: float
    east: float


@strawberry.input(description="Every field narrows the list; all are optional.")
class ReportFilterInput:
    statuses: list[Status] | None = None
    category_codes: list[str] | None = None
    created_from: datetime | None = strawberry.field(
        default=None,
        description="Created at or after this moment. Without an offset, read in the"
        " tenant's time zone; a date alone (2026-11-30) from the start of that day there.",
    )
    created_to: datetime | None = strawberry.field(
        default=None,
        description="Created before this moment. Without an offset, read in the tenant's"
        " time zone; a date alone (2026-11-30) includes that whole day there.",
    )
    bbox: BoundingBoxInput | None = None
    urgent: bool | None = None
    sla_breached: bool | None = None
    outside_jurisdiction: bool | None = strawberry.field(
        default=None,
        description="Reports located outside (true) or inside (false) this command's"
        " jurisdiction, as flagged at submit and whenever the jurisdiction changes.",
    )
    text: str | None = strawberry.field(
        default=None, description="Words in title, description or address, or a ticket."
    )


@strawberry.enum
class ReportSortField(Enum):
    CREATED_AT = "CREATED_AT"
    OCCURRED_AT = "OCCURRED_AT"
    UPDATED_AT = "UPDATED_AT"
    VERIFY_DUE_AT = "VERIFY_DUE_AT"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class ReportOrderInput:
    field: ReportSortField = ReportSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC
