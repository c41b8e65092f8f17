"""People and units: the ``units`` list and the ``officers`` search (mutations:
:mod:`jogo.graphql.units.mutations`)."""

from __future__ import annotations

import base64
import binascii

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.permissions import requires
from jogo.graphql.reports.types import PageInfo
from jogo.graphql.units.types import (
    StaffConnection,
    StaffEdge,
    StaffMember,
    Unit,
    UnitConnection,
    UnitEdge,
)
from jogo.platform.auth.roles import Cap
from jogo.platform.auth.users import search_staff
from jogo.platform.errors import InvalidInput
from jogo.tenants.units import queries

SEARCH_MAX = 100


def _username_cursor(username: str) -> str:
    return base64.urlsafe_b64encode(f"u:{username}".encode()).decode()


def _after_username(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode() if len(cursor) <= 200 else ""
    except (binascii.Error, ValueError):
        raw = ""
    if not raw.startswith("u:"):
        raise InvalidInput("the cursor is not one this API gave out", field="after")
    return raw[2:]


@strawberry.type
class UnitsQuery:
    @strawberry.field(
        description=f"This command's units by name (police staff); first ≤ {queries.MAX_PAGE}."
        " Deactivated ones only with includeInactive.",
        permission_classes=[requires(Cap.REPORTS_READ_ASSIGNED)],
    )
    async def units(
        self,
        info: Info[Context, None],
        first: int = 50,
        after: str | None = None,
        include_inactive: bool = False,
    ) -> UnitConnection | None:
        """A page of this command's units by name (case-insensitive), active ones unless
        ``includeInactive``. Needs ``REPORTS_READ_ASSIGNED`` (police staff). ``INVALID_INPUT``
        for ``first`` outside 1-100 or a cursor this API did not give out.
        """
        tenant = info.context.require_tenant()
        rows, has_next = await queries.list_units(
            tenant.id, include_inactive=include_inactive, first=first, after=after
        )
        edges = [UnitEdge(cursor=queries.unit_cursor(r), node=Unit.of(r)) for r in rows]
        return UnitConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=has_next,
                end_cursor=edges[-1].cursor if edges else None,
                start_cursor=edges[0].cursor if edges else None,
            ),
        )

    @strawberry.field(
        description="Operators: this command's active officers, operators and tenant admins"
        " (the ids assignReport and setUnitMembers take), by username. search: part of the"
        f" username or full name, any case. first ≤ {queries.MAX_PAGE}.",
        permission_classes=[requires(Cap.REPORTS_TRIAGE)],
    )
    async def officers(
        self,
        info: Info[Context, None],
        search: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> StaffConnection | None:
        """A page of this command's active officers, operators and tenant admins by username, with
        roles (the ids ``assignReport`` and ``setUnitMembers`` take); ``search`` matches part of
        the username or full name, any case. Needs ``REPORTS_TRIAGE``. ``INVALID_INPUT`` for
        ``first`` outside 1-100, a search over 100 characters or a bad cursor.
        """
        tenant = info.context.require_tenant()
        if not 1 <= first <= queries.MAX_PAGE:
            raise InvalidInput(f"first must be between 1 and {queries.MAX_PAGE}", field="first")
        text = " ".join((search or "").split()) or None
        if text and len(text) > SEARCH_MAX:
            raise InvalidInput(f"search may be at most {SEARCH_MAX} characters", field="search")
        rows = await search_staff(tenant.id, text, _after_username(after), first + 1)
        edges = [
            StaffEdge(
                cursor=_username_cursor(str(r["username"])),
                node=StaffMember(
                    id=strawberry.ID(str(r["id"])),
                    username=str(r["username"]),
                    full_name=r["full_name"],  # type: ignore[arg-type]
                    display_name=str(r["full_name"] or r["username"]),
                    roles=list(r["roles"]),  # type: ignore[call-overload]
                ),
            )
            for r in rows[:first]
        ]
        return StaffConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                end_cursor=edges[-1].cursor if edges else None,
                start_cursor=edges[0].cursor if edges else None,
            ),
        )
