"""Units and officers as the tenant schema shows them; relations load through per-request
DataLoaders (one statement per batch)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.reports.dataloaders import _loader, report_loaders
from jogo.graphql.reports.types import Officer, PageInfo
from jogo.tenants.units import queries
from jogo.tenants.units.tables import UnitKind, UnitStatus

strawberry.enum(  # registers the enum for the schema; fields name UnitKind itself
    UnitKind,
    name="UnitKind",
    description="The function a unit belongs to: SAMAPTA (patrol, formerly Sabhara),"
    " RESKRIM (criminal investigation), LANTAS (traffic), RESNARKOBA, INTELKAM, BINMAS"
    " (community policing), SPKT (service desk), OTHER.",
)
strawberry.enum(UnitStatus, name="UnitStatus", description="A unit's state on this shift.")


@dataclass
class UnitLoaders:
    unit: DataLoader[uuid.UUID, dict[str, Any] | None]
    members: DataLoader[uuid.UUID, list[uuid.UUID]]
    units_of: DataLoader[uuid.UUID, list[dict[str, Any]]]
    names: DataLoader[uuid.UUID, tuple[str, str | None] | None]


def unit_loaders(context: Context) -> UnitLoaders:
    """This request's unit loaders (made once, kept in ``context.loaders``): units by id,
    members by unit, active units by member, and names shared with the report loaders.
    """
    existing = context.loaders.get("units")
    if isinstance(existing, UnitLoaders):
        return existing
    tid = context.require_tenant().id
    made = UnitLoaders(
        unit=_loader(lambda ids: queries.units_by_id(tid, ids)),
        members=_loader(lambda ids: queries.members_by_unit(tid, ids), list),
        units_of=_loader(lambda ids: queries.active_units_by_member(tid, ids), list),
        # Shared with Report.assignedOfficer: one batch for every name on the page.
        names=report_loaders(context).officer,
    )
    context.loaders["units"] = made
    return made


@strawberry.type(description="A field unit of this command (a patrol, a team, a crew).")
class Unit:
    id: strawberry.ID
    name: str
    kind: UnitKind
    status: UnitStatus
    is_active: bool = strawberry.field(description="False once deactivated (history kept).")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> Unit:
        """A unit from its ``units`` row: name, kind, shift status, whether active, times."""
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            kind=UnitKind(row["kind"]),
            status=UnitStatus(row["status"]),
            is_active=row["is_active"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    @strawberry.field(description="Its members (officers of this command), first added first.")
    async def members(self, info: Info[Context, None]) -> list[Officer]:
        """The unit's members, first added first, with username and full name (batched); empty
        for a deactivated unit.
        """
        view = unit_loaders(info.context)
        ids = await view.members.load(uuid.UUID(str(self.id)))
        names = await view.names.load_many(ids)
        return [
            Officer(id=strawberry.ID(str(i)), username=n[0], full_name=n[1])
            for i, n in zip(ids, names, strict=True)
            if n is not None
        ]


@strawberry.type
class UnitEdge:
    cursor: str
    node: Unit


@strawberry.type
class UnitConnection:
    edges: list[UnitEdge]
    page_info: PageInfo


@strawberry.type(description="An active officer, operator or tenant admin of this command.")
class StaffMember:
    id: strawberry.ID = strawberry.field(description="The id assignReport takes as officerId.")
    username: str
    full_name: str | None
    display_name: str = strawberry.field(description="The full name, else the username.")
    roles: list[str] = strawberry.field(description="Roles in this command, e.g. officer.")

    @strawberry.field(description="The active units they are a member of.")
    async def units(self, info: Info[Context, None]) -> list[Unit]:
        """The active units this person is a member of, by name (batched)."""
        rows = await unit_loaders(info.context).units_of.load(uuid.UUID(str(self.id)))
        return [Unit.of(r) for r in rows]


@strawberry.type
class StaffEdge:
    cursor: str
    node: StaffMember


@strawberry.type
class StaffConnection:
    edges: list[StaffEdge]
    page_info: PageInfo
