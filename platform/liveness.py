"""Heartbeats of the long-lived loops of this process (relay, scheduler, the worker's
consumers and pool), for ``/healthz``.

A loop registers when it starts, beats each time it completes a pass, and leaves when
it stops. ``/healthz`` fails when a registered loop has not beaten for longer than
``JOGO_LIVENESS_SECONDS``: the loop is wedged (or its database has been away that
long), and a restart is what helps. Thread-safe: Dramatiq's consumers beat from their
own threads.
"""

from __future__ import annotations

import threading
import time


class Beat:
    """One loop's handle: call it after each completed pass; :meth:`close` when done."""

    def __init__(self, registry: Heartbeats, name: str) -> None:
        self._registry = registry
        self.name = name

    def __call__(self) -> None:
        """Record a completed pass of this loop."""
        self._registry.beat(self.name)

    def close(self) -> None:
        """Stop watching this loop (it stopped on purpose): ``/healthz`` no longer counts it."""
        self._registry.forget(self.name)


class Heartbeats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def register(self, name: str) -> Beat:
        """Start watching ``name`` (a start counts as a beat). Registering a name that is
        watched already returns a handle to the same entry."""
        with self._lock:
            self._last[name] = time.monotonic()
        return Beat(self, name)

    def beat(self, name: str) -> None:
        """Record a completed pass; a name that is not registered is ignored."""
        with self._lock:
            if name in self._last:
                self._last[name] = time.monotonic()

    def forget(self, name: str) -> None:
        """Stop watching ``name``; an unknown name is ignored."""
        with self._lock:
            self._last.pop(name, None)

    def stalled(self, max_age: float) -> dict[str, float]:
        """Loops whose last pass is older than ``max_age`` seconds → its age, seconds."""
        now = time.monotonic()
        with self._lock:
            ages = {name: now - last for name, last in self._last.items()}
        return {name: round(age, 1) for name, age in ages.items() if age > max_age}

    def names(self) -> list[str]:
        """The names of the watched loops, sorted."""
        with self._lock:
            return sorted(self._last)


HEARTBEATS = Heartbeats()
