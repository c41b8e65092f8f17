"""Data-subject requests (UU PDP Pasal 6-8, 12; the controller's side Pasal 30, 32, 41,
43): access, correction, erasure and restriction of one person's data at one command.

- **Who asks.** A signed-in citizen for themselves (``made_by`` SELF: the sign-in is the
  identity check), or an operator on a person's behalf after checking who they are
  (OPERATOR, ``identity_check`` says how, e.g. "KTP dicocokkan di SPKT"). A citizen
  cannot name another person; an API key cannot ask at all (the capabilities say so).
- **One open request per person and right.** Asking again, or twice at once, answers
  the open one (a partial unique index), so parallel duplicate erasures are one.
- **Deadline.** ``due_at`` = received + the right's hours in the command's table
  (:mod:`.deadlines`), fixed when received.
- **Status.** RECEIVED -> IN_PROGRESS -> DONE, or REFUSED with a reason; every step is in
  the request's log and audited (``privacy.request.*``, target ``user:<id>``). A SELF
  access request is answered at once (DONE): the export is made when it is read
  (:mod:`.export`), so no copy of the data is kept.
- **Doing it** (:func:`do_fulfil`, operators): ACCESS marks it answered; CORRECTION
  writes the new name and/or phone to the account and to the person's reports here;
  ERASURE anonymises the person (:mod:`.anonymise`), keeping reports under a legal hold,
  which the log names; RESTRICTION stops notifications about their reports.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal
from jogo.platform.contacts import normalise_phone
from jogo.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from jogo.platform.storage import FileStore
from jogo.tenants.privacy import anonymise, deadlines

NOT_FOUND = "permintaan data pribadi tidak ditemukan / data-subject request not found"
SUBJECT_NOT_FOUND = (
    "tidak ada warga dengan nomor itu di komando ini / no citizen with that number at this command"
)
OPEN = ("RECEIVED", "IN_PROGRESS")
SUBJECT = "subject"  # the log's actor for the person's own steps
_COLUMNS = (
    "SELECT id, subject_user_id, request_right, status, made_by, identity_check,"
    " correction, refusal_reason, received_at, due_at, done_at FROM data_subject_requests"
)


def _clean_correction(
    right: str, full_name: str | None, phone: str | None
) -> dict[str, str] | None:
    if right != "CORRECTION":
        if full_name is not None or phone is not None:
            raise InvalidInput("only a CORRECTION carries a new name or phone", field="right")
        return None
    out: dict[str, str] = {}
    if full_name is not None:
        name = " ".join(full_name.split())
        if not 1 <= len(name) <= 120:
            raise InvalidInput("fullName is 1-120 characters", field="fullName")
        out["full_name"] = name
    if phone is not None:
        out["phone"] = normalise_phone(phone, "phone")
    if not out:
        raise InvalidInput("a correction needs a new fullName or phone", field="fullName")
    return out


async def _open(
    tenant_id: uuid.UUID,
    subject: uuid.UUID,
    right: str,
    made_by: str,
    identity_check: str | None,
    correction: dict[str, str] | None,
    actor: str,
    now: datetime,
) -> tuple[uuid.UUID, bool]:
    """The open request of this person and right: a new one, or the one already open."""
    due = await deadlines.due_at(tenant_id, right, now)
    rows = await db.fetch(
        "INSERT INTO data_subject_requests (tenant_id, subject_user_id, request_right,"
        " made_by, identity_check, correction, received_at, due_at)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)"
        " ON CONFLICT (tenant_id, subject_user_id, request_right)"
        " WHERE status IN ('RECEIVED', 'IN_PROGRESS') DO NOTHING RETURNING id",
        tenant_id,
        subject,
        right,
        made_by,
        identity_check,
        json.dumps(correction) if correction is not None else None,
        now,
        due,
    )
    if rows:
        await _log(tenant_id, rows[0]["id"], actor, "RECEIVED", None)
        return rows[0]["id"], True
    rows = await db.fetch(
        "SELECT id FROM data_subject_requests WHERE tenant_id = $1 AND subject_user_id = $2"
        " AND request_right = $3 AND status IN ('RECEIVED', 'IN_PROGRESS')",
        tenant_id,
        subject,
        right,
    )
    return rows[0]["id"], False


async def _log(
    tenant_id: uuid.UUID, request_id: uuid.UUID, actor: str, step: str, note: str | None
) -> None:
    await db.fetch(
        "INSERT INTO data_subject_request_log (tenant_id, request_id, actor, step, note)"
        " VALUES ($1, $2, $3, $4, $5)",
        tenant_id,
        request_id,
        actor,
        step,
        note,
    )


async def _audit(
    action: str, principal: Principal, tenant_id: uuid.UUID, subject: uuid.UUID, **detail: Any
) -> None:
    await write_audit(
        action, principal=principal, tenant_id=tenant_id, target=f"user:{subject}", detail=detail
    )


async def do_request_own(
    tenant_id: uuid.UUID,
    principal: Principal,
    right: str,
    *,
    full_name: str | None = None,
    phone: str | None = None,
    now: datetime | None = None,
) -> uuid.UUID:
    """A signed-in person's request about their own data here; returns its id (the open
    one when this person already has one for ``right``). ACCESS is answered at once.
    ``FORBIDDEN`` for anyone but a signed-in user; ``INVALID_INPUT`` on ``right``,
    ``fullName`` or ``phone``."""
    if principal.kind != "user" or principal.id is None:
        raise Forbidden("hanya untuk warga yang masuk / signed-in people only")
    deadlines.check_right(right)
    correction = _clean_correction(right, full_name, phone)
    now = now or datetime.now(UTC)
    async with db.tenant_tx(tenant_id):
        request_id, new = await _open(
            tenant_id, principal.id, right, "SELF", None, correction, SUBJECT, now
        )
        if new:
            await _audit(
                "privacy.request.received",
                principal,
                tenant_id,
                principal.id,
                request=str(request_id),
                right=right,
                made_by="SELF",
            )
        if new and right == "ACCESS":
            await _finish(tenant_id, request_id, SUBJECT, "DONE", None, now)
    return request_id


async def find_subject(tenant_id: uuid.UUID, raw_phone: str) -> uuid.UUID:
    """The account with this phone that is a citizen of this command or reported here (in
    its transaction); ``NOT_FOUND`` on ``subjectPhone`` otherwise (also for another
    command's citizen)."""
    phone = normalise_phone(raw_phone, "subjectPhone")
    rows = await db.fetch(
        "SELECT u.id FROM users u WHERE u.phone = $2 AND (EXISTS (SELECT 1 FROM memberships m"
        " WHERE m.user_id = u.id AND m.tenant = $1) OR EXISTS (SELECT 1 FROM reports r"
        " WHERE r.tenant_id = $1 AND r.reporter_user_id = u.id))",
        tenant_id,
        phone,
    )
    if not rows:
        raise NotFound(SUBJECT_NOT_FOUND, field="subjectPhone")
    return rows[0]["id"]


async def do_record_request(
    tenant_id: uuid.UUID,
    principal: Principal,
    subject_phone: str,
    right: str,
    identity_check: str,
    *,
    full_name: str | None = None,
    phone: str | None = None,
    now: datetime | None = None,
) -> uuid.UUID:
    """An operator records a person's request after checking their identity
    (``identity_check``, 3-500 characters: how). Returns the request id (the open one when
    there is one). ``INVALID_INPUT`` on a bad field; ``NOT_FOUND`` on ``subjectPhone``."""
    deadlines.check_right(right)
    check = " ".join((identity_check or "").split())
    if not 3 <= len(check) <= 500:
        raise InvalidInput(
            "identityCheck: say how the person's identity was checked (3-500 characters)",
            field="identityCheck",
        )
    correction = _clean_correction(right, full_name, phone)
    now = now or datetime.now(UTC)
    async with db.tenant_tx(tenant_id):
        subject = await find_subject(tenant_id, subject_phone)
        request_id, new = await _open(
            tenant_id, subject, right, "OPERATOR", check, correction, principal.name, now
        )
        if new:
            await _audit(
                "privacy.request.received",
                principal,
                tenant_id,
                subject,
                request=str(request_id),
                right=right,
                made_by="OPERATOR",
            )
    return request_id


async def _locked(tenant_id: uuid.UUID, request_id: uuid.UUID) -> dict[str, Any]:
    rows = await db.fetch(
        _COLUMNS + " WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenant_id, request_id
    )
    if not rows:
        raise NotFound(NOT_FOUND, field="id")
    row = dict(rows[0])
    if row["status"] not in OPEN:
        raise Conflict(
            f"permintaan ini sudah {row['status']} / this request is already {row['status']}",
            field="id",
        )
    return row


async def _finish(
    tenant_id: uuid.UUID,
    request_id: uuid.UUID,
    actor: str,
    status: str,
    note: str | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    await db.fetch(
        "UPDATE data_subject_requests SET status = $3, done_at = $4, refusal_reason = $5"
        " WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        request_id,
        status,
        now,
        reason,
    )
    await _log(tenant_id, request_id, actor, status, note or reason)


async def do_start(tenant_id: uuid.UUID, principal: Principal, request_id: uuid.UUID) -> None:
    """RECEIVED -> IN_PROGRESS (a no-op when already in progress); logged and audited.
    ``NOT_FOUND``; ``CONFLICT`` once DONE or REFUSED."""
    async with db.tenant_tx(tenant_id):
        row = await _locked(tenant_id, request_id)
        if row["status"] == "IN_PROGRESS":
            return
        await db.fetch(
            "UPDATE data_subject_requests SET status = 'IN_PROGRESS' WHERE tenant_id = $1"
            " AND id = $2",
            tenant_id,
            request_id,
        )
        await _log(tenant_id, request_id, principal.name, "IN_PROGRESS", None)
        await _audit(
            "privacy.request.started",
            principal,
            tenant_id,
            row["subject_user_id"],
            request=str(request_id),
        )


async def do_refuse(
    tenant_id: uuid.UUID, principal: Principal, request_id: uuid.UUID, reason: str
) -> None:
    """Refuse an open request with ``reason`` (3-1000 characters, shown to the person).
    ``INVALID_INPUT`` on ``reason``; ``NOT_FOUND``; ``CONFLICT`` once closed."""
    text = " ".join((reason or "").split())
    if not 3 <= len(text) <= 1000:
        raise InvalidInput("reason is 3-1000 characters", field="reason")
    async with db.tenant_tx(tenant_id):
        row = await _locked(tenant_id, request_id)
        await _finish(
            tenant_id, request_id, principal.name, "REFUSED", None, datetime.now(UTC), reason=text
        )
        await _audit(
            "privacy.request.refused",
            principal,
            tenant_id,
            row["subject_user_id"],
            request=str(request_id),
            reason=text,
        )


async def do_fulfil(
    tenant_id: uuid.UUID,
    principal: Principal,
    request_id: uuid.UUID,
    store: FileStore,
    now: datetime | None = None,
) -> str | None:
    """Do what an open request asks (see the module) and mark it DONE; returns the log's
    note (e.g. the tickets kept under a legal hold). Photo files go just before commit
    (:mod:`.anonymise`).
    ``NOT_FOUND``; ``CONFLICT`` once closed (so a second, parallel run does nothing),
    for a correction to a phone another account has, and for erasing a staff account."""
    now = now or datetime.now(UTC)
    keys: list[str] = []
    async with db.tenant_tx(tenant_id):
        row = await _locked(tenant_id, request_id)
        subject: uuid.UUID = row["subject_user_id"]
        right = row["request_right"]
        note: str | None = None
        if right == "CORRECTION":
            note = await _correct(tenant_id, subject, row["correction"])
        elif right == "ERASURE":
            note, keys = await _erase(tenant_id, subject, now)
        elif right == "RESTRICTION":
            await db.fetch(
                "INSERT INTO processing_restrictions (tenant_id, user_id, purpose, request_id,"
                " since) VALUES ($1, $2, 'NOTIFICATIONS', $3, $4) ON CONFLICT DO NOTHING",
                tenant_id,
                subject,
                request_id,
                now,
            )
            note = "notifikasi dihentikan / notifications stopped"
        await _finish(tenant_id, request_id, principal.name, "DONE", note, now)
        await _audit(
            "privacy.request.done",
            principal,
            tenant_id,
            subject,
            request=str(request_id),
            right=right,
            note=note,
        )
        await anonymise.delete_files(store, keys)
    return note


async def _correct(tenant_id: uuid.UUID, subject: uuid.UUID, raw: Any) -> str:
    correction = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    name, phone = correction.get("full_name"), correction.get("phone")
    if phone is not None:
        taken = await db.fetch("SELECT 1 FROM users WHERE phone = $1 AND id <> $2", phone, subject)
        if taken:
            raise Conflict(
                "nomor itu dipakai akun lain / another account has that number", field="phone"
            )
    await db.fetch(
        "UPDATE users SET full_name = coalesce($2, full_name), phone = coalesce($3, phone)"
        " WHERE id = $1",
        subject,
        name,
        phone,
    )
    await db.fetch(
        "UPDATE reports SET reporter_name = coalesce($3, reporter_name),"
        " reporter_phone = CASE WHEN $4::text IS NULL THEN reporter_phone ELSE $4 END"
        " WHERE tenant_id = $1 AND reporter_user_id = $2 AND identity_erased_at IS NULL",
        tenant_id,
        subject,
        name,
        phone,
    )
    fields = [k for k in ("full_name", "phone") if correction.get(k) is not None]
    return "diperbaiki / corrected: " + ", ".join(fields)


async def _erase(tenant_id: uuid.UUID, subject: uuid.UUID, now: datetime) -> tuple[str, list[str]]:
    staff = await db.fetch(
        "SELECT 1 FROM memberships WHERE user_id = $1 AND role <> 'citizen'", subject
    )
    if staff:
        raise Conflict(
            "akun petugas ditutup lewat menu Personel / staff accounts are closed through People",
            field="id",
        )
    ids = [
        r["id"]
        for r in await db.fetch(
            "SELECT id FROM reports WHERE tenant_id = $1 AND reporter_user_id = $2",
            tenant_id,
            subject,
        )
    ]
    done = await anonymise.anonymise_reports(tenant_id, ids, identity=True, photos=True, now=now)
    await anonymise.anonymise_account(tenant_id, subject, now=now)
    note = f"{len(done.identities)} laporan dianonimkan, {len(done.storage_keys)} foto dihapus"
    note += f" / {len(done.identities)} reports anonymised, {len(done.storage_keys)} photos removed"
    if done.held:
        note += f"; ditahan (legal hold) / kept under legal hold: {', '.join(done.held)}"
    return note, done.storage_keys


async def list_requests(
    tenant_id: uuid.UUID, statuses: list[str] | None, first: int
) -> list[dict[str, Any]]:
    """This command's requests, open ones first by due time, then the newest closed."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            _COLUMNS + " WHERE tenant_id = $1 AND ($2::text[] IS NULL OR status = ANY($2))"
            " ORDER BY status IN ('DONE', 'REFUSED'), due_at, id LIMIT $3",
            tenant_id,
            statuses,
            first,
        )
    return [dict(r) for r in rows]


async def requests_of(tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """One person's requests here, newest first (at most 100)."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            _COLUMNS + " WHERE tenant_id = $1 AND subject_user_id = $2"
            " ORDER BY received_at DESC, id LIMIT 100",
            tenant_id,
            user_id,
        )
    return [dict(r) for r in rows]


async def request_row(tenant_id: uuid.UUID, request_id: uuid.UUID) -> dict[str, Any] | None:
    """One request, or None (also for another command's)."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(_COLUMNS + " WHERE tenant_id = $1 AND id = $2", tenant_id, request_id)
    return dict(rows[0]) if rows else None


async def logs_of(
    tenant_id: uuid.UUID, request_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The steps of each request, oldest first, in one statement."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT request_id, at, actor, step, note FROM data_subject_request_log"
            " WHERE tenant_id = $1 AND request_id = ANY($2::uuid[]) ORDER BY at, id",
            tenant_id,
            request_ids,
        )
    out: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in request_ids}
    for r in rows:
        out[r["request_id"]].append(dict(r))
    return out
