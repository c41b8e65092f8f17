from __future__ import annotations

from piccolo.columns import JSONB, UUID, Boolean, DoublePrecision, Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from jogo.platform.db import ENGINE


class Category(Table, tablename="report_categories", db=ENGINE):
    """A report category; ``name_id`` is what citizens read, ``name_en`` its English."""

    tenant_id = UUID()
    id = UUID(primary_key=True)
    code = Text()
    name_id = Text()
    name_en = Text()
    description_id = Text(default="")
    sort_order = Integer(default=0)
    is_active = Boolean(default=True)
    verify_working_days = Integer(default=3)
    followup_working_days = Integer(default=5)
    autoclose_working_days = Integer(default=10)
    urgent_verify_minutes = Integer(default=15)
    urgent_followup_minutes = Integer(default=60)
    agency_role = Text(null=True, default=None)


class Report(Table, tablename="reports", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    ticket = Text()
    category_id = UUID()
    title = Text()
    description = Text()
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    address = Text(null=True, default=None)
    occurred_at = Timestamptz()
    urgent = Boolean(default=False)
    anonymous = Boolean()
    pin_hash = Text(null=True, default=None)
    reporter_user_id = UUID(null=True, default=None)
    reporter_name = Text(null=True, default=None)
    reporter_phone = Text(null=True, default=None)
    submitted_by = Text()
    status = Text(default="SUBMITTED")
    assigned_officer_id = UUID(null=True, default=None)
    assigned_unit_id = UUID(null=True, default=None)  # units.id (migration 0018)
    duplicate_of = UUID(null=True, default=None)
    reject_reason = Text(null=True, default=None)
    verify_due_at = Timestamptz()
    followup_due_at = Timestamptz(null=True, default=None)
    autoclose_at = Timestamptz(null=True, default=None)
    verify_breached_at = Timestamptz(null=True, default=None)
    followup_breached_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    verified_at = Timestamptz(null=True, default=None)
    dispatched_at = Timestamptz(null=True, default=None)
    # When an assigned officer or unit took the VERIFIED report on itself (no agency).
    police_started_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    # Located outside the command's jurisdiction (migration 0022).
    outside_jurisdiction = Boolean(default=False)
    # An SOS raised from the citizen app (migration 0008).
    sos = Boolean(default=False)
    channel = Text(default="API")
    # The polling station an election report is about (migration 0010).
    polling_station_id = UUID(null=True, default=None)
    # A legal hold on a report under investigation, and what erasure or retention removed
    # (migration 0036; tenants/privacy).
    legal_hold_reason = Text(null=True, default=None)
    legal_hold_by = Text(null=True, default=None)
    legal_hold_at = Timestamptz(null=True, default=None)
    identity_erased_at = Timestamptz(null=True, default=None)
    photos_erased_at = Timestamptz(null=True, default=None)
    # The privacy notice version the reporter's client showed, or 'unknown' (migration 0038).
    notice_version = Text(default="unknown")


class ReportEvent(Table, tablename="report_events", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    report_id = UUID()
    kind = Text()
    from_status = Text(null=True, default=None)
    to_status = Text(null=True, default=None)
    note = Text(null=True, default=None)
    public = Boolean()
    actor_id = UUID(null=True, default=None)
    actor_name = Text()
    data = JSONB(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


class Attachment(Table, tablename="report_attachments", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    report_id = UUID()
    content_type = Text()
    size_bytes = Integer()
    sha256 = Text()
    storage_key = Text()
    uploaded_by = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    # False only for files stored before uploads were cleaned (migration 0017).
    cleaned = Boolean(default=True)
