"""``jogo up`` and ``jogo serve``: the processes, on one event loop, stopped by Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import sys

import uvicorn

from jogo.platform import db
from jogo.platform.app.bootstrap import DEMO_SLUG, DemoLogin, connect, seed_demo
from jogo.platform.app.factory import create_app
from jogo.platform.app.scheduler import run_scheduler
from jogo.platform.notify import HUB
from jogo.platform.settings import Settings

log = logging.getLogger("jogo.up")


async def _serve(settings: Settings, host: str, port: int) -> None:
    app = create_app(settings)  # the engine is already started: start_engine is idempotent
    config = uvicorn.Config(app, host=host, port=port, log_level="info", lifespan="on")
    await uvicorn.Server(config).serve()


def _announce(
    settings: Settings, login: DemoLogin | None, host: str, port: int, embedded: bool
) -> None:
    base = f"http://{host}:{port}"
    lines = [f"Jogo Indonesia Presisi on {base}", f"  GraphiQL: {base}/t/{DEMO_SLUG}/graphql"]
    if login is not None and login.password:
        lines.append(f"  admin login: {login.username} / {login.password}")
        if embedded:
            path = settings.data_dir / "admin-login.txt"
            path.write_text(f"{login.username} {login.password}\n", encoding="utf-8")
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
            lines.append(f"  (also saved to {path}, readable by you only)")
    elif embedded:
        lines.append(f"  admin login: see {settings.data_dir / 'admin-login.txt'}")
    lines.append(f'  token: POST {base}/auth/token {{"username", "password"}}')
    print("\n".join(lines), file=sys.stderr, flush=True)


async def run_up(settings: Settings, *, host: str, port: int) -> int:
    embedded = settings.embedded
    settings = await connect(settings, run_migrations=True)
    scheduler = asyncio.create_task(run_scheduler(), name="jogo-scheduler")
    try:
        login = await seed_demo()
        _announce(settings, login, host, port, embedded)
        await _serve(settings, host, port)
    finally:
        scheduler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await scheduler
        await HUB.close()
        await db.stop_engine()
    return 0


async def run_scheduler_only(settings: Settings) -> int:
    await connect(settings)
    try:
        await run_scheduler()
    finally:
        await db.stop_engine()
    return 0


async def run_serve(settings: Settings, *, host: str, port: int) -> int:
    settings = await connect(settings)
    try:
        await _serve(settings, host, port)
    finally:
        await HUB.close()
        await db.stop_engine()
    return 0
