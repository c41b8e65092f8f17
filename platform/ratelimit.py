"""Counted limits, atomic in the database, so they hold under parallel calls and across
every API replica.

A :class:`Limit` allows at most ``limit`` hits per key in any ``window_seconds`` (a
sliding window). Each key has one row with the times of its recent hits. One statement
(``INSERT … ON CONFLICT … DO UPDATE``) locks that row, drops the hits older than the
window, and adds this one only if fewer than ``limit`` remain: two parallel calls can
never both read "2 of 3" and both go ahead. A refused hit is not recorded (the row
never holds more than ``limit`` times) but counted in ``refused``, so the first refusal
after an accepted hit is known (to audit a lockout). The same statement removes a few
expired rows of other keys, so the table stays small without a job.

Keys are hashed (SHA-256): whatever a caller sends (a username of any length, control
characters) becomes a short, safe key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from jogo.platform import db
from jogo.platform.errors import JogoError

PURGE_BATCH = 20
MAX_REFUSED = 1_000_000

_RECENT = (
    "ARRAY(SELECT t FROM unnest(r.hits) t WHERE t > now() - make_interval(secs => $2) ORDER BY t)"
)
_HIT_SQL = f"""
WITH purged AS (
    DELETE FROM rate_limits WHERE ctid IN (
        SELECT ctid FROM rate_limits WHERE expires_at < now() AND key <> $1
        ORDER BY expires_at LIMIT $4 FOR UPDATE SKIP LOCKED)
)
INSERT INTO rate_limits AS r (key, hits, refused, expires_at)
VALUES ($1, ARRAY[now()], 0, now() + make_interval(secs => $2))
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN cardinality({_RECENT}) < $3 THEN {_RECENT} || now() ELSE {_RECENT} END,
    refused = CASE WHEN cardinality({_RECENT}) < $3 THEN 0
                   ELSE least(r.refused + 1, {MAX_REFUSED}) END,
    expires_at = now() + make_interval(secs => $2)
RETURNING r.refused, now() AS at,
    greatest(1, ceil(extract(epoch FROM
        r.hits[1] + make_interval(secs => $2) - now())))::int AS retry_after
"""


class RateLimited(JogoError):
    """Over a limit. ``retry_after``: whole seconds until one more hit is allowed (HTTP
    ``Retry-After``). ``first``: the first refusal since the last accepted hit (a
    lockout starts)."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int = 60, first: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.first = first


@dataclass(frozen=True)
class Hit:
    """An accepted hit: its key and its time (to take it back with :meth:`Limit.refund`)."""

    key: str
    at: datetime


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` hits per key in any ``window_seconds``.

    ``name`` keeps the keys of different limits apart; ``message`` is what a refused
    caller reads, with ``{seconds}`` and ``{minutes}`` filled in.
    """

    name: str
    limit: int
    window_seconds: int
    message: str = (
        "Terlalu banyak percobaan; coba lagi dalam {seconds} detik. / "
        "Too many attempts; try again in {seconds} s."
    )

    def key(self, value: str) -> str:
        """The counter key for ``value`` under this limit: ``<name>:`` and the first 40 hex digits
        of its SHA-256, so usernames and addresses are not stored in clear."""
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return f"{self.name}:{digest}"

    async def hit(self, value: str) -> Hit:
        """Count one hit for ``value`` (in the caller's transaction, if there is one).

        Returns the accepted :class:`Hit`; raises :class:`RateLimited` when ``limit``
        hits of this key already fall within the window.
        """
        key = self.key(value)
        rows = await db.fetch(_HIT_SQL, key, self.window_seconds, self.limit, PURGE_BATCH)
        row = rows[0]
        if row["refused"]:
            seconds = int(row["retry_after"])
            raise RateLimited(
                self.message.format(seconds=seconds, minutes=max(1, -(-seconds // 60))),
                retry_after=seconds,
                first=row["refused"] == 1,
            )
        return Hit(key, row["at"])

    async def recent(self, value: str) -> int:
        """How many hits of ``value`` fall within the window now (reads only)."""
        rows = await db.fetch(
            "SELECT cardinality(ARRAY(SELECT t FROM unnest(hits) t "
            "WHERE t > now() - make_interval(secs => $2))) AS n FROM rate_limits WHERE key = $1",
            self.key(value),
            self.window_seconds,
        )
        return int(rows[0]["n"]) if rows else 0

    async def refund(self, hit: Hit) -> None:
        """Take an accepted hit back (a sign-in that succeeded): only failures count."""
        await db.fetch(
            "UPDATE rate_limits SET hits = array_remove(hits, $2) WHERE key = $1",
            hit.key,
            hit.at,
        )
