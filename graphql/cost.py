"""Query cost: every operation is priced before it runs, refused over a maximum, and
spent from its caller's budget per minute (:mod:`jogo.platform.budget`).

The price is computed from the parsed, validated document and the request's variables,
with graphql-core's AST and the schema's types (no hand parsing):

- an object field (an object, an interface or a union, one per row the server reads) costs 1;
  a scalar or enum field costs 0: it is a column of a row its parent already read, so it
  adds no statement and no row (``__typename`` likewise). An operation costs at least 1;
- a field with a ``first``, ``last`` or ``limit`` argument multiplies what it returns by
  that page size (the variable's value, the variable's default, the argument's default,
  else :data:`DEFAULT_PAGE`): a list field counts ``n * (1 + its selection)``; a connection
  object counts 1, and its list children (``edges``, ``nodes``) ``n`` times, so
  ``pageInfo`` and ``totalCount`` are counted once. Nested connections multiply through;
- a list without a page argument is priced at an assumed size, multiplied through nesting
  like a page: the list children of a paged object (a connection's ``edges``, ``nodes``,
  ``entries``) take its page; any other list takes :data:`DEFAULT_LIST_SIZE` (20) items,
  or the domain's cap where that is smaller (:data:`LIST_SIZES` by field,
  :data:`ITEM_SIZES` by item type: a report's 5 photos, a payload's errors). So
  ``cameras { ... }`` costs ``20 * (1 + its selection)``, and a report's ``timeline``
  under a page of 10 reports ``10 * (... + 20 * (1 + ...))``. :func:`list_size` gives a
  field's size; a test walks every list field of the three schemas;
- a top-level mutation field costs :data:`MUTATION_COST` plus its selection (a write is a
  transaction, an audit row and often an outbox row);
- fragments and inline fragments are expanded where they are spread (a fragment's price
  is computed once per document); aliases count separately; ``@skip`` / ``@include``
  are honoured with the request's variables.

:class:`QueryCost` runs after validation and before execution (``on_execute``): an
operation over ``JOGO_GRAPHQL_MAX_COST`` is refused with ``QUERY_TOO_COSTLY`` (the cost
and the maximum in ``extensions``) before a single SQL statement; else its cost is spent
from the caller's budget in one statement, and an exhausted budget is refused with
``RATE_LIMITED`` (HTTP 429, ``Retry-After``). Every result carries ``extensions.cost``:
``{requestedQueryCost, maximum, budget: {limit, remaining, resetAt}}``. A subscription is
priced and spent once, when it starts; its events carry no ``extensions`` (they are
rendered once for every subscriber, :mod:`jogo.graphql.live`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType as StrawberryOperationType

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from jogo.platform.budget import Spent, budget_key, spend
from jogo.platform.outage import as_unavailable, is_unavailable

log = logging.getLogger("jogo.graphql")

# A page argument with no value and no default prices as the most a page may be
# (``jogo.graphql.limits.MAX_PAGE``, which imports this module).
DEFAULT_PAGE = 100
MUTATION_COST = 10
PAGE_ARGS = ("first", "last", "limit")
# A list with no page argument (and not a connection's) prices as this many items: an
# assumed size, not the worst case, lowered to the domain's cap where that is smaller.
# Most such lists are a command's own directory (categories, agencies, cameras, hospitals)
# or one report's (timeline, dispatches), read in one statement for a whole page of
# parents (DataLoaders); what the assumption prices is what nests under each item.
DEFAULT_LIST_SIZE = 20
# Lists whose size the domain caps (``Type.field``: items at most); each is priced at
# ``min(cap, DEFAULT_LIST_SIZE)``. tests/test_query_cost.py checks each cap against the
# constant or the SQL LIMIT it names.
LIST_SIZES: dict[str, int] = {
    "Report.attachments": 5,  # tenants/reports/photos.py MAX_PER_REPORT
    "DispatchedReport.attachments": 5,  # the same photos, as the agency inbox sees them
    "Unit.members": 50,  # tenants/units/actions.py MEMBERS_MAX
    "Query.bulletins": 100,  # tenants/bulletins/queries.py: public/staff_bulletins' limit
    "Query.nearby": 50,  # tenants/facilities/queries.py nearby's limit
    "OversightQuery.heatmap": 5000,  # tenants/oversight/queries.py heatmap: LIMIT 5000
    "Me.securityEvents": 20,  # platform/auth/totp.py SECURITY_EVENTS_MAX
    "Query.privacyDeadlines": 4,  # tenants/privacy/deadlines.py RIGHTS
    "Query.retentionRules": 4,  # tenants/privacy/retention.py CATEGORIES
    "Breach.escalations": 4,  # one per threshold (tenants/breaches/clock.py THRESHOLDS)
    "Query.privacyNotices": 50,  # tenants/consent/notices.py MAX_HISTORY
    "Query.privacyPurposes": 4,  # tenants/consent/purposes.py PURPOSES
    "Query.myConsents": 4,  # one per purpose
}
# Lists capped by their item type: a mutation payload's errors are built in memory (no
# row is read) and carry the first error found.
ITEM_SIZES: dict[str, int] = {"UserError": 1}
BIG = 1_000_000  # a page size beyond this prices as this (keeps the arithmetic small)
WINDOW_SECONDS = 60

TOO_COSTLY = (
    "Kueri terlalu mahal: biaya {cost} melebihi batas {maximum}; minta lebih sedikit"
    " (kurangi first/last atau sarang koneksi). / Query too costly: cost {cost} is over"
    " the maximum of {maximum}; ask for less (smaller first/last, fewer nested connections)."
)
OVER_BUDGET = (
    "Anggaran biaya kueri per menit habis; coba lagi dalam {seconds} detik. / The query"
    " cost budget per minute is spent; try again in {seconds} s."
)


class _Pricer:
    """One document's prices under one set of variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        defaults: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults
        self.memo: dict[tuple[str, int | None], int] = {}

    def selection(
        self, node: SelectionSetNode | None, parent: GraphQLNamedType, page: int | None
    ) -> int:
        """The price of a selection set on ``parent``; ``page`` is set when ``parent`` was
        reached through a paged field (a connection): its lists count ``page`` times."""
        if node is None:
            return 0
        total = 0
        for selection in node.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                on = parent
                if selection.type_condition is not None:
                    on = self.schema.get_type(selection.type_condition.name.value) or parent
                total += self.selection(selection.selection_set, on, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection.name.value, page)
        return total

    def spread(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key not in self.memo:
            fragment = self.fragments.get(name)
            self.memo[key] = 0  # a cycle (refused by validation anyway) adds nothing
            if fragment is not None:
                on = self.schema.get_type(fragment.type_condition.name.value)
                if on is not None:
                    self.memo[key] = self.selection(fragment.selection_set, on, page)
        return self.memo[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, outer: int | None) -> int:
        definition = self._definition(node.name.value, parent)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if not is_composite_type(named):
            return 0  # scalars and enums: a column of a row already read
        page = self._page(node, definition)
        if _is_list(definition):
            if page is None:
                page = (
                    outer if outer is not None else list_size(parent.name, node.name.value, named)
                )
            return page * (1 + self.selection(node.selection_set, named, None))
        # An object, or a connection whose lists count ``page`` times.
        return 1 + self.selection(node.selection_set, named, page)

    def _definition(self, name: str, parent: GraphQLNamedType) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return fields.get(name) if fields else None

    def _page(self, node: FieldNode, definition: GraphQLField) -> int | None:
        names = [a for a in PAGE_ARGS if a in definition.args]
        if not names:
            return None
        given = {a.name.value: a.value for a in node.arguments or ()}
        for name in names:
            value = given.get(name)
            if isinstance(value, IntValueNode):
                return _bounded(int(value.value))
            if isinstance(value, VariableNode):
                var = value.name.value
                raw = self.variables.get(var, self.defaults.get(var))
                if isinstance(raw, int) and not isinstance(raw, bool):
                    return _bounded(raw)
        for name in names:  # nothing given: the argument's own default
            default = _int_default(definition.args[name])
            if default is not None:
                return _bounded(default)
        return DEFAULT_PAGE

    def _included(self, node: Any) -> bool:
        """``@skip(if:)`` / ``@include(if:)`` with a literal or a variable (its value, else
        its default); a value that is not a boolean fails later and is priced in."""
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next((a.value for a in directive.arguments if a.name.value == "if"), None)
            if isinstance(condition, BooleanValueNode):
                value: Any = condition.value
            elif isinstance(condition, VariableNode):
                var = condition.name.value
                value = self.variables.get(var, self.defaults.get(var))
            else:
                continue
            if isinstance(value, bool) and value == (name == "skip"):
                return False
        return True


def _int_default(argument: GraphQLArgument) -> int | None:
    """An argument's default when it is an integer (graphql-core 3.3 keeps a default given
    in SDL as a literal, one given in code as a value)."""
    value = argument.default_value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    literal = getattr(getattr(argument, "default", None), "literal", None)
    if isinstance(literal, IntValueNode):
        return int(literal.value)
    return None


def _is_list(definition: GraphQLField) -> bool:
    output = definition.type
    if isinstance(output, GraphQLNonNull):
        output = output.of_type
    return isinstance(output, GraphQLList)


def list_size(parent: str, field: str, item: GraphQLNamedType) -> int:
    """The items a list field ``parent.field`` of ``item``s without a page argument (and not
    a connection's) is priced at: :data:`DEFAULT_LIST_SIZE`, or the field's cap
    (:data:`LIST_SIZES`, else its item type's, :data:`ITEM_SIZES`) where that is smaller."""
    cap = LIST_SIZES.get(f"{parent}.{field}", ITEM_SIZES.get(item.name, DEFAULT_LIST_SIZE))
    return min(cap, DEFAULT_LIST_SIZE)


def _bounded(value: int) -> int:
    return max(0, min(value, BIG))


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: dict[str, Any] | None = None,
) -> int:
    """The price (≥ 1 points; module doc) of the operation ``operation_name`` (or the only
    one) of a validated ``document`` with the raw request ``variables``. An operation that
    the document does not hold prices 1 (graphql-core refuses it when it runs)."""
    operation: OperationDefinitionNode | None = None
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
        elif isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else None
            if operation_name is None or name == operation_name:
                operation = operation or definition
    if operation is None:
        return 1
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 1
    defaults: dict[str, Any] = {}
    for var in operation.variable_definitions or ():
        if isinstance(var.default_value, IntValueNode):
            defaults[var.variable.name.value] = int(var.default_value.value)
        elif isinstance(var.default_value, BooleanValueNode):
            defaults[var.variable.name.value] = var.default_value.value
    pricer = _Pricer(schema, fragments, variables or {}, defaults)
    if operation.operation is OperationType.MUTATION:
        total = 0
        for selection in operation.selection_set.selections:
            if isinstance(selection, FieldNode) and pricer._included(selection):
                inner = pricer.selection(selection.selection_set, _named(root, selection), None)
                total += MUTATION_COST + inner
            elif pricer._included(selection):  # fragments on Mutation: priced as queries
                total += pricer.selection(SelectionSetNode(selections=(selection,)), root, None)
        return max(1, total)
    return max(1, pricer.selection(operation.selection_set, root, None))


