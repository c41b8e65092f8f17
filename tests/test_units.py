"""Issue 14 part 3 (officers and units): units as records, the officers search, an
officer's own queue, and the migration of free-text units. Two tenants throughout."""

from __future__ import annotations

import uuid

import asyncpg
from helpers import (
    ADMIN_URL,
    ASSIGN,
    STATUS,
    VERIFY,
    act,
    auth_header,
    bearer_for,
    create_unit,
    db_url,
    gql,
    make_user,
    submit,
)

from jogo.platform.auth.roles import Role
from jogo.platform.auth.users import create_user
from jogo.platform.migrate import _bootstrap, load_migrations

UNITS = """query($all: Boolean, $first: Int, $after: String) {
  units(includeInactive: $all, first: $first, after: $after) {
    edges { cursor node { id name kind status isActive members { id username } } }
    pageInfo { hasNextPage endCursor } } }"""
UPDATE = """mutation($u: ID!, $n: String, $k: UnitKind) { updateUnit(unitId: $u, name: $n, kind: $k) {
  unit { name kind } errors { code field message } } }"""
SET_STATUS = """mutation($u: ID!, $s: UnitStatus!) { setUnitStatus(unitId: $u, status: $s) {
  unit { status } errors { code field message } } }"""
SET_MEMBERS = """mutation($u: ID!, $m: [ID!]!) { setUnitMembers(unitId: $u, userIds: $m) {
  unit { members { id username } } errors { code field message } } }"""
DEACTIVATE = """mutation($u: ID!) { deactivateUnit(unitId: $u) {
  unit { isActive status } errors { code field message } } }"""
CREATE = """mutation($n: String!, $k: UnitKind!, $c: String) { createUnit(name: $n, kind: $k, clientKey: $c) {
  unit { id name } errors { code field message } } }"""
OFFICERS = """query($s: String, $first: Int, $after: String) {
  officers(search: $s, first: $first, after: $after) {
    edges { node { id username fullName displayName roles units { name } } }
    pageInfo { hasNextPage endCursor } } }"""
QUEUE = """query($lat: Float, $lng: Float, $first: Int, $after: String) {
  myQueue(latitude: $lat, longitude: $lng, first: $first, after: $after) {
    edges { cursor distanceMeters node { id title status followupDueAt } }
    pageInfo { hasNextPage endCursor } } }"""


async def _query(client, slug, query, headers, **variables) -> dict:
    status, body = await gql(client, f"/t/{slug}/graphql", query, headers, **variables)
    assert status == 200 and "errors" not in body, body
    return body["data"]


