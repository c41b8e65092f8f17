"""Planned reads (issue 18): the operator list and a report's page in one statement of one
read transaction, completed without graphql-core's per-field work, with the same answers
and the same isolation."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from helpers import (
    ASSIGN,
    act,
    auth_header,
    bearer_for,
    dispatch_to,
    gql,
    make_user,
    manual_agencies,
    onboard,
    png_bytes,
    submit,
    upload_report,
)

from jogo.graphql import compiled
from jogo.platform.auth.roles import Role

LIST = """query($first: Int!) { reports(first: $first) { totalCount edges { cursor node {
  id ticket title status createdAt sos channel slaBreached duplicateOfId outsideJurisdiction
  category { code nameId nameEn }
  assignedOfficer { id username fullName }
  lastEvent { kind messageId messageEn actorName createdAt public }
  latestDispatch { agencyName agencyCode status createdAt } } }
  pageInfo { hasNextPage endCursor } } }"""

DETAIL = """query($id: ID!) { report(id: $id) { id ticket title description status
  category { code } assignedOfficer { username }
  timeline { id kind messageId actorName note public createdAt }
  attachments { id url contentType sizeBytes sha256 }
  dispatches { agencyName status outcome createdAt }
  latestDispatch { agencyName } } }"""


def traced(headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    trace_id = secrets.randbits(128) or 1
    parent = f"00-{trace_id:032x}-{secrets.randbits(64) or 1:016x}-01"
    return trace_id, {**headers, "traceparent": parent}


def statements(span_exporter, trace_id: int) -> list[str]:
    """The SQL statements of one request's trace, in order."""
    spans = [
        s
        for s in span_exporter.get_finished_spans()
        if s.context.trace_id == trace_id and (s.attributes or {}).get("db.system") == "postgresql"
    ]
    spans.sort(key=lambda s: s.start_time or 0)
    return [str((s.attributes or {}).get("db.statement", "")) for s in spans]


async def _busy_tenant(app_client, settings, photos: bool = False):
    """A tenant with 12 reports: half assigned, some dispatched to an agency, one with a
    photo; the operator's headers and the report ids."""
    tenant = await onboard()
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    officer_id, _ = await make_user(Role.OFFICER, tenant)
    agency = (await manual_agencies(app_client, tenant.slug, admin))[0]
    ids = []
    for i in range(12):
        rid = (await submit(app_client, tenant.slug, admin, latitude=-7.95 - i * 0.01))["report"][
            "id"
        ]
        ids.append(rid)
        if i % 2:
            await act(app_client, tenant.slug, ASSIGN, admin, id=rid, o=str(officer_id), u=None)
        if i % 3 == 0:
            await dispatch_to(app_client, tenant, admin, agency, rid)
    if photos:
        done = await upload_report(
            app_client, tenant.slug, admin, [("a.png", png_bytes(), "image/png")]
        )
        ids.append(done["report"]["id"])
    return tenant, admin, ids


async def test_operator_list_is_one_statement_in_one_transaction(
    app_client, settings, span_exporter
):
    tenant, admin, _ = await _busy_tenant(app_client, settings)
    path = f"/t/{tenant.slug}/graphql"
    for first in (1, 12):
        await gql(app_client, path, LIST, admin, first=first)  # warm: pool and caches
        trace_id, headers = traced(admin)
        status, body = await gql(app_client, path, LIST, headers, first=first)
        assert status == 200 and "errors" not in body, body
        assert len(body["data"]["reports"]["edges"]) == first
        sql = statements(span_exporter, trace_id)
        begins = [s for s in sql if s.startswith("BEGIN")]
        assert len(begins) == 1, sql
        assert str(tenant.id) in begins[0]
        assert sql.count("COMMIT") == 1, sql
        # BEGIN (with the tenant), the planned statement, COMMIT; plus at most one to
        # authenticate the caller.
        assert len(sql) <= 5, sql
        start, end = sql.index(begins[0]), sql.index("COMMIT")
        assert end - start + 1 <= 4, sql
    listed = body["data"]["reports"]
    assert listed["totalCount"] == 12
    nodes = [e["node"] for e in listed["edges"]]
    assert sum(1 for n in nodes if n["assignedOfficer"]) == 6
    assert sum(1 for n in nodes if n["latestDispatch"]) == 4
    dispatched = next(n for n in nodes if n["latestDispatch"])
    assert dispatched["latestDispatch"]["agencyName"]
    assert all(n["category"]["code"] and n["lastEvent"]["kind"] for n in nodes)


