"""Every failure becomes a 4xx or 503 with one clear message, never a traceback."""

from __future__ import annotations

import logging

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException

from jogo.platform.db import DatabaseNotConfigured
from jogo.platform.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    JogoError,
    NotFound,
    Unauthenticated,
)

log = logging.getLogger("jogo.http")

STATUS: dict[type[JogoError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    DatabaseNotConfigured: 503,
}


def error_body(code: str, message: str) -> dict[str, list[dict[str, object]]]:
    # GraphQL-shaped, so a GraphQL client shows it as it shows any other error.
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def jogo_error(_: Request, exc: JogoError) -> Response:
    status = next((s for t, s in STATUS.items() if isinstance(exc, t)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(error_body(exc.code, exc.message), status_code=status, headers=headers)


def http_error(_: Request, exc: HTTPException) -> Response:
    return Response(
        error_body(f"HTTP_{exc.status_code}", str(exc.detail)),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def unexpected_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)):
        log.warning("dependency unavailable on %s: %s", request.url.path, exc)
        return Response(
            error_body("UNAVAILABLE", "a backing service is unavailable"), status_code=503
        )
    log.exception("unexpected error on %s", request.url.path)
    return Response(error_body("INTERNAL", "unexpected error"), status_code=500)


HANDLERS = {JogoError: jogo_error, HTTPException: http_error, Exception: unexpected_error}
