"""The record of processing activities (UU PDP Pasal 31) as JSON (tenant admins)."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.permissions import requires
from jogo.platform.auth.roles import Cap
from jogo.tenants.processing.record import generate


@strawberry.type
class ProcessingQuery:
    @strawberry.field(
        description="The command's record of processing activities, generated now from its"
        " live data: activities (purpose, lawful basis, personal data, subjects, retention,"
        " counts), recipients (agencies, API keys, webhook subscriptions, other commands)"
        " and transfers (gateways, push services). Bahasa Indonesia and English"
        " ({id, en}). The same as HTML: GET /t/{slug}/privacy/processing.html. Tenant admins.",
        permission_classes=[requires(Cap.TENANT_ADMIN)],
    )
    async def records_of_processing(self, info: Info[Context, None]) -> JSON | None:
        """Needs ``tenant:admin``; see :func:`jogo.tenants.processing.record.generate`."""
        return cast(JSON, await generate(info.context.require_tenant()))
