"""Unit mutations: create, rename, status, members."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.graphql.units.types import Unit, UnitKind, UnitStatus
from jogo.platform.errors import InvalidInput
from jogo.tenants.units import actions, queries


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
        """Create an AVAILABLE unit of a Polri function (SAMAPTA, RESKRIM, …) without
        members. Needs ``REPORTS_TRIAGE`` (operators and tenant admins); audited. Errors:
        ``INVALID_INPUT`` (name), ``CONFLICT`` (an active unit has the name, or ``clientKey``
        reused with other input).
        """
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
        """Rename a unit or change its kind (at least one). Needs ``REPORTS_TRIAGE``; audited.
        Errors: ``INVALID_INPUT``, ``NOT_FOUND`` (unit), ``CONFLICT`` (name taken, or the unit is
        deactivated).
        """
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
        """Set a unit AVAILABLE, BUSY or OFF_DUTY. Needs ``REPORTS_TRIAGE``; audited. Errors:
        ``INVALID_INPUT``, ``NOT_FOUND`` (unit), ``CONFLICT`` (deactivated unit).
        """
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
        """Replace a unit's members: at most 50 active officers, operators or tenant admins of this
        command (an empty list empties it). Needs ``REPORTS_TRIAGE``; audited. Errors:
        ``INVALID_INPUT`` on ``userIds`` (too many, a malformed id or no staff member here),
        ``NOT_FOUND`` (unit), ``CONFLICT`` (deactivated unit).
        """
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
        """Retire a unit: kept on the reports it worked, takes no new ones, its name is free again.
        Needs ``REPORTS_TRIAGE``; audited. ``NOT_FOUND`` (unit), ``CONFLICT`` while it has open
        reports.
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _run(
            info, lambda: actions.do_deactivate_unit(tenant.id, ctx.principal, _unit_id(unit_id))
        )
