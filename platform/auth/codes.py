"""One-time codes: a new account's activation, and a password reset.

A tenant admin makes one (``createMember``, ``issuePasswordReset``) and hands it to the
person; the person sets a password with ``POST /auth/reset {"code", "password"}``
without signing in. A code is 256 random bits (``jpc_…``), kept only as a SHA-256,
single use (spent by one ``UPDATE … WHERE used_at IS NULL``), and short-lived:
:data:`RESET_TTL` (1 h) for a reset, :data:`ACTIVATE_TTL` (72 h) for a new account.
A new code for a user voids the older ones. Setting the password ends every session of
the user and closes their live feeds. Wrong codes are throttled per client
(:data:`BY_CLIENT`), counted before anything is checked, so guesses never reach argon2.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.passwords import hash_password_async
from jogo.platform.auth.sessions import end_user_sessions
from jogo.platform.errors import Unauthenticated
from jogo.platform.ratelimit import Limit

PREFIX = "jpc_"
RESET_TTL = 3600
ACTIVATE_TTL = 72 * 3600
BY_CLIENT = Limit(
    "password-code-client",
    10,
    15 * 60,
    "Terlalu banyak kode yang salah; coba lagi dalam {seconds} detik. / "
    "Too many wrong codes; try again in {seconds} s.",
)
INVALID = "the code is invalid, used or expired; ask your command's admin for a new one"


# The code's user may still use it: active, and still a member of the command that
# issued it (any membership for a code issued outside a command). A person deactivated
# since cannot set a password with a code issued before.
_STILL_MEMBER = (
    "u.is_active AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = c.user_id"
    " AND (c.tenant IS NULL OR m.tenant = c.tenant))"
)


@dataclass(frozen=True)
class NewCode:
    code: str  # shown once
    expires_at: datetime


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def derived_code(secret_key: str, tenant_id: uuid.UUID, scope: str, client_key: str) -> str:
    """An activation code made under a client key: HMAC-SHA256(``JOGO_SECRET_KEY``,
    tenant | scope | key), so a retry of ``createMember`` shows the same code (it is
    stored only as a hash). Whoever holds the client key and the same input gets it
    back: keep the key as secret as the code."""
    message = f"activate|{tenant_id}|{scope}|{client_key}".encode()
    mac = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return PREFIX + base64.urlsafe_b64encode(mac).decode().rstrip("=")


async def code_expiry(code: str) -> datetime | None:
    """When ``code`` expires, if it is stored."""
    rows = await db.fetch(
        "SELECT expires_at FROM password_codes WHERE code_hash = $1", _digest(code)
    )
    return rows[0]["expires_at"] if rows else None


async def issue_code(
    user_id: uuid.UUID,
    purpose: str,
    *,
    tenant_id: uuid.UUID | None,
    created_by: str,
    code: str | None = None,
) -> NewCode:
    """Inside the caller's transaction: a new code (random, or ``code`` when given, see
    :func:`derived_code`), the user's older unused ones void."""
    code = code or PREFIX + secrets.token_urlsafe(32)
    ttl = ACTIVATE_TTL if purpose == "activate" else RESET_TTL
    await db.fetch(  # a bounded batch of codes that expired over a day ago
        "DELETE FROM password_codes WHERE code_hash IN (SELECT code_hash FROM password_codes"
        " WHERE expires_at < now() - interval '1 day' LIMIT 20 FOR UPDATE SKIP LOCKED)"
    )
    await db.fetch(
        "UPDATE password_codes SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
        user_id,
    )
    rows = await db.fetch(
        "INSERT INTO password_codes (code_hash, user_id, purpose, tenant, created_by, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING expires_at",
        _digest(code),
        user_id,
        purpose,
        tenant_id,
        created_by,
        ttl,
    )
    return NewCode(code, rows[0]["expires_at"])


async def redeem_code(code: str, password: str, client: str | None) -> uuid.UUID:
    """Set the password of the code's user; returns the user id.

    Errors: :class:`~jogo.platform.ratelimit.RateLimited` after too many wrong codes from
    this client; :class:`Unauthenticated` for a wrong, used or expired code, or one whose
    user was deactivated since (in the command that issued it);
    :class:`~jogo.platform.errors.InvalidInput` (``password``) for a password the rules
    refuse (the code stays valid).
    """
    hit = await BY_CLIENT.hit(client or "unknown")
    digest = _digest(code) if code.startswith(PREFIX) and len(code) <= 200 else None
    rows = (
        await db.fetch(
            "SELECT c.user_id, c.purpose, c.tenant, u.username FROM password_codes c"
            " JOIN users u ON u.id = c.user_id"
            " WHERE c.code_hash = $1 AND c.used_at IS NULL AND c.expires_at > now()"
            " AND " + _STILL_MEMBER,
            digest,
        )
        if digest
        else []
    )
    if not rows:
        raise Unauthenticated(INVALID)
    await BY_CLIENT.refund(hit)  # a real code: not a guess
    row = rows[0]
    password_hash = await hash_password_async(password, row["username"])
    async with db.control_tx():
        spent = await db.fetch(
            "UPDATE password_codes c SET used_at = now() FROM users u"
            " WHERE c.code_hash = $1 AND c.used_at IS NULL AND c.expires_at > now()"
            " AND u.id = c.user_id AND " + _STILL_MEMBER + " RETURNING 1",
            digest,
        )
        if not spent:
            raise Unauthenticated(INVALID)  # spent in parallel
        await db.fetch(
            "UPDATE users SET password_hash = $2, activated_at = coalesce(activated_at, now())"
            " WHERE id = $1",
            row["user_id"],
            password_hash,
        )
        await end_user_sessions(row["user_id"], "password")
        await write_audit(
            "user.activated" if row["purpose"] == "activate" else "user.password_reset_done",
            actor=(row["username"], "user"),
            tenant_id=row["tenant"],
            target=f"user:{row['user_id']}",
            detail={"client": client},
        )
    return uuid.UUID(str(row["user_id"]))
