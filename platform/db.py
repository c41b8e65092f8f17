"""The database engine and the only place that sets the tenant.

All Piccolo tables bind to :data:`ENGINE`, which connects as the app role (no
BYPASSRLS, owns nothing). Tenant data is reached only inside :func:`tenant_tx`, which
sets ``app.tenant_id`` for that one transaction; with no tenant set, row-level security
returns no rows and refuses writes. One transaction pins one connection, so concurrent
resolvers each open their own short transaction.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from jogo.platform.errors import JogoError


class LoopLocalEngine(PostgresEngine):
    """A Piccolo engine with one asyncpg pool per event loop.

    A pool belongs to the loop that made it. The API serves on uvicorn's loop while
    Dramatiq's async actors run on the worker's loop thread, in the same process under
    ``jogo up``; each loop starts its own pool and Piccolo finds the right one.
    """

    def __init__(self) -> None:
        self._pools: dict[asyncio.AbstractEventLoop, asyncpg.Pool] = {}
        super().__init__(config={}, extensions=())

    @property
    def pool(self) -> asyncpg.Pool | None:
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
        else:
            self._pools[loop] = value


ENGINE = LoopLocalEngine()

# The tenant of the running transaction, for telemetry and for guarding nested use.
current_tenant_id: contextvars.ContextVar[uuid.UUID | None] = contextvars.ContextVar(
    "jogo_current_tenant_id", default=None
)


class DatabaseNotConfigured(JogoError):
    code = "DATABASE_NOT_CONFIGURED"


async def start_engine(app_url: str, pool_size: int = 10) -> None:
    """Point :data:`ENGINE` at the app role and open this loop's pool (idempotent)."""
    if ENGINE.pool is not None:
        if ENGINE.config.get("dsn") == app_url:
            return
        await ENGINE.close_connection_pool()
    ENGINE.config = {"dsn": app_url}
    ENGINE.pool = await asyncpg.create_pool(
        dsn=app_url, min_size=1, max_size=pool_size, command_timeout=60
    )


async def stop_engine() -> None:
    if ENGINE.pool is not None:
        await ENGINE.close_connection_pool()


def _require_pool() -> None:
    if ENGINE.pool is None:
        raise DatabaseNotConfigured("the database is not started (call start_engine first)")


def _as_uuid(tenant_id: uuid.UUID | str) -> uuid.UUID:
    return tenant_id if isinstance(tenant_id, uuid.UUID) else uuid.UUID(str(tenant_id))


@asynccontextmanager
async def tenant_tx(tenant_id: uuid.UUID | str) -> AsyncIterator[PostgresTransaction]:
    """One transaction in which row-level security admits exactly this tenant."""
    _require_pool()
    tid = _as_uuid(tenant_id)
    if ENGINE.current_transaction.get() is not None:
        # A nested tenant_tx would silently share (or switch) the outer tenant.
        raise RuntimeError("tenant_tx cannot be nested inside another transaction")
    async with ENGINE.transaction() as tx:
        await tx.connection.execute("SELECT set_config('app.tenant_id', $1, true)", str(tid))
        token = current_tenant_id.set(tid)
        try:
            yield tx
        finally:
            current_tenant_id.reset(token)


@asynccontextmanager
async def control_tx() -> AsyncIterator[PostgresTransaction]:
    """A transaction on control-plane tables only: no tenant is set, so RLS hides all."""
    _require_pool()
    if ENGINE.current_transaction.get() is not None:
        raise RuntimeError("control_tx cannot be nested inside another transaction")
    async with ENGINE.transaction() as tx:
        yield tx


async def fetch(sql: str, *args: Any) -> list[asyncpg.Record]:
    """Raw SQL on the current transaction, or on a pooled connection outside one."""
    tx = ENGINE.current_transaction.get()
    if tx is not None:
        rows: list[asyncpg.Record] = await tx.connection.fetch(sql, *args)
        return rows
    _require_pool()
    assert ENGINE.pool is not None
    async with ENGINE.pool.acquire() as conn:
        rows = await conn.fetch(sql, *args)
        return rows


async def ping() -> None:
    await fetch("SELECT 1")
