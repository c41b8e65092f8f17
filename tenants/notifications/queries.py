"""Staff reads of notifications: one report's, and the failed and dead ones to act on.
Addresses are shown masked (:func:`mask_address`): enough to tell two apart, not to
contact the person."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jogo.platform import db
from jogo.platform.errors import InvalidInput

MAX_PAGE = 100
COLUMNS = (
    "n.id, n.report_id, n.channel, n.address, n.locale, n.template, n.status, n.attempts,"
    " n.last_error, n.next_attempt_at, n.created_at, n.sent_at"
)


def mask_address(channel: str, address: str) -> str:
    """A phone as ``+62812****7890``, an e-mail as ``w***@example.id``, a push
    subscription as ``push:<the push service's host>``."""
    if channel == "WEBPUSH":
        try:
            endpoint = json.loads(address)["endpoint"]
            return f"push:{urlsplit(endpoint).hostname or '?'}"
        except (ValueError, TypeError, KeyError):
            return "push:?"
    if channel == "EMAIL":
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(address) <= 8:
        return address[:3] + "****"
    return f"{address[:6]}{'*' * (len(address) - 10)}{address[-4:]}"


async def notifications_for_report(
    tenant_id: uuid.UUID, report_id: uuid.UUID
) -> list[dict[str, Any]]:
    """A report's notifications, oldest first (:data:`COLUMNS`); empty for an unknown
    report or another command's."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT {COLUMNS} FROM notifications n WHERE n.report_id = $1"
            " ORDER BY n.created_at, n.id",
            report_id,
        )
    return [dict(r) for r in rows]


async def notifications_by_id(
    tenant_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Notifications by id (:data:`COLUMNS`); ids not found (or another command's) absent."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT {COLUMNS} FROM notifications n WHERE n.id = ANY($1::uuid[])", ids
        )
    return {r["id"]: dict(r) for r in rows}


def cursor_of(row: dict[str, Any]) -> str:
    """The opaque cursor of a notification in newest-first order."""
    raw = json.dumps([row["created_at"].isoformat(), str(row["id"])])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        if len(cursor) > 200:
            raise ValueError(cursor)
        at, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), uuid.UUID(ident)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidInput("the cursor is not one this API gave out", field="after") from None


async def failed_notifications(
    tenant_id: uuid.UUID, *, first: int = 50, after: str | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """FAILED (retrying) and DEAD notifications, newest first, with the report's ticket
    (``ticket``); at most ``first`` (1-100) after ``after``. Returns (rows, has_next).
    ``INVALID_INPUT`` on ``first`` or ``after``."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    args: list[Any] = []
    where = "n.status IN ('FAILED', 'DEAD')"
    if after:
        at, ident = _decode(after)
        args += [at, ident]
        where += " AND (n.created_at, n.id) < ($1, $2)"
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT {COLUMNS}, r.ticket FROM notifications n"
            " LEFT JOIN reports r ON r.tenant_id = n.tenant_id AND r.id = n.report_id"
            f" WHERE {where} ORDER BY n.created_at DESC, n.id DESC LIMIT {first + 1}",
            *args,
        )
    found = [dict(r) for r in rows]
    return found[:first], len(found) > first
