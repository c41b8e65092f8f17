"""Live results rendered once and shared (issue 19).

A live feed yields :class:`LiveEvent` instead of its root object. The subscription's
executor (:class:`LiveExecutionContext`) renders the event through strawberry's and
graphql-core's own execution, exactly as it would for that subscriber, once per
``(schema, document, variables, event and view)``; every other subscriber with the same
key gets the same result, whose ``data`` (:class:`SharedData`) carries the serialized
``next`` payload, so the socket sends that text without encoding it again.

Exactness rests on the key: ``LiveEvent.key`` must name everything, beyond the document
and its variables, that decides the rendered result for that caller (the event, and the
caller's view of it: internal or public, and its user id wherever the content depends
on it). A result with errors is never shared: the next subscriber renders its own. A
render still running (a resolver that awaited) is not waited for: the others render
their own meanwhile.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, cast

from graphql.execution import Executor

from graphql import ExecutionResult, GraphQLSchema, OperationDefinitionNode
from jogo.graphql.compiled import PlannedExecutionContext

KEEP_PER_TENANT = 256  # shared renders kept per tenant (the newest)


def encode_json(data: object) -> str:
    """The JSON text of a socket message, as the WebSocket handler writes every message:
    compact separators, ASCII, ``str()`` for what JSON can't hold."""
    return json.dumps(data, separators=(",", ":"), default=str)


class SharedData(dict[str, Any]):
    """A rendered result's ``data``, shared by every subscriber with the same key.

    ``payload`` is the JSON text of ``{"data": ...}``, the ``next`` message's payload when
    the result has neither errors nor extensions. Shared: never change it."""

    __slots__ = ("payload",)

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.payload = encode_json({"data": data})


def next_message(operation_id: str, data: SharedData) -> str:
    """The text of a graphql-transport-ws ``next`` message carrying ``data``: the same
    bytes ``encode_json({"id": ..., "type": "next", "payload": {"data": ...}})`` gives."""
    return f'{{"id":{encode_json(operation_id)},"type":"next","payload":{data.payload}}}'


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """What a shared live feed yields for one subscriber and one event.

    ``tenant_id``: whose event (caches are dropped per tenant). ``key``: the event and
    the subscriber's view of it, everything beyond the document and variables that the
    result depends on (hashable). ``make()``: the root object, built only when rendered.
    """

    tenant_id: uuid.UUID
    key: Hashable
    make: Callable[[], object]


@dataclass(slots=True)
class _Render:
    schema: GraphQLSchema  # kept, and compared by identity, with the operation
    operation: OperationDefinitionNode
    result: ExecutionResult


class SharedRenders:
    """Rendered live results per tenant: the newest ``keep`` of each."""

    def __init__(self, keep: int = KEEP_PER_TENANT) -> None:
        self._keep = keep
        self._by_tenant: dict[uuid.UUID, OrderedDict[Hashable, _Render]] = {}
        self.renders = 0  # how many times an event was rendered (for tests and benches)

    def forget(self, tenant_id: uuid.UUID) -> None:
        """Drop what is kept for ``tenant_id`` (its last feed ended)."""
        self._by_tenant.pop(tenant_id, None)

    def tenants(self) -> int:
        """How many tenants have renders kept."""
        return len(self._by_tenant)

    def shared(self, executor: LiveExecutionContext, event: LiveEvent) -> ExecutionResult | None:
        """The shared result of ``event`` for the subscription ``executor`` runs, if an equal
        key was rendered without errors (a result of its own around the shared data)."""
        key = (id(executor.schema), id(executor.operation), executor.variables_key(), event.key)
        renders = self._by_tenant.get(event.tenant_id)
        found = renders.get(key) if renders is not None else None
        if (
            found is not None
            and found.schema is executor.schema
            and found.operation is executor.operation
        ):
            return ExecutionResult(found.result.data, None)
        return None

    def result(self, executor: LiveExecutionContext, event: LiveEvent) -> Any:
        """The result of ``event`` for this per-event executor: shared when an equal key was
        rendered without errors, else rendered now (and kept when it has no errors)."""
        shared = self.shared(executor, event)
        if shared is not None:
            return shared
        key = (id(executor.schema), id(executor.operation), executor.variables_key(), event.key)
        executor.root_value = event.make()
        self.renders += 1
        result = executor.render()
        if executor.is_awaitable(result) or not isinstance(result, ExecutionResult):
            return result  # still running, or not a plain result: this subscriber's own
        if result.errors or result.data is None or result.extensions:
            return result
        shared = ExecutionResult(SharedData(result.data), None)
        renders = self._by_tenant.setdefault(event.tenant_id, OrderedDict())
        renders[key] = _Render(executor.schema, executor.operation, shared)
        while len(renders) > self._keep:
            renders.popitem(last=False)
        return ExecutionResult(shared.data, None)


RENDERS = SharedRenders()


class _Rendered:
    """Stands for a per-event executor whose result is known: graphql-core only calls
    its ``execute_operation``."""

    __slots__ = ("_result",)

    def __init__(self, result: ExecutionResult) -> None:
        self._result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return self._result


class LiveExecutionContext(PlannedExecutionContext):
    """The executor of every tenant operation: a subscription event that is a
    :class:`LiveEvent` is rendered once per key (:data:`RENDERS`); anything else runs
    as in :class:`~jogo.graphql.compiled.PlannedExecutionContext`."""

    _variables_key: str | None = None

    def build_per_event_executor(self, payload: Any) -> Executor:
        """graphql-core's copy per event, or for a live event rendered already, its result
        without a copy; the variables' key is made once per subscription."""
        self.variables_key()
        if isinstance(payload, LiveEvent):
            shared = RENDERS.shared(self, payload)
            if shared is not None:
                return cast(Executor, _Rendered(shared))
        return super().build_per_event_executor(payload)

    def variables_key(self) -> str:
        """The operation's coerced variables as canonical JSON (part of a render's key)."""
        if self._variables_key is None:
            coerced = self.variable_values.coerced
            self._variables_key = json.dumps(coerced, sort_keys=True, default=repr)
        return self._variables_key

    def execute_operation(self, serially: bool | None = None) -> Any:
        """A live event's shared result, or graphql-core's execution."""
        if isinstance(self.root_value, LiveEvent):
            return RENDERS.result(self, self.root_value)
        return super().execute_operation(serially)

    def render(self) -> Any:
        """Execute this per-event executor's operation (its root value set): one event."""
        return super().execute_operation(False)
