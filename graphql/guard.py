"""Values PostgreSQL cannot take are refused where an operation brings them in,
whatever the transport (the checks themselves: :mod:`jogo.platform.values`).

An operation carries values in three ways: raw in the document, written in a literal
(``"\\u0000"``, ``5e-324``), or in the variables. Each is refused with ``INVALID_INPUT``
before a resolver runs:

- :class:`InputRule` checks every string and float literal of the parsed document
  (arguments, input objects, JSON literals, variable defaults); it runs with
  validation, so it is cached per document.
- :class:`VariablesGuard` checks the variables of every operation, over HTTP and over
  the WebSocket alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql import FloatValueNode, GraphQLError, StringValueNode, ValidationRule
from jogo.platform.errors import InvalidInput
from jogo.platform.values import check_values, float_problem, text_problem

CODE = "INVALID_INPUT"


class InputRule(ValidationRule):
    """A validation rule: every string literal is storable text, every float literal
    usable in PostgreSQL arithmetic."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        """Refuse a string literal that PostgreSQL cannot store (e.g. a NUL), ``INVALID_INPUT``."""
        self._refuse(node, text_problem(node.value))

    def enter_float_value(self, node: FloatValueNode, *_args: Any) -> None:
        """Refuse a float literal unusable in PostgreSQL arithmetic (``INVALID_INPUT``):
        not finite, or non-zero and smaller than 1e-7 in magnitude (``MIN_FLOAT``)."""
        try:
            value = float(node.value)
        except ValueError:  # graphql-core's lexer only makes valid floats; be safe
            return
        self._refuse(node, float_problem(value))

    def _refuse(self, node: StringValueNode | FloatValueNode, problem: str | None) -> None:
        if problem:
            self.report_error(GraphQLError(problem, node, extensions={"code": CODE}))


class VariablesGuard(SchemaExtension):
    """Refuse an operation whose variables hold a value PostgreSQL cannot take.

    Raised from ``on_execute``, which strawberry turns into a request error for
    queries, mutations and subscriptions alike. A GraphQLError carrying its own
    ``extensions``, so the code reaches the socket too, where no formatter adds it.
    """

    def on_execute(self) -> Iterator[None]:
        """Check every variable before execution; a bad one raises ``INVALID_INPUT``
        naming its ``field``."""
        try:
            check_values(self.execution_context.variables, field="variables")
        except InvalidInput as exc:
            extensions = {"code": exc.code, "field": exc.field}
            raise GraphQLError(exc.message, extensions=extensions) from None
        yield
