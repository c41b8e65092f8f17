"""Issue 12, part 8: bad input gets a typed, clear error, never "Unexpected error." or
an HTTP 500. The issue's examples, and the other cases of each kind:

- NUL (and unpaired surrogates) written as an escape in the GraphQL text, or sent in
  the variables, over HTTP and over the WebSocket;
- dates and times out of range (years before 2000 or after 2100) on every Date and
  DateTime input of the three schemas;
- a subscription sent by HTTP POST, an operationName the document lacks;
- floats that underflow PostgreSQL's arithmetic, cursors that overflow, ids past bigint,
  JSON nested too deep.
"""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
import websockets
from helpers import (
    CALLBACK_URL,
    auth_header,
    csv_bytes,
    gql,
    make_agency,
    onboard,
    report_input,
    sign,
    submit,
    upload_stations,
)

from jogo.platform.auth.roles import Role
from jogo.platform.registry import MODULES

NATIONAL = "/national/graphql"
PLATFORM = "/platform/graphql"
NUL = "\\u0000"  # as written inside a GraphQL string literal


@pytest.fixture
async def caller(app_client, settings):
    """A tenant with every module, and who is asked: an operator, a national
    supervisor, a platform admin."""
    tenant = await onboard(modules=list(MODULES))
    return {
        "tenant": tenant,
        "path": f"/t/{tenant.slug}/graphql",
        "operator": await auth_header(settings, Role.OPERATOR, tenant),
        "national": await auth_header(settings, Role.NATIONAL_SUPERVISOR),
        "platform": await auth_header(settings, Role.PLATFORM_ADMIN),
    }


def refused(status: int, body: dict, *words: str) -> dict:
    """The one error of a refused operation: typed INVALID_INPUT, with a clear message."""
    assert status == 200, body
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    assert "Unexpected error" not in error["message"]
    for word in words:
        assert word in error["message"], error
    return error


def literal(value: dict) -> str:
    """A GraphQL input object literal from a dict of strings and numbers."""
    return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in value.items()) + "}"


# --- NUL in the GraphQL text and in the variables -------------------------------------

SUBMIT_LITERAL = (
    "mutation { submitReport(input: "
    + literal(report_input(title="Pohon tumbang XNUL"))
    + ") { report { id } errors { code } } }"
)
NUL_IN_TEXT = {
    "pollingStation": ("operator", f'{{ pollingStation(code: "{NUL}") {{ id }} }}'),
    "submitReport": ("operator", SUBMIT_LITERAL.replace("XNUL", NUL)),
    "agencies": ("operator", f'{{ agencies(kind: "dinas{NUL}") {{ id }} }}'),
    "electionBoard": ("operator", f'{{ electionBoard(districtCode: "{NUL}") {{ code }} }}'),
    "heatmap": ("national", f'{{ heatmap(filter: {{ poldaCode: "JA{NUL}TIM" }}) {{ count }} }}'),
    "suspendTenant": (
        "platform",
        f'mutation {{ suspendTenant(slug: "x{NUL}") {{ errors {{ code }} }} }}',
    ),
    "resumeTenant": (
        "platform",
        f'mutation {{ resumeTenant(slug: "x{NUL}") {{ errors {{ code }} }} }}',
    ),
    # A JSON literal, and a variable's default value, are string literals too.
    "createAgency": (
        "operator",
        f'mutation {{ createAgency(input: {{ code: "X", name: "Dinas", kind: "dinas",'
        f' serviceCodes: {{ FLOOD: "a{NUL}" }} }}) {{ errors {{ code }} }} }}',
    ),
    "default": (
        "operator",
        f'query($k: String = "{NUL}") {{ agencies(kind: $k) {{ id }} }}',
    ),
}


def _path(caller: dict, who: str) -> str:
    return {"operator": caller["path"], "national": NATIONAL, "platform": PLATFORM}[who]


@pytest.mark.parametrize("name", sorted(NUL_IN_TEXT))
async def test_a_nul_escape_in_the_graphql_text_is_refused(app_client, caller, owner, name):
    who, query = NUL_IN_TEXT[name]
    before = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1", caller["tenant"].id
    )
    status, body = await gql(app_client, _path(caller, who), query, caller[who])
    error = refused(status, body, "NUL")
    assert error["locations"], error  # it points at the literal
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM reports WHERE tenant_id = $1", caller["tenant"].id
        )
        == before
    )


