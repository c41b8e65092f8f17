"""Reports by WhatsApp and SMS (issue 17): the gateways' inbound webhooks.

- ``GET /t/{slug}/intake/whatsapp``: Meta's verification challenge. ``hub.mode=subscribe``
  and ``hub.verify_token`` equal to the WHATSAPP gateway's ``config.verify_token`` →
  200 with ``hub.challenge`` as plain text; anything else 403.
- ``POST /t/{slug}/intake/whatsapp``: WhatsApp Cloud API webhooks, signed
  ``X-Hub-Signature-256`` with the app secret (``config.app_secret_enc``).
- ``POST /t/{slug}/intake/sms``: a generic SMS gateway's ``{"from", "text", "id"}``,
  signed ``X-Jogo-Signature`` with the SMS gateway's secret (``secret_enc``).

A missing or wrong signature is 401 and nothing changes; an unknown or suspended
command, or one without that gateway (or with it disabled), is 404; a body over
:data:`~jogo.tenants.intake.inbound.MAX_BODY` is 413; a signed body that is not the
expected JSON is 400. A good delivery is 200 ``{"status": "ok", "messages": [...]}``
(one outcome per message, ``duplicate`` for one seen before), so the gateway stops
retrying. See :mod:`jogo.tenants.intake.queries` for the gateway settings.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.params import FromPath

from jogo.platform import registry
from jogo.platform.errors import Forbidden, NotFound, Unauthenticated
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings
from jogo.platform.storage import FileStore
from jogo.platform.telemetry import set_current_tenant
from jogo.tenants.intake.actions import do_receive_message
from jogo.tenants.intake.inbound import MAX_BODY, Inbound, parse_sms, parse_whatsapp, signed
from jogo.tenants.intake.queries import InboundGateway, inbound_gateway

MAX_CHALLENGE = 200  # characters of hub.challenge echoed back
PLAIN = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _gateway(slug: str, kind: str, request: Request) -> tuple[TenantInfo, InboundGateway]:
    """The command and its enabled gateway of ``kind``; 404 (the same answer) for an
    unknown or suspended command and for one without that gateway."""
    tenant = await registry.find_by_slug(slug)
    if tenant is None or not tenant.active:
        raise NotFound("not found")
    set_current_tenant(tenant.slug)
    gateway = await inbound_gateway(tenant.id, kind, _settings(request).secret_key)
    if gateway is None:
        raise NotFound("not found")
    return tenant, gateway


async def _receive(tenant: TenantInfo, messages: list[Inbound], request: Request) -> dict[str, Any]:
    settings = _settings(request)
    store = FileStore(settings.data_dir / "attachments")
    outcomes = [await do_receive_message(tenant, m, store, settings.secret_key) for m in messages]
    return {"status": "ok", "messages": outcomes}


@get("/t/{slug:str}/intake/whatsapp")
async def whatsapp_challenge(slug: FromPath[str], request: Request) -> Response[str]:
    """Meta's webhook verification: ``hub.challenge`` echoed (text/plain) when
    ``hub.mode`` is ``subscribe`` and ``hub.verify_token`` is the gateway's verify token
    (compared in constant time); :class:`Forbidden` (403) otherwise; 404 as in
    :func:`_gateway`."""
    _, gateway = await _gateway(slug, "WHATSAPP", request)
    query = request.query_params
    mode, token, challenge = (
        query.get("hub.mode"),
        query.get("hub.verify_token"),
        query.get("hub.challenge"),
    )
    if (
        mode == "subscribe"
        and gateway.verify_token
        and token
        and hmac.compare_digest(token.encode(), gateway.verify_token.encode())
        and challenge
        and len(challenge) <= MAX_CHALLENGE
    ):
        return Response(challenge, media_type=MediaType.TEXT, headers=PLAIN)
    raise Forbidden("the verify token does not match")


@post("/t/{slug:str}/intake/whatsapp", status_code=200, request_max_body_size=MAX_BODY)
async def whatsapp_inbound(slug: FromPath[str], request: Request) -> dict[str, Any]:
    """A WhatsApp Cloud API webhook: every citizen's message in it taken into their
    conversation (statuses ignored; with ``config.phone_number_id`` set, messages to
    other business numbers too). 401 without a valid ``X-Hub-Signature-256``."""
    tenant, gateway = await _gateway(slug, "WHATSAPP", request)
    body = await request.body()
    if not signed(gateway.secret, body, request.headers.get("x-hub-signature-256")):
        raise Unauthenticated("a valid X-Hub-Signature-256 is required")
    messages = [
        m
        for m in parse_whatsapp(body)
        if gateway.phone_number_id is None or m.phone_number_id == gateway.phone_number_id
    ]
    return await _receive(tenant, messages, request)


@post("/t/{slug:str}/intake/sms", status_code=200, request_max_body_size=MAX_BODY)
async def sms_inbound(slug: FromPath[str], request: Request) -> dict[str, Any]:
    """An SMS gateway's inbound message ``{"from", "text", "id"}`` taken into its
    sender's conversation. 401 without a valid ``X-Jogo-Signature``."""
    tenant, gateway = await _gateway(slug, "SMS", request)
    body = await request.body()
    if not signed(gateway.secret, body, request.headers.get("x-jogo-signature")):
        raise Unauthenticated("a valid X-Jogo-Signature is required")
    return await _receive(tenant, [parse_sms(body)], request)


INTAKE_ROUTES = [whatsapp_challenge, whatsapp_inbound, sms_inbound]
