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
