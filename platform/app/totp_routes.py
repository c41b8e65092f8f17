"""Staff sign-in's second factor over HTTP (see :mod:`jogo.platform.auth.totp`).

- ``POST /auth/token`` and ``/auth/web/login`` answer ``{"second_factor": "totp" |
  "enrol", "challenge", "expires_in", "message"}`` (200, no token, no cookie) after a
  right password of a user who needs a second factor (:func:`after_password`).
- ``POST /auth/token/second-factor {"challenge", "code"}`` → the ``/auth/token``
  answer. The code is a TOTP code or a recovery code; for an ``enrol`` challenge it is
  the first code of the new secret and the answer carries ``recovery_codes`` too. A
  wrong or replayed code is 401 ``UNAUTHENTICATED`` and counts toward the sign-in
  lockout (429); an expired or spent challenge is 401.
- ``POST /auth/web/second-factor`` → the same for a browser: the refresh cookie, CSRF
  checked as at ``/auth/web/login``.
- ``POST /auth/totp/enrol`` → ``{"secret", "provisioning_uri"}``: with
  ``Authorization: Bearer`` (a signed-in user with a role other than ``citizen``, any
  audience) and an empty body, or ``{"challenge"}`` of an ``enrol`` challenge (the
  enrolment-only session). A citizen only is 403 ``FORBIDDEN``: citizens sign in by
  phone and no citizen client asks for a code.
- ``POST /auth/totp/confirm {"code"}`` (Bearer) → ``{"recovery_codes"}``: TOTP is on
  (403 for a citizen only, as above).
- ``POST /auth/totp/recovery-codes {"code"}`` (Bearer) → ``{"recovery_codes"}``: new
  codes, the old ones void.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, post

from jogo.platform.app.auth_http import client_of, principal_from_header
from jogo.platform.app.session_routes import _decode
from jogo.platform.app.web_session import check_csrf, session_response
from jogo.platform.auth import totp
from jogo.platform.auth.login import throttled
from jogo.platform.auth.roles import Role
from jogo.platform.auth.sessions import Issued, start_session
from jogo.platform.errors import Forbidden, Unauthenticated
from jogo.platform.settings import Settings


class SecondFactorRequest(msgspec.Struct, forbid_unknown_fields=True):
    challenge: str
    code: str


class EnrolRequest(msgspec.Struct, forbid_unknown_fields=True):
    challenge: str | None = None


class CodeRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: str


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def device_of_request(request: Request, settings: Settings) -> str | None:
    """The caller's device fingerprint (user agent and network)."""
    return totp.device_of(client_of(request, settings), request.headers.get("user-agent"))


async def _complete(request: Request, settings: Settings) -> tuple[Issued, list[str] | None]:
    data = _decode(await request.body(), SecondFactorRequest, '{"challenge": ..., "code": ...}')
    client = client_of(request, settings)
    pending = await totp.find_challenge(data.challenge)
    recovery: list[str] | None = None
    if pending.kind == "enrol":
        recovery = await totp.confirm_enrolment(
            pending.user_id, pending.username, data.code, settings, client
        )
        await totp.spend_challenge(data.challenge)
    else:
        await throttled(
            pending.username,
            client,
            lambda: totp.answer_challenge(
                data.challenge, pending.user_id, data.code, settings, client
            ),
        )
    device = pending.device or device_of_request(request, settings)
    issued = await start_session(pending.user_id, pending.username, settings, client, device=device)
    return issued, recovery


@post("/auth/token/second-factor", status_code=200)
async def token_second_factor(request: Request) -> dict[str, Any]:
    """``{"challenge", "code"}`` → the ``/auth/token`` answer (plus ``recovery_codes``
    after an enrolment). 401 for a wrong, replayed or expired one; 429 when locked."""
    settings = _settings(request)
    issued, recovery = await _complete(request, settings)
    body = issued.body()
    if recovery is not None:
        body["recovery_codes"] = recovery
    return body


@post("/auth/web/second-factor", status_code=200)
async def web_second_factor(request: Request) -> Response[dict[str, Any]]:
    """The browser's ``/auth/token/second-factor``: the refresh token in the cookie."""
    settings = _settings(request)
    check_csrf(request, settings)
    issued, recovery = await _complete(request, settings)
    response = session_response(request, settings, issued)
    if recovery is not None:
        response.content["recovery_codes"] = recovery
    return response


STAFF_ONLY = (
    "Verifikasi dua langkah hanya untuk petugas. / Two-step verification is for staff only."
)


async def _signed_in(
    request: Request, settings: Settings, *, staff: bool = False
) -> tuple[uuid.UUID, str]:
    """The Bearer user (401 otherwise); with ``staff``, one with a role other than
    ``citizen`` (403 otherwise)."""
    principal = await principal_from_header(request.headers.get("authorization"), settings)
    if principal.kind != "user" or principal.id is None or not principal.memberships:
        raise Unauthenticated("sign in as a user first")
    if staff and all(m.role == Role.CITIZEN for m in principal.memberships):
        raise Forbidden(STAFF_ONLY)
    return principal.id, principal.name


@post("/auth/totp/enrol", status_code=200)
async def enrol(request: Request) -> dict[str, Any]:
    """Start enrolment: ``{"secret", "provisioning_uri"}``. 409 when TOTP is on already;
    403 for a citizen only."""
    settings = _settings(request)
    data = _decode(await request.body() or b"{}", EnrolRequest, '{"challenge": ...}')
    if data.challenge is not None:
        pending = await totp.find_challenge(data.challenge)
        if pending.kind != "enrol":
            raise Unauthenticated(totp.EXPIRED)
        user_id, username = pending.user_id, pending.username
    else:
        user_id, username = await _signed_in(request, settings, staff=True)
    return (await totp.begin_enrolment(user_id, username, settings)).body()


@post("/auth/totp/confirm", status_code=200)
async def confirm(request: Request) -> dict[str, Any]:
    """``{"code"}`` (Bearer) → ``{"recovery_codes"}``; 400 for a wrong code."""
    settings = _settings(request)
    data = _decode(await request.body(), CodeRequest, '{"code": ...}')
    user_id, username = await _signed_in(request, settings, staff=True)
    client = client_of(request, settings)
    codes = await totp.confirm_enrolment(user_id, username, data.code, settings, client)
    return {"recovery_codes": codes}


@post("/auth/totp/recovery-codes", status_code=200)
async def recovery_codes(request: Request) -> dict[str, Any]:
    """``{"code"}`` (Bearer, a current TOTP code) → ``{"recovery_codes"}``, the old ones
    void; 400 for a wrong code."""
    settings = _settings(request)
    data = _decode(await request.body(), CodeRequest, '{"code": ...}')
    user_id, username = await _signed_in(request, settings)
    client = client_of(request, settings)
    codes = await totp.regenerate_recovery_codes(user_id, username, data.code, settings, client)
    return {"recovery_codes": codes}


TOTP_ROUTES = [token_second_factor, web_second_factor, enrol, confirm, recovery_codes]
