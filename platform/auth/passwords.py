"""Argon2id password hashing (argon2-cffi defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from jogo.platform.errors import InvalidInput

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("jogo-timing-equaliser")

MIN_LENGTH = 10
MAX_LENGTH = 256


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
    Raises :class:`InvalidInput` on ``field``."""
    check_password_policy(password, username, field=field)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``. With no hash (an unknown user) it verifies
    against a dummy hash and answers False, so both paths take the same time; a malformed hash is
    False, never an error."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def hash_secret(secret: str) -> str:
    """Argon2 for short machine-made secrets (tracking PINs): no length policy."""
    return _hasher.hash(secret)
