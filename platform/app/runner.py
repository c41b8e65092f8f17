"""``jogo up`` and ``jogo serve``: the processes, on one event loop, stopped by Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import stat
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import uvicorn

from jogo.graphql.http import MAX_BODY
from jogo.platform import db
from jogo.platform.app.bootstrap import DEMO_SLUG, DemoLogin, connect, seed_demo
from jogo.platform.app.factory import create_app, create_health_app
from jogo.platform.app.links import bound_base
from jogo.platform.app.scheduler import run_scheduler
from jogo.platform.errors import SettingsError
from jogo.platform.notify import HUB
from jogo.platform.settings import Settings
from jogo.workers.broker import make_broker
from jogo.workers.process import load_actors, start_worker, stop_worker
from jogo.workers.relay import Relay

log = logging.getLogger("jogo.up")
GRACE_SECONDS = 20
# On SIGTERM (Kubernetes allows 30 s): the relay and scheduler tasks get this long to end,
# the worker its own bounded stop (jogo.workers.process), the pool CLOSE_SECONDS.
TASK_STOP_SECONDS = 5.0
CLOSE_SECONDS = 5.0
# What /readyz of each part checks: the relay moves rows from the database to the
# broker, the worker takes messages from the broker and writes the database, the
# scheduler writes the outbox only.
NEEDS = {
    "relay": ("database", "broker"),
    "worker": ("broker", "database"),
    "scheduler": ("database",),
}


class _Server(uvicorn.Server):
    """uvicorn whose SIGINT/SIGTERM stop it gracefully and then return normally (uvicorn
    itself re-raises the signal after shutting down, so the process would die by it)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


def api_config(app: Any, host: str, port: int, **overrides: Any) -> uvicorn.Config:
    """How ``jogo up`` and ``jogo serve`` run the API under uvicorn (``overrides`` for
    tests). On SIGTERM uvicorn stops accepting, lets requests in flight finish, and
    closes what is still open (live subscriptions) after the grace period, inside
    Kubernetes' 30 s. uvicorn's own proxy-header rule is off (it would believe
    ``X-Forwarded-For`` from 127.0.0.1): the app alone decides whom to believe
    (``JOGO_TRUSTED_PROXIES``, :mod:`jogo.platform.clients`). WebSocket messages are not
    compressed (permessage-deflate off)."""
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "lifespan": "on",
        "timeout_graceful_shutdown": GRACE_SECONDS,
        "proxy_headers": False,
        # A socket message is a GraphQL request: the same bound as an HTTP body
        # (uvicorn's default is 16 MiB); a bigger one closes the socket with 1009.
        "ws_max_size": MAX_BODY,
        # permessage-deflate compressed every live message once per socket: most of the
        # CPU of a delivery to hundreds of screens (issue 19). GraphQL messages are small.
        "ws_per_message_deflate": False,
    }
    return uvicorn.Config(app, **(options | overrides))


