"""Types of data-subject requests, legal holds, deadlines and retention."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from jogo.graphql.errors import UserError
from jogo.tenants.privacy.deadlines import Deadline
from jogo.tenants.privacy.retention import Rule


@strawberry.enum(description="A data-subject right (UU PDP Pasal 6, 7, 8, 12).")
class DataSubjectRight(Enum):
    ACCESS = "ACCESS"
    CORRECTION = "CORRECTION"
    ERASURE = "ERASURE"
    RESTRICTION = "RESTRICTION"


@strawberry.enum
class DataSubjectRequestStatus(Enum):
    RECEIVED = "RECEIVED"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    REFUSED = "REFUSED"


@strawberry.enum
class RetentionCategory(Enum):
    REPORTER_IDENTITY = "REPORTER_IDENTITY"
    REPORT_PHOTOS = "REPORT_PHOTOS"
    NOTIFICATIONS = "NOTIFICATIONS"
    WEBHOOK_DELIVERIES = "WEBHOOK_DELIVERIES"


@strawberry.type(description="One step of a request: who, what, when.")
class DataSubjectRequestStep:
    at: datetime
    actor: str = strawberry.field(description="A staff username, or 'subject' for the person.")
    step: str
    note: str | None


@strawberry.type(description="What a command holds about one person, made when read.")
class DataSubjectExport:
    data: JSON = strawberry.field(
        description="account, reports (timeline, photos), notification_channels,"
        " notifications, consents, identity_reads, requests, restrictions."
    )
    html: str = strawberry.field(description="The same as one HTML page (id, en).")


@strawberry.type(description="A person's request about their data, with its deadline.")
class DataSubjectRequest:
    id: strawberry.ID
    subject_id: strawberry.ID
    right: DataSubjectRight
    status: DataSubjectRequestStatus
    made_by: str = strawberry.field(description="SELF or OPERATOR.")
    identity_check: str | None = strawberry.field(
        description="How an operator checked who the person is."
    )
    refusal_reason: str | None
    received_at: datetime
    due_at: datetime
    done_at: datetime | None
    overdue: bool
    log: list[DataSubjectRequestStep]

    @classmethod
    def of(
        cls, row: dict[str, Any], log: list[dict[str, Any]], now: datetime
    ) -> DataSubjectRequest:
        """From a request row and its log rows."""
        return cls(
            id=strawberry.ID(str(row["id"])),
            subject_id=strawberry.ID(str(row["subject_user_id"])),
            right=DataSubjectRight(row["request_right"]),
            status=DataSubjectRequestStatus(row["status"]),
            made_by=row["made_by"],
            identity_check=row["identity_check"],
            refusal_reason=row["refusal_reason"],
            received_at=row["received_at"],
            due_at=row["due_at"],
            done_at=row["done_at"],
            overdue=row["status"] in ("RECEIVED", "IN_PROGRESS") and row["due_at"] < now,
            log=[
                DataSubjectRequestStep(at=s["at"], actor=s["actor"], step=s["step"], note=s["note"])
                for s in log
            ],
        )


@strawberry.type(description="A right's deadline at this command (hours).")
class PrivacyDeadline:
    right: DataSubjectRight
    hours: int
    default_hours: int
    changed: bool
    legal_basis: str

    @classmethod
    def of(cls, d: Deadline) -> PrivacyDeadline:
        """From the domain's deadline."""
        return cls(
            right=DataSubjectRight(d.right),
            hours=d.hours,
            default_hours=d.default_hours,
            changed=d.changed,
            legal_basis=d.legal_basis,
        )


@strawberry.type(description="How long a category of personal data is kept (days).")
class RetentionRule:
    category: RetentionCategory
    days: int
    default_days: int
    changed: bool

    @classmethod
    def of(cls, r: Rule) -> RetentionRule:
        """From the domain's rule."""
        return cls(
            category=RetentionCategory(r.category),
            days=r.days,
            default_days=r.default_days,
            changed=r.changed,
        )


@strawberry.type(description="What one retention run did.")
class RetentionRun:
    id: strawberry.ID
    as_of: datetime
    started_at: datetime
    finished_at: datetime
    counts: JSON = strawberry.field(
        description="identities, photo_reports, photo_files, notifications,"
        " webhook_deliveries, held, rules."
    )


@strawberry.type(description="A report under a legal hold.")
class LegalHold:
    report_id: strawberry.ID
    ticket: str
    reason: str
    held_by: str
    held_at: datetime


@strawberry.input
class DataSubjectRequestInput:
    right: DataSubjectRight
    full_name: str | None = strawberry.field(default=None, description="CORRECTION only.")
    phone: str | None = strawberry.field(default=None, description="CORRECTION only.")


@strawberry.input
class RecordDataSubjectRequestInput:
    subject_phone: str = strawberry.field(description="The person's phone (their account).")
    right: DataSubjectRight
    identity_check: str = strawberry.field(
        description="How their identity was checked, e.g. 'KTP dicocokkan di SPKT'."
    )
    full_name: str | None = strawberry.field(default=None, description="CORRECTION only.")
    phone: str | None = strawberry.field(default=None, description="CORRECTION only.")


@strawberry.type
class DataSubjectRequestPayload:
    request: DataSubjectRequest | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LegalHoldPayload:
    ticket: str | None = None
    held: bool | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PrivacyDeadlinePayload:
    deadline: PrivacyDeadline | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RetentionRulePayload:
    rule: RetentionRule | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
