"""Piccolo mirrors of migration 0037 (the breach register)."""

from __future__ import annotations

from piccolo.columns import UUID, Array, Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from jogo.platform.db import ENGINE


class BreachIncident(Table, tablename="breach_incidents", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    title = Text()
    description = Text()
    data_categories = Array(base_column=Text())
    subject_categories = Array(base_column=Text())
    subjects_estimate = Integer()
    occurred_at = Timestamptz(null=True, default=None)
    found_at = Timestamptz()
    due_at = Timestamptz()
    measures = Text(default="")
    subjects_notified_at = Timestamptz(null=True, default=None)
    subjects_notified_by = Text(null=True, default=None)
    authority_notified_at = Timestamptz(null=True, default=None)
    authority_notified_by = Text(null=True, default=None)
    authority_reference = Text(null=True, default=None)
    escalation_level = Integer(default=0)
    recorded_by = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class BreachEscalation(Table, tablename="breach_escalations", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    breach_id = UUID()
    level = Integer()
    threshold_hours = Integer()
    at = Timestamptz()
    notified = Integer(default=0)