NUL_IN_VARIABLES = {
    "pollingStation": (
        "operator",
        "query($c: String!) { pollingStation(code: $c) { id } }",
        {"c": "\x00"},
    ),
    "submitReport": (
        "operator",
        "mutation($i: SubmitReportInput!) { submitReport(input: $i) { errors { code } } }",
        {"i": report_input(description="Pohon tumbang \x00 menutup jalan raya")},
    ),
    "agencies": ("operator", "query($k: String) { agencies(kind: $k) { id } }", {"k": "\x00"}),
    "electionBoard": (
        "operator",
        "query($d: String) { electionBoard(districtCode: $d) { code } }",
        {"d": "35.73\x00"},
    ),
    "heatmap": (
        "national",
        "query($f: NationalFilter) { heatmap(filter: $f) { count } }",
        {"f": {"tenantSlug": "\x00"}},
    ),
    "suspendTenant": (
        "platform",
        "mutation($s: String!) { suspendTenant(slug: $s) { errors { code } } }",
        {"s": "\x00"},
    ),
    "resumeTenant": (
        "platform",
        "mutation($s: String!) { resumeTenant(slug: $s) { errors { code } } }",
        {"s": "\x00"},
    ),
    "json key": (
        "operator",
        'mutation($c: JSON) { createAgency(input: {code: "X", name: "Dinas",'
        ' kind: "dinas", serviceCodes: $c}) { errors { code } } }',
        {"c": {"FLOOD\x00": "x"}},
    ),
}


@pytest.mark.parametrize("name", sorted(NUL_IN_VARIABLES))
async def test_a_nul_in_the_variables_is_refused(app_client, caller, owner, name):
    who, query, variables = NUL_IN_VARIABLES[name]
    before = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1", caller["tenant"].id
    )
    status, body = await gql(app_client, _path(caller, who), query, caller[who], **variables)
    # Over HTTP a bad request (400); the socket's answer is in the test below.
    assert status == 400, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT" and "NUL" in error["message"]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM reports WHERE tenant_id = $1", caller["tenant"].id
        )
        == before
    )


