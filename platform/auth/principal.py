"""Who is calling: a user with memberships, an API key bound to one tenant, or nobody."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from jogo.platform.auth.roles import NATIONAL_ROLES, ROLE_CAPS, SCOPE_CAPS, Cap, Role
from jogo.platform.errors import Forbidden, JogoError, sign_in_first


@dataclass(frozen=True)
class Membership:
    role: Role
    tenant_id: uuid.UUID | None = None
    polda_code: str | None = None


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "api_key", "anonymous"]
    id: uuid.UUID | None = None
    name: str = "anonymous"
    memberships: tuple[Membership, ...] = ()
    # API keys only: the one tenant the key belongs to, and its scopes.
    key_tenant_id: uuid.UUID | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # API keys only: the key may run only its trusted documents (platform/auth/trusted.py).
    trusted_documents_only: bool = False
    # When the credential stops being valid (tokens); long-lived connections check it.
    expires_at: float | None = None
    # Users signed in through /auth/token: the session (refresh-token family) the access
    # token belongs to; revoking it refuses the token at once.
    session_id: uuid.UUID | None = None

    @property
    def is_anonymous(self) -> bool:
        """True for a caller with no credential."""
        return self.kind == "anonymous"

    def roles_in(self, tenant_id: uuid.UUID) -> frozenset[Role]:
        """The roles the user's memberships give in ``tenant_id``; empty for an API key and for
        anyone without a membership there."""
        return frozenset(m.role for m in self.memberships if m.tenant_id == tenant_id)

    def belongs_to(self, tenant_id: uuid.UUID) -> bool:
        """Whether this caller may address the tenant at all (else: 404, as if unknown)."""
        if self.kind == "anonymous":
            return True
        if self.kind == "api_key":
            return self.key_tenant_id == tenant_id
        return bool(self.roles_in(tenant_id))

    def tenant_caps(self, tenant_id: uuid.UUID) -> frozenset[Cap]:
        """The capabilities held in ``tenant_id``: an API key's come from its scopes
        (``SCOPE_CAPS``) and only in its own tenant; a user's from their roles there
        (``ROLE_CAPS``). Empty otherwise."""
        if self.kind == "api_key":
            if self.key_tenant_id != tenant_id:
                return frozenset()
            return frozenset(c for s in self.scopes for c in SCOPE_CAPS.get(s, ()))
        return frozenset(c for r in self.roles_in(tenant_id) for c in ROLE_CAPS[r])

    @property
    def global_roles(self) -> frozenset[Role]:
        """The user's roles held without a tenant (national and platform roles)."""
        return frozenset(m.role for m in self.memberships if m.tenant_id is None)

    def global_caps(self) -> frozenset[Cap]:
        """The capabilities of :attr:`global_roles` (``ROLE_CAPS``), e.g. ``national:read`` or
        ``platform:admin``."""
        return frozenset(c for r in self.global_roles for c in ROLE_CAPS[r])

    def polda_codes(self) -> frozenset[str]:
        """The Polda codes the user supervises as ``polda_supervisor``; empty for everyone else."""
        return frozenset(
            m.polda_code
            for m in self.memberships
            if m.role == Role.POLDA_SUPERVISOR and m.polda_code
        )

    @property
    def national_role(self) -> Role | None:
        """The widest national role held: national > polda > auditor."""
        for role in (Role.NATIONAL_SUPERVISOR, Role.POLDA_SUPERVISOR, Role.OVERSIGHT_AUDITOR):
            if role in self.global_roles and role in NATIONAL_ROLES:
                return role
        return None


ANONYMOUS = Principal(kind="anonymous")


def denied(principal: Principal, message: str) -> JogoError:
    """The refusal for ``principal``: ``UNAUTHENTICATED`` saying how to sign in when it is
    anonymous (it has no role to lack), else ``FORBIDDEN`` with ``message``."""
    return sign_in_first() if principal.is_anonymous else Forbidden(message)
