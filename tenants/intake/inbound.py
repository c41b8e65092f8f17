"""Inbound messages as the gateways send them: checked signatures, then one
:class:`Inbound` per message a citizen sent.

- **WhatsApp** (Cloud API webhooks): ``{"object": "whatsapp_business_account",
  "entry": [{"changes": [{"field": "messages", "value": {"metadata": {"phone_number_id"},
  "messages": [{"from", "id", "timestamp", "type", "text": {"body"} | "location":
  {"latitude", "longitude", "name", "address"} | "image": {"id", "caption"}}],
  "statuses": [...]}}]}]}``, signed ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
  the raw body under the app secret>``. ``statuses`` (delivery receipts of what we
  sent) are ignored; so is any message type other than text, location and image
  (it is recorded as ``OTHER`` and answered with the question of the moment).
- **SMS** (a generic HTTP gateway): ``{"from": "+62812…", "text": "…", "id": "…"}``,
  signed ``X-Jogo-Signature: sha256=<hex HMAC-SHA256 of the raw body under the SMS
  gateway's secret>`` (the bare hex is accepted too).

Nothing here touches the database; :class:`InvalidInput` for a body that is not the
expected JSON (the route answers 400).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from typing import Any

import msgspec

from jogo.platform.contacts import parse_phone
from jogo.platform.errors import InvalidInput

MAX_BODY = 64 * 1024  # bytes; a WhatsApp webhook is a few kB, an SMS far less
MAX_TEXT = 2000  # characters kept of one message's text
MAX_ID = 200  # characters of a gateway's message id


@dataclass(frozen=True)
class Inbound:
    """One message from a citizen. ``sender`` is E.164 (``+6281234567890``);
    ``kind`` is ``TEXT``, ``LOCATION``, ``IMAGE`` or ``OTHER``; ``text`` the message
    text (an image's caption, a location's name and address); ``latitude`` and
    ``longitude`` (degrees, WGS84) only for a shared location; ``media_id`` the
    WhatsApp media id of a photo; ``phone_number_id`` the business number it was sent
    to (WhatsApp only)."""

    channel: str
    message_id: str
    sender: str
    kind: str
    text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    media_id: str | None = None
    phone_number_id: str | None = None


def signed(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``sha256=<hex>``, or the bare hex) is the HMAC-SHA256 of the
    raw ``body`` under ``secret``, compared in constant time. False for a missing
    header or an empty secret."""
    if not header or not secret:
        return False
    given = header.strip()
    if given.lower().startswith("sha256="):
        given = given[7:]
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.lower())


def _json(body: bytes) -> Any:
    try:
        # msgspec decodes without recursing through Python frames (no RecursionError).
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        raise InvalidInput("the body must be JSON", field="body") from None


def _text(value: Any) -> str:
    # PostgreSQL text cannot hold NUL: a message with one is kept without it.
    return value.replace("\x00", "").strip()[:MAX_TEXT] if isinstance(value, str) else ""


def _id(value: Any) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= MAX_ID and "\x00" not in value:
        return value
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _whatsapp_message(message: dict[str, Any], phone_number_id: str | None) -> Inbound | None:
    message_id = _id(message.get("id"))
    raw_from = message.get("from")
    # WhatsApp gives the sender's number in international form without the "+".
    sender = parse_phone("+" + raw_from.lstrip("+")) if isinstance(raw_from, str) else None
    if message_id is None or sender is None:
        return None
    kind = message.get("type")
    common: dict[str, Any] = {
        "channel": "WHATSAPP",
        "message_id": message_id,
        "sender": sender,
        "phone_number_id": phone_number_id,
    }
    if kind == "text":
        body = message.get("text")
        text = _text(body.get("body")) if isinstance(body, dict) else ""
        return Inbound(kind="TEXT", text=text, **common)
    if kind == "location" and isinstance(message.get("location"), dict):
        place = message["location"]
        words = " ".join(p for p in (_text(place.get("name")), _text(place.get("address"))) if p)
        return Inbound(
            kind="LOCATION",
            text=words,
            latitude=_number(place.get("latitude")),
            longitude=_number(place.get("longitude")),
            **common,
        )
    if kind == "image" and isinstance(message.get("image"), dict):
        image = message["image"]
        return Inbound(
            kind="IMAGE", text=_text(image.get("caption")), media_id=_id(image.get("id")), **common
        )
    return Inbound(kind="OTHER", **common)


def parse_whatsapp(body: bytes) -> list[Inbound]:
    """The citizens' messages of one WhatsApp Cloud API webhook, in order. Statuses,
    other fields and messages without an id or a valid sender number are left out."""
    data = _json(body)
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", field="body")
    found: list[Inbound] = []
    for entry in _dicts(data.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            number_id = _id(metadata.get("phone_number_id")) if isinstance(metadata, dict) else None
            for message in _dicts(value.get("messages")):
                inbound = _whatsapp_message(message, number_id)
                if inbound is not None:
                    found.append(inbound)
    return found


def parse_sms(body: bytes) -> Inbound:
    """The one message of an SMS gateway's webhook ``{"from", "text", "id"}``;
    :class:`InvalidInput` naming the field that is missing or wrong."""
    data = _json(body)
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", field="body")
    message_id = _id(data.get("id"))
    if message_id is None:
        raise InvalidInput(f"id must be 1-{MAX_ID} characters", field="id")
    raw = data.get("from")
    sender = parse_phone(raw) if isinstance(raw, str) else None
    if sender is None:
        raise InvalidInput("from must be a valid phone number", field="from")
    if not isinstance(data.get("text"), str):
        raise InvalidInput("text must be a string", field="text")
    return Inbound(
        channel="SMS", message_id=message_id, sender=sender, kind="TEXT", text=_text(data["text"])
    )
