"""Citizens sign up and sign in with a phone number (issue 17; rules in
:mod:`jogo.platform.auth.phone`).

- ``POST /auth/phone/start {"tenant", "phone", "channel"}`` → ``{"channel",
  "expires_in"}``: a 6-digit code goes out through the command's notification gateway
  (template ``otp_code``), stored and queued in one tenant transaction. The same answer
  for every number, with an account or without. 400 ``INVALID_INPUT`` (``phone``,
  ``channel``), 429 ``RATE_LIMITED``, 503 ``GATEWAY_UNAVAILABLE``, 404 for an unknown
  command.
- ``POST /auth/web/phone/verify {"tenant", "phone", "code", "consent", "name"}`` → the
  answer of ``/auth/web/login`` (access token, the ``jogo_refresh`` cookie), behind the
  same CSRF double submit. ``POST /auth/phone/verify`` (no cookie) → the ``/auth/token``
  answer, for app vendors. 401 ``INVALID_CODE``, 409 ``CONSENT_REQUIRED`` (with
  ``notice_version``), 429 ``RATE_LIMITED``, 403 for a disabled account.
- A number whose person is staff too (a citizen made an operator) and has TOTP on, or
  must enrol, gets the second-factor challenge of ``/auth/token`` instead (200, no
  token, no cookie; :func:`~jogo.platform.auth.sessions.after_password`): a phone
  code is no way round the command's two-step verification.

Errors answer ``{"code", "field", "message"}`` (plus ``notice_version`` for consent) and,
beside them, the ``errors`` list every other route answers, so the web clients' API
module reads them as it reads any other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response, post

from jogo.platform import db, registry
from jogo.platform.app.auth_http import client_of
from jogo.platform.app.http_errors import status_of
from jogo.platform.app.web_session import check_csrf, session_response
from jogo.platform.auth.phone import (
    CODE_TTL,
    ConsentRequired,
    GatewayUnavailable,
    check_channel,
    count_start,
    issue_phone_code,
    verify_phone_code,
)
from jogo.platform.auth.sessions import Issued, after_password
from jogo.platform.auth.totp import Challenge
from jogo.platform.errors import InvalidInput, JogoError, NotFound
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings
from jogo.platform.telemetry import set_current_tenant
from jogo.tenants.consent.notices import current_notice_of
from jogo.tenants.notifications import actions as notifications

T = TypeVar("T")
NO_STORE = {"Cache-Control": "no-store"}


class StartRequest(msgspec.Struct, forbid_unknown_fields=True):
    tenant: str
    phone: str
    channel: str = "SMS"


class VerifyRequest(msgspec.Struct, forbid_unknown_fields=True):
    tenant: str
    phone: str
    code: str
    consent: str | None = None
    name: str | None = None


def _decode(body: bytes, kind: type[T], shape: str) -> T:
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.DecodeError, RecursionError):
        raise InvalidInput(f"send a JSON object {shape}", field="body") from None


def phone_error(exc: JogoError) -> Response[dict[str, Any]]:
    """``exc`` as ``{"code", "field", "message", "errors": [...]}`` with its status and
    headers (:func:`~jogo.platform.app.http_errors.status_of`); a
    :class:`ConsentRequired` adds ``notice_version``."""
    status, headers = status_of(exc)
    extra: dict[str, Any] = {"field": exc.field}
    if isinstance(exc, ConsentRequired):
        extra["notice_version"] = exc.notice_version
    body = {
        "code": exc.code,
        "message": exc.message,
        **extra,
        "errors": [{"message": exc.message, "extensions": {"code": exc.code, **extra}}],
    }
    return Response(body, status_code=status, headers={**NO_STORE, **(headers or {})})


async def _answering(work: Callable[[], Awaitable[Response[Any]]]) -> Response[Any]:
    try:
        return await work()
    except JogoError as exc:
        return phone_error(exc)


async def _tenant(slug: str) -> TenantInfo:
    tenant = await registry.find_by_slug((slug or "").strip().lower())
    if tenant is None or not tenant.active:  # a suspended command serves no sign-ins
        raise NotFound("not found", field="tenant")
    set_current_tenant(tenant.slug)
    return tenant


@post("/auth/phone/start", status_code=200)
async def phone_start(request: Request) -> Response[Any]:
    """Send a sign-in code to ``phone`` by ``channel`` for command ``tenant`` (see the
    module docstring): ``{"channel", "expires_in": 300}``."""

    async def work() -> Response[Any]:
        settings: Settings = request.app.state.settings
        data = _decode(
            await request.body(), StartRequest, '{"tenant": ..., "phone": ..., "channel": ...}'
        )
        tenant = await _tenant(data.tenant)
        channel = check_channel(data.channel)
        client = client_of(request, settings)
        # The limits, before anything else.
        phone = await count_start(data.phone, client, tenant.id)
        async with db.tenant_tx(tenant.id):
            if not await notifications.gateway_ready(tenant.id, channel):
                raise GatewayUnavailable(channel)
            code = await issue_phone_code(tenant.id, phone, channel, settings.secret_key, client)
            await notifications.do_send(
                tenant.id,
                channel=channel,
                address=phone,
                template="otp_code",
                params={"code": code, "minutes": CODE_TTL // 60},
            )
        return Response({"channel": channel, "expires_in": CODE_TTL}, headers=NO_STORE)

    return await _answering(work)


async def _verify(request: Request, settings: Settings) -> Issued | Challenge:
    data = _decode(
        await request.body(),
        VerifyRequest,
        '{"tenant": ..., "phone": ..., "code": ..., "consent": ..., "name": ...}',
    )
    tenant = await _tenant(data.tenant)
    client = client_of(request, settings)

    async def notice_version() -> str:
        # The notice in force at this command: its own newest, else the product's default.
        return (await current_notice_of(tenant.id)).version

    who = await verify_phone_code(
        tenant.id,
        data.phone,
        data.code,
        consent=data.consent,
        name=data.name,
        secret_key=settings.secret_key,
        client=client,
        notice_version=notice_version,
    )
    # No device: a citizen's sign-ins are not fingerprinted; staff's are, at the factor.
    return await after_password(who.user_id, who.username, settings, client, None)


@post("/auth/phone/verify", status_code=200)
async def phone_verify(request: Request) -> Response[Any]:
    """Spend the code and sign in: the ``/auth/token`` answer (access and refresh token,
    or a staff member's second-factor challenge)."""

    async def work() -> Response[Any]:
        settings: Settings = request.app.state.settings
        answer = await _verify(request, settings)
        return Response(answer.body(), headers=NO_STORE)

    return await _answering(work)


@post("/auth/web/phone/verify", status_code=200)
async def web_phone_verify(request: Request) -> Response[Any]:
    """Spend the code and sign in a browser: the ``/auth/web/login`` answer and the
    refresh cookie; 403 without the CSRF double submit."""

    async def work() -> Response[Any]:
        settings: Settings = request.app.state.settings
        check_csrf(request, settings)
        answer = await _verify(request, settings)
        if isinstance(answer, Challenge):
            return Response(answer.body(), headers=NO_STORE)
        return session_response(request, settings, answer)

    return await _answering(work)


PHONE_ROUTES = [phone_start, phone_verify, web_phone_verify]
