"""GraphQL types of notifications: gateways, channels, notifications and their inputs."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from jogo.graphql.errors import UserError
from jogo.graphql.idempotency import CLIENT_KEY
from jogo.graphql.reports.types import PageInfo
from jogo.tenants.notifications.queries import mask_address


@strawberry.enum(description="How a person is told: Web Push, WhatsApp, SMS or e-mail.")
class NotificationChannelKind(Enum):
    WEBPUSH = "WEBPUSH"
    WHATSAPP = "WHATSAPP"
    SMS = "SMS"
    EMAIL = "EMAIL"


@strawberry.enum(
    description="PENDING (queued), SENDING (with the gateway now), SENT, FAILED (retried"
    " later, with backoff), DEAD (gave up; staff may retry it), CANCELLED (not sent: the"
    " person withdrew their consent to notifications)."
)
class NotificationStatus(Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    DEAD = "DEAD"
    CANCELLED = "CANCELLED"


NOTICE_VERSION = (
    "The version of the command's privacy notice (privacyNotice.version) the person was"
    " shown: enabling notifications is consent to them. Needed unless their live consent"
    " to notifications is to the version in force; else CONSENT_REQUIRED."
)
LOCALE = "Language of the messages: 'id' (Bahasa Indonesia, the default) or 'en' (English)."
ADDRESS = (
    "A phone number for WHATSAPP and SMS (0812 3456 7890 or +62 812 3456 7890; kept as"
    " E.164), an e-mail address for EMAIL, and for WEBPUSH the browser's PushSubscription"
    " as JSON (JSON.stringify(subscription): an https endpoint and keys p256dh and auth)."
)


@strawberry.type(description="Where a signed-in person is told about their reports.")
class NotificationChannel:
    id: strawberry.ID
    channel: NotificationChannelKind
    address: str = strawberry.field(description="As stored: E.164, e-mail, or the JSON.")
    locale: str
    created_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> NotificationChannel:
        """A channel from its ``notification_channels`` row."""
        return cls(
            id=strawberry.ID(str(row["id"])),
            channel=NotificationChannelKind(row["channel"]),
            address=row["address"],
            locale=row["locale"],
            created_at=row["created_at"],
        )


@strawberry.type(description="One message to one address, as staff see it.")
class Notification:
    id: strawberry.ID
    report_id: strawberry.ID | None
    ticket: str | None = strawberry.field(
        description="The report's ticket (failedNotifications only; null elsewhere)."
    )
    channel: NotificationChannelKind
    address: str = strawberry.field(
        description="Masked: +62812****7890, w***@example.id, push:<push service host>."
    )
    locale: str
    template: str = strawberry.field(
        description="report_status, report_note, report_received, otp_code, …"
    )
    status: NotificationStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Notification:
        """A notification from its row (``queries.COLUMNS``, optionally ``ticket``)."""
        return cls(
            id=strawberry.ID(str(row["id"])),
            report_id=strawberry.ID(str(row["report_id"])) if row["report_id"] else None,
            ticket=row.get("ticket"),
            channel=NotificationChannelKind(row["channel"]),
            address=mask_address(row["channel"], row["address"]),
            locale=row["locale"],
            template=row["template"],
            status=NotificationStatus(row["status"]),
            attempts=row["attempts"],
            last_error=row["last_error"],
            next_attempt_at=row["next_attempt_at"],
            created_at=row["created_at"],
            sent_at=row["sent_at"],
        )


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo


@strawberry.type(description="How the command sends on one channel. The secret is never shown.")
class NotificationGateway:
    kind: NotificationChannelKind
    enabled: bool
    has_secret: bool = strawberry.field(
        description="Whether a secret (access token, signing secret, password, VAPID key) is set."
    )
    endpoint: str | None = strawberry.field(description="WHATSAPP and SMS: the API's URL.")
    phone_number_id: str | None = strawberry.field(description="WHATSAPP: the business number.")
    sender: str | None = strawberry.field(
        description="SMS: the sender name; EMAIL: the From address."
    )
    host: str | None = strawberry.field(description="EMAIL: the SMTP server.")
    port: int | None = strawberry.field(description="EMAIL: the SMTP port.")
    security: str | None = strawberry.field(description="EMAIL: STARTTLS, TLS or NONE.")
    username: str | None = strawberry.field(description="EMAIL: the SMTP user.")
    subject: str | None = strawberry.field(description="WEBPUSH: the VAPID contact.")
    public_key: str | None = strawberry.field(
        description="WEBPUSH: the VAPID public key (applicationServerKey, base64url)."
    )
    verify_token: str | None = strawberry.field(
        description="WHATSAPP intake: the token Meta echoes in its webhook verification."
    )
    has_app_secret: bool = strawberry.field(
        description="WHATSAPP intake: whether the app secret that signs webhooks is set."
    )
    updated_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> NotificationGateway:
        """A gateway from ``gateways.list_gateways`` (config as a dict, ``has_secret``)."""
        config = row["config"]
        return cls(
            kind=NotificationChannelKind(row["kind"]),
            enabled=row["enabled"],
            has_secret=row["has_secret"],
            endpoint=config.get("endpoint"),
            phone_number_id=config.get("phone_number_id"),
            sender=config.get("sender"),
            host=config.get("host"),
            port=config.get("port"),
            security=config.get("security"),
            username=config.get("username"),
            subject=config.get("subject"),
            public_key=config.get("public_key"),
            verify_token=config.get("verify_token"),
            has_app_secret=bool(config.get("app_secret_enc")),
            updated_at=row["updated_at"],
        )


@strawberry.input(
    description="One gateway's whole configuration (fields of other kinds are ignored)."
    " secret: WHATSAPP the Cloud API access token; SMS the signing secret (HMAC-SHA256 of"
    " each body, header X-Jogo-Signature); EMAIL the SMTP password; WEBPUSH the VAPID"
    " private key (made for you when none is given and none is stored). Leave secret out"
    " to keep the stored one; EMAIL only: an empty secret clears it."
)
class SetNotificationGatewayInput:
    kind: NotificationChannelKind
    enabled: bool = True
    endpoint: str | None = strawberry.field(
        default=None,
        description="WHATSAPP: default https://graph.facebook.com/v21.0; SMS: required.",
    )
    phone_number_id: str | None = None
    sender: str | None = None
    host: str | None = None
    port: int | None = strawberry.field(
        default=None, description="EMAIL: default 587 (465 for TLS)."
    )
    security: str | None = strawberry.field(default=None, description="EMAIL: default STARTTLS.")
    username: str | None = None
    subject: str | None = strawberry.field(
        default=None, description="WEBPUSH: a mailto: or https: contact for push services."
    )
    secret: str | None = None
    verify_token: str | None = strawberry.field(
        default=None,
        description="WHATSAPP intake: the verify token you give Meta for the webhook"
        " (GET /t/{slug}/intake/whatsapp); 16+ characters.",
    )
    app_secret: str | None = strawberry.field(
        default=None,
        description="WHATSAPP intake: the Meta app secret that signs webhooks"
        " (X-Hub-Signature-256); stored encrypted, never shown; leave out to keep it.",
    )


@strawberry.input(description="A channel of the signed-in person.")
class AddNotificationChannelInput:
    channel: NotificationChannelKind
    address: str = strawberry.field(description=ADDRESS)
    locale: str | None = strawberry.field(default="id", description=LOCALE)
    client_key: str | None = strawberry.field(default=None, description=CLIENT_KEY)
    notice_version: str | None = strawberry.field(default=None, description=NOTICE_VERSION)


@strawberry.input(description="Where an anonymous reporter wants to be told of this report.")
class NotifyInput:
    channel: NotificationChannelKind
    address: str = strawberry.field(description=ADDRESS)
    locale: str | None = strawberry.field(default="id", description=LOCALE)


@strawberry.type
class NotificationGatewayPayload:
    gateway: NotificationGateway | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationChannelPayload:
    channel: NotificationChannel | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveNotificationChannelPayload:
    removed: bool = strawberry.field(
        default=False, description="True when the channel was live and is now removed."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationPayload:
    notification: Notification | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