def _named(root: GraphQLObjectType, node: FieldNode) -> GraphQLNamedType:
    field = root.fields.get(node.name.value)
    return get_named_type(field.type) if field is not None else root


@dataclass
class CostReport:
    """What ``extensions.cost`` says, and what HTTP's rate-limit headers are made of."""

    cost: int
    maximum: int
    spent: Spent | None = None

    def as_extension(self) -> dict[str, Any]:
        """``{requestedQueryCost, maximum, budget: {limit, remaining, resetAt}}``;
        ``budget`` is null when no budget was spent (the operation was over the maximum)."""
        budget = None
        if self.spent is not None:
            budget = {
                "limit": self.spent.limit,
                "remaining": self.spent.remaining,
                "resetAt": self.spent.resets_at.isoformat(),
            }
        return {"requestedQueryCost": self.cost, "maximum": self.maximum, "budget": budget}

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-Limit`` / ``-Remaining`` (cost points) and ``-Reset`` (Unix
        seconds), GitHub's names; plus ``Retry-After`` (seconds) when refused."""
        if self.spent is None:
            return {}
        headers = {
            "X-RateLimit-Limit": str(self.spent.limit),
            "X-RateLimit-Remaining": str(self.spent.remaining),
            "X-RateLimit-Reset": str(int(self.spent.resets_at.timestamp())),
        }
        if self.spent.refused:
            headers["Retry-After"] = str(self.spent.retry_after)
        return headers


