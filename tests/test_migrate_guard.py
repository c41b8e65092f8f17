"""``jogo db migrate`` refuses to go on when an applied migration is not the one that ran
(``jogo.platform.migrate``): its recorded checksum no longer matches the file."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
from helpers import run_jogo

from jogo.platform.migrate import load_migrations, migrate

ADMIN_URL = os.environ.get("JOGO_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def test_an_applied_migration_that_changed_stops_migrate(database):
    name = f"jogo_test_guard_{uuid.uuid4().hex[:8]}"
    url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await migrate(url)
        again = await asyncio.to_thread(run_jogo, ["db", "migrate"], url)
        assert again.returncode == 0, again.stderr  # unchanged: nothing to do
        first = load_migrations()[0]
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                "UPDATE jogo_migrations SET checksum = $1 WHERE version = $2",
                "0" * 64,
                first.version,
            )
        finally:
            await conn.close()
        result = await asyncio.to_thread(run_jogo, ["db", "migrate"], url)
        assert result.returncode == 1
        [line] = result.stderr.strip().splitlines()
        assert f"migration {first.version}_{first.name} changed after it ran" in line
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
