from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from jogo.graphql.agencies.types import (
    Agency,
    AgencyPayload,
    CreateAgencyInput,
    Dispatch,
    DispatchPayload,
    RoutingRulePayload,
)
from jogo.graphql.context import Context
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.idempotency import ClientKeyArgument, plain, retry_key, sealed
from jogo.graphql.ids import parse_uuid
from jogo.graphql.permissions import writes
from jogo.graphql.reports.dataloaders import viewer_of
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.tenants.agencies import answers, dispatches
from jogo.tenants.agencies.actions import (
    AgencyInput,
    do_create_agency,
    do_set_agency_jurisdiction,
    do_set_routing_rule,
)
from jogo.tenants.agencies.queries import agency_by_id, dispatch_by_id


@strawberry.type
class AgenciesMutation:
    @strawberry.mutation(
        description="Add an agency with its connector (tenant admins).",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def create_agency(
        self,
        info: Info[Context, None],
        input: CreateAgencyInput,
        client_key: ClientKeyArgument = None,
    ) -> AgencyPayload:
        """Add an agency (or hospital) with its connector (manual, webhook, or Open311 GeoReport
        v2); the connector secret is stored encrypted. Needs ``DIRECTORY_WRITE``.

        Errors: ``INVALID_INPUT`` per field (contacts, endpoint or capacity URL refused by the
        egress rule, …), ``CONFLICT`` for an existing code or a ``clientKey`` reused with other
        input. A ``clientKey`` retry answers the first agency and writes nothing.
        """
        ctx = info.context
        tenant = ctx.require_tenant()

        async def create() -> uuid.UUID:
            secret_key = ctx.settings.secret_key
            data = AgencyInput(
                code=input.code,
                name=input.name,
                kind=input.kind,
                connector=input.connector,
                endpoint_url=input.endpoint_url,
                secret=input.secret,
                service_codes=_codes(input.service_codes),
                timeout_seconds=input.timeout_seconds,
                contacts=[
                    {k: v for k, v in vars(c).items() if v is not None}
                    for c in input.contacts or []
                ],
                phone=input.phone,
                email=input.email,
                address=input.address,
                latitude=input.latitude,
                longitude=input.longitude,
                capacity_url=input.capacity_url,
                capacity_format=input.capacity_format,
                jurisdiction_id=input.jurisdiction_id,
                role=input.role,
            )
            return await do_create_agency(
                tenant.id,
                ctx.principal,
                data,
                ctx.settings.secret_key,
                allow_private_egress=ctx.settings.allow_private_egress,
                # The connector secret counts as an HMAC under our key: the stored digest
                # must not become a way to test guesses of it.
                retry=retry_key(
                    info,
                    "createAgency",
                    client_key,
                    {"input": plain(input) | {"secret": sealed(input.secret, secret_key)}},
                ),
            )

        agency_id, errors = await attempt(create)
        if agency_id is None:
            return AgencyPayload(errors=errors)
        return AgencyPayload(agency=Agency.of(await agency_by_id(tenant.id, agency_id)))

    @strawberry.mutation(
        description="Set an Open311 agency's jurisdiction_id (null or empty clears it);"
        " it is sent on every later request (tenant admins).",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def set_agency_jurisdiction(
        self,
        info: Info[Context, None],
        agency_id: strawberry.ID,
        jurisdiction_id: str | None = None,
    ) -> AgencyPayload:
        """Set, or clear with null or empty, the Open311 ``jurisdiction_id`` sent with every later
        request to this agency. Needs ``DIRECTORY_WRITE``. ``NOT_FOUND`` (agency),
        ``INVALID_INPUT`` (not an Open311 agency, or not 1-100 of letters, digits and
        ``. _ : / -``).
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        done, errors = await attempt(
            lambda: do_set_agency_jurisdiction(
                tenant.id, ctx.principal, parse_uuid(agency_id, "agencyId"), jurisdiction_id
            )
        )
        if done is None:
            return AgencyPayload(errors=errors)
        return AgencyPayload(agency=Agency.of(await agency_by_id(tenant.id, done)))

    @strawberry.mutation(
        description="Route a category to an agency; optionally dispatch on verify.",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def set_routing_rule(
        self,
        info: Info[Context, None],
        category_code: str,
        agency_id: strawberry.ID,
        auto_dispatch: bool = False,
    ) -> RoutingRulePayload:
        """Route a category to an agency (upsert); ``autoDispatch`` dispatches on verification.
        Answers the rule's ID. Needs ``DIRECTORY_WRITE``. ``NOT_FOUND`` for an unknown category
        code or agency.
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        rule_id, errors = await attempt(
            lambda: do_set_routing_rule(
                tenant.id,
                ctx.principal,
                category_code,
                parse_uuid(agency_id, "agencyId"),
                auto_dispatch,
            )
        )
        return RoutingRulePayload(
            rule_id=strawberry.ID(str(rule_id)) if rule_id else None, errors=errors
        )

    @strawberry.mutation(
        description="Requeue a DEAD dispatch, with the same Idempotency-Key.",
        extensions=writes(Cap.REPORTS_TRIAGE),
    )
    async def retry_dispatch(
        self, info: Info[Context, None], dispatch_id: strawberry.ID
    ) -> DispatchPayload:
        """Requeue a DEAD dispatch: PENDING, attempts reset, due now, under the same
        Idempotency-Key so the agency can tell a repeat. Needs ``REPORTS_TRIAGE``. Errors:
        ``NOT_FOUND`` (unknown), ``INVALID_INPUT`` (not DEAD), ``CONFLICT`` (the report has a newer
        dispatch to that agency).
        """
        tenant, viewer = info.context.require_tenant(), viewer_of(info.context)
        return await _dispatch_payload(
            tenant.id,
            await attempt(
                lambda: dispatches.do_retry_dispatch(
                    tenant, viewer, parse_uuid(dispatch_id, "dispatchId")
                )
            ),
        )

    @strawberry.mutation(
        description="Let a user with the agency_liaison role speak for an agency.",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def add_agency_liaison(
        self, info: Info[Context, None], agency_id: strawberry.ID, user_id: strawberry.ID
    ) -> AgencyPayload:
        """Let a user holding the agency_liaison role in this tenant answer for a manual agency.
        Needs ``DIRECTORY_WRITE``. ``INVALID_INPUT`` (not a liaison here), ``NOT_FOUND``
        (agency).
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        done, errors = await attempt(
            lambda: answers.do_add_agency_liaison(
                tenant,
                ctx.principal,
                parse_uuid(agency_id, "agencyId"),
                parse_uuid(user_id, "userId"),
            )
        )
        if done is None:
            return AgencyPayload(errors=errors)
        return AgencyPayload(agency=Agency.of(await agency_by_id(tenant.id, done)))

    @strawberry.mutation(
        description="What the agency did (manual connector): accepted or in_progress; or a"
        " final outcome with a note: done (or resolved), declined, duplicate, not_theirs,"
        " needs_info. Only done resolves the report; any other outcome hands it back to"
        " the operators (VERIFIED) when no other agency still has it.",
        extensions=writes(Cap.DISPATCH_UPDATE),
    )
    async def update_dispatch_status(
        self,
        info: Info[Context, None],
        dispatch_id: strawberry.ID,
        status: str,
        note: str | None = None,
    ) -> DispatchPayload:
        """Record a manual agency's answer: accepted, in_progress, or a final outcome with a note
        (done or resolved, declined, duplicate, not_theirs, needs_info). Only done resolves the
        report; other outcomes hand it back (VERIFIED) when no other agency still has it.

        Needs ``DISPATCH_UPDATE`` (the agency's liaison or an operator). Errors:
        ``INVALID_INPUT`` (unknown word, final answer without note, dispatch already final or
        not manual), ``NOT_FOUND`` (not a dispatch the caller may answer).
        """
        ctx = info.context
        tenant = ctx.require_tenant()
        return await _dispatch_payload(
            tenant.id,
            await attempt(
                lambda: answers.do_update_dispatch_status(
                    tenant, ctx.principal, parse_uuid(dispatch_id, "dispatchId"), status, note
                )
            ),
        )


async def _dispatch_payload(
    tenant_id: uuid.UUID, outcome: tuple[uuid.UUID | None, list[UserError]]
) -> DispatchPayload:
    dispatch_id, errors = outcome
    if dispatch_id is None:
        return DispatchPayload(errors=errors)
    return DispatchPayload(dispatch=Dispatch.of(await dispatch_by_id(tenant_id, dispatch_id)))


def _codes(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(
            "serviceCodes must be an object of category code → service code", field="serviceCodes"
        )
    return {str(k): str(v) for k, v in value.items()}
