"""Checks on what a reporter sends, all at once, before anything is written."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jogo.platform import contacts
from jogo.platform.errors import InputErrors, InvalidInput
from jogo.tenants.consent.actions import seen_version

# Indonesia's extent, about 6°N to 11°S and 95°E to 141°E.
LAT_RANGE = (-11.0, 6.0)
LON_RANGE = (95.0, 141.0)
STATION_CODE = re.compile(r"^[0-9]{13}$")
INDONESIA = frozenset({"ID"})
REPORTER_PHONE_MESSAGE = (
    "Nomor telepon harus nomor Indonesia yang sah, mis. 0812 3456 7890 atau"
    " +62 812 3456 7890. / The phone must be a valid Indonesian number, e.g."
    " 0812 3456 7890 or +62 812 3456 7890."
)
MAX_AGE = timedelta(days=365)
CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class ReportInput:
    category_code: str
    title: str
    description: str
    latitude: float
    longitude: float
    address: str | None = None
    occurred_at: datetime | None = None
    anonymous: bool = False
    reporter_name: str | None = None
    reporter_phone: str | None = None
    urgent: bool = False
    photos: list[bytes] = field(default_factory=list)
    sos: bool = False
    polling_station_code: str | None = None
    # The privacy notice version the reporter's client showed (tenants/consent
    # seen_version: ``unknown`` when none or not a label); never a reason to refuse.
    notice_version: str = "unknown"


def in_indonesia(latitude: float, longitude: float) -> bool:
    """Whether a WGS84 point lies in Indonesia's bounding box (latitude -11 to 6, longitude 95 to
    141, degrees); NaN and infinities are False."""
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and LAT_RANGE[0] <= latitude <= LAT_RANGE[1]
        and LON_RANGE[0] <= longitude <= LON_RANGE[1]
    )


def normalise_phone(phone: str) -> str:
    """The reporter's phone as E.164 (``+6281234567890``): a valid Indonesian number by
    phonenumbers (``0812 3456 7890``, ``+62 812-3456-7890``, ``62812…``); anything else
    (``0000000000``, ``12345``, a foreign number) is :class:`InvalidInput` on
    ``reporterPhone``."""
    return contacts.normalise_phone(
        phone, "reporterPhone", countries=INDONESIA, message=REPORTER_PHONE_MESSAGE
    )


def _text(value: str | None, name: str, lo: int, hi: int, errors: list[InvalidInput]) -> str:
    text = " ".join((value or "").split()) if name != "description" else (value or "").strip()
    if not lo <= len(text) <= hi:
        errors.append(InvalidInput(f"{name} must be {lo}-{hi} characters", field=name))
    return text


def clean(data: ReportInput, now: datetime | None = None) -> ReportInput:
    """A normalised copy, or :class:`InputErrors` naming every field that is wrong."""
    now = now or datetime.now(UTC)
    errors: list[InvalidInput] = []
    code = (data.category_code or "").strip().upper()
    if not code:
        errors.append(InvalidInput("choose a category", field="categoryCode"))
    title = _text(data.title, "title", 5, 200, errors)
    description = _text(data.description, "description", 10, 5000, errors)
    if not in_indonesia(data.latitude, data.longitude):
        errors.append(
            InvalidInput(
                "the location must lie in Indonesia (6°N-11°S, 95°E-141°E)", field="latitude"
            )
        )
    address = " ".join((data.address or "").split()) or None
    if address and len(address) > 500:
        errors.append(InvalidInput("address must be at most 500 characters", field="address"))
    occurred = data.occurred_at or now
    if occurred.tzinfo is None:
        errors.append(InvalidInput("occurredAt needs a time zone", field="occurredAt"))
    elif occurred > now + CLOCK_SKEW:
        errors.append(InvalidInput("occurredAt cannot be in the future", field="occurredAt"))
    elif occurred < now - MAX_AGE:
        errors.append(InvalidInput("occurredAt is more than a year ago", field="occurredAt"))
    name = " ".join((data.reporter_name or "").split()) or None
    if name and len(name) > 120:
        errors.append(
            InvalidInput("reporterName must be at most 120 characters", field="reporterName")
        )
    phone = None
    if data.reporter_phone and data.reporter_phone.strip():
        try:
            phone = normalise_phone(data.reporter_phone)
        except InvalidInput as exc:
            errors.append(exc)
    station = (data.polling_station_code or "").strip() or None
    if station is not None and not STATION_CODE.match(station):
        errors.append(
            InvalidInput(
                "pollingStationCode must be a 13-digit TPS code", field="pollingStationCode"
            )
        )
    if errors:
        raise InputErrors(errors)
    return ReportInput(
        category_code=code,
        title=title,
        description=description,
        latitude=data.latitude,
        longitude=data.longitude,
        address=address,
        occurred_at=occurred,
        anonymous=data.anonymous,
        reporter_name=name,
        reporter_phone=phone,
        urgent=data.urgent or data.sos,
        photos=data.photos,
        sos=data.sos,
        polling_station_code=station,
        notice_version=seen_version(data.notice_version),
    )
