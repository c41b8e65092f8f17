"""Sharing mutations: posts, their photos and moderation."""

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
from jogo.graphql.permissions import writes
from jogo.graphql.reports.dataloaders import viewer_of
from jogo.graphql.reports.mutations import ReportPayload
from jogo.graphql.reports.types import Report
from jogo.graphql.sharing.queries import post_of, post_store
from jogo.graphql.sharing.types import (
    ConvertPostInput,
    SharedPostPayload,
    SharePostInput,
)
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.platform.storage import FileStore
from jogo.tenants.reports import queries as report_queries
from jogo.tenants.sharing import actions, queries


async def _post_payload(
    info: Info[Context, None], post_id: uuid.UUID | None, errors: list[UserError]
) -> SharedPostPayload:
    if post_id is None:
        return SharedPostPayload(errors=errors)
    tenant = info.context.require_tenant()
    row = await queries.visible_post(tenant.id, post_id, None, moderator=True)
    return SharedPostPayload(post=post_of(info, row) if row else None)


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
        """Share a post (text, optional location and photo as a multipart file): PENDING, or HELD
        when it holds links or phone numbers; public only once approved. Needs ``SHARING_POST``
        as a member of this command. Errors: ``INVALID_INPUT`` per field, ``RATE_LIMITED`` past 10
        posts an hour per author, ``CONFLICT`` for a ``clientKey`` reused with other input,
        ``CONSENT_REQUIRED`` on ``noticeVersion`` (missing or stale; the message names the
        version in force).
        """
        ctx = info.context
        tenant = ctx.require_tenant()

        async def share() -> uuid.UUID:
            data = actions.PostInput(
                body=input.body,
                latitude=input.latitude,
                longitude=input.longitude,
                photo=_photo(input.photo),
                notice_version=input.notice_version,
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
        """PENDING or HELD → APPROVED (public). Needs ``SHARING_MODERATE``. Errors: ``NOT_FOUND``,
        ``HELD_CONTENT`` for a HELD post without ``acknowledgeHold: true``, ``CONFLICT`` when the
        post is already decided.
        """
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
        """Reject a post with a reason (3-500 characters), or take an approved one down. Needs
        ``SHARING_MODERATE``. Errors: ``INVALID_INPUT`` (reason), ``NOT_FOUND``, ``CONFLICT``
        (already rejected).
        """
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
        """Make a report from a post, with its photo and its author as the reporter; one post gives
        at most one report. Needs ``SHARING_MODERATE``. Errors: ``NOT_FOUND`` (post),
        ``INVALID_INPUT`` (report fields), ``CONFLICT`` (already a report, author no longer an
        active member, ``clientKey`` reused); a ``clientKey`` retry answers the first report.
        """
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
