"""What a tenant admin (or the console) does with a command's API keys: list them with
their last use, revoke one, rotate one with an overlap window. Every change is audited
in the same control transaction; another tenant's key is ``NOT_FOUND``, exactly like an
unknown one.

Status, as shown: ``REVOKED`` (``revoked_at`` set), ``EXPIRED`` (``expires_at`` passed),
``EXPIRING`` (expires within :data:`EXPIRING_WITHIN`, e.g. the old key of a rotation),
else ``ACTIVE``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth import revocation
from jogo.platform.auth.apikeys import NewApiKey, check_expiry, insert_key
from jogo.platform.auth.trusted import copy_documents
from jogo.platform.errors import InvalidInput, JogoError, NotFound
from jogo.platform.idempotency import ClientKey
from jogo.platform.registry import TenantInfo

EXPIRING_WITHIN = timedelta(days=7)
MAX_OVERLAP_HOURS = 7 * 24
DEFAULT_OVERLAP_HOURS = 24
PREFIX = re.compile(r"^(?:jogo_)?([0-9a-f]{12})(?:_.*)?$")
_COLUMNS = (
    "id, name, prefix, scopes, created_at, created_by, last_used_at, expires_at,"
    " revoked_at, revoked_by, replaces, trusted_documents_only"
)


class IllegalTransition(JogoError):
    code = "ILLEGAL_TRANSITION"


def status_of(row: Any, now: datetime | None = None) -> str:
    """A key row's status at ``now`` (default: the current UTC time): ``REVOKED``, ``EXPIRED``,
    ``EXPIRING`` (expires within :data:`EXPIRING_WITHIN`, 7 days) or ``ACTIVE``, in that order of
    precedence. ``row`` needs ``revoked_at`` and ``expires_at``."""
    now = now or datetime.now(UTC)
    if row["revoked_at"] is not None:
        return "REVOKED"
    expires = row["expires_at"]
    if expires is not None and expires <= now:
        return "EXPIRED"
    if expires is not None and expires - now <= EXPIRING_WITHIN:
        return "EXPIRING"
    return "ACTIVE"


async def list_api_keys(
    tenant_id: uuid.UUID, first: int, after: tuple[datetime, uuid.UUID] | None = None
) -> list[dict[str, Any]]:
    """The tenant's keys, newest first, ``first + 1`` rows at most (one more tells a next
    page); ``after``: the (created_at, id) of the last row of the previous page."""
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM api_keys WHERE tenant = $1"
        " AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))"
        " ORDER BY created_at DESC, id DESC LIMIT $4",
        tenant_id,
        after[0] if after else None,
        after[1] if after else None,
        first + 1,
    )
    now = datetime.now(UTC)
    return [dict(r) | {"status": status_of(r, now)} for r in rows]


def _not_found() -> NotFound:
    return NotFound("kunci API tidak ditemukan / API key not found", field="id")


async def find_key(tenant_id: uuid.UUID, ident: str) -> uuid.UUID:
    """A key of this tenant by id (UUID) or prefix (``3f9a…`` or the whole key); else
    ``NOT_FOUND`` (also for another tenant's key)."""
    text = (ident or "").strip()
    try:
        rows = await db.fetch(
            "SELECT id FROM api_keys WHERE id = $1 AND tenant = $2", uuid.UUID(text), tenant_id
        )
    except ValueError:
        match = PREFIX.match(text)
        if not match:
            raise _not_found() from None
        rows = await db.fetch(
            "SELECT id FROM api_keys WHERE prefix = $1 AND tenant = $2", match.group(1), tenant_id
        )
    if not rows:
        raise _not_found()
    key_id: uuid.UUID = rows[0]["id"]
    return key_id


async def _locked(tenant_id: uuid.UUID, key_id: uuid.UUID) -> Any:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM api_keys WHERE id = $1 AND tenant = $2 FOR UPDATE",
        key_id,
        tenant_id,
    )
    if not rows:
        raise _not_found()
    return rows[0]


async def key_row(tenant_id: uuid.UUID, key_id: uuid.UUID) -> dict[str, Any]:
    """One key of this tenant as a dict of the listed columns plus ``status``; no secret. Raises
    :class:`NotFound` (also for another tenant's key)."""
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM api_keys WHERE id = $1 AND tenant = $2", key_id, tenant_id
    )
    if not rows:
        raise _not_found()
    return dict(rows[0]) | {"status": status_of(rows[0])}


async def revoke_api_key(
    tenant: TenantInfo, key_id: uuid.UUID, actor: tuple[str, str]
) -> dict[str, Any]:
    """Revoke at once: the next request with it is 401 and its live feeds close (the
    revocation is announced in the same transaction). Revoking a revoked key changes
    nothing. Audited ``apikey.revoke``. Errors: ``NOT_FOUND``."""
    async with db.control_tx():
        row = await _locked(tenant.id, key_id)
        if row["revoked_at"] is None:
            await db.fetch(
                "UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1",
                key_id,
                actor[0],
            )
            await revocation.announce("apikey", key_id)
            await write_audit(
                "apikey.revoke",
                actor=actor,
                tenant_id=tenant.id,
                target=f"api_key:{row['prefix']}",
                detail={"name": row["name"]},
            )
        return await key_row(tenant.id, key_id)


