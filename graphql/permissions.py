"""The one guard every resolver uses: ``permission_classes=[requires(Cap.X)]``.

Tenant capabilities are checked against the tenant of the request; global ones
(national, platform) against the caller's tenant-less roles. The capability table lives
in ``platform.auth.roles``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.platform.auth.roles import Cap

GLOBAL_CAPS = frozenset(
    {Cap.NATIONAL_READ, Cap.NATIONAL_UNREDACTED, Cap.AUDIT_READ, Cap.PLATFORM_ADMIN}
)


def allowed(context: Context, cap: Cap) -> bool:
    principal = context.principal
    if cap in GLOBAL_CAPS:
        return cap in principal.global_caps()
    tenant = context.tenant
    return tenant is not None and cap in principal.tenant_caps(tenant.id)


class _Requires(BasePermission):
    cap: Cap

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        context: Context = info.context
        if allowed(context, self.cap):
            return True
        if context.principal.is_anonymous:
            self.message = "sign in to do this"
            self.error_extensions = {"code": "UNAUTHENTICATED"}
        else:
            self.message = f"this needs the {self.cap.value} permission"
            self.error_extensions = {"code": "FORBIDDEN"}
        return False


@cache
def requires(cap: Cap) -> type[BasePermission]:
    name = "Requires" + "".join(p.title() for p in cap.value.replace(":", "_").split("_"))
    return type(name, (_Requires,), {"cap": cap})
