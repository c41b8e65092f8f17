"""Issue 12, part 3: a restricted field fails alone.

A field guarded by a permission answers null plus an error at its own path; its parent
and its siblings stay. So every guarded field must be nullable (a non-null one would
pass its null up and erase the report, the list, or the whole answer), in all three
schemas; and the three cases that were seen from outside are replayed over HTTP.
"""

from __future__ import annotations

import pytest
from helpers import auth_header, gql, onboard, report_input, submit
from strawberry.permission import PermissionExtension

from graphql import GraphQLNonNull, GraphQLObjectType
from jogo.graphql.schemas import full_tenant_schema, national_schema, platform_schema
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role

SCHEMAS = {
    "tenant": full_tenant_schema,
    "national": national_schema,
    "platform": platform_schema,
}


def guarded_fields(schema) -> dict[str, bool]:
    """``Type.field`` → whether it is non-null, for every field with a permission guard.

    The subscription root is left out: an operation subscribes to exactly one root field
    (GraphQL's single-root-field rule), so a refusal there has no parent or sibling."""
    found: dict[str, bool] = {}
    subscription = schema._schema.subscription_type
    for type_name, gql_type in schema._schema.type_map.items():
        if not isinstance(gql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        if subscription is not None and gql_type is subscription:
            continue
        for field_name, field in gql_type.fields.items():
            definition = field.extensions.get("strawberry-definition")
            if definition is None:
                continue
            if definition.permission_classes or any(
                isinstance(e, PermissionExtension) for e in definition.extensions
            ):
                found[f"{type_name}.{field_name}"] = isinstance(field.type, GraphQLNonNull)
    return found


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_permission_guarded_field_is_nullable(name):
    guarded = guarded_fields(SCHEMAS[name]())
    # The walk sees the guards at all: each schema has some (the examples here).
    expected_some = {
        "tenant": {"Report.reporter", "Query.reports", "Query.cameras", "Query.electionBoard"},
        "national": {"OversightQuery.summary", "OversightQuery.auditLog"},
        "platform": {"AdminQuery.tenants"},
    }[name]
    assert expected_some <= set(guarded), sorted(guarded)
    non_null = sorted(f for f, required in guarded.items() if required)
    assert non_null == [], f"guarded fields that would erase their parent: {non_null}"


MY_REPORTS = "{ reports(first: 3) { edges { node { ticket reporter { phone } } } } }"
ONE_REPORT = "query($id: ID!) { report(id: $id) { ticket status reporter { name } } }"


async def test_citizen_selecting_reporter_keeps_the_report(app_client, settings, two_tenants):
    slug = two_tenants.a.slug
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    tickets = [(await submit(app_client, slug, citizen))["report"]["ticket"] for _ in range(3)]
    rid = (await submit(app_client, slug, citizen))["report"]["id"]

    _, one = await gql(app_client, f"/t/{slug}/graphql", ONE_REPORT, citizen, id=rid)
    assert one["data"]["report"]["status"] == "SUBMITTED"
    assert one["data"]["report"]["ticket"].startswith(two_tenants.a.ticket_prefix)
    assert one["data"]["report"]["reporter"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in one["errors"]] == [
        (["report", "reporter"], "FORBIDDEN")
    ]

    _, listed = await gql(app_client, f"/t/{slug}/graphql", MY_REPORTS, citizen)
    nodes = [e["node"] for e in listed["data"]["reports"]["edges"]]
    assert len(nodes) == 3 and all(n["reporter"] is None for n in nodes)
    assert {n["ticket"] for n in nodes} <= set(tickets) | {one["data"]["report"]["ticket"]}
    assert sorted(e["path"][2] for e in listed["errors"]) == [0, 1, 2]
    assert {e["extensions"]["code"] for e in listed["errors"]} == {"FORBIDDEN"}


ANONYMOUS_SUBMIT = """mutation($input: SubmitReportInput!) {
  submitReport(input: $input) { pin report { ticket reporter { name } } errors { code } } }"""


async def test_anonymous_submit_selecting_reporter_keeps_ticket_and_pin(
    app_client, two_tenants, owner
):
    slug = two_tenants.a.slug
    status, body = await gql(
        app_client,
        f"/t/{slug}/graphql",
        ANONYMOUS_SUBMIT,
        input=report_input(anonymous=True, reporterName="Budi"),
    )
    assert status == 200
    payload = body["data"]["submitReport"]
    assert payload["errors"] == []
    assert payload["pin"] is not None and len(payload["pin"]) == 8 and payload["pin"].isdigit()
    ticket = payload["report"]["ticket"]
    assert ticket.startswith(two_tenants.a.ticket_prefix)
    assert payload["report"]["reporter"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["submitReport", "report", "reporter"], "UNAUTHENTICATED")
    ]
    # The ticket and PIN the caller kept do follow the report.
    _, tracked = await gql(
        app_client,
        f"/t/{slug}/graphql",
        "query($t: String!, $p: String!) { trackReport(ticket: $t, pin: $p) { ticket status } }",
        t=ticket,
        p=payload["pin"],
    )
    assert tracked["data"]["trackReport"] == {"ticket": ticket, "status": "SUBMITTED"}


async def test_read_key_selecting_reporter_keeps_the_list(app_client, settings):
    tenant = await onboard()
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    tickets = {(await submit(app_client, tenant.slug, operator))["report"]["ticket"] for _ in "abc"}
    key = await create_api_key(tenant, "Dashboard kota", ["reports:read"], "pytest")
    headers = {"Authorization": f"Bearer {key.key}"}
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        "{ reports(first: 20) { totalCount edges { node { ticket reporter { name } } } } }",
        headers,
    )
    connection = body["data"]["reports"]
    assert connection["totalCount"] == 3
    assert {e["node"]["ticket"] for e in connection["edges"]} == tickets
    assert all(e["node"]["reporter"] is None for e in connection["edges"])
    assert sorted(e["path"] for e in body["errors"]) == [
        ["reports", "edges", i, "node", "reporter"] for i in range(3)
    ]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}


async def test_a_refused_root_field_keeps_its_siblings(app_client, settings, two_tenants):
    slug = two_tenants.a.slug
    _, anonymous = await gql(
        app_client, f"/t/{slug}/graphql", "{ categories { code } reports { totalCount } }"
    )
    assert anonymous["data"]["reports"] is None and len(anonymous["data"]["categories"]) > 0
    assert anonymous["errors"][0]["path"] == ["reports"]
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    _, body = await gql(
        app_client, "/national/graphql", "{ me { roles } auditLog { entries { id } } }", national
    )
    assert body["data"] == {"me": {"roles": ["national_supervisor"]}, "auditLog": None}
    assert body["errors"][0]["path"] == ["auditLog"]
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
