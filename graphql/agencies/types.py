from __future__ import annotations

from typing import Any

import strawberry


@strawberry.type(description="A city agency (dinas), hospital, CCTV operator or utility.")
class Agency:
    id: strawberry.ID
    code: str
    name: str
    kind: str = strawberry.field(description="dinas, hospital, cctv_operator, utility or other.")
    address: str | None
    latitude: float | None
    longitude: float | None
    is_sample: bool = strawberry.field(
        description="Seeded sample data the command has not confirmed yet."
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> Agency:
        return cls(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            address=row["address"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            is_sample=row["is_sample"],
        )
