"""Sign-in for the browser clients: the refresh token in an ``HttpOnly`` cookie.

The web clients keep the access token in page memory only (never ``localStorage``), and the
refresh token in the ``jogo_refresh`` cookie: ``HttpOnly`` (no script reads it),
``SameSite=Strict``, ``Path=/auth/web`` (sent to these three routes only), ``Secure``
behind HTTPS. GraphQL itself never reads a cookie: the page sends ``Authorization: Bearer``
like any integrator, so there is one way in and one set of checks.

- ``POST /auth/web/login {"username", "password"}`` → ``{"access_token", "token_type",
  "expires_in", "refresh_expires_in"}`` and the cookie (throttled and audited exactly as
  ``POST /auth/token``);
- ``POST /auth/web/refresh`` (no body) → the same shape, the cookie rotated (a reload or a
  shift-long page calls it before the access token expires);
- ``POST /auth/web/logout`` → ``{"ended": bool}``, the session ended and the cookie cleared.

**CSRF.** Each route rides on cookies, so each needs the double-submit token: the header
``X-Jogo-CSRF`` must equal the ``jogo_csrf`` cookie that every page sets, and an
``Origin`` header, when sent, must be this server's own origin. Otherwise 403 ``FORBIDDEN``.
A missing or ended refresh cookie is 401 and clears the cookie.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, post
from litestar.datastructures import Cookie

from jogo.platform.app.auth_http import client_of
from jogo.platform.app.http_errors import error_body
from jogo.platform.app.routes import token_request
from jogo.platform.app.web import CSRF_COOKIE, cookie_secure
from jogo.platform.auth.login import sign_in
from jogo.platform.auth.sessions import (
    Issued,
    after_password,
    logout_refresh_token,
    refresh_session,
)
from jogo.platform.auth.totp import Challenge, device_of
from jogo.platform.errors import Forbidden, Unauthenticated
from jogo.platform.settings import Settings

REFRESH_COOKIE = "jogo_refresh"
COOKIE_PATH = "/auth/web"
CSRF_HEADER = "x-jogo-csrf"


def _own_origins(request: Request, settings: Settings) -> set[str]:
    origins = {f"{request.url.scheme}://{request.url.netloc}"}
    host = request.headers.get("host")
    if host:
        origins.add(f"{request.url.scheme}://{host}")
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def check_csrf(request: Request, settings: Settings) -> None:
    """Raise :class:`Forbidden` unless ``X-Jogo-CSRF`` equals the ``jogo_csrf`` cookie and
    any ``Origin`` is this server's (its request URL, its ``Host``, or ``JOGO_PUBLIC_URL``)."""
    origin = request.headers.get("origin")
    if origin is not None and origin not in _own_origins(request, settings):
        raise Forbidden("cross-origin request refused; open the page from this server")
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    header = request.headers.get(CSRF_HEADER) or ""
    if not cookie or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise Forbidden("the CSRF check failed; reload the page and try again")


def _refresh_cookie(request: Request, settings: Settings, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=REFRESH_COOKIE,
        value=value,
        path=COOKIE_PATH,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request, settings),
    )


def session_response(
    request: Request, settings: Settings, issued: Issued
) -> Response[dict[str, Any]]:
    """A sign-in's answer to a browser: the ``/auth/token`` body without the refresh token,
    which goes in the ``jogo_refresh`` cookie (``HttpOnly``, ``Path=/auth/web``)."""
    body = issued.body()
    refresh = str(body.pop("refresh_token"))
    return Response(
        body,
        status_code=200,
        headers={"Cache-Control": "no-store"},
        cookies=[_refresh_cookie(request, settings, refresh, issued.refresh_expires_in)],
    )


def _cleared(request: Request, settings: Settings, exc: Unauthenticated) -> Response[Any]:
    return Response(
        error_body(exc.code, exc.message),
        status_code=401,
        headers={"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"},
        cookies=[_refresh_cookie(request, settings, "", 0)],
    )


@post("/auth/web/login", status_code=200)
async def web_login(request: Request) -> Response[dict[str, Any]]:
    """``{"username", "password"}`` → an access token, and the refresh cookie; 401 for a
    wrong password, 429 when throttled, 403 without the CSRF token. A user with TOTP on,
    or who must enrol, gets the challenge (no cookie): continue at
    ``/auth/web/second-factor``."""
    settings: Settings = request.app.state.settings
    check_csrf(request, settings)
    data = token_request(await request.body())
    client = client_of(request, settings)
    user_id, username = await sign_in(data.username, data.password, client)
    device = device_of(client, request.headers.get("user-agent"))
    answer = await after_password(user_id, username, settings, client, device)
    if isinstance(answer, Challenge):
        return Response(answer.body(), status_code=200, headers={"Cache-Control": "no-store"})
    return session_response(request, settings, answer)


@post("/auth/web/refresh", status_code=200)
async def web_refresh(request: Request) -> Response[Any]:
    """The refresh cookie → a new access token and a rotated cookie; 401 (cookie cleared)
    when there is none or its session has ended."""
    settings: Settings = request.app.state.settings
    check_csrf(request, settings)
    token = request.cookies.get(REFRESH_COOKIE)
    try:
        if not token:
            raise Unauthenticated("not signed in")
        issued = await refresh_session(token, settings)
    except Unauthenticated as exc:
        return _cleared(request, settings, exc)
    return session_response(request, settings, issued)


@post("/auth/web/logout", status_code=200)
async def web_logout(request: Request) -> Response[dict[str, Any]]:
    """Ends the cookie's session (if any) and clears the cookie: ``{"ended": bool}``."""
    settings: Settings = request.app.state.settings
    check_csrf(request, settings)
    token = request.cookies.get(REFRESH_COOKIE)
    ended = False
    if token:
        try:
            ended = await logout_refresh_token(token)
        except Unauthenticated:
            ended = False
    return Response(
        {"ended": ended},
        status_code=200,
        headers={"Cache-Control": "no-store"},
        cookies=[_refresh_cookie(request, settings, "", 0)],
    )


WEB_SESSION_ROUTES = [web_login, web_refresh, web_logout]
