"""The one way personal data leaves a report or an account: used by erasure requests
(:mod:`.requests`) and by retention (:mod:`.retention`) alike.

What stays: the report as a public-order record (ticket, category, place, times, status,
timeline), so the command's statistics and the national rollups keep counting it; they
never held identity. What goes, for a report (never one under a legal hold):

- identity (``identity=True``): ``reporter_name``, ``reporter_phone``, the link to the
  reporter's account, ``submitted_by``; the reporter's name on the timeline; the
  notification channels left on the report and the addresses of the notifications sent
  about it (one not sent yet becomes DEAD: it has nowhere to go); the sender of the
  WhatsApp/SMS conversation that made it; the reporter block (``data.reporter``) of
  event-webhook bodies kept for replay;
- photos (``photos=True``): the attachment rows; the caller deletes their files at the
  end of the same transaction (:func:`delete_files`), so a run that dies before its
  commit leaves rows pointing at missing files, which the next run removes, and never
  files that nothing points at.

Text a person typed into a title, description or note is not rewritten: the command
reviews it (README, "Personal data (UU PDP)").

Each step is one set-based statement, and marks what it did (``identity_erased_at``,
``photos_erased_at``), so running it again does nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from jogo.platform import db
from jogo.platform.storage import FileStore

log = logging.getLogger("jogo.privacy")

REPORTER = "pelapor"  # what the timeline shows where the reporter's name was
ERASED_ADDRESS = "'dihapus:' || id::text"  # unique per row (one address per event key)
# A notification not yet sent goes nowhere once its address is gone: DEAD, not retried.
ERASED_STATUS = (
    "status = CASE WHEN status IN ('PENDING', 'FAILED', 'SENDING') THEN 'DEAD' ELSE status END,"
    " last_error = CASE WHEN status IN ('PENDING', 'FAILED', 'SENDING')"
    " THEN 'alamat dihapus (UU PDP) / address erased' ELSE last_error END,"
    " next_attempt_at = CASE WHEN status IN ('PENDING', 'FAILED', 'SENDING') THEN NULL"
    " ELSE next_attempt_at END"
)


@dataclass
class Anonymised:
    """What one call did: reports whose identity was removed, photos removed (their
    storage keys, for :func:`delete_files`), and the tickets kept under a legal hold."""

    identities: list[uuid.UUID] = field(default_factory=list)
    photo_reports: list[uuid.UUID] = field(default_factory=list)
    storage_keys: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)


async def anonymise_reports(
    tenant_id: uuid.UUID,
    report_ids: list[uuid.UUID],
    *,
    identity: bool,
    photos: bool,
    now: datetime,
) -> Anonymised:
    """Remove identity and/or photos from ``report_ids`` (in the caller's tenant
    transaction), skipping reports under a legal hold and what was already removed.
    Returns what was done; the caller deletes the files before its commit."""
    out = Anonymised()
    if not report_ids:
        return out
    if identity:
        rows = await db.fetch(
            "WITH old AS (SELECT id, reporter_user_id FROM reports WHERE tenant_id = $1"
            " AND id = ANY($2::uuid[]) AND legal_hold_at IS NULL AND identity_erased_at IS NULL"
            " FOR UPDATE)"
            " UPDATE reports r SET reporter_name = NULL, reporter_phone = NULL,"
            " reporter_user_id = NULL, submitted_by = $3, identity_erased_at = $4"
            " FROM old WHERE r.tenant_id = $1 AND r.id = old.id"
            " RETURNING r.id, old.reporter_user_id",
            tenant_id,
            report_ids,
            REPORTER,
            now,
        )
        out.identities = [r["id"] for r in rows]
        if out.identities:
            await _scrub_report_traces(tenant_id, out.identities, rows)
    if photos:
        rows = await db.fetch(
            "UPDATE reports SET photos_erased_at = $3 WHERE tenant_id = $1"
            " AND id = ANY($2::uuid[]) AND legal_hold_at IS NULL AND photos_erased_at IS NULL"
            " AND EXISTS (SELECT 1 FROM report_attachments a WHERE a.tenant_id = $1"
            " AND a.report_id = reports.id) RETURNING id",
            tenant_id,
            report_ids,
            now,
        )
        out.photo_reports = [r["id"] for r in rows]
        if out.photo_reports:
            gone = await db.fetch(
                "DELETE FROM report_attachments WHERE tenant_id = $1"
                " AND report_id = ANY($2::uuid[]) RETURNING storage_key",
                tenant_id,
                out.photo_reports,
            )
            out.storage_keys = [r["storage_key"] for r in gone]
    # Read after the updates: a hold committed between the caller's listing and the
    # update made the update skip that report, and is named too.
    out.held = [
        r["ticket"]
        for r in await db.fetch(
            "SELECT ticket FROM reports WHERE tenant_id = $1 AND id = ANY($2::uuid[])"
            " AND legal_hold_at IS NOT NULL ORDER BY ticket",
            tenant_id,
            report_ids,
        )
    ]
    return out


async def _scrub_report_traces(
    tenant_id: uuid.UUID, ids: list[uuid.UUID], rows: list[object]
) -> None:
    """Everything about these reports that named their reporter, beyond the report row."""
    users = [r["reporter_user_id"] for r in rows if r["reporter_user_id"] is not None]  # type: ignore[index]
    await db.fetch(
        "UPDATE report_events SET actor_name = $3, actor_id = NULL WHERE tenant_id = $1"
        " AND report_id = ANY($2::uuid[])"
        " AND (kind = 'SUBMITTED' OR actor_id = ANY($4::uuid[]))",
        tenant_id,
        ids,
        REPORTER,
        users,
    )
    await db.fetch(
        f"UPDATE notifications SET address = {ERASED_ADDRESS}, params = params - 'name',"
        f" {ERASED_STATUS} WHERE tenant_id = $1 AND report_id = ANY($2::uuid[])"
        " AND address NOT LIKE 'dihapus:%'",
        tenant_id,
        ids,
    )
    await db.fetch(
        "DELETE FROM notification_channels WHERE tenant_id = $1 AND report_id = ANY($2::uuid[])",
        tenant_id,
        ids,
    )
    await db.fetch(
        "UPDATE intake_conversations SET sender = 'dihapus' WHERE tenant_id = $1"
        " AND report_id = ANY($2::uuid[])",
        tenant_id,
        ids,
    )
    await db.fetch(
        "UPDATE webhook_deliveries SET payload = payload #- '{data,reporter}'"
        " WHERE tenant_id = $1 AND report_id = ANY($2::uuid[]) AND payload->'data' ? 'reporter'",
        tenant_id,
        ids,
    )


async def anonymise_account(tenant_id: uuid.UUID, user_id: uuid.UUID, *, now: datetime) -> bool:
    """Remove a citizen's identity from this command (in the caller's tenant transaction):
    their channels here, the addresses of the notifications this command sent them, the
    sender of their WhatsApp/SMS conversations here, and the correction data of their
    closed requests. Then the account: when the person is a citizen of no other command,
    its name, phone and password go, the username becomes ``dihapus-<12 hex>`` and every
    session and sign-in code is deleted; when they are, only this command's membership
    goes, and the account stays theirs at the others (each command is its own
    controller: erasure here must not stop them using their rights there). The user row
    stays (audit rows and requests point at it). False when the account is not a
    citizen-only account (staff are closed through People) or is gone."""
    rows = await db.fetch(
        "SELECT phone FROM users WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM memberships m"
        " WHERE m.user_id = $1 AND m.role <> 'citizen') FOR UPDATE",
        user_id,
    )
    if not rows:
        return False
    phone = rows[0]["phone"]
    addresses = [
        r["address"]
        for r in await db.fetch(
            "DELETE FROM notification_channels WHERE tenant_id = $1 AND user_id = $2"
            " RETURNING address",
            tenant_id,
            user_id,
        )
    ]
    if phone:
        addresses.append(phone)
        await db.fetch(
            "UPDATE intake_conversations SET sender = 'dihapus' WHERE tenant_id = $1"
            " AND sender = $2",
            tenant_id,
            phone,
        )
    if addresses:
        await db.fetch(
            f"UPDATE notifications SET address = {ERASED_ADDRESS}, {ERASED_STATUS}"
            " WHERE tenant_id = $1 AND address = ANY($2::text[])",
            tenant_id,
            addresses,
        )
    await db.fetch(
        "UPDATE data_subject_requests SET correction = NULL WHERE tenant_id = $1"
        " AND subject_user_id = $2 AND status IN ('DONE', 'REFUSED')",
        tenant_id,
        user_id,
    )
    others = await db.fetch(
        "DELETE FROM memberships WHERE user_id = $1 AND tenant = $2 RETURNING"
        " (SELECT count(*) FROM memberships o WHERE o.user_id = $1 AND o.tenant <> $2) AS n",
        user_id,
        tenant_id,
    )
    if others and others[0]["n"]:
        log.debug("account %s erased at command %s only, at %s", user_id, tenant_id, now)
        return True
    if phone:
        await db.fetch("DELETE FROM phone_codes WHERE phone = $1", phone)
    await db.fetch("DELETE FROM auth_sessions WHERE user_id = $1", user_id)
    await db.fetch("DELETE FROM password_codes WHERE user_id = $1", user_id)
    await db.fetch(
        "UPDATE users SET username = 'dihapus-' || left(md5(id::text), 12), full_name = NULL,"
        " phone = NULL, password_hash = NULL, is_active = false WHERE id = $1",
        user_id,
    )
    log.debug("account %s anonymised at %s", user_id, now)
    return True


async def delete_files(store: FileStore, keys: list[str]) -> int:
    """Delete photo files after the rows went (a missing file is no error). Returns how
    many keys were deleted; a key that fails is logged and left (nothing points at it)."""
    done = 0
    for key in keys:
        try:
            await store.delete(key)
            done += 1
        except (OSError, ValueError) as exc:
            log.warning("could not delete photo %s: %s", key, exc)
    return done
