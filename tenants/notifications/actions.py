"""The only writes of notifications: a person's channels, and one message to one address.

Everything here runs inside the caller's tenant transaction (``db.tenant_tx``): a
notification row and its outbox row commit with the change that causes them, and the
``deliver_notification`` actor (``jogo.workers``) sends it later, with retries and dead
letters like an agency dispatch.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit

from jogo.platform import db, outbox
from jogo.platform.contacts import normalise_email, normalise_phone
from jogo.platform.errors import InvalidInput
from jogo.tenants.notifications.tables import CHANNELS, LOCALES
from jogo.tenants.notifications.templates import TEMPLATES

DELIVER_ACTOR = "deliver_notification"
MAX_PUSH_CHARS = 4000
WEBPUSH_MESSAGE = (
    "Langganan Web Push tidak sah: perlu endpoint https dan kunci p256dh serta auth. / "
    "Not a valid Web Push subscription: it needs an https endpoint and p256dh and auth keys."
)


def check_channel(channel: str) -> str:
    """``channel`` when it is one of :data:`CHANNELS`; :class:`InvalidInput` on ``channel``."""
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    return channel


def check_locale(locale: str | None) -> str:
    """``id`` (the default, for None) or ``en``; :class:`InvalidInput` on ``locale``."""
    if locale is None:
        return "id"
    if locale not in LOCALES:
        raise InvalidInput("locale must be 'id' or 'en'", field="locale")
    return locale


def normalise_address(channel: str, address: str) -> str:
    """The stored form of ``address`` on ``channel``: E.164 for ``SMS`` and ``WHATSAPP``
    (national numbers read as Indonesian), the normalised address for ``EMAIL``, and for
    ``WEBPUSH`` the browser's ``PushSubscription`` as compact JSON ``{"endpoint", "keys":
    {"p256dh", "auth"}}`` (https only; whether the endpoint may be reached is checked by
    the egress rule when it is sent). :class:`InvalidInput` on ``address``."""
    check_channel(channel)
    if channel in ("SMS", "WHATSAPP"):
        return normalise_phone(address, "address")
    if channel == "EMAIL":
        return normalise_email(address, "address")
    return _push_subscription(address)


def _push_subscription(raw: str) -> str:
    if not isinstance(raw, str) or len(raw) > MAX_PUSH_CHARS:
        raise InvalidInput(WEBPUSH_MESSAGE, field="address")
    try:
        # RecursionError: "[[[[…" nested past the parser's depth (a JSON bomb).
        value = json.loads(raw)
        endpoint, keys = value["endpoint"], value["keys"]
        p256dh, auth = keys["p256dh"], keys["auth"]
        # ValueError: "https://[::1/" (a broken IPv6 host) or a port past 65535.
        parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
        port_ok = parts is not None and (parts.port is None or parts.port > 0)
    except (ValueError, TypeError, KeyError, RecursionError):
        raise InvalidInput(WEBPUSH_MESSAGE, field="address") from None
    if (
        parts is None
        or parts.scheme != "https"
        or not parts.hostname
        or not port_ok
        or not all(isinstance(k, str) and 8 <= len(k) <= 200 for k in (p256dh, auth))
    ):
        raise InvalidInput(WEBPUSH_MESSAGE, field="address")
    return json.dumps(
        {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}, separators=(",", ":")
    )


async def do_add_channel(
    tenant_id: uuid.UUID,
    *,
    channel: str,
    address: str,
    locale: str | None = "id",
    user_id: uuid.UUID | None = None,
    report_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Add (or keep) a channel for a signed-in citizen (``user_id``) or for one report's
    anonymous reporter (``report_id``): exactly one of the two. The same address again is
    the same channel (its locale updated). Returns the channel's id. Errors:
    :class:`InvalidInput` on ``channel``, ``address`` or ``locale``."""
    if (user_id is None) == (report_id is None):
        raise ValueError("a channel belongs to a user or to a report")
    channel = check_channel(channel)
    stored = normalise_address(channel, address)
    locale = check_locale(locale)
    owner = "user_id" if user_id is not None else "report_id"
    rows = await db.fetch(
        f"INSERT INTO notification_channels (tenant_id, {owner}, channel, address, locale)"
        " VALUES ($1, $2, $3, $4, $5)"
        f" ON CONFLICT (tenant_id, {owner}, channel, address)"
        f" WHERE {owner} IS NOT NULL AND removed_at IS NULL"
        " DO UPDATE SET locale = EXCLUDED.locale RETURNING id",
        tenant_id,
        user_id if user_id is not None else report_id,
        channel,
        stored,
        locale,
    )
    channel_id: uuid.UUID = rows[0]["id"]
    return channel_id


