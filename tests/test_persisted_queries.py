"""Issue 20, part 3: automatic persisted queries (Apollo's APQ protocol) and trusted
documents per API key (graphql/persisted.py, platform/auth/trusted.py).

APQ: a hash the process does not know answers ``PersistedQueryNotFound`` (HTTP 200); the
text with its hash is checked, kept and run; then the hash alone runs it, priced as any
other operation. A trusted-documents key runs only what its command's admin registered
for it, by hash or by text; anything else is refused before it is priced or run. Two
tenants throughout: one command's documents never serve another's callers."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import websockets
from helpers import (
    CREATE_API_KEY,
    ROTATE_API_KEY,
    auth_header,
    bearer_for,
    make_user,
    sql_statements,
)

from jogo.graphql.persisted import ENTRY_BYTES, STORE, DocumentStore
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role

REPORTS = "query Reports($n: Int!) { reports(first: $n) { edges { node { id ticket } } } }"
CATEGORIES = "query Categories { categories { code } }"
AD_HOC = "{ reports(first: 3) { edges { node { id status } } } }"
REGISTER = """mutation($k: ID!, $d: [String!]!) { registerTrustedDocuments(keyId: $k, documents: $d) {
  documents { sha256 document createdBy } errors { code field message } } }"""
ONLY = """mutation($id: ID!, $o: Boolean!) { setApiKeyTrustedDocumentsOnly(id: $id, only: $o) {
  apiKey { id trustedDocumentsOnly } errors { code field message } } }"""
LISTED = "query($k: ID!) { trustedDocuments(keyId: $k) { sha256 } }"
REMOVE = """mutation($k: ID!, $h: [String!]!) { removeTrustedDocuments(keyId: $k, sha256: $h) {
  removed errors { code field message } } }"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


def path(tenant: Any) -> str:
    return f"/t/{tenant.slug}/graphql"


def key_headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


async def post(client: Any, url: str, headers: dict | None = None, **body: Any) -> tuple[int, dict]:
    r = await client.post(url, json=body, headers=headers or {})
    return r.status_code, r.json()


def code_of(body: dict) -> str | None:
    errors = body.get("errors") or []
    return (errors[0].get("extensions") or {}).get("code") if errors else None


async def admin_call(client: Any, tenant: Any, admin: dict, query: str, **variables: Any) -> dict:
    status, body = await post(client, path(tenant), admin, query=query, variables=variables)
    assert status == 200 and "errors" not in body, body
    data: dict = body["data"]
    return data


async def trusted_key(client: Any, tenant: Any, admin: dict, documents: list[str]) -> dict:
    """A reports:read key limited to ``documents``: {"id", "key"}."""
    made = (
        await admin_call(
            client, tenant, admin, CREATE_API_KEY, name="Vendor", scopes=["reports:read"]
        )
    )["createApiKey"]
    key_id = made["apiKey"]["id"]
    registered = (await admin_call(client, tenant, admin, REGISTER, k=key_id, d=documents))[
        "registerTrustedDocuments"
    ]
    assert registered["errors"] == [] and len(registered["documents"]) == len(set(documents))
    only = (await admin_call(client, tenant, admin, ONLY, id=key_id, o=True))[
        "setApiKeyTrustedDocumentsOnly"
    ]
    assert only == {"apiKey": {"id": key_id, "trustedDocumentsOnly": True}, "errors": []}
    return {"id": key_id, "key": made["key"]}


# --- automatic persisted queries ---------------------------------------------------


