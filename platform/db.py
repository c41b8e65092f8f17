"""The database engine and the only place that sets the tenant.

All Piccolo tables bind to :data:`ENGINE`, which connects as the app role (no
BYPASSRLS, owns nothing). Tenant data is reached only inside :func:`tenant_tx`, which
sets ``app.tenant_id`` for that one transaction; with no tenant set, row-level security
returns no rows and refuses writes. One transaction pins one connection.

A GraphQL query's reads share one transaction: :func:`request_reads` opens a
:class:`ReadSession` for the request and :func:`read_tx` joins it (one connection, one
statement at a time, taken lazily on the first read). Outside such a request
:func:`read_tx` is a :func:`tenant_tx` of its own.

Round trips: ``BEGIN`` and the tenant setting go in one simple-protocol message, and a
connection goes back to the pool without asyncpg's reset statement. That is safe because
nothing here sets session state: the tenant lives in the transaction, and every
transaction (``control_tx`` included) sets ``app.tenant_id`` for itself, so even a
session-level value left on a connection by mistake is overridden inside it; and the
tenant counts only in the transaction that stamped it (``app.tenant_at``, migration 0030),
so outside one such a value is no tenant either (``tests/test_session_state.py``).

Behind a transaction pooler (README, *Behind a connection pooler*) asyncpg keeps no named
statements (``JOGO_DB_STATEMENT_CACHE_SIZE=0``): each statement is the unnamed one, sent as
Parse, Describe and Flush, then Bind, Execute and Sync. A pooler hands the server
connection back only at the server's ReadyForQuery, which answers the Sync alone, so the
two halves meet the same server connection even outside a transaction (:func:`fetch` and
Piccolo queries outside one; :func:`ping` sends one simple query): measured through
PgBouncer 1.18 with 5,000 statements of four shapes from 10 clients over 2 server
connections, and pinned by ``tests/test_pooler.py``. LISTEN never goes through such a
pooler: the process's listening connections come from :func:`connect_listener`
(``JOGO_LISTEN_DATABASE_URL``), and :func:`prove_listening` shows that a notification sent
through the pool reaches them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from jogo.platform.errors import JogoError

if TYPE_CHECKING:
    from jogo.platform.settings import Settings

log = logging.getLogger("jogo.db")

# asyncpg's own default: prepared statements cached per connection.
DEFAULT_STATEMENT_CACHE = 100


@dataclass(frozen=True)
class EngineOptions:
    """How one event loop's pool connects: the app role's URL, asyncpg's
    ``statement_cache_size`` (0: unnamed statements only, for a transaction pooler that
    keeps no prepared statements) and the URL that LISTEN connections use."""

    dsn: str
    statement_cache_size: int
    listen_dsn: str


class LoopLocalEngine(PostgresEngine):
    """A Piccolo engine with one asyncpg pool per event loop.

    A pool belongs to the loop that made it. The API serves on uvicorn's loop while
    Dramatiq's async actors run on the worker's loop thread, in the same process under
    ``jogo up``; each loop starts its own pool and Piccolo finds the right one.
    """

    def __init__(self) -> None:
        self._pools: dict[asyncio.AbstractEventLoop, asyncpg.Pool] = {}
        self._options: dict[asyncio.AbstractEventLoop, EngineOptions] = {}
        super().__init__(config={}, extensions=())

    @property
    def options(self) -> EngineOptions | None:
        """How the running loop's pool connects; None outside a loop or before
        :func:`start_engine` ran on this loop."""
        try:
            return self._options.get(asyncio.get_running_loop())
        except RuntimeError:
            return None

    @property
    def pool(self) -> asyncpg.Pool | None:
        """The asyncpg pool of the running event loop; None outside a loop or before
        :func:`start_engine` ran on this loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return self._pools.get(loop)

    @pool.setter
    def pool(self, value: asyncpg.Pool | None) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # Piccolo's __init__ sets None outside any loop
        if value is None:
            self._pools.pop(loop, None)
            self._options.pop(loop, None)
        else:
            self._pools[loop] = value

    async def _run_in_pool(self, query: str, args: Any = None) -> Any:
        """Piccolo's query outside a transaction, with the bounded acquire."""
        pool = _require_pool()
        await _before_borrowing()
        conn = await acquire(pool)
        try:
            return await conn.fetch(query, *(args or []))
        finally:
            await release(pool, conn, rollback=False)