async def test_nul_and_lone_surrogates_over_the_websocket(caller, live_server):
    """The same checks hold on the socket, whose JSON reader lets lone surrogates in."""
    url = f"ws://{live_server}/t/{caller['tenant'].slug}/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        init = {"type": "connection_init", "payload": caller["operator"]}
        await ws.send(json.dumps(init))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        cases = {
            "1": ("query($c: String!) { pollingStation(code: $c) { id } }", {"c": "\x00"}),
            "2": ("query($c: String!) { pollingStation(code: $c) { id } }", {"c": "\ud800"}),
            "3": (f'query {{ pollingStation(code: "{NUL}") {{ id }} }}', None),
            "4": (
                "subscription($u: Boolean!) { reportEvents(urgentOnly: $u) { ticket } }",
                {"u": True, "x": "\x00"},
            ),
        }
        for ident, (query, variables) in cases.items():
            payload = {"query": query, "variables": variables}
            await ws.send(json.dumps({"id": ident, "type": "subscribe", "payload": payload}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply["id"] == ident, reply
            errors = reply["payload"] if reply["type"] == "error" else reply["payload"]["errors"]
            message = errors[0]["message"]
            assert "NUL" in message or "Unicode" in message, reply
            assert errors[0]["extensions"]["code"] == "INVALID_INPUT", reply
            if reply["type"] == "next":  # a query's answer, then its end
                assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "complete"


async def test_the_raw_text_and_the_body_are_checked(app_client, caller):
    raw = json.dumps({"query": "{ me { kind } }\u0000"}).encode()
    response = await app_client.post(
        caller["path"], content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    # JSON with an unpaired surrogate is not JSON; JSON nested past the parser's limit
    # is too deep: both are request errors, not server errors.
    for body in (
        b'{"query": "{ me { kind } }", "variables": {"x": "\\ud800"}}',
        b'{"query": "{ me { kind } }", "variables": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
    ):
        response = await app_client.post(
            caller["path"], content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_variables_nested_too_deep_are_refused(app_client, caller):
    deep: object = 1
    for _ in range(40):
        deep = [deep]
    status, body = await gql(
        app_client,
        caller["path"],
        'mutation($c: JSON) { createAgency(input: {code: "X", name: "Dinas",'
        ' kind: "dinas", serviceCodes: $c}) { errors { code } } }',
        caller["operator"],
        c=deep,
    )
    assert status == 400, body
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "32" in body["errors"][0]["message"]


# --- dates out of range ----------------------------------------------------------------

NATIONAL_FIELDS = {
    "summary": "summary(filter: $f) { slaBreaches }",
    "byTenant": "byTenant(filter: $f) { tenant { slug } }",
    "heatmap": "heatmap(filter: $f) { count }",
    "electionSummary": "electionSummary(filter: $f) { total { stations } }",
    "reports": "reports(filter: $f) { hasNextPage }",
    "tenants": "tenants { slug }",  # no date input: the control case
}


@pytest.mark.parametrize("field", sorted(set(NATIONAL_FIELDS) - {"tenants"}))
@pytest.mark.parametrize(
    "date_filter",
    [
        {"dateTo": "0001-01-01"},
        {"dateFrom": "0001-01-01"},
        {"dateTo": "9999-12-31"},
        {"dateFrom": "1999-12-31", "dateTo": "2000-01-10"},
    ],
)
async def test_national_dates_out_of_range_are_refused(app_client, caller, field, date_filter):
    selection = NATIONAL_FIELDS[field]
    # As a literal (the issue's example) ...
    inline = selection.replace("$f", literal(date_filter))
    status, body = await gql(app_client, NATIONAL, f"{{ {inline} }}", caller["national"])
    refused(status, body, "2000", "2100")
    # ... and as a variable.
    query = f"query($f: NationalFilter) {{ {selection} }}"
    status, body = await gql(app_client, NATIONAL, query, caller["national"], f=date_filter)
    refused(status, body, "2000", "2100", ".date")


async def test_national_dates_at_the_bounds_are_accepted(app_client, caller):
    for date_filter in (
        {"dateFrom": "2000-01-01", "dateTo": "2000-01-31"},
        {"dateFrom": "2100-12-01", "dateTo": "2100-12-31"},
    ):
        query = f"{{ summary(filter: {literal(date_filter)}) {{ slaBreaches reports }} }}"
        status, body = await gql(app_client, NATIONAL, query, caller["national"])
        assert status == 200 and "errors" not in body, body
        assert body["data"]["summary"]["reports"] == 0


TENANT_DATES = {
    "reports createdFrom": (
        "query($v: DateTime) { reports(filter: {createdFrom: $v}) { totalCount } }",
        "0001-01-01T00:00:00",
    ),
    "reports createdTo": (
        "query($v: DateTime) { reports(filter: {createdTo: $v}) { totalCount } }",
        "9999-12-31T23:59:59+14:00",
    ),
    "submitReport occurredAt": (
        "mutation($v: DateTime) { submitReport(input: "
        + literal(report_input())[:-1]
        + ", occurredAt: $v}) { errors { code } } }",
        "0001-01-01T00:00:00+14:00",
    ),
    "draftBulletin validUntil": (
        "mutation($v: DateTime!) { draftBulletin(input: {category: WEATHER, severity: MINOR,"
        ' urgency: FUTURE, certainty: LIKELY, headline: "Hujan", description: "Hujan lebat",'
        ' area: {description: "Kota", regionCodes: ["35.73"]}, validUntil: $v}) { errors { code } } }',
        "9999-12-31T23:59:59-14:00",
    ),
}


@pytest.mark.parametrize("name", sorted(TENANT_DATES))
async def test_tenant_date_times_out_of_range_are_refused(app_client, caller, owner, name):
    query, value = TENANT_DATES[name]
    before = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1", caller["tenant"].id
    )
    status, body = await gql(app_client, caller["path"], query, caller["operator"], v=value)
    refused(status, body, "2000", "2100")
    status, body = await gql(
        app_client, caller["path"], query, caller["operator"], v="2024-13-45T00:00:00"
    )
    refused(status, body, "ISO 8601")
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM reports WHERE tenant_id = $1", caller["tenant"].id
        )
        == before
    )


# --- subscriptions by POST, operation names --------------------------------------------


@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("operator", "subscription { reportEvents { ticket } }"),
        ("operator", "subscription { electionBoard { code } }"),
        ("national", "subscription { me { kind } }"),
        ("platform", "subscription { me { kind } }"),
    ],
)
async def test_a_subscription_by_http_post_is_refused_clearly(app_client, caller, who, query):
    status, body = await gql(app_client, _path(caller, who), query, caller[who])
    assert status == 400, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert "WebSocket" in error["message"] and "graphql-transport-ws" in error["message"]


