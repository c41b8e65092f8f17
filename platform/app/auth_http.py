"""Who is calling, from the ``Authorization`` (or ``X-API-Key``) header, and from where."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.connection import ASGIConnection

from jogo.platform.auth.apikeys import load_key_principal, looks_like_api_key
from jogo.platform.auth.principal import ANONYMOUS, Principal
from jogo.platform.auth.tokens import decode_token
from jogo.platform.auth.users import load_user_principal
from jogo.platform.clients import client_address
from jogo.platform.errors import Unauthenticated
from jogo.platform.settings import Settings


async def principal_from_header(header: str | None, settings: Settings) -> Principal:
    """No header: anonymous. A bad, expired or forged credential: Unauthenticated."""
    if not header:
        return ANONYMOUS
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthenticated(
            "use 'Authorization: Bearer <token or API key>' or 'X-API-Key: <API key>'"
        )
    if looks_like_api_key(credential):
        return await load_key_principal(credential)
    claims = decode_token(credential, settings.secret_key)
    return await load_user_principal(
        claims.user_id, expires_at=claims.expires_at, session_id=claims.session_id
    )


async def principal_from_headers(
    authorization: str | None, api_key: str | None, settings: Settings
) -> Principal:
    """:func:`principal_from_header`, also taking an API key in ``X-API-Key`` (integrators
    send it naturally). Both headers given: they must carry the same key, else 401."""
    if api_key is None:
        return await principal_from_header(authorization, settings)
    key = api_key.strip()
    if not looks_like_api_key(key):
        raise Unauthenticated("X-API-Key takes an API key (jogo_...); send tokens as Bearer")
    if authorization:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or credential.strip() != key:
            raise Unauthenticated(
                "Authorization and X-API-Key carry different credentials; send one"
            )
    return await load_key_principal(key)


async def principal_of(headers: Mapping[str, Any] | Any, settings: Settings) -> Principal:
    """The caller of a request or socket upgrade (headers looked up case-insensitively:
    Litestar's headers, or a ``connection_init`` payload)."""
    return await principal_from_headers(
        header_of(headers, "authorization"), header_of(headers, "x-api-key"), settings
    )


def header_of(headers: Any, name: str) -> str | None:
    """A header's text (``name`` in lower case), or None when absent or not text."""
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        value = next((v for k, v in headers.items() if str(k).lower() == name), None)
    return value if isinstance(value, str) else None


def client_of(connection: ASGIConnection[Any, Any, Any, Any], settings: Settings) -> str | None:
    """The caller's IP address: the peer, or what trusted proxies forwarded
    (``JOGO_TRUSTED_PROXIES``, see :mod:`jogo.platform.clients`)."""
    peer = connection.client.host if connection.client else None
    headers = connection.headers
    return client_address(
        peer,
        settings.trusted_proxies,
        headers.getall("x-forwarded-for", []),
        headers.getall("forwarded", []),
    )
