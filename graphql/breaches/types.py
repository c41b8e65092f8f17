"""GraphQL types of the breach register (tenant) and of its national view (counts and
clocks, no free text, no person)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

import strawberry

from jogo.graphql.errors import UserError
from jogo.platform.registry import TenantInfo
from jogo.tenants.breaches import clock, notices
from jogo.tenants.breaches.vocab import DATA_CATEGORIES, SUBJECT_CATEGORIES


@strawberry.enum(
    description="Kinds of personal data an incident touched (a closed list): "
    + "; ".join(f"{k}: {en}" for k, (_, en) in DATA_CATEGORIES.items())
)
class BreachDataCategory(Enum):
    IDENTITY = "IDENTITY"
    CONTACT = "CONTACT"
    LOCATION = "LOCATION"
    REPORT_CONTENT = "REPORT_CONTENT"
    PHOTOS = "PHOTOS"
    ACCOUNT = "ACCOUNT"
    COMMUNICATIONS = "COMMUNICATIONS"
    SPECIFIC = "SPECIFIC"


@strawberry.enum(
    description="Whose data an incident touched (a closed list): "
    + "; ".join(f"{k}: {en}" for k, (_, en) in SUBJECT_CATEGORIES.items())
)
class BreachSubjectCategory(Enum):
    REPORTERS = "REPORTERS"
    CITIZEN_ACCOUNTS = "CITIZEN_ACCOUNTS"
    THIRD_PARTIES = "THIRD_PARTIES"
    STAFF = "STAFF"
    AGENCY_CONTACTS = "AGENCY_CONTACTS"


# The enums are the vocabularies (tenants/breaches/vocab.py), in the same order.
assert [m.value for m in BreachDataCategory] == list(DATA_CATEGORIES)
assert [m.value for m in BreachSubjectCategory] == list(SUBJECT_CATEGORIES)


@strawberry.enum(description="Who was notified of an incident (UU PDP Pasal 46 ayat 1).")
class BreachRecipient(Enum):
    SUBJECTS = "SUBJECTS"
    AUTHORITY = "AUTHORITY"


@strawberry.type(description="A notice text, Bahasa Indonesia and English.")
class BreachNotice:
    text_id: str
    text_en: str


@strawberry.type(description="One escalation of a running clock, recorded once.")
class BreachEscalation:
    level: int = strawberry.field(description="1 at 24 h, 2 at 48 h, 3 at 66 h, 4 at 72 h.")
    threshold_hours: int
    at: datetime = strawberry.field(description="When the sweep recorded it.")
    notified: int = strawberry.field(description="Messages queued to the tenant admins.")


def _codes(enum: Any, values: list[str]) -> list[Any]:
    return [enum(v) for v in values if v in enum.__members__]


@strawberry.type(description="An incident of the command's breach register.")
class Breach:
    id: strawberry.ID
    reference: str = strawberry.field(description="Short reference for letters: PDP-XXXXXXXX.")
    title: str
    description: str = strawberry.field(description="What happened.")
    data_categories: list[BreachDataCategory]
    subject_categories: list[BreachSubjectCategory]
    subjects_estimate: int = strawberry.field(description="How many people, estimated.")
    occurred_at: datetime | None
    found_at: datetime = strawberry.field(description="When found: the clock starts here.")
    due_at: datetime = strawberry.field(description="foundAt + 72 hours (3 x 24 jam).")
    measures: str = strawberry.field(description="Measures taken (handling and recovery).")
    subjects_notified_at: datetime | None
    subjects_notified_by: str | None
    authority_notified_at: datetime | None
    authority_notified_by: str | None
    authority_reference: str | None
    escalation_level: int = strawberry.field(description="The highest escalation so far (0-4).")
    open: bool = strawberry.field(description="A notification is still to be recorded.")
    overdue: bool = strawberry.field(
        description="A notification is missing past dueAt, or was recorded after it."
    )
    escalations: list[BreachEscalation]
    recorded_by: str
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[dict[str, Any]]
    tenant: strawberry.Private[TenantInfo]

    @strawberry.field(description="The notice to the data subjects, filled from the incident.")
    def subjects_notice(self) -> BreachNotice:
        """Pasal 46 ayat (2): the data disclosed, when and how, the measures."""
        n = notices.subjects_notice(self.row, self.tenant)
        return BreachNotice(text_id=n.text_id, text_en=n.text_en)

    @strawberry.field(description="The notice to the authority, filled from the incident.")
    def authority_notice(self) -> BreachNotice:
        """As the subjects' notice, with the number of people and the clock."""
        n = notices.authority_notice(self.row, self.tenant)
        return BreachNotice(text_id=n.text_id, text_en=n.text_en)

    @classmethod
    def of(cls, row: dict[str, Any], tenant: TenantInfo) -> Breach:
        """The type of a row of :mod:`jogo.tenants.breaches.queries`."""
        now = datetime.now(UTC)
        return cls(
            id=strawberry.ID(str(row["id"])),
            reference=notices.reference(row["id"]),
            title=row["title"],
            description=row["description"],
            data_categories=_codes(BreachDataCategory, row["data_categories"]),
            subject_categories=_codes(BreachSubjectCategory, row["subject_categories"]),
            subjects_estimate=row["subjects_estimate"],
            occurred_at=row["occurred_at"],
            found_at=row["found_at"],
            due_at=row["due_at"],
            measures=row["measures"],
            subjects_notified_at=row["subjects_notified_at"],
            subjects_notified_by=row["subjects_notified_by"],
            authority_notified_at=row["authority_notified_at"],
            authority_notified_by=row["authority_notified_by"],
            authority_reference=row["authority_reference"],
            escalation_level=row["escalation_level"],
            open=clock.is_open(row),
            overdue=clock.is_overdue(row, now),
            escalations=[
                BreachEscalation(
                    level=e["level"],
                    threshold_hours=e["threshold_hours"],
                    at=e["at"],
                    notified=e["notified"],
                )
                for e in row["escalations"]
            ],
            recorded_by=row["recorded_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            row=row,
            tenant=tenant,
        )


@strawberry.input(description="An incident as the command records it.")
class RecordBreachInput:
    title: str = strawberry.field(description="A short name, 3-200 characters.")
    description: str = strawberry.field(description="What happened, 1-4000 characters.")
    data_categories: list[BreachDataCategory]
    subject_categories: list[BreachSubjectCategory]
    subjects_estimate: int = strawberry.field(description="How many people, estimated (>= 0).")
    found_at: datetime = strawberry.field(
        description="When the command found it (the clock starts here); not in the future."
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it occurred, if known; not after foundAt."
    )
    measures: str | None = strawberry.field(
        default=None, description="Measures taken so far, at most 4000 characters."
    )


@strawberry.input(description="What to amend; foundAt cannot be (it started the clock).")
class UpdateBreachInput:
    title: str | None = None
    description: str | None = None
    data_categories: list[BreachDataCategory] | None = None
    subject_categories: list[BreachSubjectCategory] | None = None
    subjects_estimate: int | None = None
    occurred_at: datetime | None = None
    measures: str | None = None


@strawberry.type
class BreachPayload:
    breach: Breach | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="One command's incidents in the window, and its running clocks.")
class BreachTenantCounts:
    tenant_slug: str
    tenant_name: str
    polda_code: str
    total: int = strawberry.field(description="Incidents listed (found in the window or open).")
    open: int = strawberry.field(description="A notification still to be recorded.")
    overdue: int = strawberry.field(description="Missing past the deadline, or made late.")
    highest_level: int = strawberry.field(description="The highest escalation level (0-4).")


@strawberry.type(
    description="One incident's clock, as national oversight sees it: no text, no person."
)
class BreachClock:
    tenant_slug: str
    reference: str
    found_at: datetime
    due_at: datetime
    subjects_notified_at: datetime | None
    authority_notified_at: datetime | None
    escalation_level: int
    open: bool
    overdue: bool
    data_categories: list[BreachDataCategory]
    subject_categories: list[BreachSubjectCategory]
    subjects_estimate: int


@strawberry.type(description="Breach registers across the commands the caller may see.")
class BreachOversight:
    tenants: list[BreachTenantCounts]
    clocks: list[BreachClock] = strawberry.field(
        description="Open clocks and the window's incidents, soonest due first (at most 1000)."
    )