def _listen(host: str, port: int) -> socket.socket:
    """The API's listening socket, bound before anything starts: a busy port stops the
    command with one line, and port 0 gets a free port whose number links then use."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise SettingsError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    # Accepted connections inherit it. Without it, a response written as headers then
    # body waited for the client's delayed ACK: about 40 ms on every request (issue 18).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


async def _serve(
    settings: Settings,
    host: str,
    sock: socket.socket,
    listeners: dict[str, db.ListenerCheck] | None = None,
) -> None:
    # The engine is already started: start_engine is idempotent.
    app = create_app(settings, listeners=listeners)
    config = api_config(app, host, sock.getsockname()[1])
    await _Server(config).serve(sockets=[sock])


def _announce(settings: Settings, login: DemoLogin | None, base: str, embedded: bool) -> None:
    lines = [
        f"Jogo Indonesia Presisi on {base}",
        f"  citizen app: {base}/t/{DEMO_SLUG}/",
        f"  operator console: {base}/t/{DEMO_SLUG}/console/",
        f"  national dashboard: {base}/national/",
        f"  platform admin: {base}/platform/",
        f"  GraphiQL: {base}/t/{DEMO_SLUG}/graphql",
    ]
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


@contextlib.asynccontextmanager
async def _background(
    settings: Settings,
    *,
    worker: bool,
    relay: bool,
    scheduler: bool,
    bound: str | None = None,
    listeners: dict[str, db.ListenerCheck] | None = None,
) -> Any:
    """The Dramatiq worker (threads), the relay and the scheduler beside the caller.
    ``bound``: where the API of this process listens, the worker's public URL (its
    agencies' ``callback_url``) when ``JOGO_PUBLIC_URL`` is not set. The relay's LISTEN
    connection is added to ``listeners`` (what ``/readyz`` proves)."""
    broker = make_broker(
        settings.amqp_url,
        settings.resolved_app_url(),
        settings.db_pool_size,
        queue_type=settings.queue_type,
        acquire_timeout=settings.db_acquire_timeout,
        statement_cache_size=settings.db_statement_cache_size,
    )
    if settings.public_url is None and bound is not None:
        load_actors(replace(settings, public_url=bound))
    else:
        load_actors(settings)
        if worker and settings.public_url is None:
            log.warning("JOGO_PUBLIC_URL is not set: agency deliveries carry no callback_url")
    running = start_worker(broker) if worker else None
    relay_runner = Relay(broker) if relay else None
    tasks = []
    if relay_runner is not None:
        if listeners is not None:
            listeners["relay"] = relay_runner.prove_listening
        tasks.append(asyncio.create_task(relay_runner.run_forever(), name="jogo-relay"))
    if scheduler:
        tasks.append(asyncio.create_task(run_scheduler(), name="jogo-scheduler"))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        if tasks:
            # A cancelled loop ends at its next await; whatever it is blocked in, we do
            # not wait for it longer than this.
            _, stuck = await asyncio.wait(tasks, timeout=TASK_STOP_SECONDS)
            for task in stuck:
                log.warning("%s did not stop within %.0f s", task.get_name(), TASK_STOP_SECONDS)
        if relay_runner is not None:
            relay_runner.close()
        if running is not None:
            await asyncio.to_thread(stop_worker, running)


async def run_up(settings: Settings, *, host: str, port: int) -> int:
    """``jogo up``: bind ``host:port`` (0 picks a free port), start or join the database and migrate
    it, seed the demo tenant on a fresh database, then run the API with the worker, relay and
    scheduler until Ctrl-C. Returns 0; a busy port or an unavailable database raises before anything
    starts."""
    embedded = settings.embedded
    sock = _listen(host, port)
    bound = bound_base(host, sock.getsockname()[1])
    try:
        settings = await connect(settings, run_migrations=True, create=True)
    except BaseException:
        sock.close()
        raise
    listeners: dict[str, db.ListenerCheck] = {}
    try:
        login = await seed_demo()
        async with _background(
            settings, worker=True, relay=True, scheduler=True, bound=bound, listeners=listeners
        ):
            _announce(settings, login, bound, embedded)
            await _serve(settings, host, sock, listeners)
    finally:
        await HUB.close()
        await db.stop_engine()
    return 0


class _ProbeServer(uvicorn.Server):
    """uvicorn without its own signal handling: the part's handlers decide when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_part(settings: Settings, part: str) -> int:
    """``jogo worker``, ``jogo relay`` or ``jogo scheduler``, until SIGINT or SIGTERM.

    On a signal the part finishes what it holds and stops: the relay marks only the
    batch RabbitMQ confirmed (an unconfirmed one is published again, and actors are
    idempotent); the worker stops taking messages, lets running ones finish within its
    timeout, and RabbitMQ redelivers whatever was not acknowledged."""
    settings = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    probes: _ProbeServer | None = None
    probe_task: asyncio.Task[None] | None = None
    listeners: dict[str, db.ListenerCheck] = {}
    if settings.health_port:
        config = uvicorn.Config(
            create_health_app(settings, NEEDS[part], listeners),
            host="0.0.0.0",  # noqa: S104  (probes come from the kubelet, off-host)
            port=settings.health_port,
            log_level="warning",
            lifespan="off",
            proxy_headers=False,
        )
        probes = _ProbeServer(config)
        probe_task = asyncio.create_task(probes.serve(), name="jogo-probes")
    try:
        async with _background(
            settings,
            worker=part == "worker",
            relay=part == "relay",
            scheduler=part == "scheduler",
            listeners=listeners,
        ):
            log.info("jogo %s running", part)
            await stop.wait()
            log.info("jogo %s stopping", part)
    finally:
        if probes is not None and probe_task is not None:
            probes.should_exit = True
            await probe_task
        await db.stop_engine(CLOSE_SECONDS)
    return 0


async def run_serve(settings: Settings, *, host: str, port: int) -> int:
    """``jogo serve``: bind ``host:port``, connect to the database (no migrations unless embedded)
    and run only the API until Ctrl-C. Returns 0."""
    sock = _listen(host, port)
    try:
        settings = await connect(settings)
    except BaseException:
        sock.close()
        raise
    try:
        await _serve(settings, host, sock)
    finally:
        await HUB.close()
        await db.stop_engine()
    return 0
