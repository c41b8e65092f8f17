"""Agencies answering: signed callbacks, liaisons of manual agencies, Open311 polling.

Every channel's words become an :class:`~jogo.tenants.agencies.outcomes.Answer`
(``outcomes.py``): a step (accepted, in progress) or a final outcome. A step only moves
a dispatch forward, and in progress takes a DISPATCHED report to IN_PROGRESS. Of the
final outcomes only DONE resolves: the dispatch becomes RESOLVED and the report, with
the agency's note, RESOLVED (its auto-close timer starts). Every other outcome makes the
dispatch RETURNED (``outcome`` and ``outcome_note`` kept) and writes an internal
timeline entry with the agency's note; when no other agency still has the report, the
report goes back to VERIFIED, the operators' queue, and the citizen reads that it is
still being handled (``lifecycle.RETURNED_LABEL``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from jogo.platform import db
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap, Role
from jogo.platform.crypto import decrypt
from jogo.platform.errors import InvalidInput, NotFound, Unauthenticated
from jogo.platform.registry import TenantInfo
from jogo.platform.values import text_problem
from jogo.tenants.agencies.outcomes import (
    OUTCOME_LABELS,
    Answer,
    Outcome,
    fhir_task_note,
    from_fhir_task,
    from_open311,
    parse_answer,
)
from jogo.tenants.reports import actions as report_actions
from jogo.tenants.reports import events, sla
from jogo.tenants.reports.calendar import load_calendar
from jogo.tenants.reports.events import Actor
from jogo.tenants.reports.lifecycle import Status
from jogo.tenants.webhooks import events as webhooks

# How far along a dispatch is; an answer never moves it back, and a final one ends it.
PROGRESS = {
    "PENDING": 0,
    "DELIVERING": 0,
    "AWAITING_LIAISON": 0,
    "DELIVERED": 1,
    "ACCEPTED": 2,
    "IN_PROGRESS": 3,
    "RESOLVED": 4,
    "RETURNED": 4,
    "DEAD": 0,
}
# Dispatches whose agency may still act on the report.
LIVE = ("PENDING", "DELIVERING", "AWAITING_LIAISON", "DELIVERED", "ACCEPTED", "IN_PROGRESS")
MESSAGES = {
    "ACCEPTED": "Laporan diterima oleh {agency}",
    "IN_PROGRESS": "Sedang ditangani oleh {agency}",
    "RESOLVED": "Selesai ditangani oleh {agency}",
}
OPEN311_POLLED = ("DELIVERED", "ACCEPTED", "IN_PROGRESS")
ANSWER_WORDS = (
    "status must be accepted, in_progress or resolved, or outcome one of done, declined,"
    " duplicate, not_theirs, needs_info"
)
NOTE_MAX = 2000


def signature(secret: str, body: bytes) -> str:
    """The ``X-Jogo-Signature`` value for ``body``: ``sha256=`` and the hex HMAC-SHA256 of the raw
    bytes under the agency's shared ``secret``. Signs our deliveries and checks agencies' signed
    callbacks (compare it in constant time)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def returned_note(agency: str, outcome: Outcome, note: str | None) -> str:
    """The operators' timeline entry for a handed-back report (both languages)."""
    label_id, label_en = OUTCOME_LABELS[outcome]
    text = f"Dikembalikan oleh {agency}: {label_id} / Returned by {agency}: {label_en}"
    return f"{text}. {note}" if note else text


