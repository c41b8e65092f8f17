from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from jogo.graphql.errors import UserError
from jogo.graphql.scalars import in_zone, in_zone_or_none
from jogo.tenants.bulletins.content import AreaInput, BulletinInput
from jogo.tenants.bulletins.vocab import CATEGORIES


@strawberry.enum(description="What a bulletin is about.")
class BulletinCategory(Enum):
    TRAFFIC = "TRAFFIC"
    WEATHER = "WEATHER"
    SECURITY = "SECURITY"
    ELECTION = "ELECTION"
    MISSING_PERSON = "MISSING_PERSON"
    DISASTER = "DISASTER"
    HEALTH = "HEALTH"
    OTHER = "OTHER"


@strawberry.enum(description="CAP 1.2 severity.")
class Severity(Enum):
    EXTREME = "EXTREME"
    SEVERE = "SEVERE"
    MODERATE = "MODERATE"
    MINOR = "MINOR"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="CAP 1.2 urgency.")
class Urgency(Enum):
    IMMEDIATE = "IMMEDIATE"
    EXPECTED = "EXPECTED"
    FUTURE = "FUTURE"
    PAST = "PAST"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="CAP 1.2 certainty.")
class Certainty(Enum):
    OBSERVED = "OBSERVED"
    LIKELY = "LIKELY"
    POSSIBLE = "POSSIBLE"
    UNLIKELY = "UNLIKELY"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="Where a bulletin is: only PUBLISHED ones can be public.")
class BulletinStatus(Enum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    SUPERSEDED = "SUPERSEDED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="The CAP message type: a first alert, an update or a cancel.")
class BulletinMessageType(Enum):
    ALERT = "ALERT"
    UPDATE = "UPDATE"
    CANCEL = "CANCEL"


@strawberry.type
class Circle:
    latitude: float
    longitude: float
    radius_m: float


@strawberry.type(description="Where a bulletin applies: any of a polygon, a circle, regions.")
class BulletinArea:
    description: str
    polygon: list[list[float]] | None = strawberry.field(
        description="[latitude, longitude] pairs; the first equals the last."
    )
    circle: Circle | None
    region_codes: list[str] = strawberry.field(description="Kemendagri codes.")


@strawberry.type(description="An announcement or alert (informasi), also served as CAP 1.2.")
class Bulletin:
    id: strawberry.ID
    message_type: BulletinMessageType
    status: BulletinStatus
    category: BulletinCategory
    category_name: str = strawberry.field(description="Bahasa Indonesia.")
    category_name_en: str
    severity: Severity
    urgency: Urgency
    certainty: Certainty
    headline: str
    description: str
    instruction: str | None
    headline_en: str | None
    description_en: str | None
    instruction_en: str | None
    area: BulletinArea
    valid_from: datetime
    valid_until: datetime
    published_at: datetime | None
    note: str | None = strawberry.field(description="A cancel's reason.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> Bulletin:
        """A bulletin from its ``bulletins`` row, with the CAP 1.2 values (message type, severity,
        urgency, certainty), the category's names in both languages and the area: description,
        polygon, circle (radius in metres) and Kemendagri region codes.
        """
        category = CATEGORIES[row["category"]]
        circle = row["circle"]
        return cls(
            id=strawberry.ID(str(row["id"])),
            message_type=BulletinMessageType(row["msg_type"]),
            status=BulletinStatus(row["status"]),
            category=BulletinCategory(row["category"]),
            category_name=category.name_id,
            category_name_en=category.name_en,
            severity=Severity(row["severity"]),
            urgency=Urgency(row["urgency"]),
            certainty=Certainty(row["certainty"]),
            headline=row["headline"],
            description=row["description"],
            instruction=row["instruction"],
            headline_en=row["headline_en"],
            description_en=row["description_en"],
            instruction_en=row["instruction_en"],
            area=BulletinArea(
                description=row["area_desc"],
                polygon=row["polygon"],
                circle=Circle(
                    latitude=circle["latitude"],
                    longitude=circle["longitude"],
                    radius_m=circle["radius_m"],
                )
                if circle
                else None,
                region_codes=list(row["region_codes"]),
            ),
            valid_from=row["valid_from"],
            valid_until=row["valid_until"],
            published_at=row["published_at"],
            note=row["note"],
        )


@strawberry.input
class CoordinateInput:
    latitude: float
    longitude: float


@strawberry.input
class CircleInput:
    latitude: float
    longitude: float
    radius_m: float


@strawberry.input(
    description="Give a polygon, a circle, region codes, or several; all must lie within the"
    " command's own region. Region codes: the tenant's kabupaten/kota (regionCode) or a"
    " kecamatan/desa under it. Polygon: a valid ring (its edges never cross or touch) in"
    " Indonesia. Polygon and circle: no larger than 1.5 times the region's official area"
    " (Kemendagri luas); the reference data has no boundaries, so their position is"
    " checked against Indonesia only."
)
class BulletinAreaInput:
    description: str
    polygon: list[CoordinateInput] | None = None
    circle: CircleInput | None = None
    region_codes: list[str] | None = None


@strawberry.input
class BulletinContentInput:
    category: BulletinCategory
    severity: Severity
    urgency: Urgency
    certainty: Certainty
    headline: str = strawberry.field(description="Bahasa Indonesia, at most 160 characters.")
    description: str
    area: BulletinAreaInput
    valid_until: datetime = strawberry.field(
        description="Without an offset, read in the tenant's time zone; a date alone"
        " (2026-11-30) means to the end of that day there."
    )
    valid_from: datetime | None = strawberry.field(
        default=None,
        description="Default: now. Without an offset, read in the tenant's time zone; a"
        " date alone means from the start of that day there. A bulletin is never in force"
        " before it is sent: a validFrom in the past (at most 24 hours back; further is"
        " INVALID_INPUT) is taken as the moment of publishing, so the CAP `effective` is"
        " never before `sent`. A draft published after its validFrom starts when published.",
    )
    instruction: str | None = None
    headline_en: str | None = None
    description_en: str | None = None
    instruction_en: str | None = None

    def to_domain(self, time_zone: str) -> BulletinInput:
        """The domain input; times are read in ``time_zone`` (the tenant's WIB/WITA/WIT)."""
        area = self.area
        return BulletinInput(
            category=self.category.value,
            severity=self.severity.value,
            urgency=self.urgency.value,
            certainty=self.certainty.value,
            headline=self.headline,
            description=self.description,
            area=AreaInput(
                description=area.description,
                polygon=[(p.latitude, p.longitude) for p in area.polygon]
                if area.polygon is not None
                else None,
                circle=(area.circle.latitude, area.circle.longitude, area.circle.radius_m)
                if area.circle
                else None,
                region_codes=list(area.region_codes or []),
            ),
            valid_until=in_zone(self.valid_until, time_zone, end=True),
            valid_from=in_zone_or_none(self.valid_from, time_zone),
            instruction=self.instruction,
            headline_en=self.headline_en,
            description_en=self.description_en,
            instruction_en=self.instruction_en,
        )


@strawberry.type
class BulletinPayload:
    bulletin: Bulletin | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
