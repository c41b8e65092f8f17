"""The reads of intake: the inbound side of a command's gateways, its categories as the
conversation lists them, and where a place written in words is put.

Gateway settings read here (``notification_gateways``, migration 0025):

- ``WHATSAPP``: ``config.verify_token`` (plain text: the token Meta sends back in the
  ``GET`` verification challenge), ``config.app_secret_enc`` (the Meta app secret,
  encrypted with ``jogo.platform.crypto.encrypt`` under ``JOGO_SECRET_KEY``: it checks
  ``X-Hub-Signature-256``), optionally ``config.phone_number_id`` (then messages to any
  other business number are ignored). ``secret_enc`` stays the access token for sending.
- ``SMS``: ``secret_enc`` (encrypted) is the shared secret that signs the gateway's
  inbound webhooks (``X-Jogo-Signature``).

A gateway that is missing or disabled is no gateway: the routes answer 404.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from jogo.platform import db
from jogo.platform.crypto import SecretUnreadable, decrypt
from jogo.tenants.intake.flow import Category
from jogo.tenants.reports import jurisdiction


@dataclass(frozen=True)
class InboundGateway:
    """What the inbound routes need of one gateway: ``secret`` is the signing secret
    (WhatsApp: the app secret; SMS: the gateway secret), decrypted, or "" when it is
    not set or cannot be read (then every signature fails); ``verify_token`` and
    ``phone_number_id`` are WhatsApp's ("" / None when not set)."""

    kind: str
    secret: str
    verify_token: str = ""
    phone_number_id: str | None = None


def _decrypted(token: Any, secret_key: str) -> str:
    if not isinstance(token, str) or not token:
        return ""
    try:
        return decrypt(token, secret_key)
    except SecretUnreadable:
        return ""


async def inbound_gateway(
    tenant_id: uuid.UUID, kind: str, secret_key: str
) -> InboundGateway | None:
    """The command's enabled ``WHATSAPP`` or ``SMS`` gateway for inbound webhooks, or
    None when it has none (or it is disabled). Reads in ``db.read_tx``;
    ``secret_key`` is ``JOGO_SECRET_KEY``."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT config, secret_enc FROM notification_gateways"
            " WHERE tenant_id = $1 AND kind = $2 AND enabled",
            tenant_id,
            kind,
        )
    if not rows:
        return None
    config = rows[0]["config"]
    if isinstance(config, str):
        config = json.loads(config)
    config = config if isinstance(config, dict) else {}
    if kind == "WHATSAPP":
        token = config.get("verify_token")
        number = config.get("phone_number_id")
        return InboundGateway(
            kind,
            _decrypted(config.get("app_secret_enc"), secret_key),
            token if isinstance(token, str) else "",
            str(number) if isinstance(number, str | int) and number else None,
        )
    return InboundGateway(kind, _decrypted(rows[0]["secret_enc"], secret_key))


async def categories() -> list[Category]:
    """Inside the caller's tenant transaction: the active categories in the order the
    citizen app lists them (``sort_order``, then name)."""
    rows = await db.fetch(
        "SELECT code, name_id, name_en FROM report_categories WHERE is_active"
        " ORDER BY sort_order, name_id, code"
    )
    return [Category(r["code"], r["name_id"], r["name_en"]) for r in rows]


async def command_centre(tenant_id: uuid.UUID) -> tuple[float, float] | None:
    """Inside the caller's tenant transaction: ``(latitude, longitude)`` where a report
    placed only by words goes: a point inside the command's jurisdiction when it has
    one, else the middle of its police posts and located agencies; None when it has
    neither."""
    prepared = await jurisdiction.current_geometry(tenant_id)
    if prepared is not None:
        point = prepared.context.representative_point()
        return float(point.y), float(point.x)
    rows = await db.fetch(
        "SELECT avg(latitude) AS lat, avg(longitude) AS lon FROM ("
        " SELECT latitude, longitude FROM police_posts UNION ALL"
        " SELECT latitude, longitude FROM agencies WHERE latitude IS NOT NULL"
        " AND longitude IS NOT NULL) located"
    )
    if not rows or rows[0]["lat"] is None:
        return None
    return float(rows[0]["lat"]), float(rows[0]["lon"])
