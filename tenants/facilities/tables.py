"""Piccolo mirrors of the facility tables (``hospital_capacity``, ``cameras``, ``police_posts``).

The code reaches them in SQL; tests/test_tables_match.py keeps these mirrors true.
"""

from __future__ import annotations

from piccolo.columns import UUID, Boolean, DoublePrecision, Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from jogo.platform.db import ENGINE


class HospitalCapacity(Table, tablename="hospital_capacity", db=ENGINE):
    tenant_id = UUID()
    agency_id = UUID(primary_key=True)
    er_beds_available = Integer(null=True, default=None)
    er_beds_total = Integer(null=True, default=None)
    observed_at = Timestamptz(null=True, default=None)
    checked_at = Timestamptz()
    stale = Boolean(default=True)
    last_error = Text(null=True, default=None)


class Camera(Table, tablename="cameras", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    name = Text()
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    stream_url = Text()
    snapshot_url = Text(null=True, default=None)
    operator_agency_id = UUID(null=True, default=None)
    status = Text(default="UNKNOWN")
    last_seen_at = Timestamptz(null=True, default=None)
    checked_at = Timestamptz(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    code = Text(null=True, default=None)
    is_active = Boolean(default=True)
    deactivated_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(null=True, default=None)


class PolicePost(Table, tablename="police_posts", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    name = Text()
    kind = Text()
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    phone = Text(null=True, default=None)
    address = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    is_active = Boolean(default=True)
    deactivated_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(null=True, default=None)
