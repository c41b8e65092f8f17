"""The three audiences' schemas. A tenant schema is composed from the modules that
tenant enabled and cached by module set, so introspection shows only what it has."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from jogo.graphql.admin.mutations import AdminMutation
from jogo.graphql.admin.queries import AdminQuery
from jogo.graphql.agencies.directory import AgencyDirectoryMutation
from jogo.graphql.agencies.inbox import InboxQuery
from jogo.graphql.agencies.mutations import AgenciesMutation
from jogo.graphql.agencies.queries import AgenciesQuery
from jogo.graphql.apikeys.mutations import ApiKeysMutation
from jogo.graphql.apikeys.queries import ApiKeysQuery
from jogo.graphql.apikeys.trusted import TrustedDocumentsMutation
from jogo.graphql.audit.queries import AuditQuery
from jogo.graphql.breaches.mutations import BreachesMutation
from jogo.graphql.breaches.queries import BreachesQuery
from jogo.graphql.bulletins.mutations import BulletinsMutation
from jogo.graphql.bulletins.queries import BulletinsQuery
from jogo.graphql.consent.mutations import ConsentMutation
from jogo.graphql.consent.queries import ConsentQuery
from jogo.graphql.core.directory import DirectoryMutation, DirectoryQuery
from jogo.graphql.core.queries import CoreQuery
from jogo.graphql.election.mutations import ElectionMutation
from jogo.graphql.election.queries import ElectionQuery, ElectionSubscription
from jogo.graphql.facilities.edits import FacilityDirectoryMutation
from jogo.graphql.facilities.mutations import FacilitiesMutation
from jogo.graphql.facilities.queries import FacilitiesQuery
from jogo.graphql.limits import extensions
from jogo.graphql.live import LiveExecutionContext
from jogo.graphql.notifications.mutations import NotificationsMutation
from jogo.graphql.notifications.queries import NotificationsQuery
from jogo.graphql.oversight.queries import OversightQuery
from jogo.graphql.people.mutations import PeopleMutation
from jogo.graphql.people.queries import PeopleQuery
from jogo.graphql.privacy.mutations import PrivacyMutation
from jogo.graphql.privacy.queries import PrivacyQuery
from jogo.graphql.processing.queries import ProcessingQuery
from jogo.graphql.reports.calendar import CalendarMutation, CalendarQuery
from jogo.graphql.reports.mutations import CategoryMutation, ReportsMutation, SosMutation
from jogo.graphql.reports.queries import ReportsQuery
from jogo.graphql.reports.subscriptions import ReportsSubscription
from jogo.graphql.reports.transfer import JurisdictionQuery, TransferMutation
from jogo.graphql.scalars import OVERRIDES
from jogo.graphql.sharing.mutations import SharingMutation
from jogo.graphql.sharing.queries import SharingQuery
from jogo.graphql.units.mutations import UnitsMutation
from jogo.graphql.units.queries import UnitsQuery
from jogo.graphql.webhooks.mutations import WebhooksMutation
from jogo.graphql.webhooks.queries import WebhooksQuery
from jogo.platform.registry import MODULES

CORE_QUERIES: tuple[type, ...] = (
    CoreQuery,
    ReportsQuery,
    CalendarQuery,
    UnitsQuery,
    ApiKeysQuery,
    AuditQuery,
    PeopleQuery,
    JurisdictionQuery,
    DirectoryQuery,
    NotificationsQuery,
    WebhooksQuery,
    PrivacyQuery,
    BreachesQuery,
    ProcessingQuery,
    ConsentQuery,
)
CORE_MUTATIONS: tuple[type, ...] = (
    ReportsMutation,
    UnitsMutation,
    CategoryMutation,
    SosMutation,
    CalendarMutation,
    ApiKeysMutation,
    TrustedDocumentsMutation,
    PeopleMutation,
    TransferMutation,
    DirectoryMutation,
    NotificationsMutation,
    WebhooksMutation,
    PrivacyMutation,
    BreachesMutation,
    ConsentMutation,
)
MODULE_QUERIES: dict[str, tuple[type, ...]] = {
    "integrations": (AgenciesQuery, InboxQuery),
    "bulletins": (BulletinsQuery,),
    "sharing": (SharingQuery,),
    "facilities": (FacilitiesQuery,),
    "election": (ElectionQuery,),
}
MODULE_MUTATIONS: dict[str, tuple[type, ...]] = {
    "integrations": (AgenciesMutation, AgencyDirectoryMutation),
    "bulletins": (BulletinsMutation,),
    "sharing": (SharingMutation,),
    "facilities": (FacilitiesMutation, FacilityDirectoryMutation),
    "election": (ElectionMutation,),
}
MODULE_SUBSCRIPTIONS: dict[str, tuple[type, ...]] = {"election": (ElectionSubscription,)}


log = logging.getLogger("jogo.graphql")


class Schema(strawberry.Schema):
    """strawberry's schema, without an ERROR line and traceback for every refused field
    or bad argument: those are answers to the caller, not faults. Unexpected errors are
    logged, with their traceback, where they are masked (``graphql.limits``).

    Planned results (``graphql.compiled``) are completed without graphql-core's per-field
    work; live events (``graphql.live``) are rendered once for all subscribers that see them
    alike."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("execution_context_class", LiveExecutionContext)
        super().__init__(*args, **kwargs)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log each error at DEBUG only; masking (``graphql.limits``) logs the real faults."""
        for error in errors:
            log.debug("graphql error at %s: %s", error.path, error.message)


@cache
def tenant_schema(modules: frozenset[str]) -> strawberry.Schema:
    """The tenant schema for a set of enabled modules: the core types plus each module's queries,
    mutations and subscriptions, merged in ``MODULES`` order so equal sets give equal SDL.

    Cached per module set; an unknown module name adds nothing.
    """
    queries, mutations = list(CORE_QUERIES), list(CORE_MUTATIONS)
    subscriptions: list[type] = [ReportsSubscription]
    for module in MODULES:  # fixed order: the same set always gives the same SDL
        if module in modules:
            queries.extend(MODULE_QUERIES.get(module, ()))
            mutations.extend(MODULE_MUTATIONS.get(module, ()))
            subscriptions.extend(MODULE_SUBSCRIPTIONS.get(module, ()))
    return Schema(
        query=merge_types("Query", tuple(queries)),
        mutation=merge_types("Mutation", tuple(mutations)),
        subscription=merge_types("Subscription", tuple(subscriptions)),
        extensions=extensions(),
        scalar_overrides=OVERRIDES,
    )


@cache
def national_schema() -> strawberry.Schema:
    """The national schema (``/national/graphql``): the oversight queries only, no mutations."""
    return Schema(query=OversightQuery, extensions=extensions(), scalar_overrides=OVERRIDES)


@cache
def platform_schema() -> strawberry.Schema:
    """The platform schema (``/platform/graphql``): the admin queries and mutations."""
    return Schema(
        query=AdminQuery,
        mutation=AdminMutation,
        extensions=extensions(),
        scalar_overrides=OVERRIDES,
    )


def full_tenant_schema() -> strawberry.Schema:
    """Every module on: the tenant SDL that is committed and documented."""
    return tenant_schema(frozenset(MODULES))
