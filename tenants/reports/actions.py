"""Writes of the reports domain (categories for now). Call inside ``tenant_tx``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from jogo.tenants.reports.tables import Category


@dataclass(frozen=True)
class CategorySeed:
    code: str
    name_id: str
    name_en: str
    description_id: str = ""


async def do_seed_categories(tenant_id: uuid.UUID, seeds: Sequence[CategorySeed]) -> int:
    if not seeds:
        return 0
    rows = [
        Category(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            code=s.code,
            name_id=s.name_id,
            name_en=s.name_en,
            description_id=s.description_id,
            sort_order=i,
        )
        for i, s in enumerate(seeds, start=1)
    ]
    await Category.insert(*rows)
    return len(rows)