async def do_send(
    tenant_id: uuid.UUID,
    *,
    channel: str,
    address: str,
    template: str,
    params: dict[str, Any],
    locale: str = "id",
    report_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """Queue one message: a ``notifications`` row (PENDING) and the outbox row for
    :data:`DELIVER_ACTOR` (``{"notification_id", "attempt": 1}``). ``address`` is already
    normalised (:func:`normalise_address`); ``template`` names one of
    :data:`~jogo.tenants.notifications.templates.TEMPLATES` (``KeyError`` otherwise).
    Returns the notification's id, or None when this ``event_id`` was already sent to
    this address (exactly once per event). ``user_id``: the person it is about (a
    report's signed-in reporter), whose withdrawn consent to notifications cancels it
    before it is sent."""
    if template not in TEMPLATES:
        raise KeyError(template)
    rows = await db.fetch(
        "INSERT INTO notifications (tenant_id, report_id, event_id, channel, address, locale,"
        " template, params, user_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)"
        " ON CONFLICT (tenant_id, event_id, channel, address) WHERE event_id IS NOT NULL"
        " DO NOTHING RETURNING id",
        tenant_id,
        report_id,
        event_id,
        check_channel(channel),
        address,
        check_locale(locale),
        template,
        json.dumps(params, default=str),
        user_id,
    )
    if not rows:
        return None
    notification_id: uuid.UUID = rows[0]["id"]
    await outbox.enqueue(
        DELIVER_ACTOR, {"notification_id": str(notification_id), "attempt": 1}, tenant_id
    )
    return notification_id


# What a public timeline event tells the reporter: event kind -> template.
EVENT_TEMPLATES = {
    "STATUS": "report_status",
    "NOTE": "report_note",
    "TRANSFER": "report_transferred",
}


async def announce_report_event(
    tenant_id: uuid.UUID,
    report_id: uuid.UUID,
    event_id: uuid.UUID,
    kind: str,
    *,
    actor_id: uuid.UUID | None,
    by_reporter: bool,
    to_status: str | None,
    note: str | None,
) -> int:
    """Tell a report's reporter about one public event of its timeline (a status change,
    or a public note or reply by the officers) on every channel they chose: their own
    channels when they were signed in, and the channel they left on this report. The
    reporter's own notes are not sent back to them, and nothing is sent about a reporter
    who withdrew their consent to notifications (UU PDP art. 9). Returns how many were
    queued (0 for other kinds). One statement finds the channels; each send is exactly
    once per event."""
    template = EVENT_TEMPLATES.get(kind)
    if template is None or by_reporter:
        return 0
    rows = await db.fetch(
        "SELECT r.ticket, r.reporter_user_id, c.channel, c.address, c.locale"
        " FROM reports r JOIN notification_channels c ON c.tenant_id = r.tenant_id"
        " AND c.removed_at IS NULL"
        " AND (c.report_id = r.id OR (r.reporter_user_id IS NOT NULL"
        " AND c.user_id = r.reporter_user_id))"
        " WHERE r.tenant_id = $1 AND r.id = $2"
        # A restriction of processing the reporter asked for (tenants/privacy/) stops it,
        # and so does a withdrawn consent to notifications (tenants/consent/).
        " AND NOT EXISTS (SELECT 1 FROM processing_restrictions p WHERE p.tenant_id ="
        " r.tenant_id AND p.user_id = r.reporter_user_id AND p.purpose = 'NOTIFICATIONS')"
        " AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.tenant_id = r.tenant_id"
        " AND k.user_id = r.reporter_user_id AND k.purpose = 'notifications'"
        " AND k.withdrawn_at IS NOT NULL)",
        tenant_id,
        report_id,
    )
    sent = 0
    for row in rows:
        if actor_id is not None and actor_id == row["reporter_user_id"]:
            return 0  # the reporter's own change
        # ``command`` and ``url`` (the no-JavaScript tracking page) are added when the
        # message is written out, from the tenant and JOGO_PUBLIC_URL.
        params = {"ticket": row["ticket"], "status": to_status, "note": note or ""}
        queued = await do_send(
            tenant_id,
            channel=row["channel"],
            address=row["address"],
            template=template,
            params=params,
            locale=row["locale"],
            report_id=report_id,
            event_id=event_id,
            user_id=row["reporter_user_id"],
        )
        sent += queued is not None
    return sent


async def gateway_ready(tenant_id: uuid.UUID, channel: str) -> bool:
    """Whether the command has an enabled gateway for ``channel`` (in its transaction)."""
    rows = await db.fetch(
        "SELECT 1 FROM notification_gateways WHERE tenant_id = $1 AND kind = $2 AND enabled",
        tenant_id,
        check_channel(channel),
    )
    return bool(rows)
