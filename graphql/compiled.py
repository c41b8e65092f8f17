"""Complete planned results without graphql-core's per-field machinery.

graphql-core spends microseconds on every field of every row: a resolve-info object, the
argument values, strawberry's resolver wrappers, an awaitable check and a dispatch on the
return type. A page of 50 reports with their relations is about 700 fields, and that
work was most of a list request's CPU (issue 18).

:class:`PlannedExecutionContext` completes an object of a type registered with
:func:`planned_type` directly: it walks the same collected fields (fragments, aliases,
``@skip``/``@include`` and ``__typename`` as graphql-core collects them), reads plain
attributes, calls the type's synchronous resolvers and coerces leaves with the schema's
own scalars and enums. It falls back to graphql-core's normal completion, for the whole
object, whenever the selection holds anything it does not cover: a field with arguments,
permission classes or other field extensions, an async resolver, a resolver that returns
an awaitable (a relation the plan did not fetch), a null in a non-null position, an
abstract type, ``@defer``, or any error. So the answers, and the errors, are the same as
without it; only their cost changes.

Resolvers it calls get a strawberry ``Info`` of the object's own field: such resolvers may
read ``info.context`` (and nothing that depends on their own path).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import CoroutineType
from typing import Any

from graphql.language import VariableNode
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
)

_PLANNED: set[type] = set()
DEFINITION = "strawberry-definition"


def planned_type(cls: type) -> type:
    """Class decorator: objects of this strawberry type are completed by
    :class:`PlannedExecutionContext` when their selection allows it."""
    _PLANNED.add(cls)
    return cls


class Fallback(Exception):
    """The fast completion can't answer this selection: graphql-core does."""


Getter = Callable[[Any, Info[Any, Any]], Any]


def _getter(field: GraphQLField) -> Getter:
    """How to read ``field`` of a Python object, or :class:`Fallback`."""
    definition = (field.extensions or {}).get(DEFINITION)
    if not isinstance(definition, StrawberryField) or field.args:
        raise Fallback
    if definition.extensions or definition.permission_classes:
        raise Fallback
    resolver = definition.base_resolver
    if resolver is None:
        name = definition.python_name

        def attribute(obj: Any, _info: Info[Any, Any]) -> Any:
            return getattr(obj, name)

        return attribute
    if resolver.is_async or resolver.arguments:
        raise Fallback
    function = resolver.wrapped_func
    if not callable(function):  # a staticmethod or classmethod resolver
        raise Fallback
    params = list(inspect.signature(function).parameters)
    if params == ["self"]:
        return lambda obj, _info: function(obj)
    if params == ["self", "info"]:
        return lambda obj, info: function(obj, info)
    raise Fallback


# A completer takes the value and the strawberry ``Info`` of the object being completed
# (per request: plans are shared between requests, request state never is).
Completer = Callable[[Any, Info[Any, Any]], Any]


def _leaf(type_: GraphQLLeafType) -> Completer:
    coerce = type_.coerce_output_value
    plain = {"String": str, "ID": str, "Boolean": bool, "Int": int}.get(type_.name)

    def leaf(value: Any, _info: Info[Any, Any]) -> Any:
        if value is None:
            return None
        if plain is not None and type(value) is plain:
            return value  # what graphql-core's coercion returns for these
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Fallback  # graphql-core raises it as a field error
        return coerced

    return leaf


# Plans by (object type, the collected field nodes): the nodes come from the parsed
# document, which the parser cache keeps, so the same operation finds its plan again.
# The nodes are kept with the plan and compared by identity, never by id() alone.
_Key = tuple[GraphQLObjectType, tuple[tuple[str, int], ...], tuple[tuple[str, str], ...]]
# Per operation: the variables its @skip/@include directives read. Their values are part
# of a plan's key, since they decide which fields nested selections collect.
_DIRECTIVE_VARS: dict[int, tuple[Any, frozenset[str]]] = {}
_CACHE: dict[_Key, tuple[tuple[Any, ...], Completer | None]] = {}
_CACHE_SIZE = 2048


class PlannedExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, with the fast completion of planned objects."""

    _getters: dict[tuple[str, str], Getter | None] = {}

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """The completed object: planned types in one pass when their selection allows,
        graphql-core's completion otherwise."""
        if type(result) in _PLANNED:
            plan = self._cached_plan(return_type, field_details_list)
            if plan is not None:
                sinfo: Info[Any, Any] = Info(_raw_info=info, _field=None)  # type: ignore[arg-type]
                completed = _attempt(plan, result, sinfo)
                if completed is not _UNPLANNED:
                    return completed
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _cached_plan(self, return_type: GraphQLObjectType, details: Any) -> Completer | None:
        grouped, defers, *_ = self.collect_subfields(return_type, details)
        if defers:
            return None
        nodes = tuple(d.node for group in grouped.values() for d in group)
        key = (
            return_type,
            tuple((k, id(g[0].node)) for k, g in grouped.items()),
            self._directive_values(),
        )
        hit = _CACHE.get(key)
        if (
            hit is not None
            and len(hit[0]) == len(nodes)
            and all(a is b for a, b in zip(hit[0], nodes, strict=True))
        ):
            return hit[1]
        try:
            plan: Completer | None = self._plan(return_type, grouped)
        except Exception:  # Fallback, or anything else: the normal path answers
            plan = None
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = (nodes, plan)
        return plan

    def _directive_values(self) -> tuple[tuple[str, str], ...]:
        operation = self.operation
        known = _DIRECTIVE_VARS.get(id(operation))
        if known is None or known[0] is not operation:
            names: set[str] = set()
            for root in (operation, *self.fragments.values()):
                _collect_directive_vars(root, names)
            if len(_DIRECTIVE_VARS) >= _CACHE_SIZE:
                _DIRECTIVE_VARS.clear()
            known = _DIRECTIVE_VARS[id(operation)] = (operation, frozenset(names))
        values = self.variable_values.coerced
        return tuple(sorted((name, repr(values.get(name))) for name in known[1]))

    def _plan(self, return_type: GraphQLObjectType, grouped: Any) -> Completer:
        """A function completing one object of ``return_type`` for this selection, or
        :class:`Fallback` when the selection holds what it does not cover."""
        steps: list[tuple[str, Getter | None, Any]] = []
        for response_key, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((response_key, None, return_type.name))
                continue
            field = return_type.fields[name]
            getter = self._getter(return_type, name, field)
            steps.append((response_key, getter, self._completer(field.type, details)))
        is_type_of = return_type.is_type_of

        def complete(obj: Any, sinfo: Info[Any, Any]) -> dict[str, Any]:
            if type(obj) not in _PLANNED:
                raise Fallback
            if is_type_of is not None and not is_type_of(obj, sinfo._raw_info):
                raise Fallback
            out: dict[str, Any] = {}
            for response_key, getter, finish in steps:
                if getter is None:
                    out[response_key] = finish
                    continue
                value = getter(obj, sinfo)
                if type(value) is CoroutineType:
                    value.close()  # never started: nothing ran
                    raise Fallback
                out[response_key] = finish(value, sinfo)
            return out

        return complete

    def _completer(self, type_: GraphQLOutputType, details: Any) -> Completer:
        if isinstance(type_, GraphQLNonNull):
            inner = self._completer(type_.of_type, details)

            def non_null(value: Any, sinfo: Info[Any, Any]) -> Any:
                completed = inner(value, sinfo)
                if completed is None:
                    raise Fallback  # graphql-core reports it, with its path
                return completed

            return non_null
        if isinstance(type_, GraphQLList):
            item = self._completer(type_.of_type, details)

            def items(value: Any, sinfo: Info[Any, Any]) -> Any:
                if value is None:
                    return None
                if type(value) is CoroutineType:
                    value.close()
                    raise Fallback
                return [item(v, sinfo) for v in value]

            return items
        if isinstance(type_, GraphQLLeafType):
            return _leaf(type_)
        if isinstance(type_, GraphQLObjectType):
            # Compiled now (a selection is finite), so no closure keeps this request.
            grouped, defers, *_ = self.collect_subfields(type_, details)
            if defers:
                raise Fallback
            plan = self._plan(type_, grouped)

            def obj(value: Any, sinfo: Info[Any, Any]) -> Any:
                if value is None:
                    return None
                return plan(value, sinfo)

            return obj

        def abstract(value: Any, _sinfo: Info[Any, Any]) -> Any:
            if value is None:
                return None
            raise Fallback

        return abstract

    def _getter(self, parent: GraphQLObjectType, name: str, field: GraphQLField) -> Getter:
        key = (parent.name, name)
        if key not in self._getters:
            try:
                self._getters[key] = _getter(field)
            except Fallback:
                self._getters[key] = None
        getter = self._getters[key]
        if getter is None:
            raise Fallback
        return getter


_UNPLANNED = object()


def _collect_directive_vars(node: Any, names: set[str]) -> None:
    """Add the variables read by ``@skip``/``@include`` anywhere under ``node``."""
    for directive in getattr(node, "directives", None) or ():
        for argument in directive.arguments or ():
            if isinstance(argument.value, VariableNode):
                names.add(argument.value.name.value)
    selection_set = getattr(node, "selection_set", None)
    for selection in selection_set.selections if selection_set else ():
        _collect_directive_vars(selection, names)


def _attempt(plan: Completer, obj: Any, sinfo: Info[Any, Any]) -> Any:
    """``plan(obj, sinfo)``, or ``_UNPLANNED`` when it falls back (any error: graphql-core
    then answers, and reports a real error at its own path)."""
    try:
        return plan(obj, sinfo)
    except Exception:
        return _UNPLANNED
