"""Per-schema extensions: parser and validation caches, depth/alias/token limits and
error masking (anything that is not a JogoError or a GraphQL error reads "Unexpected
error" and is logged, so internals never reach a client).

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

from jogo.platform.errors import InvalidInput, JogoError

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
]


class QueryLimits(AddValidationRules):
    """Depth and alias limits with rule classes shared by every request."""

    def __init__(self) -> None:
        super().__init__(_LIMIT_RULES)


def _mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, (JogoError, GraphQLError)):
        return False
    log.error("unexpected error in %s", error.path, exc_info=original)
    return True


def extensions() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        QueryLimits,
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        lambda: MaskErrors(should_mask_error=_mask),
    ]
