"""Writes of data-subject requests, legal holds, deadlines and retention rules: thin
resolvers over :mod:`jogo.tenants.privacy`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import attempt
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.graphql.privacy.queries import with_logs
from jogo.graphql.privacy.types import (
    DataSubjectRequestInput,
    DataSubjectRequestPayload,
    DataSubjectRight,
    LegalHoldPayload,
    PrivacyDeadline,
    PrivacyDeadlinePayload,
    RecordDataSubjectRequestInput,
    RetentionCategory,
    RetentionRule,
    RetentionRulePayload,
)
from jogo.platform import db
from jogo.platform.auth.roles import Cap
from jogo.platform.storage import FileStore
from jogo.tenants.privacy import deadlines, holds, requests, retention
from jogo.tenants.privacy.holds import REPORT_NOT_FOUND


async def _request_payload(
    ctx: Context, action: Callable[[], Awaitable[uuid.UUID | None]]
) -> DataSubjectRequestPayload:
    tenant = ctx.require_tenant()
    request_id, errors = await attempt(action)
    if request_id is None:
        return DataSubjectRequestPayload(errors=errors)
    row = await requests.request_row(tenant.id, request_id)
    shown = await with_logs(tenant.id, [row] if row else [])
    return DataSubjectRequestPayload(request=shown[0] if shown else None)


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Ask about your own data here: ACCESS (answered at once), CORRECTION"
        " (with fullName and/or phone), ERASURE or RESTRICTION (of notifications). Asking"
        " again answers the open request.",
        extensions=writes(Cap.OWN_ACCOUNT),
    )
    async def request_my_data(
        self, info: Info[Context, None], input: DataSubjectRequestInput
    ) -> DataSubjectRequestPayload:
        """A signed-in person's own request. ``INVALID_INPUT`` on ``right``, ``fullName``,
        ``phone``."""
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _request_payload(
            ctx,
            lambda: requests.do_request_own(
                tenant.id,
                ctx.principal,
                input.right.value,
                full_name=input.full_name,
                phone=input.phone,
            ),
        )

    @strawberry.mutation(
        description="Record a person's request on their behalf after checking who they are"
        " (privacy:requests). NOT_FOUND on subjectPhone for no citizen of this command.",
        extensions=writes(Cap.PRIVACY_REQUESTS),
    )
    async def record_data_subject_request(
        self, info: Info[Context, None], input: RecordDataSubjectRequestInput
    ) -> DataSubjectRequestPayload:
        """``INVALID_INPUT`` on ``identityCheck``, ``right``, ``fullName``, ``phone``;
        ``NOT_FOUND`` on ``subjectPhone``."""
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _request_payload(
            ctx,
            lambda: requests.do_record_request(
                tenant.id,
                ctx.principal,
                input.subject_phone,
                input.right.value,
                input.identity_check,
                full_name=input.full_name,
                phone=input.phone,
            ),
        )

    @strawberry.mutation(
        description="Mark an open request IN_PROGRESS (privacy:requests).",
        extensions=writes(Cap.PRIVACY_REQUESTS),
    )
    async def start_data_subject_request(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> DataSubjectRequestPayload:
        """``NOT_FOUND`` on ``id``; ``CONFLICT`` once DONE or REFUSED."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def run() -> uuid.UUID:
            rid = parse_uuid(id, "id", requests.NOT_FOUND)
            await requests.do_start(tenant.id, ctx.principal, rid)
            return rid

        return await _request_payload(ctx, run)

    @strawberry.mutation(
        description="Do what an open request asks and mark it DONE (privacy:requests):"
        " ERASURE anonymises the person except reports under a legal hold.",
        extensions=writes(Cap.PRIVACY_REQUESTS),
    )
    async def fulfil_data_subject_request(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> DataSubjectRequestPayload:
        """``NOT_FOUND`` on ``id``; ``CONFLICT`` once closed, for a phone another account
        has, or for erasing a staff account."""
        ctx = info.context
        tenant = ctx.require_tenant()
        store = FileStore(ctx.settings.data_dir / "attachments")

        async def run() -> uuid.UUID:
            rid = parse_uuid(id, "id", requests.NOT_FOUND)
            await requests.do_fulfil(tenant.id, ctx.principal, rid, store)
            return rid

        return await _request_payload(ctx, run)

    @strawberry.mutation(
        description="Refuse an open request with a reason the person sees (privacy:requests).",
        extensions=writes(Cap.PRIVACY_REQUESTS),
    )
    async def refuse_data_subject_request(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> DataSubjectRequestPayload:
        """``INVALID_INPUT`` on ``reason``; ``NOT_FOUND``; ``CONFLICT`` once closed."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def run() -> uuid.UUID:
            rid = parse_uuid(id, "id", requests.NOT_FOUND)
            await requests.do_refuse(tenant.id, ctx.principal, rid, reason)
            return rid

        return await _request_payload(ctx, run)

    @strawberry.mutation(
        description="Put a report under a legal hold with a reason: erasure and retention"
        " leave it alone (privacy:requests, audited).",
        extensions=writes(Cap.PRIVACY_REQUESTS),
    )
    async def set_legal_hold(
        self, info: Info[Context, None], report_id: strawberry.ID, reason: str
    ) -> LegalHoldPayload:
        """``INVALID_INPUT`` on ``reason``; ``NOT_FOUND`` on ``reportId``."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def run() -> str:
            rid = parse_uuid(report_id, "reportId", REPORT_NOT_FOUND)
            return await holds.do_set_legal_hold(tenant.id, ctx.principal, rid, reason)

        ticket, errors = await attempt(run)
        return LegalHoldPayload(ticket=ticket, held=True if ticket else None, errors=errors)

    @strawberry.mutation(
        description="Lift a report's legal hold, saying why (privacy:requests, audited).",
        extensions=writes(Cap.PRIVACY_REQUESTS),
    )
    async def lift_legal_hold(
        self, info: Info[Context, None], report_id: strawberry.ID, reason: str
    ) -> LegalHoldPayload:
        """``INVALID_INPUT`` on ``reason``; ``NOT_FOUND`` on ``reportId``."""
        ctx = info.context
        tenant = ctx.require_tenant()

        async def run() -> str:
            rid = parse_uuid(report_id, "reportId", REPORT_NOT_FOUND)
            return await holds.do_lift_legal_hold(tenant.id, ctx.principal, rid, reason)

        ticket, errors = await attempt(run)
        return LegalHoldPayload(ticket=ticket, held=False if ticket else None, errors=errors)

    @strawberry.mutation(
        description="Set this command's deadline for one right in hours (1-2160), or null"
        " for the law's default (tenant admins, the DPO; audited).",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def set_privacy_deadline(
        self, info: Info[Context, None], right: DataSubjectRight, hours: int | None = None
    ) -> PrivacyDeadlinePayload:
        """``INVALID_INPUT`` on ``hours``."""
        ctx = info.context
        tenant = ctx.require_tenant()
        _, errors = await attempt(
            lambda: deadlines.do_set_deadline(tenant.id, ctx.principal, right.value, hours)
        )
        if errors:
            return PrivacyDeadlinePayload(errors=errors)
        async with db.read_tx(tenant.id):
            table = await deadlines.deadline_table(tenant.id)
        return PrivacyDeadlinePayload(
            deadline=next(PrivacyDeadline.of(d) for d in table if d.right == right.value)
        )

    @strawberry.mutation(
        description="Set how many days one category of personal data is kept (1-36500), or"
        " null for the default (tenant admins; audited).",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def set_retention_rule(
        self, info: Info[Context, None], category: RetentionCategory, days: int | None = None
    ) -> RetentionRulePayload:
        """``INVALID_INPUT`` on ``days``."""
        ctx = info.context
        tenant = ctx.require_tenant()
        _, errors = await attempt(
            lambda: retention.do_set_rule(tenant.id, ctx.principal, category.value, days)
        )
        if errors:
            return RetentionRulePayload(errors=errors)
        async with db.read_tx(tenant.id):
            table = await retention.rules(tenant.id)
        return RetentionRulePayload(
            rule=next(RetentionRule.of(r) for r in table if r.category == category.value)
        )
