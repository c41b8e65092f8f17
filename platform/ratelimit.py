"""A small in-process rate limiter (fixed windows), for guessable secrets such as the
8-digit tracking PIN. Per process: behind several replicas the effective limit is
multiplied by their number, which still makes guessing a PIN hopeless."""

from __future__ import annotations

import time
from collections import OrderedDict

from jogo.platform.errors import JogoError

MAX_KEYS = 100_000


class RateLimited(JogoError):
    code = "RATE_LIMITED"


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def hit(self, key: str) -> None:
        """Count one attempt; :class:`RateLimited` once the window's limit is reached."""
        now = time.monotonic()
        start, count = self._hits.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        if count >= self.limit:
            wait = int(self.window - (now - start)) + 1
            raise RateLimited(f"too many attempts; try again in {wait} s")
        self._hits[key] = (start, count + 1)
        self._hits.move_to_end(key)
        while len(self._hits) > MAX_KEYS:
            self._hits.popitem(last=False)