async def test_apq_round_trip_miss_register_then_hit_by_hash_alone(app_client, two_tenants):
    STORE.clear()
    url = path(two_tenants.a)
    # Miss: Apollo's clients expect HTTP 200 and this exact message.
    status, body = await post(app_client, url, extensions=persisted(CATEGORIES))
    assert status == 200, body
    assert body["errors"][0]["message"] == "PersistedQueryNotFound"
    assert code_of(body) == "PERSISTED_QUERY_NOT_FOUND" and "data" not in body
    # Register: the text with its hash runs and is kept.
    status, full = await post(app_client, url, query=CATEGORIES, extensions=persisted(CATEGORIES))
    assert status == 200 and "errors" not in full, full
    assert full["data"]["categories"]
    # Hit: the hash alone answers the same, and is priced like the text.
    status, hit = await post(app_client, url, extensions=persisted(CATEGORIES))
    assert status == 200 and hit["data"] == full["data"], hit
    assert (
        hit["extensions"]["cost"]["requestedQueryCost"]
        == full["extensions"]["cost"]["requestedQueryCost"]
    )
    # With variables and an operation name too.
    status, hit = await post(
        app_client,
        url,
        query=REPORTS,
        variables={"n": 2},
        operationName="Reports",
        extensions=persisted(REPORTS),
    )
    assert status == 200, hit
    # (anonymous: reports are refused at their field, the hash still ran the document)
    status, again = await post(
        app_client, url, variables={"n": 2}, operationName="Reports", extensions=persisted(REPORTS)
    )
    assert (
        status == 200 and again["data"] == hit["data"] and again["errors"][0]["path"] == ["reports"]
    )
    # Another command never sees this command's documents.
    status, other = await post(app_client, path(two_tenants.b), extensions=persisted(CATEGORIES))
    assert status == 200 and code_of(other) == "PERSISTED_QUERY_NOT_FOUND", other


async def test_apq_on_the_national_schema_shares_the_http_layer(app_client, settings, two_tenants):
    STORE.clear()
    headers = bearer_for(*await make_user(Role.NATIONAL_SUPERVISOR), settings)
    query = "query { tenants { slug } }"
    status, body = await post(app_client, "/national/graphql", headers, extensions=persisted(query))
    assert status == 200 and code_of(body) == "PERSISTED_QUERY_NOT_FOUND", body
    status, body = await post(
        app_client, "/national/graphql", headers, query=query, extensions=persisted(query)
    )
    assert status == 200 and "errors" not in body, body
    status, hit = await post(app_client, "/national/graphql", headers, extensions=persisted(query))
    assert status == 200 and hit["data"] == body["data"]
    # The platform schema keeps its own documents.
    admin = bearer_for(*await make_user(Role.PLATFORM_ADMIN), settings)
    status, body = await post(app_client, "/platform/graphql", admin, extensions=persisted(query))
    assert status == 200 and code_of(body) == "PERSISTED_QUERY_NOT_FOUND", body


async def test_a_hash_that_is_not_the_querys_is_refused_and_not_kept(app_client, two_tenants):
    STORE.clear()
    url = path(two_tenants.a)
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": sha("{ __typename }")}}
    status, body = await post(app_client, url, query=CATEGORIES, extensions=wrong)
    assert status == 400 and code_of(body) == "PERSISTED_QUERY_HASH_MISMATCH", body
    assert "SHA-256" in body["errors"][0]["message"]
    # Neither text is now known by that hash.
    status, body = await post(app_client, url, extensions=wrong)
    assert code_of(body) == "PERSISTED_QUERY_NOT_FOUND"
    # Malformed extensions are bad requests, named.
    for extensions in (
        {"persistedQuery": {"version": 2, "sha256Hash": sha(CATEGORIES)}},
        {"persistedQuery": {"version": 1, "sha256Hash": "abc"}},
        {"persistedQuery": "x"},
        [],
    ):
        status, body = await post(app_client, url, query=CATEGORIES, extensions=extensions)
        assert status == 400 and code_of(body) == "INVALID_INPUT", (extensions, body)
    # No query and no hash is still the plain bad request it was.
    status, body = await post(app_client, url, extensions={})
    assert status == 400 and code_of(body) == "INVALID_INPUT"


