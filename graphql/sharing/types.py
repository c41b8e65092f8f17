from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from jogo.graphql.errors import UserError
from jogo.graphql.reports.inputs import CLIENT_KEY
from jogo.graphql.reports.types import PageInfo


@strawberry.enum(description="Only APPROVED posts are public.")
class SharedPostStatus(Enum):
    PENDING = "PENDING"
    HELD = "HELD"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


STATUS_LABELS = {
    "PENDING": ("Menunggu moderasi", "Awaiting moderation"),
    "HELD": ("Ditahan: berisi tautan atau nomor telepon", "Held: contains a link or phone"),
    "APPROVED": ("Ditampilkan", "Published"),
    "REJECTED": ("Ditolak", "Rejected"),
}


@strawberry.type(description="A citizen's situational post. Authors are never named.")
class SharedPost:
    id: strawberry.ID
    body: str
    latitude: float | None
    longitude: float | None
    photo_url: str | None = strawberry.field(description="Same visibility as the post.")
    created_at: datetime
    status: SharedPostStatus
    status_label: str = strawberry.field(description="Bahasa Indonesia.")
    status_label_en: str
    hold_reasons: list[str] = strawberry.field(
        description="LINK, PHONE: why it waits for an explicit decision (author, moderators)."
    )
    rejection_reason: str | None = strawberry.field(description="Author and moderators only.")
    report_id: strawberry.ID | None = strawberry.field(description="Moderators only.")
    mine: bool

    @classmethod
    def of(
        cls, row: dict[str, Any], slug: str, viewer_id: uuid.UUID | None, moderator: bool
    ) -> SharedPost:
        """A post from its ``shared_posts`` row as this viewer may see it: hold and rejection
        reasons only for its author or a moderator, the report it became only for a moderator;
        the photo as ``/t/{slug}/shared-posts/{id}/photo``.
        """
        mine = viewer_id is not None and row["author_user_id"] == viewer_id
        private = mine or moderator
        label, label_en = STATUS_LABELS[row["status"]]
        return cls(
            id=strawberry.ID(str(row["id"])),
            body=row["body"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            photo_url=f"/t/{slug}/shared-posts/{row['id']}/photo" if row["photo_key"] else None,
            created_at=row["created_at"],
            status=SharedPostStatus(row["status"]),
            status_label=label,
            status_label_en=label_en,
            hold_reasons=list(row["hold_reasons"]) if private else [],
            rejection_reason=row["rejection_reason"] if private else None,
            report_id=strawberry.ID(str(row["report_id"]))
            if moderator and row["report_id"]
            else None,
            mine=mine,
        )


@strawberry.type
class SharedPostEdge:
    cursor: str
    node: SharedPost


@strawberry.type
class SharedPostConnection:
    edges: list[SharedPostEdge]
    page_info: PageInfo


@strawberry.input
class SharePostInput:
    body: str
    latitude: float | None = None
    longitude: float | None = None
    photo: Upload | None = strawberry.field(
        default=None,
        description=(
            "One JPEG, PNG, WebP or HEIC photo, 10 MB and 50 megapixels at most (multipart)."
            " Stored cleaned: upright, without EXIF/GPS, XMP or IPTC, re-encoded as JPEG (PNG or"
            " transparent images: PNG)."
        ),
    )
    client_key: str | None = strawberry.field(default=None, description=CLIENT_KEY)
    notice_version: str | None = strawberry.field(
        default=None,
        description="The version of the command's privacy notice (privacyNotice.version)"
        " the author was shown: sharing is consented to. Needed unless their live consent"
        " to sharing is to the version in force; else CONSENT_REQUIRED.",
    )


@strawberry.input
class ConvertPostInput:
    category_code: str
    title: str
    latitude: float | None = strawberry.field(default=None, description="Default: the post's.")
    longitude: float | None = None
    urgent: bool = False


@strawberry.type
class SharedPostPayload:
    post: SharedPost | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