def caller_budget(context: Any) -> tuple[str, int]:
    """The budget key and limit of the request's caller: per tenant (or ``global`` for the
    national and platform schemas), an API key or a user by id (users: the product's own
    clients, ``JOGO_GRAPHQL_USER_BUDGET``), an anonymous caller by address."""
    settings = context.settings
    principal = context.principal
    scope = str(context.tenant.id) if context.tenant is not None else "global"
    if principal.kind == "user" and principal.id is not None:
        return budget_key(scope, f"user:{principal.id}"), settings.graphql_user_budget
    if principal.kind == "api_key" and principal.id is not None:
        return budget_key(scope, f"key:{principal.id}"), settings.graphql_budget
    return budget_key(scope, f"client:{context.client}"), settings.graphql_budget


async def _spend(key: str, cost: int, limit: int) -> Spent:
    """:func:`jogo.platform.budget.spend`; an outage of the database is the typed
    ``UNAVAILABLE`` (HTTP 503, retry), anything else a logged ``INTERNAL`` error."""
    try:
        return await spend(key, cost, limit, WINDOW_SECONDS)
    except Exception as exc:
        if is_unavailable(exc):
            typed = as_unavailable(exc)
            raise GraphQLError(
                typed.message, original_error=typed, extensions={"code": typed.code}
            ) from None
        log.exception("spending the query cost failed")
        raise GraphQLError("Unexpected error.", extensions={"code": "INTERNAL"}) from None


