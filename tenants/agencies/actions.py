"""Writes of the agency directory. Call inside ``tenant_tx``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from jogo.tenants.agencies.tables import Agency


@dataclass(frozen=True)
class AgencySeed:
    code: str
    name: str
    kind: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None


async def do_seed_agencies(
    tenant_id: uuid.UUID, seeds: Sequence[AgencySeed], *, sample: bool
) -> int:
    if not seeds:
        return 0
    rows = [
        Agency(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            code=s.code,
            name=s.name,
            kind=s.kind,
            address=s.address,
            latitude=s.latitude,
            longitude=s.longitude,
            is_sample=sample,
        )
        for s in seeds
    ]
    await Agency.insert(*rows)
    return len(rows)
