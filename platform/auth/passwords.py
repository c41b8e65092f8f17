"""Passwords and report PINs at rest.

**Passwords**: Argon2id (argon2-cffi defaults, RFC 9106 low-memory profile: 64 MiB, 3 passes,
about 50-200 ms of CPU per hash). At most :data:`ARGON2_CONCURRENCY` argon2 hashes or
verifications run at once in the whole process, whatever calls them: a burst of sign-ins
waits its turn instead of taking 64 MiB per caller (40 at once peaked one process at
1.18 GB, issue 18). Call them from async code as :func:`hash_password_async` /
:func:`verify_password_async`: those wait for a slot on the event loop (no thread is held
while waiting), then run the hash in a worker thread. The synchronous
:func:`hash_password` / :func:`verify_password` take a slot too (a process-wide
``threading.BoundedSemaphore``), so no caller gets past the bound.

**Report PINs** (8 digits, shown once to an anonymous reporter): HMAC-SHA256 under a key
derived with HKDF from ``JOGO_SECRET_KEY`` (info ``b"jogo report pin v1"``), stored as
``hmac-sha256$v1$<64 hex>`` (:func:`pin_hash`). The key is stored nowhere in the
database. Why not argon2: a PIN has only 10^8 values, so a memory-hard hash adds little
against an offline search (a copy of the database alone cannot even start one without the
key), while online guessing is stopped by the tracking rate limits. The HMAC costs
microseconds and no memory. The trade-off: a changed ``JOGO_SECRET_KEY`` makes every
HMAC PIN fail (``trackReport`` answers null), so rotate the key only together with a plan
for the open anonymous reports. PIN hashes stored as argon2 before issue 18 still verify
(:func:`check_pin`, under the argon2 bound) and are to be stored again in the HMAC form on
their first right answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import uuid
import weakref
from dataclasses import dataclass
from functools import cache

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jogo.platform.errors import InvalidInput

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("jogo-timing-equaliser")

MIN_LENGTH = 10
MAX_LENGTH = 256

# How many argon2 hashes (or verifications) run at once in one process, at most. Each
# takes 64 MiB while it runs: 2 keep a process's argon2 memory under 130 MiB. A caller
# beyond the bound waits for a slot (first come, first served on its event loop).
ARGON2_CONCURRENCY = 2
_slots = threading.BoundedSemaphore(ARGON2_CONCURRENCY)
# Per event loop: the waiting happens there, so a waiting caller holds no worker thread.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(ARGON2_CONCURRENCY)
    return limiter


def check_password_policy(
    password: str, username: str | None = None, *, field: str = "password"
) -> None:
    """10-256 characters, and not the username (in any letter case, or reversed).
    Errors: :class:`InvalidInput` on ``field``."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_LENGTH} characters", field=field)
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password must be at most {MAX_LENGTH} characters", field=field)
    if username and password.strip().lower() in (username.lower(), username.lower()[::-1]):
        raise InvalidInput("password must not be the username", field=field)


def hash_password(password: str, username: str | None = None, *, field: str = "password") -> str:
    """The Argon2id hash (PHC string) of a password that passes :func:`check_password_policy`.
    Raises :class:`InvalidInput` on ``field``. Blocks for a slot of the argon2 bound, then
    for the hash: from async code use :func:`hash_password_async`."""
    check_password_policy(password, username, field=field)
    with _slots:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``. With no hash (an unknown user) it verifies
    against a dummy hash and answers False, so both paths take the same time; a malformed hash is
    False, never an error. Blocks for a slot of the argon2 bound: from async code use
    :func:`verify_password_async`."""
    try:
        with _slots:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_async(
    password: str, username: str | None = None, *, field: str = "password"
) -> str:
    """:func:`hash_password` in a worker thread, once one of the :data:`ARGON2_CONCURRENCY`
    slots is free (the policy is checked first, without waiting)."""
    check_password_policy(password, username, field=field)
    return await anyio.to_thread.run_sync(
        lambda: hash_password(password, username, field=field), limiter=_limiter()
    )


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """:func:`verify_password` in a worker thread, once one of the :data:`ARGON2_CONCURRENCY`
    slots is free. An unknown user (no hash) costs the same argon2 check."""
    return await anyio.to_thread.run_sync(
        verify_password, password_hash, password, limiter=_limiter()
    )


# --- report PINs ---

PIN_HMAC = "hmac-sha256$v1$"
PIN_KEY_INFO = b"jogo report pin v1"


@cache
def _pin_key(secret_key: str) -> bytes:
    if not secret_key:
        raise ValueError("a report PIN needs the secret key (JOGO_SECRET_KEY)")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PIN_KEY_INFO).derive(
        secret_key.encode()
    )


def pin_hash(secret_key: str, report_id: uuid.UUID, pin: str) -> str:
    """The stored form of a report's PIN: ``hmac-sha256$v1$`` and 64 hex digits of
    HMAC-SHA256(HKDF(``secret_key``), ``report_id | pin``).

    The report id is in the message, so equal PINs of two reports store differently and a
    hash copied onto another report does not open it. The command (tenant) is not: a
    transferred report keeps its id, ticket and PIN hash in the command that takes it
    over, and its reporter's PIN must keep working there. ``ValueError`` without a
    ``secret_key``."""
    message = f"{report_id}|{pin}".encode()
    return PIN_HMAC + hmac.new(_pin_key(secret_key), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PinCheck:
    """``ok``: the PIN is right. ``upgrade``: the HMAC form to store instead of an argon2
    hash that just verified (None when nothing is to change)."""

    ok: bool
    upgrade: str | None = None


_NO_REPORT = uuid.UUID(int=0)


async def check_pin(
    stored: str | None, secret_key: str, report_id: uuid.UUID | None, pin: str
) -> PinCheck:
    """Whether ``pin`` opens the report ``report_id`` whose PIN is stored as ``stored``
    (:func:`pin_hash`, or an argon2 hash from before issue 18). Compared in constant time
    (``hmac.compare_digest``); with no report (``stored`` None: an unknown ticket) an HMAC
    is still computed, so the answer takes the same time as a wrong PIN. An argon2 hash is
    verified under the argon2 bound and, when right, comes back with its ``upgrade``."""
    if stored is not None and stored.startswith("$argon2"):
        if not await verify_password_async(stored, pin):
            return PinCheck(False)
        return PinCheck(True, pin_hash(secret_key, report_id or _NO_REPORT, pin))
    expected = pin_hash(secret_key, report_id or _NO_REPORT, pin)
    ok = hmac.compare_digest(expected.encode(), (stored or "").encode())
    return PinCheck(ok and stored is not None and report_id is not None)
