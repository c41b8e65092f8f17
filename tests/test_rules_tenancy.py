"""The rule "forced RLS and the transaction-local tenant" (issue 15), pinned on one
server connection at a time.

``tenant_tx`` sets ``app.tenant_id`` with ``set_config(..., true)``: it must be gone when
the transaction ends, however it ends (COMMIT, an error, a failed statement, a
cancellation), on the *same* session and without the pool's reset on release (a pool of
one connection with a reset that does nothing stands in for a pool without it). With no
tenant set, row-level security shows no tenant row and refuses writes. Transactions never
nest. Expected values are literal: the sample directory seeds 25 agencies per tenant
(16 agencies and 9 hospitals, tests/helpers.py ``onboard``)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from helpers import onboard

from jogo.platform import db
from jogo.platform.registry import TenantInfo

SAMPLE_AGENCIES = 25
SETTING = "SELECT current_setting('app.tenant_id', true)"
POST_SQL = (
    "INSERT INTO police_posts (tenant_id, name, kind, latitude, longitude)"
    " VALUES ($1, $2, 'POLSEK', -7.9, 112.6)"
)


@pytest.fixture(scope="module")
async def tenant(database: str) -> TenantInfo:
    return await onboard()


async def _no_reset(_conn: asyncpg.Connection) -> None:
    return None


@contextlib.asynccontextmanager
async def one_session(
    setup: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
) -> AsyncIterator[asyncpg.Pool]:
    """The engine on a pool of one connection that is never reset on release: whatever
    a transaction leaves on its session, the next borrower sees."""
    saved = db.ENGINE.pool
    assert saved is not None
    own = await asyncpg.create_pool(
        **db.ENGINE.config, min_size=1, max_size=1, reset=_no_reset, setup=setup
    )
    db.ENGINE.pool = own
    try:
        yield own
    finally:
        db.ENGINE.pool = saved
        # asyncpg's close waits, unbounded, for every connection it counts as out; the
        # tests ask the engine's behaviour, not this pool's goodbye (CI once waited here
        # past pytest's 300 s after a terminated connection).
        try:
            await asyncio.wait_for(own.close(), 10)
        except TimeoutError:
            own.terminate()


async def _session_state(pool: asyncpg.Pool, tenant: TenantInfo) -> dict[str, Any]:
    conn = await pool.acquire()
    try:
        return {
            "pid": await conn.fetchval("SELECT pg_backend_pid()"),
            "in_transaction": conn.is_in_transaction(),
            "setting": await conn.fetchval(SETTING),
            "agencies": await conn.fetchval(
                "SELECT count(*) FROM agencies WHERE tenant_id = $1", tenant.id
            ),
        }
    finally:
        await pool.release(conn)


async def _posts(owner: asyncpg.Connection, tenant: TenantInfo, name: str) -> int:
    return await owner.fetchval(
        "SELECT count(*) FROM police_posts WHERE tenant_id = $1 AND name = $2", tenant.id, name
    )


class Boom(Exception):
    pass


async def _end_by_commit(tenant: TenantInfo, name: str) -> int:
    async with db.tenant_tx(tenant.id) as tx:
        await tx.connection.execute(POST_SQL, tenant.id, name)
        return await _seen_inside(tx, tenant)


async def _end_by_error(tenant: TenantInfo, name: str) -> int:
    pid = 0
    with pytest.raises(Boom):
        async with db.tenant_tx(tenant.id) as tx:
            await tx.connection.execute(POST_SQL, tenant.id, name)
            pid = await _seen_inside(tx, tenant)
            raise Boom
    return pid


async def _end_by_failed_statement(tenant: TenantInfo, name: str) -> int:
    pid = 0
    with pytest.raises(asyncpg.DivisionByZeroError):
        async with db.tenant_tx(tenant.id) as tx:
            await tx.connection.execute(POST_SQL, tenant.id, name)
            pid = await _seen_inside(tx, tenant)
            await tx.connection.execute("SELECT 1 / 0")
    return pid


async def _end_by_cancellation(tenant: TenantInfo, name: str) -> int:
    inside = asyncio.get_running_loop().create_future()

    async def hold() -> None:
        async with db.tenant_tx(tenant.id) as tx:
            await tx.connection.execute(POST_SQL, tenant.id, name)
            inside.set_result(await _seen_inside(tx, tenant))
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.create_task(hold())
    pid = await inside
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return pid


async def _seen_inside(tx: Any, tenant: TenantInfo) -> int:
    """Inside: the setting is this tenant's and RLS admits its rows; the session's pid."""
    assert await tx.connection.fetchval(SETTING) == str(tenant.id)
    assert await tx.connection.fetchval("SELECT count(*) FROM agencies") == SAMPLE_AGENCIES
    assert db.current_tenant_id.get() == tenant.id
    return int(await tx.connection.fetchval("SELECT pg_backend_pid()"))


ENDINGS = {
    "commit": (_end_by_commit, 1),
    "error": (_end_by_error, 0),
    "failed-statement": (_end_by_failed_statement, 0),
    "cancellation": (_end_by_cancellation, 0),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
async def test_the_tenant_ends_with_its_transaction_on_the_same_session(tenant, owner, ending):
    """After the transaction ends, the very same server session has no tenant, no open
    transaction, sees none of the tenant's rows, and kept the write only on COMMIT."""
    end, kept = ENDINGS[ending]
    name = f"Pos {ending} {uuid.uuid4().hex[:8]}"
    # asyncpg rolls back a connection released with its transaction still open, and
    # reports it to the loop: the transaction must have ended before the release.
    loop = asyncio.get_running_loop()
    reports: list[str] = []
    saved = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reports.append(context["message"]))
    async with one_session() as pool:
        try:
            pid = await end(tenant, name)
        finally:
            loop.set_exception_handler(saved)
        assert reports == []
        assert db.current_tenant_id.get() is None
        assert db.ENGINE.current_transaction.get() is None
        after = await _session_state(pool, tenant)
        assert after["pid"] == pid  # the same server session, not a fresh one
        assert after["in_transaction"] is False
        assert after["setting"] in (None, "")
        assert after["agencies"] == 0
        # The next transaction on that session commits only its own work.
        async with db.tenant_tx(tenant.id) as tx:
            assert await tx.connection.fetchval("SELECT pg_backend_pid()") == pid
        assert await _posts(owner, tenant, name) == kept