def check_overlap(hours: int | None) -> int:
    """The rotation overlap in hours: ``None`` gives 24, else 0 to 168 (7 days). Raises
    :class:`InvalidInput` on ``overlapHours``."""
    hours = DEFAULT_OVERLAP_HOURS if hours is None else hours
    if not 0 <= hours <= MAX_OVERLAP_HOURS:
        raise InvalidInput(
            f"the overlap is 0 to {MAX_OVERLAP_HOURS} hours (7 days)", field="overlapHours"
        )
    return hours


async def _successor(tenant_id: uuid.UUID, key_id: uuid.UUID) -> str | None:
    """The prefix of the key that replaced ``key_id`` (the newest), if one did."""
    rows = await db.fetch(
        "SELECT prefix FROM api_keys WHERE tenant = $1 AND replaces = $2"
        " ORDER BY created_at DESC LIMIT 1",
        tenant_id,
        key_id,
    )
    return rows[0]["prefix"] if rows else None


def _check_rotatable(status: str, successor: str | None) -> None:
    if successor is not None:
        raise IllegalTransition(
            f"kunci ini sudah diganti oleh {successor}; rotasi kunci itu. / This key was"
            f" already rotated, to {successor}; rotate that one instead.",
            field="id",
        )
    if status in ("REVOKED", "EXPIRED"):
        raise IllegalTransition(
            f"kunci ini sudah {status}; buat kunci baru. / This key is {status};"
            " create a new one instead.",
            field="id",
        )


async def rotate_api_key(
    tenant: TenantInfo,
    key_id: uuid.UUID,
    actor: tuple[str, str],
    *,
    overlap_hours: int | None = None,
    expires_at: datetime | None = None,
    retry: ClientKey | None = None,
    secret_key: str | None = None,
) -> NewApiKey:
    """A new key with the old one's name and scopes, shown once; the old key keeps
    working for ``overlap_hours`` (default 24, at most 168; 0 ends it now) and then
    expires (sooner if it expired sooner anyway). The new key expires at ``expires_at``,
    or by default after as long as the old key was meant to live (never, if it had no
    expiry). A key is rotated once: rotating it again (a retry without clientKey, a
    double click, parallel requests: the row lock lets one win) is
    ``ILLEGAL_TRANSITION`` naming its successor's prefix, so the old key's expiry, which
    the rotation shortened to the overlap, never passes on to a second successor: the
    default lifetime is always measured on the old key's original expiry. A retry with
    the same clientKey answers the same new key. Audited ``apikey.rotate``. Errors:
    ``NOT_FOUND``, ``INVALID_INPUT`` (overlapHours, expiresAt), ``ILLEGAL_TRANSITION``
    (the key is revoked or expired: create a new one; or already rotated: rotate its
    successor), ``CONFLICT`` (clientKey, as for creates)."""
    hours = check_overlap(overlap_hours)
    expires_at = check_expiry(expires_at)
    # A tenant transaction (control-plane tables read alike): the new key takes the old
    # one's trusted documents, a tenant table, with it.
    async with db.tenant_tx(tenant.id):
        old = await _locked(tenant.id, key_id)  # a parallel rotation waits here
        status = status_of(old)
        successor = await _successor(tenant.id, key_id)
        if retry is None:
            _check_rotatable(status, successor)
        if expires_at is None and old["expires_at"] is not None:
            lifetime = old["expires_at"] - old["created_at"]
            expires_at = datetime.now(UTC) + max(lifetime, timedelta(hours=1))
        made, again = await insert_key(
            tenant,
            old["name"],
            list(old["scopes"]),
            actor,
            expires_at=expires_at,
            retry=retry,
            secret_key=secret_key,
            replaces=key_id,
            trusted_documents_only=old["trusted_documents_only"],
        )
        if again:
            return made
        _check_rotatable(status, successor)  # only reached with a fresh client key
        # A key limited to its trusted documents stays so under its new secret.
        await copy_documents(tenant.id, key_id, made.id)
        ends = await db.fetch(
            "UPDATE api_keys SET expires_at = least(coalesce(expires_at, 'infinity'),"
            " now() + make_interval(hours => $2)) WHERE id = $1 RETURNING expires_at",
            key_id,
            hours,
        )
        await write_audit(
            "apikey.rotate",
            actor=actor,
            tenant_id=tenant.id,
            target=f"api_key:{old['prefix']}",
            detail={
                "name": old["name"],
                "new_prefix": made.prefix,
                "old_expires_at": ends[0]["expires_at"],
                "overlap_hours": hours,
            },
        )
    return made
