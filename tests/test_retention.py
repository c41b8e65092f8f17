"""Retention (issue 21, part 3): per-category rules per command, applied by the daily
``apply_retention`` job; never under a legal hold, idempotent, national rollups
unchanged. A controllable clock: the rules are applied ``as of`` a given time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import (
    SET_LEGAL_HOLD,
    auth_header,
    bearer_for,
    gql,
    make_user,
    png_bytes,
    run_job,
    submit,
    text_columns_holding,
    upload_report,
)

from jogo.platform.auth.roles import Role
from jogo.platform.storage import FileStore
from jogo.tenants.oversight.rollups import do_rebuild_tenant
from jogo.tenants.privacy.retention import DEFAULT_DAYS, do_run_retention

SET_RULE = """mutation($c: RetentionCategory!, $d: Int) { setRetentionRule(category: $c, days: $d) {
  rule { category days defaultDays changed } errors { code field message } } }"""
RULES = "{ retentionRules { category days defaultDays changed } }"
RUNS = "{ retentionRuns(first: 5) { asOf counts } }"


async def closed_report(client, owner, tenant, headers, name: str, closed_at: datetime, photo=True):
    """A report by a signed-in citizen with ``name`` (and a photo), CLOSED at ``closed_at``."""
    if photo:
        made = await upload_report(
            client,
            tenant.slug,
            headers,
            [("foto.png", png_bytes(), "image/png")],
            reporterName=name,
        )
    else:
        made = await submit(client, tenant.slug, headers, reporterName=name)
    await owner.execute(
        "UPDATE reports SET status = 'CLOSED', closed_at = $2 WHERE id = $1::uuid",
        made["report"]["id"],
        closed_at,
    )
    return made["report"]


async def scopes_snapshot(owner, tenants) -> list:
    out = []
    for tenant in tenants:
        await do_rebuild_tenant(tenant)
    for scope in [f"tenant:{t.id}" for t in tenants] + ["polda:JATIM", "polda:JATENG"]:
        rows = await owner.fetch(
            "SELECT day, category_code, status, reports FROM oversight_daily WHERE scope = $1"
            " AND reports <> 0 ORDER BY 1, 2, 3",
            scope,
        )
        out.append([tuple(r) for r in rows])
    return out


async def test_retention_applies_the_rules_once_never_under_hold(
    app_client, owner, settings, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    now = datetime(2030, 6, 1, 3, 0, tzinfo=UTC)
    citizen = await auth_header(settings, Role.CITIZEN, a)
    tag = uuid.uuid4().hex[:8]
    old, young, held = f"Lama {tag}", f"Muda {tag}", f"Ditahan {tag}"
    # Closed 3 years ago: identity and photo go. Closed 400 days ago: photo only.
    r_old = await closed_report(app_client, owner, a, citizen, old, now - timedelta(days=1100))
    r_young = await closed_report(app_client, owner, a, citizen, young, now - timedelta(days=400))
    r_held = await closed_report(app_client, owner, a, citizen, held, now - timedelta(days=1100))
    # B: just as old, but B's own rules keep it (and it is another command's run anyway).
    b_citizen = await auth_header(settings, Role.CITIZEN, b)
    b_name = f"Kota B {tag}"
    await closed_report(app_client, owner, b, b_citizen, b_name, now - timedelta(days=1100))
    op_id, op_name = await make_user(Role.OPERATOR, a)
    operator = bearer_for(op_id, op_name, settings)
    _, body = await gql(
        app_client,
        f"/t/{a.slug}/graphql",
        SET_LEGAL_HOLD,
        operator,
        r=r_held["id"],
        why="Barang bukti perkara",
    )
    assert body["data"]["setLegalHold"]["held"] is True
    keys = {
        r["report_id"]: r["storage_key"]
        for r in await owner.fetch(
            "SELECT report_id::text, storage_key FROM report_attachments WHERE tenant_id = $1",
            a.id,
        )
    }
    files = Path(settings.data_dir) / "attachments"
    before = await scopes_snapshot(owner, [a, b])

    store = FileStore(files)
    first = await do_run_retention(a.id, store, now)
    assert {k: first[k] for k in ("identities", "photo_reports", "photo_files", "held")} == {
        "identities": 1,
        "photo_reports": 2,
        "photo_files": 2,
        "held": 1,
    }
    assert first["rules"] == DEFAULT_DAYS
    names = {
        str(r["id"]): (r["reporter_name"], r["reporter_user_id"] is None)
        for r in await owner.fetch(
            "SELECT id, reporter_name, reporter_user_id FROM reports WHERE tenant_id = $1", a.id
        )
    }
    assert names[r_old["id"]] == (None, True)
    assert names[r_young["id"]][0] == young
    assert names[r_held["id"]][0] == held
    assert not (files / keys[r_old["id"]]).exists() and not (files / keys[r_young["id"]]).exists()
    assert (files / keys[r_held["id"]]).exists()
    assert await text_columns_holding(owner, [old]) == []
    assert await text_columns_holding(owner, [b_name]) == ["reports.reporter_name"]

    # Idempotent: the second run finds nothing to do.
    second = await do_run_retention(a.id, store, now)
    assert (second["identities"], second["photo_reports"], second["notifications"]) == (0, 0, 0)
    assert await scopes_snapshot(owner, [a, b]) == before
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    _, body = await gql(app_client, f"/t/{a.slug}/graphql", RUNS, admin)
    runs = body["data"]["retentionRuns"]
    assert [r["counts"]["identities"] for r in runs] == [0, 1]


async def test_rules_are_per_command_and_audited(app_client, owner, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    path = f"/t/{a.slug}/graphql"
    _, body = await gql(app_client, path, SET_RULE, admin, c="REPORT_PHOTOS", d=30)
    assert body["data"]["setRetentionRule"]["rule"] == {
        "category": "REPORT_PHOTOS",
        "days": 30,
        "defaultDays": 365,
        "changed": True,
    }
    _, body = await gql(app_client, path, SET_RULE, admin, c="REPORT_PHOTOS", d=0)
    assert body["data"]["setRetentionRule"]["errors"][0]["field"] == "days"
    operator = await auth_header(settings, Role.OPERATOR, a)
    _, body = await gql(app_client, path, SET_RULE, operator, c="REPORT_PHOTOS", d=10)
    assert body["data"]["setRetentionRule"]["errors"][0]["code"] == "FORBIDDEN"
    b_admin = await auth_header(settings, Role.TENANT_ADMIN, b)
    _, body = await gql(app_client, f"/t/{b.slug}/graphql", RULES, b_admin)
    assert {r["category"]: r["days"] for r in body["data"]["retentionRules"]} == DEFAULT_DAYS
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'privacy.retention.set'",
            a.id,
        )
        == 1
    )


@pytest.mark.usefixtures("worker", "relay")
async def test_the_scheduled_job_runs_retention(app_client, owner, settings, two_tenants):
    a = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, a)
    name = f"Terjadwal {uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    report = await closed_report(
        app_client, owner, a, citizen, name, now - timedelta(days=800), photo=False
    )
    await run_job("apply_retention", owner, a, as_of=(now + timedelta(days=1)).isoformat())
    assert await owner.fetchval(
        "SELECT identity_erased_at IS NOT NULL FROM reports WHERE id = $1::uuid", report["id"]
    )
    assert (
        await owner.fetchval("SELECT count(*) FROM retention_runs WHERE tenant_id = $1", a.id) == 1
    )


async def test_finished_webhook_deliveries_go_after_their_days(
    app_client, owner, settings, two_tenants
):
    """WEBHOOK_DELIVERIES (default 90 days): a finished delivery and its stored body go;
    one still being delivered, one of a report under a legal hold, a young one, and
    another command's stay. A second run deletes nothing more."""
    a, b = two_tenants.a, two_tenants.b
    now = datetime(2030, 6, 1, 3, 0, tzinfo=UTC)
    old, young = now - timedelta(days=120), now - timedelta(days=30)
    citizen = await auth_header(settings, Role.CITIZEN, a)
    plain = (await submit(app_client, a.slug, citizen))["report"]["id"]
    held = (await submit(app_client, a.slug, citizen))["report"]["id"]
    operator = await auth_header(settings, Role.OPERATOR, a)
    _, body = await gql(
        app_client, f"/t/{a.slug}/graphql", SET_LEGAL_HOLD, operator, r=held, why="Penyidikan"
    )
    assert body["data"]["setLegalHold"]["held"] is True
    made: dict[str, uuid.UUID] = {}
    for tenant in (a, b):
        hook = uuid.uuid4()
        await owner.execute(
            "INSERT INTO webhook_subscriptions (tenant_id, id, url, event_types, secret_enc,"
            " created_by) VALUES ($1, $2, 'https://hooks.example.org/x', '{REPORT_SUBMITTED}',"
            " 'x', 'pytest')",
            tenant.id,
            hook,
        )
        rows = [("gone", "DELIVERED", old, plain), ("dead", "DEAD", old, plain)]
        rows += [("pending", "PENDING", old, plain), ("young", "DELIVERED", young, plain)]
        rows += [("held", "DELIVERED", old, held)]
        for name, status, at, report in rows:
            made[f"{tenant.slug}:{name}"] = await owner.fetchval(
                "INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_type,"
                " event_id, report_id, status, created_at, payload) VALUES ($1, $2,"
                " 'REPORT_SUBMITTED', $3, $4, $5, $6, '{\"data\": {}}'::jsonb) RETURNING id",
                tenant.id,
                hook,
                uuid.uuid4(),
                uuid.UUID(report) if tenant is a else None,
                status,
                at,
            )
    store = FileStore(Path(settings.data_dir) / "attachments")
    first = await do_run_retention(a.id, store, now)
    assert first["webhook_deliveries"] == 2
    left = {r["id"] for r in await owner.fetch("SELECT id FROM webhook_deliveries")}
    gone = {made[f"{a.slug}:gone"], made[f"{a.slug}:dead"]}
    assert not gone & left
    assert set(made.values()) - gone <= left
    assert (await do_run_retention(a.id, store, now))["webhook_deliveries"] == 0