class QueryCost(SchemaExtension):
    """Price, refuse over the maximum, spend the budget; ``extensions.cost`` on results."""

    async def on_execute(self) -> AsyncIterator[None]:
        """Before execution: ``QUERY_TOO_COSTLY`` over the maximum (no SQL ran), else one
        statement spends the cost; ``RATE_LIMITED`` when the budget is spent."""
        ec = self.execution_context
        context = ec.context
        document = ec.graphql_document
        if document is not None and hasattr(context, "settings"):
            settings = context.settings
            cost = operation_cost(ec.schema._schema, document, ec.operation_name, ec.variables)
            report = CostReport(cost, settings.graphql_max_cost)
            # Kept here for this operation's result, and on the context for HTTP's headers.
            self.report = context.cost = report
            if cost > report.maximum:
                raise GraphQLError(
                    TOO_COSTLY.format(cost=cost, maximum=report.maximum),
                    extensions={
                        "code": "QUERY_TOO_COSTLY",
                        "cost": cost,
                        "maximum": report.maximum,
                    },
                )
            key, limit = caller_budget(context)
            report.spent = await _spend(key, cost, limit)
            if report.spent.refused:
                seconds = report.spent.retry_after
                raise GraphQLError(
                    OVER_BUDGET.format(seconds=seconds),
                    extensions={
                        "code": "RATE_LIMITED",
                        "retryAfter": seconds,
                        "cost": report.as_extension(),
                    },
                )
        yield

    def get_results(self) -> dict[str, Any]:
        """``{"cost": ...}`` for queries and mutations; nothing on a subscription's events."""
        ec = self.execution_context
        report: CostReport | None = getattr(self, "report", None)
        if report is None or ec.operation_type is StrawberryOperationType.SUBSCRIPTION:
            return {}
        return {"cost": report.as_extension()}