async def apply_answer(
    tenant: TenantInfo,
    actor: Actor,
    dispatch: dict[str, Any],
    agency: dict[str, Any],
    answer: Answer,
    note: str | None,
) -> bool:
    """Inside the caller's tenant transaction, on a locked dispatch. False when the
    answer would not move the dispatch forward (late, repeated, out of order, or after a
    final answer)."""
    target = answer.dispatch_status
    if PROGRESS[target] <= PROGRESS[dispatch["status"]] or dispatch["status"] == "RETURNED":
        return False
    final = answer.outcome is not None
    await db.fetch(
        "UPDATE dispatches SET status = $2, outcome = $3, outcome_note = $4,"
        " answered_at = CASE WHEN $5 THEN now() ELSE answered_at END, updated_at = now()"
        " WHERE id = $1",
        dispatch["id"],
        target,
        answer.outcome.value if answer.outcome else None,
        note if final else None,
        final,
    )
    await webhooks.emit(
        tenant.id,
        ["DISPATCH_OUTCOME"],
        uuid.uuid4(),
        report_id=dispatch["report_id"],
        ref={
            "dispatch_id": str(dispatch["id"]),
            "agency_id": str(dispatch["agency_id"]),
            "agency_name": agency["name"],
            "status": target,
            "outcome": answer.outcome.value if answer.outcome else None,
            "note": note if final else None,
        },
    )
    report = await report_actions.lock_report(None, dispatch["report_id"])
    current = Status(report["status"])
    name = agency["name"]
    if target == "RETURNED":
        assert answer.outcome is not None
        await _hand_back(tenant, actor, dispatch, report, name, answer.outcome, note)
        return True
    message = MESSAGES[target].format(agency=name)
    text = f"{message}: {note}" if note else message
    if target in ("IN_PROGRESS", "RESOLVED") and current == Status.DISPATCHED:
        # Each event says what happened at its own step: a done answer to a report not
        # yet in progress writes "being handled" first, then "done" with the note.
        progress = text if target == "IN_PROGRESS" else MESSAGES["IN_PROGRESS"].format(agency=name)
        await report_actions.set_status(tenant, actor, report, Status.IN_PROGRESS, progress)
        current = Status.IN_PROGRESS
    if target == "RESOLVED" and current == Status.IN_PROGRESS:
        now = datetime.now(UTC)
        await report_actions.set_status(
            tenant,
            actor,
            report,
            Status.RESOLVED,
            text,
            resolved_at=now,
            autoclose_at=sla.autoclose_at(now, report, await load_calendar(tenant)),
        )
    elif target == "RESOLVED":
        # Already resolved by another agency, or back with the operators: on record,
        # for staff, without changing what the citizen reads.
        await events.record(tenant.id, report["id"], "NOTE", public=False, actor=actor, note=text)
    elif target == "ACCEPTED":
        await events.record(tenant.id, report["id"], "NOTE", public=True, actor=actor, note=text)
    return True


async def _hand_back(
    tenant: TenantInfo,
    actor: Actor,
    dispatch: dict[str, Any],
    report: dict[str, Any],
    agency_name: str,
    outcome: Outcome,
    note: str | None,
) -> None:
    """A final answer other than done. When no other agency still has the report, the
    report goes back to VERIFIED (public: "still being handled"); then, in every case,
    an internal entry with the agency's note, the newest entry operators see."""
    if Status(report["status"]) in (Status.DISPATCHED, Status.IN_PROGRESS):
        others = await db.fetch(
            "SELECT 1 FROM dispatches WHERE report_id = $1 AND id <> $2"
            " AND status = ANY($3::text[]) LIMIT 1",
            report["id"],
            dispatch["id"],
            list(LIVE),
        )
        if not others:  # else another agency is still on it: the report stays
            await report_actions.set_status(
                tenant,
                actor,
                report,
                Status.VERIFIED,
                "Laporan Anda masih ditangani petugas. / Your report is still being handled.",
                returned=True,
                autoclose_at=None,
                followup_due_at=None,  # the next dispatch sets its own
            )
    await events.record(
        tenant.id,
        report["id"],
        "DISPATCH",
        public=False,
        actor=actor,
        note=returned_note(agency_name, outcome, note)[:5000],
        data={
            "dispatch_id": str(dispatch["id"]),
            "agency_id": str(dispatch["agency_id"]),
            "agency_name": agency_name,
            "outcome": outcome.value,
            "returned": True,
        },
    )


