"""GraphQL over HTTP without a thread hop: parse the JSON body, execute on the loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import strawberry
from graphql.error import GraphQLError

from jogo.graphql.context import Context
from jogo.platform.errors import InvalidInput, JogoError

MAX_BODY = 256 * 1024


@dataclass(frozen=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


def parse_body(body: bytes) -> GraphQLRequest:
    if len(body) > MAX_BODY:
        raise InvalidInput(f"request body is larger than {MAX_BODY // 1024} KiB")
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise InvalidInput("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object")
    query = data.get("query")
    variables = data.get("variables")
    operation = data.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise InvalidInput("'query' must be a non-empty string", field="query")
    if variables is not None and not isinstance(variables, dict):
        raise InvalidInput("'variables' must be an object", field="variables")
    if operation is not None and not isinstance(operation, str):
        raise InvalidInput("'operationName' must be a string", field="operationName")
    check_text(query)
    check_text(variables)
    return GraphQLRequest(query, variables, operation)


def check_text(value: Any) -> None:
    """PostgreSQL text holds neither NUL nor unpaired surrogates: refuse them here, with
    a clear error, instead of failing deep in a query."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput("text may not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput("text must be valid Unicode") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_text(item)
    elif isinstance(value, list):
        for item in value:
            check_text(item)


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
    except msgspec.DecodeError:
        raise InvalidInput("'map' is not valid JSON", field="map") from None
    if not isinstance(mapping, dict):
        raise InvalidInput("'map' must be an object", field="map")
    variables: dict[str, Any] = dict(request.variables or {})
    for key, paths in mapping.items():
        if key not in files or not isinstance(paths, list):
            raise InvalidInput(f"file {key!r} in 'map' was not sent", field="map")
        for path in paths:
            _place(variables, str(path), files[key])
    return GraphQLRequest(request.query, variables, request.operation_name)


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


def format_error(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if isinstance(original, JogoError):
        extensions = dict(formatted.get("extensions") or {})
        extensions.setdefault("code", original.code)
        if original.field:
            extensions.setdefault("field", original.field)
        formatted["extensions"] = extensions
    return formatted


async def execute(schema: strawberry.Schema, request: GraphQLRequest, context: Context) -> dict:
    result = await schema.execute(
        request.query,
        variable_values=request.variables,
        context_value=context,
        operation_name=request.operation_name,
    )
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [format_error(e) for e in result.errors]
    return payload