ENGINE = LoopLocalEngine()

# The tenant of the running transaction, for telemetry and for guarding nested use.
current_tenant_id: contextvars.ContextVar[uuid.UUID | None] = contextvars.ContextVar(
    "jogo_current_tenant_id", default=None
)


class DatabaseNotConfigured(JogoError):
    code = "DATABASE_NOT_CONFIGURED"


class DatabaseUnavailable(JogoError):
    """The database can't serve this request now (down, restarting, or every pooled
    connection busy). HTTP answers 503 with ``Retry-After``; GraphQL a typed
    ``UNAVAILABLE`` error. Nothing was written."""

    code = "UNAVAILABLE"


class DatabaseBusy(DatabaseUnavailable):
    """Every pooled connection stayed busy for the whole acquire timeout."""


# Seconds: how long a caller waits for a pooled connection before DatabaseBusy, how long
# the rollback of a failed transaction may take before its connection is terminated, and
# how long closing the pool may wait for borrowed connections before terminating them.
ACQUIRE_TIMEOUT = 5.0
ROLLBACK_TIMEOUT = 2.0
CLOSE_TIMEOUT = 5.0

# Clean-ups shielded from cancellation still need a strong reference until they finish.
_CLEANUPS: set[asyncio.Task[None]] = set()


async def start_engine(
    app_url: str,
    pool_size: int = 10,
    *,
    acquire_timeout: float | None = None,
    statement_cache_size: int = DEFAULT_STATEMENT_CACHE,
    listen_url: str | None = None,
) -> None:
    """Point :data:`ENGINE` at the app role and open this loop's pool (idempotent).

    ``acquire_timeout`` (seconds) bounds every wait for a connection; see
    :class:`DatabaseBusy`. ``statement_cache_size``: asyncpg's, per connection (0 behind
    a transaction pooler that keeps no prepared statements). ``listen_url``: where
    :func:`connect_listener` connects (default ``app_url``).
    """
    global ACQUIRE_TIMEOUT
    if acquire_timeout is not None:
        ACQUIRE_TIMEOUT = acquire_timeout
    options = EngineOptions(app_url, statement_cache_size, listen_url or app_url)
    if ENGINE.pool is not None:
        if ENGINE.options == options:
            return
        await stop_engine()
    # Piccolo's own connections (none in our code paths) would connect alike.
    ENGINE.config = {"dsn": app_url, "statement_cache_size": statement_cache_size}
    ENGINE.pool = await asyncpg.create_pool(
        # min_size=0: no connection "floor" for asyncpg to restore (and log a traceback
        # for, again and again) while the database is away.
        dsn=app_url,
        min_size=0,
        max_size=pool_size,
        command_timeout=60,
        statement_cache_size=statement_cache_size,
        # asyncpg still rolls back an open transaction and drops listeners on release;
        # this skips only its reset statement (see the module docstring).
        reset=_keep_session,
    )
    ENGINE._options[asyncio.get_running_loop()] = options


