"""Piccolo mirrors of migration 0032 (webhook subscriptions and deliveries)."""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, Array, Boolean, Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from jogo.platform.db import ENGINE

STATUSES = ("PENDING", "DELIVERING", "DELIVERED", "DEAD")


class WebhookSubscription(Table, tablename="webhook_subscriptions", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    url = Text()
    description = Text(null=True, default=None)
    event_types = Array(base_column=Text())
    enabled = Boolean(default=True)
    reporter_identity = Boolean(default=False)
    timeout_seconds = Integer(default=10)
    secret_enc = Text()
    previous_secret_enc = Text(null=True, default=None)
    previous_secret_until = Timestamptz(null=True, default=None)
    consecutive_dead = Integer(default=0)
    disabled_at = Timestamptz(null=True, default=None)
    disabled_reason = Text(null=True, default=None)
    created_by = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class WebhookDelivery(Table, tablename="webhook_deliveries", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    subscription_id = UUID()
    event_type = Text()
    event_id = UUID()
    report_id = UUID(null=True, default=None)
    about = JSONB(default="{}")
    payload = JSONB(null=True, default=None)
    status = Text(default="PENDING")
    attempts = Integer(default=0)
    max_attempts = Integer(default=8)
    replays = Integer(default=0)
    last_error = Text(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    next_attempt_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    delivered_at = Timestamptz(null=True, default=None)
