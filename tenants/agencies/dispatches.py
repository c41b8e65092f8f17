"""Dispatches: a report sent to an agency, delivered by the workers through the outbox.

``do_dispatch_report`` and ``do_verify_report`` (verification plus auto-dispatch by the
routing rules) write the dispatch row and its outbox row in the report's transaction.
The delivery actor claims a dispatch with ``FOR UPDATE SKIP LOCKED``, and records the
outcome; a failure schedules the next attempt as a delayed outbox row, with exponential
backoff, until the cap makes the dispatch DEAD. Agencies answer through signed
callbacks, or (manual connector) a liaison updates the dispatch through the API.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jogo.platform import db, outbox
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Cap
from jogo.platform.crypto import decrypt
from jogo.platform.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from jogo.platform.registry import TenantInfo
from jogo.tenants.reports import actions as report_actions
from jogo.tenants.reports import events, sla
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.events import Actor
from jogo.tenants.reports.lifecycle import Status

DELIVER_ACTOR = "deliver_dispatch"
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0
AGENCY_STATUSES = {"accepted": "ACCEPTED", "in_progress": "IN_PROGRESS", "resolved": "RESOLVED"}
CALLBACK_MESSAGES = {
    "ACCEPTED": "Laporan diterima oleh {agency}",
    "IN_PROGRESS": "Sedang ditangani oleh {agency}",
    "RESOLVED": "Selesai ditangani oleh {agency}",
}


def backoff(attempt: int) -> timedelta:
    """2 s, 4 s, 8 s ... capped at 5 minutes, with ±20 % jitter against herds."""
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_CAP_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


async def _active_agency(agency_id: uuid.UUID) -> dict[str, Any]:
    rows = await db.fetch("SELECT * FROM agencies WHERE id = $1 AND is_active", agency_id)
    if not rows:
        raise NotFound("agency not found", field="agencyId")
    return dict(rows[0])


async def create_dispatch(
    tenant: TenantInfo, report_id: uuid.UUID, agency: dict[str, Any], created_by: str
) -> uuid.UUID:
    """Inside the report's transaction: the dispatch row and, unless manual, its message."""
    dispatch_id = uuid.uuid4()
    manual = agency["connector"] == "manual"
    await db.fetch(
        "INSERT INTO dispatches (tenant_id, id, report_id, agency_id, status, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        tenant.id,
        dispatch_id,
        report_id,
        agency["id"],
        "AWAITING_LIAISON" if manual else "PENDING",
        created_by,
    )
    if not manual:
        await outbox.enqueue(
            DELIVER_ACTOR, {"dispatch_id": str(dispatch_id), "attempt": 0}, tenant.id
        )
    return dispatch_id


async def do_dispatch_report(
    tenant: TenantInfo,
    viewer: Viewer,
    report_id: uuid.UUID,
    agency_id: uuid.UUID,
    note: str | None = None,
) -> uuid.UUID:
    if not viewer.triage:
        raise Forbidden("only operators can do this")
    actor = events.actor_of(viewer.principal)
    async with db.tenant_tx(tenant.id):
        report = await report_actions.lock_report(viewer, report_id)
        agency = await _active_agency(agency_id)
        await report_actions.dispatch_locked(tenant, actor, report, agency, note)
        await create_dispatch(tenant, report_id, agency, actor[0])
    return report_id


async def do_verify_report(
    tenant: TenantInfo, viewer: Viewer, report_id: uuid.UUID, note: str | None = None
) -> uuid.UUID:
    """Verify; then every routing rule of the category with auto-dispatch sends it on."""
    actor = events.actor_of(viewer.principal)
    async with db.tenant_tx(tenant.id):
        report = await report_actions.lock_report(viewer, report_id)
        await report_actions.verify_locked(tenant, viewer, report, note)
        rules = await db.fetch(
            "SELECT a.* FROM routing_rules r JOIN agencies a"
            " ON a.tenant_id = r.tenant_id AND a.id = r.agency_id"
            " WHERE r.category_id = $1 AND r.auto_dispatch AND a.is_active ORDER BY a.name",
            report["category_id"],
        )
        for agency in rules:
            await report_actions.dispatch_locked(tenant, actor, report, dict(agency))
            await create_dispatch(tenant, report_id, dict(agency), actor[0])
    return report_id


