"""What every resolver gets in ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jogo.platform.auth.principal import Principal
from jogo.platform.auth.revalidate import LiveCaller
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings


@dataclass
class Context:
    principal: Principal
    settings: Settings
    # Set on tenant paths (/t/{slug}/graphql); None for the national and platform schemas.
    tenant: TenantInfo | None = None
    # Per-request DataLoaders, created lazily by each domain.
    loaders: dict[str, Any] = field(default_factory=dict)
    # graphql-transport-ws: the connection_init payload (may carry Authorization).
    connection_params: dict[str, Any] | None = None
    # The caller's address, for rate limits.
    client: str | None = None
    # The request's Idempotency-Key header, if any (graphql/idempotency.py).
    idempotency_key: str | None = None
    # Our own web app names itself (``X-Jogo-Client: citizen``) so a report it sends is
    # recorded as channel WEB; anything else is an API client. Informational only.
    app_client: str | None = None
    # WebSockets: the socket's caller as of its latest check, shared by its operations.
    caller: LiveCaller | None = None
    # The operation's price and the caller's budget (graphql/cost.py, a CostReport), set
    # before execution; HTTP turns it into rate-limit headers.
    cost: Any = None
    # A trusted-documents key's request: the SHA-256 of its document once found among the
    # key's trusted documents (graphql/persisted.py), so it is looked up once.
    trusted_sha256: str | None = None

    def require_tenant(self) -> TenantInfo:
        """The request's tenant. Raises ``RuntimeError`` (a bug, not a caller's error) when a
        tenant resolver runs on the national or platform schema, which have no tenant.
        """
        if self.tenant is None:
            raise RuntimeError("a tenant resolver ran outside a tenant request")
        return self.tenant
