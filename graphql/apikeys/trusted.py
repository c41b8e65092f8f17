"""Mutations on a key's trusted documents (``tenant:admin``): register and remove them,
and limit the key to them (:mod:`jogo.platform.auth.trusted`, :mod:`jogo.graphql.persisted`)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from graphql import GraphQLError, GraphQLSchema, parse, validate
from jogo.graphql.apikeys.queries import NOT_FOUND
from jogo.graphql.apikeys.types import (
    ApiKey,
    ApiKeyPayload,
    RemovedTrustedDocumentsPayload,
    TrustedDocument,
    TrustedDocumentsPayload,
)
from jogo.graphql.context import Context
from jogo.graphql.errors import attempt
from jogo.graphql.ids import parse_uuid
from jogo.graphql.limits import MAX_TOKENS
from jogo.graphql.permissions import writes
from jogo.platform.audit import actor_of
from jogo.platform.auth import apikey_admin, trusted
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InputErrors, InvalidInput


def check_documents(schema: GraphQLSchema, documents: list[str], max_bytes: int) -> None:
    """Each document parses (at most ``MAX_TOKENS`` tokens) and is valid against the
    command's schema; else ``INVALID_INPUT`` on ``documents.<i>`` for each one at fault."""
    problems: list[InvalidInput] = []
    for i, text in enumerate(documents):
        field = f"documents.{i}"
        if len(text.encode()) > max_bytes:
            problems.append(InvalidInput(trusted.too_large(max_bytes), field=field))
            continue
        try:
            errors = validate(schema, parse(text, max_tokens=MAX_TOKENS))
        except GraphQLError as exc:
            errors = [exc]
        if errors:
            problems.append(InvalidInput(errors[0].message, field=field))
    if problems:
        raise InputErrors(problems)


@strawberry.type
class TrustedDocumentsMutation:
    @strawberry.mutation(
        description="Register GraphQL documents a key may run (tenant admins): each is"
        " checked against the command's schema and stored with its SHA-256. Registering"
        " one again changes nothing. At most 100 per call and 500 per key. Errors:"
        " NOT_FOUND, INVALID_INPUT (documents.<i>: not valid, or over"
        " JOGO_GRAPHQL_MAX_DOCUMENT_BYTES).",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def register_trusted_documents(
        self, info: Info[Context, None], key_id: strawberry.ID, documents: list[str]
    ) -> TrustedDocumentsPayload:
        """Store ``documents`` for the command's key ``keyId``; the payload lists them as stored
        (``sha256`` runs one by hash). Needs ``TENANT_ADMIN``; audited. Idempotent, also under
        parallel calls. Errors: ``NOT_FOUND`` (unknown or other command's key),
        ``INVALID_INPUT`` (none, too many, a document invalid or too large)."""
        ctx = info.context
        tenant = ctx.require_tenant()
        limit = ctx.settings.graphql_max_document_bytes

        async def register() -> list[dict[str, Any]]:
            key = parse_uuid(key_id, "keyId", NOT_FOUND)
            check_documents(info._raw_info.schema, documents, limit)
            return await trusted.register_documents(
                tenant.id, key, documents, actor_of(ctx.principal), max_bytes=limit
            )

        rows, errors = await attempt(register)
        return TrustedDocumentsPayload(
            documents=[TrustedDocument.of(r) for r in rows or ()], errors=errors
        )

    @strawberry.mutation(
        description="Remove a key's trusted documents by SHA-256 (tenant admins); an unknown"
        " hash is no error. Errors: NOT_FOUND.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def remove_trusted_documents(
        self, info: Info[Context, None], key_id: strawberry.ID, sha256: list[str]
    ) -> RemovedTrustedDocumentsPayload:
        """Forget the key's documents with these hashes; ``removed`` counts them. Needs
        ``TENANT_ADMIN``; audited. ``NOT_FOUND`` for an unknown or other command's key."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def remove() -> int:
            key = parse_uuid(key_id, "keyId", NOT_FOUND)
            return await trusted.remove_documents(tenant.id, key, sha256, actor_of(ctx.principal))

        removed, errors = await attempt(remove)
        return RemovedTrustedDocumentsPayload(removed=removed or 0, errors=errors)

    @strawberry.mutation(
        description="Limit a key to its trusted documents (only: true), or lift the limit"
        " (tenant admins). Its next request obeys; an open socket at its next operation."
        " Errors: NOT_FOUND.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def set_api_key_trusted_documents_only(
        self, info: Info[Context, None], id: strawberry.ID, only: bool
    ) -> ApiKeyPayload:
        """Set the key's trusted-documents mode. Needs ``TENANT_ADMIN``; audited. ``NOT_FOUND``
        for an unknown, malformed or other command's key."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def set_only() -> dict[str, Any]:
            key = parse_uuid(id, "id", NOT_FOUND)
            await trusted.set_documents_only(tenant.id, key, only, actor_of(ctx.principal))
            return await apikey_admin.key_row(tenant.id, key)

        row, errors = await attempt(set_only)
        return ApiKeyPayload(api_key=ApiKey.of(row) if row else None, errors=errors)
