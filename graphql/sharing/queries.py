from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.http import UploadedFile
from jogo.graphql.idempotency import ClientKeyArgument, request_key, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.limits import page_size
from jogo.graphql.permissions import requires, writes
from jogo.graphql.reports.dataloaders import viewer_of
from jogo.graphql.reports.mutations import ReportPayload
from jogo.graphql.reports.types import PageInfo, Report
from jogo.graphql.sharing.types import (
    ConvertPostInput,
    SharedPost,
    SharedPostConnection,
    SharedPostEdge,
    SharedPostPayload,
    SharedPostStatus,
    SharePostInput,
)
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput, NotFound
from jogo.platform.storage import FileStore
from jogo.tenants.reports import queries as report_queries
from jogo.tenants.reports.queries import cursor_of
from jogo.tenants.sharing import actions, queries


def _viewer(info: Info[Context, None]) -> tuple[uuid.UUID | None, bool]:
    ctx = info.context
    principal = ctx.principal
    user = principal.id if principal.kind == "user" else None
    return user, Cap.SHARING_MODERATE in principal.tenant_caps(ctx.require_tenant().id)


def _post(info: Info[Context, None], row: dict[str, Any]) -> SharedPost:
    user, moderator = _viewer(info)
    return SharedPost.of(row, info.context.require_tenant().slug, user, moderator)


def post_store(ctx: Context) -> FileStore:
    return FileStore(ctx.settings.data_dir / "shared")


@strawberry.type
class SharingQuery:
    @strawberry.field(description="Approved posts, newest first (public).")
    async def shared_posts(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> SharedPostConnection:
        tenant = info.context.require_tenant()
        page = await queries.public_feed(tenant.id, page_size(first), after)
        edges = [
            SharedPostEdge(cursor=cursor_of(r["moderated_at"], r["id"]), node=_post(info, r))
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
        user, moderator = _viewer(info)
        try:
            post_id = parse_uuid(id, "id")
        except NotFound:
            return None
        row = await queries.visible_post(info.context.require_tenant().id, post_id, user, moderator)
        return _post(info, row) if row else None

    @strawberry.field(
        description="Your own posts in any state, newest first.",
        permission_classes=[requires(Cap.SHARING_POST)],
    )
    async def my_posts(self, info: Info[Context, None], first: int = 20) -> list[SharedPost] | None:
        user, _ = _viewer(info)
        if user is None:
            return []
        rows = await queries.posts_by(info.context.require_tenant().id, user, page_size(first))
        return [_post(info, r) for r in rows]

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
        wanted = tuple(s.value for s in status) if status else queries.QUEUE_STATUSES
        rows = await queries.moderation_queue(
            info.context.require_tenant().id, wanted, page_size(first)
        )
        return [_post(info, r) for r in rows]


async def _post_payload(
    info: Info[Context, None], post_id: uuid.UUID | None, errors: list[UserError]
) -> SharedPostPayload:
    if post_id is None:
        return SharedPostPayload(errors=errors)
    tenant = info.context.require_tenant()
    row = await queries.visible_post(tenant.id, post_id, None, moderator=True)
    return SharedPostPayload(post=_post(info, row) if row else None)


def _photo(value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, UploadedFile):
        raise InvalidInput("send the photo as a file of a multipart request", field="photo")
    return value.data


@strawberry.type
class SharingMutation:
    @strawberry.mutation(
        description="Share a post (signed-in citizens). It is public once a moderator approves.",
        extensions=writes(Cap.SHARING_POST),
    )
    async def share_post(
        self, info: Info[Context, None], input: SharePostInput
    ) -> SharedPostPayload:
        ctx = info.context
        tenant = ctx.require_tenant()

        async def share() -> uuid.UUID:
            data = actions.PostInput(
                body=input.body,
                latitude=input.latitude,
                longitude=input.longitude,
                photo=_photo(input.photo),
            )
            return await actions.do_share_post(
                tenant,
                ctx.principal,
                data,
                post_store(ctx),
                client_key=request_key(info, input.client_key),
            )

        post_id, errors = await attempt(share)
        return await _post_payload(info, post_id, errors)

    @strawberry.mutation(
        description="Approve a post (moderators). A HELD post needs acknowledgeHold: true.",
        extensions=writes(Cap.SHARING_MODERATE),
    )
    async def approve_post(
        self, info: Info[Context, None], id: strawberry.ID, acknowledge_hold: bool = False
    ) -> SharedPostPayload:
        ctx = info.context
        tenant = ctx.require_tenant()

        async def approve() -> uuid.UUID:
            post_id = parse_uuid(id, "id", "post not found")
            await actions.do_approve_post(tenant, ctx.principal, post_id, acknowledge_hold)
            return post_id

        post_id, errors = await attempt(approve)
        return await _post_payload(info, post_id, errors)

    @strawberry.mutation(
        description="Reject a post, or take an approved one down (moderators).",
        extensions=writes(Cap.SHARING_MODERATE),
    )
    async def reject_post(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> SharedPostPayload:
        ctx = info.context
        tenant = ctx.require_tenant()

        async def reject() -> uuid.UUID:
            post_id = parse_uuid(id, "id", "post not found")
            await actions.do_reject_post(tenant, ctx.principal, post_id, reason)
            return post_id

        post_id, errors = await attempt(reject)
        return await _post_payload(info, post_id, errors)

    @strawberry.mutation(
        description="Turn a post into a report with its author as the reporter (moderators).",
        extensions=writes(Cap.SHARING_MODERATE),
    )
    async def convert_post_to_report(
        self,
        info: Info[Context, None],
        post_id: strawberry.ID,
        input: ConvertPostInput,
        client_key: ClientKeyArgument = None,
    ) -> ReportPayload:
        ctx = info.context
        tenant = ctx.require_tenant()

        async def convert() -> uuid.UUID:
            retry = retry_key(
                info, "convertPostToReport", client_key, {"postId": post_id, "input": input}
            )
            data = actions.ConvertInput(
                category_code=input.category_code,
                title=input.title,
                latitude=input.latitude,
                longitude=input.longitude,
                urgent=input.urgent,
            )
            done = await actions.do_convert_post(
                tenant,
                ctx.principal,
                parse_uuid(post_id, "postId", "post not found"),
                data,
                post_store(ctx),
                FileStore(ctx.settings.data_dir / "attachments"),
                retry=retry,
            )
            return done.report_id

        report_id, errors = await attempt(convert)
        if report_id is None:
            return ReportPayload(errors=errors)
        row = await report_queries.get_report(tenant.id, viewer_of(ctx), report_id)
        return ReportPayload(report=Report.of(row))
