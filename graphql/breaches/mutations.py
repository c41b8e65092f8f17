"""Breach register mutations (tenant admins): thin resolvers over
``tenants/breaches/actions.py``. Times without an offset are read in the command's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from jogo.graphql.breaches.types import (
    Breach,
    BreachPayload,
    BreachRecipient,
    RecordBreachInput,
    UpdateBreachInput,
)
from jogo.graphql.context import Context
from jogo.graphql.errors import attempt
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.graphql.scalars import in_zone_or_none
from jogo.platform.auth.roles import Cap
from jogo.tenants.breaches import actions
from jogo.tenants.breaches.queries import NOT_FOUND


def _values(items: list[Any] | None) -> list[str] | None:
    return None if items is None else [i.value for i in items]


@strawberry.type
class BreachesMutation:
    @strawberry.mutation(
        description="Record a personal data breach (tenant admins); its 3 x 24 hour clock"
        " starts at foundAt. Errors: INVALID_INPUT (title, description, dataCategories,"
        " subjectCategories, subjectsEstimate, foundAt, occurredAt, measures), CONFLICT"
        " (clientKey).",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def record_breach(
        self,
        info: Info[Context, None],
        input: RecordBreachInput,
        client_key: ClientKeyArgument = None,
    ) -> BreachPayload:
        """Needs ``tenant:admin``; audited ``breach.record``."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def record() -> dict[str, Any]:
            retry = retry_key(info, "recordBreach", client_key, {"input": input})
            data = actions.BreachInput(
                title=input.title,
                description=input.description,
                data_categories=_values(input.data_categories),
                subject_categories=_values(input.subject_categories),
                subjects_estimate=input.subjects_estimate,
                found_at=in_zone_or_none(input.found_at, tenant.time_zone),
                occurred_at=in_zone_or_none(input.occurred_at, tenant.time_zone),
                measures=input.measures,
            )
            return await actions.do_record_breach(tenant, ctx.principal, data, retry=retry)

        row, errors = await attempt(record)
        return BreachPayload(breach=Breach.of(row, tenant) if row else None, errors=errors)

    @strawberry.mutation(
        description="Amend an incident (tenant admins): what happened, categories, the"
        " estimate, when it occurred, the measures taken. Errors: NOT_FOUND, INVALID_INPUT.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def update_breach(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateBreachInput
    ) -> BreachPayload:
        """Needs ``tenant:admin``; audited ``breach.update``."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def update() -> dict[str, Any]:
            breach_id = parse_uuid(id, "id", NOT_FOUND)
            data = actions.BreachInput(
                title=input.title,
                description=input.description,
                data_categories=_values(input.data_categories),
                subject_categories=_values(input.subject_categories),
                subjects_estimate=input.subjects_estimate,
                occurred_at=in_zone_or_none(input.occurred_at, tenant.time_zone),
                measures=input.measures,
            )
            return await actions.do_update_breach(tenant, ctx.principal, breach_id, data)

        row, errors = await attempt(update)
        return BreachPayload(breach=Breach.of(row, tenant) if row else None, errors=errors)

    @strawberry.mutation(
        description="Record that the data subjects or the authority were notified (tenant"
        " admins): at (default now), by the caller; reference: the authority's receipt."
        " Errors: NOT_FOUND, INVALID_INPUT (at, reference), ALREADY_NOTIFIED.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def record_breach_notification(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        recipient: BreachRecipient,
        at: datetime | None = None,
        reference: str | None = None,
    ) -> BreachPayload:
        """Needs ``tenant:admin``; audited ``breach.notify``. Both recorded stops the clock."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def record() -> dict[str, Any]:
            breach_id = parse_uuid(id, "id", NOT_FOUND)
            return await actions.do_record_notification(
                tenant,
                ctx.principal,
                breach_id,
                recipient.value,
                at=in_zone_or_none(at, tenant.time_zone),
                reference=reference,
            )

        row, errors = await attempt(record)
        return BreachPayload(breach=Breach.of(row, tenant) if row else None, errors=errors)