async def do_retry_dispatch(
    tenant: TenantInfo, viewer: Viewer, dispatch_id: uuid.UUID
) -> uuid.UUID:
    """A DEAD dispatch gets a fresh set of attempts, under the same Idempotency-Key."""
    if not viewer.triage:
        raise Forbidden("only operators can do this")
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch(
            "UPDATE dispatches SET status = 'PENDING', attempts = 0, next_attempt_at = now(),"
            " updated_at = now() WHERE id = $1 AND status = 'DEAD' RETURNING report_id",
            dispatch_id,
        )
        if not rows:
            exists = await db.fetch("SELECT status FROM dispatches WHERE id = $1", dispatch_id)
            if not exists:
                raise NotFound("dispatch not found", field="dispatchId")
            raise InvalidInput(
                f"only a DEAD dispatch can be retried, this one is {exists[0]['status']}",
                field="dispatchId",
            )
        await outbox.enqueue(
            DELIVER_ACTOR, {"dispatch_id": str(dispatch_id), "attempt": 0}, tenant.id
        )
        await events.record(
            tenant.id,
            rows[0]["report_id"],
            "DISPATCH",
            public=False,
            actor=events.actor_of(viewer.principal),
            note="Pengiriman diulang / delivery retried",
            data={"dispatch_id": str(dispatch_id)},
        )
    return dispatch_id


# --- the worker's side ---


@dataclass(frozen=True)
class DeliveryJob:
    dispatch: dict[str, Any]
    agency: dict[str, Any]
    report: dict[str, Any]
    secret: str | None


async def claim(dispatch_id: uuid.UUID, attempt: int, secret_key: str) -> DeliveryJob | None:
    """Inside the actor's tenant transaction: the dispatch, locked, if this message is
    the current attempt. None for a stale or duplicate message, or one being delivered."""
    rows = await db.fetch(
        "SELECT to_jsonb(d) AS dispatch, to_jsonb(a) AS agency, r.ticket, r.title,"
        " r.description, r.latitude, r.longitude, r.address, r.occurred_at, r.urgent,"
        " r.status, r.created_at, c.code AS category_code, c.name_id AS category_name"
        " FROM dispatches d"
        " JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
        " JOIN reports r ON r.tenant_id = d.tenant_id AND r.id = d.report_id"
        " JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id"
        " WHERE d.id = $1 FOR UPDATE OF d SKIP LOCKED",
        dispatch_id,
    )
    if not rows:
        return None
    row = dict(rows[0])
    dispatch, agency = json.loads(row.pop("dispatch")), json.loads(row.pop("agency"))
    if dispatch["status"] != "PENDING" or dispatch["attempts"] != attempt:
        return None
    dispatch["id"], dispatch["report_id"] = (
        uuid.UUID(dispatch["id"]),
        uuid.UUID(dispatch["report_id"]),
    )
    dispatch["agency_id"] = uuid.UUID(dispatch["agency_id"])
    report = row
    secret = decrypt(agency["secret_enc"], secret_key) if agency["secret_enc"] else None
    return DeliveryJob(dispatch, agency, report, secret)


def delivery_payload(job: DeliveryJob, tenant_slug: str, public_url: str) -> dict[str, Any]:
    """What an agency receives: the report, never the reporter's identity."""
    r, d = job.report, job.dispatch
    return {
        "event": "report.dispatched",
        "dispatch_id": str(d["id"]),
        "idempotency_key": str(d["idempotency_key"]),
        "command": tenant_slug,
        "report": {
            "ticket": r["ticket"],
            "category_code": r["category_code"],
            "category_name": r["category_name"],
            "title": r["title"],
            "description": r["description"],
            "latitude": r["latitude"],
            "longitude": r["longitude"],
            "address": r["address"],
            "occurred_at": r["occurred_at"].isoformat(),
            "urgent": r["urgent"],
            "created_at": r["created_at"].isoformat(),
        },
        "callback_url": f"{public_url}/t/{tenant_slug}/integrations/{d['agency_id']}/callback",
    }


async def record_success(job: DeliveryJob, external_ref: str | None) -> None:
    await db.fetch(
        "UPDATE dispatches SET status = 'DELIVERED', attempts = attempts + 1,"
        " delivered_at = now(), updated_at = now(), next_attempt_at = NULL, last_error = NULL,"
        " external_ref = coalesce($2, external_ref) WHERE id = $1",
        job.dispatch["id"],
        external_ref,
    )


