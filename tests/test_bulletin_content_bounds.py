"""What a bulletin's content may not be (CAP 1.2: category, severity, urgency and certainty
from fixed lists; ``effective``/``expires`` as date-times with a time-zone offset), and the
platform's own caps: at most 500 polygon points, 50 region codes, a headline of 5-160
characters in each language."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from jogo.platform.errors import InputErrors
from jogo.tenants.bulletins.content import AreaInput, BulletinInput, clean

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REGION = "35.73"  # Kota Malang
ALUN_ALUN = (-7.9826, 112.6308)


def ring(points: int) -> list[tuple[float, float]]:
    """``points`` distinct points on a 300 m circle round the Alun-alun (latitude, longitude)."""
    r = 0.0027
    return [
        (
            ALUN_ALUN[0] + r * math.sin(2 * math.pi * i / points),
            ALUN_ALUN[1] + r * math.cos(2 * math.pi * i / points),
        )
        for i in range(points)
    ]


def bulletin(**overrides) -> BulletinInput:
    data = dict(
        category="TRAFFIC",
        severity="MODERATE",
        urgency="EXPECTED",
        certainty="LIKELY",
        headline="Penutupan Jalan Ijen",
        description="Jalan Ijen ditutup untuk kegiatan car free day.",
        area=AreaInput(description="Jalan Ijen", circle=(ALUN_ALUN[0], ALUN_ALUN[1], 500.0)),
        valid_until=NOW + timedelta(hours=6),
    )
    data.update(overrides)
    return BulletinInput(**data)


def fields(data: BulletinInput) -> list[str]:
    with pytest.raises(InputErrors) as caught:
        clean(data, REGION, NOW)
    assert all(e.code == "INVALID_INPUT" for e in caught.value.errors)
    return [e.field for e in caught.value.errors]


def test_the_base_bulletin_is_accepted() -> None:
    assert clean(bulletin(), REGION, NOW) is not None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "GOSSIP"}, "category"),
        ({"severity": "HUGE"}, "severity"),
        ({"urgency": "SOMEDAY"}, "urgency"),
        ({"certainty": "MAYBE"}, "certainty"),
        ({"headline_en": "Shut"}, "headlineEn"),
        ({"headline_en": "x" * 161}, "headlineEn"),
        ({"valid_until": datetime(2026, 3, 2, 15, 0)}, "validUntil"),
        ({"valid_from": datetime(2026, 3, 2, 10, 0)}, "validFrom"),
    ],
)
def test_each_wrong_field_is_named(overrides, field) -> None:
    assert fields(bulletin(**overrides)) == [field]


def test_english_headline_edges_are_accepted() -> None:
    for text in ("Shut!", "x" * 160):
        assert clean(bulletin(headline_en=text), REGION, NOW).headline_en == text


def test_at_most_500_polygon_points() -> None:
    # The ring is stored closed (CAP 1.2 polygon: first point = last), and the cap counts
    # the stored ring: 499 distinct points plus the closing one fit, 500 do not.
    area = AreaInput(description="Sekitar Alun-alun", polygon=ring(500))
    assert fields(bulletin(area=area)) == ["polygon"]
    fits = AreaInput(description="Sekitar Alun-alun", polygon=ring(499))
    assert clean(bulletin(area=fits), REGION, NOW) is not None


def test_at_most_50_region_codes() -> None:
    codes = [f"35.73.0{1 + i // 10}.100{i % 10}" for i in range(51)]
    assert len(set(codes)) == 51
    assert "regionCodes" in fields(bulletin(area=AreaInput(description="Kota", region_codes=codes)))
