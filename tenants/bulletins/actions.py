"""The only writes of bulletins. Drafts can be edited; a published message never
changes: an update or a cancel is a new message in the same chain, and the one it
replaces is marked SUPERSEDED or CANCELLED in the same transaction."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from jogo.platform import db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import Conflict, InvalidInput, NotFound
from jogo.platform.registry import TenantInfo
from jogo.tenants.bulletins.content import (
    BulletinInput,
    CleanBulletin,
    clean,
    has_control_characters,
)
from jogo.tenants.webhooks import events as webhooks

# A cancel stays in the CAP feed at least this long, so consumers see it.
CANCEL_VISIBLE = timedelta(hours=1)

_COLUMNS = (
    "tenant_id, id, chain_id, msg_type, status, category, severity, urgency, certainty,"
    " headline, description, instruction, headline_en, description_en, instruction_en,"
    " area_desc, polygon, circle, region_codes, valid_from, valid_until, note,"
    " created_by, published_by, published_at"
)


def _require_writer(tenant: TenantInfo, principal: Principal) -> None:
    if Cap.BULLETINS_WRITE not in principal.tenant_caps(tenant.id):
        raise denied(
            principal, "only operators (or a key with bulletins:write) can write bulletins"
        )


def _user(principal: Principal) -> uuid.UUID | None:
    return principal.id if principal.kind == "user" else None


def _values(content: CleanBulletin) -> tuple[Any, ...]:
    area = content.area
    return (
        content.category,
        content.severity,
        content.urgency,
        content.certainty,
        content.headline,
        content.description,
        content.instruction,
        content.headline_en,
        content.description_en,
        content.instruction_en,
        area.description,
        json.dumps(area.polygon) if area.polygon is not None else None,
        json.dumps(area.circle) if area.circle is not None else None,
        area.region_codes,
        content.valid_from,
        content.valid_until,
    )


async def _insert(
    tenant: TenantInfo,
    principal: Principal,
    content: CleanBulletin,
    *,
    chain_id: uuid.UUID | None,
    msg_type: str,
    published_at: datetime | None,
    note: str | None = None,
    bulletin_id: uuid.UUID | None = None,
) -> uuid.UUID:
    bulletin_id = bulletin_id or uuid.uuid4()
    placeholders = ", ".join(f"${i}" for i in range(1, 26))
    await db.fetch(
        f"INSERT INTO bulletins ({_COLUMNS}) VALUES ({placeholders})",
        tenant.id,
        bulletin_id,
        chain_id or bulletin_id,
        msg_type,
        "DRAFT" if published_at is None else "PUBLISHED",
        *_values(content),
        note,
        _user(principal),
        _user(principal) if published_at else None,
        published_at,
    )
    return bulletin_id


async def _audit(
    action: str, tenant: TenantInfo, principal: Principal, bulletin_id: uuid.UUID, **detail: Any
) -> None:
    await write_audit(
        action,
        principal=principal,
        tenant_id=tenant.id,
        target=f"bulletin:{bulletin_id}",
        detail=detail or None,
    )


async def _lock(bulletin_id: uuid.UUID) -> dict[str, Any]:
    rows = await db.fetch("SELECT * FROM bulletins WHERE id = $1 FOR UPDATE", bulletin_id)
    if not rows:
        raise NotFound("bulletin not found")
    return dict(rows[0])


async def do_draft_bulletin(
    tenant: TenantInfo,
    principal: Principal,
    data: BulletinInput,
    *,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """A draft: visible to operators only, until someone publishes it. ``retry`` (here
    and below): a retry under the same client key returns the first try's bulletin and
    writes nothing (:mod:`jogo.platform.idempotency`)."""
    _require_writer(tenant, principal)
    content = clean(data, tenant.region_code)
    new_id = uuid.uuid4()
    async with db.tenant_tx(tenant.id):
        if (earlier := await idempotency.claim(tenant.id, retry, new_id)) is not None:
            return earlier
        bulletin_id = await _insert(
            tenant,
            principal,
            content,
            chain_id=None,
            msg_type="ALERT",
            published_at=None,
            bulletin_id=new_id,
        )
        await _audit("bulletin.draft", tenant, principal, bulletin_id)
    return bulletin_id


async def do_publish_bulletin(
    tenant: TenantInfo,
    principal: Principal,
    data: BulletinInput | None = None,
    draft_id: uuid.UUID | None = None,
    *,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """Publish new content at once, or publish a draft (exactly one of the two)."""
    _require_writer(tenant, principal)
    if (data is None) == (draft_id is None):
        raise InvalidInput("give either the bulletin's content or a draftId", field="draftId")
    now = datetime.now(UTC)
    if data is not None:
        content = clean(data, tenant.region_code, now)
        new_id = uuid.uuid4()
        async with db.tenant_tx(tenant.id):
            if (earlier := await idempotency.claim(tenant.id, retry, new_id)) is not None:
                return earlier
            bulletin_id = await _insert(
                tenant,
                principal,
                content,
                chain_id=None,
                msg_type="ALERT",
                published_at=now,
                bulletin_id=new_id,
            )
            await _audit("bulletin.publish", tenant, principal, bulletin_id)
            await _announce_published(tenant, bulletin_id)
        return bulletin_id
    assert draft_id is not None
    async with db.tenant_tx(tenant.id):
        if (earlier := await idempotency.claim(tenant.id, retry, draft_id)) is not None:
            return earlier
        row = await _lock(draft_id)
        if row["status"] != "DRAFT":
            raise Conflict("this bulletin is already published", field="draftId")
        if row["valid_until"] <= now:
            raise InvalidInput(
                "the draft's validUntil has passed; edit it before publishing", field="validUntil"
            )
        # A draft whose validFrom has passed takes effect when it is sent (effective >= sent).
        await db.fetch(
            "UPDATE bulletins SET status = 'PUBLISHED', published_at = $2, published_by = $3,"
            " valid_from = greatest(valid_from, $2::timestamptz)"
            " WHERE id = $1",
            draft_id,
            now,
            _user(principal),
        )
        await _audit("bulletin.publish", tenant, principal, draft_id)
        await _announce_published(tenant, draft_id)
    return draft_id


async def _announce_published(tenant: TenantInfo, bulletin_id: uuid.UUID) -> None:
    """Integrators' ``BULLETIN_PUBLISHED`` webhooks, in the publishing transaction."""
    await webhooks.emit(
        tenant.id, ["BULLETIN_PUBLISHED"], bulletin_id, ref={"bulletin_id": str(bulletin_id)}
    )


