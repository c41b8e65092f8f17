"""Every failure becomes a 4xx or 503 with one clear message, never a traceback."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException

from jogo.platform.auth.phone import GatewayUnavailable
from jogo.platform.db import DatabaseNotConfigured, DatabaseUnavailable
from jogo.platform.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    JogoError,
    NotFound,
    Unauthenticated,
)
from jogo.platform.outage import UNAVAILABLE_MESSAGE, describe, is_unavailable
from jogo.platform.ratelimit import RateLimited

log = logging.getLogger("jogo.http")

STATUS: dict[type[JogoError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    RateLimited: 429,
    DatabaseNotConfigured: 503,
    DatabaseUnavailable: 503,
    GatewayUnavailable: 503,  # the command has no gateway for the channel
}

# Seconds a client should wait before retrying a 503.
RETRY_AFTER = "2"


def error_body(code: str, message: str) -> dict[str, list[dict[str, object]]]:
    """A GraphQL-shaped error body: ``{"errors": [{"message": message, "extensions": {"code":
    code}}]}``."""
    # GraphQL-shaped, so a GraphQL client shows it as it shows any other error.
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def status_of(exc: JogoError) -> tuple[int, dict[str, str] | None]:
    """The HTTP status of ``exc`` (``STATUS``, 400 by default) and its headers:
    ``WWW-Authenticate: Bearer`` on 401, ``Retry-After`` (seconds) on 503 and on 429 (the
    limit's own wait)."""
    status = next((s for t, s in STATUS.items() if isinstance(exc, t)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": RETRY_AFTER}
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return status, headers


def jogo_error(_: Request, exc: JogoError) -> Response:
    """Litestar handler for :class:`JogoError`: the status and headers of :func:`status_of`."""
    status, headers = status_of(exc)
    return Response(error_body(exc.code, exc.message), status_code=status, headers=headers)


def http_error(_: Request, exc: HTTPException) -> Response:
    """Litestar handler for its own ``HTTPException``: same status and headers, code
    ``HTTP_<status>``."""
    return Response(
        error_body(f"HTTP_{exc.status_code}", str(exc.detail)),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def unexpected_error(request: Request, exc: Exception) -> Response:
    """Litestar handler for anything else: 503 ``UNAVAILABLE`` with ``Retry-After`` when the
    database cannot serve (logged in one warning line), else 500 ``INTERNAL`` with the traceback
    logged, never sent."""
    # Every kind of "the database can't serve now" (starting up, shutting down, refused,
    # connection lost mid-request, pool closing) is a 503 to retry, logged in one line.
    if is_unavailable(exc):
        log.warning("database unavailable on %s: %s", request.url.path, describe(exc))
        return Response(
            error_body("UNAVAILABLE", UNAVAILABLE_MESSAGE),
            status_code=503,
            headers={"Retry-After": RETRY_AFTER},
        )
    log.exception("unexpected error on %s", request.url.path)
    return Response(error_body("INTERNAL", "unexpected error"), status_code=500)


HANDLERS = {JogoError: jogo_error, HTTPException: http_error, Exception: unexpected_error}
