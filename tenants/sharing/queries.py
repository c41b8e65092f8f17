"""The only reads of sharing. The public feed holds APPROVED posts only; authors see
their own posts in any state; moderators see the queue. Authors are never named."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jogo.platform import db
from jogo.tenants.reports.queries import cursor_of, decode_cursor

QUEUE_STATUSES = ("PENDING", "HELD")
# An author who withdrew their consent to sharing is published no more (UU PDP art. 9):
# their posts leave the public feed (and come back if they consent again).
CONSENTING = (
    "NOT EXISTS (SELECT 1 FROM consents k WHERE k.user_id = author_user_id"
    " AND k.purpose = 'sharing' AND k.withdrawn_at IS NOT NULL)"
)


@dataclass(frozen=True)
class PostPage:
    rows: list[dict[str, Any]]
    has_next: bool
    end_cursor: str | None


async def public_feed(tenant_id: uuid.UUID, first: int, after: str | None) -> PostPage:
    """Approved posts of authors whose consent to sharing stands, newest approval first
    (keyset on moderated_at, id)."""
    args: list[Any] = [first + 1]
    where = f"status = 'APPROVED' AND {CONSENTING}"
    if after:
        moment, ident = decode_cursor(after)
        args += [moment, ident]
        where += " AND (moderated_at, id) < ($2, $3)"
    async with db.read_tx(tenant_id):
        rows = [
            dict(r)
            for r in await db.fetch(
                f"SELECT * FROM shared_posts WHERE {where}"
                " ORDER BY moderated_at DESC, id DESC LIMIT $1",
                *args,
            )
        ]
    more = len(rows) > first
    rows = rows[:first]
    end = cursor_of(rows[-1]["moderated_at"], rows[-1]["id"]) if rows else None
    return PostPage(rows, more, end)


async def moderation_queue(
    tenant_id: uuid.UUID, statuses: tuple[str, ...], limit: int
) -> list[dict[str, Any]]:
    """Oldest first; held posts are marked by their reasons."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT * FROM shared_posts WHERE status = ANY($1::text[])"
            " ORDER BY created_at, id LIMIT $2",
            list(statuses),
            limit,
        )
    return [dict(r) for r in rows]


async def posts_by(tenant_id: uuid.UUID, user_id: uuid.UUID, limit: int) -> list[dict[str, Any]]:
    """The user's own shared posts, any status, newest first, at most ``limit``."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT * FROM shared_posts WHERE author_user_id = $1"
            " ORDER BY created_at DESC, id DESC LIMIT $2",
            user_id,
            limit,
        )
    return [dict(r) for r in rows]


async def visible_post(
    tenant_id: uuid.UUID, post_id: uuid.UUID, viewer_id: uuid.UUID | None, moderator: bool
) -> dict[str, Any] | None:
    """The post if this viewer may see it: approved (its author's consent to sharing
    standing), their own, or they moderate."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT * FROM shared_posts WHERE id = $1"
            f" AND ((status = 'APPROVED' AND {CONSENTING}) OR $2 OR author_user_id = $3)",
            post_id,
            moderator,
            viewer_id,
        )
    return dict(rows[0]) if rows else None
