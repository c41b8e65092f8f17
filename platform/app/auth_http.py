"""Who is calling, from the ``Authorization`` header, and from where."""

from __future__ import annotations

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
        raise Unauthenticated("use 'Authorization: Bearer <token or API key>'")
    if looks_like_api_key(credential):
        return await load_key_principal(credential)
    claims = decode_token(credential, settings.secret_key)
    return await load_user_principal(
        claims.user_id, expires_at=claims.expires_at, session_id=claims.session_id
    )


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