async def _announce_cancelled(
    tenant: TenantInfo, bulletin_id: uuid.UUID, cancel_id: uuid.UUID | None, reason: str
) -> None:
    """Integrators' ``BULLETIN_CANCELLED`` webhooks, in the cancelling transaction."""
    await webhooks.emit(
        tenant.id,
        ["BULLETIN_CANCELLED"],
        cancel_id or bulletin_id,
        ref={
            "bulletin_id": str(bulletin_id),
            "cancel_id": str(cancel_id) if cancel_id else None,
            "reason": reason,
        },
    )


async def do_update_bulletin(
    tenant: TenantInfo,
    principal: Principal,
    bulletin_id: uuid.UUID,
    data: BulletinInput,
    *,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """A draft is edited in place. A published bulletin gets a CAP Update that references
    it; the answer is the id of the new message."""
    _require_writer(tenant, principal)
    now = datetime.now(UTC)
    content = clean(data, tenant.region_code, now)
    new_id = uuid.uuid4()
    async with db.tenant_tx(tenant.id):
        row = await _lock(bulletin_id)
        # Under the bulletin's lock: a draft is edited in place, a published one gets a
        # new message; a retry of either answers with what the first try made.
        made = bulletin_id if row["status"] == "DRAFT" else new_id
        if (earlier := await idempotency.claim(tenant.id, retry, made)) is not None:
            return earlier
        if row["status"] == "DRAFT":
            await db.fetch(
                "UPDATE bulletins SET (category, severity, urgency, certainty, headline,"
                " description, instruction, headline_en, description_en, instruction_en,"
                " area_desc, polygon, circle, region_codes, valid_from, valid_until)"
                " = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
                " WHERE id = $1",
                bulletin_id,
                *_values(content),
            )
            await _audit("bulletin.edit_draft", tenant, principal, bulletin_id)
            return bulletin_id
        _require_current(row)
        new_id = await _insert(
            tenant,
            principal,
            content,
            chain_id=row["chain_id"],
            msg_type="UPDATE",
            published_at=now,
            bulletin_id=new_id,
        )
        await db.fetch(
            "UPDATE bulletins SET status = 'SUPERSEDED', replaced_at = $2 WHERE id = $1",
            bulletin_id,
            now,
        )
        await _audit("bulletin.update", tenant, principal, new_id, references=str(bulletin_id))
    return new_id


def _require_current(row: dict[str, Any]) -> None:
    if row["status"] == "SUPERSEDED":
        raise Conflict("this bulletin was updated since; act on the newest message", field="id")
    if row["status"] == "CANCELLED" or row["msg_type"] == "CANCEL":
        raise Conflict("this bulletin is cancelled", field="id")
    if row["status"] == "DRAFT":
        raise Conflict("this bulletin is a draft and was never public", field="id")


async def do_cancel_bulletin(
    tenant: TenantInfo,
    principal: Principal,
    bulletin_id: uuid.UUID,
    reason: str,
    *,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """A CAP Cancel referencing the chain; it stays in the feed until the cancelled
    bulletin would have expired (and at least an hour). A bulletin scheduled for later was
    never public: it is withdrawn without a message, so its content never shows."""
    _require_writer(tenant, principal)
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 500 or has_control_characters(reason):
        raise InvalidInput("the reason must be 3-500 characters of text", field="reason")
    now = datetime.now(UTC)
    new_id = uuid.uuid4()
    async with db.tenant_tx(tenant.id):
        row = await _lock(bulletin_id)
        made = bulletin_id if row["valid_from"] > now else new_id  # withdrawn, or a Cancel
        if (earlier := await idempotency.claim(tenant.id, retry, made)) is not None:
            return earlier
        _require_current(row)
        if row["valid_until"] <= now:
            raise Conflict("this bulletin has expired already", field="id")
        if row["valid_from"] > now:
            await db.fetch(
                "UPDATE bulletins SET status = 'CANCELLED', replaced_at = $2, note = $3"
                " WHERE id = $1",
                bulletin_id,
                now,
                reason,
            )
            await _audit("bulletin.withdraw", tenant, principal, bulletin_id, reason=reason)
            await _announce_cancelled(tenant, bulletin_id, None, reason)
            return bulletin_id
        await db.fetch(
            f"INSERT INTO bulletins ({_COLUMNS})"
            " SELECT tenant_id, $2, chain_id, 'CANCEL', 'PUBLISHED', category, severity,"
            " urgency, certainty, headline, description, instruction, headline_en,"
            " description_en, instruction_en, area_desc, polygon, circle, region_codes,"
            " $3, greatest(valid_until, $4), $5, $6, $6, $3 FROM bulletins WHERE id = $1",
            bulletin_id,
            new_id,
            now,
            now + CANCEL_VISIBLE,
            reason,
            _user(principal),
        )
        await db.fetch(
            "UPDATE bulletins SET status = 'CANCELLED', replaced_at = $2 WHERE id = $1",
            bulletin_id,
            now,
        )
        await _audit("bulletin.cancel", tenant, principal, new_id, references=str(bulletin_id))
        await _announce_cancelled(tenant, bulletin_id, new_id, reason)
    return new_id