async def test_an_unknown_operation_name_is_a_request_error(app_client, caller):
    response = await app_client.post(
        caller["path"],
        json={"query": "query A { me { kind } }", "operationName": "B"},
        headers=caller["operator"],
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT"} and '"B"' in error["message"]


async def test_syntax_and_validation_errors_are_typed(app_client, caller):
    for query in ("{ me { kind }", "{ nope }", '{ reports(first: "x") { totalCount } }'):
        status, body = await gql(app_client, caller["path"], query, caller["operator"])
        assert status == 200 and body["data"] is None, body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_INPUT"], body


# --- numbers, cursors, ids -------------------------------------------------------------


async def test_floats_that_underflow_postgresql_are_refused(app_client, caller, owner):
    """5e-324 lies "inside Indonesia" but squares to an underflow in the distance
    formula; stored, it would break every later query near it."""
    before = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1", caller["tenant"].id
    )
    for latitude in (5e-324, -1e-200, 1e-8):
        status, body = await gql(
            app_client,
            caller["path"],
            "mutation($i: SubmitReportInput!) { submitReport(input: $i) { errors { code } } }",
            caller["operator"],
            i=report_input(latitude=latitude),
        )
        assert status == 400, body  # in the variables: a bad request
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert "1e-07" in body["errors"][0]["message"]
        inline = f"{{ nearby(latitude: {latitude!r}, longitude: 112.63, radiusM: 500) {{ name }} }}"
        status, body = await gql(app_client, caller["path"], inline, caller["operator"])
        assert refused(status, body, "1e-07")["locations"]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM reports WHERE tenant_id = $1", caller["tenant"].id
        )
        == before
    )
    # Ordinary coordinates pass, and so does 0 (the equator crosses Kalimantan).
    made = await submit(app_client, caller["tenant"].slug, caller["operator"], latitude=-7.9666001)
    assert made["errors"] == []
    status, body = await gql(
        app_client,
        caller["path"],
        "{ nearby(latitude: 0.0, longitude: 112.63, radiusM: 500) { name } }",
        caller["operator"],
    )
    assert status == 200 and "errors" not in body and isinstance(body["data"]["nearby"], list)


async def test_imported_coordinates_are_rounded(app_client, caller):
    """A TPS file is read by the import itself: a tiny latitude is stored as 0.0 (7 places);
    an exponent such as 5e-324 is no plain decimal, a row error (test_directory_checks)."""
    row = "3573011001001,35.73.01.1001,SDN Balearjosari 1,{},112.65000001,250,AMAN,"
    done = await upload_stations(
        app_client, caller["tenant"], caller["operator"], csv_bytes(row.format("5e-324"))
    )
    assert [(e["line"], e["field"]) for e in done["rowErrors"]] == [(2, "latitude")], done
    done = await upload_stations(
        app_client, caller["tenant"], caller["operator"], csv_bytes(row.format("0.000000000000001"))
    )
    assert done["errors"] == [] and done["created"] == 1, done
    status, body = await gql(
        app_client,
        caller["path"],
        '{ pollingStation(code: "3573011001001") { latitude longitude } }',
        caller["operator"],
    )
    assert status == 200 and body["data"]["pollingStation"] == {
        "latitude": 0.0,
        "longitude": 112.65,
    }, body


