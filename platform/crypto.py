"""Secrets at rest (agency webhook secrets, API tokens): Fernet (AES-128-CBC with
HMAC-SHA256) under a key derived from ``JOGO_SECRET_KEY`` with HKDF, so the signing key
and the encryption key are never the same bytes."""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jogo.platform.errors import JogoError


class SecretUnreadable(JogoError):
    code = "SECRET_UNREADABLE"


@cache
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"jogo-secrets-v1", info=b"agency-secrets"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str, secret_key: str) -> str:
    """``value`` encrypted for storage: a Fernet token (URL-safe base64 text) under the key derived
    from ``secret_key`` (``JOGO_SECRET_KEY``)."""
    return _fernet(secret_key).encrypt(value.encode()).decode()


def decrypt(token: str, secret_key: str) -> str:
    """The text of a token made by :func:`encrypt`. Raises :class:`SecretUnreadable`
    (``SECRET_UNREADABLE``) when the token is corrupt or was made under another
    ``JOGO_SECRET_KEY``."""
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("a stored secret cannot be read with JOGO_SECRET_KEY") from None
