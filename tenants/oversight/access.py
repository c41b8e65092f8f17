"""Which tenants a national caller may look at: every tenant for national supervisors
and oversight auditors, only its own Polda's for a polda_supervisor."""

from __future__ import annotations

from jogo.platform import registry
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Role
from jogo.platform.errors import Forbidden
from jogo.platform.registry import TenantInfo


async def visible_tenants(
    principal: Principal, polda_code: str | None = None, tenant_slug: str | None = None
) -> list[TenantInfo]:
    """The tenants a national caller may see, sorted by slug: all for a national supervisor or
    oversight auditor, only their own Polda's for a Polda supervisor; narrowed by ``polda_code`` and
    ``tenant_slug`` (never widened). Raises :class:`Forbidden` without a national or Polda role."""
    if principal.global_roles & {Role.NATIONAL_SUPERVISOR, Role.OVERSIGHT_AUDITOR}:
        allowed: set[str] | None = None
    else:
        allowed = set(principal.polda_codes())
        if not allowed:
            raise Forbidden("no national or Polda role")
    wanted = {polda_code.strip().upper()} if polda_code else None
    if allowed is not None:
        wanted = (wanted & allowed) if wanted is not None else allowed
    tenants = await registry.list_tenants(wanted)
    if tenant_slug:
        tenants = [t for t in tenants if t.slug == tenant_slug.strip()]
    return tenants
