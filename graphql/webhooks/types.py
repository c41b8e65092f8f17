"""GraphQL types of event webhooks: subscriptions (never their secrets, except once on
create and rotate), deliveries, and their payloads."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from jogo.graphql.errors import UserError
from jogo.graphql.reports.types import PageInfo
from jogo.tenants.webhooks.delivery import webhook_id


@strawberry.enum(
    description="What a subscription is sent. The payload's type is the dotted name:"
    " REPORT_SUBMITTED is report.submitted, DISPATCH_OUTCOME dispatch.outcome, and so on."
)
class WebhookEventType(Enum):
    REPORT_SUBMITTED = "REPORT_SUBMITTED"
    REPORT_STATUS_CHANGED = "REPORT_STATUS_CHANGED"
    REPORT_NOTE_PUBLIC = strawberry.enum_value(
        "REPORT_NOTE_PUBLIC", description="Public notes only (what the reporter reads)."
    )
    DISPATCH_OUTCOME = strawberry.enum_value(
        "DISPATCH_OUTCOME", description="An agency answered a dispatch (a step or an outcome)."
    )
    BULLETIN_PUBLISHED = "BULLETIN_PUBLISHED"
    BULLETIN_CANCELLED = "BULLETIN_CANCELLED"
    SOS_RAISED = "SOS_RAISED"
    SHARED_POST_APPROVED = "SHARED_POST_APPROVED"
    ELECTION_INCIDENT = strawberry.enum_value(
        "ELECTION_INCIDENT", description="A report made at a polling station (TPS)."
    )


@strawberry.enum(
    description="PENDING (waiting for its next attempt), DELIVERING (being sent now),"
    " DELIVERED (the endpoint answered 2xx), DEAD (gave up; replay it)."
)
class WebhookDeliveryStatus(Enum):
    PENDING = "PENDING"
    DELIVERING = "DELIVERING"
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"


@strawberry.type(description="An endpoint subscribed to some of the command's events.")
class WebhookSubscription:
    id: strawberry.ID
    url: str = strawberry.field(description="Where events are POSTed (credentials hidden).")
    description: str | None
    event_types: list[WebhookEventType]
    enabled: bool
    reporter_identity: bool = strawberry.field(
        description="Whether payloads name the reporter: fixed at creation, by whether its"
        " creator could read reporter identity and asked for it."
    )
    timeout_seconds: int
    consecutive_dead: int = strawberry.field(
        description="DEAD deliveries in a row; at 5 the subscription is disabled."
    )
    disabled_at: datetime | None = strawberry.field(
        description="When it was disabled automatically (null when enabled or set by hand)."
    )
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled automatically; enabling it again clears this."
    )
    previous_secret_valid_until: datetime | None = strawberry.field(
        description="After a rotation: until when the previous secret still signs beside"
        " the new one."
    )
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> WebhookSubscription:
        """A subscription from its row (``tenants.webhooks.queries``)."""
        return cls(
            id=strawberry.ID(str(row["id"])),
            url=row["url"],
            description=row["description"],
            event_types=[WebhookEventType(t) for t in row["event_types"]],
            enabled=row["enabled"],
            reporter_identity=row["reporter_identity"],
            timeout_seconds=row["timeout_seconds"],
            consecutive_dead=row["consecutive_dead"],
            disabled_at=row["disabled_at"],
            disabled_reason=row["disabled_reason"],
            previous_secret_valid_until=row["previous_secret_until"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@strawberry.type(description="One event sent (or being sent) to one subscription.")
class WebhookDelivery:
    id: strawberry.ID
    webhook_id: str = strawberry.field(
        description="The webhook-id header: the same on every attempt and every replay."
    )
    subscription_id: strawberry.ID
    event_type: WebhookEventType
    event_id: strawberry.ID
    report_id: strawberry.ID | None
    status: WebhookDeliveryStatus
    attempts: int
    max_attempts: int
    replays: int
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed (HTTP status or transport error; never the"
        " endpoint's answer)."
    )
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    payload: str | None = strawberry.field(
        description="The JSON body sent (null until the first attempt made it, and for a"
        " caller who may not read it: a report event without reports:read, a subscription"
        " with reporter identity without reports:reporter_identity)."
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> WebhookDelivery:
        """A delivery from its row (``tenants.webhooks.queries``)."""
        return cls(
            id=strawberry.ID(str(row["id"])),
            webhook_id=webhook_id(row["id"]),
            subscription_id=strawberry.ID(str(row["subscription_id"])),
            event_type=WebhookEventType(row["event_type"]),
            event_id=strawberry.ID(str(row["event_id"])),
            report_id=strawberry.ID(str(row["report_id"])) if row["report_id"] else None,
            status=WebhookDeliveryStatus(row["status"]),
            attempts=row["attempts"],
            max_attempts=row["max_attempts"],
            replays=row["replays"],
            last_error=row["last_error"],
            next_attempt_at=row["next_attempt_at"],
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
            payload=row["payload"],
        )


@strawberry.type
class WebhookDeliveryEdge:
    cursor: str
    node: WebhookDelivery


@strawberry.type
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge]
    page_info: PageInfo


@strawberry.input(description="A new subscription.")
class WebhookSubscriptionInput:
    url: str = strawberry.field(
        description="https (http is accepted outside production); its host must be a public"
        " address."
    )
    event_types: list[WebhookEventType]
    description: str | None = None
    enabled: bool = True
    timeout_seconds: int = strawberry.field(default=10, description="1-30 seconds.")
    reporter_identity: bool = strawberry.field(
        default=False,
        description="Name the reporter in report payloads; needs reports:reporter_identity"
        " (staff, never an API key), else FORBIDDEN.",
    )


@strawberry.input(description="What to change; what is left out stays.")
class WebhookSubscriptionUpdate:
    url: str | None = None
    event_types: list[WebhookEventType] | None = None
    description: str | None = None
    enabled: bool | None = strawberry.field(
        default=None, description="true re-enables a disabled subscription."
    )
    timeout_seconds: int | None = None


@strawberry.type
class WebhookSubscriptionPayload:
    subscription: WebhookSubscription | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A subscription with its secret: shown this once; store it now.")
class WebhookSecretPayload:
    subscription: WebhookSubscription | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="whsec_<base64>: verify deliveries with it (Standard Webhooks).",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteWebhookSubscriptionPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReplayWebhookEventsPayload:
    count: int | None = strawberry.field(default=None, description="Deliveries sent again.")
    errors: list[UserError] = strawberry.field(default_factory=list)
