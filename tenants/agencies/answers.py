"""Agencies answering: signed callbacks, liaisons of manual agencies, Open311 polling.

An answer only moves a dispatch forward (accepted → in progress → resolved), and moves
the report with it: in progress takes a dispatched report to IN_PROGRESS, resolved
takes it to RESOLVED with the agency's note.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from jogo.platform import db
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Cap, Role
from jogo.platform.crypto import decrypt
from jogo.platform.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from jogo.platform.registry import TenantInfo
from jogo.platform.values import text_problem
from jogo.tenants.reports import actions as report_actions
from jogo.tenants.reports import events, sla
from jogo.tenants.reports.events import Actor
from jogo.tenants.reports.lifecycle import Status

AGENCY_STATUSES = {"accepted": "ACCEPTED", "in_progress": "IN_PROGRESS", "resolved": "RESOLVED"}
# How far along a dispatch is; an answer never moves it back.
PROGRESS = {
    "PENDING": 0,
    "DELIVERING": 0,
    "AWAITING_LIAISON": 0,
    "DELIVERED": 1,
    "ACCEPTED": 2,
    "IN_PROGRESS": 3,
    "RESOLVED": 4,
    "DEAD": 0,
}
MESSAGES = {
    "ACCEPTED": "Laporan diterima oleh {agency}",
    "IN_PROGRESS": "Sedang ditangani oleh {agency}",
    "RESOLVED": "Selesai ditangani oleh {agency}",
}
OPEN311_POLLED = ("DELIVERED", "ACCEPTED", "IN_PROGRESS")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def apply_status(
    tenant: TenantInfo,
    actor: Actor,
    dispatch: dict[str, Any],
    agency: dict[str, Any],
    status: str,
    note: str | None,
) -> bool:
    """Inside the caller's tenant transaction, on a locked dispatch. False when the
    answer would not move the dispatch forward (late, repeated or out of order)."""
    if PROGRESS[status] <= PROGRESS[dispatch["status"]]:
        return False
    await db.fetch(
        "UPDATE dispatches SET status = $2, updated_at = now() WHERE id = $1",
        dispatch["id"],
        status,
    )
    report = await report_actions.lock_report(None, dispatch["report_id"])
    message = MESSAGES[status].format(agency=agency["name"])
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
    return True


def _parse_callback(body: bytes) -> tuple[str, str, str | None]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
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
    if note is not None and (not isinstance(note, str) or len(note) > 2000 or text_problem(note)):
        raise InvalidInput("note must be text of at most 2000 characters", field="note")
    if status == "RESOLVED" and not (note or "").strip():
        raise InvalidInput("a resolution needs a note", field="note")
    return status, ref, note


async def do_apply_callback(
    tenant: TenantInfo, agency_id: uuid.UUID, body: bytes, header: str | None, secret_key: str
) -> str:
    """ "applied", "duplicate" or "ignored" (out of order). A bad or missing signature
    changes nothing."""
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
        moved = await apply_status(
            tenant,
            (agency["name"], None),
            dict(dispatches[0]),
            agency,
            status,
            (note or "").strip() or None,
        )
    return "applied" if moved else "ignored"


async def do_add_agency_liaison(
    tenant: TenantInfo, principal: Principal, agency_id: uuid.UUID, user_id: uuid.UUID
) -> uuid.UUID:
    """Let a user with the agency_liaison role speak for one manual agency."""
    if Cap.DIRECTORY_WRITE not in principal.tenant_caps(tenant.id):
        raise Forbidden("only a tenant admin can add liaisons")
    member = await db.fetch(
        "SELECT 1 FROM memberships WHERE user_id = $1 AND tenant = $2 AND role = $3",
        user_id,
        tenant.id,
        Role.AGENCY_LIAISON.value,
    )
    if not member:
        raise InvalidInput("not an agency liaison of this command", field="userId")
    async with db.tenant_tx(tenant.id):
        if not await db.fetch("SELECT 1 FROM agencies WHERE id = $1", agency_id):
            raise NotFound("agency not found", field="agencyId")
        await db.fetch(
            "INSERT INTO agency_liaisons (tenant_id, agency_id, user_id) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            tenant.id,
            agency_id,
            user_id,
        )
    return agency_id


async def do_update_dispatch_status(
    tenant: TenantInfo,
    principal: Principal,
    dispatch_id: uuid.UUID,
    status: str,
    note: str | None,
) -> uuid.UUID:
    """What a manual agency did, reported by its liaison (or by an operator who took the
    call). Connected agencies answer through callbacks or Open311 instead."""
    caps = principal.tenant_caps(tenant.id)
    if Cap.DISPATCH_UPDATE not in caps:
        raise Forbidden("only an agency liaison or an operator can do this")
    mapped = AGENCY_STATUSES.get(status.lower())
    if mapped is None:
        raise InvalidInput("status must be accepted, in_progress or resolved", field="status")
    if mapped == "RESOLVED" and not (note or "").strip():
        raise InvalidInput("a resolution needs a note", field="note")
    operator = Cap.REPORTS_TRIAGE in caps
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch(
            "SELECT d.*, a.connector FROM dispatches d JOIN agencies a"
            " ON a.tenant_id = d.tenant_id AND a.id = d.agency_id WHERE d.id = $1"
            " AND ($2 OR EXISTS (SELECT 1 FROM agency_liaisons l WHERE l.agency_id = d.agency_id"
            " AND l.user_id = $3)) FOR UPDATE OF d",
            dispatch_id,
            operator,
            principal.id,
        )
        if not rows:
            raise NotFound("dispatch not found", field="dispatchId")
        if rows[0]["connector"] != "manual":
            raise InvalidInput(
                "a connected agency answers through its own channel", field="dispatchId"
            )
        agency = dict(
            (await db.fetch("SELECT * FROM agencies WHERE id = $1", rows[0]["agency_id"]))[0]
        )
        moved = await apply_status(
            tenant,
            events.actor_of(principal),
            dict(rows[0]),
            agency,
            mapped,
            (note or "").strip() or None,
        )
        if not moved:
            raise InvalidInput(f"the dispatch is already {rows[0]['status']}", field="status")
    return dispatch_id


async def open311_to_poll(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """Open311 dispatches the agency has not finished, with where to ask about them."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT d.id, d.status, d.external_ref, a.endpoint_url"
            " FROM dispatches d JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
            " WHERE a.connector = 'open311' AND d.external_ref IS NOT NULL"
            " AND d.status = ANY($1::text[])",
            list(OPEN311_POLLED),
        )
    return [dict(r) for r in rows]


async def apply_open311_status(
    tenant: TenantInfo, dispatch_id: uuid.UUID, status: str, notes: str | None
) -> bool:
    """Inside the job's tenant transaction. GeoReport v2 knows ``open`` and ``closed``:
    closed resolves the dispatch (and moves the report on); open marks it accepted.
    Polling the same answer twice changes nothing."""
    target = {"closed": "RESOLVED", "open": "ACCEPTED"}.get(status.lower())
    if target is None:
        return False
    rows = await db.fetch("SELECT * FROM dispatches WHERE id = $1 FOR UPDATE", dispatch_id)
    if not rows:
        return False
    agency = dict((await db.fetch("SELECT * FROM agencies WHERE id = $1", rows[0]["agency_id"]))[0])
    note = (notes or "").strip()[:2000] or (
        "Ditutup oleh instansi" if target == "RESOLVED" else None
    )
    return await apply_status(tenant, (agency["name"], None), dict(rows[0]), agency, target, note)
