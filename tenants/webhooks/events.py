"""The webhook emitter: one delivery row (and its outbox row) per subscriber of an event,
written inside the transaction of the change that is the event, so an event is delivered
if and only if the change commits.

Event types (GraphQL enum value → the payload's ``type``):

=======================  ==========================  ======================================
REPORT_SUBMITTED         ``report.submitted``        a report was made (any channel), or
                                                     transferred in (a TRANSFER event)
REPORT_STATUS_CHANGED    ``report.status_changed``   verified, dispatched, resolved, ...
REPORT_NOTE_PUBLIC       ``report.note_public``      a note the reporter can read
DISPATCH_OUTCOME         ``dispatch.outcome``        an agency answered a dispatch
BULLETIN_PUBLISHED       ``bulletin.published``      a bulletin went public
BULLETIN_CANCELLED       ``bulletin.cancelled``      a public bulletin was cancelled (CAP)
SOS_RAISED               ``sos.raised``              the panic button
SHARED_POST_APPROVED     ``shared_post.approved``    a citizen's post was approved
ELECTION_INCIDENT        ``election.incident``       a report at a polling station (TPS)
=======================  ==========================  ======================================
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from jogo.platform import db, outbox

DELIVER_ACTOR = "deliver_webhook"
MAX_ATTEMPTS = 8  # 2 s doubling, capped at 5 min: about 10 minutes of trying
EVENT_TYPES: dict[str, str] = {
    "REPORT_SUBMITTED": "report.submitted",
    "REPORT_STATUS_CHANGED": "report.status_changed",
    "REPORT_NOTE_PUBLIC": "report.note_public",
    "DISPATCH_OUTCOME": "dispatch.outcome",
    "BULLETIN_PUBLISHED": "bulletin.published",
    "BULLETIN_CANCELLED": "bulletin.cancelled",
    "SOS_RAISED": "sos.raised",
    "SHARED_POST_APPROVED": "shared_post.approved",
    "ELECTION_INCIDENT": "election.incident",
}
# Event types about a report: their payloads carry the report, so subscribing to them
# needs the right to read the command's reports.
REPORT_TYPES = frozenset(
    {
        "REPORT_SUBMITTED",
        "REPORT_STATUS_CHANGED",
        "REPORT_NOTE_PUBLIC",
        "DISPATCH_OUTCOME",
        "SOS_RAISED",
        "ELECTION_INCIDENT",
    }
)
# Report timeline kinds (tenants/reports/events.py) and the webhook event they are.
REPORT_EVENT_KINDS = {"SUBMITTED": "REPORT_SUBMITTED", "STATUS": "REPORT_STATUS_CHANGED"}

_EMIT = (
    "WITH added AS (INSERT INTO webhook_deliveries"
    " (tenant_id, subscription_id, event_type, event_id, report_id, about, max_attempts)"
    " SELECT s.tenant_id, s.id, t.type, $2, $3, $4::jsonb, $5"
    " FROM webhook_subscriptions s CROSS JOIN unnest($1::text[]) AS t(type)"
    " WHERE s.enabled AND t.type = ANY(s.event_types)"
    # Locked as the foreign key would lock them, but here a subscription deleted by a
    # transaction that commits meanwhile is passed over (the key's own check would fail
    # the caller's whole change: a citizen's report, an agency's answer).
    " FOR KEY SHARE OF s"
    " ON CONFLICT DO NOTHING RETURNING id)"
    " SELECT id FROM added"
)


async def emit(
    tenant_id: uuid.UUID,
    event_types: list[str] | tuple[str, ...],
    event_id: uuid.UUID,
    *,
    report_id: uuid.UUID | None = None,
    ref: dict[str, Any] | None = None,
) -> int:
    """Inside the caller's tenant transaction: a delivery for each enabled subscription of
    the tenant to each of ``event_types`` (keys of :data:`EVENT_TYPES`), about
    ``event_id`` (the report event's id, or a fresh one), and its first attempt in the
    outbox. ``report_id``: the report the event is about, if any; ``ref``: what the
    payload is made from (JSON: ids as text). One statement when nobody subscribes, two
    however many do; returns how many deliveries were made. An event already emitted
    (same id and type) is not emitted twice."""
    rows = await db.fetch(
        _EMIT,
        list(event_types),
        event_id,
        report_id,
        json.dumps(ref or {}, default=str),
        MAX_ATTEMPTS,
    )
    await enqueue_attempts(tenant_id, [(row["id"], 0) for row in rows])
    return len(rows)


async def enqueue_attempt(
    tenant_id: uuid.UUID, delivery_id: uuid.UUID, attempt: int, at: Any = None
) -> None:
    """The outbox row for the attempt of a delivery made when its ``attempts`` is ``attempt``,
    due at ``at`` (aware datetime; None: now). Inside the tenant transaction that causes it."""
    await outbox.enqueue(
        DELIVER_ACTOR,
        {"delivery_id": str(delivery_id), "attempt": attempt},
        tenant_id,
        available_at=at,
    )


async def enqueue_attempts(
    tenant_id: uuid.UUID, attempts: list[tuple[uuid.UUID, int]], at: Any = None
) -> None:
    """:func:`enqueue_attempt` for several ``(delivery id, attempt)`` at once: one
    statement, none for an empty list."""
    await outbox.enqueue_many(
        DELIVER_ACTOR,
        [{"delivery_id": str(d), "attempt": a} for d, a in attempts],
        tenant_id,
        available_at=at,
    )


async def emit_report_event(
    tenant_id: uuid.UUID,
    report_id: uuid.UUID,
    event_id: uuid.UUID,
    kind: str,
    *,
    public: bool,
    also: tuple[str, ...] = (),
) -> None:
    """The webhook side of a report timeline event (``kind`` as in ``report_events``): a
    SUBMITTED or STATUS event, and a public NOTE; ``also``: more event types the same event
    is (``SOS_RAISED``, ``ELECTION_INCIDENT``, known to intake before the report's insert).
    The payload is made from the report and the event row on the first attempt."""
    types = list(also)
    if kind in REPORT_EVENT_KINDS:
        types.append(REPORT_EVENT_KINDS[kind])
    elif kind == "NOTE" and public:
        types.append("REPORT_NOTE_PUBLIC")
    if types:
        await emit(
            tenant_id,
            types,
            event_id,
            report_id=report_id,
            ref={"report_event_id": str(event_id)},
        )
