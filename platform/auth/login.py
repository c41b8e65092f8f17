"""Signing in with a username and password, throttled by username and by client.

Each attempt is counted before the password is checked (atomically, in the database:
:mod:`jogo.platform.ratelimit`), so parallel guesses cannot slip past the limit, and a
throttled attempt never reaches argon2. An attempt that succeeds is taken back: only
failures add up. The username is counted whether or not it exists, and a throttled
caller reads the same answer either way. The first refusal of a window is audited as a
lockout (``auth.lockout``).
"""

from __future__ import annotations

import uuid

from jogo.platform.audit import write_audit
from jogo.platform.auth.users import authenticate
from jogo.platform.ratelimit import Hit, Limit, RateLimited

WINDOW_SECONDS = 15 * 60
_MESSAGE = (
    "Terlalu banyak percobaan masuk; coba lagi dalam {seconds} detik. / "
    "Too many sign-in attempts; try again in {seconds} s."
)
# Failed sign-ins per username (any client), and per client (any username), per window.
BY_USERNAME = Limit("login-user", 10, WINDOW_SECONDS, _MESSAGE)
BY_CLIENT = Limit("login-client", 30, WINDOW_SECONDS, _MESSAGE)


def _username_key(username: str) -> str:
    return (username or "").strip().lower()


async def _count(limit: Limit, value: str, scope: str, target: str, client: str) -> Hit:
    try:
        return await limit.hit(value)
    except RateLimited as exc:
        if exc.first:
            await write_audit(
                "auth.lockout",
                actor=(f"client:{client}", "system"),
                target=target,
                detail={"scope": scope, "retry_after_s": exc.retry_after, "client": client},
            )
        raise


async def sign_in(username: str, password: str, client: str | None) -> tuple[uuid.UUID, str]:
    """The user's id and name for right credentials.

    Errors: :class:`~jogo.platform.ratelimit.RateLimited` (``retry_after`` seconds) when
    this client or this username has failed too often in the window, whatever the
    password; :class:`~jogo.platform.errors.Unauthenticated` for any wrong credential.
    """
    name = _username_key(username)
    where = client or "unknown"
    # The client first: a caller rotating usernames is stopped without touching them.
    by_client = await _count(BY_CLIENT, where, "client", f"client:{where}", where)
    try:
        by_name = await _count(
            BY_USERNAME, name, "username", f"user:{ascii(name[:64])[1:-1]}", where
        )
    except RateLimited:
        await BY_CLIENT.refund(by_client)  # no password was tried
        raise
    found = await authenticate(name, password)
    await BY_USERNAME.refund(by_name)
    await BY_CLIENT.refund(by_client)
    return found
