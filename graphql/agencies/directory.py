"""Changing and deactivating agencies and hospitals (hospitals are agencies of kind
``hospital``); :mod:`jogo.tenants.agencies.directory`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from jogo.graphql.agencies.types import (
    EMAIL_DESCRIPTION,
    PHONE_DESCRIPTION,
    Agency,
    AgencyPayload,
    ContactInput,
)
from jogo.graphql.context import Context
from jogo.graphql.errors import attempt
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.tenants.agencies.directory import do_set_entry_active
from jogo.tenants.agencies.edits import do_update_agency
from jogo.tenants.agencies.queries import agency_by_id

UNSET: Any = strawberry.UNSET


@strawberry.input(
    description="Changes to an agency or hospital: a field left out stays as it is; null"
    " clears an optional one. The code cannot change. Secrets are write-only."
)
class UpdateAgencyInput:
    name: str | None = UNSET
    kind: str | None = UNSET
    role: str | None = strawberry.field(
        default=UNSET,
        description="The kind of agency it is for routing and readiness: transport, fire,"
        " disaster, environment, electricity, public_works, health, hospital, cctv,"
        " public_order, social, water or other.",
    )
    connector: str | None = UNSET
    endpoint_url: str | None = UNSET
    secret: str | None = strawberry.field(
        default=UNSET, description="A new secret (16+ characters); left out keeps the old one."
    )
    service_codes: strawberry.scalars.JSON | None = UNSET
    timeout_seconds: int | None = UNSET
    contacts: list[ContactInput] | None = UNSET
    phone: str | None = strawberry.field(default=UNSET, description=PHONE_DESCRIPTION)
    email: str | None = strawberry.field(default=UNSET, description=EMAIL_DESCRIPTION)
    address: str | None = UNSET
    latitude: float | None = UNSET
    longitude: float | None = UNSET
    capacity_url: str | None = UNSET
    capacity_format: str | None = UNSET
    jurisdiction_id: str | None = UNSET

    def given(self) -> dict[str, Any]:
        """The fields the caller set, as ``do_update_agency`` takes them (absent ones stay; null
        clears a nullable one): contacts as plain dicts, service codes as a string map.

        ``INVALID_INPUT`` when ``serviceCodes`` is not an object, or when name, kind, connector or
        timeoutSeconds is set to null (they cannot be cleared).
        """
        values = {k: v for k, v in vars(self).items() if v is not UNSET}
        if "contacts" in values:
            values["contacts"] = [
                {k: v for k, v in vars(c).items() if v is not None}
                for c in values["contacts"] or []
            ]
        if "service_codes" in values:
            codes = values["service_codes"]
            if codes is not None and not isinstance(codes, dict):
                raise InvalidInput(
                    "serviceCodes must be an object of category code → service code",
                    field="serviceCodes",
                )
            values["service_codes"] = {str(k): str(v) for k, v in (codes or {}).items()}
        for key in ("name", "kind", "connector", "timeout_seconds"):
            if key in values and values[key] is None:
                raise InvalidInput(f"{_camel(key)} cannot be cleared", field=_camel(key))
        return values


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


@strawberry.type
class AgencyDirectoryMutation:
    @strawberry.mutation(
        description="Change an agency or hospital (tenant admins). Checked like createAgency;"
        " a changed endpointUrl or capacityUrl must pass the egress rule. Audited with the"
        " changed fields before and after. NOT_FOUND for an unknown id, CONFLICT when it"
        " changed meanwhile.",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def update_agency(
        self, info: Info[Context, None], agency_id: strawberry.ID, input: UpdateAgencyInput
    ) -> AgencyPayload:
        """Change an agency or hospital; the result is checked as a whole like ``createAgency``, and
        a changed endpoint or capacity URL must pass the egress (SSRF) rule. Audited with the
        changed fields before and after. Needs ``DIRECTORY_WRITE``. Errors: ``INVALID_INPUT`` per
        field, ``NOT_FOUND`` (unknown id), ``CONFLICT`` (changed meanwhile).
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        done, errors = await attempt(
            lambda: do_update_agency(
                tenant.id,
                ctx.principal,
                parse_uuid(agency_id, "agencyId"),
                input.given(),
                ctx.settings.secret_key,
                allow_private_egress=ctx.settings.allow_private_egress,
            )
        )
        if done is None:
            return AgencyPayload(errors=errors)
        return AgencyPayload(agency=Agency.of(await agency_by_id(tenant.id, done)))

    @strawberry.mutation(
        description="Deactivate an agency or hospital (tenant admins): kept with its history,"
        " no longer offered for new dispatches, routing, SOS answers or the default lists."
        " Audited.",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def deactivate_agency(
        self, info: Info[Context, None], agency_id: strawberry.ID
    ) -> AgencyPayload:
        """Deactivate an agency or hospital: kept with its history, no longer offered for dispatch,
        routing, SOS or the default lists; audited unless already inactive. Needs
        ``DIRECTORY_WRITE``; ``NOT_FOUND`` for an unknown id.
        """
        return await _set_active(info, agency_id, False)

    @strawberry.mutation(
        description="Make a deactivated agency or hospital active again (tenant admins).",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def reactivate_agency(
        self, info: Info[Context, None], agency_id: strawberry.ID
    ) -> AgencyPayload:
        """Make a deactivated agency or hospital active again; audited unless already active. Needs
        ``DIRECTORY_WRITE``; ``NOT_FOUND`` for an unknown id.
        """
        return await _set_active(info, agency_id, True)


async def _set_active(
    info: Info[Context, None], agency_id: strawberry.ID, active: bool
) -> AgencyPayload:
    ctx = info.context
    tenant = ctx.require_tenant()
    done, errors = await attempt(
        lambda: do_set_entry_active(
            tenant.id, ctx.principal, "agency", parse_uuid(agency_id, "agencyId"), active
        )
    )
    if done is None:
        return AgencyPayload(errors=errors)
    return AgencyPayload(agency=Agency.of(await agency_by_id(tenant.id, done)))
