"""Piccolo mirrors of migration 0028 (intake conversations and the message ids seen)."""

from __future__ import annotations

from piccolo.columns import UUID, Array, DoublePrecision, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from jogo.platform.db import ENGINE

CHANNELS = ("WHATSAPP", "SMS")
# Still collecting (``DESCRIPTION``, ``CATEGORY``, ``PLACE``), complete and being made
# into a report (``SUBMITTING``), and the ends.
OPEN_STEPS = ("DESCRIPTION", "CATEGORY", "PLACE", "SUBMITTING")
CLOSED_STEPS = ("DONE", "CANCELLED", "EXPIRED", "REFUSED")
MESSAGE_KINDS = ("TEXT", "LOCATION", "IMAGE", "OTHER")


class IntakeConversation(Table, tablename="intake_conversations", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    channel = Text()
    sender = Text()  # E.164
    locale = Text(default="id")
    step = Text(default="DESCRIPTION")
    description = Text(null=True, default=None)
    title = Text(null=True, default=None)
    category_code = Text(null=True, default=None)
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    address = Text(null=True, default=None)
    media_ids = Array(base_column=Text())
    report_id = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)


class IntakeMessage(Table, tablename="intake_messages", db=ENGINE):
    tenant_id = UUID()
    channel = Text()
    message_id = Text(primary_key=True)
    conversation_id = UUID(null=True, default=None)
    kind = Text()
    received_at = Timestamptz(default=TimestamptzNow())