async def test_units_are_managed_by_operators_audited_and_stay_in_their_tenant(
    app_client, settings, two_tenants, owner
):
    a, b = two_tenants.a, two_tenants.b
    operator = await auth_header(settings, Role.OPERATOR, a)
    officer_id, officer_name = await make_user(Role.OFFICER, a)
    officer = bearer_for(officer_id, officer_name, settings)
    citizen_id, _ = await make_user(Role.CITIZEN, a)
    b_officer_id, _ = await make_user(Role.OFFICER, b)

    unit = await create_unit(app_client, a.slug, operator, "Patroli  Samapta 1", "SAMAPTA")
    again = await act(app_client, a.slug, CREATE, operator, n="patroli samapta 1", k="LANTAS")
    assert again["errors"][0]["code"] == "CONFLICT" and again["errors"][0]["field"] == "name"
    key = uuid.uuid4().hex
    first = await act(app_client, a.slug, CREATE, operator, n="Tim Lantas", k="LANTAS", c=key)
    retry = await act(app_client, a.slug, CREATE, operator, n="Tim Lantas", k="LANTAS", c=key)
    assert first["unit"]["id"] == retry["unit"]["id"]  # one unit per client key
    empty = await act(app_client, a.slug, CREATE, operator, n="   ", k="LANTAS")
    assert empty["unit"] is None
    assert [(e["code"], e["field"]) for e in empty["errors"]] == [("INVALID_INPUT", "name")]
    names = await owner.fetch("SELECT name FROM units WHERE tenant_id = $1 ORDER BY name", a.id)
    assert [r["name"] for r in names] == ["Patroli Samapta 1", "Tim Lantas"]

    renamed = await act(app_client, a.slug, UPDATE, operator, u=unit, n="Patroli 1", k=None)
    assert renamed["unit"] == {"name": "Patroli 1", "kind": "SAMAPTA"}
    busy = await act(app_client, a.slug, SET_STATUS, operator, u=unit, s="BUSY")
    assert busy["unit"] == {"status": "BUSY"}
    members = await act(app_client, a.slug, SET_MEMBERS, operator, u=unit, m=[str(officer_id)])
    assert members["unit"]["members"] == [{"id": str(officer_id), "username": officer_name}]
    for stranger in (citizen_id, b_officer_id, "not-an-id"):
        bad = await act(app_client, a.slug, SET_MEMBERS, operator, u=unit, m=[str(stranger)])
        assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_INPUT", "userIds")], (
            bad
        )
        kept = await owner.fetch(
            "SELECT user_id FROM unit_members WHERE tenant_id = $1 AND unit_id = $2::uuid",
            a.id,
            unit,
        )
        assert [r["user_id"] for r in kept] == [officer_id]
    # An officer reads units but does not manage them.
    seen = await _query(app_client, a.slug, UNITS, officer)
    names = [e["node"]["name"] for e in seen["units"]["edges"]]
    assert names == ["Patroli 1", "Tim Lantas"]
    refused = await act(app_client, a.slug, SET_STATUS, officer, u=unit, s="AVAILABLE")
    assert refused["errors"][0]["code"] == "FORBIDDEN"

    # Tenant B neither sees nor touches A's units.
    b_operator = await auth_header(settings, Role.OPERATOR, b)
    assert (await _query(app_client, b.slug, UNITS, b_operator))["units"]["edges"] == []
    for mutation, extra in (
        (SET_STATUS, {"s": "OFF_DUTY"}),
        (UPDATE, {"n": "Punya B", "k": None}),
        (SET_MEMBERS, {"m": []}),
        (DEACTIVATE, {}),
    ):
        crossed = await act(app_client, b.slug, mutation, b_operator, u=unit, **extra)
        assert crossed["errors"][0]["code"] == "NOT_FOUND", (mutation, crossed)
    # The same name is free in another tenant.
    await create_unit(app_client, b.slug, b_operator, "Patroli 1", "SAMAPTA")

    # Deactivation waits for open reports to be reassigned; then the name is free again.
    rid = (await submit(app_client, a.slug, operator))["report"]["id"]
    await act(app_client, a.slug, ASSIGN, operator, id=rid, o=None, u=unit)
    blocked = await act(app_client, a.slug, DEACTIVATE, operator, u=unit)
    assert blocked["errors"][0]["code"] == "CONFLICT"
    await act(app_client, a.slug, ASSIGN, operator, id=rid, o=str(officer_id), u=None)
    gone = await act(app_client, a.slug, DEACTIVATE, operator, u=unit)
    assert gone["unit"] == {"isActive": False, "status": "OFF_DUTY"}
    late = await act(app_client, a.slug, ASSIGN, operator, id=rid, o=None, u=unit)
    assert late["errors"][0]["code"] == "CONFLICT"
    active = await _query(app_client, a.slug, UNITS, operator)
    assert [e["node"]["name"] for e in active["units"]["edges"]] == ["Tim Lantas"]
    every = await _query(app_client, a.slug, UNITS, operator, all=True)
    assert len(every["units"]["edges"]) == 2
    await create_unit(app_client, a.slug, operator, "Patroli 1", "SAMAPTA")

    actions = [
        r["action"]
        for r in await owner.fetch(
            "SELECT action FROM audit_log WHERE tenant = $1 AND target = $2 ORDER BY id",
            a.id,
            f"unit:{unit}",
        )
    ]
    assert actions == [
        "unit.create",
        "unit.update",
        "unit.set_status",
        "unit.set_members",
        "unit.deactivate",
    ]


