from __future__ import annotations

from piccolo.columns import JSONB, UUID, Boolean, DoublePrecision, Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from jogo.platform.db import ENGINE

AGENCY_KINDS = ("dinas", "hospital", "cctv_operator", "utility", "other")
CONNECTORS = ("manual", "webhook", "open311")
DISPATCH_OUTCOMES = ("DONE", "DECLINED", "DUPLICATE", "NOT_THEIRS", "NEEDS_INFO")


class Agency(Table, tablename="agencies", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    code = Text()
    name = Text()
    kind = Text()
    phone = Text(null=True, default=None)
    email = Text(null=True, default=None)
    address = Text(null=True, default=None)
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    is_sample = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    contacts = JSONB(default="[]")
    connector = Text(default="manual")
    endpoint_url = Text(null=True, default=None)
    secret_enc = Text(null=True, default=None)
    service_codes = JSONB(default="{}")
    timeout_seconds = Integer(default=10)
    is_active = Boolean(default=True)
    capacity_url = Text(null=True, default=None)
    capacity_format = Text(null=True, default=None)
    jurisdiction_id = Text(null=True, default=None)
    role = Text(null=True, default=None)
    deactivated_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(null=True, default=None)


class RoutingRule(Table, tablename="routing_rules", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    category_id = UUID()
    agency_id = UUID()
    auto_dispatch = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Dispatch(Table, tablename="dispatches", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    report_id = UUID()
    agency_id = UUID()
    status = Text(default="PENDING")
    attempts = Integer(default=0)
    max_attempts = Integer(default=8)
    last_error = Text(null=True, default=None)
    next_attempt_at = Timestamptz(null=True, default=None)
    idempotency_key = UUID()
    external_ref = Text(null=True, default=None)
    created_by = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    delivered_at = Timestamptz(null=True, default=None)
    outcome = Text(null=True, default=None)
    outcome_note = Text(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    # A delivery's short lease instead of a row lock (migration 0006).
    lease_until = Timestamptz(null=True, default=None)
