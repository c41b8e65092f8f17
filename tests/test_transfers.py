"""Issue 14, item 8 (second half): an operator transfers a report that reached the wrong
command. The one cross-tenant write: report, timeline and photos move in one
transaction (the SECURITY DEFINER ``transfer_report``, owned by NOLOGIN
``jogo_transfer``); both commands' audit logs record it; ticket and PIN keep working on
both endpoints; the national rollups move the report's contribution."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from pathlib import Path

import asyncpg
import pytest
from helpers import (
    READ_SCOPES,
    TRACK,
    TRANSFER,
    VERIFY,
    act,
    auth_header,
    gql,
    onboard,
    png_bytes,
    upload_report,
)

from jogo.platform import db, registry
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.principal import Membership, Principal
from jogo.platform.auth.roles import Role
from jogo.platform.errors import NotFound
from jogo.platform.storage import FileStore
from jogo.tenants.oversight.rollups import do_apply_report
from jogo.tenants.reports.transfer import do_transfer_report

ROOT = Path(__file__).resolve().parents[1]
REPORT = """query($id: ID!) { report(id: $id) { ticket status verifyDueAt outsideJurisdiction
  category { code } timeline { kind note public messageId messageEn }
  attachments { id url sha256 } } }"""
REASON = "Lokasi kejadian di wilayah Kota Batu"


@pytest.fixture
async def commands(settings):
    """Two commands (A wrongly received a report; B is where it belongs) and their staff."""
    a = await onboard(region="35.73")
    b = await onboard(region="35.79")
    staff = {
        "a_operator": await auth_header(settings, Role.OPERATOR, a),
        "b_operator": await auth_header(settings, Role.OPERATOR, b),
    }
    return a, b, staff


async def anonymous_report_with_photo(app_client, tenant) -> dict:
    made = await upload_report(
        app_client, tenant.slug, None, [("pohon.png", png_bytes(), "image/png")], anonymous=True
    )
    assert made["errors"] == [], made
    return made


def transfer(app_client, source, headers, rid, to, reason=REASON):
    return gql(app_client, f"/t/{source.slug}/graphql", TRANSFER, headers, id=rid, to=to, r=reason)


async def test_a_report_moves_with_its_timeline_and_photos(app_client, settings, owner, commands):
    a, b, staff = commands
    made = await anonymous_report_with_photo(app_client, a)
    rid, ticket, pin = made["report"]["id"], made["report"]["ticket"], made["pin"]
    await act(app_client, a.slug, VERIFY, staff["a_operator"], id=rid)
    _, before = await gql(app_client, f"/t/{a.slug}/graphql", REPORT, staff["a_operator"], id=rid)
    [photo] = before["data"]["report"]["attachments"]
    old_file = await owner.fetchval(
        "SELECT storage_key FROM report_attachments WHERE id = $1::uuid", photo["id"]
    )
    store = settings.data_dir / "attachments"
    assert (store / old_file).is_file()
    # A's contribution to the national rollups, before.
    await do_apply_report(a, uuid.UUID(rid))
    assert await owner.fetchval(
        "SELECT tenant FROM oversight_contributions WHERE report_id = $1::uuid", rid
    ) == (a.id)

    _, body = await transfer(app_client, a, staff["a_operator"], rid, b.slug)
    moved = body["data"]["transferReport"]
    assert moved["errors"] == [], moved
    assert moved["transfer"] == {
        "reportId": rid,
        "ticket": ticket,
        "fromStatus": "VERIFIED",
        "fromTenantSlug": a.slug,
        "toTenantSlug": b.slug,
        "toTenantName": b.name,
    }
    # A no longer has it, nor any of its personal data.
    _, gone = await gql(app_client, f"/t/{a.slug}/graphql", REPORT, staff["a_operator"], id=rid)
    assert gone["data"]["report"] is None
    for table in ("reports", "report_events", "report_attachments"):
        column = "id" if table == "reports" else "report_id"
        left = await owner.fetchval(
            f"SELECT count(*) FROM {table} WHERE tenant_id = $1 AND {column} = $2::uuid", a.id, rid
        )
        assert left == 0, table
    assert (await app_client.get(photo["url"], headers=staff["a_operator"])).status_code == 404
    assert not (store / old_file).exists()
    # B has it as a new case: SUBMITTED, with the whole timeline and the photo.
    _, there = await gql(app_client, f"/t/{b.slug}/graphql", REPORT, staff["b_operator"], id=rid)
    report = there["data"]["report"]
    assert report["ticket"] == ticket and report["status"] == "SUBMITTED"
    assert report["category"]["code"] == "FALLEN_TREE"
    kinds = [e["kind"] for e in report["timeline"]]
    assert kinds[:2] == ["SUBMITTED", "STATUS"] and kinds[-2:] == ["TRANSFER", "NOTE"]
    moved_event = report["timeline"][-2]
    assert moved_event["public"] and moved_event["messageId"] == f"Dialihkan dari {a.name}"
    assert moved_event["messageEn"] == f"Transferred from {a.name}"
    assert report["timeline"][-1]["public"] is False and REASON in report["timeline"][-1]["note"]
    [new_photo] = report["attachments"]
    assert new_photo["url"] == f"/t/{b.slug}/attachments/{new_photo['id']}"
    served = await app_client.get(new_photo["url"], headers=staff["b_operator"])
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == photo["sha256"] == new_photo["sha256"]
    assert (await app_client.get(new_photo["url"], headers=staff["a_operator"])).status_code == 404
    # The citizen's ticket and PIN work on both endpoints and show where it is now.
    for endpoint in (a, b):
        _, tracked = await gql(app_client, f"/t/{endpoint.slug}/graphql", TRACK, t=ticket, p=pin)
        found = tracked["data"]["trackReport"]
        assert found["ticket"] == ticket and found["status"] == "SUBMITTED", endpoint.slug
        assert found["commandSlug"] == b.slug and found["commandName"] == b.name
        assert "TRANSFER" in [e["kind"] for e in found["timeline"]]
        _, wrong = await gql(
            app_client, f"/t/{endpoint.slug}/graphql", TRACK, t=ticket, p="00000000"
        )
        assert wrong["data"]["trackReport"] is None
    # Both audit logs record it; the control plane maps the ticket.
    audit = await owner.fetch(
        "SELECT action, tenant, detail FROM audit_log WHERE target = $1 ORDER BY id",
        f"report:{ticket}",
    )
    assert [(r["action"], r["tenant"]) for r in audit] == [
        ("report.transfer_out", a.id),
        ("report.transfer_in", b.id),
    ]
    assert json.loads(audit[0]["detail"])["reason"] == REASON
    trail = await owner.fetchrow("SELECT * FROM report_transfers WHERE ticket = $1", ticket)
    assert (trail["from_tenant"], trail["to_tenant"]) == (a.id, b.id)
    # National rollups: the outbox carries a rollup event for each command, and applying
    # them moves the report's contribution from A to B.
    queued = await owner.fetch(
        "SELECT tenant FROM outbox WHERE actor = 'rollup_report' AND payload->>'report_id' = $1"
        " AND created_at >= now() - interval '1 minute'",
        rid,
    )
    assert {a.id, b.id} <= {r["tenant"] for r in queued}
    await do_apply_report(a, uuid.UUID(rid))
    await do_apply_report(b, uuid.UUID(rid))
    owners = await owner.fetch(
        "SELECT tenant FROM oversight_contributions WHERE report_id = $1::uuid", rid
    )
    assert [r["tenant"] for r in owners] == [b.id]
    daily = await owner.fetchval(
        "SELECT coalesce(sum(reports), 0) FROM oversight_daily WHERE scope = $1",
        f"tenant:{a.id}",
    )
    assert daily == 0
    # A command that is suspended serves its reports nowhere: not through the source's
    # endpoint either.
    await registry.set_status(b.slug, "SUSPENDED")
    try:
        _, tracked = await gql(app_client, f"/t/{a.slug}/graphql", TRACK, t=ticket, p=pin)
        assert tracked["data"]["trackReport"] is None
    finally:
        await registry.set_status(b.slug, "ACTIVE")


async def test_who_may_transfer(app_client, settings, commands):
    a, b, staff = commands
    made = await anonymous_report_with_photo(app_client, a)
    rid = made["report"]["id"]
    read_key = await create_api_key(a, "Dasbor", READ_SCOPES, "pytest")
    write_key = await create_api_key(a, "Integrasi", ["reports:write"], "pytest")
    refused = {
        "citizen": await auth_header(settings, Role.CITIZEN, a),
        "officer": await auth_header(settings, Role.OFFICER, a),
        "liaison": await auth_header(settings, Role.AGENCY_LIAISON, a),
        "read-only key": {"Authorization": f"Bearer {read_key.key}"},
        "reports:write key": {"Authorization": f"Bearer {write_key.key}"},
    }
    for who, headers in refused.items():
        _, body = await transfer(app_client, a, headers, rid, b.slug)
        assert body["data"]["transferReport"]["errors"][0]["code"] == "FORBIDDEN", who
    # B's operator: A's report does not exist in B, and A's endpoint is not theirs.
    _, body = await transfer(app_client, b, staff["b_operator"], rid, b.slug)
    assert body["data"]["transferReport"]["errors"][0]["code"] == "INVALID_INPUT"
    _, body = await transfer(app_client, b, staff["b_operator"], rid, a.slug)
    assert body["data"]["transferReport"]["errors"][0]["code"] == "NOT_FOUND"
    # On A's endpoint B's operator is nobody: A looks like it does not exist.
    status, body = await transfer(app_client, a, staff["b_operator"], rid, b.slug)
    assert status == 404, body
    # Still in A.
    _, still = await gql(app_client, f"/t/{a.slug}/graphql", REPORT, staff["a_operator"], id=rid)
    assert still["data"]["report"]["ticket"] == made["report"]["ticket"]


async def test_refusals_change_nothing(app_client, settings, owner, commands):
    a, b, staff = commands
    operator = staff["a_operator"]
    path = f"/t/{a.slug}/graphql"
    made = await anonymous_report_with_photo(app_client, a)
    rid = made["report"]["id"]

    async def code_of(to, reason=REASON, report=rid):
        _, body = await transfer(app_client, a, operator, report, to, reason)
        [error] = body["data"]["transferReport"]["errors"]
        return error["code"], error["field"]

    assert await code_of(a.slug) == ("INVALID_INPUT", "toTenantSlug")
    assert await code_of("no-such-command") == ("NOT_FOUND", "toTenantSlug")
    assert await code_of(b.slug, reason="  ") == ("INVALID_INPUT", "reason")
    assert await code_of(b.slug, report=str(uuid.uuid4())) == ("NOT_FOUND", "id")
    # A suspended target takes nothing.
    suspended = await onboard(region="35.07")
    await owner.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", suspended.id)
    registry.clear_cache()
    assert await code_of(suspended.slug) == ("CONFLICT", "toTenantSlug")
    # A target without the report's category.
    await owner.execute(
        "UPDATE report_categories SET is_active = false WHERE tenant_id = $1 AND code ="
        " 'FALLEN_TREE'",
        b.id,
    )
    assert await code_of(b.slug) == ("CONFLICT", "toTenantSlug")
    await owner.execute("UPDATE report_categories SET is_active = true WHERE tenant_id = $1", b.id)
    # An open dispatch to one of A's agencies must not end up with B.
    agency = await owner.fetchval(
        "INSERT INTO agencies (tenant_id, code, name, kind) VALUES ($1, 'DLH-UJI', 'DLH', 'dinas')"
        " RETURNING id",
        a.id,
    )
    await owner.execute(
        "INSERT INTO dispatches (tenant_id, report_id, agency_id, created_by)"
        " VALUES ($1, $2::uuid, $3, 'pytest')",
        a.id,
        rid,
        agency,
    )
    assert await code_of(b.slug) == ("CONFLICT", "id")
    await owner.execute("DELETE FROM dispatches WHERE tenant_id = $1", a.id)
    # A finished report stays.
    await owner.execute(
        "UPDATE reports SET status = 'REJECTED', reject_reason = 'uji' WHERE id = $1::uuid", rid
    )
    assert await code_of(b.slug) == ("ILLEGAL_TRANSITION", "id")
    _, still = await gql(app_client, path, REPORT, operator, id=rid)
    assert len(still["data"]["report"]["attachments"]) == 1
    assert await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", b.id) == 0
    assert not await owner.fetchval(
        "SELECT count(*) FROM report_transfers WHERE report_id = $1::uuid", rid
    )


async def test_a_failure_mid_way_leaves_nothing_half_moved(app_client, settings, owner, commands):
    a, b, _ = commands
    made = await anonymous_report_with_photo(app_client, a)
    rid = uuid.UUID(made["report"]["id"])
    store = FileStore(settings.data_dir / "attachments")
    operator = operator_of(a)
    # The target rejects the photo rows, after the report and its timeline went in.
    await owner.execute(
        f"ALTER TABLE report_attachments ADD CONSTRAINT pytest_block CHECK (tenant_id <> '{b.id}')"
        " NOT VALID"
    )
    try:
        with pytest.raises(asyncpg.CheckViolationError):
            await do_transfer_report(a, operator, rid, b.slug, REASON, store)
    finally:
        await owner.execute("ALTER TABLE report_attachments DROP CONSTRAINT pytest_block")
    assert await owner.fetchval("SELECT count(*) FROM reports WHERE id = $1", rid) == 1
    assert await owner.fetchval("SELECT tenant_id FROM reports WHERE id = $1", rid) == a.id
    for table in ("report_events", "report_attachments"):
        assert (
            await owner.fetchval(
                f"SELECT count(*) FROM {table} WHERE tenant_id = $1 AND report_id = $2", b.id, rid
            )
            == 0
        ), table
    assert not await owner.fetchval(
        "SELECT count(*) FROM report_transfers WHERE report_id = $1", rid
    )
    assert not await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action LIKE 'report.transfer%' AND target = $1",
        f"report:{made['report']['ticket']}",
    )
    # A's file is still there; no copy is left under B.
    key = await owner.fetchval(
        "SELECT storage_key FROM report_attachments WHERE report_id = $1", rid
    )
    assert (settings.data_dir / "attachments" / key).is_file()
    assert not list((settings.data_dir / "attachments" / str(b.id)).rglob("*.*"))


def operator_of(tenant) -> Principal:
    """An operator of ``tenant``, as the API would authenticate one."""
    return Principal(
        kind="user",
        id=uuid.uuid4(),
        name="operator-uji",
        memberships=(Membership(role=Role.OPERATOR, tenant_id=tenant.id),),
    )


async def test_parallel_transfers_of_one_report_exactly_one_wins(app_client, settings, owner):
    a = await onboard(region="35.73")
    b = await onboard(region="35.79")
    c = await onboard(region="35.07")
    made = await anonymous_report_with_photo(app_client, a)
    rid = uuid.UUID(made["report"]["id"])
    store = FileStore(settings.data_dir / "attachments")
    operator = operator_of(a)
    results = await asyncio.gather(
        do_transfer_report(a, operator, rid, b.slug, REASON, store),
        do_transfer_report(a, operator, rid, c.slug, REASON, store),
        do_transfer_report(a, operator, rid, b.slug, REASON, store),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 2, results
    assert all(isinstance(e, NotFound) for e in lost), lost
    home = won[0].target
    rows = await owner.fetch("SELECT tenant_id FROM reports WHERE id = $1", rid)
    assert [r["tenant_id"] for r in rows] == [home.id]
    assert (
        await owner.fetchval("SELECT count(*) FROM report_transfers WHERE report_id = $1", rid) == 1
    )
    # Exactly the winner's photo file exists, and it is the one its row names.
    key = await owner.fetchval(
        "SELECT storage_key FROM report_attachments WHERE report_id = $1", rid
    )
    files = [
        p
        for t in (a, b, c)
        for p in (settings.data_dir / "attachments" / str(t.id) / str(rid)).glob("*.*")
    ]
    assert [str(p.relative_to(settings.data_dir / "attachments")) for p in files] == [key]


async def test_the_app_role_moves_reports_only_out_of_its_own_tenant(owner, commands):
    a, b, _ = commands
    # The function refuses a source other than the transaction's tenant.
    async with db.tenant_tx(b.id):
        with pytest.raises(asyncpg.PostgresError) as refused:
            await db.fetch(
                "SELECT * FROM transfer_report($1, $2, $3, 'x', NULL, 'alasan', now(), false,"
                " '{}', '{}', '{}')",
                a.id,
                uuid.uuid4(),
                b.id,
            )
    assert refused.value.sqlstate == "JG403"
    role = await owner.fetchrow(
        "SELECT rolcanlogin, rolbypassrls FROM pg_roles WHERE rolname = 'jogo_transfer'"
    )
    assert role["rolbypassrls"] and not role["rolcanlogin"]
    assert not await owner.fetchval("SELECT pg_has_role('jogo_app', 'jogo_transfer', 'MEMBER')")
    definer = await owner.fetchrow(
        "SELECT p.prosecdef, r.rolname FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner"
        " WHERE p.proname = 'transfer_report'"
    )
    assert definer["prosecdef"] and definer["rolname"] == "jogo_transfer"
    grantees = {
        r["grantee"]
        for r in await owner.fetch(
            "SELECT grantee FROM information_schema.routine_privileges"
            " WHERE routine_name = 'transfer_report'"
        )
    }
    assert grantees == {"jogo_app", "jogo_transfer"}


def test_only_the_transfer_module_calls_the_function():
    for folder in ("platform", "tenants", "graphql", "workers"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if rel == Path("tenants/reports/transfer.py"):
                continue
            assert "FROM transfer_report(" not in path.read_text(encoding="utf-8"), rel


async def test_a_report_sent_back_keeps_its_ticket_everywhere(app_client, settings, commands):
    a, b, staff = commands
    made = await anonymous_report_with_photo(app_client, a)
    rid, ticket, pin = made["report"]["id"], made["report"]["ticket"], made["pin"]
    _, there = await transfer(app_client, a, staff["a_operator"], rid, b.slug)
    assert there["data"]["transferReport"]["errors"] == []
    _, back = await transfer(app_client, b, staff["b_operator"], rid, a.slug, "Ternyata di Klojen")
    assert back["data"]["transferReport"]["transfer"]["ticket"] == ticket
    _, home = await gql(app_client, f"/t/{a.slug}/graphql", REPORT, staff["a_operator"], id=rid)
    kinds = [e["kind"] for e in home["data"]["report"]["timeline"]]
    assert home["data"]["report"]["ticket"] == ticket and kinds.count("TRANSFER") == 2
    assert len(home["data"]["report"]["attachments"]) == 1
    for endpoint in (a, b):
        _, tracked = await gql(app_client, f"/t/{endpoint.slug}/graphql", TRACK, t=ticket, p=pin)
        assert tracked["data"]["trackReport"]["commandSlug"] == a.slug, endpoint.slug
    # A third command that never held it learns nothing from the ticket.
    third = await onboard(region="35.07")
    _, none = await gql(app_client, f"/t/{third.slug}/graphql", TRACK, t=ticket, p=pin)
    assert none["data"]["trackReport"] is None