async def start_engine_for(settings: Settings) -> None:
    """:func:`start_engine` as the settings say (``JOGO_APP_DATABASE_URL``,
    ``JOGO_DB_POOL_SIZE``, ``JOGO_DB_ACQUIRE_TIMEOUT``, ``JOGO_DB_STATEMENT_CACHE_SIZE``,
    ``JOGO_LISTEN_DATABASE_URL``). Raises ``SettingsError`` when no app URL resolves."""
    await start_engine(
        settings.resolved_app_url(),
        settings.db_pool_size,
        acquire_timeout=settings.db_acquire_timeout,
        statement_cache_size=settings.db_statement_cache_size,
        listen_url=settings.resolved_listen_url(),
    )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset: nothing to send. Our connections carry no session state (no
    LISTEN, cursors, session advisory locks or SET on pooled connections), and every
    transaction sets the tenant for itself."""


async def stop_engine(deadline: float | None = None) -> None:
    """Close this loop's pool within ``deadline`` seconds (default :data:`CLOSE_TIMEOUT`):
    a graceful close first, then every connection still borrowed is terminated, so a
    shutdown never waits on a connection that a stuck task holds."""
    pool = ENGINE.pool
    if pool is None:
        return
    ENGINE.pool = None
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT if deadline is None else deadline):
            await pool.close()
    except TimeoutError:
        log.warning("closing the database pool timed out; terminating its connections")
        pool.terminate()
    except BaseException:
        pool.terminate()
        raise


def _require_pool() -> asyncpg.Pool:
    pool = ENGINE.pool
    if pool is None:
        raise DatabaseNotConfigured("the database is not started (call start_engine first)")
    return pool


async def acquire(pool: asyncpg.Pool, wait: float | None = None) -> asyncpg.Connection:
    """A pooled connection within ``wait`` seconds (default :data:`ACQUIRE_TIMEOUT`), or
    :class:`DatabaseBusy`; a database that refuses connections is
    :class:`DatabaseUnavailable`."""
    try:
        # asyncio.timeout, not acquire(timeout=): that one wraps every acquire in a task.
        async with asyncio.timeout(ACQUIRE_TIMEOUT if wait is None else wait):
            conn: asyncpg.Connection = await pool.acquire()
    except TimeoutError:
        raise DatabaseBusy(
            "layanan sedang sibuk, coba lagi sebentar lagi / the service is busy, try again shortly"
        ) from None
    except Exception as exc:
        typed = _as_outage(exc)
        if typed is None:
            raise
        raise typed from exc
    return conn


def _as_outage(exc: Exception, *, interface_errors: bool = False) -> DatabaseUnavailable | None:
    """The typed ``UNAVAILABLE`` error when ``exc`` is an outage (or, with
    ``interface_errors``, any asyncpg client-side error), else None."""
    from jogo.platform.outage import as_unavailable, is_unavailable  # imports this module

    outage = is_unavailable(exc) or (interface_errors and isinstance(exc, asyncpg.InterfaceError))
    return as_unavailable(exc) if outage else None


async def release(pool: asyncpg.Pool, conn: asyncpg.Connection, *, rollback: bool) -> None:
    """Give ``conn`` back to ``pool`` whatever happens: shielded from cancellation,
    rolled back if asked (terminated when the rollback fails or hangs). A second
    cancellation of the caller can't strand the connection: the clean-up task runs on."""
    if not rollback:
        # asyncpg shields its own release: no clean-up task needed on the happy path.
        try:
            await pool.release(conn, timeout=ROLLBACK_TIMEOUT)
        except Exception:
            _terminate(conn)
        return
    task = asyncio.ensure_future(_roll_back_and_release(pool, conn))
    _CLEANUPS.add(task)
    task.add_done_callback(_CLEANUPS.discard)
    await asyncio.shield(task)


def _terminate(conn: asyncpg.Connection) -> None:
    # A connection the server ended is already detached from its proxy, and then every
    # method (is_closed and terminate included) raises: there is nothing left to close.
    with contextlib.suppress(Exception):
        conn.terminate()


async def _roll_back_and_release(pool: asyncpg.Pool, conn: asyncpg.Connection) -> None:
    try:
        try:
            async with asyncio.timeout(ROLLBACK_TIMEOUT):
                await conn.execute("ROLLBACK")
        except (Exception, asyncio.CancelledError):
            # A dead or busy connection: a new one replaces it in the pool.
            _terminate(conn)
    finally:
        try:
            await pool.release(conn, timeout=ROLLBACK_TIMEOUT)
        except (Exception, asyncio.CancelledError):
            _terminate(conn)


def _as_uuid(tenant_id: uuid.UUID | str) -> uuid.UUID:
    return tenant_id if isinstance(tenant_id, uuid.UUID) else uuid.UUID(str(tenant_id))


def _begin(tenant: uuid.UUID | None, *, shared_read: bool = False) -> str:
    """``BEGIN`` and the transaction-local (``is_local = true``) tenant, in one message.

    The value is a ``uuid.UUID`` rendered by Python (hex and dashes only), never caller
    text, so it is safe inline; an empty value is "no tenant" for RLS and overrides a
    session-level value that must not exist but would otherwise leak into a
    ``control_tx``. A request's shared read transaction is ``REPEATABLE READ READ ONLY``:
    one snapshot for all its reads, and a write that strayed into it is refused."""
    value = "" if tenant is None else str(uuid.UUID(str(tenant)))
    begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if shared_read else "BEGIN"
    # app.tenant_at: the tenant is read only in the transaction that set it (migration
    # 0030), so a value left on the session, by mistake, is no tenant anywhere else.
    return (
        f"{begin}; SELECT set_config('app.tenant_id', '{value}', true),"
        " set_config('app.tenant_at', transaction_timestamp()::text, true)"
    )


