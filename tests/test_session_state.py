"""A tenant set for the whole *session* instead of the transaction (issue 18).

The pool no longer sends a reset statement when a connection comes back
(``jogo.platform.db``): a session-level ``app.tenant_id`` left on a pooled connection
would stay there for the next borrower. Nothing in the product sets one (the grep rule
``test_layout.test_pooled_connections_keep_no_session_state``), and these tests prove
what happens if something did: on a pool of exactly one connection, released without
any reset like the engine's, tenant A's value is set at session level (each way
PostgreSQL allows), and then every way the product reaches the database, on that same
server session, sees nothing of A: a ``control_tx`` sees no tenant row and writes none,
tenant B's transaction (its own, or a request's shared reads) sees B only, and a
statement outside any transaction sees no tenant row either (the tenant counts only in
the transaction that stamped it, migration 0030). Two tenants from the
same template (25 sample agencies each, ``tests/helpers.py`` ``onboard``)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
from helpers import onboard

from jogo.platform import db
from jogo.platform.registry import TenantInfo
from jogo.tenants.agencies.tables import Agency

SAMPLE_AGENCIES = 25
SETTING = "SELECT current_setting('app.tenant_id', true)"
PID = "SELECT pg_backend_pid()"
COUNT_A = "SELECT count(*) FROM agencies WHERE tenant_id = $1"
POST_SQL = (
    "INSERT INTO police_posts (tenant_id, name, kind, latitude, longitude)"
    " VALUES ($1, $2, 'POLSEK', -7.9, 112.6)"
)


@pytest.fixture(scope="module")
async def tenants(database: str) -> tuple[TenantInfo, TenantInfo]:
    a = await onboard(polda="JATIM", region="35.73")
    b = await onboard(polda="JATENG", region="33.74")
    return a, b


@contextlib.asynccontextmanager
async def one_connection() -> AsyncIterator[asyncpg.Pool]:
    """The engine on a pool of one connection, released as the engine releases (the
    product's ``reset``, which sends nothing): whatever a borrower leaves on the session,
    the next one gets."""
    saved = db.ENGINE.pool
    assert saved is not None
    own = await asyncpg.create_pool(
        **db.ENGINE.config, min_size=1, max_size=1, reset=db._keep_session
    )
    db.ENGINE.pool = own
    try:
        yield own
    finally:
        db.ENGINE.pool = saved
        await own.close()


async def _by_set_config(conn: asyncpg.Connection, tenant: uuid.UUID) -> None:
    await conn.execute("SELECT set_config('app.tenant_id', $1, false)", str(tenant))


async def _by_set(conn: asyncpg.Connection, tenant: uuid.UUID) -> None:
    await conn.execute(f"SET app.tenant_id = '{tenant}'")


async def _by_set_session(conn: asyncpg.Connection, tenant: uuid.UUID) -> None:
    await conn.execute(f"SET SESSION app.tenant_id TO '{tenant}'")


async def _by_set_in_committed_tx(conn: asyncpg.Connection, tenant: uuid.UUID) -> None:
    # SET without LOCAL inside a transaction outlives its COMMIT.
    async with conn.transaction():
        await conn.execute(f"SET app.tenant_id = '{tenant}'")


async def _by_set_config_in_tenant_tx(conn: asyncpg.Connection, tenant: uuid.UUID) -> None:
    # The worst case: inside the product's own tenant_tx, set_config(..., false).
    await conn.execute(
        f"{db._begin(tenant)}; SELECT set_config('app.tenant_id', '{tenant}', false)"
    )
    await conn.execute("COMMIT")


WAYS: dict[str, Callable[[asyncpg.Connection, uuid.UUID], Awaitable[None]]] = {
    "set_config-false": _by_set_config,
    "SET": _by_set,
    "SET SESSION": _by_set_session,
    "SET in a committed transaction": _by_set_in_committed_tx,
    "set_config-false in a tenant transaction": _by_set_config_in_tenant_tx,
}


@contextlib.asynccontextmanager
async def poisoned(way: str, tenant: TenantInfo) -> AsyncIterator[int]:
    """One pooled connection carrying ``tenant`` at session level, released back; yields
    its server pid. Checks first that the value really is on the session, and that it
    admits no row even there: the tenant counts only in the transaction that stamped it
    (``app.tenant_at``, migration 0030)."""
    async with one_connection() as pool:
        conn = await pool.acquire()
        try:
            await WAYS[way](conn, tenant.id)
            assert not conn.is_in_transaction()
            assert await conn.fetchval(SETTING) == str(tenant.id)
            assert await conn.fetchval(COUNT_A, tenant.id) == 0
            pid = int(await conn.fetchval(PID))
        finally:
            await pool.release(conn)
        yield pid


async def test_no_role_or_database_default_sets_the_tenant(owner, database):
    """A session-level tenant could also come from configuration: a default on the app
    role or the database (``ALTER ROLE/DATABASE ... SET``). The migrations set none, and
    a fresh pooled connection starts without one."""
    defaults = await owner.fetch(
        "SELECT coalesce(r.rolname, '*') AS role, array_to_string(s.setconfig, ',') AS config"
        " FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole"
        " WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))"
    )
    assert not [d for d in defaults if "app." in d["config"]], defaults
    async with one_connection():
        assert (await db.fetch(SETTING))[0][0] in (None, "")


@pytest.mark.parametrize("way", sorted(WAYS))
async def test_control_tx_overrides_a_session_tenant(tenants, owner, way):
    """(a) A control transaction on that session has no tenant: no row of A, no write."""
    a, _b = tenants
    name = f"Pos sesi {uuid.uuid4().hex[:8]}"
    async with poisoned(way, a) as pid:
        async with db.control_tx() as tx:
            assert await tx.connection.fetchval(PID) == pid
            assert await tx.connection.fetchval(SETTING) == ""
            assert await tx.connection.fetchval("SELECT count(*) FROM agencies") == 0
            assert await tx.connection.fetchval(COUNT_A, a.id) == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with db.control_tx() as tx:
                assert await tx.connection.fetchval(PID) == pid
                await tx.connection.execute(POST_SQL, a.id, name)
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM police_posts WHERE tenant_id = $1 AND name = $2", a.id, name
        )
        == 0
    )


@pytest.mark.parametrize("way", sorted(WAYS))
async def test_another_tenants_transaction_sees_only_its_own(tenants, owner, way):
    """(b) Tenant B's transaction on that session sees B's rows only, and its writes are
    B's: RLS refuses a row of A."""
    a, b = tenants
    name = f"Pos sesi {uuid.uuid4().hex[:8]}"
    async with poisoned(way, a) as pid:
        async with db.tenant_tx(b.id) as tx:
            assert await tx.connection.fetchval(PID) == pid
            assert await tx.connection.fetchval(SETTING) == str(b.id)
            assert await tx.connection.fetchval("SELECT count(*) FROM agencies") == SAMPLE_AGENCIES
            assert await tx.connection.fetchval(COUNT_A, a.id) == 0
            assert await Agency.count().where(Agency.tenant_id == a.id) == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with db.tenant_tx(b.id) as tx:
                await tx.connection.execute(POST_SQL, a.id, name)
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM police_posts WHERE tenant_id = $1 AND name = $2", a.id, name
        )
        == 0
    )


