"""GraphQL IDs are UUIDs here; a malformed one is simply not found."""

from __future__ import annotations

import uuid

from jogo.platform.errors import NotFound


def parse_uuid(value: str, field: str, what: str = "not found") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(what, field=field) from None
