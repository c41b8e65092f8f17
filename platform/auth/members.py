"""The people of one command, for its admins: one statement per page."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

from jogo.platform import db
from jogo.platform.errors import InvalidInput

STATUSES = ("ACTIVE", "PENDING", "DEACTIVATED")

_PEOPLE = """
WITH people AS (
    SELECT u.id, u.username, u.full_name, u.created_at,
           array_agg(m.role ORDER BY m.role) AS roles,
           CASE WHEN u.activated_at IS NULL THEN 'PENDING' ELSE 'ACTIVE' END AS status,
           NULL::timestamptz AS ended_at
    FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.tenant = $1
    GROUP BY u.id
    UNION ALL
    SELECT u.id, u.username, u.full_name, u.created_at, e.roles, 'DEACTIVATED', e.ended_at
    FROM ended_memberships e JOIN users u ON u.id = e.user_id
    WHERE e.tenant = $1
      AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = e.user_id AND m.tenant = $1)
)
SELECT * FROM people
WHERE ($2::text IS NULL OR username ILIKE $2 ESCAPE '\\' OR full_name ILIKE $2 ESCAPE '\\')
  AND ($3::text IS NULL OR $3 = ANY(roles))
  AND ($4::text IS NULL OR status = $4)
  AND ($5::text IS NULL OR username > $5)
  AND ($7::uuid IS NULL OR id = $7)
ORDER BY username
LIMIT $6
"""


@dataclass(frozen=True)
class MemberPage:
    rows: list[dict[str, Any]]
    has_next: bool


def encode_cursor(username: str) -> str:
    """The opaque ``after`` cursor of a member page: the row's username, URL-safe base64 of
    ``m:<username>`` (read back by ``_decode_cursor``)."""
    return base64.urlsafe_b64encode(f"m:{username}".encode()).decode()


def _decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not text.startswith("m:") or len(text) > 70:
        raise InvalidInput("the cursor is invalid", field="after")
    return text[2:]


def _pattern(search: str | None) -> str | None:
    text = (search or "").strip()
    if not text:
        return None
    if len(text) > 100:
        raise InvalidInput("search is at most 100 characters", field="search")
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_members(
    tenant_id: uuid.UUID,
    *,
    first: int,
    after: str | None = None,
    search: str | None = None,
    role: str | None = None,
    status: str | None = None,
) -> MemberPage:
    """This command's people by username: current members (``ACTIVE``, or ``PENDING``
    until they set a password) and former ones (``DEACTIVATED``). ``search`` matches
    username or full name; ``role`` one of their roles. Errors: INVALID_INPUT (after,
    search)."""
    rows = await db.fetch(
        _PEOPLE,
        tenant_id,
        _pattern(search),
        role,
        status,
        _decode_cursor(after),
        first + 1,
        None,
    )
    return MemberPage([dict(r) for r in rows[:first]], len(rows) > first)


async def get_member(tenant_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any] | None:
    """One person of this command (current or former), or None."""
    rows = await db.fetch(_PEOPLE, tenant_id, None, None, None, None, 1, user_id)
    return dict(rows[0]) if rows else None
