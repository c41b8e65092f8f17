"""Short-lived HS256 access tokens (PyJWT). The token names the user and, when issued by a
sign-in, its session (``sid``); roles are read from memberships and the session's state
on each request, so a revoked membership or session takes effect at once."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from jogo.platform.errors import Unauthenticated

ISSUER = "jogo"
AUDIENCE = "jogo-api"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    expires_at: float
    session_id: uuid.UUID | None  # None: a token made outside a sign-in (tests, tools)


def issue_token(
    user_id: uuid.UUID,
    username: str,
    secret: str,
    ttl_seconds: int,
    *,
    session_id: uuid.UUID | None = None,
) -> AccessToken:
    """A signed HS256 access token for the user, valid ``ttl_seconds`` from now
    (``iat``/``nbf``/``exp`` in Unix seconds, UTC), with issuer ``jogo``, audience ``jogo-api``, a
    random ``jti`` and, for a sign-in, the session id as ``sid``. Carries no roles: those are read
    on each request."""
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "name": username,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    if session_id is not None:
        claims["sid"] = str(session_id)
    return AccessToken(jwt.encode(claims, secret, algorithm=ALGORITHM), ttl_seconds)


def decode_token(token: str, secret: str) -> TokenClaims:
    """The user id, expiry and session of a valid token; :class:`Unauthenticated`
    otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
        sid = claims.get("sid")
        return TokenClaims(
            uuid.UUID(str(claims["sub"])),
            float(claims["exp"]),
            uuid.UUID(str(sid)) if sid is not None else None,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the access token has expired") from None
    except (jwt.InvalidTokenError, ValueError):
        raise Unauthenticated("the access token is invalid") from None
