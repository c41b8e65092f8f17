"""The worker's side of a notification: lease, send outside any transaction, record.

Modelled on agency dispatches (:mod:`jogo.tenants.agencies.delivery`). The outbox
message ``deliver_notification {"notification_id", "attempt"}`` names the attempt
(1-based); a notification takes attempt ``n`` only while ``attempts = n - 1``, so a
duplicate or stale message does nothing. The lease (status SENDING, ``lease_until``)
is taken in a short tenant transaction, the gateway is called holding no lock or
connection, and the outcome is recorded in another. A failure counts the attempt and
schedules the next through the outbox with exponential backoff (status FAILED); after
:data:`MAX_ATTEMPTS`, or at once when the address is gone for good (a push
subscription the push service no longer knows), the notification is DEAD. Staff see
FAILED and DEAD ones and may retry a DEAD one (:func:`do_retry_notification`).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from jogo.platform import db, idempotency, outbox
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput, NotFound
from jogo.platform.registry import TenantInfo
from jogo.tenants.notifications.actions import DELIVER_ACTOR
from jogo.tenants.notifications.templates import render

MAX_ATTEMPTS = 8
# A sign-in code is worth nothing once it expires (5 minutes): few, quick attempts.
MAX_ATTEMPTS_BY_TEMPLATE = {"otp_code": 3}
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 300.0
SEND_TIMEOUT_SECONDS = 20.0  # one gateway call, connect to last byte
LEASE_MARGIN = timedelta(seconds=15)
BUSY_RETRY = timedelta(seconds=2)
STALLED_AFTER = timedelta(minutes=10)
# Parameters that are secrets (a sign-in code, an anonymous report's PIN): kept only
# until they are sent. A code is void within minutes, so a DEAD one drops it too; a
# PIN stays on a DEAD notification so that an operator's retry still carries it.
SECRET_PARAMS = ["code", "pin"]
DEAD_SECRET_PARAMS = ["code"]


def backoff(attempt: int) -> timedelta:
    """5 s, 10 s, 20 s ... capped at 5 minutes, with ±20 % jitter against herds."""
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_CAP_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


async def enqueue_attempt(
    tenant_id: uuid.UUID, notification_id: uuid.UUID, attempt: int, at: datetime | None = None
) -> None:
    """Write the outbox row for attempt ``attempt`` (1-based) of a notification, due at
    ``at`` (aware; None: at once), inside the tenant transaction that causes it."""
    await outbox.enqueue(
        DELIVER_ACTOR,
        {"notification_id": str(notification_id), "attempt": attempt},
        tenant_id,
        available_at=at,
    )


@dataclass(frozen=True)
class Job:
    """One leased notification: ``notification`` (id, channel, address, locale, template,
    params as a dict, attempts before this one, report_id), the enabled ``gateway`` of
    its channel (kind, config as a dict, secret_enc) or None, and the report's
    ``ticket`` (None without a report)."""

    notification: dict[str, Any]
    gateway: dict[str, Any] | None
    ticket: str | None

    @property
    def id(self) -> uuid.UUID:
        """The notification's id."""
        value: uuid.UUID = self.notification["id"]
        return value


@dataclass(frozen=True)
class Busy:
    """Another delivery holds the lease (or the row) until ``until``."""

    until: datetime