def cursor(moment: str) -> str:
    raw = json.dumps([moment, "00000000-0000-0000-0000-000000000000"])
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    "after",
    [
        cursor("9999-12-31T23:59:59-14:00"),  # overflows when read as UTC
        cursor("0001-01-01T00:00:00+14:00"),
        cursor("2024-01-01T00:00:00"),  # no zone: never given out
        base64.urlsafe_b64encode(b"[" * 3000).decode(),  # long, and nested
        "!!!",
    ],
)
async def test_bad_cursors_are_refused(app_client, caller, after):
    for path, who, query in (
        (NATIONAL, "national", "query($a: String) { reports(after: $a) { hasNextPage } }"),
        (caller["path"], "operator", "query($a: String) { reports(after: $a) { totalCount } }"),
        (
            caller["path"],
            "operator",
            "query($a: String) { sharedPosts(after: $a) { pageInfo { hasNextPage } } }",
        ),
    ):
        status, body = await gql(app_client, path, query, caller[who], a=after)
        assert status == 200, body
        [error] = body["errors"]
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": "after"}, error


async def test_national_cursors_round_trip(app_client, caller):
    """The national drill-down now shares the report cursor: what it gives, it takes."""
    await submit(app_client, caller["tenant"].slug, caller["operator"])
    query = "query($a: String) { reports(first: 1, after: $a) { endCursor hasNextPage } }"
    status, body = await gql(app_client, NATIONAL, query, caller["national"])
    assert status == 200 and "errors" not in body, body
    end = body["data"]["reports"]["endCursor"]
    if end is not None:  # the rollups may not have caught up; the cursor still reads
        status, body = await gql(app_client, NATIONAL, query, caller["national"], a=end)
        assert status == 200 and "errors" not in body, body


async def test_audit_ids_past_bigint_are_refused(app_client, settings):
    auditor = await auth_header(settings, Role.OVERSIGHT_AUDITOR)
    query = "query($b: ID) { auditLog(first: 5, before: $b) { hasNextPage } }"
    for before in ("99999999999999999999", "١٢٣", "1_000", "-5", "0"):
        status, body = await gql(app_client, NATIONAL, query, auditor, b=before)
        assert status == 200, body
        [error] = body["errors"]
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": "before"}, error
    status, body = await gql(app_client, NATIONAL, query, auditor, b="999999999999999999")
    assert status == 200 and "errors" not in body, body


async def test_agency_callbacks_with_bad_text_are_refused(app_client, settings, sink):
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency = await make_agency(app_client, tenant.slug, admin, sink.url)
    url = CALLBACK_URL.format(slug=tenant.slug, agency=agency)
    ref = "00000000-0000-0000-0000-000000000000"
    for body in (
        b'{"dispatch_id": "' + ref.encode() + b'", "status": "resolved", "note": "x\\ud800"}',
        b'{"dispatch_id": "' + ref.encode() + b'", "status": "resolved", "note": "x\\u0000"}',
        b"[" * 5000 + b"]" * 5000,
    ):
        response = await app_client.post(
            url,
            content=body,
            headers={"content-type": "application/json", "x-jogo-signature": sign(body)},
        )
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_json_nested_past_the_parser_is_a_request_error_everywhere(
    app_client, caller, live_server
):
    """Every JSON reader a caller reaches: the login, the multipart map, the socket."""
    deep = b"[" * 5000 + b"]" * 5000
    login = await app_client.post(
        "/auth/token",
        content=b'{"username": ' + deep + b', "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert login.status_code == 400, login.text
    assert login.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    operations = json.dumps({"query": "{ me { kind } }", "variables": {}})
    multipart = await app_client.post(
        caller["path"],
        headers=caller["operator"],
        data={"operations": operations, "map": deep.decode()},
        files={"0": ("a.csv", b"x", "text/csv")},
    )
    assert multipart.status_code == 400, multipart.text
    [error] = multipart.json()["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT" and "'map'" in error["message"]
    url = f"ws://{live_server}/t/{caller['tenant'].slug}/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(deep.decode())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd.code == 4400
