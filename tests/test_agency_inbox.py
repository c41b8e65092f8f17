"""Issue 14, item 6: an agency liaison's inbox (their agencies' dispatches, with the
report as an agency may see it, never who reported) and the operators' list of
dispatches across reports (FAILED and DEAD found without opening each report)."""

from __future__ import annotations

import json

from helpers import (
    ANSWER_DISPATCH,
    auth_header,
    dispatch_to,
    gql,
    liaison_of,
    manual_agencies,
    png_bytes,
    submit,
    upload_report,
)

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role

NODE = """id status agencyId agencyName outcome reportId report { id ticket title description
  latitude longitude status urgent category { code } timeline { kind messageId note actorName }
  attachments { url contentType } }"""
INBOX = f"""query($f: DispatchFilter, $first: Int!, $after: String) {{
  agencyInbox(first: $first, after: $after, filter: $f) {{ totalCount
  pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {NODE} }} }} }} }}"""
ALL = f"""query($f: DispatchFilter, $first: Int!, $after: String) {{
  allDispatches(first: $first, after: $after, filter: $f) {{ totalCount
  pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {NODE} lastError }} }} }} }}"""
ONE = "query($id: ID!) { dispatch(id: $id) { id status report { ticket } } }"
REPORT = "query($id: ID!) { report(id: $id) { status } }"
SECRET_BITS = ("Budi", "BUDI", "0812", "3456", "+62812", "Kawi", "budi@")


async def _call(client, slug, query, headers, **variables) -> dict:
    status, body = await gql(client, f"/t/{slug}/graphql", query, headers, **variables)
    assert status == 200 and "errors" not in body, body
    return body["data"]


