"""For long-lived connections (subscriptions): is this caller still allowed here?

A token expires, a membership is revoked, an API key is revoked, a tenant is suspended:
each ends a live feed at the next check, as it would end the next HTTP request.
"""

from __future__ import annotations

import time

from jogo.platform import db, registry
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.users import load_user_principal
from jogo.platform.errors import Unauthenticated
from jogo.platform.registry import TenantInfo


async def still_allowed(principal: Principal, tenant: TenantInfo) -> Principal:
    """The caller as of now; :class:`Unauthenticated` when it may no longer listen."""
    if principal.expires_at is not None and time.time() >= principal.expires_at:
        raise Unauthenticated("the access token has expired")
    current = await registry.find_by_id(tenant.id)
    if current is None or not current.active:
        raise Unauthenticated("this command's service is no longer available")
    if principal.kind == "user" and principal.id is not None:
        fresh = await load_user_principal(principal.id, expires_at=principal.expires_at)
        if not fresh.belongs_to(tenant.id):
            raise Unauthenticated("the membership has ended")
        return fresh
    if principal.kind == "api_key" and principal.id is not None:
        rows = await db.fetch("SELECT revoked_at FROM api_keys WHERE id = $1", principal.id)
        if not rows or rows[0]["revoked_at"] is not None:
            raise Unauthenticated("the API key has been revoked")
    return principal