async def test_report_page_is_one_statement(app_client, settings, span_exporter):
    tenant, admin, ids = await _busy_tenant(app_client, settings, photos=True)
    path = f"/t/{tenant.slug}/graphql"
    await gql(app_client, path, DETAIL, admin, id=ids[0])
    trace_id, headers = traced(admin)
    status, body = await gql(app_client, path, DETAIL, headers, id=ids[0])
    assert status == 200 and "errors" not in body, body
    sql = statements(span_exporter, trace_id)
    assert len(sql) <= 5 and sql.count("COMMIT") == 1, sql
    report = body["data"]["report"]
    kinds = [e["kind"] for e in report["timeline"]]
    assert kinds[0] == "SUBMITTED" and "DISPATCH" in kinds
    assert len(report["dispatches"]) == 1
    assert report["latestDispatch"]["agencyName"] == report["dispatches"][0]["agencyName"]
    status, body = await gql(app_client, path, DETAIL, admin, id=ids[-1])
    photo = body["data"]["report"]["attachments"]
    assert len(photo) == 1 and photo[0]["url"] == f"/t/{tenant.slug}/attachments/{photo[0]['id']}"


SHAPES = [
    LIST,
    # aliases, fragments, inline fragments, __typename, @skip/@include
    """query($first: Int!, $no: Boolean!) { reports(first: $first) { edges { node {
      ...F t: ticket __typename c: category { __typename ... on Category { code } }
      lastEvent @include(if: $no) { kind } latestDispatch @skip(if: $no) { agencyName } } } } }
      fragment F on Report { id status assignedOfficer { username } }""",
    # fields the plan does not cover: the unit (a loader) and the reporter (a permission
    # class, audited): the normal path answers them
    """query($first: Int!) { reports(first: $first) { edges { node { ticket
      assignedUnit { name } reporter { anonymous } category { code } } } } }""",
]


@pytest.mark.parametrize("shape", range(len(SHAPES)))
async def test_fast_completion_answers_as_graphql_core_does(
    app_client, settings, shape, monkeypatch
):
    """The same request, completed by the planned path and by graphql-core alone."""
    tenant, admin, _ = await _busy_tenant(app_client, settings)
    path = f"/t/{tenant.slug}/graphql"
    variables = {"first": 12, "no": False}
    if shape != 1:
        variables.pop("no")
    fast = await app_client.post(
        path, json={"query": SHAPES[shape], "variables": variables}, headers=admin
    )
    monkeypatch.setattr(compiled, "_PLANNED", set())
    slow = await app_client.post(
        path, json={"query": SHAPES[shape], "variables": variables}, headers=admin
    )
    assert fast.status_code == slow.status_code == 200
    # ``extensions.cost`` differs (the second request's budget is lower); the rest is equal.
    assert fast.json().pop("extensions") and slow.json().pop("extensions")
    assert {**fast.json(), "extensions": None} == {**slow.json(), "extensions": None}
    assert "errors" not in fast.json(), fast.json()


async def test_a_restricted_field_still_fails_alone(app_client, settings):
    """An officer may not read the reporter: that field is null with its error, the rest
    of each row stays (the planned path falls back for it)."""
    tenant, admin, ids = await _busy_tenant(app_client, settings)
    officer_id, name = await make_user(Role.OFFICER, tenant)
    await act(app_client, tenant.slug, ASSIGN, admin, id=ids[0], o=str(officer_id), u=None)
    officer = bearer_for(officer_id, name, settings)
    status, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        "query { reports(first: 5) { edges { node { ticket category { code }"
        " reporter { anonymous } } } } }",
        officer,
    )
    assert status == 200
    edges = body["data"]["reports"]["edges"]
    assert len(edges) == 1 and edges[0]["node"]["ticket"] and edges[0]["node"]["reporter"] is None
    assert body["errors"][0]["path"][-1] == "reporter"


