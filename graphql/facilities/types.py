from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from jogo.graphql.errors import UserError
from jogo.platform.urls import without_credentials


@strawberry.type(description="A hospital with its emergency capacity, where it reports one.")
class Hospital:
    id: strawberry.ID
    code: str
    name: str
    address: str | None
    latitude: float | None
    longitude: float | None
    er_beds_available: int | None
    er_beds_total: int | None
    observed_at: datetime | None = strawberry.field(description="When the hospital saw it.")
    checked_at: datetime | None = strawberry.field(description="When we last asked.")
    stale: bool = strawberry.field(description="No reading newer than 30 minutes.")
    is_active: bool = strawberry.field(
        default=True, description="False once deactivated (listed only with includeInactive)."
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> Hospital:
        """A hospital from its ``agencies`` row joined with ``hospital_capacity``: emergency beds
        available and total, when observed and checked, and whether that is stale.
        """
        return cls(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            name=row["name"],
            address=row["address"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            er_beds_available=row["er_beds_available"],
            er_beds_total=row["er_beds_total"],
            observed_at=row["observed_at"],
            checked_at=row["checked_at"],
            stale=row["stale"],
            is_active=row.get("is_active", True),
        )


@strawberry.type(description="A CCTV camera.")
class Camera:
    id: strawberry.ID
    name: str
    latitude: float
    longitude: float
    stream_url: str = strawberry.field(description="HLS (.m3u8) or RTSP.")
    snapshot_url: str | None
    operator_agency_id: strawberry.ID | None
    status: str = strawberry.field(description="UNKNOWN, ONLINE or OFFLINE.")
    last_seen_at: datetime | None
    checked_at: datetime | None
    code: str | None = strawberry.field(
        default=None, description="The command's own code; the key of the CSV import."
    )
    is_active: bool = strawberry.field(
        default=True, description="False once deactivated (listed only with includeInactive)."
    )
    distance_m: float | None = strawberry.field(
        default=None, description="From the report, when listed near one."
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> Camera:
        """A camera from its ``cameras`` row, credentials stripped from its URLs;
        ``distanceM`` (metres, 0.1 m) only when the row carries a distance.
        """
        agency: uuid.UUID | None = row["operator_agency_id"]
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            stream_url=without_credentials(row["stream_url"]) or "",
            snapshot_url=without_credentials(row["snapshot_url"]),
            operator_agency_id=strawberry.ID(str(agency)) if agency else None,
            status=row["status"],
            last_seen_at=row["last_seen_at"],
            checked_at=row["checked_at"],
            code=row.get("code"),
            is_active=row.get("is_active", True),
            distance_m=round(row["metres"], 1) if "metres" in row else None,
        )


@strawberry.input
class CreateCameraInput:
    name: str
    latitude: float
    longitude: float
    stream_url: str
    snapshot_url: str | None = None
    operator_agency_id: strawberry.ID | None = None
    code: str | None = strawberry.field(
        default=None, description="2-40 of A-Z, 0-9, _ or -; unique in the command (CSV key)."
    )


@strawberry.type
class CameraPayload:
    camera: Camera | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A hospital, police post, camera or agency near a point.")
class Facility:
    kind: str = strawberry.field(description="hospital, police_post, camera or agency.")
    id: strawberry.ID
    name: str
    latitude: float
    longitude: float
    phone: str | None
    address: str | None
    distance_m: float
    is_active: bool = strawberry.field(
        default=True, description="False once deactivated (listed only with includeInactive)."
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> Facility:
        """A facility (hospital, police post, camera or agency) from a row with its distance in
        ``metres``, rounded to 0.1 m.
        """
        return cls(
            kind=row["kind"],
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            phone=row["phone"],
            address=row["address"],
            distance_m=round(row["metres"], 1),
            is_active=row.get("is_active", True),
        )


@strawberry.enum
class FacilityKind(Enum):
    HOSPITAL = "hospital"
    POLICE_POST = "police_post"
    CAMERA = "camera"
    AGENCY = "agency"


@strawberry.type
class PolicePostPayload:
    id: strawberry.ID | None = None
    police_post: Facility | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
