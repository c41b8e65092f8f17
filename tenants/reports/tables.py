from __future__ import annotations

from piccolo.columns import UUID, Boolean, Integer, Text
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
