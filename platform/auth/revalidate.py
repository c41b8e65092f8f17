"""Is this caller still allowed here, now? For long-lived connections.

A token expires, a user is disabled, an API key is revoked, a membership ends or changes,
a tenant is suspended: each takes effect at the next check, as it would on the next HTTP
request. The two live feeds check every few seconds (``still_allowed``); a WebSocket
checks before every operation it starts (``recheck``). Both are this one function.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

from jogo.platform import registry
from jogo.platform.auth.apikeys import check_key_alive
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.users import load_user_principal
from jogo.platform.errors import Forbidden, Unauthenticated
from jogo.platform.registry import TenantInfo


async def recheck(principal: Principal, tenant_id: uuid.UUID) -> tuple[Principal, TenantInfo]:
    """The caller and its tenant as of now, in the order an HTTP request checks them.

    Returns the reloaded principal (current memberships and roles for a user) and the
    current tenant (status, modules). Raises :class:`Unauthenticated` when the credential
    itself is no longer valid (expired token, disabled user, revoked or expired API key): HTTP 401.
    Raises :class:`Forbidden` when the credential is valid but may no longer address this
    tenant (membership ended, tenant gone or suspended): HTTP 404 or 403.
    One query for a user or an API key, plus the (cached) tenant lookup.
    """
    if principal.expires_at is not None and time.time() >= principal.expires_at:
        raise Unauthenticated("the access token has expired")
    fresh = principal
    if principal.kind == "user" and principal.id is not None:
        fresh = await load_user_principal(
            principal.id, expires_at=principal.expires_at, session_id=principal.session_id
        )
    elif principal.kind == "api_key" and principal.id is not None:
        only = await check_key_alive(principal.id)
        if only != principal.trusted_documents_only:
            fresh = replace(principal, trusted_documents_only=only)
    if not fresh.belongs_to(tenant_id):
        raise Forbidden("the membership has ended")
    tenant = await registry.find_by_id(tenant_id)
    if tenant is None or not tenant.active:
        raise Forbidden("this command's service is suspended")
    return fresh, tenant


async def still_allowed(principal: Principal, tenant: TenantInfo) -> Principal:
    """The caller as of now (see :func:`recheck`); raises when it may no longer listen."""
    fresh, _ = await recheck(principal, tenant.id)
    return fresh


class LiveCaller:
    """The caller of one socket as of its latest check, shared by every operation on it:
    a re-authentication (a fresh token) or a re-check after a revocation replaces it,
    and a live feed picks up the new one (``version`` tells it changed)."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.version = 0
        self.alarms = 0

    def alarm(self) -> None:
        """A revocation touching this caller (or its tenant) was just announced: bump
        :attr:`alarms`, so every live feed of the socket re-checks the caller before it
        hands out another event, without waiting for the socket's own re-check."""
        self.alarms += 1

    def update(self, principal: Principal) -> None:
        """Replace the socket's caller after a re-authentication or a re-check and bump
        :attr:`version`, so live feeds pick up the new one."""
        self.principal = principal
        self.version += 1
