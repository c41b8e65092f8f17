"""What a bulletin may say about itself: categories with their Bahasa and English names
and the CAP 1.2 category each maps to, and CAP's severity, urgency and certainty."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BulletinCategory:
    code: str
    name_id: str
    name_en: str
    cap_category: str  # one of CAP 1.2's <category> values


CATEGORIES: dict[str, BulletinCategory] = {
    c.code: c
    for c in (
        BulletinCategory("TRAFFIC", "Lalu lintas", "Traffic", "Transport"),
        BulletinCategory("WEATHER", "Cuaca", "Weather", "Met"),
        BulletinCategory("SECURITY", "Situasi keamanan", "Security situation", "Security"),
        BulletinCategory("ELECTION", "Pemilu", "Election", "Safety"),
        BulletinCategory("MISSING_PERSON", "Orang hilang", "Missing person", "Rescue"),
        BulletinCategory("DISASTER", "Bencana", "Disaster", "Geo"),
        BulletinCategory("HEALTH", "Kesehatan", "Health", "Health"),
        BulletinCategory("OTHER", "Lainnya", "Other", "Other"),
    )
}

# Our upper-case values and CAP's spelling of them.
SEVERITY = {
    "EXTREME": "Extreme",
    "SEVERE": "Severe",
    "MODERATE": "Moderate",
    "MINOR": "Minor",
    "UNKNOWN": "Unknown",
}
URGENCY = {
    "IMMEDIATE": "Immediate",
    "EXPECTED": "Expected",
    "FUTURE": "Future",
    "PAST": "Past",
    "UNKNOWN": "Unknown",
}
CERTAINTY = {
    "OBSERVED": "Observed",
    "LIKELY": "Likely",
    "POSSIBLE": "Possible",
    "UNLIKELY": "Unlikely",
    "UNKNOWN": "Unknown",
}
MSG_TYPE = {"ALERT": "Alert", "UPDATE": "Update", "CANCEL": "Cancel"}
