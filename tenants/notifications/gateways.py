"""How a command sends on each channel: one gateway per kind, set by its tenant admins.

- ``WHATSAPP``: a WhatsApp Business Cloud API endpoint (``endpoint``, default
  :data:`WHATSAPP_ENDPOINT`) and the business ``phone_number_id``; the secret is the
  access token (sent as ``Authorization: Bearer``).
- ``SMS``: a generic HTTP SMS gateway (``endpoint``, optional ``sender``); the secret
  signs each request body (HMAC-SHA256, like agency webhooks).
- ``EMAIL``: an SMTP server (``host``, ``port``, ``security`` STARTTLS | TLS | NONE,
  optional ``username``, the ``sender`` address); the secret is the password.
- ``WEBPUSH``: VAPID. The secret is the private key (made here when none is given);
  the public key (``public_key``, the browser's ``applicationServerKey``) and the
  ``subject`` (a ``mailto:`` or ``https:`` contact) are in the config.

Secrets are stored encrypted (:mod:`jogo.platform.crypto`) and never read back out:
the API says only whether one is set. Endpoints and hosts must pass the egress rule
(:mod:`jogo.platform.egress`) when saved, and again on every connection.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.contacts import normalise_email
from jogo.platform.crypto import encrypt
from jogo.platform.egress import check_url
from jogo.platform.errors import InputErrors, InvalidInput, JogoError
from jogo.tenants.notifications.actions import check_channel

WHATSAPP_ENDPOINT = "https://graph.facebook.com/v21.0"
SECURITIES = ("STARTTLS", "TLS", "NONE")
PHONE_NUMBER_ID = re.compile(r"[0-9]{5,30}")
HOST = re.compile(r"[A-Za-z0-9.\-:\[\]]{1,253}")
MIN_TOKEN = 16
MAX_SECRET = 4000
MAX_TEXT = 200


class GatewayUnavailable(JogoError):
    """The command has no enabled gateway for a channel (``GATEWAY_UNAVAILABLE``)."""

    code = "GATEWAY_UNAVAILABLE"


def unavailable(channel: str, field: str = "channel") -> GatewayUnavailable:
    """The bilingual refusal for a channel this command does not send on."""
    return GatewayUnavailable(
        f"Kantor ini belum dapat mengirim pesan lewat {channel}; pilih saluran lain. /"
        f" This command cannot send on {channel} yet; choose another channel.",
        field=field,
    )


@dataclass
class GatewayInput:
    """What a tenant admin sets for one gateway ``kind``. ``secret`` None keeps the stored
    one; an empty string clears it (only where it is optional: EMAIL)."""

    kind: str
    enabled: bool = True
    endpoint: str | None = None
    phone_number_id: str | None = None
    sender: str | None = None
    host: str | None = None
    port: int | None = None
    security: str | None = None
    username: str | None = None
    subject: str | None = None
    secret: str | None = None
    # WHATSAPP intake (tenants/intake): the token Meta echoes in its verification
    # challenge (kept as given), and the app secret that signs its webhooks (stored
    # encrypted as config.app_secret_enc; None keeps the stored one).
    verify_token: str | None = None
    app_secret: str | None = None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_vapid_key() -> str:
    """A new VAPID private key: the raw 32-byte P-256 scalar, base64url without padding
    (the form py_vapid and the web-push tools read)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return _b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def vapid_public_key(private_key: str) -> str:
    """The browser's ``applicationServerKey`` for a VAPID private key (raw base64url, or
    base64 DER, or PEM): the uncompressed P-256 point, base64url without padding.
    :class:`InvalidInput` on ``secret`` for anything that is not a P-256 private key."""
    try:
        text = private_key.strip()
        key: Any
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = _b64url_decode(text.replace("\n", "").replace("+", "-").replace("/", "_"))
            if len(raw) == 32:
                key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                key = serialization.load_der_private_key(raw, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("not P-256")
    except (ValueError, TypeError, UnicodeError):
        raise InvalidInput(
            "Kunci VAPID harus kunci privat P-256 (base64url 32 bita, DER atau PEM). /"
            " The VAPID key must be a P-256 private key (32 bytes base64url, DER or PEM).",
            field="secret",
        ) from None
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(point)


def _text(value: str | None, field: str, errors: list[InvalidInput]) -> str | None:
    text = (value or "").strip() or None
    if text is not None and len(text) > MAX_TEXT:
        errors.append(InvalidInput(f"{field} may be at most {MAX_TEXT} characters", field=field))
    return text


def _url(value: str | None, field: str, errors: list[InvalidInput]) -> str | None:
    url = _text(value, field, errors)
    if url is None:
        return None
    try:  # ValueError: a broken IPv6 host ("http://[::1/") or a port past 65535
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        errors.append(InvalidInput("an http or https URL is needed", field=field))
        return None
    return url.rstrip("/")


def _config(data: GatewayInput, errors: list[InvalidInput]) -> dict[str, Any]:
    """The stored config of one kind (snake_case keys), with every bad field in ``errors``."""
    if data.kind == "WHATSAPP":
        number = _text(data.phone_number_id, "phoneNumberId", errors)
        if not number or not PHONE_NUMBER_ID.fullmatch(number):
            errors.append(
                InvalidInput("the business phone number ID (digits)", field="phoneNumberId")
            )
        endpoint = _url(data.endpoint or WHATSAPP_ENDPOINT, "endpoint", errors)
        token = _text(data.verify_token, "verifyToken", errors)
        if token is not None and len(token) < MIN_TOKEN:
            errors.append(InvalidInput(f"at least {MIN_TOKEN} characters", field="verifyToken"))
        return {"endpoint": endpoint, "phone_number_id": number, "verify_token": token}
    if data.kind == "SMS":
        endpoint = _url(data.endpoint, "endpoint", errors)
        if endpoint is None and not any(e.field == "endpoint" for e in errors):
            errors.append(InvalidInput("the SMS gateway's URL is needed", field="endpoint"))
        return {"endpoint": endpoint, "sender": _text(data.sender, "sender", errors)}
    if data.kind == "EMAIL":
        return _email_config(data, errors)
    subject = _text(data.subject, "subject", errors)
    if subject is not None and not (
        subject.startswith("mailto:") or subject.startswith("https://")
    ):
        errors.append(InvalidInput("a mailto: or https: contact", field="subject"))
    return {"subject": subject}


def _email_config(data: GatewayInput, errors: list[InvalidInput]) -> dict[str, Any]:
    host = _text(data.host, "host", errors)
    if not host or not HOST.fullmatch(host):
        errors.append(InvalidInput("the SMTP server's host name", field="host"))
    security = (data.security or "STARTTLS").strip().upper()
    if security not in SECURITIES:
        errors.append(InvalidInput("STARTTLS, TLS or NONE", field="security"))
    port = data.port if data.port is not None else (465 if security == "TLS" else 587)
    if not 1 <= port <= 65535:
        errors.append(InvalidInput("a port from 1 to 65535", field="port"))
    sender = None
    try:
        sender = normalise_email(data.sender or "", "sender")
    except InvalidInput as exc:
        errors.append(exc)
    return {
        "host": host,
        "port": port,
        "security": security,
        "username": _text(data.username, "username", errors),
        "sender": sender,
    }


def _secret(
    data: GatewayInput, stored: str | None, errors: list[InvalidInput]
) -> tuple[str | None, bool]:
    """The new secret in clear (None: keep ``stored``) and whether to clear it."""
    secret = data.secret
    if secret is not None and len(secret) > MAX_SECRET:
        errors.append(InvalidInput(f"at most {MAX_SECRET} characters", field="secret"))
        return None, False
    if data.kind == "EMAIL":
        if secret == "":
            return None, True
        return secret, False
    if data.kind == "WEBPUSH":
        if secret:
            return secret.strip(), False
        return (None if stored else new_vapid_key()), False
    if secret is None and stored:
        return None, False
    if len(secret or "") < MIN_TOKEN:
        what = "access token" if data.kind == "WHATSAPP" else "signing secret"
        errors.append(InvalidInput(f"the {what} (at least {MIN_TOKEN} characters)", field="secret"))
    return secret, False


def _app_secret(
    data: GatewayInput,
    stored: dict[str, Any],
    config: dict[str, Any],
    secret_key: str,
    errors: list[InvalidInput],
) -> None:
    """WHATSAPP: put the webhook app secret in ``config`` (encrypted), the given one or
    the stored one."""
    if data.app_secret is None:
        if stored.get("app_secret_enc"):
            config["app_secret_enc"] = stored["app_secret_enc"]
        return
    if not MIN_TOKEN <= len(data.app_secret) <= MAX_SECRET:
        errors.append(InvalidInput(f"at least {MIN_TOKEN} characters", field="appSecret"))
        return
    config["app_secret_enc"] = encrypt(data.app_secret, secret_key)


async def _check_destination(
    kind: str, config: dict[str, Any], allow_private: bool, errors: list[InvalidInput]
) -> None:
    try:
        if kind in ("WHATSAPP", "SMS") and config.get("endpoint"):
            await check_url(config["endpoint"], allow_private=allow_private, field="endpoint")
        elif kind == "EMAIL" and config.get("host"):
            await check_url(
                f"smtp://{config['host']}:{config['port']}",
                allow_private=allow_private,
                field="host",
            )
    except InvalidInput as exc:
        errors.append(exc)


async def do_set_gateway(
    tenant_id: uuid.UUID,
    principal: Principal,
    data: GatewayInput,
    secret_key: str,
    *,
    allow_private_egress: bool,
) -> str:
    """Create or replace the command's gateway of ``data.kind`` (its whole config; the
    secret kept when none is given). WEBPUSH with no key given and none stored gets a
    new VAPID key pair. Needs ``TENANT_ADMIN``; audited (never the secret). Returns the
    kind. Errors: ``INVALID_INPUT`` on every bad field at once (``kind``, ``endpoint``,
    ``phoneNumberId``, ``host``, ``port``, ``security``, ``sender``, ``subject``,
    ``secret``; a destination the egress rule refuses)."""
    if Cap.TENANT_ADMIN not in principal.tenant_caps(tenant_id):
        raise denied(principal, "only a tenant admin can set the notification gateways")
    check_channel(data.kind)
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT secret_enc, config FROM notification_gateways WHERE kind = $1", data.kind
        )
    stored = rows[0]["secret_enc"] if rows else None
    errors: list[InvalidInput] = []
    config = _config(data, errors)
    secret, clear = _secret(data, stored, errors)
    if data.kind == "WEBPUSH":
        if secret is not None:
            try:
                config["public_key"] = vapid_public_key(secret)
            except InvalidInput as exc:
                errors.append(exc)
        elif rows:
            config["public_key"] = json.loads(rows[0]["config"]).get("public_key")
    if data.kind == "WHATSAPP":
        _app_secret(data, json.loads(rows[0]["config"]) if rows else {}, config, secret_key, errors)
    if data.kind == "EMAIL" and secret and not config.get("username"):
        errors.append(InvalidInput("a password needs a username", field="username"))
    if not errors:
        await _check_destination(data.kind, config, allow_private_egress, errors)
    if errors:
        raise InputErrors(errors)
    secret_enc = None if clear else encrypt(secret, secret_key) if secret else stored
    async with db.tenant_tx(tenant_id):
        await db.fetch(
            "INSERT INTO notification_gateways (tenant_id, kind, config, secret_enc, enabled,"
            " updated_at) VALUES ($1, $2, $3::jsonb, $4, $5, now())"
            " ON CONFLICT (tenant_id, kind) DO UPDATE SET config = EXCLUDED.config,"
            " secret_enc = EXCLUDED.secret_enc, enabled = EXCLUDED.enabled, updated_at = now()",
            tenant_id,
            data.kind,
            json.dumps(config),
            secret_enc,
            data.enabled,
        )
        await write_audit(
            "notification_gateway.set",
            principal=principal,
            tenant_id=tenant_id,
            target=f"notification_gateway:{data.kind}",
            detail={"enabled": data.enabled, "secret_changed": secret is not None or clear}
            | {k: v for k, v in config.items() if k not in ("public_key", "app_secret_enc")},
        )
    return data.kind


async def list_gateways(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """The command's gateways by kind: ``kind``, ``config`` (dict), ``has_secret``,
    ``enabled``, ``updated_at``. Never the secret."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT kind, config, secret_enc IS NOT NULL AS has_secret, enabled, updated_at"
            " FROM notification_gateways ORDER BY kind"
        )
    return [dict(r) | {"config": json.loads(r["config"])} for r in rows]


async def web_push_public_key(tenant_id: uuid.UUID) -> str | None:
    """The VAPID public key (base64url) of the command's enabled WEBPUSH gateway, or None."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT config->>'public_key' AS key FROM notification_gateways"
            " WHERE kind = 'WEBPUSH' AND enabled AND secret_enc IS NOT NULL"
        )
    return rows[0]["key"] if rows else None