async def test_an_oversized_document_is_refused_clearly(app_client, settings, two_tenants):
    STORE.clear()
    url = path(two_tenants.a)
    limit = settings.graphql_max_document_bytes
    big = CATEGORIES + "\n#" + "x" * limit  # one comment: few tokens, many bytes
    status, body = await post(app_client, url, query=big, extensions=persisted(big))
    assert status == 400 and code_of(body) == "INVALID_INPUT", body
    assert body["errors"][0]["message"].endswith(
        f"the GraphQL document is larger than {limit} bytes (JOGO_GRAPHQL_MAX_DOCUMENT_BYTES)"
    )
    status, body = await post(app_client, url, extensions=persisted(big))
    assert code_of(body) == "PERSISTED_QUERY_NOT_FOUND"  # never kept
    # As a trusted document too.
    admin = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    key = await create_api_key(two_tenants.a, "Vendor", ["reports:read"])
    payload = (
        await admin_call(
            app_client, two_tenants.a, admin, REGISTER, k=str(key.id), d=[CATEGORIES, big]
        )
    )["registerTrustedDocuments"]
    assert payload["documents"] == []
    assert payload["errors"][0]["code"] == "INVALID_INPUT"
    assert payload["errors"][0]["field"] == "documents.1"
    assert str(limit) in payload["errors"][0]["message"]


def test_the_store_keeps_the_most_recently_used_documents_within_its_bytes():
    store = DocumentStore()
    limit = 5 * (100 + ENTRY_BYTES)  # five documents of 100 bytes, with their entries
    for i in range(7):
        store.put("t", f"h{i}", "x" * 100, max_bytes=limit)
        if i == 4:
            assert store.get("t", "h0") is not None  # h0 used: h1 goes first
    assert len(store) == 5
    assert store.get("t", "h0") is not None and store.get("t", "h1") is None
    assert store.get("t", "h2") is None and store.get("t", "h6") is not None
    assert store.get("other", "h6") is None  # scopes are apart
    store.put("t", "huge", "x" * (limit - ENTRY_BYTES + 1), max_bytes=limit)
    assert store.get("t", "huge") is None


# --- trusted documents -------------------------------------------------------------


async def test_a_trusted_documents_key_runs_its_documents_by_hash_and_by_text(
    app_client, settings, two_tenants, span_exporter
):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    made = await trusted_key(app_client, tenant, admin, [REPORTS, CATEGORIES, REPORTS])
    headers = key_headers(made["key"])
    url = path(tenant)
    # By hash alone (no APQ registration ever happened: the stored text runs).
    STORE.clear()
    status, by_hash = await post(
        app_client, url, headers, variables={"n": 5}, extensions=persisted(REPORTS)
    )
    assert status == 200 and "errors" not in by_hash, by_hash
    assert by_hash["extensions"]["cost"]["requestedQueryCost"] == 1 + 5 * 2
    # By text, and by text with its hash.
    status, by_text = await post(app_client, url, headers, query=REPORTS, variables={"n": 5})
    assert status == 200 and by_text["data"] == by_hash["data"], by_text
    status, both = await post(
        app_client, url, headers, query=CATEGORIES, extensions=persisted(CATEGORIES)
    )
    assert status == 200 and "errors" not in both, both
    # Anything else is refused before it is priced or run: only the key's lookup and the
    # trusted-documents read run, no budget is spent, no report is read.
    span_exporter.clear()
    status, refused = await post(app_client, url, headers, query=AD_HOC)
    assert status == 200 and code_of(refused) == "TRUSTED_DOCUMENT_REQUIRED", refused
    assert "data" not in refused and "trusted documents" in refused["errors"][0]["message"]
    assert sql_statements(span_exporter, "FROM trusted_documents") == 1
    assert sql_statements(span_exporter, "query_budgets") == 0
    assert sql_statements(span_exporter, "FROM reports") == 0
    # The key's lookup, and the trusted read in its own transaction (BEGIN, SELECT, COMMIT).
    assert sql_statements(span_exporter) == 4
    # An unknown hash is refused the same way (sending the text would not help).
    status, refused = await post(app_client, url, headers, extensions=persisted(AD_HOC))
    assert status == 200 and code_of(refused) == "TRUSTED_DOCUMENT_REQUIRED", refused
    # Even once the text is known to APQ from someone else.
    await post(app_client, url, query=AD_HOC, extensions=persisted(AD_HOC))
    status, refused = await post(app_client, url, headers, extensions=persisted(AD_HOC))
    assert code_of(refused) == "TRUSTED_DOCUMENT_REQUIRED"
    # The operators' console and other keys are unchanged: ad hoc queries run.
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    status, body = await post(app_client, url, operator, query=AD_HOC)
    assert status == 200 and "errors" not in body, body
    other = await create_api_key(tenant, "Other", ["reports:read"])
    status, body = await post(app_client, url, key_headers(other.key), query=AD_HOC)
    assert status == 200 and "errors" not in body, body
    # Lifting the limit lets the key run anything again; setting it back refuses again.
    await admin_call(app_client, tenant, admin, ONLY, id=made["id"], o=False)
    status, body = await post(app_client, url, headers, query=AD_HOC)
    assert status == 200 and "errors" not in body, body
    await admin_call(app_client, tenant, admin, ONLY, id=made["id"], o=True)
    # Removing a document takes it off the list at once.
    removed = (
        await admin_call(app_client, tenant, admin, REMOVE, k=made["id"], h=[sha(CATEGORIES)])
    )["removeTrustedDocuments"]
    assert removed == {"removed": 1, "errors": []}
    status, body = await post(app_client, url, headers, query=CATEGORIES)
    assert code_of(body) == "TRUSTED_DOCUMENT_REQUIRED"
    listed = (await admin_call(app_client, tenant, admin, LISTED, k=made["id"]))["trustedDocuments"]
    assert [d["sha256"] for d in listed] == [sha(REPORTS)]