@asynccontextmanager
async def _transaction(kind: str, tenant: uuid.UUID | None) -> AsyncIterator[PostgresTransaction]:
    """One transaction on one pooled connection, visible to Piccolo through its
    current-transaction marker. Whatever ends it (an error, a cancellation, a dead
    connection, a failed COMMIT), the marker is reset and the connection goes back to
    the pool rolled back or terminated: nothing outlives the block."""
    pool = _require_pool()
    if ENGINE.current_transaction.get() is not None:
        # A nested transaction would silently share (or switch) the outer tenant.
        raise RuntimeError(f"{kind} cannot be nested inside another transaction")
    await _before_borrowing()
    conn = await acquire(pool)
    committed = False
    tx = PostgresTransaction(ENGINE)
    tx.connection = conn
    marker = ENGINE.current_transaction.set(tx)
    tenant_token = current_tenant_id.set(tenant) if tenant is not None else None
    try:
        try:
            await conn.execute(_begin(tenant))
        except Exception as exc:
            # Nothing ran yet: any client-side failure here is the connection's.
            typed = _as_outage(exc, interface_errors=True)
            if typed is None:
                raise
            raise typed from exc
        yield tx
        await conn.execute("COMMIT")
        committed = True
    finally:
        if tenant_token is not None:
            current_tenant_id.reset(tenant_token)
        ENGINE.current_transaction.reset(marker)
        await release(pool, conn, rollback=not committed)


@asynccontextmanager
async def tenant_tx(tenant_id: uuid.UUID | str) -> AsyncIterator[PostgresTransaction]:
    """One transaction in which row-level security admits exactly this tenant.

    Errors: :class:`DatabaseBusy` when no connection frees up within the acquire
    timeout, :class:`DatabaseUnavailable` when the database refuses; ``RuntimeError``
    when nested inside another transaction.
    """
    async with _transaction("tenant_tx", _as_uuid(tenant_id)) as tx:
        yield tx


@asynccontextmanager
async def control_tx() -> AsyncIterator[PostgresTransaction]:
    """A transaction on control-plane tables only: no tenant is set, so RLS hides all."""
    async with _transaction("control_tx", None) as tx:
        yield tx


class ReadSession:
    """One request's reads of one tenant: one transaction on one connection, taken on
    the first :func:`read_tx` and ended by :func:`request_reads`. Concurrent resolvers
    take turns on it (a connection runs one statement at a time). A block that fails or
    is cancelled gives the connection back rolled back (or terminated); the next read
    starts a fresh transaction on another one."""

    def __init__(self, tenant: uuid.UUID) -> None:
        self.tenant = tenant
        self.active = False  # set for query operations only (graphql.reads)
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None:
            pool = _require_pool()
            conn = await acquire(pool)
            try:
                await conn.execute(_begin(self.tenant, shared_read=True))
            except BaseException as exc:
                await release(pool, conn, rollback=True)
                typed = (
                    _as_outage(exc, interface_errors=True) if isinstance(exc, Exception) else None
                )
                if typed is None:
                    raise
                raise typed from exc
            self._conn = conn
        return self._conn

    async def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await release(_require_pool(), conn, rollback=True)

    async def close(self) -> None:
        """COMMIT and give the connection back; rolled back (or terminated) when a read
        still runs or the COMMIT fails. Idempotent; safe under cancellation."""
        self._closed = True
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._lock.locked():  # a straggling resolver still holds it
            await release(_require_pool(), conn, rollback=True)
            return
        await _commit_and_release(conn)

    async def step_aside(self) -> None:
        """End the shared transaction and give its connection back, before this request
        borrows another one: a request never holds one connection while it waits for a
        second (with every request doing so, the pool would lock itself up). The next
        read starts a new shared transaction."""
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                await _commit_and_release(conn)


async def _commit_and_release(conn: asyncpg.Connection) -> None:
    committed = False
    try:
        await conn.execute("COMMIT")
        committed = True
    finally:
        await release(_require_pool(), conn, rollback=not committed)


async def _before_borrowing() -> None:
    """Called before this context borrows a pooled connection for something other than
    the request's shared reads: the shared transaction steps aside first."""
    session = _read_session.get()
    if session is not None and session._conn is not None:
        await session.step_aside()


