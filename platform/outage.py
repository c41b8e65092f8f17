"""Outages of the database (and the broker): how to recognise one, and how a long-lived
loop waits for it to end.

:func:`is_unavailable` says whether an exception means "the backing service is away
for now" (down, restarting, connection lost, refused, pool closing) rather than a bug.
HTTP answers those with 503, GraphQL with a typed ``UNAVAILABLE`` error, workers retry
them without counting them against the message's retries.

:class:`Backoff` paces a loop that keeps failing: exponential delays with jitter and a
cap, and one log line when the state changes (failing, failing differently, recovered),
never one traceback per pass.
"""

from __future__ import annotations

import errno
import logging
import random
from dataclasses import dataclass, field

import asyncpg

from jogo.platform.db import DatabaseUnavailable

# SQLSTATEs of a server that can't serve now: class 08 (connection exception), and the
# operator-intervention ones of a shutdown, a crash restart and a start-up in progress;
# too many clients.
_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# asyncpg's client-side words for a connection or pool that is gone (a pooled
# connection the server ended is detached from its proxy: "released back to the pool"),
# and for a protocol left in a broken state when the server ended the session under it
# (a shutdown's FATAL arriving between two statements; MagicStack/asyncpg#1069,
# sqlalchemy#13241).
_INTERFACE_WORDS = (
    "pool is closing",
    "pool is closed",
    "connection is closed",
    "was closed",
    "released back to the pool",
)
_PROTOCOL_WORDS = ("cannot switch to state", "unknown protocol state")
UNAVAILABLE_MESSAGE = (
    "basis data tidak tersedia, coba lagi sebentar lagi / "
    "the database is unavailable, try again shortly"
)


def is_unavailable(exc: BaseException | None) -> bool:
    """True for an outage of a backing service, looking through ``raise ... from``
    chains (a few links, not past ``from None``): :class:`DatabaseUnavailable`, an
    ``OSError`` of the network (refused, reset, timed out; not a file-system error), a
    PostgreSQL connection exception (SQLSTATE class 08), 57P01-57P03
    (shutting down, crashed, starting up), 53300 (too many clients), asyncpg's
    "connection is closed" / "pool is closing", and its protocol broken by a session
    the server ended ("cannot switch to state ...")."""
    for _ in range(5):
        if exc is None:
            return False
        if isinstance(exc, DatabaseUnavailable) or _network_error(exc):
            return True
        if isinstance(exc, asyncpg.PostgresError):
            state = exc.sqlstate or ""
            if state.startswith("08") or state in _SQLSTATES:
                return True
        if isinstance(exc, asyncpg.InterfaceError) and any(
            word in str(exc) for word in _INTERFACE_WORDS
        ):
            return True
        if isinstance(exc, asyncpg.InternalClientError) and any(
            word in str(exc) for word in _PROTOCOL_WORDS
        ):
            return True
        # ``raise ... from None`` says the context is not the cause: don't follow it.
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return False


# OSErrors of the file system, not of a connection: a full disk or a missing file is a
# fault to see, never "the database is unavailable".
_LOCAL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EMFILE})
_LOCAL_ERRORS = (
    FileNotFoundError,
    FileExistsError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
)


def _network_error(exc: BaseException) -> bool:
    """An OSError of reaching a server (refused, reset, timed out, unreachable, name
    not resolved, asyncpg's "Multiple exceptions" of several addresses)."""
    if not isinstance(exc, OSError) or isinstance(exc, _LOCAL_ERRORS):
        return False
    return exc.errno not in _LOCAL_ERRNOS


def as_unavailable(exc: BaseException) -> DatabaseUnavailable:
    """The typed error (code ``UNAVAILABLE``) to show for an outage, chained to ``exc``."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    typed = DatabaseUnavailable(UNAVAILABLE_MESSAGE)
    typed.__cause__ = exc
    return typed


def describe(exc: BaseException) -> str:
    """One line for a log: the exception's type and its first line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@dataclass
class Backoff:
    """Pacing for a loop whose passes fail: :meth:`failed` returns how many seconds to
    wait (``first`` doubled per failure, capped at ``cap``, each delay drawn uniformly
    from its upper half so that replicas do not retry in step), :meth:`succeeded`
    resets it. Logs once when the loop starts failing, once when it fails differently
    (another exception type), once when it recovers; repeats go to DEBUG. An outage is
    a WARNING without a traceback; anything else, a bug, an ERROR with one."""

    name: str
    log: logging.Logger
    first: float = 0.5
    cap: float = 30.0
    failures: int = 0
    _kind: str | None = field(default=None, repr=False)

    def failed(self, exc: BaseException) -> float:
        """Count a failed pass, log it as the class describes, and return the delay before the next
        one in seconds: uniform in the upper half of ``first * 2**(n-1)`` capped at ``cap``, for the
        n-th failure in a row."""
        kind = type(exc).__name__
        if kind != self._kind:
            if is_unavailable(exc):
                self.log.warning(
                    "%s: a backing service is unavailable (%s); retrying with backoff up to %.0f s",
                    self.name,
                    describe(exc),
                    self.cap,
                )
            else:
                self.log.error(
                    "%s: pass failed; retrying with backoff up to %.0f s",
                    self.name,
                    self.cap,
                    exc_info=exc,
                )
        else:
            self.log.debug(
                "%s: still failing (%d): %s", self.name, self.failures + 1, describe(exc)
            )
        self._kind = kind
        self.failures += 1
        ceiling = min(self.cap, self.first * 2 ** min(self.failures - 1, 30))
        return random.uniform(ceiling / 2, ceiling)

    def succeeded(self) -> None:
        """Reset after a pass that worked, logging the recovery (a WARNING naming how many passes
        failed) if there were failures."""
        if self.failures:
            self.log.warning("%s: recovered after %d failed passes", self.name, self.failures)
        self.failures = 0
        self._kind = None