async def test_a_rotated_trusted_key_keeps_its_documents_and_its_limit(
    app_client, settings, two_tenants
):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    made = await trusted_key(app_client, tenant, admin, [CATEGORIES])
    rotated = (await admin_call(app_client, tenant, admin, ROTATE_API_KEY, id=made["id"], h=1))[
        "rotateApiKey"
    ]
    headers = key_headers(rotated["key"])
    status, body = await post(app_client, path(tenant), headers, extensions=persisted(CATEGORIES))
    assert status == 200 and "errors" not in body, body
    status, body = await post(app_client, path(tenant), headers, query=AD_HOC)
    assert code_of(body) == "TRUSTED_DOCUMENT_REQUIRED", body


async def test_another_commands_key_cannot_use_this_commands_documents(
    app_client, settings, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    made_a = await trusted_key(app_client, a, admin_a, [REPORTS])
    made_b = await trusted_key(app_client, b, admin_b, [CATEGORIES])
    # B's key, by A's document's hash or its text: refused like any other document.
    headers_b = key_headers(made_b["key"])
    status, body = await post(
        app_client, path(b), headers_b, variables={"n": 1}, extensions=persisted(REPORTS)
    )
    assert status == 200 and code_of(body) == "TRUSTED_DOCUMENT_REQUIRED", body
    status, body = await post(app_client, path(b), headers_b, query=REPORTS, variables={"n": 1})
    assert code_of(body) == "TRUSTED_DOCUMENT_REQUIRED", body
    # A's key on B's path is the 404 of a stranger, whatever it sends.
    status, _ = await post(
        app_client, path(b), key_headers(made_a["key"]), extensions=persisted(REPORTS)
    )
    assert status == 404
    # B's admin cannot read, add to, remove from or change A's key: NOT_FOUND, as unknown.
    for query, variables in (
        (REGISTER, {"k": made_a["id"], "d": [CATEGORIES]}),
        (REMOVE, {"k": made_a["id"], "h": [sha(REPORTS)]}),
        (ONLY, {"id": made_a["id"], "o": False}),
    ):
        data = await admin_call(app_client, b, admin_b, query, **variables)
        (payload,) = data.values()
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"], payload
    status, body = await post(
        app_client, path(b), admin_b, query=LISTED, variables={"k": made_a["id"]}
    )
    assert body["data"]["trustedDocuments"] is None and code_of(body) == "NOT_FOUND", body
    # A's key still runs its document, and only it.
    status, body = await post(
        app_client,
        path(a),
        key_headers(made_a["key"]),
        variables={"n": 1},
        extensions=persisted(REPORTS),
    )
    assert status == 200 and "errors" not in body, body


async def test_a_read_only_key_cannot_register_documents(app_client, settings, two_tenants):
    tenant = two_tenants.a
    reader = await create_api_key(tenant, "Reader", ["reports:read", "agencies:read"])
    data = await admin_call(
        app_client, tenant, key_headers(reader.key), REGISTER, k=str(reader.id), d=[AD_HOC]
    )
    errors = data["registerTrustedDocuments"]["errors"]
    assert [e["code"] for e in errors] == ["FORBIDDEN"], errors
    data = await admin_call(
        app_client, tenant, key_headers(reader.key), ONLY, id=str(reader.id), o=False
    )
    assert [e["code"] for e in data["setApiKeyTrustedDocumentsOnly"]["errors"]] == ["FORBIDDEN"]
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    data = await admin_call(app_client, tenant, operator, REGISTER, k=str(reader.id), d=[AD_HOC])
    assert [e["code"] for e in data["registerTrustedDocuments"]["errors"]] == ["FORBIDDEN"]


async def test_documents_must_be_valid_against_the_commands_schema(
    app_client, settings, two_tenants
):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    key = await create_api_key(tenant, "Vendor", ["reports:read"])
    payload = (
        await admin_call(
            app_client, tenant, admin, REGISTER, k=str(key.id), d=[CATEGORIES, "{ nope }", "{"]
        )
    )["registerTrustedDocuments"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", "documents.1"),
        ("INVALID_INPUT", "documents.2"),
    ]
    assert payload["documents"] == []


async def test_expired_credentials_are_refused_before_any_document_is_looked_up(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    made = await trusted_key(app_client, tenant, admin, [CATEGORIES])
    await owner.execute(
        "UPDATE api_keys SET expires_at = $2 WHERE id = $1::uuid",
        made["id"],
        datetime.now(UTC) - timedelta(seconds=1),
    )
    status, body = await post(
        app_client, path(tenant), key_headers(made["key"]), extensions=persisted(CATEGORIES)
    )
    assert status == 401 and code_of(body) == "UNAUTHENTICATED", body
    assert "expired" in body["errors"][0]["message"]
    user = await make_user(Role.OPERATOR, tenant)
    expired = bearer_for(*user, settings, ttl=-60)
    status, body = await post(app_client, path(tenant), expired, extensions=persisted(CATEGORIES))
    assert status == 401 and code_of(body) == "UNAUTHENTICATED", body


async def test_parallel_duplicate_registrations_are_idempotent(
    app_client, settings, two_tenants, owner
):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    key = await create_api_key(tenant, "Vendor", ["reports:read"])
    documents = [REPORTS, CATEGORIES]
    answers = await asyncio.gather(
        *(
            admin_call(app_client, tenant, admin, REGISTER, k=str(key.id), d=documents)
            for _ in range(8)
        )
    )
    for data in answers:
        payload = data["registerTrustedDocuments"]
        assert payload["errors"] == [], payload
        assert [d["sha256"] for d in payload["documents"]] == [sha(REPORTS), sha(CATEGORIES)]
    rows = await owner.fetchval(
        "SELECT count(*) FROM trusted_documents WHERE api_key_id = $1", key.id
    )
    assert rows == 2
    audits = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'apikey.trusted_documents.add'"
        " AND target = $1",
        f"api_key:{key.prefix}",
    )
    assert audits == 1  # one call added them; the others changed nothing


async def test_the_trusted_documents_table_is_fenced_by_row_level_security(owner):
    forced = await owner.fetchrow(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'trusted_documents'"
    )
    assert forced["relrowsecurity"] and forced["relforcerowsecurity"]


async def test_a_socket_of_a_trusted_key_runs_only_its_documents(
    app_client, live_server, settings, two_tenants
):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    made = await trusted_key(app_client, tenant, admin, [CATEGORIES])
    ws = await websockets.connect(
        f"ws://{live_server}/t/{tenant.slug}/graphql", subprotocols=["graphql-transport-ws"]
    )
    try:
        await ws.send(json.dumps({"type": "connection_init", "payload": key_headers(made["key"])}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": AD_HOC}}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert answer["type"] == "error" and answer["id"] == "1", answer
        assert answer["payload"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        await ws.send(
            json.dumps({"id": "2", "type": "subscribe", "payload": {"query": CATEGORIES}})
        )
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert answer["type"] == "next" and answer["payload"]["data"]["categories"], answer
    finally:
        await ws.close()