async def lease(notification_id: uuid.UUID, attempt: int) -> Job | Busy | None:
    """Inside a short tenant transaction: take the notification for attempt ``attempt``.
    None for a stale or duplicate message (or a SENT, DEAD or CANCELLED notification,
    or one it cancels now because the person it is about withdrew their consent to
    notifications), Busy while another delivery of it is under way."""
    rows = await db.fetch(
        "SELECT n.id, n.channel, n.address, n.locale, n.template, n.params, n.status,"
        " n.attempts, n.lease_until, n.report_id, g.kind AS gateway_kind,"
        " g.config AS gateway_config, g.secret_enc AS gateway_secret, r.ticket,"
        " EXISTS (SELECT 1 FROM consents k WHERE k.user_id = n.user_id"
        "  AND k.purpose = 'notifications' AND k.withdrawn_at IS NOT NULL) AS withdrawn"
        " FROM notifications n"
        " LEFT JOIN notification_gateways g ON g.tenant_id = n.tenant_id"
        "  AND g.kind = n.channel AND g.enabled"
        " LEFT JOIN reports r ON r.tenant_id = n.tenant_id AND r.id = n.report_id"
        " WHERE n.id = $1 FOR UPDATE OF n SKIP LOCKED",
        notification_id,
    )
    now = datetime.now(UTC)
    if not rows:
        exists = await db.fetch("SELECT 1 FROM notifications WHERE id = $1", notification_id)
        return Busy(now + BUSY_RETRY) if exists else None
    row = dict(rows[0])
    if row["attempts"] != attempt - 1:
        return None
    if row["status"] == "SENDING":
        if row["lease_until"] is not None and row["lease_until"] > now:
            return Busy(row["lease_until"])
    elif row["status"] not in ("PENDING", "FAILED"):
        return None
    if row["withdrawn"]:
        # The person withdrew their consent to notifications after this was queued.
        await db.fetch(
            "UPDATE notifications SET status = 'CANCELLED', lease_until = NULL,"
            " next_attempt_at = NULL, last_error = 'consent withdrawn' WHERE id = $1",
            notification_id,
        )
        return None
    until = now + timedelta(seconds=SEND_TIMEOUT_SECONDS) + LEASE_MARGIN
    await db.fetch(
        "UPDATE notifications SET status = 'SENDING', lease_until = $2 WHERE id = $1",
        notification_id,
        until,
    )
    gateway = None
    if row["gateway_kind"] is not None:
        gateway = {
            "kind": row["gateway_kind"],
            "config": json.loads(row["gateway_config"]),
            "secret_enc": row["gateway_secret"],
        }
    notification = {
        key: row[key]
        for key in ("id", "channel", "address", "locale", "template", "attempts", "report_id")
    }
    notification["params"] = json.loads(row["params"])
    return Job(notification, gateway, row["ticket"])


@dataclass(frozen=True)
class Message:
    """What is sent: ``title`` (the command's name), ``text`` (the rendered template),
    ``url`` (the no-JavaScript tracking page of the report, or the citizen app)."""

    title: str
    text: str
    url: str


def compose(job: Job, tenant: TenantInfo, public_url: str | None) -> Message:
    """The message of a leased notification, in its locale, with the two parameters the
    deliverer adds: ``command`` (the command's name) and ``url`` (``{public_url}/t/{slug}
    /lacak?ticket=…`` when it is about a report, else the citizen app; a path alone
    when this process knows no public address)."""
    base = f"{public_url or ''}/t/{tenant.slug}"
    url = f"{base}/lacak?ticket={quote(job.ticket)}" if job.ticket else f"{base}/"
    params = dict(job.notification["params"]) | {"command": tenant.name, "url": url}
    if job.ticket:
        params.setdefault("ticket", job.ticket)
    text = render(job.notification["template"], params, job.notification["locale"])
    return Message(title=tenant.name, text=text, url=url)


async def record_success(job: Job) -> None:
    """The gateway took it: SENT, the attempt counted, its secret parameters
    (:data:`SECRET_PARAMS`) dropped."""
    await db.fetch(
        "UPDATE notifications SET status = 'SENT', attempts = attempts + 1, sent_at = now(),"
        " lease_until = NULL, next_attempt_at = NULL, last_error = NULL,"
        " params = params - $3::text[]"
        " WHERE id = $1 AND attempts = $2 AND status = 'SENDING'",
        job.id,
        job.notification["attempts"],
        SECRET_PARAMS,
    )


