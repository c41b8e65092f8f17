"""GraphQL over HTTP without a thread hop: parse the JSON body, execute on the loop."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Any

import msgspec
import strawberry
from graphql.error import GraphQLError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from jogo.graphql.context import Context
from jogo.graphql.persisted import ANSWERED_IN_BODY, in_body, persisted_hash, resolve
from jogo.platform import db
from jogo.platform.errors import InvalidInput, JogoError
from jogo.platform.values import check_values

MAX_BODY = 256 * 1024


@dataclass(frozen=True)
class GraphQLRequest:
    # None only when ``persisted`` names the document (graphql/persisted.py resolves it).
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    # extensions.persistedQuery.sha256Hash (lowercase), when sent.
    persisted: str | None = None


def parse_body(body: bytes) -> GraphQLRequest:
    """Parse a GraphQL-over-HTTP JSON body into ``query``, ``variables``, ``operationName``
    and the hash of ``extensions.persistedQuery`` (then ``query`` may be left out:
    :mod:`jogo.graphql.persisted`).

    Raises ``INVALID_INPUT`` (HTTP 400) for a body over ``MAX_BODY`` (256 KiB), bad or too deeply
    nested JSON, a non-object body, an empty ``query`` (or none, without a persisted query's
    hash), a malformed ``extensions.persistedQuery``, wrongly typed ``variables`` or
    ``operationName``, or a value PostgreSQL cannot take (``field`` names the member).
    """
    if len(body) > MAX_BODY:
        raise InvalidInput(f"request body is larger than {MAX_BODY // 1024} KiB")
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise InvalidInput("request body is not valid JSON") from None
    except RecursionError:  # msgspec's own limit on nesting
        raise InvalidInput("request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object")
    query = data.get("query")
    variables = data.get("variables")
    operation = data.get("operationName")
    persisted = persisted_hash(data.get("extensions"))
    if query is None and persisted is not None:
        pass  # the document by its hash alone (Apollo's automatic persisted queries)
    elif not isinstance(query, str) or not query.strip():
        raise InvalidInput("'query' must be a non-empty string", field="query")
    if variables is not None and not isinstance(variables, dict):
        raise InvalidInput("'variables' must be an object", field="variables")
    if operation is not None and not isinstance(operation, str):
        raise InvalidInput("'operationName' must be a string", field="operationName")
    # Refused here as a bad request (400); the schema's extensions (graphql/guard.py)
    # check the literals in the document, and the variables again for every transport.
    check_values(query, field="query")
    check_values(variables, field="variables")
    return GraphQLRequest(query, variables, operation, persisted)


@dataclass(frozen=True)
class UploadedFile:
    """A file of a GraphQL multipart request, read into memory (photos are ≤ 10 MB)."""

    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(
    operations: str | bytes, file_map: str | bytes, files: dict[str, UploadedFile]
) -> GraphQLRequest:
    """The GraphQL multipart request spec: ``operations``, ``map`` and the files."""
    request = parse_body(operations.encode() if isinstance(operations, str) else operations)
    try:
        mapping = msgspec.json.decode(file_map)
    except (msgspec.DecodeError, RecursionError):
        raise InvalidInput("'map' is not valid JSON", field="map") from None
    if not isinstance(mapping, dict):
        raise InvalidInput("'map' must be an object", field="map")
    variables: dict[str, Any] = dict(request.variables or {})
    for key, paths in mapping.items():
        if key not in files or not isinstance(paths, list):
            raise InvalidInput(f"file {key!r} in 'map' was not sent", field="map")
        for path in paths:
            _place(variables, str(path), files[key])
    return replace(request, variables=variables)


def _place(variables: dict[str, Any], path: str, value: UploadedFile) -> None:
    parts = path.split(".")
    if len(parts) < 2 or parts[0] != "variables":
        raise InvalidInput(f"bad path {path!r} in 'map'", field="map")
    target: Any = variables
    for i, part in enumerate(parts[1:], start=1):
        last = i == len(parts) - 1
        try:
            if isinstance(target, list):
                index = int(part)
                if last:
                    target[index] = value
                else:
                    target = target[index]
            elif isinstance(target, dict):
                if last:
                    target[part] = value
                else:
                    target = target[part]
            else:
                raise InvalidInput(f"bad path {path!r} in 'map'", field="map")
        except (IndexError, KeyError, ValueError):
            raise InvalidInput(f"bad path {path!r} in 'map'", field="map") from None


MASKED = "Unexpected error."  # strawberry's MaskErrors message


def format_error(error: GraphQLError) -> dict[str, Any]:
    """The error as the GraphQL spec formats it, with ``extensions.code`` (and ``field``)
    from a JogoError. An error without a path that graphql-core raised about the
    operation itself (syntax, validation, variable values) is ``INVALID_INPUT``."""
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    extensions = dict(formatted.get("extensions") or {})
    if isinstance(original, JogoError):
        extensions.setdefault("code", original.code)
        if original.field:
            extensions.setdefault("field", original.field)
    elif (
        error.path is None
        and (original is None or isinstance(original, GraphQLError))
        and error.message != MASKED
    ):
        extensions.setdefault("code", "INVALID_INPUT")
    if extensions:
        formatted["extensions"] = extensions
    return formatted


HTTP_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})
SUBSCRIPTION_OVER_HTTP = (
    "Subscription hanya lewat WebSocket (graphql-transport-ws) di alamat ini, bukan HTTP"
    " POST. / Subscriptions run over a WebSocket (graphql-transport-ws) on this path,"
    " not over HTTP POST."
)


async def execute(schema: strawberry.Schema, request: GraphQLRequest, context: Context) -> dict:
    """Run a query or mutation. A subscription, or an operationName that the document
    does not hold, is :class:`InvalidInput` (HTTP 400), not a server error. A document
    named by its hash is found first (:func:`jogo.graphql.persisted.resolve`): an unknown
    hash, or a trusted-documents key's other document, is answered in the body."""
    # Persisted documents are kept per command, or per schema for the national and
    # platform ones (each a single cached schema object).
    scope = str(context.tenant.id) if context.tenant else f"schema:{id(schema)}"
    try:
        request = await resolve(request, context, scope)
    except ANSWERED_IN_BODY as exc:
        return in_body(exc)
    assert request.query is not None  # resolve gives every request its document
    # A tenant query's reads share one transaction (graphql/reads.py).
    reads = db.request_reads(context.tenant.id) if context.tenant else contextlib.nullcontext()
    try:
        async with reads:
            result = await schema.execute(
                request.query,
                variable_values=request.variables,
                context_value=context,
                operation_name=request.operation_name,
                allowed_operation_types=HTTP_OPERATIONS,
            )
    except InvalidOperationTypeError:
        raise InvalidInput(SUBSCRIPTION_OVER_HTTP, field="query") from None
    except CannotGetOperationTypeError as exc:
        raise InvalidInput(exc.as_http_error_reason(), field="operationName") from None
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [format_error(e) for e in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions  # ``cost`` (graphql/cost.py)
    return payload