async def record_failure(job: DeliveryJob, error: str, tenant_id: uuid.UUID) -> bool:
    """Count the failed attempt; schedule the next or give up. True when now DEAD."""
    attempts = job.dispatch["attempts"] + 1
    dead = attempts >= job.dispatch["max_attempts"]
    next_at = None if dead else datetime.now(UTC) + backoff(attempts)
    await db.fetch(
        "UPDATE dispatches SET attempts = $2, last_error = $3, next_attempt_at = $4,"
        " status = $5, updated_at = now() WHERE id = $1",
        job.dispatch["id"],
        attempts,
        error[:1000],
        next_at,
        "DEAD" if dead else "PENDING",
    )
    if dead:
        await events.record(
            tenant_id,
            job.dispatch["report_id"],
            "DISPATCH",
            public=False,
            actor=events.SYSTEM,
            note=f"Pengiriman ke {job.agency['name']} gagal: {error[:200]}",
            data={"dispatch_id": str(job.dispatch["id"]), "dead": True},
        )
    else:
        await outbox.enqueue(
            DELIVER_ACTOR,
            {"dispatch_id": str(job.dispatch["id"]), "attempt": attempts},
            tenant_id,
            available_at=next_at,
        )
    return dead


# --- agencies answering: signed callbacks and liaisons ---


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def _apply_agency_status(
    tenant: TenantInfo,
    actor: Actor,
    dispatch: dict[str, Any],
    agency: dict[str, Any],
    status: str,
    note: str | None,
) -> None:
    await db.fetch(
        "UPDATE dispatches SET status = $2, updated_at = now() WHERE id = $1",
        dispatch["id"],
        status,
    )
    report = await report_actions.lock_report(None, dispatch["report_id"])
    message = CALLBACK_MESSAGES[status].format(agency=agency["name"])
    text = f"{message}: {note}" if note else message
    current = Status(report["status"])
    if status in ("IN_PROGRESS", "RESOLVED") and current == Status.DISPATCHED:
        await report_actions.set_status(tenant, actor, report, Status.IN_PROGRESS, text)
        current = Status.IN_PROGRESS
    if status == "RESOLVED" and current == Status.IN_PROGRESS:
        now = datetime.now(UTC)
        await report_actions.set_status(
            tenant,
            actor,
            report,
            Status.RESOLVED,
            text,
            resolved_at=now,
            autoclose_at=sla.autoclose_at(now, report, tenant.time_zone),
        )
    elif status == "ACCEPTED":
        await events.record(tenant.id, report["id"], "NOTE", public=True, actor=actor, note=text)


