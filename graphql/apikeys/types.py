"""API keys as a tenant admin sees them: never the key itself, except once on create
and rotate."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from jogo.graphql.errors import UserError
from jogo.platform.auth.apikeys import NewApiKey


@strawberry.enum(description="Where a key is in its life.")
class ApiKeyStatus(Enum):
    ACTIVE = "ACTIVE"
    EXPIRING = strawberry.enum_value("EXPIRING", description="Expires within 7 days.")
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@strawberry.type(description="An integrator's API key (the key itself is shown only once).")
class ApiKey:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(
        description="The 12 hex characters after jogo_: how the key is named in logs and"
        " the audit log (api_key:<prefix>)."
    )
    scopes: list[str]
    status: ApiKeyStatus
    created_at: datetime
    created_by: str
    last_used_at: datetime | None = strawberry.field(
        description="The last request made with it, to the minute (null: never used)."
    )
    expires_at: datetime | None = strawberry.field(description="Null: until revoked.")
    revoked_at: datetime | None
    revoked_by: str | None
    replaces_id: strawberry.ID | None = strawberry.field(
        description="The key this one replaced by a rotation."
    )
    trusted_documents_only: bool = strawberry.field(
        description="The key runs only the trusted documents registered for it"
        " (registerTrustedDocuments); anything else is TRUSTED_DOCUMENT_REQUIRED."
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> ApiKey:
        """An API key from its ``api_keys`` row (with its computed status): prefix, scopes, who
        created or revoked it and when, and the key it replaces.
        """
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            prefix=row["prefix"],
            scopes=list(row["scopes"]),
            status=ApiKeyStatus(row["status"]),
            created_at=row["created_at"],
            created_by=row["created_by"],
            last_used_at=row["last_used_at"],
            expires_at=row["expires_at"],
            revoked_at=row["revoked_at"],
            revoked_by=row["revoked_by"],
            replaces_id=strawberry.ID(str(row["replaces"])) if row["replaces"] else None,
            trusted_documents_only=row["trusted_documents_only"],
        )


@strawberry.type
class ApiKeyConnection:
    nodes: list[ApiKey]
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A new key: `key` is shown this once; store it now.")
class NewApiKeyPayload:
    api_key: ApiKey | None = None
    key: str | None = strawberry.field(
        default=None,
        description="The full key (jogo_<prefix>_<secret>), for 'Authorization: Bearer'"
        " or 'X-API-Key'. Never shown again; a retry with the same clientKey shows it again.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(
        cls, made: NewApiKey | None, row: dict[str, Any] | None, errors: list[UserError]
    ) -> NewApiKeyPayload:
        """The payload of a new key: its row and the secret key (shown this once), or the errors
        alone.
        """
        if made is None or row is None:
            return cls(errors=errors)
        return cls(api_key=ApiKey.of(row), key=made.key)


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(
    description="A GraphQL document a key may run when it is limited to trusted documents."
)
class TrustedDocument:
    sha256: str = strawberry.field(
        description="SHA-256 of the document's UTF-8 text, lowercase hex: the"
        " extensions.persistedQuery.sha256Hash that runs it."
    )
    document: str
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> TrustedDocument:
        """A trusted document from its ``trusted_documents`` row."""
        return cls(
            sha256=row["sha256"],
            document=row["document"],
            created_at=row["created_at"],
            created_by=row["created_by"],
        )


@strawberry.type
class TrustedDocumentsPayload:
    documents: list[TrustedDocument] = strawberry.field(
        default_factory=list, description="The documents sent, as now stored, in that order."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemovedTrustedDocumentsPayload:
    removed: int = strawberry.field(default=0, description="How many documents were removed.")
    errors: list[UserError] = strawberry.field(default_factory=list)
