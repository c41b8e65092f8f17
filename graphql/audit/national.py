"""The oversight auditor reading one command's audit log (GraphQL and CSV)."""

from __future__ import annotations

from typing import Any

from jogo.platform.audit import write_audit
from jogo.platform.audit_read import check_plain
from jogo.platform.auth.principal import Principal
from jogo.platform.errors import InvalidInput
from jogo.platform.registry import TenantInfo
from jogo.tenants.oversight.access import visible_tenants


async def audited_tenant(
    principal: Principal, slug: str, filter: Any = None, action: str = "national.auditLog"
) -> TenantInfo:
    """The tenant named ``slug`` if the caller may see it (``INVALID_INPUT`` on
    ``tenantSlug`` otherwise, for an unknown one alike), with the audit row of the read
    written under that tenant, so its own log shows that the auditor looked."""
    check_plain("tenantSlug", slug)
    tenants = await visible_tenants(principal, None, slug) if slug.strip() else []
    if not tenants:
        raise InvalidInput("no such command / tidak ada komando itu", field="tenantSlug")
    tenant = tenants[0]
    role = principal.national_role
    await write_audit(
        action,
        principal=principal,
        role=role.value if role else None,
        tenant_id=tenant.id,
        detail={"tenantSlug": tenant.slug, "filter": _plain(filter)},
    )
    return tenant


def _plain(filter: Any) -> dict[str, Any]:
    if filter is None:
        return {}
    return {k.rstrip("_"): v for k, v in vars(filter).items() if v is not None}