async def test_citizens_see_no_staff_relations(app_client, settings):
    """A citizen's own report: public timeline only, no officer and no dispatches."""
    tenant, admin, _ = await _busy_tenant(app_client, settings)
    citizen_id, name = await make_user(Role.CITIZEN, tenant)
    citizen = bearer_for(citizen_id, name, settings)
    rid = (await submit(app_client, tenant.slug, citizen))["report"]["id"]
    officer_id, _ = await make_user(Role.OFFICER, tenant)
    await act(app_client, tenant.slug, ASSIGN, admin, id=rid, o=str(officer_id), u=None)
    agency = (await manual_agencies(app_client, tenant.slug, admin))[0]
    await dispatch_to(app_client, tenant, admin, agency, rid)
    path = f"/t/{tenant.slug}/graphql"
    _, mine = await gql(app_client, path, DETAIL, citizen, id=rid)
    report = mine["data"]["report"]
    assert report["assignedOfficer"] is None
    assert report["dispatches"] == [] and report["latestDispatch"] is None
    assert all(e["public"] for e in report["timeline"])
    _, listed = await gql(app_client, path, LIST, citizen, first=20)
    nodes = [e["node"] for e in listed["data"]["reports"]["edges"]]
    assert [n["id"] for n in nodes] == [rid]
    assert nodes[0]["assignedOfficer"] is None and nodes[0]["latestDispatch"] is None
    assert nodes[0]["lastEvent"]["public"] is True


async def test_another_tenant_sees_nothing_planned(app_client, settings, two_tenants):
    first, second = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, first)
    rid = (await submit(app_client, first.slug, admin_a))["report"]["id"]
    agency = (await manual_agencies(app_client, first.slug, admin_a))[0]
    await dispatch_to(app_client, first, admin_a, agency, rid)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, second)
    path_b = f"/t/{second.slug}/graphql"
    _, listed = await gql(app_client, path_b, LIST, admin_b, first=50)
    assert listed["data"]["reports"]["edges"] == []
    assert listed["data"]["reports"]["totalCount"] == 0
    _, one = await gql(app_client, path_b, DETAIL, admin_b, id=rid)
    assert one["data"]["report"] is None
    # A's token on B's path: refused as for any stranger (not found)
    response = await app_client.post(
        path_b, json={"query": DETAIL, "variables": {"id": rid}}, headers=admin_a
    )
    assert response.status_code in (401, 403, 404) or response.json()["data"]["report"] is None


async def test_root_fields_of_one_query_share_one_transaction(app_client, settings, span_exporter):
    tenant, admin, ids = await _busy_tenant(app_client, settings)
    query = """query($a: ID!, $b: ID!) { one: report(id: $a) { ticket assignedUnit { name } }
      two: report(id: $b) { ticket } reports(first: 3) { edges { node { ticket } } }
      categories { code } }"""
    path = f"/t/{tenant.slug}/graphql"
    await gql(app_client, path, query, admin, a=ids[0], b=ids[1])
    trace_id, headers = traced(admin)
    status, body = await gql(app_client, path, query, headers, a=ids[0], b=ids[1])
    assert status == 200 and "errors" not in body, body
    sql = statements(span_exporter, trace_id)
    assert sum(1 for s in sql if s.startswith("BEGIN")) == 1, sql


