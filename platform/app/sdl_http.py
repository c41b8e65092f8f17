"""The committed GraphQL SDL at a stable URL, for integrators' code generators.

``GET /graphql/schema/{name}``: ``tenant.graphql`` (every module on: a command that runs
fewer modules serves a subset), ``national.graphql`` or ``platform.graphql``, as committed
under ``graphql/schema/`` (``python -m jogo.graphql.sdl`` rewrites them; a test keeps them
equal to what the code builds). ``text/plain; charset=utf-8``, ``ETag`` (SHA-256 of the
text, answered 304 to a matching ``If-None-Match``); any other name is 404. No
credentials: the schema is the public contract.
"""

from __future__ import annotations

import hashlib
from functools import cache

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from jogo.graphql.sdl import SCHEMA_DIR

NAMES = ("tenant.graphql", "national.graphql", "platform.graphql")


@cache
def _committed(name: str) -> tuple[str, str]:
    """The committed SDL text of ``name`` and its ETag (the package's copy)."""
    text = (SCHEMA_DIR / name).read_text(encoding="utf-8")
    return text, '"' + hashlib.sha256(text.encode("utf-8")).hexdigest() + '"'


@get("/graphql/schema/{name:str}", include_in_schema=False, sync_to_thread=False)
def graphql_sdl(request: Request, name: FromPath[str]) -> Response[str]:
    """One committed SDL file (module doc); 404 for any other name."""
    if name not in NAMES:
        raise NotFoundException("Skema tidak dikenal. / Unknown schema.")
    text, etag = _committed(name)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if request.headers.get("if-none-match") == etag:
        return Response("", status_code=304, headers=headers)
    return Response(text, media_type="text/plain", headers=headers)  # Litestar adds the charset


SDL_ROUTES = [graphql_sdl]
