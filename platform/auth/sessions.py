"""Sessions that last a shift: rotating refresh tokens with reuse detection.

A sign-in opens a session (a row of ``auth_sessions``, the refresh tokens' *family*) and
answers an access token carrying the session id (``sid``) plus a refresh token. The
refresh token is 256 random bits (``jrt_…``); only its SHA-256 is stored.

- **Rotation.** ``POST /auth/refresh`` spends the refresh token and answers a new access
  token and a new refresh token. Spending is one ``UPDATE … WHERE used_at IS NULL``, so
  of parallel refreshes with one token exactly one rotates. The successor is derived,
  HMAC-SHA256(secret key, ``refresh|<session id>|<predecessor's SHA-256>``), so it can be
  computed again without storing it.
- **Retry.** A spent token presented again within ``JOGO_REFRESH_RETRY_SECONDS`` (30 s)
  of its rotation, while its successor is unused, is a retry (a lost response, a second
  tab, the losers of a parallel refresh): it answers the same successor again.
- **Reuse.** Any other spent token presented again (later, or after its successor was
  used) means two holders have it: the whole session is revoked, audited
  (``auth.refresh_reuse``), and its access tokens and live feeds end at once.
- **Lifetimes.** ``JOGO_REFRESH_TTL_SECONDS`` (12 h, a shift) from sign-in, and
  ``JOGO_REFRESH_IDLE_SECONDS`` (2 h) since the last refresh.
- **Logout** revokes the session (``auth.logout``).
- **Second factor made mandatory.** A session of a user who must now enrol TOTP
  (their command made it mandatory, or ``JOGO_STAFF_TOTP_REQUIRED``) and has not is not
  refreshed (401): its access token serves out its ``JOGO_TOKEN_TTL_SECONDS``, then the
  user signs in again and is asked to enrol. The session is not revoked: turning the
  policy off again lets it refresh.

Revoking a session refuses its access tokens on the next request (the session is read
with the user in one query) and closes its sockets through
:func:`jogo.platform.auth.revocation.announce`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from jogo.platform import db
from jogo.platform.audit import write_audit, write_user_audit
from jogo.platform.auth.revocation import announce
from jogo.platform.auth.tokens import issue_token
from jogo.platform.auth.totp import (
    Challenge,
    note_device,
    open_challenge,
    second_factor_needed,
)
from jogo.platform.errors import Unauthenticated
from jogo.platform.settings import Settings

PREFIX = "jrt_"
ENDED = "the session has ended; sign in again"
ENROL_FIRST = (
    "Komando Anda kini mewajibkan verifikasi dua langkah: masuk lagi dan daftarkan "
    "aplikasi autentikator. / Your command now requires two-step verification: sign in "
    "again and enrol an authenticator app."
)
# Each sign-in deletes this many sessions that ended over a day ago (their refresh tokens
# go with them), so the tables hold about a day of history without a job.
PURGE_BATCH = 20


@dataclass(frozen=True)
class Issued:
    """What a sign-in or a refresh answers."""

    access_token: str
    expires_in: int  # seconds
    refresh_token: str
    refresh_expires_in: int  # seconds until the session's absolute end
    session_id: uuid.UUID

    def body(self) -> dict[str, object]:
        """The ``/auth/token`` answer in OAuth 2.0 token-response shape (RFC 6749 section 5.1):
        ``access_token``, ``token_type`` ``bearer``, ``expires_in`` (seconds), ``refresh_token`` and
        ``refresh_expires_in`` (seconds)."""
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "refresh_expires_in": self.refresh_expires_in,
        }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _new_refresh() -> str:
    return PREFIX + secrets.token_urlsafe(32)


async def _issue(session_id: uuid.UUID) -> tuple[str, int]:
    """A fresh refresh token of the session (stored), and the seconds the session has left."""
    token = _new_refresh()
    rows = await db.fetch(
        "WITH t AS (INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2))"
        " SELECT greatest(0, extract(epoch FROM expires_at - now()))::int AS left_s"
        " FROM auth_sessions WHERE id = $2",
        _digest(token),
        session_id,
    )
    return token, int(rows[0]["left_s"])


async def start_session(
    user_id: uuid.UUID,
    username: str,
    settings: Settings,
    client: str | None,
    *,
    device: str | None = None,
) -> Issued:
    """A new session for a user who just proved who they are. With ``device`` (a
    fingerprint, :func:`jogo.platform.auth.totp.device_of`) a device not seen before is
    audited and shown to the user (:func:`jogo.platform.auth.totp.note_device`)."""
    session_id = uuid.uuid4()
    async with db.control_tx():
        await db.fetch(
            "DELETE FROM auth_sessions WHERE id IN (SELECT id FROM auth_sessions"
            " WHERE expires_at < now() - interval '1 day'"
            " ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)",
            PURGE_BATCH,
        )
        await db.fetch(
            "INSERT INTO auth_sessions (id, user_id, expires_at, idle_until, client)"
            " VALUES ($1, $2, now() + make_interval(secs => $3),"
            " now() + make_interval(secs => least($3, $4)), $5)",
            session_id,
            user_id,
            settings.refresh_ttl_seconds,
            settings.refresh_idle_seconds,
            (client or "")[:64] or None,
        )
        refresh, left = await _issue(session_id)
        # One row per sign-in, in each command the user belongs to (its own audit log).
        await write_user_audit(
            "auth.login",
            username,
            actor=(username, "user"),
            target=f"user:{username}",
            detail={"client": client, "session": str(session_id)},
        )
        await note_device(user_id, username, client, device)
    access = issue_token(
        user_id, username, settings.secret_key, settings.token_ttl_seconds, session_id=session_id
    )
    return Issued(access.token, access.expires_in, refresh, left, session_id)


async def after_password(
    user_id: uuid.UUID,
    username: str,
    settings: Settings,
    client: str | None,
    device: str | None,
) -> Challenge | Issued:
    """After a right password: a second-factor challenge when the user has TOTP on or must
    enrol (:mod:`jogo.platform.auth.totp`), else a new session (:func:`start_session`)."""
    need = await second_factor_needed(user_id, settings)
    if need is not None:
        return await open_challenge(user_id, need, client, device)
    return await start_session(user_id, username, settings, client, device=device)


def _successor(session_id: uuid.UUID, digest: str, settings: Settings) -> str:
    """The refresh token that rotating the token with SHA-256 ``digest`` issues: derived,
    not random, so a retry of that rotation can answer it again without it being stored."""
    mac = hmac.new(
        settings.secret_key.encode(), f"refresh|{session_id}|{digest}".encode(), hashlib.sha256
    )
    return PREFIX + base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


# The session (locked), its user, whether it may still refresh, and the seconds it has left.
_SESSION = (
    "SELECT s.user_id, u.username, greatest(0, extract(epoch FROM s.expires_at - now()))::int"
    " AS left_s, (s.revoked_at IS NULL AND s.expires_at > now() AND s.idle_until > now()"
    "  AND u.is_active"
    "  AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)) AS live"
    " FROM auth_sessions s JOIN users u ON u.id = s.user_id"
    " WHERE s.id = $1 FOR UPDATE OF s"
)


async def _answer(session_id: uuid.UUID, refresh: str, settings: Settings) -> Issued:
    """Inside the transaction: check the session is live and its user need not enrol a
    second factor first, then a fresh access token with ``refresh`` (raises
    :class:`Unauthenticated` otherwise)."""
    rows = await db.fetch(_SESSION, session_id)
    if not rows or not rows[0]["live"]:
        raise Unauthenticated(ENDED)
    if await second_factor_needed(rows[0]["user_id"], settings) == "enrol":
        raise Unauthenticated(ENROL_FIRST)
    access = issue_token(
        rows[0]["user_id"],
        rows[0]["username"],
        settings.secret_key,
        settings.token_ttl_seconds,
        session_id=session_id,
    )
    return Issued(access.token, access.expires_in, refresh, int(rows[0]["left_s"]), session_id)


async def refresh_session(token: str, settings: Settings) -> Issued:
    """Spend ``token`` for a new access and refresh token of the same session.

    A retry: the token was rotated at most ``settings.refresh_retry_seconds`` ago and its
    successor is not used yet, so the same successor is answered again (with a fresh
    access token). Parallel refreshes with one token therefore all get that successor.

    Errors (all :class:`Unauthenticated`, HTTP 401): an unknown token; a spent one that is
    not a retry (the session is revoked as reused, then refused); a revoked, expired or
    idle session; a user who is disabled or belongs nowhere any more, or who must enrol
    a second factor first (:data:`ENROL_FIRST`; the token stays unspent).
    """
    if not token.startswith(PREFIX) or len(token) > 200:
        raise Unauthenticated("the refresh token is invalid")
    digest = _digest(token)
    reused: tuple[uuid.UUID, uuid.UUID] | None = None
    async with db.control_tx():
        # One statement decides the rotation: a parallel twin waits on the row lock, then
        # finds it spent and takes the retry path below.
        spent = await db.fetch(
            "UPDATE refresh_tokens SET used_at = now()"
            " WHERE token_hash = $1 AND used_at IS NULL RETURNING session_id",
            digest,
        )
        if spent:
            session_id = spent[0]["session_id"]
            successor = _successor(session_id, digest, settings)
            issued = await _answer(session_id, successor, settings)
            await db.fetch(
                "UPDATE auth_sessions SET idle_until ="
                " least(expires_at, now() + make_interval(secs => $2)) WHERE id = $1",
                session_id,
                settings.refresh_idle_seconds,
            )
            await db.fetch(
                "INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)",
                _digest(successor),
                session_id,
            )
            return issued
        known = await db.fetch(
            "SELECT session_id, used_at > now() - make_interval(secs => $2) AS recent"
            " FROM refresh_tokens WHERE token_hash = $1",
            digest,
            settings.refresh_retry_seconds,
        )
        if known:
            session_id = known[0]["session_id"]
            if known[0]["recent"]:
                successor = _successor(session_id, digest, settings)
                # The successor's row lock (taken before the session's, the order a
                # rotation takes them in) orders this retry against the successor's use.
                nxt = await db.fetch(
                    "SELECT used_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
                    _digest(successor),
                )
                if nxt and nxt[0]["used_at"] is None:
                    return await _answer(session_id, successor, settings)
            owner = await db.fetch(
                "SELECT user_id FROM auth_sessions WHERE id = $1 AND revoked_at IS NULL FOR UPDATE",
                session_id,
            )
            if owner:
                reused = (session_id, owner[0]["user_id"])
                await _revoke(reused[0], "reuse")
                await announce("user", reused[1])
                await write_audit(
                    "auth.refresh_reuse",
                    actor=(f"user:{reused[1]}", "system"),
                    target=f"session:{reused[0]}",
                    detail={"user_id": str(reused[1])},
                )
    if reused is not None:
        raise Unauthenticated(
            "the refresh token was already used; the session is ended for safety, sign in again"
        )
    raise Unauthenticated("the refresh token is invalid")


async def _revoke(session_id: uuid.UUID, reason: str) -> bool:
    rows = await db.fetch(
        "UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2"
        " WHERE id = $1 AND revoked_at IS NULL RETURNING id",
        session_id,
        reason,
    )
    return bool(rows)


async def end_session(session_id: uuid.UUID, user_id: uuid.UUID, actor: str) -> bool:
    """Log out: revoke the session (its refresh and access tokens, its sockets). True
    when it was live; audited as ``auth.logout``."""
    async with db.control_tx():
        rows = await db.fetch(
            "SELECT 1 FROM auth_sessions WHERE id = $1 AND user_id = $2", session_id, user_id
        )
        if not rows or not await _revoke(session_id, "logout"):
            return False
        await announce("user", user_id)
        await write_audit(
            "auth.logout", actor=(actor, "user"), target=f"session:{session_id}", detail={}
        )
    return True


async def logout_refresh_token(token: str) -> bool:
    """``POST /auth/logout`` with a refresh token (spent or not) of the session."""
    if not token.startswith(PREFIX) or len(token) > 200:
        raise Unauthenticated("the refresh token is invalid")
    rows = await db.fetch(
        "SELECT s.id, s.user_id, u.username FROM refresh_tokens t"
        " JOIN auth_sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id"
        " WHERE t.token_hash = $1",
        _digest(token),
    )
    if not rows:
        raise Unauthenticated("the refresh token is invalid")
    return await end_session(rows[0]["id"], rows[0]["user_id"], rows[0]["username"])


async def end_user_sessions(
    user_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None
) -> int:
    """Inside the caller's transaction: revoke every live session of the user (but
    ``keep``) and announce it; the user's pending second-factor challenges go too (a
    password that was right is no longer, or the account ended). Returns how many
    sessions were live."""
    await db.fetch("DELETE FROM sign_in_challenges WHERE user_id = $1", user_id)
    rows = await db.fetch(
        "UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2"
        " WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $3 RETURNING id",
        user_id,
        reason,
        keep,
    )
    await announce("user", user_id)
    return len(rows)
