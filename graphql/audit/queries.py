"""The command's own audit log (tenant admins). Every read is itself audited."""

from __future__ import annotations

import uuid
from dataclasses import replace

import strawberry
from strawberry.types import Info

from jogo.graphql.audit.types import AuditLogFilter
from jogo.graphql.context import Context
from jogo.graphql.limits import page_size
from jogo.graphql.oversight.types import AuditConnection, AuditEntry
from jogo.graphql.permissions import requires
from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.audit_read import AuditFilter, tenant_audit_page
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.tenants.privacy.export import subject_targets

MAX_AUDIT_ID = 2**63 - 1


def audit_cursor(after: str | None, field: str = "after") -> int | None:
    """An audit entry id (ASCII digits, a positive bigint), or None."""
    if after is None:
        return None
    if not (after.isascii() and after.isdigit() and 0 < int(after) <= MAX_AUDIT_ID):
        raise InvalidInput(f"{field} must be an audit entry id", field=field)
    return int(after)


async def _subject_targets(tenant_id: uuid.UUID, subject: str) -> list[str]:
    try:
        user_id = uuid.UUID(str(subject))
    except ValueError:
        return []
    async with db.read_tx(tenant_id):
        return await subject_targets(tenant_id, user_id)


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="This command's audit log, newest first (tenant admins): key and user"
        " administration, reporter identities read, sign-ins and lockouts of its users,"
        " directory changes. first: 1-100; after: the endCursor of the previous page."
        " Times in the command's zone. The read is itself audited (audit.read).",
        permission_classes=[requires(Cap.TENANT_ADMIN)],
    )
    async def audit_log(
        self,
        info: Info[Context, None],
        filter: AuditLogFilter | None = None,
        first: int = 50,
        after: str | None = None,
        data_subject_id: strawberry.ID | None = None,
    ) -> AuditConnection | None:
        """A page of this command's audit log, newest first (``after``: the previous page's
        ``endCursor``, an audit entry id), times in the command's zone. Needs ``TENANT_ADMIN``.
        The read itself writes an ``audit.read`` row. ``INVALID_INPUT`` for ``first`` outside
        1-100, a bad cursor, or a bad filter. ``dataSubjectId`` (a user id): only rows about
        that person here (their account and the reports they made; UU PDP); an unknown id
        gives an empty page.
        """
        page_size(first)
        ctx = info.context
        tenant = ctx.require_tenant()
        before_id = audit_cursor(after)
        f = filter.to_domain(tenant.time_zone) if filter else AuditFilter()
        if data_subject_id is not None:
            f = replace(f, targets=tuple(await _subject_targets(tenant.id, data_subject_id)))
        await write_audit(
            "audit.read",
            principal=ctx.principal,
            tenant_id=tenant.id,
            detail={"filter": f.as_detail(), "after": before_id},
        )
        rows = await tenant_audit_page(tenant.id, f, first, before_id)
        entries = [AuditEntry.of(r, tenant.time_zone) for r in rows[:first]]
        return AuditConnection(
            entries=entries,
            has_next_page=len(rows) > first,
            end_cursor=entries[-1].id if entries else None,
        )
