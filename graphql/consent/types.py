"""Types of the privacy notice and of a person's consents."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from jogo.graphql.core.types import PrivacyNotice
from jogo.graphql.errors import UserError
from jogo.tenants.consent.purposes import Purpose
from jogo.tenants.consent.queries import MyConsent


@strawberry.enum(
    description="Why personal data is collected: REPORT (a report to the police), SIGN_UP"
    " (an account by phone), NOTIFICATIONS (news of one's reports), SHARING (posts shared"
    " with the public)."
)
class ConsentPurpose(Enum):
    REPORT = "report"
    SIGN_UP = "sign_up"
    NOTIFICATIONS = "notifications"
    SHARING = "sharing"


@strawberry.enum(
    description="The lawful basis of a purpose (UU PDP No. 27/2022, Pasal 20 ayat (2)):"
    " CONSENT (a), LEGAL_OBLIGATION (c), VITAL_INTEREST (d), PUBLIC_TASK (e: a task in the"
    " public interest or the exercise of official authority under the law)."
)
class LawfulBasis(Enum):
    CONSENT = "consent"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTEREST = "vital_interest"
    PUBLIC_TASK = "public_task"


@strawberry.type(description="A purpose and the lawful basis recorded for it.")
class PrivacyPurpose:
    purpose: ConsentPurpose
    lawful_basis: LawfulBasis = strawberry.field(description="The primary basis.")
    articles: list[str] = strawberry.field(
        description="The points of UU PDP Pasal 20 ayat (2) it rests on, e.g. '20(2)(e)'."
    )
    withdrawable: bool = strawberry.field(
        description="Whether a person may withdraw consent for it (withdrawConsent)."
    )

    @classmethod
    def of(cls, purpose: Purpose) -> PrivacyPurpose:
        """From a :class:`~jogo.tenants.consent.purposes.Purpose`."""
        return cls(
            purpose=ConsentPurpose(purpose.name),
            lawful_basis=LawfulBasis(purpose.basis),
            articles=list(purpose.articles),
            withdrawable=purpose.withdrawable,
        )


@strawberry.type(description="One of the signed-in person's consents at this command.")
class Consent:
    purpose: ConsentPurpose
    lawful_basis: LawfulBasis
    withdrawable: bool
    notice_version: str | None = strawberry.field(
        description="The notice version it was given under (null: never given; REPORT: its"
        " basis is not consent)."
    )
    given_at: datetime | None
    withdrawn_at: datetime | None
    live: bool | None = strawberry.field(description="Given and not withdrawn (null for REPORT).")

    @classmethod
    def of(cls, row: MyConsent) -> Consent:
        """From a :class:`~jogo.tenants.consent.queries.MyConsent`."""
        return cls(
            purpose=ConsentPurpose(row.purpose.name),
            lawful_basis=LawfulBasis(row.purpose.basis),
            withdrawable=row.purpose.withdrawable,
            notice_version=row.notice_version,
            given_at=row.given_at,
            withdrawn_at=row.withdrawn_at,
            live=row.live,
        )


@strawberry.input(description="A new version of the command's privacy notice.")
class PublishPrivacyNoticeInput:
    version: str = strawberry.field(
        description="Its label: 1-32 letters, digits, dots, underscores or hyphens, new at"
        " this command (e.g. 2027-03-01)."
    )
    text_id: str = strawberry.field(
        description="Bahasa Indonesia, the text of record (50-20000 characters; start from"
        " privacyNoticeTemplate). '{version}' becomes the label."
    )
    text_en: str = strawberry.field(description="English, beside it (50-20000 characters).")


@strawberry.type
class PrivacyNoticePayload:
    notice: PrivacyNotice | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConsentPayload:
    consent: Consent | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
