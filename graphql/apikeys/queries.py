"""API keys of the command, for its tenant admin (``tenant:admin``; no key scope grants
it, so a key can't administer keys)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.apikeys.types import ApiKey, ApiKeyConnection, TrustedDocument
from jogo.graphql.context import Context
from jogo.graphql.ids import parse_uuid
from jogo.graphql.limits import page_size
from jogo.graphql.permissions import requires
from jogo.platform.auth import apikey_admin, trusted
from jogo.platform.auth.roles import Cap
from jogo.tenants.reports.queries import cursor_of, decode_cursor

NOT_FOUND = "kunci API tidak ditemukan / API key not found"


@strawberry.type
class ApiKeysQuery:
    @strawberry.field(
        description="The command's API keys, newest first, with last use and status"
        " (tenant admins). first: 1-100.",
        permission_classes=[requires(Cap.TENANT_ADMIN)],
    )
    async def api_keys(
        self, info: Info[Context, None], first: int = 50, after: str | None = None
    ) -> ApiKeyConnection | None:
        """A keyset-paged page of the tenant's API keys, newest first, with status and last use;
        never the key itself. Needs ``TENANT_ADMIN``. ``INVALID_INPUT`` for ``first`` outside
        1-100 or a cursor this API did not give out.
        """
        page_size(first)
        tenant = info.context.require_tenant()
        rows = await apikey_admin.list_api_keys(
            tenant.id, first, decode_cursor(after) if after else None
        )
        nodes = [ApiKey.of(r) for r in rows[:first]]
        last = rows[first - 1] if len(rows) > first else (rows[-1] if rows else None)
        return ApiKeyConnection(
            nodes=nodes,
            has_next_page=len(rows) > first,
            end_cursor=cursor_of(last["created_at"], last["id"]) if last else None,
        )

    @strawberry.field(
        description="The trusted documents registered for a key, oldest first (tenant"
        " admins). Errors: NOT_FOUND.",
        permission_classes=[requires(Cap.TENANT_ADMIN)],
    )
    async def trusted_documents(
        self, info: Info[Context, None], key_id: strawberry.ID
    ) -> list[TrustedDocument] | None:
        """The key's trusted documents (at most 500), oldest first. Needs ``TENANT_ADMIN``.
        ``NOT_FOUND`` for an unknown, malformed or other command's key."""
        tenant = info.context.require_tenant()
        rows = await trusted.list_documents(tenant.id, parse_uuid(key_id, "keyId", NOT_FOUND))
        return [TrustedDocument.of(r) for r in rows]
