"""People and units: the ``units`` list, the ``officers`` search and the unit mutations."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import requires, writes
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
from jogo.tenants.units import actions, queries
from jogo.tenants.units.tables import UnitKind, UnitStatus

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


@strawberry.type
class UnitPayload:
    unit: Unit | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _run(
    info: Info[Context, None], action: Callable[[], Awaitable[uuid.UUID]]
) -> UnitPayload:
    unit_id, errors = await attempt(action)
    if unit_id is None:
        return UnitPayload(errors=errors)
    found = await queries.units_by_id(info.context.require_tenant().id, [unit_id])
    return UnitPayload(unit=Unit.of(found[unit_id]) if unit_id in found else None)


def _unit_id(value: strawberry.ID) -> uuid.UUID:
    return parse_uuid(value, "unitId", "unit not found")


def _user_ids(values: list[strawberry.ID]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            raise InvalidInput("not an officer of this command", field="userIds") from None
    return ids


@strawberry.type
class UnitsMutation:
    @strawberry.mutation(
        description="A new AVAILABLE unit, without members.", extensions=writes(actions.MANAGE)
    )
    async def create_unit(
        self,
        info: Info[Context, None],
        name: str,
        kind: UnitKind,
        client_key: ClientKeyArgument = None,
    ) -> UnitPayload:
        ctx = info.context
        tenant = ctx.require_tenant()
        arguments = {"name": name, "kind": kind}
        return await _run(
            info,
            lambda: actions.do_create_unit(
                tenant.id,
                ctx.principal,
                name,
                kind.value,
                retry=retry_key(info, "createUnit", client_key, arguments),
            ),
        )

    @strawberry.mutation(
        description="Rename a unit or change its kind.", extensions=writes(actions.MANAGE)
    )
    async def update_unit(
        self,
        info: Info[Context, None],
        unit_id: strawberry.ID,
        name: str | None = None,
        kind: UnitKind | None = None,
    ) -> UnitPayload:
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _run(
            info,
            lambda: actions.do_update_unit(
                tenant.id, ctx.principal, _unit_id(unit_id), name, kind.value if kind else None
            ),
        )

    @strawberry.mutation(
        description="AVAILABLE, BUSY or OFF_DUTY.", extensions=writes(actions.MANAGE)
    )
    async def set_unit_status(
        self,
        info: Info[Context, None],
        unit_id: strawberry.ID,
        status: UnitStatus,
    ) -> UnitPayload:
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _run(
            info,
            lambda: actions.do_set_unit_status(
                tenant.id, ctx.principal, _unit_id(unit_id), status.value
            ),
        )

    @strawberry.mutation(
        description="Replace a unit's members (at most 50 active officers, operators or"
        " tenant admins of this command; an empty list empties it). Audited.",
        extensions=writes(actions.MANAGE),
    )
    async def set_unit_members(
        self, info: Info[Context, None], unit_id: strawberry.ID, user_ids: list[strawberry.ID]
    ) -> UnitPayload:
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _run(
            info,
            lambda: actions.do_set_unit_members(
                tenant.id, ctx.principal, _unit_id(unit_id), _user_ids(user_ids)
            ),
        )

    @strawberry.mutation(
        description="Retire a unit (kept on the reports it worked). CONFLICT while it has"
        " open reports.",
        extensions=writes(actions.MANAGE),
    )
    async def deactivate_unit(
        self, info: Info[Context, None], unit_id: strawberry.ID
    ) -> UnitPayload:
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _run(
            info, lambda: actions.do_deactivate_unit(tenant.id, ctx.principal, _unit_id(unit_id))
        )
