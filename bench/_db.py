"""A throw-away database for one benchmark run, migrated, with the app engine on it."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from jogo.platform import db
from jogo.platform.migrate import migrate
from jogo.platform.settings import swap_user

ADMIN_URL = os.environ.get("JOGO_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def scratch_database() -> AsyncIterator[str]:
    name = f"jogo_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rpartition("/")[0] + "/" + name
    try:
        await migrate(url)
        await db.start_engine(swap_user(url, "jogo_app", None), pool_size=4)
        yield url
    finally:
        await db.stop_engine()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
