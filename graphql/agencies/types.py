from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError
from jogo.platform.urls import without_credentials
from jogo.tenants.agencies.outcomes import Outcome

if TYPE_CHECKING:
    from jogo.graphql.agencies.inbox import DispatchedReport


@strawberry.type(description="Someone to call at an agency.")
class Contact:
    name: str
    role: str | None
    phone: str | None
    email: str | None


@strawberry.type(description="A city agency (dinas), hospital, CCTV operator or utility.")
class Agency:
    id: strawberry.ID
    code: str
    name: str
    kind: str = strawberry.field(description="dinas, hospital, cctv_operator, utility or other.")
    address: str | None
    latitude: float | None
    longitude: float | None
    phone: str | None
    email: str | None
    contacts: list[Contact]
    connector: str = strawberry.field(description="manual, webhook or open311.")
    endpoint_url: str | None
    has_secret: bool = strawberry.field(description="Secrets are stored encrypted, never shown.")
    service_codes: strawberry.scalars.JSON = strawberry.field(
        description="Open311: category code → service code."
    )
    is_active: bool
    is_sample: bool = strawberry.field(
        description="Seeded sample data the command has not confirmed yet."
    )
    jurisdiction_id: str | None = strawberry.field(
        default=None,
        description="Open311: the jurisdiction_id sent on every request, for servers that"
        " host several jurisdictions.",
    )
    role: str | None = strawberry.field(
        default=None,
        description="The kind of agency it is (transport, fire, hospital ...): categories"
        " name the role that handles them.",
    )
    deactivated_at: datetime | None = strawberry.field(
        default=None, description="When it was deactivated; null while active."
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> Agency:
        """An agency from its ``agencies`` row: credentials stripped from the endpoint URL, the
        secret only as ``hasSecret``, contacts and service codes decoded from JSON.
        """
        contacts = _json(row.get("contacts"), [])
        return cls(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            address=row["address"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            phone=row["phone"],
            email=row["email"],
            contacts=[
                Contact(
                    name=c.get("name", ""),
                    role=c.get("role"),
                    phone=c.get("phone"),
                    email=c.get("email"),
                )
                for c in contacts
            ],
            connector=row["connector"],
            endpoint_url=without_credentials(row["endpoint_url"]),
            has_secret=row["secret_enc"] is not None,
            service_codes=_json(row.get("service_codes"), {}),
            is_active=row["is_active"],
            is_sample=row["is_sample"],
            jurisdiction_id=row.get("jurisdiction_id"),
            role=row.get("role"),
            deactivated_at=row.get("deactivated_at"),
        )


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    return json.loads(value) if isinstance(value, str) else value


# Registered on the domain's enum, as ReportStatus is (graphql/reports/__init__.py).
strawberry.enum(
    Outcome,
    name="AgencyOutcome",
    description="An agency's final answer. Only DONE resolves the report; the others hand it"
    " back to the operators. NOT_THEIRS: another agency's job or jurisdiction; NEEDS_INFO:"
    " the agency needs more information.",
)


@strawberry.type(description="One delivery of a report to an agency.")
class Dispatch:
    id: strawberry.ID
    report_id: strawberry.ID
    agency_id: strawberry.ID
    agency_name: str
    connector: str
    status: str = strawberry.field(
        description="PENDING, DELIVERING, DELIVERED, AWAITING_LIAISON, ACCEPTED, IN_PROGRESS,"
        " RESOLVED (the agency's outcome was DONE), RETURNED (any other outcome: the report"
        " went back to the operators) or DEAD."
    )
    outcome: Outcome | None = strawberry.field(
        description="The agency's final answer; null until it gives one."
    )
    outcome_note: str | None = strawberry.field(description="What the agency said with it.")
    answered_at: datetime | None
    attempts: int
    max_attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    idempotency_key: str
    external_ref: str | None
    created_at: datetime
    delivered_at: datetime | None

    @strawberry.field(
        description="The report as the agency sees it: content, location, photos and the"
        " public timeline, never who reported."
    )
    async def report(
        self, info: Info[Context, None]
    ) -> Annotated[DispatchedReport, strawberry.lazy("jogo.graphql.agencies.inbox")]:
        """The dispatched report as the agency sees it: content, location, photos and the public
        timeline, with the reporter's details masked and never their identity.
        """
        from jogo.graphql.agencies.inbox import dispatched_report

        return await dispatched_report(info, uuid.UUID(self.report_id))

    @classmethod
    def of(cls, row: dict[str, Any]) -> Dispatch:
        """A dispatch from its ``dispatches`` row (joined with the agency's name): delivery state,
        attempts, ``Idempotency-Key``, the agency's reference and answer.
        """
        return cls(
            id=strawberry.ID(str(row["id"])),
            report_id=strawberry.ID(str(row["report_id"])),
            agency_id=strawberry.ID(str(row["agency_id"])),
            agency_name=row["agency_name"],
            connector=row["connector"],
            status=row["status"],
            attempts=row["attempts"],
            max_attempts=row["max_attempts"],
            last_error=row["last_error"],
            next_attempt_at=row["next_attempt_at"],
            idempotency_key=str(row["idempotency_key"]),
            external_ref=row["external_ref"],
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
            outcome=Outcome(row["outcome"]) if row.get("outcome") else None,
            outcome_note=row.get("outcome_note"),
            answered_at=row.get("answered_at"),
        )


PHONE_DESCRIPTION = (
    "A valid number by libphonenumber (without a country code read as Indonesian), kept as"
    " E.164 (+62341551234), or an Indonesian short number such as 112."
)
EMAIL_DESCRIPTION = "An e-mail address by email-validator (syntax only); the domain is lower-cased."


@strawberry.input
class ContactInput:
    name: str
    role: str | None = None
    phone: str | None = strawberry.field(default=None, description=PHONE_DESCRIPTION)
    email: str | None = strawberry.field(default=None, description=EMAIL_DESCRIPTION)


@strawberry.input(description="A new agency. Secrets are write-only.")
class CreateAgencyInput:
    code: str
    name: str
    kind: str
    connector: str = "manual"
    endpoint_url: str | None = None
    secret: str | None = strawberry.field(
        default=None, description="HMAC secret (webhook) or API key (open311); 16+ characters."
    )
    service_codes: strawberry.scalars.JSON | None = None
    timeout_seconds: int = 10
    contacts: list[ContactInput] | None = None
    phone: str | None = strawberry.field(default=None, description=PHONE_DESCRIPTION)
    email: str | None = strawberry.field(default=None, description=EMAIL_DESCRIPTION)
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    capacity_url: str | None = strawberry.field(
        default=None, description="Hospitals: where their emergency capacity is read."
    )
    capacity_format: str | None = strawberry.field(default=None, description="fhir or json.")
    jurisdiction_id: str | None = strawberry.field(
        default=None,
        description="Open311 only: the server's jurisdiction_id, 1-100 of letters, digits and"
        " . _ : / -.",
    )
    role: str | None = strawberry.field(
        default=None,
        description="transport, fire, disaster, environment, electricity, public_works,"
        " health, hospital, cctv, public_order, social, water or other; hospitals default"
        " to hospital.",
    )


@strawberry.type
class AgencyPayload:
    agency: Agency | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DispatchPayload:
    dispatch: Dispatch | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RoutingRulePayload:
    rule_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
