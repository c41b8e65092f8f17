"""Who is calling, from the ``Authorization`` header."""

from __future__ import annotations

from jogo.platform.auth.apikeys import load_key_principal, looks_like_api_key
from jogo.platform.auth.principal import ANONYMOUS, Principal
from jogo.platform.auth.tokens import decode_token
from jogo.platform.auth.users import load_user_principal
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
    user_id, expires_at = decode_token(credential, settings.secret_key)
    return await load_user_principal(user_id, expires_at=expires_at)
