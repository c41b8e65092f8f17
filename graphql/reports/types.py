from __future__ import annotations

from typing import Any

import strawberry


@strawberry.type(description="A report category. nameId is Bahasa Indonesia, nameEn English.")
class Category:
    id: strawberry.ID
    code: str
    name_id: str
    name_en: str
    description_id: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> Category:
        return cls(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            name_id=row["name_id"],
            name_en=row["name_en"],
            description_id=row["description_id"],
        )
