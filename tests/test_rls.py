"""The database fails closed: tenant isolation is enforced by PostgreSQL itself."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest
from helpers import png_bytes

from jogo.platform import db
from jogo.platform.settings import APP_ROLE

TENANT_TABLES_SQL = """
    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
           (SELECT array_agg(a2.attname::text)
              FROM pg_index i JOIN pg_attribute a2
                ON a2.attrelid = i.indrelid AND a2.attnum = ANY(i.indkey)
             WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
     ORDER BY c.relname
"""


async def tenant_tables(owner: asyncpg.Connection) -> list[str]:
    return [r["relname"] for r in await owner.fetch(TENANT_TABLES_SQL)]


async def test_every_tenant_table_forces_rls_and_keys_on_tenant(owner):
    rows = await owner.fetch(TENANT_TABLES_SQL)
    assert len(rows) >= 2, "expected tenant-scoped tables to check"
    for r in rows:
        assert r["relrowsecurity"], f"{r['relname']}: row-level security is not enabled"
        assert r["relforcerowsecurity"], f"{r['relname']}: row-level security is not forced"
        assert r["pk"] and "tenant_id" in r["pk"], f"{r['relname']}: primary key lacks tenant_id"
        policies = await owner.fetch(
            "SELECT qual, with_check FROM pg_policies WHERE tablename = $1", r["relname"]
        )
        assert policies, f"{r['relname']}: no policy"
        for p in policies:
            assert "jogo_current_tenant()" in p["qual"]
            assert "jogo_current_tenant()" in p["with_check"]


async def test_no_foreign_key_of_a_tenant_table_skips_tenant_id(owner):
    """Citus co-location: a key between tenant tables must include tenant_id."""
    tables = set(await tenant_tables(owner))
    fks = await owner.fetch(
        """SELECT con.conrelid::regclass::text AS src, con.confrelid::regclass::text AS dst,
                  (SELECT array_agg(attname::text) FROM pg_attribute
                    WHERE attrelid = con.conrelid AND attnum = ANY(con.conkey)) AS cols
             FROM pg_constraint con WHERE con.contype = 'f'"""
    )
    for fk in fks:
        if fk["src"] in tables and fk["dst"] in tables:
            assert "tenant_id" in fk["cols"], f"{fk['src']} -> {fk['dst']} skips tenant_id"


async def test_app_role_cannot_bypass_rls_and_owns_nothing(owner):
    role = await owner.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", APP_ROLE
    )
    assert role is not None and not role["rolsuper"] and not role["rolbypassrls"]
    # Nor can it become a role that can (jogo_oversight bypasses RLS, for one redacting
    # function only; the app may execute that function, never act as its owner).
    for other in ("jogo_oversight", "jogo_transfer", "jogo_owner"):
        assert not await owner.fetchval("SELECT pg_has_role($1, $2, 'MEMBER')", APP_ROLE, other), (
            other
        )
    owned = await owner.fetchval(
        "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE r.rolname = $1 AND n.nspname = 'public'",
        APP_ROLE,
    )
    assert owned == 0
    assert (await db.fetch("SELECT current_user"))[0][0] == APP_ROLE


async def fill_every_tenant_table(tenant) -> None:
    """At least one row in every tenant-scoped table, written the way the app writes."""
    from helpers import make_user

    from jogo.platform.auth.principal import ANONYMOUS
    from jogo.platform.auth.roles import Role
    from jogo.platform.storage import FileStore
    from jogo.tenants.agencies.dispatches import create_dispatch
    from jogo.tenants.facilities.actions import record_capacity
    from jogo.tenants.reports.intake import do_submit_report
    from jogo.tenants.reports.validation import ReportInput

    png = png_bytes()  # a real image: uploads are decoded and cleaned
    done = await do_submit_report(
        tenant,
        ANONYMOUS,
        ReportInput(
            "FIRE",
            "Kebakaran uji RLS",
            "Uraian kebakaran uji RLS",
            -7.9,
            112.6,
            anonymous=True,
            photos=[png],
        ),
        FileStore(Path(tempfile.mkdtemp())),
        client_key=f"rls-{uuid.uuid4()}",  # a row in idempotency_keys
        secret_key="rls-test-secret",
    )
    async with db.tenant_tx(tenant.id):
        agency = dict((await db.fetch("SELECT * FROM agencies LIMIT 1"))[0])
        category = (await db.fetch("SELECT id FROM report_categories LIMIT 1"))[0]["id"]
        await db.fetch(
            "INSERT INTO routing_rules (tenant_id, category_id, agency_id)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            tenant.id,
            category,
            agency["id"],
        )
        await create_dispatch(tenant, done.report_id, agency, "pytest")
        await db.fetch(
            "INSERT INTO callback_receipts (tenant_id, agency_id, body_sha256) VALUES ($1, $2, $3)",
            tenant.id,
            agency["id"],
            uuid.uuid4().hex,
        )
        await db.fetch(
            "INSERT INTO cameras (tenant_id, name, latitude, longitude, stream_url)"
            " VALUES ($1, 'Kamera uji', -7.9, 112.6, 'rtsp://cam.example/1')",
            tenant.id,
        )
        await record_capacity(agency["id"], None, "not polled yet")
        await db.fetch(
            "INSERT INTO police_posts (tenant_id, name, kind, latitude, longitude)"
            " VALUES ($1, 'Polsek Uji', 'POLSEK', -7.9, 112.6)",
            tenant.id,
        )
        await db.fetch(
            "INSERT INTO sla_calendar_settings (tenant_id, collective_leave_off) VALUES ($1, false)",
            tenant.id,
        )
        await db.fetch(
            "INSERT INTO sla_non_working_days (tenant_id, day, name)"
            " VALUES ($1, DATE '2026-11-12', 'Hari Jadi Uji')",
            tenant.id,
        )
    liaison, _ = await make_user(Role.AGENCY_LIAISON, tenant)
    async with db.tenant_tx(tenant.id):
        await db.fetch(
            "INSERT INTO agency_liaisons (tenant_id, agency_id, user_id) VALUES ($1, $2, $3)",
            tenant.id,
            agency["id"],
            liaison,
        )
    await _fill_units(tenant)
    await _fill_bulletins_and_sharing(tenant)
    await _fill_privacy(tenant)
    await _fill_breaches(tenant)
    await _fill_intake(tenant)
    await _fill_trusted_documents(tenant)
    await _fill_privacy_notice(tenant)


async def _fill_privacy_notice(tenant) -> None:
    """privacy_notices (consents and consent_log: the shared post above consented)."""
    from helpers import make_user

    from jogo.platform.auth.privacy import template
    from jogo.platform.auth.roles import Role
    from jogo.platform.auth.users import load_user_principal
    from jogo.tenants.consent.notices import do_publish_notice

    admin = await load_user_principal((await make_user(Role.TENANT_ADMIN, tenant))[0])
    text = template()
    await do_publish_notice(tenant.id, admin, "rls-1", text.text_id, text.text_en)


async def _fill_trusted_documents(tenant) -> None:
    """A key's trusted document (issue 20, part 3)."""
    from jogo.platform.auth.apikeys import create_api_key
    from jogo.platform.auth.trusted import register_documents

    key = await create_api_key(tenant, "RLS", ["reports:read"])
    await register_documents(
        tenant.id, key.id, ["{ categories { code } }"], ("pytest", "system"), max_bytes=32768
    )


async def _fill_intake(tenant) -> None:
    """An SMS conversation made into a report: intake conversations and messages, the
    questions and the ticket queued as notifications, the sender as the report's
    channel; and a gateway."""
    from jogo.platform.storage import FileStore
    from jogo.tenants.intake.actions import do_receive_message
    from jogo.tenants.intake.inbound import Inbound

    sender = f"+62812{uuid.uuid4().int % 10**8:08d}"
    store = FileStore(Path(tempfile.mkdtemp()))
    for text in ("Kebakaran uji RLS di gudang", "1", "-7.9, 112.6"):
        inbound = Inbound("SMS", f"rls-{uuid.uuid4()}", sender, "TEXT", text)
        await do_receive_message(tenant, inbound, store, "rls-test-secret")
    async with db.tenant_tx(tenant.id):
        await db.fetch(
            "INSERT INTO notification_gateways (tenant_id, kind, config) VALUES ($1, 'SMS', '{}')"
            " ON CONFLICT DO NOTHING",
            tenant.id,
        )
        # Event webhooks (migration 0032): a subscription and one delivery of it.
        hook = uuid.uuid4()
        await db.fetch(
            "INSERT INTO webhook_subscriptions (tenant_id, id, url, event_types, secret_enc,"
            " created_by) VALUES ($1, $2, 'https://hooks.example.org/x', '{REPORT_SUBMITTED}',"
            " 'x', 'pytest')",
            tenant.id,
            hook,
        )
        await db.fetch(
            "INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_type, event_id)"
            " VALUES ($1, $2, 'REPORT_SUBMITTED', $3)",
            tenant.id,
            hook,
            uuid.uuid4(),
        )


async def _fill_units(tenant) -> None:
    from helpers import make_user

    from jogo.platform.auth.roles import Role
    from jogo.platform.auth.users import load_user_principal
    from jogo.tenants.units.actions import do_create_unit, do_set_unit_members

    operator_id, _ = await make_user(Role.OPERATOR, tenant)
    operator = await load_user_principal(operator_id)
    officer, _ = await make_user(Role.OFFICER, tenant)
    unit = await do_create_unit(tenant.id, operator, f"Unit RLS {uuid.uuid4().hex[:6]}", "OTHER")
    await do_set_unit_members(tenant.id, operator, unit, [officer])


async def _fill_bulletins_and_sharing(tenant) -> None:
    from datetime import UTC, datetime, timedelta

    from helpers import make_user

    from jogo.platform.auth.privacy import NOTICE_VERSION
    from jogo.platform.auth.roles import Role
    from jogo.platform.auth.users import load_user_principal
    from jogo.platform.storage import FileStore
    from jogo.tenants.bulletins.actions import do_publish_bulletin
    from jogo.tenants.bulletins.content import AreaInput, BulletinInput
    from jogo.tenants.sharing.actions import PostInput, do_share_post

    operator = await load_user_principal((await make_user(Role.OPERATOR, tenant))[0])
    await do_publish_bulletin(
        tenant,
        operator,
        BulletinInput(
            "TRAFFIC",
            "MINOR",
            "EXPECTED",
            "LIKELY",
            "Uji RLS lalu lintas",
            "Uraian uji RLS lalu lintas",
            AreaInput("Wilayah sendiri", region_codes=[tenant.region_code]),
            datetime.now(UTC) + timedelta(hours=1),
        ),
    )
    officer, _ = await make_user(Role.OFFICER, tenant)
    async with db.tenant_tx(tenant.id):
        station = await db.fetch(
            "INSERT INTO polling_stations (tenant_id, code, village_code, address, voters,"
            " vulnerability) VALUES ($1, '3573011001001', '35.73.01.1001', 'SDN Balearjosari',"
            " 250, 'RAWAN') RETURNING id",
            tenant.id,
        )
        await db.fetch(
            "INSERT INTO polling_station_officers (tenant_id, station_id, user_id)"
            " VALUES ($1, $2, $3)",
            tenant.id,
            station[0]["id"],
            officer,
        )
        await db.fetch(
            "INSERT INTO election_deployment_rules (tenant_id, vulnerability, max_tps_per_group,"
            " officers_per_group, linmas_per_tps) VALUES ($1, 'AMAN', 6, 2, 2)",
            tenant.id,
        )
    citizen = await load_user_principal((await make_user(Role.CITIZEN, tenant))[0])
    await do_share_post(
        tenant,
        citizen,
        PostInput("Uji RLS sharing", notice_version=NOTICE_VERSION),
        FileStore(Path(tempfile.mkdtemp())),
    )


async def _fill_privacy(tenant) -> None:
    """Issue 21: a deadline, a retention rule and run, requests with their log, a
    restriction."""
    from helpers import make_user

    from jogo.platform.auth.roles import Role
    from jogo.platform.auth.users import load_user_principal
    from jogo.platform.storage import FileStore
    from jogo.tenants.privacy import deadlines, requests, retention

    admin = await load_user_principal((await make_user(Role.TENANT_ADMIN, tenant))[0])
    citizen = await load_user_principal((await make_user(Role.CITIZEN, tenant))[0])
    store = FileStore(Path(tempfile.mkdtemp()))
    await deadlines.do_set_deadline(tenant.id, admin, "ACCESS", 48)
    await retention.do_set_rule(tenant.id, admin, "NOTIFICATIONS", 90)
    await retention.do_run_retention(tenant.id, store)
    await requests.do_request_own(tenant.id, citizen, "ACCESS")
    restriction = await requests.do_request_own(tenant.id, citizen, "RESTRICTION")
    await requests.do_fulfil(tenant.id, admin, restriction, store)


async def _fill_breaches(tenant) -> None:
    """Issue 21 part 4: an incident found 25 hours ago, and its first escalation."""
    from datetime import UTC, datetime, timedelta

    from helpers import make_user

    from jogo.platform.auth.roles import Role
    from jogo.platform.auth.users import load_user_principal
    from jogo.tenants.breaches.actions import BreachInput, do_record_breach
    from jogo.tenants.breaches.sweep import do_sweep_breach_clocks

    admin = await load_user_principal((await make_user(Role.TENANT_ADMIN, tenant))[0])
    now = datetime.now(UTC)
    await do_record_breach(
        tenant,
        admin,
        BreachInput(
            title="Laptop hilang",
            description="Laptop operator berisi ekspor laporan hilang.",
            data_categories=["IDENTITY"],
            subject_categories=["REPORTERS"],
            subjects_estimate=12,
            found_at=now - timedelta(hours=25),
            measures="Kata sandi diganti.",
        ),
        now=now,
    )
    assert (await do_sweep_breach_clocks(tenant, now)).escalations >= 1


async def test_no_tenant_set_sees_nothing_and_cannot_insert(two_tenants, owner):
    await fill_every_tenant_table(two_tenants.a)
    tables = await tenant_tables(owner)
    for table in tables:
        # A's own rows, just written: whatever other tests left, there is something to hide.
        total = await owner.fetchval(
            f"SELECT count(*) FROM {table} WHERE tenant_id = $1", two_tenants.a.id
        )
        visible = (await db.fetch(f"SELECT count(*) FROM {table}"))[0][0]
        assert total > 0, f"{table} has no rows of tenant A to hide"
        assert visible == 0, f"{table}: {visible} rows visible with no tenant set"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.fetch(
            "INSERT INTO report_categories (tenant_id, code, name_id, name_en)"
            " VALUES ($1, 'X_TEST', 'x', 'x')",
            two_tenants.a.id,
        )
    # A control transaction sets no tenant either.
    async with db.control_tx():
        assert (await db.fetch("SELECT count(*) FROM agencies"))[0][0] == 0


async def test_tenant_a_cannot_see_update_or_delete_b(two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    await fill_every_tenant_table(b)
    async with db.tenant_tx(a.id):
        for table in await tenant_tables(owner):
            seen = await db.fetch(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", b.id)
            assert seen[0][0] == 0, f"{table}: B's rows visible to A"
            changed = await db.fetch(f"DELETE FROM {table} WHERE tenant_id = $1 RETURNING 1", b.id)
            assert changed == [], f"{table}: A deleted B's rows"
    b_agencies = await owner.fetchval("SELECT count(*) FROM agencies WHERE tenant_id = $1", b.id)
    assert b_agencies == 25
    async with db.tenant_tx(a.id):
        ids = {r[0] for r in await db.fetch("SELECT DISTINCT tenant_id FROM agencies")}
        assert ids == {a.id}
        assert (await db.fetch("SELECT count(*) FROM agencies WHERE tenant_id = $1", b.id))[0][
            0
        ] == 0
        updated = await db.fetch(
            "UPDATE agencies SET name = 'hacked' WHERE tenant_id = $1 RETURNING id", b.id
        )
        deleted = await db.fetch("DELETE FROM agencies WHERE tenant_id = $1 RETURNING id", b.id)
        assert updated == [] and deleted == []
    async with db.tenant_tx(a.id):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.fetch(
                "INSERT INTO agencies (tenant_id, code, name, kind) VALUES ($1, 'EVIL', 'x', 'other')",
                b.id,
            )
    async with db.tenant_tx(a.id):
        # Moving one of A's rows to B is refused by WITH CHECK.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.fetch("UPDATE agencies SET tenant_id = $1", b.id)
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM agencies WHERE tenant_id = $1 AND name <> 'hacked'", b.id
        )
        == 25
    )


async def test_pooled_connection_forgets_the_tenant_after_commit(two_tenants):
    """set_config(..., true) is transaction-local: the next user of the connection sees ''."""
    for _ in range(db.ENGINE.pool.get_max_size() + 2):  # type: ignore[union-attr]
        async with db.tenant_tx(two_tenants.a.id):
            assert (await db.fetch("SELECT count(*) FROM report_categories"))[0][0] == 9
        assert (await db.fetch("SELECT count(*) FROM report_categories"))[0][0] == 0


async def test_tenant_tx_refuses_nesting(two_tenants):
    async with db.tenant_tx(two_tenants.a.id):
        with pytest.raises(RuntimeError):
            async with db.tenant_tx(two_tenants.b.id):
                pass


async def test_unknown_tenant_sees_nothing(two_tenants):
    async with db.tenant_tx(uuid.uuid4()):
        assert (await db.fetch("SELECT count(*) FROM agencies"))[0][0] == 0


async def test_audit_log_is_append_only_for_the_app():
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.fetch("DELETE FROM audit_log")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.fetch("UPDATE audit_log SET action = 'x'")


async def test_tenant_setting_ends_with_its_transaction_without_the_pool_reset(two_tenants):
    """The tenant is set transaction-locally: on the *same* server connection, after
    COMMIT (and after a rollback), ``app.tenant_id`` is empty and RLS hides every row.

    The engine's own pool resets connections on release (``RESET ALL``), which would
    hide a session-wide ``set_config(..., false)``; this pool of one connection does no
    reset, so only the transaction's end can clear the setting."""
    import asyncpg

    async def no_reset(_conn: asyncpg.Connection) -> None:
        return None

    saved = db.ENGINE.pool
    assert saved is not None
    own = await asyncpg.create_pool(**db.ENGINE.config, min_size=1, max_size=1, reset=no_reset)
    db.ENGINE.pool = own
    try:
        for ends_with_error in (False, True):
            with contextlib.suppress(LookupError):
                async with db.tenant_tx(two_tenants.a.id) as tx:
                    pid = await tx.connection.fetchval("SELECT pg_backend_pid()")
                    setting = "SELECT current_setting('app.tenant_id', true)"
                    assert await tx.connection.fetchval(setting) == str(two_tenants.a.id)
                    assert await tx.connection.fetchval("SELECT count(*) FROM agencies") == 25
                    if ends_with_error:
                        raise LookupError("roll back")
            conn = await own.acquire()
            try:
                assert await conn.fetchval("SELECT pg_backend_pid()") == pid  # same session
                assert await conn.fetchval(setting) in (None, "")
                assert await conn.fetchval("SELECT count(*) FROM agencies") == 0
                assert await conn.fetchval("SELECT count(*) FROM report_categories") == 0
            finally:
                await own.release(conn)
    finally:
        db.ENGINE.pool = saved
        await own.close()
