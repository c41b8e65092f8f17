"""The only writes of intake: one inbound message taken into its sender's conversation,
and a complete conversation made into a report.

Each message is one tenant transaction: its id is recorded first (a webhook delivered
again, even in parallel, finds it and changes nothing), the sender's open conversation
is locked (two messages of one sender take turns), what the message adds is stored and
the next question is queued with :func:`~jogo.tenants.notifications.actions.do_send`
on the same channel. A conversation idle past ``expires_at`` is closed as ``EXPIRED``
when its sender writes again, and never becomes a report; the new message starts a
fresh one.

A complete conversation (``SUBMITTING``) becomes an anonymous report through
:func:`~jogo.tenants.reports.intake.do_submit_report` under a client key of its own
(``intake-<conversation id>``), so finishing it twice (a parallel duplicate, or the
next message after a crash half-way) makes one report with one ticket and one PIN. The
report's transaction registers the sender as the report's notification channel (later
public status changes go back there); then the conversation is closed ``DONE`` and
``report_received`` (ticket and PIN) is queued, exactly once (its event id is derived
from the conversation).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jogo.platform import db
from jogo.platform.auth.principal import ANONYMOUS
from jogo.platform.errors import Conflict, JogoError
from jogo.platform.ratelimit import Limit, RateLimited
from jogo.platform.registry import TenantInfo
from jogo.platform.storage import FileStore
from jogo.tenants.intake import flow, queries
from jogo.tenants.intake.inbound import Inbound
from jogo.tenants.notifications import actions as notifications
from jogo.tenants.reports.intake import do_submit_report
from jogo.tenants.reports.limits import per_tenant
from jogo.tenants.reports.validation import ReportInput

log = logging.getLogger("jogo.intake")

IDLE = timedelta(minutes=30)  # a conversation expires this long after its last message
# Answers per sender: a number (or another bot) that keeps writing is not answered on
# every message; each answer is a paid WhatsApp or SMS message.
ANSWERS_BY_SENDER = Limit("intake-answers", 30, 10 * 60)
# Namespace of the event id of a conversation's report_received (exactly once).
RECEIVED_EVENTS = uuid.UUID("6d1b0f4e-4f7c-4a57-9a55-2f0a3c1e7b11")
CLOSED = {"CANCELLED", "REFUSED", "DONE", "EXPIRED"}


@dataclass(frozen=True)
class _Taken:
    """What one message did: ``status`` is ``duplicate``, ``asked``, ``cancelled``,
    ``submitting`` (complete: make the report) or ``resume`` (the sender has a complete
    conversation to finish first; this message was not taken yet)."""

    status: str
    conversation: dict[str, Any] | None = None


class _Again(Exception):
    """Roll back and take the message again (its sender's conversation moved on)."""


async def _open(tenant_id: uuid.UUID, channel: str, sender: str) -> dict[str, Any] | None:
    rows = await db.fetch(
        "SELECT * FROM intake_conversations WHERE tenant_id = $1 AND channel = $2"
        " AND sender = $3 AND closed_at IS NULL FOR UPDATE",
        tenant_id,
        channel,
        sender,
    )
    return dict(rows[0]) if rows else None


async def _start(tenant_id: uuid.UUID, inbound: Inbound, now: datetime) -> dict[str, Any]:
    """A new conversation; another message of the same sender may be starting one at
    the same moment (the open-conversation index): then this one is taken again."""
    rows = await db.fetch(
        "INSERT INTO intake_conversations (tenant_id, channel, sender, expires_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, channel, sender)"
        " WHERE closed_at IS NULL DO NOTHING RETURNING *",
        tenant_id,
        inbound.channel,
        inbound.sender,
        now + IDLE,
    )
    if not rows:
        raise _Again
    return dict(rows[0])


async def _answer(
    tenant_id: uuid.UUID, conversation: dict[str, Any], reply: flow.Reply | None
) -> None:
    if reply is None:
        return
    try:
        await ANSWERS_BY_SENDER.hit(
            per_tenant(tenant_id, f"{conversation['channel']}:{conversation['sender']}")
        )
    except RateLimited:
        return
    await notifications.do_send(
        tenant_id,
        channel=conversation["channel"],
        address=conversation["sender"],
        template=reply.template,
        params=reply.params,
        locale=conversation["locale"],
    )


async def _save(
    tenant_id: uuid.UUID, conversation_id: uuid.UUID, state: flow.State, now: datetime
) -> dict[str, Any]:
    closed = now if state.step in CLOSED else None
    rows = await db.fetch(
        "UPDATE intake_conversations SET step = $3, description = $4, title = $5,"
        " category_code = $6, latitude = $7, longitude = $8, address = $9, media_ids = $10,"
        " updated_at = $11, expires_at = $12, closed_at = $13"
        " WHERE tenant_id = $1 AND id = $2 RETURNING *",
        tenant_id,
        conversation_id,
        state.step,
        state.description,
        state.title,
        state.category_code,
        state.latitude,
        state.longitude,
        state.address,
        list(state.media_ids),
        now,
        now + IDLE,
        closed,
    )
    return dict(rows[0])


async def _take(tenant: TenantInfo, inbound: Inbound) -> _Taken:
    """One transaction: the message recorded (or found again), applied to its sender's
    conversation, and the next question queued."""
    async with db.tenant_tx(tenant.id):
        conversation = await _open(tenant.id, inbound.channel, inbound.sender)
        if conversation is not None and conversation["step"] == "SUBMITTING":
            return _Taken("resume", conversation)
        fresh = await db.fetch(
            "INSERT INTO intake_messages (tenant_id, channel, message_id, kind)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
            tenant.id,
            inbound.channel,
            inbound.message_id,
            inbound.kind,
        )
        if not fresh:
            return _Taken("duplicate")
        now = datetime.now(UTC)
        if conversation is not None and conversation["expires_at"] <= now:
            # Idle too long: it ends here without a report; this message starts anew.
            await db.fetch(
                "UPDATE intake_conversations SET step = 'EXPIRED', closed_at = $3,"
                " updated_at = $3 WHERE tenant_id = $1 AND id = $2",
                tenant.id,
                conversation["id"],
                now,
            )
            conversation = None
        if conversation is None:
            conversation = await _start(tenant.id, inbound, now)
        await db.fetch(
            "UPDATE intake_messages SET conversation_id = $4"
            " WHERE tenant_id = $1 AND channel = $2 AND message_id = $3",
            tenant.id,
            inbound.channel,
            inbound.message_id,
            conversation["id"],
        )
        state = flow.State.of(conversation)
        wants_place = state.step == "PLACE" and inbound.kind == "TEXT"
        centre = await queries.command_centre(tenant.id) if wants_place else None
        message = flow.Message(
            channel=inbound.channel,
            kind=inbound.kind,
            text=inbound.text,
            latitude=inbound.latitude,
            longitude=inbound.longitude,
            media_id=inbound.media_id,
        )
        new, reply = flow.apply(state, message, await queries.categories(), centre)
        conversation = await _save(tenant.id, conversation["id"], new, now)
        await _answer(tenant.id, conversation, reply)
    if new.step == "SUBMITTING":
        return _Taken("submitting", conversation)
    return _Taken("cancelled" if new.step == "CANCELLED" else "asked", conversation)


async def _close(
    tenant: TenantInfo, conversation: dict[str, Any], step: str, reply: flow.Reply
) -> None:
    async with db.tenant_tx(tenant.id):
        closed = await db.fetch(
            "UPDATE intake_conversations SET step = $3, closed_at = now(), updated_at = now()"
            " WHERE tenant_id = $1 AND id = $2 AND step = 'SUBMITTING' RETURNING *",
            tenant.id,
            conversation["id"],
            step,
        )
        if closed:
            await _answer(tenant.id, dict(closed[0]), reply)


def _report_input(conversation: dict[str, Any]) -> ReportInput:
    sender: str = conversation["sender"]
    return ReportInput(
        category_code=conversation["category_code"],
        title=conversation["title"],
        description=conversation["description"],
        latitude=conversation["latitude"],
        longitude=conversation["longitude"],
        address=conversation["address"],
        anonymous=True,
        # A report's phone must be Indonesian; a foreign WhatsApp sender is still
        # answered on the channel, but the report names no phone.
        reporter_phone=sender if sender.startswith("+62") else None,
    )


async def _finish(
    tenant: TenantInfo, conversation: dict[str, Any], store: FileStore, secret_key: str
) -> str:
    """Make the report of a complete conversation, then close it ``DONE`` and queue
    ``report_received``. ``reported``, ``limited`` or ``failed``."""
    channel, sender = conversation["channel"], conversation["sender"]

    async def link(report_id: uuid.UUID) -> None:
        # In the report's transaction: the report exists only with its channel.
        await db.fetch(
            "UPDATE intake_conversations SET report_id = $3 WHERE tenant_id = $1 AND id = $2",
            tenant.id,
            conversation["id"],
            report_id,
        )
        await notifications.do_add_channel(
            tenant.id,
            channel=channel,
            address=sender,
            locale=conversation["locale"],
            report_id=report_id,
        )

    try:
        done = await do_submit_report(
            tenant,
            ANONYMOUS,
            _report_input(conversation),
            store,
            link,
            client=f"{channel}:{sender}",
            client_key=f"intake-{conversation['id'].hex}",
            secret_key=secret_key,
            channel=channel,
        )
    except RateLimited:
        await _close(tenant, conversation, "REFUSED", flow.Reply("intake_limited"))
        return "limited"
    except JogoError as exc:  # a category withdrawn meanwhile, and the like
        log.warning("intake conversation %s not reported: %s", conversation["id"], exc.message)
        await _close(tenant, conversation, "REFUSED", flow.Reply("intake_failed"))
        return "failed"
    async with db.tenant_tx(tenant.id):
        closed = await db.fetch(
            "UPDATE intake_conversations SET step = 'DONE', report_id = $3, closed_at = now(),"
            " updated_at = now() WHERE tenant_id = $1 AND id = $2 AND step = 'SUBMITTING'"
            " RETURNING id",
            tenant.id,
            conversation["id"],
            done.report_id,
        )
        if closed:
            await notifications.do_send(
                tenant.id,
                channel=channel,
                address=sender,
                template="report_received",
                params={"ticket": done.ticket, "pin": done.pin},
                locale=conversation["locale"],
                report_id=done.report_id,
                event_id=uuid.uuid5(RECEIVED_EVENTS, str(conversation["id"])),
            )
    return "reported"


async def do_receive_message(
    tenant: TenantInfo, inbound: Inbound, store: FileStore, secret_key: str
) -> str:
    """Take one citizen's message (already checked: its webhook's signature was good)
    into their conversation, and make the report when it is complete. ``store`` keeps
    report photos; ``secret_key`` is ``JOGO_SECRET_KEY`` (it derives the PIN of a
    report finished twice). Returns ``duplicate`` (this message id was taken before:
    nothing changed), ``asked`` (the next question was queued), ``cancelled``,
    ``reported``, ``limited`` (the sender's report limit: the conversation ends
    ``REFUSED``) or ``failed``. Database errors propagate, and :class:`Conflict` when
    the sender's conversation kept changing under it (the gateway delivers it again)."""
    for _ in range(5):
        try:
            taken = await _take(tenant, inbound)
        except _Again:
            continue
        if taken.status == "resume":
            # Finish the sender's complete conversation first, then take this message.
            assert taken.conversation is not None
            await _finish(tenant, taken.conversation, store, secret_key)
            continue
        if taken.status != "submitting":
            return taken.status
        assert taken.conversation is not None
        return await _finish(tenant, taken.conversation, store, secret_key)
    # Its sender's conversation kept moving under it: the gateway delivers it again.
    raise Conflict("the sender's conversation is busy; deliver the message again")