async def test_units_page_by_name(app_client, settings, two_tenants):
    slug = two_tenants.a.slug
    operator = await auth_header(settings, Role.OPERATOR, slug and two_tenants.a)
    for name in ("Charlie", "alpha", "Bravo"):
        await create_unit(app_client, slug, operator, name, "OTHER")
    page = (await _query(app_client, slug, UNITS, operator, first=2))["units"]
    assert [e["node"]["name"] for e in page["edges"]] == ["alpha", "Bravo"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await _query(
        app_client, slug, UNITS, operator, first=2, after=page["pageInfo"]["endCursor"]
    )
    assert [e["node"]["name"] for e in rest["units"]["edges"]] == ["Charlie"]
    _, bad = await gql(app_client, f"/t/{slug}/graphql", UNITS, operator, first=101)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_officers_search_is_per_tenant_and_active_only(
    app_client, settings, two_tenants, owner, span_exporter
):
    a, b = two_tenants.a, two_tenants.b
    operator = await auth_header(settings, Role.OPERATOR, a)
    tag = uuid.uuid4().hex[:6]
    siti = await create_user(
        f"siti.{tag}", "correct horse battery", Role.OFFICER, tenant=a, full_name="Siti Rahayu"
    )
    budi = await create_user(
        f"budi.{tag}", "correct horse battery", Role.OPERATOR, tenant=a, full_name="Budi Santoso"
    )
    gone = await create_user(f"gone.{tag}", "correct horse battery", Role.OFFICER, tenant=a)
    await create_user(
        f"sitib.{tag}", "correct horse battery", Role.OFFICER, tenant=b, full_name="Siti dari B"
    )
    await create_user(f"citizen.{tag}", "correct horse battery", Role.CITIZEN, tenant=a)
    await owner.execute("UPDATE users SET is_active = false WHERE id = $1", gone)
    unit = await create_unit(app_client, a.slug, operator, f"Buser {tag}", "RESKRIM")
    await act(
        app_client,
        a.slug,
        """mutation($u: ID!, $m: [ID!]!) { setUnitMembers(
      unitId: $u, userIds: $m) { errors { code } } }""",
        operator,
        u=unit,
        m=[str(siti)],
    )

    def found(data) -> dict:
        return {e["node"]["username"]: e["node"] for e in data["officers"]["edges"]}

    mine = found(await _query(app_client, a.slug, OFFICERS, operator, s=tag))
    assert set(mine) == {f"siti.{tag}", f"budi.{tag}"}  # not B's, not deactivated, no citizen
    assert mine[f"siti.{tag}"] == {
        "id": str(siti),
        "username": f"siti.{tag}",
        "fullName": "Siti Rahayu",
        "displayName": "Siti Rahayu",
        "roles": ["officer"],
        "units": [{"name": f"Buser {tag}"}],
    }
    assert mine[f"budi.{tag}"]["roles"] == ["operator"] and mine[f"budi.{tag}"]["id"] == str(budi)
    # Part of the full name, any case; B's Siti never shows.
    by_name = found(await _query(app_client, a.slug, OFFICERS, operator, s="SITI RAH"))
    assert list(by_name) == [f"siti.{tag}"]
    # Pages of one, in username order.
    page = (await _query(app_client, a.slug, OFFICERS, operator, s=tag, first=1))["officers"]
    assert [e["node"]["username"] for e in page["edges"]] == [f"budi.{tag}"]
    rest = await _query(
        app_client, a.slug, OFFICERS, operator, s=tag, first=1, after=page["pageInfo"]["endCursor"]
    )
    assert list(found(rest)) == [f"siti.{tag}"]
    # Wildcards match themselves.
    assert found(await _query(app_client, a.slug, OFFICERS, operator, s="%")) == {}
    # Officers cannot list the command's people.
    officer = await auth_header(settings, Role.OFFICER, a)
    _, denied = await gql(app_client, f"/t/{a.slug}/graphql", OFFICERS, officer, s=tag)
    assert denied["data"]["officers"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A page of officers with their units costs the same statements as one officer.
    counts = []
    for first in (1, 2):
        span_exporter.clear()
        data = await _query(app_client, a.slug, OFFICERS, operator, s=tag, first=first)
        assert len(data["officers"]["edges"]) == first
        counts.append(
            sum(
                1
                for s in span_exporter.get_finished_spans()
                if s.attributes and s.attributes.get("db.system") == "postgresql"
            )
        )
    assert counts[0] == counts[1], counts
    # A deactivated user leaves the unit's member list (and the search).
    listed = await _query(app_client, a.slug, UNITS, operator)
    node = next(e["node"] for e in listed["units"]["edges"] if e["node"]["id"] == unit)
    assert [m["id"] for m in node["members"]] == [str(siti)]
    await owner.execute("UPDATE users SET is_active = false WHERE id = $1", siti)
    listed = await _query(app_client, a.slug, UNITS, operator)
    node = next(e["node"] for e in listed["units"]["edges"] if e["node"]["id"] == unit)
    assert node["members"] == []
    assert found(await _query(app_client, a.slug, OFFICERS, operator, s="siti rah")) == {}
    # An ended membership in this command: gone too, though the user stays active.
    await owner.execute("DELETE FROM memberships WHERE user_id = $1", budi)
    assert found(await _query(app_client, a.slug, OFFICERS, operator, s=tag)) == {}


async def test_my_queue_nearest_first_or_by_deadline(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    operator = await auth_header(settings, Role.OPERATOR, a)
    officer_id, officer_name = await make_user(Role.OFFICER, a)
    officer = bearer_for(officer_id, officer_name, settings)
    other_id, _ = await make_user(Role.OFFICER, a)
    unit = await create_unit(app_client, a.slug, operator, "Patroli Queue", "SAMAPTA")
    await act(app_client, a.slug, SET_MEMBERS, operator, u=unit, m=[str(officer_id)])

    async def report(title, lat, **assign) -> str:
        rid: str = (await submit(app_client, a.slug, operator, title=title, latitude=lat))[
            "report"
        ]["id"]
        await act(app_client, a.slug, ASSIGN, operator, id=rid, **assign)
        return rid

    far = await report("Laporan jauh sekali", -7.80, o=str(officer_id), u=None)
    near = await report("Laporan dekat sekali", -7.97, o=None, u=unit)
    started = await report("Laporan sedang jalan", -7.90, o=str(officer_id), u=None)
    await report("Laporan petugas lain", -7.96, o=str(other_id), u=None)
    closed = await report("Laporan sudah selesai", -7.965, o=str(officer_id), u=None)
    await act(app_client, a.slug, VERIFY, operator, id=started)
    await act(app_client, a.slug, STATUS, officer, id=started, s="IN_PROGRESS", n=None)
    await act(app_client, a.slug, VERIFY, operator, id=closed)
    await act(app_client, a.slug, STATUS, operator, id=closed, s="IN_PROGRESS", n=None)
    await act(app_client, a.slug, STATUS, operator, id=closed, s="RESOLVED", n="Beres")

    here = await _query(app_client, a.slug, QUEUE, officer, lat=-7.9666, lng=112.6326)
    edges = here["myQueue"]["edges"]
    assert [e["node"]["id"] for e in edges] == [near, started, far]
    assert (
        edges[0]["distanceMeters"] < 1000 < edges[1]["distanceMeters"] < edges[2]["distanceMeters"]
    )
    # Without a location: the running deadline first (the started case's follow-up is
    # days away, the SUBMITTED ones' verification too: all due, earliest first).
    plain = (await _query(app_client, a.slug, QUEUE, officer))["myQueue"]["edges"]
    assert {e["node"]["id"] for e in plain} == {near, started, far}
    assert all(e["distanceMeters"] is None for e in plain)
    # Pages.
    one = await _query(app_client, a.slug, QUEUE, officer, lat=-7.9666, lng=112.6326, first=1)
    assert one["myQueue"]["pageInfo"]["hasNextPage"] is True
    two = await _query(
        app_client,
        a.slug,
        QUEUE,
        officer,
        lat=-7.9666,
        lng=112.6326,
        first=2,
        after=one["myQueue"]["pageInfo"]["endCursor"],
    )
    assert [e["node"]["id"] for e in two["myQueue"]["edges"]] == [started, far]
    _, half = await gql(app_client, f"/t/{a.slug}/graphql", QUEUE, officer, lat=-7.9)
    assert half["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    # Tenant B's officer has an empty queue; A's token on B is refused outright.
    b_officer = await auth_header(settings, Role.OFFICER, b)
    assert (await _query(app_client, b.slug, QUEUE, b_officer))["myQueue"]["edges"] == []
    status, _ = await gql(app_client, f"/t/{b.slug}/graphql", QUEUE, officer)
    assert status == 404


async def test_free_text_units_become_records():
    """Migration 0018 on data written before it: one unit per distinct name per tenant
    (case and spacing aside), reports pointing at it, nothing lost."""
    name = f"jogo_mig18_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        conn = await asyncpg.connect(db_url(name))
        try:
            await _bootstrap(conn)

            async def apply(version_test) -> None:
                for m in load_migrations():
                    if version_test(m.version):
                        async with conn.transaction():
                            await conn.execute("SET LOCAL ROLE jogo_owner")
                            await conn.execute(m.sql)

            await apply(lambda v: v < "0018")
            tenants = []
            for slug, prefix in (("polres-satu", "BTU"), ("polres-dua", "BTA")):
                tenants.append(
                    await conn.fetchval(
                        "INSERT INTO tenants (slug, name, kind, polda_code, region_code,"
                        " time_zone, ticket_prefix, template) VALUES ($1, 'Polres Uji',"
                        " 'POLRES', 'JATIM', '35.79', 'WIB', $2, 't') RETURNING id",
                        slug,
                        prefix,
                    )
                )
            units = {
                tenants[0]: ["Unit Turjawali", " unit  turjawali ", "Tim Buser", None],
                tenants[1]: ["Unit Turjawali", "Patroli Samapta"],
            }
            for tenant, names in units.items():
                category = await conn.fetchval(
                    "INSERT INTO report_categories (tenant_id, code, name_id, name_en)"
                    " VALUES ($1, 'CRIME', 'Kejahatan', 'Crime') RETURNING id",
                    tenant,
                )
                for i, unit in enumerate(names):
                    await conn.execute(
                        "INSERT INTO reports (tenant_id, ticket, category_id, title, description,"
                        " latitude, longitude, occurred_at, anonymous, submitted_by,"
                        " verify_due_at, assigned_unit) VALUES ($1, $2, $3, 'Judul laporan',"
                        " 'Uraian laporan yang cukup', -7.9, 112.5, now(), false, 'pytest',"
                        " now(), $4)",
                        tenant,
                        f"BTU-2026-{i:06d}",
                        category,
                        unit,
                    )
            await apply(lambda v: v == "0018")
            rows = await conn.fetch(
                "SELECT r.tenant_id, r.ticket, u.name, u.kind, u.tenant_id AS unit_tenant"
                " FROM reports r LEFT JOIN units u"
                " ON u.tenant_id = r.tenant_id AND u.id = r.assigned_unit_id ORDER BY r.ticket"
            )
            made = await conn.fetch("SELECT tenant_id, name, kind FROM units ORDER BY name")
            forced = await conn.fetchval(
                "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'reports'"
            )
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
    by_tenant = {(r["tenant_id"], r["ticket"]): (r["name"], r["kind"]) for r in rows}
    one, two = tenants
    assert by_tenant[(one, "BTU-2026-000000")] == ("Unit Turjawali", "LANTAS")
    assert by_tenant[(one, "BTU-2026-000001")] == ("Unit Turjawali", "LANTAS")
    assert by_tenant[(one, "BTU-2026-000002")] == ("Tim Buser", "RESKRIM")
    assert by_tenant[(one, "BTU-2026-000003")] == (None, None)
    assert by_tenant[(two, "BTU-2026-000001")] == ("Patroli Samapta", "SAMAPTA")
    assert sorted((r["tenant_id"] == one, r["name"]) for r in made) == [
        (False, "Patroli Samapta"),
        (False, "Unit Turjawali"),
        (True, "Tim Buser"),
        (True, "Unit Turjawali"),
    ]
    assert all(r["unit_tenant"] in (None, r["tenant_id"]) for r in rows)
    assert forced  # row-level security is forced again after the move


async def test_my_queue_costs_the_same_statements_for_one_or_many(
    app_client, settings, two_tenants, span_exporter
):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    officer_id, officer_name = await make_user(Role.OFFICER, a)
    officer = bearer_for(officer_id, officer_name, settings)
    unit = await create_unit(app_client, a.slug, operator, "Patroli Hitung", "SAMAPTA")
    await act(app_client, a.slug, SET_MEMBERS, operator, u=unit, m=[str(officer_id)])
    for i in range(4):
        rid = (await submit(app_client, a.slug, operator, latitude=-7.90 - i * 0.01))["report"][
            "id"
        ]
        assign = {"o": str(officer_id), "u": None} if i % 2 else {"o": None, "u": unit}
        await act(app_client, a.slug, ASSIGN, operator, id=rid, **assign)
    deep = """query($first: Int) { myQueue(first: $first, latitude: -7.9, longitude: 112.6) {
      edges { node { id category { code } assignedUnit { name members { username } }
        assignedOfficer { username } timeline { kind } lastEvent { kind } } } } }"""
    counts = []
    for first in (2, 4):  # both kinds of assignment on every page
        span_exporter.clear()
        data = await _query(app_client, a.slug, deep, officer, first=first)
        assert len(data["myQueue"]["edges"]) == first
        counts.append(
            sum(
                1
                for s in span_exporter.get_finished_spans()
                if s.attributes and s.attributes.get("db.system") == "postgresql"
            )
        )
    assert counts[0] == counts[1] and counts[1] <= 40, counts
