"""Bulletin mutations: create, edit, publish and withdraw."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from jogo.graphql.bulletins.types import (
    Bulletin,
    BulletinContentInput,
    BulletinPayload,
)
from jogo.graphql.context import Context
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.platform.auth.roles import Cap
from jogo.tenants.bulletins import actions, queries


async def _payload(
    info: Info[Context, None], bulletin_id: uuid.UUID | None, errors: list[UserError]
) -> BulletinPayload:
    if bulletin_id is None:
        return BulletinPayload(errors=errors)
    tenant = info.context.require_tenant()
    row = await queries.bulletin(tenant.id, bulletin_id, staff=True)
    return BulletinPayload(bulletin=Bulletin.of(row) if row else None)


@strawberry.type
class BulletinsMutation:
    @strawberry.mutation(
        description="Save a draft bulletin (operators); not public.",
        extensions=writes(Cap.BULLETINS_WRITE),
    )
    async def draft_bulletin(
        self,
        info: Info[Context, None],
        input: BulletinContentInput,
        client_key: ClientKeyArgument = None,
    ) -> BulletinPayload:
        """Save a draft bulletin, visible to bulletin writers only until published. Times in the
        input are read in the tenant's zone when they carry no offset. Needs ``BULLETINS_WRITE``.
        ``INVALID_INPUT`` per content field; a ``clientKey`` retry answers the first draft.
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        new_id, errors = await attempt(
            lambda: actions.do_draft_bulletin(
                tenant,
                ctx.principal,
                input.to_domain(tenant.time_zone),
                retry=retry_key(info, "draftBulletin", client_key, {"input": input}),
            )
        )
        return await _payload(info, new_id, errors)

    @strawberry.mutation(
        description="Publish a bulletin (operators): new content, or a draft by draftId.",
        extensions=writes(Cap.BULLETINS_WRITE),
    )
    async def publish_bulletin(
        self,
        info: Info[Context, None],
        input: BulletinContentInput | None = None,
        draft_id: strawberry.ID | None = None,
        client_key: ClientKeyArgument = None,
    ) -> BulletinPayload:
        """Publish a CAP 1.2 Alert, either new ``input`` or the draft ``draftId`` (exactly one).
        Needs ``BULLETINS_WRITE``. Errors: ``INVALID_INPUT`` (both or neither given, bad content),
        ``NOT_FOUND`` (draft), ``CONFLICT`` (already published, or ``clientKey`` reused).
        """
        ctx = info.context
        tenant = ctx.require_tenant()

        async def publish() -> uuid.UUID:
            draft = parse_uuid(draft_id, "draftId", "bulletin not found") if draft_id else None
            data = input.to_domain(tenant.time_zone) if input is not None else None
            retry = retry_key(
                info, "publishBulletin", client_key, {"input": input, "draftId": draft_id}
            )
            return await actions.do_publish_bulletin(
                tenant, ctx.principal, data, draft, retry=retry
            )

        new_id, errors = await attempt(publish)
        return await _payload(info, new_id, errors)

    @strawberry.mutation(
        description="Edit a draft, or publish a CAP Update of a published bulletin that"
        " replaces it (the answer is the new message).",
        extensions=writes(Cap.BULLETINS_WRITE),
    )
    async def update_bulletin(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        input: BulletinContentInput,
        client_key: ClientKeyArgument = None,
    ) -> BulletinPayload:
        """Edit a draft in place, or publish a CAP Update replacing a published bulletin (the old
        one becomes SUPERSEDED; the answer is the new message). Needs ``BULLETINS_WRITE``.
        Errors: ``INVALID_INPUT``, ``NOT_FOUND``, ``CONFLICT`` (superseded or cancelled
        bulletin).
        """
        ctx = info.context
        tenant = ctx.require_tenant()

        async def update() -> uuid.UUID:
            bulletin_id = parse_uuid(id, "id", "bulletin not found")
            retry = retry_key(info, "updateBulletin", client_key, {"id": id, "input": input})
            return await actions.do_update_bulletin(
                tenant, ctx.principal, bulletin_id, input.to_domain(tenant.time_zone), retry=retry
            )

        new_id, errors = await attempt(update)
        return await _payload(info, new_id, errors)

    @strawberry.mutation(
        description="Cancel a published bulletin with a reason (CAP Cancel).",
        extensions=writes(Cap.BULLETINS_WRITE),
    )
    async def cancel_bulletin(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        reason: str,
        client_key: ClientKeyArgument = None,
    ) -> BulletinPayload:
        """Publish a CAP Cancel for a published bulletin (reason: 3-500 characters); it stays in the
        CAP feed until the cancelled bulletin would have expired, at least an hour. One scheduled
        for later is withdrawn without a message. Needs ``BULLETINS_WRITE``. Errors:
        ``INVALID_INPUT``, ``NOT_FOUND``, ``CONFLICT`` (draft, superseded, cancelled, expired).
        """
        ctx = info.context
        tenant = ctx.require_tenant()

        async def cancel() -> uuid.UUID:
            bulletin_id = parse_uuid(id, "id", "bulletin not found")
            retry = retry_key(info, "cancelBulletin", client_key, {"id": id, "reason": reason})
            return await actions.do_cancel_bulletin(
                tenant, ctx.principal, bulletin_id, reason, retry=retry
            )

        new_id, errors = await attempt(cancel)
        return await _payload(info, new_id, errors)
