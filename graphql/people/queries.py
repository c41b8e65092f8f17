"""The command's people (tenant admins) and one's own account (everyone signed in)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.limits import MAX_PAGE, page_size
from jogo.graphql.people.types import (
    Member,
    MemberConnection,
    MemberEdge,
    MemberRole,
    MemberStatus,
    StaffSignInPolicy,
)
from jogo.graphql.permissions import requires
from jogo.graphql.reports.types import PageInfo
from jogo.platform.auth import members, totp
from jogo.platform.auth.roles import Cap

ADMIN = [requires(Cap.TENANT_ADMIN)]


@strawberry.type
class PeopleQuery:
    @strawberry.field(
        description="This command's sign-in policy for its staff. Tenant admins only.",
        permission_classes=ADMIN,
    )
    async def staff_sign_in_policy(self, info: Info[Context, None]) -> StaffSignInPolicy | None:
        """Whether TOTP is mandatory for this command's operators and tenant admins. Needs
        ``TENANT_ADMIN``."""
        tenant = info.context.require_tenant()
        return StaffSignInPolicy(two_factor_required=await totp.tenant_requires(tenant.id))

    @strawberry.field(
        description=f"This command's people by username; first ≤ {MAX_PAGE}. search:"
        " part of the username or full name. Tenant admins only.",
        permission_classes=ADMIN,
    )
    async def members(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
        search: str | None = None,
        role: MemberRole | None = None,
        status: MemberStatus | None = None,
    ) -> MemberConnection | None:
        """A page of this command's people by username: ACTIVE, PENDING (no password yet) and
        DEACTIVATED, filtered by part of the username or full name, a role or a status. Needs
        ``TENANT_ADMIN``. ``INVALID_INPUT`` for ``first`` outside 1-100, a bad cursor or search.
        """
        page = await members.list_members(
            info.context.require_tenant().id,
            first=page_size(first),
            after=after,
            search=search,
            role=role.value if role else None,
            status=status.value if status else None,
        )
        edges = [
            MemberEdge(cursor=members.encode_cursor(r["username"]), node=Member.of(r))
            for r in page.rows
        ]
        return MemberConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                end_cursor=edges[-1].cursor if edges else None,
                start_cursor=edges[0].cursor if edges else None,
            ),
        )
