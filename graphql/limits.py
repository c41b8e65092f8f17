"""Per-schema extensions: parser and validation caches, depth/alias/token limits and
error masking (anything that is not a JogoError or a GraphQL error reads "Unexpected
error" and is logged, so internals never reach a client)."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from jogo.platform.errors import JogoError

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
CACHE_SIZE = 512
MAX_PAGE = 100

log = logging.getLogger("jogo.graphql")


def _mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, (JogoError, GraphQLError)):
        return False
    log.error("unexpected error in %s", error.path, exc_info=original)
    return True


def extensions() -> list[SchemaExtension | type[SchemaExtension]]:
    return [
        MaxTokensLimiter(max_token_count=MAX_TOKENS),
        ParserCache(maxsize=CACHE_SIZE),
        ValidationCache(maxsize=CACHE_SIZE),
        QueryDepthLimiter(max_depth=MAX_DEPTH),
        MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        MaskErrors(should_mask_error=_mask),
    ]
