"""Starting and stopping the pieces that run beside the API: the Dramatiq worker and
the relay. Used by ``jogo worker``, ``jogo relay`` and ``jogo up``."""

from __future__ import annotations

import logging
import sys
import threading
import traceback

import dramatiq

from jogo.platform.settings import Settings

WORKER_THREADS = 8
# On stop, running messages get this long to finish, then the consumers as long to end;
# the pool then closes within EngineMiddleware's bound. Well inside Kubernetes' 30 s.
STOP_TIMEOUT_MS = 10_000
# Workers, then consumers, each get STOP_TIMEOUT_MS; then the pool's own bound.
STOP_BOUND_SECONDS = 2 * STOP_TIMEOUT_MS / 1000 + 10
log = logging.getLogger("jogo.workers")


def load_actors(settings: Settings | None = None) -> None:
    """Declare the actors on the current global broker (import order matters)."""
    from jogo.workers import actors

    if settings is not None:
        actors.configure(settings)


def start_worker(broker: dramatiq.Broker, threads: int = WORKER_THREADS) -> dramatiq.Worker:
    """Start a Dramatiq worker on ``broker`` with ``threads`` worker threads (default 8, polling
    every 250 ms) and return it; the caller stops it."""
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=250)
    worker.start()
    return worker


def stop_worker(worker: dramatiq.Worker, bound: float = STOP_BOUND_SECONDS) -> str | None:
    """Stop taking messages, let the running ones finish (``STOP_TIMEOUT_MS``), hand the
    prefetched ones back to RabbitMQ, and only then close the actors' pool (bounded):
    nothing is dead-lettered for a closing pool, and a stuck pool can't hold the stop.

    The whole stop is bounded too (``bound`` seconds): Dramatiq's own steps after the
    joins (requeueing, closing the consumers' AMQP channels) wait on the broker without
    a limit. Returns None when it stopped in time, else the stopping thread's stack,
    also logged, and leaves that daemon thread behind."""
    stopping = threading.Thread(
        target=worker.stop,
        kwargs={"timeout": STOP_TIMEOUT_MS},
        name="jogo-worker-stop",
        daemon=True,
    )
    stopping.start()
    stopping.join(bound)
    if not stopping.is_alive():
        return None
    frame = sys._current_frames().get(stopping.ident or 0)
    stack = "".join(traceback.format_stack(frame)) if frame is not None else "(no stack)"
    log.warning("the worker did not stop within %s s; left behind at:\n%s", bound, stack)
    return stack
