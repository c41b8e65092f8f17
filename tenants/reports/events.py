"""Timeline events: written with the change they record, announced on commit."""

from __future__ import annotations

import json
import uuid
from typing import Any

from jogo.platform import db, notify
from jogo.platform.auth.principal import Principal
from jogo.tenants.notifications import actions as notifications
from jogo.tenants.oversight import rollups
from jogo.tenants.webhooks import events as webhooks

TOPIC = "report_events"
# Events that change what a report adds to the national rollups.
COUNTED = frozenset({"SUBMITTED", "STATUS", "SLA_BREACH"})
# Who did it: a display name, and the user id when a user did.
Actor = tuple[str, uuid.UUID | None]
SYSTEM: Actor = ("sistem", None)
ANONYMOUS: Actor = ("pelapor anonim", None)


def actor_of(principal: Principal | None) -> Actor:
    """The timeline actor of a principal: ``("sistem", None)`` for none, ``("pelapor anonim",
    None)`` for an anonymous caller, else its name with the user id (None for an API key)."""
    if principal is None:
        return SYSTEM
    if principal.kind == "anonymous":
        return ANONYMOUS
    return principal.name, principal.id if principal.kind == "user" else None


async def record(
    tenant_id: uuid.UUID,
    report_id: uuid.UUID,
    kind: str,
    *,
    public: bool,
    actor: Actor,
    note: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict[str, Any] | None = None,
    event_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Insert one event inside the caller's tenant transaction and publish it; its id is
    ``event_id`` when the caller chose it (to claim a client key first). A public status
    change or note tells the reporter on the channels they chose (exactly once per event;
    not their own notes)."""
    event_id = event_id or uuid.uuid4()
    await db.fetch(
        "INSERT INTO report_events (tenant_id, id, report_id, kind, from_status, to_status,"
        " note, public, actor_id, actor_name, data)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)",
        tenant_id,
        event_id,
        report_id,
        kind,
        from_status,
        to_status,
        note,
        public,
        actor[1],
        actor[0],
        json.dumps(data or {}),
    )
    await announce(
        tenant_id,
        report_id,
        event_id,
        kind,
        public=public,
        actor=actor,
        note=note,
        to_status=to_status,
    )
    return event_id


async def announce(
    tenant_id: uuid.UUID,
    report_id: uuid.UUID,
    event_id: uuid.UUID,
    kind: str,
    *,
    public: bool,
    actor: Actor,
    note: str | None = None,
    to_status: str | None = None,
    webhook_types: tuple[str, ...] = (),
) -> None:
    """What :func:`record` does after its insert, for a caller that inserts the event row
    itself (report intake: in the report's own statement). Inside the caller's tenant
    transaction, before or after the insert: everything here takes effect on commit.
    Publishes the event (live feeds); a public event of a kind with a template tells the
    reporter (:func:`~jogo.tenants.notifications.actions.announce_report_event`, which
    reads the report: call it after the insert then); a :data:`COUNTED` kind has the
    national rollups look at the report again. Integrators' webhooks get it too
    (:func:`~jogo.tenants.webhooks.events.emit_report_event`; ``webhook_types``: more
    event types this event is, e.g. ``SOS_RAISED``)."""
    await notify.publish(TOPIC, tenant_id, event_id)
    await webhooks.emit_report_event(
        tenant_id, report_id, event_id, kind, public=public, also=webhook_types
    )
    if public and kind in notifications.EVENT_TEMPLATES:
        await notifications.announce_report_event(
            tenant_id,
            report_id,
            event_id,
            kind,
            actor_id=actor[1],
            by_reporter=actor == ANONYMOUS,
            to_status=to_status,
            note=note,
        )
    if kind in COUNTED:
        await rollups.announce(tenant_id, report_id)