async def test_a_liaison_works_its_inbox_and_sees_no_reporter(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    citizen = await auth_header(settings, Role.CITIZEN, a)
    mine, theirs = (await manual_agencies(app_client, a.slug, admin))[:2]
    created = await upload_report(
        app_client,
        a.slug,
        citizen,
        [("pohon.png", png_bytes(), "image/png")],
        reporterName="Budi Santoso",
        reporterPhone="0812 3456 7890",
        address="Jl. Kawi No. 17",
        description="Pohon tumbang menutup jalan. Hubungi Budi Santoso di 0812 3456 7890"
        " atau budi@contoh.id.",
    )
    assert created["errors"] == [], created
    first_id, ticket = created["report"]["id"], created["report"]["ticket"]
    first = await dispatch_to(app_client, a, admin, mine, first_id)
    second_id = (await submit(app_client, a.slug, citizen, title="Lampu jalan mati"))["report"][
        "id"
    ]
    other = await dispatch_to(app_client, a, admin, theirs, second_id)
    third_id = (await submit(app_client, a.slug, citizen, title="Saluran air tersumbat"))["report"][
        "id"
    ]
    third = await dispatch_to(app_client, a, admin, mine, third_id)
    liaison = await liaison_of(app_client, settings, a, admin, mine)
    other_liaison = await liaison_of(app_client, settings, a, admin, theirs)

    # The report itself stays out of reach: the inbox is the liaison's way in.
    reach = await _call(app_client, a.slug, "{ reports { edges { node { id } } } }", liaison)
    assert reach["reports"]["edges"] == []
    assert (await _call(app_client, a.slug, REPORT, liaison, id=first_id))["report"] is None

    inbox = (await _call(app_client, a.slug, INBOX, liaison, first=10))["agencyInbox"]
    assert inbox["totalCount"] == 2
    nodes = [e["node"] for e in inbox["edges"]]
    assert [n["id"] for n in nodes] == [first, third]  # both open: oldest first
    seen = nodes[0]["report"]
    assert seen["ticket"] == ticket and seen["category"]["code"] == "FALLEN_TREE"
    assert seen["status"] == "DISPATCHED" and nodes[0]["status"] == "AWAITING_LIAISON"
    assert seen["latitude"] and seen["longitude"]
    assert "Pohon tumbang" in seen["description"] and "[nama]" in seen["description"]
    assert "[telepon]" in seen["description"] and "[email]" in seen["description"]
    assert not any(bit in json.dumps(inbox) for bit in SECRET_BITS), inbox
    assert {e["kind"] for e in seen["timeline"]} >= {"SUBMITTED"}
    assert all(e["actorName"] in ("petugas", "pelapor", "sistem") for e in seen["timeline"])
    # No field of the agency's view of a report can name the reporter.
    fields = await _call(
        app_client, a.slug, '{ __type(name: "DispatchedReport") { fields { name } } }', liaison
    )
    names = {f["name"] for f in fields["__type"]["fields"]}
    assert not names & {"reporter", "address", "reporterName", "reporterPhone", "assignedOfficer"}

    # The photo: to this liaison, not to another agency's, not to another tenant's.
    [photo] = seen["attachments"]
    got = await app_client.get(photo["url"], headers=liaison)
    assert got.status_code == 200 and got.headers["content-type"] == photo["contentType"]
    assert (await app_client.get(photo["url"], headers=other_liaison)).status_code == 404
    b_liaison = await auth_header(settings, Role.AGENCY_LIAISON, b)
    assert (await app_client.get(photo["url"], headers=b_liaison)).status_code == 404
    assert (await app_client.get(photo["url"])).status_code == 404

    # Another agency's dispatch, in this tenant or from another, does not exist for them.
    theirs_inbox = (await _call(app_client, a.slug, INBOX, other_liaison, first=10))["agencyInbox"]
    assert [e["node"]["id"] for e in theirs_inbox["edges"]] == [other]
    assert (await _call(app_client, a.slug, ONE, liaison, id=first))["dispatch"]["id"] == first
    for caller, slug in ((other_liaison, a.slug), (b_liaison, b.slug)):
        _, hidden = await gql(app_client, f"/t/{slug}/graphql", ONE, caller, id=first)
        assert hidden["data"]["dispatch"] is None
        assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        _, answer = await gql(
            app_client, f"/t/{slug}/graphql", ANSWER_DISPATCH, caller, d=first, s="accepted", n=None
        )
        assert answer["data"]["updateDispatchStatus"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await _call(app_client, b.slug, INBOX, b_liaison, first=10))["agencyInbox"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }
    _, elsewhere = await gql(app_client, f"/t/{a.slug}/graphql", INBOX, b_liaison, first=10)
    assert elsewhere["errors"][0]["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN")

    # Pages: one at a time, in the same order.
    page = (await _call(app_client, a.slug, INBOX, liaison, first=1))["agencyInbox"]
    assert page["pageInfo"]["hasNextPage"] and page["edges"][0]["node"]["id"] == first
    rest = await _call(
        app_client, a.slug, INBOX, liaison, first=1, after=page["pageInfo"]["endCursor"]
    )
    assert [e["node"]["id"] for e in rest["agencyInbox"]["edges"]] == [third]

    # The liaison acts through the outcome mutations: done resolves, declined hands back.
    for status, note in (("accepted", None), ("done", "Pohon sudah dipotong dan diangkut.")):
        moved = await _call(app_client, a.slug, ANSWER_DISPATCH, liaison, d=first, s=status, n=note)
        assert moved["updateDispatchStatus"]["errors"] == [], moved
    assert moved["updateDispatchStatus"]["dispatch"] == {"status": "RESOLVED", "outcome": "DONE"}
    report = await _call(app_client, a.slug, REPORT, admin, id=first_id)
    assert report["report"]["status"] == "RESOLVED"
    declined = await _call(
        app_client, a.slug, ANSWER_DISPATCH, liaison, d=third, s="declined", n="Bukan saluran kota."
    )
    assert declined["updateDispatchStatus"]["dispatch"]["status"] == "RETURNED"
    back = await _call(app_client, a.slug, REPORT, admin, id=third_id)
    assert back["report"]["status"] == "VERIFIED"
    # Answered dispatches stay in the inbox, after the open ones; filters by status.
    fourth_id = (await submit(app_client, a.slug, citizen, title="Jalan berlubang"))["report"]["id"]
    fourth = await dispatch_to(app_client, a, admin, mine, fourth_id)
    after = (await _call(app_client, a.slug, INBOX, liaison, first=10))["agencyInbox"]
    assert [e["node"]["id"] for e in after["edges"]] == [fourth, first, third]
    done = await _call(app_client, a.slug, INBOX, liaison, first=10, f={"status": ["RESOLVED"]})
    assert [e["node"]["id"] for e in done["agencyInbox"]["edges"]] == [first]
    resolved = done["agencyInbox"]["edges"][0]["node"]["report"]
    assert resolved["status"] == "RESOLVED"
    assert any("Pohon sudah dipotong" in (e["note"] or "") for e in resolved["timeline"])


def _statements(span_exporter) -> int:
    return sum(
        1
        for s in span_exporter.get_finished_spans()
        if s.attributes and s.attributes.get("db.system") == "postgresql"
    )


async def test_operators_find_failed_and_dead_dispatches(
    app_client, settings, owner, two_tenants, span_exporter
):
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    operator = await auth_header(settings, Role.OPERATOR, a)
    mine, theirs = (await manual_agencies(app_client, a.slug, admin))[:2]
    ids = []
    for i in range(12):
        rid = (await submit(app_client, a.slug, operator, title=f"Laporan nomor {i + 1}"))[
            "report"
        ]["id"]
        ids.append(await dispatch_to(app_client, a, admin, theirs if i == 11 else mine, rid))
    # What the worker leaves behind for connected agencies: a failing and a dead delivery.
    await owner.execute(
        "UPDATE dispatches SET status = 'PENDING', attempts = 3, last_error = 'HTTP 503'"
        " WHERE id = $1::uuid",
        ids[2],
    )
    await owner.execute(
        "UPDATE dispatches SET status = 'DEAD', attempts = 8, last_error = 'timed out'"
        " WHERE id = $1::uuid",
        ids[5],
    )
    trouble = await _call(
        app_client, a.slug, ALL, operator, first=20, f={"status": ["FAILED", "DEAD"]}
    )
    found = trouble["allDispatches"]
    assert found["totalCount"] == 2
    assert {e["node"]["id"]: e["node"]["lastError"] for e in found["edges"]} == {
        ids[2]: "HTTP 503",
        ids[5]: "timed out",
    }
    assert all(e["node"]["report"]["ticket"] for e in found["edges"])
    dead = await _call(app_client, a.slug, ALL, operator, first=20, f={"status": ["DEAD"]})
    assert [e["node"]["id"] for e in dead["allDispatches"]["edges"]] == [ids[5]]
    by_agency = await _call(app_client, a.slug, ALL, operator, first=20, f={"agencyId": theirs})
    assert [e["node"]["id"] for e in by_agency["allDispatches"]["edges"]] == [ids[11]]
    later = await _call(
        app_client, a.slug, ALL, operator, first=20, f={"since": "2099-01-01T00:00:00+07:00"}
    )
    assert later["allDispatches"]["totalCount"] == 0
    # The existing retry for dead letters; afterwards nothing is dead.
    retried = await _call(
        app_client,
        a.slug,
        "mutation($d: ID!) { retryDispatch(dispatchId: $d) { dispatch { status } errors { code } } }",
        operator,
        d=ids[5],
    )
    assert retried["retryDispatch"]["errors"] == []
    dead = await _call(app_client, a.slug, ALL, operator, first=20, f={"status": ["DEAD"]})
    assert dead["allDispatches"]["edges"] == []
    # Another tenant's operators see none of these.
    b_operator = await auth_header(settings, Role.OPERATOR, b)
    other = await _call(app_client, b.slug, ALL, b_operator, first=100)
    assert not {e["node"]["id"] for e in other["allDispatches"]["edges"]} & set(ids)
    _, missing = await gql(app_client, f"/t/{b.slug}/graphql", ONE, b_operator, id=ids[0])
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    # A fixed number of statements, whatever the page size (DataLoaders, one join).
    counts = []
    for first in (1, 10):
        span_exporter.clear()
        page = await _call(app_client, a.slug, ALL, operator, first=first)
        assert len(page["allDispatches"]["edges"]) == first
        counts.append(_statements(span_exporter))
    assert counts[0] == counts[1] and counts[1] <= 40, counts


async def test_who_may_not_list_dispatches(app_client, settings, two_tenants):
    a = two_tenants.a
    key = await create_api_key(a, "reader", ["reports:read"], "pytest")
    callers = {
        "citizen": await auth_header(settings, Role.CITIZEN, a),
        "officer": await auth_header(settings, Role.OFFICER, a),
        "read-only key": {"Authorization": f"Bearer {key.key}"},
        "liaison": await auth_header(settings, Role.AGENCY_LIAISON, a),
        "anonymous": {},
    }
    for name, headers in callers.items():
        _, body = await gql(app_client, f"/t/{a.slug}/graphql", ALL, headers, first=5)
        assert body["data"]["allDispatches"] is None, name
        assert body["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED"), name
        if name == "liaison":
            continue
        _, inbox = await gql(app_client, f"/t/{a.slug}/graphql", INBOX, headers, first=5)
        assert inbox["data"]["agencyInbox"] is None, name
        _, bad = await gql(app_client, f"/t/{a.slug}/graphql", ALL, headers, first=101)
        assert bad["data"]["allDispatches"] is None
    operator = await auth_header(settings, Role.OPERATOR, a)
    for first, after in ((101, None), (0, None), (5, "bm90LWEtY3Vyc29y")):
        _, bad = await gql(
            app_client, f"/t/{a.slug}/graphql", ALL, operator, first=first, after=after
        )
        assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT", bad
