"""Piccolo mirrors of migration 0025 (notification gateways, channels, notifications)."""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, Boolean, Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from jogo.platform.db import ENGINE

CHANNELS = ("WEBPUSH", "WHATSAPP", "SMS", "EMAIL")
LOCALES = ("id", "en")
STATUSES = ("PENDING", "SENDING", "SENT", "FAILED", "DEAD", "CANCELLED")


class NotificationGateway(Table, tablename="notification_gateways", db=ENGINE):
    tenant_id = UUID()
    kind = Text(primary_key=True)
    config = JSONB(default="{}")
    secret_enc = Text(null=True, default=None)
    enabled = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class NotificationChannel(Table, tablename="notification_channels", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    user_id = UUID(null=True, default=None)
    report_id = UUID(null=True, default=None)
    channel = Text()
    address = Text()
    locale = Text(default="id")
    created_at = Timestamptz(default=TimestamptzNow())
    removed_at = Timestamptz(null=True, default=None)


class Notification(Table, tablename="notifications", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    report_id = UUID(null=True, default=None)
    event_id = UUID(null=True, default=None)
    channel = Text()
    address = Text()
    locale = Text(default="id")
    template = Text()
    params = JSONB(default="{}")
    status = Text(default="PENDING")
    attempts = Integer(default=0)
    last_error = Text(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    next_attempt_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    user_id = UUID(null=True, default=None)  # migration 0038: whom it is about