@pytest.mark.parametrize("way", sorted(WAYS))
async def test_a_requests_shared_reads_see_only_their_tenant(tenants, way):
    """(b) The one read transaction of a GraphQL query (``request_reads``/``read_tx``)."""
    a, b = tenants
    async with poisoned(way, a) as pid, db.request_reads(b.id) as session:
        session.active = True
        async with db.read_tx(b.id) as tx:
            assert await tx.connection.fetchval(PID) == pid
            assert await tx.connection.fetchval(SETTING) == str(b.id)
            assert await tx.connection.fetchval(COUNT_A, a.id) == 0
        async with db.read_tx(b.id) as tx:  # the same transaction, joined again
            assert await tx.connection.fetchval(COUNT_A, b.id) == SAMPLE_AGENCIES


# Outside a transaction nothing overrides the session's value, so the tenant must not
# count there at all: jogo_current_tenant() reads app.tenant_id only when app.tenant_at
# is the running transaction's own start time (migration 0030).
@pytest.mark.parametrize("way", sorted(WAYS))
async def test_statements_outside_a_transaction_see_no_tenant_row(tenants, way):
    """(c) After those transactions, a statement outside any transaction on that session
    (``db.fetch``, a Piccolo query outside one) sees no row of A."""
    a, b = tenants
    async with poisoned(way, a) as pid:
        async with db.control_tx():
            pass
        async with db.tenant_tx(b.id):
            pass
        assert db.ENGINE.current_transaction.get() is None
        assert (await db.fetch(PID))[0][0] == pid
        assert (await db.fetch(COUNT_A, a.id))[0][0] == 0
        assert await Agency.count().where(Agency.tenant_id == a.id) == 0


async def test_a_tenant_counts_only_in_the_transaction_that_set_it(tenants, owner, database):
    """The rule itself, as the app role: the stamp of an earlier transaction, or none, is
    no tenant; the product's own BEGIN is."""
    a, _b = tenants
    async with one_connection() as pool, pool.acquire() as conn:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(a.id))
            assert await conn.fetchval(COUNT_A, a.id) == 0  # no stamp
        async with conn.transaction():
            await conn.execute(
                "SELECT set_config('app.tenant_id', $1, true),"
                " set_config('app.tenant_at', '2026-01-01 00:00:00+00', true)",
                str(a.id),
            )
            assert await conn.fetchval(COUNT_A, a.id) == 0  # another transaction's stamp
        await conn.execute(db._begin(a.id))
        try:
            assert await conn.fetchval(COUNT_A, a.id) == SAMPLE_AGENCIES
        finally:
            await conn.execute("ROLLBACK")