# The listener stays on the connection across its release on purpose.
@pytest.mark.filterwarnings("ignore::asyncpg.InterfaceWarning")
async def test_a_committed_transaction_is_not_rolled_back_again(tenant):
    """On COMMIT the connection goes straight back: no ROLLBACK follows (PostgreSQL would
    warn "there is no transaction in progress")."""
    notices: list[str] = []

    def listen(_conn: Any, message: Any) -> None:
        notices.append(message.message)

    async with one_session() as pool:
        async with db.tenant_tx(tenant.id) as tx:
            tx.connection.add_log_listener(listen)
            # The listener works: a warning inside the transaction arrives.
            await tx.connection.execute("DO $$ BEGIN RAISE WARNING 'probe'; END $$")
        conn = await pool.acquire()
        try:
            await conn.fetchval("SELECT 1")  # let any pending notice arrive
            conn.remove_log_listener(listen)
        finally:
            await pool.release(conn)
    assert notices == ["probe"]


async def test_no_tenant_means_no_rows_and_no_writes(tenant, owner):
    assert (
        await owner.fetchval("SELECT count(*) FROM agencies WHERE tenant_id = $1", tenant.id)
        == SAMPLE_AGENCIES
    )
    async with db.control_tx() as tx:
        assert db.current_tenant_id.get() is None
        assert await tx.connection.fetchval(SETTING) in (None, "")
        assert await tx.connection.fetchval("SELECT count(*) FROM agencies") == 0
    name = f"Pos tanpa tenant {uuid.uuid4().hex[:8]}"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with db.control_tx() as tx:
            await tx.connection.execute(POST_SQL, tenant.id, name)
    assert await _posts(owner, tenant, name) == 0
    # The same statement with the tenant set is admitted: the refusal was RLS's.
    async with db.tenant_tx(str(tenant.id)) as tx:
        assert db.current_tenant_id.get() == tenant.id  # a string id becomes a UUID
        await tx.connection.execute(POST_SQL, tenant.id, name)
    assert await _posts(owner, tenant, name) == 1


@pytest.mark.parametrize(
    ("outer", "inner"),
    [("tenant", "tenant"), ("tenant", "control"), ("control", "tenant"), ("control", "control")],
)
async def test_transactions_never_nest(tenant, outer, inner):
    other = uuid.uuid4()

    def open_tx(kind: str, who: uuid.UUID) -> Any:
        return db.tenant_tx(who) if kind == "tenant" else db.control_tx()

    async with open_tx(outer, tenant.id) as tx:
        with pytest.raises(RuntimeError, match="cannot be nested"):
            async with open_tx(inner, other):
                raise AssertionError("a nested transaction was opened")
        # The outer transaction is untouched: same marker, same tenant.
        assert db.ENGINE.current_transaction.get() is tx
        expected = SAMPLE_AGENCIES if outer == "tenant" else 0
        assert await tx.connection.fetchval("SELECT count(*) FROM agencies") == expected
        assert db.current_tenant_id.get() == (tenant.id if outer == "tenant" else None)
    assert db.ENGINE.current_transaction.get() is None


async def test_a_connection_the_server_ended_is_unavailable_and_returned(tenant, owner):
    """The server ends the session between acquire and BEGIN: the typed UNAVAILABLE
    error, nothing left set, and the pool of one serves the next transaction."""
    first = True

    async def end_it(conn: asyncpg.Connection) -> None:
        nonlocal first
        if first:
            first = False
            await owner.execute("SELECT pg_terminate_backend($1)", conn.get_server_pid())

    async with one_session(end_it):
        with pytest.raises(db.DatabaseUnavailable) as caught:
            async with db.tenant_tx(tenant.id):
                raise AssertionError("the block ran on a dead connection")
        assert caught.value.code == "UNAVAILABLE"
        assert db.current_tenant_id.get() is None
        assert db.ENGINE.current_transaction.get() is None
        async with db.tenant_tx(tenant.id) as tx:
            assert await tx.connection.fetchval("SELECT count(*) FROM agencies") == 25


async def test_a_connection_busy_with_another_operation_is_unavailable(tenant):
    """Any client-side failure before the block runs is the connection's: asyncpg's
    "another operation is in progress" is typed UNAVAILABLE too, and the pool recovers."""
    first = True
    busy: list[asyncio.Task[Any]] = []

    async def occupy(conn: asyncpg.Connection) -> None:
        nonlocal first
        if first:
            first = False
            busy.append(asyncio.create_task(conn.fetchval("SELECT pg_sleep(0.5)")))
            await asyncio.sleep(0)  # one turn of the loop: the query is sent
            assert not busy[0].done()

    async with one_session(occupy):
        with pytest.raises(db.DatabaseUnavailable):
            async with db.tenant_tx(tenant.id):
                raise AssertionError("the block ran on a busy connection")
        with contextlib.suppress(Exception):
            await busy[0]
        assert db.current_tenant_id.get() is None
        async with db.tenant_tx(tenant.id) as tx:
            assert await tx.connection.fetchval("SELECT count(*) FROM agencies") == 25
