"""GraphQL IDs are UUIDs here; a malformed one is simply not found."""

from __future__ import annotations

import uuid

from jogo.platform.errors import NotFound


def parse_uuid(value: str, field: str, what: str = "not found") -> uuid.UUID:
    """``value`` as a UUID. A malformed ID raises ``NOT_FOUND`` (``what``, at ``field``), the same
    answer as an ID that does not exist or belongs to another tenant.
    """
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(what, field=field) from None
