from __future__ import annotations

from piccolo.columns import UUID, Boolean, DoublePrecision, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from jogo.platform.db import ENGINE

AGENCY_KINDS = ("dinas", "hospital", "cctv_operator", "utility", "other")


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
