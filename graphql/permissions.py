"""The guards every resolver uses.

- Reads: ``permission_classes=[requires(Cap.X)]``. The field must be nullable, so that a
  refusal answers null plus an error at that field's own path and its parent and
  siblings stay (a test walks the schemas for this).
- Writes: ``extensions=writes(Cap.X, ...)`` on every mutation, with capabilities from
  ``WRITE_CAPS`` only. Seeing an object never implies changing it. A refusal is the
  mutation's own payload with one typed error (``FORBIDDEN``, or ``UNAUTHENTICATED`` for
  an anonymous caller), checked before any argument is read or any row is touched.

Tenant capabilities are checked against the tenant of the request; global ones
(national, platform) against the caller's tenant-less roles. The capability table lives
in ``platform.auth.roles``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError
from jogo.platform.auth.roles import WRITE_CAPS, Cap
from jogo.platform.errors import SIGN_IN, Forbidden, JogoError, Unauthenticated

GLOBAL_CAPS = frozenset({Cap.NATIONAL_READ, Cap.AUDIT_READ, Cap.PLATFORM_ADMIN})


# People read these (the citizen app shows them): Bahasa Indonesia first, then English.
# SIGN_IN (platform.errors) tells an anonymous caller how to authenticate.


def needs(*caps: Cap) -> str:
    """The bilingual ``FORBIDDEN`` message naming the capabilities a caller lacks.

    Bahasa Indonesia first, then English; several ``caps`` read as alternatives ("atau" / "or").
    """
    names = " atau ".join(c.value for c in caps)
    names_en = " or ".join(c.value for c in caps)
    return f"Anda tidak berwenang: perlu izin {names}. / This needs the {names_en} permission."


def allowed(context: Context, cap: Cap) -> bool:
    """Whether the caller of ``context`` holds ``cap``.

    A global capability (``GLOBAL_CAPS``: national, audit, platform) is checked against the
    caller's tenant-less roles; any other against their roles in the request's tenant, so it is
    always False outside a tenant path. The table: ``platform.auth.roles``.
    """
    principal = context.principal
    if cap in GLOBAL_CAPS:
        return cap in principal.global_caps()
    tenant = context.tenant
    return tenant is not None and cap in principal.tenant_caps(tenant.id)


class _Requires(BasePermission):
    cap: Cap

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        """True when the caller holds ``cap``. Otherwise sets the field's error: ``UNAUTHENTICATED``
        with :data:`SIGN_IN` for an anonymous caller, ``FORBIDDEN`` with :func:`needs` for a
        signed-in one.
        """
        context: Context = info.context
        if allowed(context, self.cap):
            return True
        if context.principal.is_anonymous:
            self.message = SIGN_IN
            self.error_extensions = {"code": "UNAUTHENTICATED"}
        else:
            self.message = needs(self.cap)
            self.error_extensions = {"code": "FORBIDDEN"}
        return False


@cache
def requires(cap: Cap) -> type[BasePermission]:
    """The permission class for a read that needs ``cap``: ``permission_classes=[requires(cap)]``.

    One class per capability (cached), named after it (``Cap.REPORTS_READ`` gives
    ``RequiresReportsRead``). A refusal answers null at the field plus a typed error there.
    """
    name = "Requires" + "".join(p.title() for p in cap.value.replace(":", "_").split("_"))
    return type(name, (_Requires,), {"cap": cap})


class WriteGuard(FieldExtension):
    """A mutation's write capabilities: the caller needs any one of ``caps``.

    ``anonymous``: an anonymous caller may call it too (only ``submitReport``: citizens
    report without an account). The refusal is ``payload(errors=[...])``, the
    mutation's own return type, so every payload type must build from ``errors`` alone.
    """

    def __init__(self, caps: tuple[Cap, ...], anonymous: bool = False):
        if not caps or not set(caps) <= WRITE_CAPS:
            raise ValueError(f"a mutation must require write capabilities, not {caps}")
        self.caps = caps
        self.anonymous = anonymous

    def refusal(self, context: Context) -> JogoError | None:
        """The error that refuses this caller, or None when they may write.

        ``UNAUTHENTICATED`` for an anonymous caller unless the guard allows one; ``FORBIDDEN``
        (naming ``caps``) for a signed-in caller holding none of ``caps`` in the request's tenant.
        """
        principal = context.principal
        if principal.is_anonymous:
            return None if self.anonymous else Unauthenticated(SIGN_IN)
        if any(allowed(context, cap) for cap in self.caps):
            return None
        return Forbidden(needs(*self.caps))

    @staticmethod
    def _refused(info: Info, error: JogoError) -> Any:
        payload: Any = info.return_type
        return payload(errors=[UserError.of(error)])

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        """Run the mutation, or answer its payload with the refusal without running it."""
        error = self.refusal(info.context)
        return self._refused(info, error) if error else next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        """Await the mutation, or answer its payload with the refusal without running it."""
        error = self.refusal(info.context)
        return self._refused(info, error) if error else await next_(source, info, **kwargs)


def writes(*caps: Cap, anonymous: bool = False) -> list[FieldExtension]:
    """``@strawberry.mutation(..., extensions=writes(Cap.REPORTS_TRIAGE))``."""
    return [WriteGuard(caps, anonymous)]
