"""Issue 14, item 7: the command's own audit log. A tenant admin reads (and exports as
CSV) the rows of its own command only; an oversight auditor reads any command's; every
read is itself audited; sign-ins and lockouts of a command's users are in its log."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpers import PASSWORD, auth_header, bearer_for, gql, make_user

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.login import BY_USERNAME
from jogo.platform.auth.roles import Role

LOG = """query($f: AuditLogFilter, $first: Int!, $after: String) {
  auditLog(filter: $f, first: $first, after: $after) {
    entries { id at actor actorKind role action tenantId target detail }
    hasNextPage endCursor } }"""
NATIONAL_LOG = """query($slug: String, $f: AuditLogFilter) {
  auditLog(tenantSlug: $slug, filter: $f, first: 200) {
    entries { id at action tenantId target } hasNextPage } }"""
CREATE = """mutation($name: String!) { createApiKey(name: $name, scopes: ["reports:read"]) {
  apiKey { prefix } errors { code } } }"""


def path(tenant: Any) -> str:
    return f"/t/{tenant.slug}/graphql"


async def log(client: Any, tenant: Any, headers: dict, **variables: Any) -> dict[str, Any]:
    variables.setdefault("first", 100)
    status, body = await gql(client, path(tenant), LOG, headers, **variables)
    assert status == 200 and "errors" not in body, body
    result: dict[str, Any] = body["data"]["auditLog"]
    return result


async def key_in(client: Any, tenant: Any, admin: dict, name: str) -> str:
    _, body = await gql(client, path(tenant), CREATE, admin, name=name)
    prefix: str = body["data"]["createApiKey"]["apiKey"]["prefix"]
    return f"api_key:{prefix}"


async def test_each_admin_reads_only_its_own_command(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    target_a = await key_in(app_client, a, admin_a, "Dishub A")
    target_b = await key_in(app_client, b, admin_b, "Dishub B")
    entries = (await log(app_client, a, admin_a))["entries"]
    assert {e["tenantId"] for e in entries} == {str(a.id)}
    assert target_a in {e["target"] for e in entries}
    assert target_b not in json.dumps(entries)
    # By filter neither: B's key, B's admin, or B's whole action.
    for f in ({"target": target_b}, {"actor": target_b}, {"action": "apikey.", "target": "api_"}):
        found = (await log(app_client, a, admin_a, f=f))["entries"]
        assert target_b not in json.dumps(found), f
    only = (await log(app_client, a, admin_a, f={"action": "apikey.create"}))["entries"]
    assert [e["target"] for e in only] == [target_a]
    # ... nor by CSV.
    response = await app_client.get(f"/t/{a.slug}/audit.csv", headers=admin_a)
    assert response.status_code == 200
    targets = {r["target"] for r in csv.DictReader(io.StringIO(response.text, newline=""))}
    assert target_a in targets and target_b not in targets
    # B's admin on A's paths: A does not exist for them.
    assert (await app_client.get(f"/t/{a.slug}/audit.csv", headers=admin_b)).status_code == 404


async def test_reading_the_log_is_audited_and_pages(app_client, settings, two_tenants):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    for n in range(3):
        await key_in(app_client, a, admin, f"Kunci {n}")
    first = await log(app_client, a, admin, first=2, f={"action": "apikey."})
    assert first["hasNextPage"] and len(first["entries"]) == 2
    rest = await log(
        app_client, a, admin, first=2, after=first["endCursor"], f={"action": "apikey."}
    )
    ids = [int(e["id"]) for e in first["entries"] + rest["entries"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 3
    reads = (await log(app_client, a, admin, f={"action": "audit.read"}))["entries"]
    assert len(reads) >= 3 and reads[0]["detail"]["filter"] == {"action": "audit.read"}
    # Times in the command's zone (35.73 is WIB), with the offset.
    assert reads[0]["at"].endswith("+07:00")
    # from/to: a window in the future holds nothing; today's date holds these rows.
    later = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert (await log(app_client, a, admin, f={"from": later}))["entries"] == []
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()  # the command's (35.73) today
    window = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    assert len((await log(app_client, a, admin, f=window | {"action": "apikey."}))["entries"]) == 3
    _, body = await gql(app_client, path(a), LOG, admin, first=5, after="1_000")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    _, body = await gql(app_client, path(a), LOG, admin, first=101)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_only_the_tenant_admin_reads_it(app_client, settings, two_tenants):
    a = two_tenants.a
    key = await create_api_key(a, "Sistem kota", ["reports:write", "agencies:write"], "pytest")
    for role in (Role.OPERATOR, Role.OFFICER, Role.CITIZEN, Role.AGENCY_LIAISON):
        headers = await auth_header(settings, role, a)
        _, body = await gql(app_client, path(a), LOG, headers, first=5)
        assert body["data"]["auditLog"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
        csv_answer = await app_client.get(f"/t/{a.slug}/audit.csv", headers=headers)
        assert csv_answer.status_code == 403, role
    csv_answer = await app_client.get(f"/t/{a.slug}/audit.csv", headers={"X-API-Key": key.key})
    assert csv_answer.status_code == 403
    anonymous = await app_client.get(f"/t/{a.slug}/audit.csv")
    assert anonymous.status_code == 401
    message = anonymous.json()["errors"][0]["message"]
    assert "Authorization: Bearer <token>" in message and "X-API-Key" in message


async def test_the_auditor_reads_any_command(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    target_a = await key_in(app_client, a, admin_a, "Dishub A")
    target_b = await key_in(app_client, b, admin_b, "Dishub B")
    auditor = await auth_header(settings, Role.OVERSIGHT_AUDITOR)
    seen = {}
    for tenant, target in ((a, target_a), (b, target_b)):
        _, body = await gql(
            app_client, "/national/graphql", NATIONAL_LOG, auditor, slug=tenant.slug
        )
        entries = body["data"]["auditLog"]["entries"]
        assert {e["tenantId"] for e in entries} == {str(tenant.id)}
        assert target in {e["target"] for e in entries}
        seen[tenant.slug] = entries
    assert target_b not in json.dumps(seen[a.slug])
    # The auditor's look is in the command's own log.
    looks = (await log(app_client, a, admin_a, f={"action": "national.auditLog"}))["entries"]
    assert looks and looks[0]["role"] == "oversight_auditor"
    assert looks[0]["detail"]["tenantSlug"] == a.slug
    # As CSV too, for one command.
    response = await app_client.get(
        "/national/audit.csv", params={"tenant": b.slug}, headers=auditor
    )
    assert response.status_code == 200
    targets = {r["target"] for r in csv.DictReader(io.StringIO(response.text, newline=""))}
    assert target_b in targets and target_a not in targets
    _, body = await gql(app_client, "/national/graphql", NATIONAL_LOG, auditor, slug="no-such")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    # A national supervisor or a tenant admin is no auditor.
    supervisor = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    _, body = await gql(app_client, "/national/graphql", NATIONAL_LOG, supervisor, slug=a.slug)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    csv_answer = await app_client.get(
        "/national/audit.csv", params={"tenant": a.slug}, headers=supervisor
    )
    assert csv_answer.status_code == 403
    assert (await app_client.get("/national/audit.csv", headers=admin_a)).status_code == 403


async def test_csv_matches_the_rows_and_is_injection_safe(app_client, settings, two_tenants, owner):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    await key_in(app_client, a, admin, 'Dinas "Perhubungan", Kota\nBatu')
    await owner.execute(
        "INSERT INTO audit_log (actor, actor_kind, action, tenant, target, detail)"
        " VALUES ('=HYPERLINK(\"http://evil\")', 'system', 'test.injection', $1,"
        " '+cmd|'' /C calc''!A0', '{}')",
        a.id,
    )
    response = await app_client.get(f"/t/{a.slug}/audit.csv", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert list(rows[0]) == [
        "id",
        "at",
        "actor",
        "actor_kind",
        "role",
        "action",
        "target",
        "detail",
    ]
    gql_rows = (await log(app_client, a, admin))["entries"]
    by_id = {r["id"]: r for r in rows}
    for entry in gql_rows:
        if entry["action"] == "audit.read" and entry["id"] not in by_id:
            continue  # the read that the GraphQL call itself wrote after the export
        row = by_id[entry["id"]]
        assert row["action"] == entry["action"] and row["target"].lstrip("'") == (
            entry["target"] or ""
        )
        assert datetime.fromisoformat(row["at"]) == datetime.fromisoformat(entry["at"])
        assert row["at"].endswith("+07:00")
        assert json.loads(row["detail"]) == entry["detail"]
    injected = next(r for r in rows if r["action"] == "test.injection")
    assert injected["actor"] == '\'=HYPERLINK("http://evil")'
    assert injected["target"] == "'+cmd|' /C calc'!A0"
    created = next(r for r in rows if r["action"] == "apikey.create")
    assert json.loads(created["detail"])["name"] == 'Dinas "Perhubungan", Kota\nBatu'
    # Filters as in GraphQL; a bad date is a 400.
    only = await app_client.get(
        f"/t/{a.slug}/audit.csv", params={"action": "apikey."}, headers=admin
    )
    actions = {r["action"] for r in csv.DictReader(io.StringIO(only.text, newline=""))}
    assert actions == {"apikey.create"}
    bad = await app_client.get(f"/t/{a.slug}/audit.csv", params={"from": "kemarin"}, headers=admin)
    assert bad.status_code == 400
    # Each export is itself audited (the refused one exported nothing).
    exports = (await log(app_client, a, admin, f={"action": "audit.export"}))["entries"]
    assert len(exports) == 2 and exports[0]["detail"]["filter"] == {"action": "apikey."}


async def test_sign_ins_and_lockouts_are_in_the_users_command(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    user_id, username = await make_user(Role.OPERATOR, a)
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    ok = await app_client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert ok.status_code == 200
    wrong = {"username": username, "password": "not the password"}
    for _ in range(BY_USERNAME.limit):
        assert (await app_client.post("/auth/token", json=wrong)).status_code == 401
    assert (await app_client.post("/auth/token", json=wrong)).status_code == 429
    target = f"user:{username}"
    entries = (await log(app_client, a, admin_a, f={"target": target}))["entries"]
    assert {e["action"] for e in entries} == {"auth.login", "auth.lockout"}
    assert all(e["tenantId"] == str(a.id) for e in entries)
    assert (await log(app_client, b, admin_b, f={"target": target}))["entries"] == []
    assert bearer_for(user_id, username, settings)  # the user exists and is A's


async def test_a_control_character_in_a_filter_is_refused_for_that_reason(
    app_client, settings, two_tenants
):
    """Every query parameter of both CSV routes, and the GraphQL filter: a NUL (or any
    control character) is a 400 / INVALID_INPUT saying so, not "too long"."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    auditor = await auth_header(settings, Role.OVERSIGHT_AUDITOR)
    cases = [(f"/t/{a.slug}/audit.csv", admin, {}), ("/national/audit.csv", auditor, {})]
    cases.append(("/national/audit.csv", auditor, {"tenant": a.slug}))
    for url, headers, base in cases:
        names = ["from", "to", "action", "actor", "target"]
        names += ["tenant"] if url.startswith("/national") and not base else []
        for name in names:
            for bad in ("\x00", "apikey.\n", "x\x7f", "\x85"):
                response = await app_client.get(url, params=base | {name: bad}, headers=headers)
                assert response.status_code == 400, (url, name, response.text)
                assert "\n" not in response.text.strip()
                text = json.dumps(response.json())
                assert f"{name} must not contain control characters" in text, text
                assert "at most" not in text and "ISO 8601" not in text
    # A filter that is merely long still says so.
    response = await app_client.get(
        f"/t/{a.slug}/audit.csv", params={"action": "a" * 201}, headers=admin
    )
    assert response.status_code == 400 and "at most 200" in response.text
    # GraphQL: a NUL anywhere in a request is refused before (saying so); other control
    # characters reach the filter.
    status, body = await gql(app_client, path(a), LOG, admin, first=10, f={"action": "\x00"})
    assert status == 400 and "NUL" in body["errors"][0]["message"], body
    for name in ("action", "actor", "target"):
        for bad in ("apikey.\n", "\x7f"):
            _, body = await gql(app_client, path(a), LOG, admin, first=10, f={name: bad})
            assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", body
            assert body["errors"][0]["message"] == f"{name} must not contain control characters"
    _, body = await gql(
        app_client, "/national/graphql", NATIONAL_LOG, auditor, slug=a.slug, f={"actor": "\x1b"}
    )
    assert body["errors"][0]["message"] == "actor must not contain control characters"
    _, body = await gql(app_client, "/national/graphql", NATIONAL_LOG, auditor, slug="a\t")
    assert body["errors"][0]["message"] == "tenantSlug must not contain control characters"


