"""Stopping a worker is bounded (``jogo.workers.process.stop_worker``): a message that
will not finish, or a broker call that never returns, cannot hold ``jogo worker``'s
shutdown, ``jogo up``'s Ctrl-C or a test's teardown for ever; the stop says where it
was left."""

from __future__ import annotations

import threading
import time

import dramatiq
from dramatiq.brokers.stub import StubBroker

from jogo.workers.process import start_worker, stop_worker


def test_a_stop_that_overruns_its_bound_returns_where_it_hung():
    broker = StubBroker()
    broker.emit_after("process_boot")
    started, release = threading.Event(), threading.Event()

    @dramatiq.actor(broker=broker, actor_name="holds_the_stop")
    def holds_the_stop() -> None:
        started.set()
        release.wait(30)

    worker = start_worker(broker, threads=1)
    try:
        holds_the_stop.send()
        assert started.wait(10)
        began = time.monotonic()
        stack = stop_worker(worker, bound=0.5)
        assert time.monotonic() - began < 5
        assert stack is not None and "join" in stack
    finally:
        release.set()
    # Once the message ends, a stop within its bound answers None.
    quick = start_worker(broker, threads=1)
    assert stop_worker(quick) is None
    broker.close()
