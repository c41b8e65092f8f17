"""Reads of data-subject requests, the export, legal holds, deadlines and retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.ids import parse_uuid
from jogo.graphql.limits import page_size
from jogo.graphql.permissions import allowed, requires
from jogo.graphql.privacy.types import (
    DataSubjectExport,
    DataSubjectRequest,
    DataSubjectRequestStatus,
    LegalHold,
    PrivacyDeadline,
    RetentionRule,
    RetentionRun,
)
from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import Conflict, NotFound
from jogo.tenants.privacy import deadlines, export, holds, requests, retention


async def with_logs(tenant_id: Any, rows: list[dict[str, Any]]) -> list[DataSubjectRequest]:
    """Requests with their logs (one statement for every log)."""
    logs = await requests.logs_of(tenant_id, [r["id"] for r in rows]) if rows else {}
    now = datetime.now(UTC)
    return [DataSubjectRequest.of(r, logs.get(r["id"], []), now) for r in rows]


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="Data-subject requests at this command: open ones first by deadline,"
        " then the newest closed (privacy:requests). first: 1-100.",
        permission_classes=[requires(Cap.PRIVACY_REQUESTS)],
    )
    async def data_subject_requests(
        self,
        info: Info[Context, None],
        status: list[DataSubjectRequestStatus] | None = None,
        first: int = 50,
    ) -> list[DataSubjectRequest] | None:
        """Requests with their logs and deadlines. ``INVALID_INPUT`` for ``first``."""
        page_size(first)
        tenant = info.context.require_tenant()
        statuses = [s.value for s in status] if status else None
        return await with_logs(tenant.id, await requests.list_requests(tenant.id, statuses, first))

    @strawberry.field(
        description="Your own data-subject requests at this command, newest first.",
        permission_classes=[requires(Cap.OWN_ACCOUNT)],
    )
    async def my_data_subject_requests(
        self, info: Info[Context, None]
    ) -> list[DataSubjectRequest] | None:
        """The signed-in person's requests (at most 100), with logs."""
        ctx = info.context
        tenant = ctx.require_tenant()
        if ctx.principal.id is None:
            return []
        return await with_logs(tenant.id, await requests.requests_of(tenant.id, ctx.principal.id))

    @strawberry.field(
        description="What this command holds about the person of an answered ACCESS"
        " request, as JSON and HTML: the person themselves, or privacy:requests staff"
        " (audited privacy.export.read). NOT_FOUND for another person's request; CONFLICT"
        " before the request is DONE.",
        permission_classes=[requires(Cap.OWN_ACCOUNT)],
    )
    async def data_subject_export(
        self, info: Info[Context, None], request_id: strawberry.ID
    ) -> DataSubjectExport | None:
        """The export of ``requestId`` (an ACCESS request, DONE)."""
        ctx = info.context
        tenant = ctx.require_tenant()
        rid = parse_uuid(request_id, "requestId", requests.NOT_FOUND)
        row = await requests.request_row(tenant.id, rid)
        staff = allowed(ctx, Cap.PRIVACY_REQUESTS)
        if (
            row is None
            or row["request_right"] != "ACCESS"
            or (not staff and row["subject_user_id"] != ctx.principal.id)
        ):
            raise NotFound(requests.NOT_FOUND, field="requestId")
        if row["status"] != "DONE":
            raise Conflict(
                "permintaan belum selesai / the request is not done yet", field="requestId"
            )
        if row["subject_user_id"] != ctx.principal.id:
            async with db.tenant_tx(tenant.id):
                await write_audit(
                    "privacy.export.read",
                    principal=ctx.principal,
                    tenant_id=tenant.id,
                    target=f"user:{row['subject_user_id']}",
                    detail={"request": str(rid)},
                )
        data = await export.collect(tenant, row["subject_user_id"])
        return DataSubjectExport(data=data, html=export.render_html(data))  # type: ignore[arg-type]

    @strawberry.field(
        description="The deadline per right at this command, with the law's default and"
        " articles (privacy:requests).",
        permission_classes=[requires(Cap.PRIVACY_REQUESTS)],
    )
    async def privacy_deadlines(self, info: Info[Context, None]) -> list[PrivacyDeadline] | None:
        """Every right's deadline (4 rows)."""
        tenant = info.context.require_tenant()
        async with db.read_tx(tenant.id):
            table = await deadlines.deadline_table(tenant.id)
        return [PrivacyDeadline.of(d) for d in table]

    @strawberry.field(
        description="How long each category of personal data is kept here (privacy:requests).",
        permission_classes=[requires(Cap.PRIVACY_REQUESTS)],
    )
    async def retention_rules(self, info: Info[Context, None]) -> list[RetentionRule] | None:
        """Every category's rule (3 rows)."""
        tenant = info.context.require_tenant()
        async with db.read_tx(tenant.id):
            table = await retention.rules(tenant.id)
        return [RetentionRule.of(r) for r in table]

    @strawberry.field(
        description="The newest retention runs and what each did (tenant admins). first: 1-100.",
        permission_classes=[requires(Cap.TENANT_ADMIN)],
    )
    async def retention_runs(
        self, info: Info[Context, None], first: int = 20
    ) -> list[RetentionRun] | None:
        """Runs newest first. ``INVALID_INPUT`` for ``first``."""
        page_size(first)
        tenant = info.context.require_tenant()
        return [
            RetentionRun(
                id=strawberry.ID(str(r["id"])),
                as_of=r["as_of"],
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                counts=r["counts"],
            )
            for r in await retention.runs(tenant.id, first)
        ]

    @strawberry.field(
        description="Reports under a legal hold, newest first (privacy:requests). first: 1-100.",
        permission_classes=[requires(Cap.PRIVACY_REQUESTS)],
    )
    async def legal_holds(
        self, info: Info[Context, None], first: int = 50
    ) -> list[LegalHold] | None:
        """Held reports with reason, who and when. ``INVALID_INPUT`` for ``first``."""
        page_size(first)
        tenant = info.context.require_tenant()
        return [
            LegalHold(
                report_id=strawberry.ID(str(r["id"])),
                ticket=r["ticket"],
                reason=r["reason"],
                held_by=r["held_by"],
                held_at=r["held_at"],
            )
            for r in await holds.legal_holds(tenant.id, first)
        ]
