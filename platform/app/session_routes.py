"""Session routes beside ``POST /auth/token``: refresh, logout, and setting a password
with a one-time code. Bodies are JSON objects decoded straight into their structs; a
malformed one is 400, a bad token or code 401, too many wrong codes 429."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Request, post

from jogo.platform.app.auth_http import client_of, principal_from_header
from jogo.platform.auth.account import change_password
from jogo.platform.auth.codes import redeem_code
from jogo.platform.auth.sessions import logout_refresh_token, refresh_session
from jogo.platform.errors import InvalidInput
from jogo.platform.settings import Settings

T = TypeVar("T")


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: str


class ResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    password: str


class PasswordRequest(msgspec.Struct, forbid_unknown_fields=True):
    current_password: str
    new_password: str


def _decode(body: bytes, kind: type[T], shape: str) -> T:
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.DecodeError, RecursionError):
        raise InvalidInput(f"send a JSON object {shape}", field="body") from None


@post("/auth/refresh", status_code=200)
async def refresh(request: Request) -> dict[str, Any]:
    """``{"refresh_token"}`` → a new access token and a new refresh token (the one sent
    is spent; sent again within ``JOGO_REFRESH_RETRY_SECONDS`` while its successor is
    unused, it answers that successor again; any other reuse ends the whole session)."""
    data = _decode(await request.body(), RefreshRequest, '{"refresh_token": ...}')
    settings: Settings = request.app.state.settings
    return (await refresh_session(data.refresh_token, settings)).body()


@post("/auth/logout", status_code=200)
async def logout(request: Request) -> dict[str, Any]:
    """``{"refresh_token"}`` (spent or not) → the session ends: ``{"ended": bool}``."""
    data = _decode(await request.body(), RefreshRequest, '{"refresh_token": ...}')
    return {"ended": await logout_refresh_token(data.refresh_token)}


@post("/auth/reset", status_code=200)
async def reset(request: Request) -> dict[str, Any]:
    """``{"code", "password"}`` → the password is set (activation or reset), every
    session of the user ends: ``{"status": "ok"}``; then sign in at ``/auth/token``."""
    data = _decode(await request.body(), ResetRequest, '{"code": ..., "password": ...}')
    settings: Settings = request.app.state.settings
    await redeem_code(data.code, data.password, client_of(request, settings))
    return {"status": "ok"}


@post("/auth/password", status_code=200)
async def password(request: Request) -> dict[str, Any]:
    """``Authorization: Bearer <access token>`` and ``{"current_password",
    "new_password"}``: the ``changePassword`` mutation for every user, national and
    platform ones too: ``{"sessions_ended": n}``. A wrong current password is 400."""
    data = _decode(
        await request.body(), PasswordRequest, '{"current_password": ..., "new_password": ...}'
    )
    settings: Settings = request.app.state.settings
    principal = await principal_from_header(request.headers.get("authorization"), settings)
    ended = await change_password(principal, data.current_password, data.new_password)
    return {"sessions_ended": ended}


SESSION_ROUTES = [refresh, logout, reset, password]