_read_session: contextvars.ContextVar[ReadSession | None] = contextvars.ContextVar(
    "jogo_read_session", default=None
)


@asynccontextmanager
async def request_reads(tenant_id: uuid.UUID | str) -> AsyncIterator[ReadSession]:
    """Scope one request: :func:`read_tx` of this tenant joins one shared transaction once
    the session is made active (``session.active = True``, for a GraphQL query; a
    mutation's reads keep their own transactions, so they see its writes). Whatever
    happens, the connection is back in the pool when the block ends."""
    session = ReadSession(_as_uuid(tenant_id))
    token = _read_session.set(session)
    try:
        yield session
    finally:
        _read_session.reset(token)
        await asyncio.shield(session.close())


def current_read_session() -> ReadSession | None:
    """The request's :class:`ReadSession`, if one is open on this context."""
    return _read_session.get()


@asynccontextmanager
async def read_tx(tenant_id: uuid.UUID | str) -> AsyncIterator[PostgresTransaction]:
    """A transaction for reads of ``tenant_id``: the request's shared one when an active
    :class:`ReadSession` of this tenant is open (and no transaction runs on this context),
    else a :func:`tenant_tx` of its own. Only reads belong here: the shared transaction
    commits when the request ends. Errors as :func:`tenant_tx`."""
    tenant = _as_uuid(tenant_id)
    session = _read_session.get()
    if (
        session is None
        or not session.active
        or session._closed
        or session.tenant != tenant
        or ENGINE.current_transaction.get() is not None
    ):
        async with tenant_tx(tenant) as own:
            yield own
        return
    await session._lock.acquire()
    if session._closed:
        # Queued behind a sibling while the request ended (a task the request did not
        # wait for): nobody would end a transaction opened on the session now.
        session._lock.release()
        async with tenant_tx(tenant) as own:
            yield own
        return
    try:
        conn = await session._connection()
        tx = PostgresTransaction(ENGINE)
        tx.connection = conn
        marker = ENGINE.current_transaction.set(tx)
        tenant_token = current_tenant_id.set(tenant)
        done = False
        try:
            yield tx
            done = True
        finally:
            current_tenant_id.reset(tenant_token)
            ENGINE.current_transaction.reset(marker)
            if not done or session._closed:
                # A failed statement aborts the transaction; a cancelled one leaves the
                # connection mid-protocol. Either way: a fresh one for the next read.
                # And a session the request closed meanwhile (while this read waited
                # for its first connection) ends nothing it opens after: end it here.
                await session._discard()
    finally:
        session._lock.release()


async def fetch(sql: str, *args: Any) -> list[asyncpg.Record]:
    """Raw SQL on the current transaction, or on a pooled connection outside one."""
    tx = ENGINE.current_transaction.get()
    if tx is not None:
        rows: list[asyncpg.Record] = await tx.connection.fetch(sql, *args)
        return rows
    pool = _require_pool()
    await _before_borrowing()
    conn = await acquire(pool)
    try:
        rows = await conn.fetch(sql, *args)
    finally:
        await release(pool, conn, rollback=False)
    return rows


# --- streamed reads: one snapshot, a server-side cursor, bounded memory ----------------

# Seconds a streamed read may sit idle inside its transaction (a client that stopped
# reading): the server then ends the session, so a stalled download can't hold a
# snapshot (and the vacuum horizon) for ever.
STREAM_IDLE_TIMEOUT = 120


