"""Short-lived HS256 access tokens (PyJWT). The token names the user; roles are
read from memberships on each request, so a revoked membership takes effect at once."""

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


def issue_token(user_id: uuid.UUID, username: str, secret: str, ttl_seconds: int) -> AccessToken:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "name": username,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return AccessToken(jwt.encode(claims, secret, algorithm=ALGORITHM), ttl_seconds)


def decode_token(token: str, secret: str) -> tuple[uuid.UUID, float]:
    """The user id and expiry of a valid token; :class:`Unauthenticated` otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
        return uuid.UUID(str(claims["sub"])), float(claims["exp"])
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the access token has expired") from None
    except (jwt.InvalidTokenError, ValueError):
        raise Unauthenticated("the access token is invalid") from None
