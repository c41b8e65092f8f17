"""Jurisdiction and transfers (issue 14, item 8). Thin: the work is in
:mod:`jogo.tenants.reports.jurisdiction` and :mod:`jogo.tenants.reports.transfer`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import requires, writes
from jogo.platform import db
from jogo.platform.audit import actor_of
from jogo.platform.auth.roles import Cap
from jogo.platform.storage import FileStore
from jogo.tenants.reports.jurisdiction import (
    JurisdictionSet,
    do_set_jurisdiction,
    read_jurisdiction,
    vertex_count,
)
from jogo.tenants.reports.transfer import Transferred, do_transfer_report

GEOJSON = (
    "A GeoJSON Polygon or MultiPolygon (or a Feature holding one), WGS84, longitude first;"
    " at most 10000 vertices. Null or empty clears it (no report is then flagged)."
)


@strawberry.type(description="Where a command works; reports located outside are flagged.")
class Jurisdiction:
    geojson: str | None = strawberry.field(description="The stored GeoJSON geometry, or null.")
    version: int = strawberry.field(description="Goes up by one on every change.")
    vertices: int


@strawberry.type
class JurisdictionPayload:
    jurisdiction: Jurisdiction | None = None
    open_reports: int = strawberry.field(
        default=0, description="Open reports evaluated again against the new jurisdiction."
    )
    flagged: int = strawberry.field(default=0, description="Of those, now outside it.")
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, done: JurisdictionSet | None, errors: list[UserError]) -> JurisdictionPayload:
        """The payload for a jurisdiction change: the stored polygon (GeoJSON text), its version and
        vertex count, and how many open reports were re-evaluated and flagged outside; or the
        typed errors alone.
        """
        if done is None:
            return cls(errors=errors)
        text = json.dumps(done.geojson) if done.geojson is not None else None
        return cls(
            jurisdiction=Jurisdiction(geojson=text, version=done.version, vertices=done.vertices),
            open_reports=done.open_reports,
            flagged=done.flagged,
        )


@strawberry.type(description="A report moved to another command.")
class ReportTransfer:
    report_id: strawberry.ID
    ticket: str = strawberry.field(description="Unchanged: the citizen keeps it and the PIN.")
    from_status: str
    from_tenant_slug: str
    to_tenant_slug: str
    to_tenant_name: str
    at: datetime

    @classmethod
    def of(cls, t: Transferred) -> ReportTransfer:
        """The outcome of a transfer: the report's ID, its ticket and former
        status, both commands' slugs and the target's name, stamped now (UTC).
        """
        return cls(
            report_id=strawberry.ID(str(t.report_id)),
            ticket=t.ticket,
            from_status=t.from_status,
            from_tenant_slug=t.source.slug,
            to_tenant_slug=t.target.slug,
            to_tenant_name=t.target.name,
            at=datetime.now(UTC),
        )


@strawberry.type
class TransferReportPayload:
    transfer: ReportTransfer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class JurisdictionQuery:
    @strawberry.field(
        description="This command's jurisdiction (null when none is set).",
        permission_classes=[requires(Cap.TENANT_READ)],
    )
    async def jurisdiction(self, info: Info[Context, None]) -> Jurisdiction | None:
        """This command's jurisdiction as GeoJSON text (WGS84, longitude first) with its version and
        vertex count, from the ``tenants`` row; null when none is set. Needs ``TENANT_READ``.
        """
        tenant = info.context.require_tenant()
        async with db.read_tx(tenant.id):
            geojson, version = await read_jurisdiction(tenant.id)
        if geojson is None:
            return None
        return Jurisdiction(
            geojson=json.dumps(geojson), version=version, vertices=vertex_count(geojson)
        )


@strawberry.type
class TransferMutation:
    @strawberry.mutation(
        description="Set or clear this command's jurisdiction; open reports are flagged"
        " again. Audited. INVALID_INPUT on geojson names what is wrong.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def set_jurisdiction(
        self,
        info: Info[Context, None],
        geojson: Annotated[str | None, strawberry.argument(description=GEOJSON)] = None,
    ) -> JurisdictionPayload:
        """Set (or clear, with null or empty) the jurisdiction polygon; every open report's
        outside-jurisdiction flag is evaluated again, audited, in one transaction. Needs
        ``TENANT_ADMIN``. ``INVALID_INPUT`` on ``geojson`` says what is wrong (type, ring,
        coordinates, over 10000 vertices).
        """
        tenant = info.context.require_tenant()
        actor = actor_of(info.context.principal)
        done, errors = await attempt(lambda: do_set_jurisdiction(tenant, geojson, actor=actor))
        return JurisdictionPayload.of(done, errors)

    @strawberry.mutation(
        description="Move a SUBMITTED or VERIFIED report, its timeline and photos to another"
        " command in one transaction (operators only, not API keys). The ticket and PIN keep"
        " working on both commands. Audited in both. CONFLICT while an agency dispatch is"
        " open or when the target is suspended or lacks the category; ILLEGAL_TRANSITION for"
        " a report past VERIFIED; NOT_FOUND for an unknown report or command.",
        extensions=writes(Cap.REPORTS_TRIAGE),
    )
    async def transfer_report(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        to_tenant_slug: str,
        reason: str,
    ) -> TransferReportPayload:
        """Move a SUBMITTED or VERIFIED report with its timeline and photos to the command
        ``toTenantSlug``, in one transaction, audited in both; ticket and PIN keep working.

        Needs ``REPORTS_TRIAGE`` as a user (an API key is ``FORBIDDEN``). Errors: ``CONFLICT``
        (open agency dispatch, target suspended or without the category), ``ILLEGAL_TRANSITION``
        (past VERIFIED), ``NOT_FOUND`` (report or command), ``INVALID_INPUT`` (reason not 5-1000
        characters, or the same command).
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        store = FileStore(ctx.settings.data_dir / "attachments")
        done, errors = await attempt(
            lambda: do_transfer_report(
                tenant,
                ctx.principal,
                parse_uuid(id, "id", "report not found"),
                to_tenant_slug,
                reason,
                store,
            )
        )
        if done is None:
            return TransferReportPayload(errors=errors)
        return TransferReportPayload(transfer=ReportTransfer.of(done))
