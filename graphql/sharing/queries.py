from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.ids import parse_uuid
from jogo.graphql.limits import page_size
from jogo.graphql.permissions import requires
from jogo.graphql.reports.types import PageInfo
from jogo.graphql.sharing.types import (
    SharedPost,
    SharedPostConnection,
    SharedPostEdge,
    SharedPostStatus,
)
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import NotFound
from jogo.platform.storage import FileStore
from jogo.tenants.reports.queries import cursor_of
from jogo.tenants.sharing import queries


def _viewer(info: Info[Context, None]) -> tuple[uuid.UUID | None, bool]:
    ctx = info.context
    principal = ctx.principal
    user = principal.id if principal.kind == "user" else None
    return user, Cap.SHARING_MODERATE in principal.tenant_caps(ctx.require_tenant().id)


def post_of(info: Info[Context, None], row: dict[str, Any]) -> SharedPost:
    """A shared_posts row as the caller may see it (own or moderator fields)."""
    user, moderator = _viewer(info)
    return SharedPost.of(row, info.context.require_tenant().slug, user, moderator)


def post_store(ctx: Context) -> FileStore:
    """Where shared posts' photos are kept: ``<data_dir>/shared``."""
    return FileStore(ctx.settings.data_dir / "shared")


@strawberry.type
class SharingQuery:
    @strawberry.field(description="Approved posts, newest first (public).")
    async def shared_posts(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> SharedPostConnection:
        """A keyset-paged page of approved posts, newest approval first. Public.
        ``INVALID_INPUT`` for ``first`` outside 1-100 or a cursor this API did not give out.
        """
        tenant = info.context.require_tenant()
        page = await queries.public_feed(tenant.id, page_size(first), after)
        edges = [
            SharedPostEdge(cursor=cursor_of(r["moderated_at"], r["id"]), node=post_of(info, r))
            for r in page.rows
        ]
        return SharedPostConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                end_cursor=page.end_cursor,
                start_cursor=edges[0].cursor if edges else None,
            ),
        )

    @strawberry.field(description="One post: approved, your own, or any for moderators.")
    async def shared_post(self, info: Info[Context, None], id: strawberry.ID) -> SharedPost | None:
        """One post if the caller may see it: approved, their own, or any for a moderator
        (``SHARING_MODERATE``); null otherwise, and for a malformed or another tenant's id.
        """
        user, moderator = _viewer(info)
        try:
            post_id = parse_uuid(id, "id")
        except NotFound:
            return None
        row = await queries.visible_post(info.context.require_tenant().id, post_id, user, moderator)
        return post_of(info, row) if row else None

    @strawberry.field(
        description="Your own posts in any state, newest first.",
        permission_classes=[requires(Cap.SHARING_POST)],
    )
    async def my_posts(self, info: Info[Context, None], first: int = 20) -> list[SharedPost] | None:
        """The caller's own posts in any state, newest first, at most ``first`` (1-100); empty for
        an API key. Needs ``SHARING_POST``.
        """
        user, _ = _viewer(info)
        if user is None:
            return []
        rows = await queries.posts_by(info.context.require_tenant().id, user, page_size(first))
        return [post_of(info, r) for r in rows]

    @strawberry.field(
        description="Posts waiting for a decision, oldest first (moderators).",
        permission_classes=[requires(Cap.SHARING_MODERATE)],
    )
    async def moderation_queue(
        self,
        info: Info[Context, None],
        status: list[SharedPostStatus] | None = None,
        first: int = 50,
    ) -> list[SharedPost] | None:
        """Posts awaiting a decision (PENDING and HELD, or the given statuses), oldest first, at
        most ``first`` (1-100); held ones carry their reasons. Needs ``SHARING_MODERATE``.
        """
        wanted = tuple(s.value for s in status) if status else queries.QUEUE_STATUSES
        rows = await queries.moderation_queue(
            info.context.require_tenant().id, wanted, page_size(first)
        )
        return [post_of(info, r) for r in rows]
