"""Control-plane tables (no RLS). Only the platform kernel reads or writes them.

Piccolo mirrors of the migrations; the kernel reaches these tables in SQL, and
tests/test_tables_match.py keeps the mirrors true.
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    BigSerial,
    Boolean,
    Integer,
    Text,
    Timestamptz,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from jogo.platform.db import ENGINE


class TenantRow(Table, tablename="tenants", db=ENGINE):
    id = UUID(primary_key=True)
    slug = Text(unique=True)
    name = Text()
    kind = Text()
    polda_code = Text()
    region_code = Text()
    time_zone = Text()
    ticket_prefix = Text(unique=True)
    status = Text(default="ACTIVE")
    modules = Array(base_column=Text())
    template = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    # GeoJSON Polygon/MultiPolygon or NULL, and its version (migration 0022).
    jurisdiction = JSONB(null=True, default=None)
    jurisdiction_version = Integer(default=0)


class UserRow(Table, tablename="users", db=ENGINE):
    id = UUID(primary_key=True)
    username = Text()
    password_hash = Text(null=True, default=None)
    full_name = Text(null=True, default=None)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    activated_at = Timestamptz(null=True, default=TimestamptzNow())
    # A citizen's phone (E.164, unique), for sign-in by code (migration 0026).
    phone = Text(null=True, default=None)


class MembershipRow(Table, tablename="memberships", db=ENGINE):
    id = UUID(primary_key=True)
    user_id = UUID()
    tenant = UUID(null=True, default=None)
    role = Text()
    polda_code = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ApiKeyRow(Table, tablename="api_keys", db=ENGINE):
    id = UUID(primary_key=True)
    tenant = UUID()
    name = Text()
    prefix = Text(unique=True)
    key_hash = Text()
    scopes = Array(base_column=Text())
    created_by = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)
    revoked_by = Text(null=True, default=None)
    replaces = UUID(null=True, default=None)
    trusted_documents_only = Boolean(default=False)


class AuditRow(Table, tablename="audit_log", db=ENGINE):
    id = BigSerial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow())
    actor = Text()
    actor_kind = Text()
    role = Text(null=True, default=None)
    action = Text()
    tenant = UUID(null=True, default=None)
    target = Text(null=True, default=None)
    detail = JSONB(default="{}")


class AuthSessionRow(Table, tablename="auth_sessions", db=ENGINE):
    id = UUID(primary_key=True)
    user_id = UUID()
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    idle_until = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Text(null=True, default=None)
    client = Text(null=True, default=None)


class RefreshTokenRow(Table, tablename="refresh_tokens", db=ENGINE):
    token_hash = Text(primary_key=True)
    session_id = UUID()
    issued_at = Timestamptz(default=TimestamptzNow())
    used_at = Timestamptz(null=True, default=None)


class PasswordCodeRow(Table, tablename="password_codes", db=ENGINE):
    code_hash = Text(primary_key=True)
    user_id = UUID()
    purpose = Text()
    tenant = UUID(null=True, default=None)
    created_by = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class PhoneCodeRow(Table, tablename="phone_codes", db=ENGINE):
    """One-time sign-in codes by SMS or WhatsApp (migration 0026); only an HMAC is kept."""

    id = UUID(primary_key=True)
    tenant = UUID()
    phone = Text()
    channel = Text()
    code_hash = Text()
    attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    client = Text(null=True, default=None)


class PrivacyConsentRow(Table, tablename="privacy_consents", db=ENGINE):
    """Consent to a version of the privacy notice (migration 0026)."""

    user_id = UUID(primary_key=True)
    notice_version = Text()
    tenant = UUID(null=True, default=None)
    accepted_at = Timestamptz(default=TimestamptzNow())
    client = Text(null=True, default=None)


class EndedMembershipRow(Table, tablename="ended_memberships", db=ENGINE):
    user_id = UUID(primary_key=True)
    tenant = UUID()
    roles = Array(base_column=Text())
    ended_at = Timestamptz(default=TimestamptzNow())
    ended_by = Text()
    agency_ids = Array(base_column=UUID(), default=list)


class ReportTransferRow(Table, tablename="report_transfers", db=ENGINE):
    """Where a transferred ticket went (migration 0022); append-only for the app."""

    id = BigSerial(primary_key=True)
    ticket = Text()
    report_id = UUID()
    from_tenant = UUID()
    to_tenant = UUID()
    from_status = Text()
    reason = Text()
    actor = Text()
    at = Timestamptz(default=TimestamptzNow())
