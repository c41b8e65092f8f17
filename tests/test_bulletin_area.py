"""Issue 13 part 8: a bulletin's geometry and time.

Invalid polygons are refused (shapely's validity check), a command's areas must lie in
its own region, and a bulletin is never in force before it is sent (CAP ``effective``
is never before ``sent``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import (
    DRAFT,
    PUBLISH,
    UPDATE,
    alerts_in,
    assert_valid,
    auth_header,
    call,
    content,
    feed,
    onboard,
)

from jogo.platform.auth.roles import Role

BOW_TIE = [(-8.40, 140.30), (-8.60, 140.50), (-8.40, 140.50), (-8.60, 140.30)]  # the issue's
SQUARE = [(-8.40, 140.30), (-8.40, 140.50), (-8.60, 140.50), (-8.60, 140.30)]  # same corners
BATU = [(-7.88, 112.52), (-7.88, 112.54), (-7.86, 112.54), (-7.86, 112.52)]  # Alun-alun Batu


def ring(points):
    return [{"latitude": lat, "longitude": lon} for lat, lon in points]


def area(**parts):
    return {"description": "Wilayah uji"} | parts


@pytest.fixture
async def merauke(settings):
    tenant = await onboard(polda="PAPUA", region="93.01")  # Kabupaten Merauke, WIT
    return tenant, await auth_header(settings, Role.OPERATOR, tenant)


@pytest.fixture
async def batu(settings):
    tenant = await onboard(polda="JATIM", region="35.79")  # Polres Batu
    return tenant, await auth_header(settings, Role.OPERATOR, tenant)


async def test_the_bow_tie_is_refused_and_the_square_accepted(app_client, merauke, owner):
    tenant, operator = merauke
    before = await owner.fetchval("SELECT count(*) FROM bulletins WHERE tenant_id = $1", tenant.id)
    for query in (PUBLISH, DRAFT):
        extra = {"draft": None} if query is PUBLISH else {}
        done = await call(
            app_client,
            tenant,
            query,
            operator,
            input=content(area=area(polygon=ring(BOW_TIE))),
            **extra,
        )
        assert done["bulletin"] is None
        (error,) = done["errors"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", "polygon")
        assert "Self-intersection" in error["message"]
    assert (
        await owner.fetchval("SELECT count(*) FROM bulletins WHERE tenant_id = $1", tenant.id)
        == before
    )
    ok = await call(
        app_client,
        tenant,
        PUBLISH,
        operator,
        input=content(area=area(polygon=ring(SQUARE))),
        draft=None,
    )
    assert ok["errors"] == [] and len(ok["bulletin"]["area"]["polygon"]) == 5


@pytest.mark.parametrize(
    "points",
    [
        # Three points on one meridian: no area at all.
        [(-8.4, 140.3), (-8.5, 140.3), (-8.6, 140.3)],
        # A figure eight touching itself at one vertex.
        [(-8.4, 140.3), (-8.5, 140.4), (-8.4, 140.5), (-8.6, 140.5), (-8.5, 140.4), (-8.6, 140.3)],
        # A spike: out along an edge and back the same way.
        [
            (-8.4, 140.3),
            (-8.4, 140.5),
            (-8.5, 140.5),
            (-8.5, 140.7),
            (-8.5, 140.5),
            (-8.6, 140.5),
            (-8.6, 140.3),
        ],
    ],
)
async def test_other_invalid_rings_are_refused(app_client, merauke, points):
    tenant, operator = merauke
    done = await call(
        app_client, tenant, DRAFT, operator, input=content(area=area(polygon=ring(points)))
    )
    assert [(e["code"], e["field"]) for e in done["errors"]] == [("INVALID_INPUT", "polygon")]


async def test_batu_cannot_name_surabaya_or_the_province(app_client, batu):
    tenant, operator = batu
    for codes in (["35.78"], ["35"], ["35.79", "35.73"], ["35.78.01"], ["35.79.99"]):
        done = await call(
            app_client,
            tenant,
            PUBLISH,
            operator,
            input=content(area=area(regionCodes=codes)),
            draft=None,
        )
        assert [(e["code"], e["field"]) for e in done["errors"]] == [
            ("INVALID_INPUT", "regionCodes")
        ], codes
    surabaya = await call(
        app_client,
        tenant,
        DRAFT,
        operator,
        input=content(area=area(regionCodes=["35.78"])),
    )
    assert "Kota Batu" in surabaya["errors"][0]["message"]
    # Its own kota, a kecamatan in it and a kelurahan in that are fine.
    own = await call(
        app_client,
        tenant,
        PUBLISH,
        operator,
        input=content(area=area(regionCodes=["35.79", "35.79.01", "35.79.01.1001"])),
        draft=None,
    )
    assert own["errors"] == []
    assert own["bulletin"]["area"]["regionCodes"] == ["35.79", "35.79.01", "35.79.01.1001"]


async def test_shapes_larger_than_the_region_are_refused(app_client, batu):
    tenant, operator = batu  # Kota Batu: 194 km²
    province_wide = content(
        area=area(circle={"latitude": -7.87, "longitude": 112.53, "radiusM": 50_000})
    )
    done = await call(app_client, tenant, DRAFT, operator, input=province_wide)
    assert [(e["code"], e["field"]) for e in done["errors"]] == [("INVALID_INPUT", "circle")]
    big = [(-7.5, 112.0), (-7.5, 113.0), (-8.3, 113.0), (-8.3, 112.0)]  # about 9,700 km²
    done = await call(
        app_client, tenant, DRAFT, operator, input=content(area=area(polygon=ring(big)))
    )
    assert [(e["code"], e["field"]) for e in done["errors"]] == [("INVALID_INPUT", "polygon")]
    fits = content(
        area=area(
            polygon=ring(BATU),
            circle={"latitude": -7.87, "longitude": 112.53, "radiusM": 2_000},
        )
    )
    assert (await call(app_client, tenant, DRAFT, operator, input=fits))["errors"] == []


def cap_times(alert) -> tuple[datetime, datetime]:
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    sent = datetime.fromisoformat(alert.find("c:sent", ns).text)
    effective = datetime.fromisoformat(alert.find("c:info/c:effective", ns).text)
    return sent, effective


async def test_valid_from_three_hours_ago_takes_effect_when_sent(app_client, merauke, owner):
    tenant, operator = merauke
    now = datetime.now(UTC)
    late = content(
        area=area(polygon=ring(SQUARE)), validFrom=(now - timedelta(hours=3)).isoformat()
    )
    done = await call(app_client, tenant, PUBLISH, operator, input=late, draft=None)
    assert done["errors"] == []
    b = done["bulletin"]
    assert datetime.fromisoformat(b["validFrom"]) == datetime.fromisoformat(b["publishedAt"])
    (alert,) = alerts_in(await feed(app_client, tenant))
    assert_valid(alert)
    sent, effective = cap_times(alert)
    assert effective == sent

    # An update with a past validFrom: the same rule for the new message.
    update = await call(app_client, tenant, UPDATE, operator, id=b["id"], input=late)
    new = update["bulletin"]
    assert datetime.fromisoformat(new["validFrom"]) == datetime.fromisoformat(new["publishedAt"])

    # Rows written before this rule still never show effective before sent.
    await owner.execute(
        "UPDATE bulletins SET valid_from = published_at - interval '3 hours' WHERE id = $1::uuid",
        new["id"],
    )
    (alert,) = alerts_in(await feed(app_client, tenant))
    sent, effective = cap_times(alert)
    assert effective == sent


async def test_a_draft_published_after_its_valid_from_starts_when_published(
    app_client, merauke, owner
):
    tenant, operator = merauke
    draft = (
        await call(
            app_client, tenant, DRAFT, operator, input=content(area=area(polygon=ring(SQUARE)))
        )
    )["bulletin"]
    await owner.execute(  # the draft sat for a while
        "UPDATE bulletins SET valid_from = now() - interval '3 hours' WHERE id = $1::uuid",
        draft["id"],
    )
    done = await call(app_client, tenant, PUBLISH, operator, input=None, draft=draft["id"])
    b = done["bulletin"]
    assert datetime.fromisoformat(b["validFrom"]) == datetime.fromisoformat(b["publishedAt"])
    (alert,) = alerts_in(await feed(app_client, tenant))
    sent, effective = cap_times(alert)
    assert effective == sent


async def test_valid_from_more_than_a_day_ago_is_refused(app_client, merauke):
    tenant, operator = merauke
    stale = content(
        area=area(polygon=ring(SQUARE)),
        validFrom=(datetime.now(UTC) - timedelta(hours=25)).isoformat(),
    )
    done = await call(app_client, tenant, PUBLISH, operator, input=stale, draft=None)
    assert [(e["code"], e["field"]) for e in done["errors"]] == [("INVALID_INPUT", "validFrom")]