class RowStream:
    """A tenant's rows read through a server-side cursor in one ``REPEATABLE READ READ
    ONLY`` transaction (one snapshot), :data:`STREAM_BATCH` rows per round trip. Made by
    :func:`stream_rows`.

    It holds one pooled connection until :meth:`close` (idempotent, shielded from
    cancellation, callable from any task: it sets no context variable), which runs by
    itself once :meth:`batches` is exhausted or fails. Whoever makes one must make sure
    :meth:`close` runs on every path: a download the client abandons is the usual one."""

    def __init__(self, pool: asyncpg.Pool, conn: asyncpg.Connection, cursor: Any, size: int):
        self._pool = pool
        self._conn: asyncpg.Connection | None = conn
        self._cursor = cursor
        self._size = size

    @property
    def open(self) -> bool:
        """True until :meth:`close` gave the connection back."""
        return self._conn is not None

    async def batches(self) -> AsyncIterator[list[asyncpg.Record]]:
        """The rows, a list of at most the batch size at a time; closes at the end or on
        any failure (:class:`DatabaseUnavailable` when the database went away)."""
        try:
            while self._conn is not None:
                try:
                    rows: list[asyncpg.Record] = await self._cursor.fetch(self._size)
                except Exception as exc:
                    typed = _as_outage(exc, interface_errors=True)
                    if typed is None:
                        raise
                    raise typed from exc
                if rows:
                    yield rows
                if len(rows) < self._size:
                    return
        finally:
            await self.close()

    async def close(self) -> None:
        """End the transaction (rolled back: nothing was written) and give the connection
        back; terminated when that fails or hangs. Idempotent."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await release(self._pool, conn, rollback=True)


STREAM_BATCH = 1000


async def stream_rows(
    tenant_id: uuid.UUID | str | None, sql: str, *args: Any, batch: int = STREAM_BATCH
) -> RowStream:
    """Open a :class:`RowStream` of ``sql`` (with ``$n`` ``args``) for ``tenant_id``:
    row-level security admits exactly that tenant, as in :func:`tenant_tx` (None: no
    tenant, for control-plane tables, as in :func:`control_tx`). The query
    runs (its first batch is not fetched yet) before this returns, so a bad statement
    or an outage is raised here. Errors: :class:`DatabaseBusy`,
    :class:`DatabaseUnavailable`, the driver's error for a bad statement."""
    pool = _require_pool()
    await _before_borrowing()
    conn = await acquire(pool)
    try:
        await conn.execute(
            _begin(None if tenant_id is None else _as_uuid(tenant_id), shared_read=True)
            + f"; SET LOCAL idle_in_transaction_session_timeout = '{STREAM_IDLE_TIMEOUT}s'"
        )
        cursor = await conn.cursor(sql, *args)
    except BaseException as exc:
        await release(pool, conn, rollback=True)
        typed = _as_outage(exc, interface_errors=True) if isinstance(exc, Exception) else None
        if typed is None:
            raise
        raise typed from exc
    return RowStream(pool, conn, cursor, batch)


# Seconds /readyz waits for a pooled connection before it calls the pool "busy".
PING_ACQUIRE_TIMEOUT = 1.0


class DatabaseUnreachable(DatabaseUnavailable):
    """No connection to the database could be opened in time, though the pool had room
    for one: the server (or the pooler in front of it) accepts connections and does not
    answer."""


def _all_borrowed(pool: asyncpg.Pool) -> bool:
    """Every connection the pool may hold is open and lent out (not one still connecting)."""
    return pool.get_size() - pool.get_idle_size() >= pool.get_max_size()


async def ping() -> str:
    """``"ok"`` when a pooled connection answers ``SELECT 1``; ``"busy"`` when every
    connection is borrowed (the database is up and this process is merely loaded: it
    stays ready, or every pod under load would leave the service at once). Raises
    :class:`DatabaseUnreachable` when the wait for a connection ran out while the pool
    had room to open one (connecting hangs: a frozen server or pooler is not "busy"),
    :class:`DatabaseUnavailable` (or the driver's error) when the database is away."""
    pool = _require_pool()
    try:
        conn = await acquire(pool, PING_ACQUIRE_TIMEOUT)
    except DatabaseBusy:
        if not _all_borrowed(pool):
            raise DatabaseUnreachable(
                f"no connection to the database within {PING_ACQUIRE_TIMEOUT:g} s"
            ) from None
        return "busy"
    try:
        # The simple protocol: one message, nothing prepared, whatever pooler is between.
        await conn.execute("SELECT 1")
    finally:
        await release(pool, conn, rollback=False)
    return "ok"


# --- LISTEN connections, and the proof that notifications reach them ---------------

# Seconds: opening a LISTEN connection; how long a probe's NOTIFY may take to arrive; how
# long a heard probe stands for the connection (a storm of /readyz sends no more).
LISTEN_CONNECT_TIMEOUT = 5.0
PROBE_WAIT = 2.0
PROBE_FRESH = 5.0

# What /readyz proves, by name ("live events", "relay"): each answers as
# :func:`prove_listening` does.
ListenerCheck = Callable[[], Awaitable[str]]