async def test_a_users_rows_carry_their_roles_in_that_command(
    app_client, settings, two_tenants, owner
):
    """The role column: a user's roles in the row's command when the row was written
    (sorted, comma-separated), in GraphQL and CSV; none for keys; the auditor's national
    role as before. A later change of role does not rewrite old rows."""
    a, b = two_tenants.a, two_tenants.b
    admin_id, admin_name = await make_user(Role.TENANT_ADMIN, a)
    admin = bearer_for(admin_id, admin_name, settings)
    target = await key_in(app_client, a, admin, "Dishub A")
    entries = (await log(app_client, a, admin, f={"target": target}))["entries"]
    assert [(e["action"], e["role"]) for e in entries] == [("apikey.create", "tenant_admin")]
    # Also an operator in the same command, and an admin elsewhere: only this command's.
    await owner.execute(
        "INSERT INTO memberships (user_id, tenant, role) VALUES ($1, $2, 'operator'),"
        " ($1, $3, 'tenant_admin')",
        admin_id,
        a.id,
        b.id,
    )
    second = await key_in(app_client, a, admin, "Dishub B")
    response = await app_client.get(
        f"/t/{a.slug}/audit.csv", params={"action": "apikey."}, headers=admin
    )
    rows = {r["target"]: r for r in csv.DictReader(io.StringIO(response.text, newline=""))}
    assert rows[target]["role"] == "tenant_admin"
    assert rows[second]["role"] == "operator,tenant_admin"
    # Sign-ins get the user's roles in each command, under that command.
    ok = await app_client.post("/auth/token", json={"username": admin_name, "password": PASSWORD})
    assert ok.status_code == 200
    signed = await owner.fetch(
        "SELECT tenant, role FROM audit_log WHERE action = 'auth.login' AND target = $1",
        f"user:{admin_name}",
    )
    assert {(r["tenant"], r["role"]) for r in signed} == {
        (a.id, "operator,tenant_admin"),
        (b.id, "tenant_admin"),
    }
    # A key's rows have none.
    key = await create_api_key(a, "ro", ["reports:read"], "pytest")
    created = await owner.fetchval(
        "SELECT role FROM audit_log WHERE action = 'apikey.create' AND target = $1",
        f"api_key:{key.prefix}",
    )
    assert created is None