def _parse_callback(body: bytes) -> tuple[str, str | None, str | None]:
    try:
        data = json.loads(body)
    except ValueError:
        raise InvalidInput("the body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    status = AGENCY_STATUSES.get(str(data.get("status", "")).lower())
    if status is None:
        raise InvalidInput("status must be accepted, in_progress or resolved", field="status")
    ref = data.get("dispatch_id") or data.get("idempotency_key")
    if not isinstance(ref, str):
        raise InvalidInput("dispatch_id or idempotency_key is required", field="dispatch_id")
    note = data.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        raise InvalidInput("note must be text of at most 2000 characters", field="note")
    if status == "RESOLVED" and not (note or "").strip():
        raise InvalidInput("a resolution needs a note", field="note")
    return status, ref, note


async def do_apply_callback(
    tenant: TenantInfo, agency_id: uuid.UUID, body: bytes, header: str | None, secret_key: str
) -> str:
    """Returns "applied" or "duplicate". A bad or missing signature changes nothing."""
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch("SELECT * FROM agencies WHERE id = $1", agency_id)
        if not rows:
            raise NotFound("not found")
        agency = dict(rows[0])
        if not agency["secret_enc"] or not header:
            raise Unauthenticated("a valid X-Jogo-Signature is required")
        expected = signature(decrypt(agency["secret_enc"], secret_key), body)
        if not hmac.compare_digest(expected, header.strip()):
            raise Unauthenticated("a valid X-Jogo-Signature is required")
        status, ref, note = _parse_callback(body)
        fresh = await db.fetch(
            "INSERT INTO callback_receipts (tenant_id, agency_id, body_sha256)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1",
            tenant.id,
            agency_id,
            hashlib.sha256(body).hexdigest(),
        )
        if not fresh:
            return "duplicate"
        try:
            ref_id = uuid.UUID(ref)
        except ValueError:
            raise NotFound("dispatch not found", field="dispatch_id") from None
        dispatches = await db.fetch(
            "SELECT * FROM dispatches WHERE agency_id = $1 AND (id = $2 OR idempotency_key = $2)"
            " FOR UPDATE",
            agency_id,
            ref_id,
        )
        if not dispatches:
            raise NotFound("dispatch not found", field="dispatch_id")
        await _apply_agency_status(
            tenant,
            (agency["name"], None),
            dict(dispatches[0]),
            agency,
            status,
            (note or "").strip() or None,
        )
    return "applied"


async def do_update_dispatch_status(
    tenant: TenantInfo,
    principal: Principal,
    dispatch_id: uuid.UUID,
    status: str,
    note: str | None,
) -> uuid.UUID:
    """An agency liaison (or an operator) reports what the agency did."""
    if Cap.DISPATCH_UPDATE not in principal.tenant_caps(tenant.id):
        raise Forbidden("only an agency liaison or an operator can do this")
    mapped = AGENCY_STATUSES.get(status.lower())
    if mapped is None:
        raise InvalidInput("status must be accepted, in_progress or resolved", field="status")
    if mapped == "RESOLVED" and not (note or "").strip():
        raise InvalidInput("a resolution needs a note", field="note")
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch("SELECT * FROM dispatches WHERE id = $1 FOR UPDATE", dispatch_id)
        if not rows:
            raise NotFound("dispatch not found", field="dispatchId")
        agency = dict(
            (await db.fetch("SELECT * FROM agencies WHERE id = $1", rows[0]["agency_id"]))[0]
        )
        await _apply_agency_status(
            tenant,
            events.actor_of(principal),
            dict(rows[0]),
            agency,
            mapped,
            (note or "").strip() or None,
        )
    return dispatch_id


async def dispatches_for_report(tenant_id: uuid.UUID, report_id: uuid.UUID) -> list[dict]:
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT d.*, a.name AS agency_name, a.code AS agency_code, a.connector"
            " FROM dispatches d JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
            " WHERE d.report_id = $1 ORDER BY d.created_at, d.id",
            report_id,
        )
    return [dict(r) for r in rows]


# --- Open311: status by polling the agency's GeoReport v2 endpoint ---

OPEN311_POLLED = ("DELIVERED", "ACCEPTED", "IN_PROGRESS")


async def open311_to_poll(tenant_id: uuid.UUID, secret_key: str) -> list[dict[str, Any]]:
    """Open311 dispatches the agency has not finished, with where to ask about them."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT d.id, d.status, d.external_ref, a.endpoint_url, a.secret_enc"
            " FROM dispatches d JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
            " WHERE a.connector = 'open311' AND d.external_ref IS NOT NULL"
            " AND d.status = ANY($1::text[])",
            list(OPEN311_POLLED),
        )
    return [
        {**dict(r), "api_key": decrypt(r["secret_enc"], secret_key) if r["secret_enc"] else ""}
        for r in rows
    ]


async def apply_open311_status(
    tenant: TenantInfo, dispatch_id: uuid.UUID, status: str, notes: str | None
) -> bool:
    """Inside the job's tenant transaction. GeoReport v2 knows ``open`` and ``closed``:
    closed resolves the dispatch (and moves the report on); open marks it accepted.
    Returns whether anything changed, so polling the same answer twice does nothing."""
    target = {"closed": "RESOLVED", "open": "ACCEPTED"}.get(status.lower())
    if target is None:
        return False
    rows = await db.fetch("SELECT * FROM dispatches WHERE id = $1 FOR UPDATE", dispatch_id)
    if not rows or rows[0]["status"] not in OPEN311_POLLED:
        return False
    dispatch = dict(rows[0])
    if dispatch["status"] == target or (target == "ACCEPTED" and dispatch["status"] != "DELIVERED"):
        return False
    agency = dict(
        (await db.fetch("SELECT * FROM agencies WHERE id = $1", dispatch["agency_id"]))[0]
    )
    note = (notes or "").strip()[:2000] or (
        "Ditutup oleh instansi" if target == "RESOLVED" else None
    )
    await _apply_agency_status(tenant, (agency["name"], None), dispatch, agency, target, note)
    return True
