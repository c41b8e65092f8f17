"""Issue 21 part 5: the record of processing activities (UU PDP Pasal 31), generated from
each command's live data: its directory's agencies, its API keys and webhook
subscriptions, its gateways; never another command's."""

from __future__ import annotations

import json

from helpers import READ_SCOPES, auth_header, bearer_for, gql, make_user

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role

ROPA = "{ recordsOfProcessing }"
EVIL = "<script>alert('dinas')</script>"


async def setup(owner, tenant, tag: str) -> str:
    """An agency, a webhook subscription and a WhatsApp gateway of ``tenant`` (SQL: the
    egress rule would refuse made-up hosts); returns the key's name."""
    await owner.execute(
        "INSERT INTO agencies (tenant_id, code, name, kind, connector, endpoint_url)"
        " VALUES ($1, $2, $3, 'dinas', 'webhook', $4)",
        tenant.id,
        f"DINAS-{tag}",
        f"Dinas Uji {tag} {EVIL}",
        f"https://dinas-{tag.lower()}.example.id/hook",
    )
    await owner.execute(
        "INSERT INTO webhook_subscriptions (tenant_id, url, event_types, secret_enc, created_by)"
        " VALUES ($1, $2, ARRAY['REPORT_SUBMITTED'], 'x', 'pytest')",
        tenant.id,
        f"https://hooks-{tag.lower()}.example.id/jogo",
    )
    await owner.execute(
        "INSERT INTO notification_gateways (tenant_id, kind, config) VALUES ($1, 'WHATSAPP', '{}')",
        tenant.id,
    )
    name = f"Integrator {tag}"
    await create_api_key(tenant, name, ["reports:read"])
    return name


async def test_the_record_lists_this_commands_recipients_only(
    app_client, settings, two_tenants, owner
):
    a, b = two_tenants.a, two_tenants.b
    key_a = await setup(owner, a, "A")
    key_b = await setup(owner, b, "B")
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    status, body = await gql(app_client, f"/t/{a.slug}/graphql", ROPA, admin)
    assert status == 200 and "errors" not in body, body
    record = body["data"]["recordsOfProcessing"]
    assert record["controller"]["slug"] == a.slug
    assert "Pasal 31" in record["law"]["id"]
    codes = {x["code"] for x in record["activities"]}
    assert {"REPORTS", "CITIZEN_ACCOUNTS", "NOTIFICATIONS", "AUDIT"} <= codes
    reports = next(x for x in record["activities"] if x["code"] == "REPORTS")
    assert reports["lawfulBasis"][0]["code"] == "PUBLIC_TASK"
    assert "Pasal 20" in reports["lawfulBasis"][0]["id"]
    assert {"id", "en"} <= set(reports["purpose"]) and reports["records"] == 0

    recipients = record["recipients"]
    agencies = {x["code"]: x for x in recipients["agencies"]}
    assert "DINAS-A" in agencies and "DINAS-B" not in agencies
    assert agencies["DINAS-A"]["host"] == "dinas-a.example.id"
    assert len(agencies) == await owner.fetchval(
        "SELECT count(*) FROM agencies WHERE tenant_id = $1", a.id
    )
    assert [k["name"] for k in recipients["apiKeys"]] == [key_a]
    assert recipients["apiKeys"][0]["scopes"] == ["reports:read"]
    assert [h["host"] for h in recipients["webhookSubscriptions"]] == ["hooks-a.example.id"]
    assert record["transfers"] == [
        {"kind": "WHATSAPP", "host": "graph.facebook.com", "enabled": True, "abroad": True}
    ]
    text = json.dumps(record)
    for theirs in (key_b, "DINAS-B", "hooks-b.example.id", b.slug):
        assert theirs not in text

    # B's own record is B's.
    _, body = await gql(
        app_client,
        f"/t/{b.slug}/graphql",
        ROPA,
        await auth_header(settings, Role.TENANT_ADMIN, b),
    )
    assert [k["name"] for k in body["data"]["recordsOfProcessing"]["recipients"]["apiKeys"]] == [
        key_b
    ]


async def test_the_readable_download(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    key_a = await setup(owner, a, "A")
    key_b = await setup(owner, b, "B")
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    response = await app_client.get(f"/t/{a.slug}/privacy/processing.html", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Rekaman Kegiatan Pemrosesan Data Pribadi" in page
    assert "Record of Processing Activities" in page
    assert key_a in page and "DINAS-A" in page and "hooks-a.example.id" in page
    assert key_b not in page and "DINAS-B" not in page
    assert EVIL not in page and "&lt;script&gt;" in page  # people's names are escaped
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'processing.export'",
            a.id,
        )
        == 1
    )
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    theirs = await app_client.get(f"/t/{a.slug}/privacy/processing.html", headers=admin_b)
    assert theirs.status_code == 404


async def test_who_may_not_read_it(app_client, settings, two_tenants):
    a = two_tenants.a
    callers = {
        "read-only key": {"X-API-Key": (await create_api_key(a, "baca", READ_SCOPES)).key},
        "citizen": await auth_header(settings, Role.CITIZEN, a),
        "operator": await auth_header(settings, Role.OPERATOR, a),
        "liaison": await auth_header(settings, Role.AGENCY_LIAISON, a),
    }
    for who, headers in callers.items():
        status, body = await gql(app_client, f"/t/{a.slug}/graphql", ROPA, headers)
        assert status == 200 and body["data"]["recordsOfProcessing"] is None, who
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", who
        response = await app_client.get(f"/t/{a.slug}/privacy/processing.html", headers=headers)
        assert response.status_code == 403, who
    user_id, username = await make_user(Role.TENANT_ADMIN, a)
    expired = bearer_for(user_id, username, settings, ttl=-30)
    status, _ = await gql(app_client, f"/t/{a.slug}/graphql", ROPA, expired)
    assert status == 401
    assert (await app_client.get(f"/t/{a.slug}/privacy/processing.html")).status_code == 401