async def test_a_mutation_payload_reads_what_it_wrote(app_client, settings):
    """Mutations keep their own transactions: the payload's relations (loaders, not the
    plan) see the new report and its first event."""
    tenant = await onboard()
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
          report { ticket category { code } lastEvent { kind } timeline { kind } }
          errors { code } } }""",
        admin,
        input={
            "categoryCode": "FLOOD",
            "title": "Banjir di Jalan Soekarno-Hatta",
            "description": "Air setinggi lutut menutup jalan utama.",
            "latitude": -7.94,
            "longitude": 112.62,
        },
    )
    payload = body["data"]["submitReport"]
    assert payload["errors"] == []
    assert payload["report"]["category"]["code"] == "FLOOD"
    assert payload["report"]["lastEvent"]["kind"] == "SUBMITTED"
    assert [e["kind"] for e in payload["report"]["timeline"]] == ["SUBMITTED"]


async def test_failing_fields_under_concurrency_leave_no_open_transaction(
    app_client, settings, owner
):
    """Errors in some fields of many concurrent queries (a bad cursor, a malformed id, a
    refused field) release the request's read connection every time."""
    tenant, admin, ids = await _busy_tenant(app_client, settings)
    officer = await auth_header(settings, Role.OFFICER, tenant)
    query = """query($id: ID!, $bad: ID!) { report(id: $id) { ticket timeline { kind } }
      broken: report(id: $bad) { ticket } reports(first: 2, after: "bm90LWEtY3Vyc29y") {
      edges { node { ticket } } } categories { code } }"""
    path = f"/t/{tenant.slug}/graphql"

    async def one(i: int) -> int:
        headers = officer if i % 3 == 0 else admin
        response = await app_client.post(
            path,
            json={"query": query, "variables": {"id": ids[i % len(ids)], "bad": "x" * (i % 5)}},
            headers=headers,
        )
        return response.status_code

    codes = await asyncio.gather(*(one(i) for i in range(40)))
    assert set(codes) <= {200}, codes
    rows = await owner.fetch(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE usename = 'jogo_app'"
        " AND datname = current_database() AND state LIKE 'idle in transaction%'"
    )
    assert rows[0]["n"] == 0


async def test_plans_shared_between_requests_keep_each_request_apart(
    app_client, settings, two_tenants, monkeypatch
):
    """Plans are cached per operation; what they read (the caller, the tenant, the
    directive variables) is each request's own."""
    first, second = two_tenants.a, two_tenants.b
    query = """query($first: Int!, $with: Boolean!) { reports(first: $first) { edges {
      node { ticket assignedOfficer @include(if: $with) { username }
      attachments { url } lastEvent { actorName } } } } }"""
    seen = {}
    for tenant in (first, second):
        admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
        officer_id, _ = await make_user(Role.OFFICER, tenant)
        done = await upload_report(
            app_client, tenant.slug, admin, [("a.png", png_bytes(), "image/png")]
        )
        await act(
            app_client,
            tenant.slug,
            ASSIGN,
            admin,
            id=done["report"]["id"],
            o=str(officer_id),
            u=None,
        )
        citizen_id, name = await make_user(Role.CITIZEN, tenant)
        seen[tenant.slug] = (admin, bearer_for(citizen_id, name, settings))
    answers = []
    for slug, (admin, citizen) in seen.items():
        for headers in (admin, citizen):
            for flag in (True, False):
                _, body = await gql(
                    app_client, f"/t/{slug}/graphql", query, headers, first=5, **{"with": flag}
                )
                answers.append((slug, headers is admin, flag, body))
    for slug, is_admin, flag, body in answers:
        edges = body["data"]["reports"]["edges"]
        if not is_admin:
            assert edges == []  # the citizen reported nothing
            continue
        node = edges[0]["node"]
        assert node["attachments"][0]["url"].startswith(f"/t/{slug}/attachments/")
        assert ("assignedOfficer" in node) is flag
        if flag:
            assert node["assignedOfficer"]["username"]
    # And the same answers from graphql-core alone.
    monkeypatch.setattr(compiled, "_PLANNED", set())
    for slug, is_admin, flag, body in answers:
        headers = seen[slug][0] if is_admin else seen[slug][1]
        _, slow = await gql(
            app_client, f"/t/{slug}/graphql", query, headers, first=5, **{"with": flag}
        )
        assert {**slow, "extensions": None} == {**body, "extensions": None}  # budgets differ


def test_cursor_is_the_json_it_always_was():
    import base64
    import json
    import uuid
    from datetime import UTC, datetime, timedelta, timezone

    from jogo.tenants.reports.queries import cursor_of, decode_cursor

    for moment in (
        datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 5, 0, 0, 123456, tzinfo=UTC),
        datetime(2024, 2, 14, 7, 30, tzinfo=timezone(timedelta(hours=7))),
    ):
        ident = uuid.uuid4()
        old = base64.urlsafe_b64encode(json.dumps([moment.isoformat(), str(ident)]).encode())
        assert cursor_of(moment, ident) == old.decode()
        assert decode_cursor(cursor_of(moment, ident)) == (moment, ident)
