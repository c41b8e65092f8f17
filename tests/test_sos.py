"""The panic button and the nearby-facilities directory (part of issue 6)."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from helpers import auth_header, gql, wait_for_listeners

from jogo.platform.auth.roles import Role

SOS = """mutation($lat: Float!, $lon: Float!, $n: String) { raiseSos(latitude: $lat, longitude: $lon,
  note: $n) { report { id ticket urgent status } nearestPolicePost { name distanceM }
  nearestHospital { name distanceM } errors { code field message } } }"""
POST = """mutation($n: String!, $k: String!, $lat: Float!, $lon: Float!) { createPolicePost(name: $n,
  kind: $k, latitude: $lat, longitude: $lon) { id errors { code field } } }"""
NEARBY = """query($lat: Float!, $lon: Float!, $r: Float!, $k: [FacilityKind!]) { nearby(latitude: $lat,
  longitude: $lon, radiusM: $r, kinds: $k) { kind name distanceM } }"""
TUGU = (-7.9770, 112.6340)
WAIT = 10.0  # seconds: a deadline for an event that must come, not a latency bound


async def add_posts(client, settings, tenant):
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    for name, kind, lat, lon in (
        ("Polsek Klojen", "POLSEK", -7.9800, 112.6300),
        ("Pos Polisi Tugu", "POS_POLISI", -7.9772, 112.6345),
        ("Polsek Lowokwaru", "POLSEK", -7.9400, 112.6100),
    ):
        _, body = await gql(
            client, f"/t/{tenant.slug}/graphql", POST, admin, n=name, k=kind, lat=lat, lon=lon
        )
        assert body["data"]["createPolicePost"]["errors"] == [], body
    return admin


async def test_sos_creates_an_urgent_report_with_the_nearest_help(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    await add_posts(app_client, settings, tenant)
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", SOS, citizen, lat=TUGU[0], lon=TUGU[1], n=None
    )
    sos = body["data"]["raiseSos"]
    assert (
        sos["errors"] == [] and sos["report"]["urgent"] and sos["report"]["status"] == "SUBMITTED"
    )
    assert (
        sos["nearestPolicePost"]["name"] == "Pos Polisi Tugu"
        and sos["nearestPolicePost"]["distanceM"] < 100
    )
    assert sos["nearestHospital"]["name"]  # the Malang template's hospitals have coordinates
    row = await owner.fetchrow(
        "SELECT sos, urgent, verify_due_at - created_at AS due FROM reports WHERE id = $1::uuid",
        sos["report"]["id"],
    )
    assert row["sos"] and row["urgent"] and row["due"].total_seconds() <= 15 * 60


async def test_sos_is_limited_per_user_and_needs_a_sign_in(
    app_client, settings, two_tenants, owner
):
    slug = two_tenants.b.slug
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.b)
    codes = []
    for _ in range(4):
        _, body = await gql(
            app_client, f"/t/{slug}/graphql", SOS, citizen, lat=-7.0, lon=110.4, n="tolong"
        )
        codes.append([e["code"] for e in body["data"]["raiseSos"]["errors"]])
    assert codes == [[], [], [], ["RATE_LIMITED"]]
    other = await auth_header(settings, Role.CITIZEN, two_tenants.b)  # another user is not limited
    _, body = await gql(app_client, f"/t/{slug}/graphql", SOS, other, lat=-7.0, lon=110.4, n=None)
    assert body["data"]["raiseSos"]["errors"] == []
    _, anon = await gql(app_client, f"/t/{slug}/graphql", SOS, lat=-7.0, lon=110.4, n=None)
    assert anon["data"]["raiseSos"]["errors"][0]["code"] == "UNAUTHENTICATED"
    _, far = await gql(app_client, f"/t/{slug}/graphql", SOS, other, lat=40.0, lon=110.4, n=None)
    assert [(e["code"], e["field"]) for e in far["data"]["raiseSos"]["errors"]] == [
        ("INVALID_INPUT", "latitude")
    ]
    _, long_note = await gql(
        app_client, f"/t/{slug}/graphql", SOS, other, lat=-7.0, lon=110.4, n="x" * 501
    )
    assert [(e["code"], e["field"]) for e in long_note["data"]["raiseSos"]["errors"]] == [
        ("INVALID_INPUT", "note")
    ]
    # The refused presses wrote nothing: the three allowed and the other user's one.
    presses = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1 AND sos", two_tenants.b.id
    )
    assert presses == 4


async def test_a_subscribed_operator_gets_the_sos_live(
    app_client, live_server, settings, two_tenants
):
    tenant = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    async with websockets.connect(
        f"ws://{live_server}/t/{tenant.slug}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": operator}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": "subscription { reportEvents(urgentOnly: true) { ticket urgent event { kind } } }"
                    },
                }
            )
        )
        await wait_for_listeners(1, tenant.id)
        _, body = await gql(
            app_client, f"/t/{tenant.slug}/graphql", SOS, citizen, lat=TUGU[0], lon=TUGU[1], n=None
        )
        ticket = body["data"]["raiseSos"]["report"]["ticket"]
        # The event must come (a deadline that fails); how fast is a figure for bench/,
        # not a wall-clock assertion here.
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    event = message["payload"]["data"]["reportEvents"]
    assert event == {"ticket": ticket, "urgent": True, "event": {"kind": "SUBMITTED"}}


async def test_nearby_orders_by_distance_and_respects_kinds_and_tenants(
    app_client, settings, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    await add_posts(app_client, settings, a)
    b_admin = await auth_header(settings, Role.TENANT_ADMIN, b)
    _, created = await gql(
        app_client,
        f"/t/{b.slug}/graphql",
        POST,
        b_admin,
        n="Polsek milik B",
        k="POLSEK",
        lat=TUGU[0],
        lon=TUGU[1],
    )
    assert created["data"]["createPolicePost"]["errors"] == [], created
    # B's post exists and B finds it at the same spot: A not seeing it below means isolation.
    _, in_b = await gql(
        app_client, f"/t/{b.slug}/graphql", NEARBY, lat=TUGU[0], lon=TUGU[1], r=1000, k=None
    )
    assert "Polsek milik B" in [f["name"] for f in in_b["data"]["nearby"]], in_b
    _, body = await gql(
        app_client,
        f"/t/{a.slug}/graphql",
        NEARBY,
        lat=TUGU[0],
        lon=TUGU[1],
        r=1000,
        k=["POLICE_POST"],
    )
    names = [f["name"] for f in body["data"]["nearby"]]
    assert names[:2] == ["Pos Polisi Tugu", "Polsek Klojen"] and "Polsek Lowokwaru" not in names
    assert "Polsek milik B" not in names
    distances = [f["distanceM"] for f in body["data"]["nearby"]]
    assert distances == sorted(distances)
    _, both = await gql(
        app_client, f"/t/{a.slug}/graphql", NEARBY, lat=TUGU[0], lon=TUGU[1], r=3000, k=None
    )
    assert {"hospital", "police_post"} <= {f["kind"] for f in both["data"]["nearby"]}
    _, bad = await gql(
        app_client, f"/t/{a.slug}/graphql", NEARBY, lat=TUGU[0], lon=TUGU[1], r=50_000, k=None
    )
    assert bad["errors"][0]["extensions"]["field"] == "radiusM"


@pytest.mark.parametrize(
    ("args", "field"),
    [({"n": "x"}, "name"), ({"k": "MARKAS"}, "kind"), ({"lat": 20.0}, "latitude")],
)
async def test_create_police_post_bad_input(app_client, settings, two_tenants, args, field):
    admin = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    base = {"n": "Polsek Sukun", "k": "POLSEK", "lat": -8.0, "lon": 112.6} | args
    _, body = await gql(app_client, f"/t/{two_tenants.a.slug}/graphql", POST, admin, **base)
    assert field in [e["field"] for e in body["data"]["createPolicePost"]["errors"]]
