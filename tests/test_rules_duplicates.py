"""The duplicate rule at its boundaries (issue 15, item 1).

README "Reports": a report within 200 m and 2 h of an *open* report of the *same
category* is linked as a possible duplicate. Open means SUBMITTED, VERIFIED, DISPATCHED
or IN_PROGRESS (``tenants/reports/lifecycle.py``).

Offsets are worked out by hand on the 6,371 km sphere, not with our distance function:
one degree of latitude is 6,371,000 m x pi / 180 = 111,194.9 m, so 195 m is 0.001754 deg
and 205 m is 0.001844 deg. At latitude 7.953 deg S, cos = 0.990381, so one degree of
longitude is 110,125.3 m: 195 m is 0.001771 deg and 205 m is 0.001862 deg. Due north,
the great-circle distance is the latitude difference itself: 0.001794 deg is 199.48 m
and 0.001803 deg is 200.49 m, half a metre either side of the radius.
"""

from __future__ import annotations

import uuid

import pytest
from helpers import auth_header, submit

from jogo.platform.auth.roles import Role

LAT, LON = -7.9530, 112.6140  # Malang
NORTH_195 = 0.001754
NORTH_205 = 0.001844
EAST_195 = 0.001771
EAST_205 = 0.001862
NORTH_199_5 = 0.001794
NORTH_200_5 = 0.001803


async def _pair(
    app_client, settings, tenant, second_at, category="FLOOD", age=None, status=None, owner=None
):
    """Submit an original at (LAT, LON), age it / change its status as the owner, then a
    second report at ``second_at``; both payloads' reports."""
    staff = await auth_header(settings, Role.OPERATOR, tenant)
    first = (
        await submit(
            app_client, tenant.slug, staff, latitude=LAT, longitude=LON, categoryCode="FLOOD"
        )
    )["report"]
    assert first["duplicateOfId"] is None
    if age is not None:
        await owner.execute(
            f"UPDATE reports SET created_at = now() - interval '{age}' WHERE id = $1",
            uuid.UUID(first["id"]),
        )
    if status is not None:
        await owner.execute(
            "UPDATE reports SET status = $2,"
            " reject_reason = CASE WHEN $2 = 'REJECTED' THEN 'Bukan laporan' END WHERE id = $1",
            uuid.UUID(first["id"]),
            status,
        )
    lat, lon = second_at
    second = (
        await submit(
            app_client, tenant.slug, staff, latitude=lat, longitude=lon, categoryCode=category
        )
    )["report"]
    return first, second


@pytest.mark.parametrize(
    ("where", "linked"),
    [
        ((LAT + NORTH_199_5, LON), True),
        ((LAT + NORTH_200_5, LON), False),
        ((LAT + NORTH_195, LON), True),
        ((LAT + NORTH_205, LON), False),
        ((LAT - NORTH_195, LON), True),
        ((LAT - NORTH_205, LON), False),
        ((LAT, LON + EAST_195), True),
        ((LAT, LON + EAST_205), False),
        ((LAT, LON - EAST_195), True),
        ((LAT, LON - EAST_205), False),
    ],
)
async def test_the_radius_is_200_metres(app_client, settings, two_tenants, where, linked):
    first, second = await _pair(app_client, settings, two_tenants.a, where)
    assert second["duplicateOfId"] == (first["id"] if linked else None)


@pytest.mark.parametrize(
    ("age", "linked"),
    [("1 hour 59 minutes", True), ("2 hours 1 minute", False)],
)
async def test_the_window_is_two_hours(app_client, settings, owner, two_tenants, age, linked):
    first, second = await _pair(
        app_client, settings, two_tenants.a, (LAT + NORTH_195, LON), age=age, owner=owner
    )
    assert second["duplicateOfId"] == (first["id"] if linked else None)


async def test_only_the_same_category_is_a_duplicate(app_client, settings, two_tenants):
    first, same_spot_other_kind = await _pair(
        app_client, settings, two_tenants.a, (LAT, LON), category="FIRE"
    )
    assert same_spot_other_kind["duplicateOfId"] is None
    # The control: the same spot and the same category is one.
    again = (
        await submit(
            app_client,
            two_tenants.a.slug,
            await auth_header(settings, Role.OPERATOR, two_tenants.a),
            latitude=LAT,
            longitude=LON,
            categoryCode="FLOOD",
        )
    )["report"]
    assert again["duplicateOfId"] == first["id"]


@pytest.mark.parametrize(
    ("status", "linked"),
    [
        ("SUBMITTED", True),
        ("VERIFIED", True),
        ("DISPATCHED", True),
        ("IN_PROGRESS", True),
        ("RESOLVED", False),
        ("CLOSED", False),
        ("REJECTED", False),
    ],
)
async def test_only_an_open_original_is_linked(
    app_client, settings, owner, two_tenants, status, linked
):
    first, second = await _pair(
        app_client, settings, two_tenants.a, (LAT + NORTH_195, LON), status=status, owner=owner
    )
    assert second["duplicateOfId"] == (first["id"] if linked else None)
