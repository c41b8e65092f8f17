"""Signing in with a username and password, throttled by username and by client.

Each attempt is counted before the password is checked (atomically, in the database:
:mod:`jogo.platform.ratelimit`), so parallel guesses cannot slip past the limit, and a
throttled attempt never reaches argon2. An attempt that succeeds is taken back: only
failures add up. The username is counted whether or not it exists, and a throttled
caller reads the same answer either way.

Counting first means that sign-ins still being checked hold places too. So a refusal is
a *lockout* only when the window holds as many *confirmed* failures as the limit: then
the answer carries the window's ``Retry-After`` and the lockout is audited
(``auth.lockout``, once per window and scope; a username's lockout in the audit log of
every command the user belongs to). A sign-in that succeeds is audited ``auth.login``
the same way, once, when its session starts (:mod:`jogo.platform.auth.sessions`).
Otherwise the places are held by sign-ins still in flight, a *burst* (an integration
starting several workers at once, or parallel guesses not yet judged): ``Retry-After:
1``, no audit, and nothing is locked
by it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from jogo.platform.audit import write_audit, write_user_audit
from jogo.platform.auth.totp import record_lockout
from jogo.platform.auth.users import authenticate
from jogo.platform.errors import Unauthenticated
from jogo.platform.ratelimit import Hit, Limit, RateLimited

WINDOW_SECONDS = 15 * 60
_MESSAGE = (
    "Terlalu banyak percobaan masuk; coba lagi dalam {seconds} detik. / "
    "Too many sign-in attempts; try again in {seconds} s."
)
_BURST = (
    "Terlalu banyak percobaan masuk bersamaan; coba lagi sebentar lagi. / "
    "Too many sign-ins at once; try again in a moment."
)
# Failed sign-ins per username (any client), and per client (any username), per window.
BY_USERNAME = Limit("login-user", 10, WINDOW_SECONDS, _MESSAGE)
BY_CLIENT = Limit("login-client", 30, WINDOW_SECONDS, _MESSAGE)
# Confirmed failures (wrong credentials, judged), per username and per client: what a
# refusal is measured against to tell a lockout from a burst.
FAILED_USERNAME = Limit("login-user-failed", 1_000_000, WINDOW_SECONDS)
FAILED_CLIENT = Limit("login-client-failed", 1_000_000, WINDOW_SECONDS)
# One audit row per lockout: a place per scope and window.
AUDITED = Limit("login-lockout-audited", 1, WINDOW_SECONDS)


async def _count(
    limit: Limit, failed: Limit, value: str, scope: str, target: str, client: str
) -> Hit:
    """One place of ``limit`` for ``value``; a refusal tells a lockout from a burst."""
    try:
        return await limit.hit(value)
    except RateLimited as exc:
        if await failed.recent(value) < limit.limit:
            raise RateLimited(_BURST, retry_after=1) from None
        try:
            await AUDITED.hit(f"{scope}:{value}")
        except RateLimited:
            pass  # this lockout is audited already
        else:
            detail = {"scope": scope, "retry_after_s": exc.retry_after, "client": client}
            who = (f"client:{client}", "system")
            if scope == "username":  # in the audit log of every command of that user
                await write_user_audit(
                    "auth.lockout", value, actor=who, target=target, detail=detail
                )
                await record_lockout(value, client)  # shown to the user (me.securityEvents)
            else:
                await write_audit("auth.lockout", actor=who, target=target, detail=detail)
        raise


def _username_key(username: str) -> str:
    return (username or "").strip().lower()


T = TypeVar("T")


async def throttled(username: str, client: str | None, check: Callable[[], Awaitable[T]]) -> T:
    """Run ``check`` (a password or a second-factor code of ``username``) under the sign-in
    limits: counted first, refunded when it succeeds; an :class:`Unauthenticated` from it
    is a confirmed failure of the username and the client. Errors:
    :class:`~jogo.platform.ratelimit.RateLimited` as for :func:`sign_in`, and what
    ``check`` raises."""
    name = _username_key(username)
    where = client or "unknown"
    # The client first: a caller rotating usernames is stopped without touching them.
    by_client = await _count(BY_CLIENT, FAILED_CLIENT, where, "client", f"client:{where}", where)
    try:
        by_name = await _count(
            BY_USERNAME, FAILED_USERNAME, name, "username", f"user:{ascii(name[:64])[1:-1]}", where
        )
    except RateLimited:
        await BY_CLIENT.refund(by_client)  # nothing was tried
        raise
    try:
        found = await check()
    except Unauthenticated:
        await FAILED_USERNAME.hit(name)
        await FAILED_CLIENT.hit(where)
        raise
    await BY_USERNAME.refund(by_name)
    await BY_CLIENT.refund(by_client)
    return found


async def sign_in(username: str, password: str, client: str | None) -> tuple[uuid.UUID, str]:
    """The user's id and name for right credentials.

    Errors: :class:`~jogo.platform.ratelimit.RateLimited` (``retry_after`` seconds) when
    this client or this username has failed too often in the window, whatever the
    password, or when its places are held by sign-ins still in flight (``retry_after``
    1); :class:`~jogo.platform.errors.Unauthenticated` for any wrong credential.
    A right password may still need a second factor:
    :func:`jogo.platform.auth.totp.second_factor_needed`.
    """
    name = _username_key(username)
    return await throttled(username, client, lambda: authenticate(name, password))
