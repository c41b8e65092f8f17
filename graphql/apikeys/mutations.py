"""Mutations on the command's API keys (``tenant:admin``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from jogo.graphql.apikeys.queries import NOT_FOUND
from jogo.graphql.apikeys.types import ApiKey, ApiKeyPayload, NewApiKeyPayload
from jogo.graphql.context import Context
from jogo.graphql.errors import attempt
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.graphql.scalars import in_zone_or_none
from jogo.platform.audit import actor_of
from jogo.platform.auth import apikey_admin
from jogo.platform.auth.apikeys import NewApiKey, create_api_key
from jogo.platform.auth.roles import Cap


@strawberry.type
class ApiKeysMutation:
    @strawberry.mutation(
        description="Create an integrator key (tenant admins); the key is in the payload"
        " this once. scopes: reports:read, reports:write, agencies:read, agencies:write,"
        " bulletins:write, election:write, webhooks:manage. expiresAt: optional, in the future."
        " Errors: INVALID_INPUT, CONFLICT (clientKey).",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def create_api_key(
        self,
        info: Info[Context, None],
        name: str,
        scopes: list[str],
        expires_at: datetime | None = None,
        client_key: ClientKeyArgument = None,
    ) -> NewApiKeyPayload:
        """Create an integrator API key; the secret key is in the payload this once (only its
        SHA-256 is stored). ``expiresAt``: optional, in the future, the tenant's zone when no
        offset. Needs ``TENANT_ADMIN``; audited. Errors: ``INVALID_INPUT`` (name, unknown scope,
        past expiry), ``CONFLICT`` (``clientKey`` reused with other input).
        """
        ctx = info.context
        tenant = ctx.require_tenant()

        async def create() -> tuple[NewApiKey, dict[str, Any]]:
            retry = retry_key(
                info,
                "createApiKey",
                client_key,
                {"name": name, "scopes": scopes, "expiresAt": expires_at},
            )
            made = await create_api_key(
                tenant,
                name,
                scopes,
                expires_at=in_zone_or_none(expires_at, tenant.time_zone),
                actor=actor_of(ctx.principal),
                retry=retry,
                secret_key=ctx.settings.secret_key,
            )
            return made, await apikey_admin.key_row(tenant.id, made.id)

        result, errors = await attempt(create)
        if result is None:
            return NewApiKeyPayload(errors=errors)
        made, row = result
        return NewApiKeyPayload.of(made, row, errors)

    @strawberry.mutation(
        description="Revoke a key now (tenant admins): its next request is 401 and its live"
        " feeds close. Revoking a revoked key changes nothing. Errors: NOT_FOUND.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def revoke_api_key(self, info: Info[Context, None], id: strawberry.ID) -> ApiKeyPayload:
        """Revoke a key now: its next request is 401 and its live feeds close. Revoking a revoked
        key changes nothing. Needs ``TENANT_ADMIN``; audited. ``NOT_FOUND`` for an unknown,
        malformed or other tenant's id.
        """
        ctx = info.context
        tenant = ctx.require_tenant()

        async def revoke() -> dict[str, Any]:
            key_id = parse_uuid(id, "id", NOT_FOUND)
            return await apikey_admin.revoke_api_key(tenant, key_id, actor_of(ctx.principal))

        row, errors = await attempt(revoke)
        return ApiKeyPayload(api_key=ApiKey.of(row) if row else None, errors=errors)

    @strawberry.mutation(
        description="Replace a key (tenant admins): a new key with the same name and"
        " scopes, shown this once; the old one keeps working for overlapHours (0-168,"
        " default 24) and then expires. expiresAt: the new key's expiry (default: as long"
        " as the old key was meant to live, never the overlap). A key is rotated once:"
        " again (without the same clientKey, or in parallel) is ILLEGAL_TRANSITION naming"
        " the successor's prefix. Errors: NOT_FOUND, INVALID_INPUT, ILLEGAL_TRANSITION"
        " (revoked, expired or already rotated key), CONFLICT (clientKey).",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def rotate_api_key(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        overlap_hours: int | None = None,
        expires_at: datetime | None = None,
        client_key: ClientKeyArgument = None,
    ) -> NewApiKeyPayload:
        """Replace a key with a new one of the same name and scopes (shown this once); the old key
        keeps working for ``overlapHours`` (0-168, default 24) and then expires. Needs
        ``TENANT_ADMIN``; audited.

        Errors: ``NOT_FOUND``, ``INVALID_INPUT``, ``ILLEGAL_TRANSITION`` (revoked, expired or
        already rotated; names the successor's prefix), ``CONFLICT`` (``clientKey``).
        """
        ctx = info.context
        tenant = ctx.require_tenant()

        async def rotate() -> tuple[NewApiKey, dict[str, Any]]:
            key_id = parse_uuid(id, "id", NOT_FOUND)
            retry = retry_key(
                info,
                "rotateApiKey",
                client_key,
                {"id": id, "overlapHours": overlap_hours, "expiresAt": expires_at},
            )
            made = await apikey_admin.rotate_api_key(
                tenant,
                key_id,
                actor_of(ctx.principal),
                overlap_hours=overlap_hours,
                expires_at=in_zone_or_none(expires_at, tenant.time_zone),
                retry=retry,
                secret_key=ctx.settings.secret_key,
            )
            return made, await apikey_admin.key_row(tenant.id, made.id)

        result, errors = await attempt(rotate)
        if result is None:
            return NewApiKeyPayload(errors=errors)
        made, row = result
        return NewApiKeyPayload.of(made, row, errors)