def _note(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > NOTE_MAX or text_problem(value):
        raise InvalidInput(f"note must be text of at most {NOTE_MAX} characters", field="note")
    return value.strip() or None


def _storable(value: object) -> str | None:
    """A polled server's free text as it can be stored: NUL bytes and unpaired
    surrogates dropped (PostgreSQL text refuses them, and the poll, one transaction for
    all of a tenant's dispatches, would fail on every run), trimmed, at most
    :data:`NOTE_MAX` characters; None when nothing is left or it is not text."""
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    return text.strip()[:NOTE_MAX] or None


def _parse_callback(body: bytes) -> tuple[Answer, list[str], str | None]:
    """The answer, the references it may name (dispatch id or Idempotency-Key), and the
    note. A JSON object ``{dispatch_id | idempotency_key, status?, outcome?, note?}``, or
    a FHIR R4 ``Task`` naming the dispatch in ``identifier[].value``."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        raise InvalidInput("the body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    if data.get("resourceType") == "Task":
        answer = from_fhir_task(data)
        if answer is None:
            raise InvalidInput(
                "Task.status must be received, accepted, ready, in-progress, completed,"
                " on-hold, rejected, cancelled or failed",
                field="status",
            )
        identifiers = data.get("identifier")
        if not isinstance(identifiers, list):
            identifiers = []
        refs = [
            i["value"]
            for i in identifiers
            if isinstance(i, dict) and isinstance(i.get("value"), str)
        ]
        text = fhir_task_note(data)
        note = _note(text[:NOTE_MAX] if text else None)
    else:
        parsed = parse_answer(data.get("status"), data.get("outcome"))
        if parsed is None:
            raise InvalidInput(ANSWER_WORDS, field="outcome" if data.get("outcome") else "status")
        answer = parsed
        ref = data.get("dispatch_id") or data.get("idempotency_key")
        refs = [ref] if isinstance(ref, str) else []
        note = _note(data.get("note"))
    if not refs:
        raise InvalidInput("dispatch_id or idempotency_key is required", field="dispatch_id")
    if answer.outcome is not None and not note:
        raise InvalidInput("a final answer needs a note", field="note")
    return answer, refs, note


def _uuids(refs: list[str]) -> list[uuid.UUID]:
    found = []
    for ref in refs:
        try:
            found.append(uuid.UUID(ref))
        except ValueError:
            continue
    return found


async def do_apply_callback(
    tenant: TenantInfo, agency_id: uuid.UUID, body: bytes, header: str | None, secret_key: str
) -> str:
    """ "applied", "duplicate" or "ignored" (out of order, or after a final answer). A
    bad or missing signature changes nothing; a body that says nothing known is
    ``InvalidInput``; an unknown dispatch ``NotFound``."""
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
        answer, refs, note = _parse_callback(body)
        fresh = await db.fetch(
            "INSERT INTO callback_receipts (tenant_id, agency_id, body_sha256)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1",
            tenant.id,
            agency_id,
            hashlib.sha256(body).hexdigest(),
        )
        if not fresh:
            return "duplicate"
        ref_ids = _uuids(refs)
        dispatches = await db.fetch(
            "SELECT * FROM dispatches WHERE agency_id = $1"
            " AND (id = ANY($2::uuid[]) OR idempotency_key = ANY($2::uuid[]))"
            " ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
            agency_id,
            ref_ids,
        )
        if not dispatches:
            raise NotFound("dispatch not found", field="dispatch_id")
        moved = await apply_answer(
            tenant, (agency["name"], None), dict(dispatches[0]), agency, answer, note
        )
    return "applied" if moved else "ignored"


async def do_add_agency_liaison(
    tenant: TenantInfo, principal: Principal, agency_id: uuid.UUID, user_id: uuid.UUID
) -> uuid.UUID:
    """Let a user with the agency_liaison role speak for one manual agency."""
    if Cap.DIRECTORY_WRITE not in principal.tenant_caps(tenant.id):
        raise denied(
            principal, "only a tenant admin (or a key with agencies:write) can add liaisons"
        )
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
    call): ``status`` accepted, in_progress, resolved (= done), or a final outcome
    (done, declined, duplicate, not_theirs, needs_info), which needs a note.
    Connected agencies answer through callbacks or Open311 instead."""
    caps = principal.tenant_caps(tenant.id)
    if Cap.DISPATCH_UPDATE not in caps:
        raise denied(principal, "only an agency liaison or an operator can do this")
    answer = parse_answer(status, None)
    if answer is None:
        raise InvalidInput(ANSWER_WORDS, field="status")
    text = _note(note)
    if answer.outcome is not None and not text:
        raise InvalidInput("a final answer needs a note", field="note")
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
        moved = await apply_answer(
            tenant, events.actor_of(principal), dict(rows[0]), agency, answer, text
        )
        if not moved:
            raise InvalidInput(f"the dispatch is already {rows[0]['status']}", field="status")
    return dispatch_id


async def open311_to_poll(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """Open311 dispatches the agency has not finished, with where to ask about them:
    ``{id, status, external_ref, endpoint_url, jurisdiction_id}``."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT d.id, d.status, d.external_ref, a.endpoint_url, a.jurisdiction_id"
            " FROM dispatches d JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
            " WHERE a.connector = 'open311' AND d.external_ref IS NOT NULL"
            " AND d.status = ANY($1::text[])",
            list(OPEN311_POLLED),
        )
    return [dict(r) for r in rows]


async def apply_open311_request(
    tenant: TenantInfo, dispatch_id: uuid.UUID, request: dict[str, Any]
) -> bool:
    """Inside the job's tenant transaction: one GeoReport v2 service request as polled.
    ``open`` marks the dispatch accepted; ``closed`` is read by the rule of
    :func:`~jogo.tenants.agencies.outcomes.from_open311` (explicit ``outcome``, else the
    ``status_notes`` naming a reason not done, else done). Polling the same answer twice
    changes nothing."""
    answer = from_open311(request)
    if answer is None:
        return False
    rows = await db.fetch("SELECT * FROM dispatches WHERE id = $1 FOR UPDATE", dispatch_id)
    if not rows:
        return False
    agency = dict((await db.fetch("SELECT * FROM agencies WHERE id = $1", rows[0]["agency_id"]))[0])
    note = _storable(request.get("status_notes"))
    if answer.outcome is not None and note is None:
        note = "Ditutup oleh instansi / Closed by the agency"
    return await apply_answer(tenant, (agency["name"], None), dict(rows[0]), agency, answer, note)
