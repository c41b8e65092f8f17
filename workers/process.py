"""Starting and stopping the pieces that run beside the API: the Dramatiq worker and
the relay. Used by ``jogo worker``, ``jogo relay`` and ``jogo up``."""

from __future__ import annotations

import dramatiq

from jogo.platform.settings import Settings

WORKER_THREADS = 8
# On stop, running messages get this long to finish, then the consumers as long to end;
# the pool then closes within EngineMiddleware's bound. Well inside Kubernetes' 30 s.
STOP_TIMEOUT_MS = 10_000


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


def stop_worker(worker: dramatiq.Worker) -> None:
    """Stop taking messages, let the running ones finish (``STOP_TIMEOUT_MS``), hand the
    prefetched ones back to RabbitMQ, and only then close the actors' pool (bounded):
    nothing is dead-lettered for a closing pool, and a stuck pool can't hold the stop."""
    worker.stop(timeout=STOP_TIMEOUT_MS)