class NotListening(DatabaseUnavailable):
    """A LISTEN connection that should be open is not (never opened, or lost)."""


class NotificationsLost(DatabaseUnavailable):
    """A NOTIFY sent through the app pool did not reach the LISTEN connection in time: it
    goes through a transaction pooler (or a pooler that drops notifications)."""


class _Probe:
    """The probe of one LISTEN connection: a channel of its own (random), the nonces sent
    on it and not heard yet, at most one round in flight, and a recent success."""

    def __init__(self) -> None:
        self.channel = f"jogo_probe_{uuid.uuid4().hex[:16]}"
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self._round: asyncio.Future[str] | None = None
        self._fresh_until = 0.0

    def heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        waiter = self._waiting.get(payload)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def check(self) -> str:
        if time.monotonic() < self._fresh_until:
            return "ok"
        if self._round is None or self._round.done():
            self._round = asyncio.ensure_future(self._send_and_wait())
            # Retrieved here, so a round whose callers all gave up logs nothing.
            self._round.add_done_callback(lambda f: f.cancelled() or f.exception())
        return await asyncio.shield(self._round)

    async def _send_and_wait(self) -> str:
        pool = _require_pool()
        nonce = uuid.uuid4().hex
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[nonce] = waiter
        try:
            try:
                conn = await acquire(pool, PING_ACQUIRE_TIMEOUT)
            except DatabaseBusy:
                if not _all_borrowed(pool):  # as ping: connecting hangs, not loaded
                    raise DatabaseUnreachable(
                        f"no connection to the database within {PING_ACQUIRE_TIMEOUT:g} s"
                    ) from None
                return "busy"  # as ping: loaded, not broken
            try:
                # Channel and nonce are hex made here; the simple protocol, autocommit.
                await conn.execute(f"SELECT pg_notify('{self.channel}', '{nonce}')")
            finally:
                await release(pool, conn, rollback=False)
            try:
                async with asyncio.timeout(PROBE_WAIT):
                    await waiter
            except TimeoutError:
                raise NotificationsLost(
                    f"a NOTIFY sent through the app pool did not arrive within {PROBE_WAIT:g} s"
                ) from None
        finally:
            self._waiting.pop(nonce, None)
        self._fresh_until = time.monotonic() + PROBE_FRESH
        return "ok"


_PROBES: weakref.WeakKeyDictionary[asyncpg.Connection, _Probe] = weakref.WeakKeyDictionary()


async def connect_listener() -> asyncpg.Connection:
    """A new connection for LISTEN, to ``JOGO_LISTEN_DATABASE_URL`` (default the app
    role's URL): direct to PostgreSQL or through a session-mode pool, never a transaction
    pooler. It already listens on a probe channel of its own (:func:`prove_listening`).
    The caller owns it (``terminate`` or ``close`` it). Raises
    :class:`DatabaseNotConfigured` before :func:`start_engine` on this loop, and the
    driver's error (``OSError``, ``asyncpg.PostgresError``, ``TimeoutError`` after
    :data:`LISTEN_CONNECT_TIMEOUT` seconds) when the database can't be reached."""
    options = ENGINE.options
    if options is None:
        raise DatabaseNotConfigured("the database is not started (call start_engine first)")
    conn: asyncpg.Connection = await asyncpg.connect(
        options.listen_dsn,
        timeout=LISTEN_CONNECT_TIMEOUT,
        statement_cache_size=options.statement_cache_size,
    )
    probe = _Probe()
    try:
        await conn.add_listener(probe.channel, probe.heard)
    except BaseException:
        _terminate(conn)
        raise
    _PROBES[conn] = probe
    return conn


async def prove_listening(conn: asyncpg.Connection | None) -> str:
    """``"ok"`` when a NOTIFY sent through this loop's app pool reaches ``conn`` (made by
    :func:`connect_listener`) within :data:`PROBE_WAIT` seconds; a success stands for
    :data:`PROBE_FRESH` seconds, and concurrent callers share one round in flight.
    ``"busy"`` when no pooled connection was free to send it (as :func:`ping`). Raises
    :class:`NotListening` when ``conn`` is None, closed or not one of ours, and
    :class:`NotificationsLost` when the notification did not arrive."""
    probe = _PROBES.get(conn) if conn is not None and not conn.is_closed() else None
    if probe is None:
        raise NotListening("not listening")
    return await probe.check()
