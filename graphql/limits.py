"""Per-schema extensions: parser and validation caches, depth/alias/token limits,
values PostgreSQL can take in literals and variables (``graphql/guard.py``) and error masking
(anything that is not a JogoError or a GraphQL error reads "Unexpected error" and is
logged, so internals never reach a client).

Strawberry builds extensions per request. The validation cache is keyed by the rule
classes, and ``QueryDepthLimiter`` / ``MaxAliasesLimiter`` mint a new rule class per
instance, so the limits below reuse rule classes built once; otherwise every request
would miss the cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from graphql.error import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from jogo.graphql.cost import QueryCost
from jogo.graphql.guard import InputRule, VariablesGuard
from jogo.graphql.persisted import TrustedDocuments
from jogo.graphql.reads import SharedReads
from jogo.platform.errors import InvalidInput, JogoError
from jogo.platform.outage import as_unavailable, describe, is_unavailable

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
CACHE_SIZE = 512
MAX_PAGE = 100

log = logging.getLogger("jogo.graphql")


def page_size(first: int, limit: int = MAX_PAGE) -> int:
    """A connection's ``first``, checked: 1 to ``limit``."""
    if not 1 <= first <= limit:
        raise InvalidInput(f"first must be between 1 and {limit}", field="first")
    return first


_LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    InputRule,
]


class QueryLimits(AddValidationRules):
    """Depth and alias limits, and values PostgreSQL can take in every literal, with
    rule classes shared by every request."""

    def __init__(self) -> None:
        super().__init__(_LIMIT_RULES)


def _mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, (JogoError, GraphQLError)):
        return False
    if is_unavailable(original):
        log.warning("database unavailable in %s: %s", error.path, describe(original))
    else:
        log.error("unexpected error in %s", error.path, exc_info=original)
    return True


class _MaskErrors(MaskErrors):
    """Strawberry's masking, except that an outage of the database (a connection lost
    mid-request, a server starting up or shutting down) reads as the typed
    ``UNAVAILABLE`` error a client can retry on, not "Unexpected error"."""

    def _process_result(self, result: object) -> None:
        """strawberry's, without its runtime-checkable protocol test (slow, and made for
        every message of every live feed): a result has errors when its ``errors`` does."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or not is_unavailable(original):
            return super().anonymise_error(error)
        typed = as_unavailable(original)
        return GraphQLError(
            message=typed.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=typed,
            extensions={"code": typed.code},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """Mask, then put ``extensions.code`` (and ``field``) on every error itself, so
        that every transport (HTTP and the WebSocket alike) shows the same typed error; a
        masked fault reads ``INTERNAL``."""
        processed = super()._process_errors(errors)
        for error in processed:
            original = error.original_error
            extensions = dict(error.extensions or {})
            if isinstance(original, JogoError):
                extensions.setdefault("code", original.code)
                if original.field:
                    extensions.setdefault("field", original.field)
            elif original is None and error.message == self.error_message:
                extensions.setdefault("code", "INTERNAL")
            if extensions:
                error.extensions = extensions
        return processed


def extensions() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    """The schema extensions, in order: token limit (``MAX_TOKENS``), parser cache, depth and
    alias limits with the literal checks, validation cache, trusted documents
    (``graphql/persisted.py``), the variables guard, the query
    cost and budget (``graphql/cost.py``), shared reads, then error masking. Factories,
    because strawberry builds extensions per request.
    """
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        QueryLimits,
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        TrustedDocuments,
        VariablesGuard,
        QueryCost,
        SharedReads,
        lambda: _MaskErrors(should_mask_error=_mask),
    ]
