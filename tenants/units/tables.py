"""Piccolo mirrors of migration 0018 (``units``, ``unit_members``)."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import UUID, Boolean, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from jogo.platform.db import ENGINE


class UnitKind(StrEnum):
    """The function (*satuan fungsi*) a unit belongs to, in the words Polri uses."""

    SAMAPTA = "SAMAPTA"  # patrol, guarding, crowd control (formerly Sabhara)
    RESKRIM = "RESKRIM"  # criminal investigation (incl. Buser / Opsnal teams)
    LANTAS = "LANTAS"  # traffic (Turjawali, Gatur)
    RESNARKOBA = "RESNARKOBA"  # narcotics
    INTELKAM = "INTELKAM"  # intelligence and security
    BINMAS = "BINMAS"  # community policing (Bhabinkamtibmas)
    SPKT = "SPKT"  # the integrated service desk
    OTHER = "OTHER"


class UnitStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    BUSY = "BUSY"
    OFF_DUTY = "OFF_DUTY"


class Unit(Table, tablename="units", db=ENGINE):
    tenant_id = UUID()
    id = UUID(primary_key=True)
    name = Text()
    kind = Text()
    status = Text(default="AVAILABLE")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class UnitMember(Table, tablename="unit_members", db=ENGINE):
    tenant_id = UUID()
    unit_id = UUID()
    user_id = UUID(primary_key=True)
    added_at = Timestamptz(default=TimestamptzNow())
