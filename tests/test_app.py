"""The HTTP app: health, per-tenant schemas, the platform schema, limits, telemetry."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from helpers import AMQP_URL, auth_header, gql, unique_slug

from jogo.graphql import limits
from jogo.graphql.schemas import tenant_schema
from jogo.graphql.sdl import SCHEMA_DIR, current_sdl
from jogo.platform.app.factory import create_app
from jogo.platform.auth.roles import Role
from jogo.platform.telemetry import TENANT_ATTRIBUTE


async def _client(settings) -> httpx.AsyncClient:
    app = create_app(settings, manage_database=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_healthz(app_client):
    r = await app_client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_api_readiness_needs_the_database_only(settings):
    """The API writes the outbox and never talks to the broker (issue 12, part 9): a
    broker outage must not take API pods out of service. Its live events' LISTEN
    connection is proven to hear notifications (issue 19)."""
    broken = replace(settings, amqp_url="amqp://guest:guest@127.0.0.1:1/%2F")
    async with await _client(broken) as client:
        r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"database": "ok", "notifications": "ok", "status": "ok"}


async def _probe(settings, part: str) -> httpx.Response:
    from jogo.platform.app.factory import create_health_app
    from jogo.platform.app.runner import NEEDS

    app = create_health_app(settings, NEEDS[part])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/readyz")


async def test_relay_and_worker_readiness_check_database_and_real_rabbitmq(settings):
    for part in ("relay", "worker"):
        r = await _probe(replace(settings, amqp_url=AMQP_URL), part)
        assert r.status_code == 200, r.text
        assert r.json() == {"database": "ok", "broker": "rabbitmq", "status": "ok"}


async def test_readiness_names_the_broken_dependency(settings):
    broken = replace(settings, amqp_url="amqp://guest:guest@127.0.0.1:1/%2F")
    for part in ("relay", "worker"):
        r = await _probe(broken, part)
        assert r.status_code == 503
        body = r.json()
        assert body["database"] == "ok" and body["broker"].startswith("unavailable"), body
    # The scheduler only writes the outbox: the broker is not its business.
    r = await _probe(broken, "scheduler")
    assert r.status_code == 200 and r.json() == {"database": "ok", "status": "ok"}


async def test_unknown_slug_and_malformed_requests(app_client, two_tenants):
    assert (
        await app_client.post("/t/no-such-command/graphql", json={"query": "{me{name}}"})
    ).status_code == 404
    assert (await app_client.get("/t/no-such-command/graphql")).status_code == 404
    path = f"/t/{two_tenants.a.slug}/graphql"
    for body in (
        b"nope",
        b"[]",
        b'{"query": 5}',
        b'{"query": "{ tenant { slug } }", "variables": 3}',
    ):
        r = await app_client.post(path, content=body)
        assert r.status_code == 400, body
        assert r.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    r = await app_client.get(path, headers={"accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()


async def test_schema_follows_modules_and_is_cached(app_client, settings, two_tenants):
    from helpers import onboard

    bare = await onboard("minimal", modules=[])
    introspect = "{ __schema { queryType { fields { name } } types { name } } }"
    _, full = await gql(app_client, f"/t/{two_tenants.a.slug}/graphql", introspect)
    _, minimal = await gql(app_client, f"/t/{bare.slug}/graphql", introspect)
    full_fields = {f["name"] for f in full["data"]["__schema"]["queryType"]["fields"]}
    bare_fields = {f["name"] for f in minimal["data"]["__schema"]["queryType"]["fields"]}
    bare_types = {t["name"] for t in minimal["data"]["__schema"]["types"]}
    assert {"me", "tenant", "categories", "agencies"} <= full_fields
    assert "agencies" not in bare_fields and "Agency" not in bare_types
    assert tenant_schema(frozenset({"integrations"})) is tenant_schema(frozenset({"integrations"}))
    # Switching the module on through the platform schema changes the tenant's schema.
    admin = await auth_header(settings, Role.PLATFORM_ADMIN)
    _, switched = await gql(
        app_client,
        "/platform/graphql",
        'mutation($s: String!) { setTenantModules(slug: $s, modules: ["integrations"]) {'
        " tenant { modules } errors { code } } }",
        admin,
        s=bare.slug,
    )
    assert switched["data"]["setTenantModules"] == {
        "tenant": {"modules": ["integrations"]},
        "errors": [],
    }
    _, after = await gql(app_client, f"/t/{bare.slug}/graphql", introspect)
    assert "agencies" in {f["name"] for f in after["data"]["__schema"]["queryType"]["fields"]}


ONBOARD = """mutation($input: OnboardTenantInput!) {
  onboardTenant(input: $input) { tenant { slug kind regionName ticketPrefix modules }
    sampleDirectory errors { code field message } } }"""


async def test_onboard_tenant_mutation(app_client, settings, owner):
    admin = await auth_header(settings, Role.PLATFORM_ADMIN)
    slug = unique_slug("polrestabes")
    data = {
        "slug": slug,
        "name": "Polrestabes Surabaya",
        "poldaCode": "JATIM",
        "regionCode": "35.78",
        "template": "jogo-malang-presisi",
    }
    status, body = await gql(app_client, "/platform/graphql", ONBOARD, admin, input=data)
    assert status == 200, body
    payload = body["data"]["onboardTenant"]
    # Surabaya gets the template's categories, never Kota Malang's sample directory.
    assert payload["errors"] == [] and payload["sampleDirectory"] is False
    assert (
        payload["tenant"]["kind"] == "POLRESTABES"
        and payload["tenant"]["regionName"] == "Kota Surabaya"
    )
    _, again = await gql(app_client, "/platform/graphql", ONBOARD, admin, input=data)
    assert again["data"]["onboardTenant"]["tenant"] is None
    assert again["data"]["onboardTenant"]["errors"][0]["code"] == "CONFLICT"
    _, bad = await gql(
        app_client,
        "/platform/graphql",
        ONBOARD,
        admin,
        input=data | {"slug": (bad_slug := unique_slug()), "regionCode": "99.99"},
    )
    assert [(e["code"], e["field"]) for e in bad["data"]["onboardTenant"]["errors"]] == [
        ("INVALID_INPUT", "regionCode")
    ]
    assert await owner.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", bad_slug) == 0
    assert await owner.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", slug) == 1
    # National roles cannot onboard.
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    status, _ = await gql(app_client, "/platform/graphql", ONBOARD, national, input=data)
    assert status == 403


async def test_platform_queries(app_client, settings, two_tenants):
    admin = await auth_header(settings, Role.PLATFORM_ADMIN)
    _, body = await gql(
        app_client,
        "/platform/graphql",
        "{ me { roles } templates { name categoryCount agencyCount } tenants { slug } }",
        admin,
    )
    assert body["data"]["me"]["roles"] == ["platform_admin"]
    templates = {t["name"]: t for t in body["data"]["templates"]}
    # Templates seed categories and agency roles, never a directory (issue 14).
    assert templates["jogo-malang-presisi"]["agencyCount"] == 0
    assert templates["minimal"]["agencyCount"] == 0
    assert two_tenants.a.slug in {t["slug"] for t in body["data"]["tenants"]}


async def test_suspended_tenant_is_refused(app_client, settings, two_tenants):
    admin = await auth_header(settings, Role.PLATFORM_ADMIN)
    path = f"/t/{two_tenants.b.slug}/graphql"
    assert (await gql(app_client, path, "{ tenant { slug } }"))[0] == 200
    mutation = (
        "mutation($s: String!) { suspendTenant(slug: $s) { tenant { status } errors { code } } }"
    )
    _, body = await gql(app_client, "/platform/graphql", mutation, admin, s=two_tenants.b.slug)
    assert body["data"]["suspendTenant"]["tenant"]["status"] == "SUSPENDED"
    status, body = await gql(app_client, path, "{ tenant { slug } }")
    assert status == 403
    _, missing = await gql(app_client, "/platform/graphql", mutation, admin, s="no-such-command")
    assert missing["data"]["suspendTenant"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_limits_and_caches(app_client, two_tenants):
    path = f"/t/{two_tenants.a.slug}/graphql"
    # The depth rule reads the document's shape: eleven levels fail whatever the fields.
    deep = "{ tenant " + "{ x " * 11 + "}" * 12
    _, body = await gql(app_client, path, deep)
    messages = [e["message"] for e in body["errors"]]
    assert any("exceeds maximum operation depth of 10" in m for m in messages), messages
    aliases = "{ " + " ".join(f"a{i}: tenant {{ slug }}" for i in range(20)) + " }"
    _, body = await gql(app_client, path, aliases)
    assert "aliases" in body["errors"][0]["message"]
    tokens = "{ " + " ".join("tenant { slug }" for _ in range(800)) + " }"
    _, body = await gql(app_client, path, tokens)
    assert "token" in body["errors"][0]["message"].lower()

    from strawberry.extensions.parser_cache import _get_parse_cache
    from strawberry.extensions.validation_cache import _get_validate_cache

    validate = _get_validate_cache(limits.CACHE_SIZE)
    parse = _get_parse_cache(limits.CACHE_SIZE)
    query = "{ tenant { slug name } categories { code } }"
    await gql(app_client, path, query)
    v_hits, p_hits = validate.cache_info().hits, parse.cache_info().hits
    for _ in range(3):
        status, body = await gql(app_client, path, query)
        assert status == 200 and "errors" not in body
    assert validate.cache_info().hits - v_hits == 3
    assert parse.cache_info().hits - p_hits == 3


async def test_committed_sdl_matches_the_code():
    for name, sdl in current_sdl().items():
        committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert committed == sdl, f"{name} is stale: run python -m jogo.graphql.sdl"


async def test_spans_carry_the_tenant(app_client, span_exporter, two_tenants):
    span_exporter.clear()
    await gql(app_client, f"/t/{two_tenants.a.slug}/graphql", "{ categories { code } }")
    spans = span_exporter.get_finished_spans()
    server = [s for s in spans if s.kind.name == "SERVER"]
    sql = [s for s in spans if s.attributes and s.attributes.get("db.system") == "postgresql"]
    assert server and sql
    assert server[-1].attributes[TENANT_ATTRIBUTE] == two_tenants.a.slug
    tenant_sql = [s for s in sql if s.attributes.get(TENANT_ATTRIBUTE) == two_tenants.a.slug]
    assert tenant_sql, "SQL spans inside the tenant's request carry jogo.tenant"
    assert {s.context.trace_id for s in tenant_sql} == {server[-1].context.trace_id}


@pytest.mark.parametrize("path", ["/national/graphql", "/platform/graphql"])
async def test_global_graphiql_pages(app_client, path):
    r = await app_client.get(path)
    assert r.status_code == 200 and "graphiql" in r.text.lower()