async def record_failure(
    job: Job, error: str, tenant_id: uuid.UUID, *, permanent: bool = False
) -> str:
    """Count the failed attempt; schedule the next (FAILED) or give up (DEAD: the cap
    reached, :data:`MAX_ATTEMPTS` or less for some templates, or ``permanent``).
    A DEAD one drops a sign-in code (:data:`DEAD_SECRET_PARAMS`). Returns ``failed``,
    ``dead`` or ``stale`` (the row moved on meanwhile)."""
    rows = await db.fetch(
        "SELECT status, attempts FROM notifications WHERE id = $1 FOR UPDATE", job.id
    )
    if (
        not rows
        or rows[0]["attempts"] != job.notification["attempts"]
        or rows[0]["status"] != "SENDING"
    ):
        return "stale"
    attempts = rows[0]["attempts"] + 1
    cap = min(
        MAX_ATTEMPTS, MAX_ATTEMPTS_BY_TEMPLATE.get(job.notification["template"], MAX_ATTEMPTS)
    )
    dead = permanent or attempts >= cap
    next_at = None if dead else datetime.now(UTC) + backoff(attempts)
    await db.fetch(
        "UPDATE notifications SET attempts = $2, last_error = $3, next_attempt_at = $4,"
        " status = $5, lease_until = NULL, params = params - $6::text[] WHERE id = $1",
        job.id,
        attempts,
        error[:1000],
        next_at,
        "DEAD" if dead else "FAILED",
        DEAD_SECRET_PARAMS if dead else [],
    )
    if not dead:
        await enqueue_attempt(tenant_id, job.id, attempts + 1, next_at)
    return "dead" if dead else "failed"


async def forget_address(job: Job) -> int:
    """The address is gone for good (a push subscription the push service no longer
    knows): every live channel with it stops. Returns how many."""
    rows = await db.fetch(
        "UPDATE notification_channels SET removed_at = now()"
        " WHERE channel = $1 AND address = $2 AND removed_at IS NULL RETURNING 1",
        job.notification["channel"],
        job.notification["address"],
    )
    return len(rows)


async def do_retry_notification(
    tenant_id: uuid.UUID,
    principal: Principal,
    notification_id: uuid.UUID,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """A DEAD notification gets a fresh set of attempts (PENDING, attempts 0, the first
    due now). Needs ``REPORTS_TRIAGE``. Of parallel retries one wins; the others are
    ``INVALID_INPUT`` (no longer DEAD), or, under the same ``clientKey``, answer the
    same notification and change nothing. Errors: ``NOT_FOUND`` on ``id`` (unknown, or
    another command's), ``INVALID_INPUT`` on ``id`` (not DEAD)."""
    if Cap.REPORTS_TRIAGE not in principal.tenant_caps(tenant_id):
        raise denied(principal, "only operators (or a key with reports:write) can do this")
    async with db.tenant_tx(tenant_id):
        if (earlier := await idempotency.claim(tenant_id, retry, notification_id)) is not None:
            return earlier
        rows = await db.fetch(
            "UPDATE notifications SET status = 'PENDING', attempts = 0, next_attempt_at = now(),"
            " lease_until = NULL WHERE id = $1 AND status = 'DEAD' RETURNING id",
            notification_id,
        )
        if not rows:
            exists = await db.fetch(
                "SELECT status FROM notifications WHERE id = $1", notification_id
            )
            if not exists:
                raise NotFound("notification not found", field="id")
            raise InvalidInput(
                "Hanya notifikasi yang gagal total (DEAD) yang dapat diulang; yang ini"
                f" {exists[0]['status']}. / Only a DEAD notification can be retried, this one"
                f" is {exists[0]['status']}.",
                field="id",
            )
        await enqueue_attempt(tenant_id, notification_id, 1)
    return notification_id


async def do_requeue_stalled(tenant: TenantInfo) -> int:
    """Scheduled: notifications whose message was lost (a crash, the in-process broker
    restarting) go out again. Returns how many."""
    now = datetime.now(UTC)
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch(
            "SELECT n.id, n.attempts FROM notifications n"
            " WHERE ((n.status IN ('PENDING', 'FAILED')"
            "        AND coalesce(n.next_attempt_at, n.created_at) < $1)"
            "    OR (n.status = 'SENDING' AND n.lease_until < $2))"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.published_at IS NULL"
            "                 AND o.actor = $3 AND o.payload->>'notification_id' = n.id::text)",
            now - STALLED_AFTER,
            now - LEASE_MARGIN,
            DELIVER_ACTOR,
        )
        for r in rows:
            await enqueue_attempt(tenant.id, r["id"], r["attempts"] + 1)
    return len(rows)
