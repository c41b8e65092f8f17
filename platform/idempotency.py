"""Creates that a client may retry: one object per client key, however often it is sent.

Mobile networks drop answers: a phone that sent a report and lost the connection during or
after the commit cannot know whether it was stored, so it sends again. A client that makes
one key per submission (a UUID, 16-100 characters of ``[A-Za-z0-9_-]``) and sends it with
every try gets the object of the first try back, never a second one.

A key is unique per tenant, operation and caller scope (:func:`scope_of`): a signed-in user
(``user:<id>``) or an API key (``api_key:<id>``) has keys of its own; every caller who is
not signed in shares the scope ``anonymous``, so there the key alone names the object and
is as secret as whatever the first answer held (an anonymous report's PIN).

The row in ``idempotency_keys`` (migration 0012; creates that make a tenant use the
control-plane ``platform_idempotency_keys``, migration 0016) holds a SHA-256 of the key
(:attr:`ClientKey.stored`), the object's id and a SHA-256 of the canonical input
(:func:`digest`). The same key with other input is
:class:`IdempotencyConflict` (code ``CONFLICT``) on the field ``clientKey``.

Keys live :data:`TTL` (24 hours): a retry within that time answers with the first object;
after it the key is free again and makes a new object. Expired rows are purged by the
creates themselves: every claim first deletes up to :data:`PURGE_BATCH` expired rows of
its own tenant (``FOR UPDATE SKIP LOCKED``, so parallel creates never wait on one
another), which keeps each tenant's table bounded by roughly one day of keys.

Use, inside the create's own tenant transaction and as its first statement::

    earlier = await claim(tenant_id, key, new_id)
    if earlier is not None:
        return earlier  # a retry: nothing else is written

:func:`claim` inserts with ``ON CONFLICT``: of parallel duplicates, one inserts and the
others wait on the unique key until it commits (then they get its object) or rolls back
(then one of them inserts); a row older than :data:`TTL` is taken over. A create that
fails rolls its claim back with it, so a failed try never blocks the retry. :func:`recall`
looks a key up without claiming it, so a retry can be answered before any limit is counted.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jogo.platform import db
from jogo.platform.auth.principal import Principal
from jogo.platform.errors import Conflict, InvalidInput

FIELD = "clientKey"
KEY = re.compile(r"[A-Za-z0-9_-]{16,100}")
ANONYMOUS_SCOPE = "anonymous"
TTL = timedelta(hours=24)
PURGE_BATCH = 100
_TTL_SQL = "interval '24 hours'"
TENANT_TABLE = "idempotency_keys"
CONTROL_TABLE = "platform_idempotency_keys"


class IdempotencyConflict(Conflict):
    """The key was used before (within :data:`TTL`) with other input: code ``CONFLICT``."""

    code = "CONFLICT"


@dataclass(frozen=True)
class ClientKey:
    """One create's key: ``operation`` (the mutation's name), ``scope``
    (:func:`scope_of`), ``key`` (as the client sent it), ``digest`` (:func:`digest` of
    the input, 64 hex characters)."""

    operation: str
    scope: str
    key: str
    digest: str

    @property
    def stored(self) -> str:
        """What the table keeps of the key: its SHA-256 (hex). The key itself stays with
        the client, so the table alone can't derive an anonymous report's PIN
        (:func:`jogo.tenants.reports.retries.derived_pin` needs the key)."""
        return hashlib.sha256(self.key.encode("ascii")).hexdigest()


def check_key(value: str | None, field: str = FIELD) -> str | None:
    """``value`` if it is a usable client key, ``None`` if none was given; otherwise
    :class:`InvalidInput` on ``field`` (``clientKey``, or ``Idempotency-Key`` for the
    HTTP header)."""
    if value is None:
        return None
    if not KEY.fullmatch(value):
        raise InvalidInput(
            f"{field} harus 16-100 karakter A-Z, a-z, 0-9, _ atau -, misalnya UUID. /"
            f" {field} must be 16-100 characters of A-Z, a-z, 0-9, _ or -, e.g. a UUID.",
            field=field,
        )
    return value


def merge_keys(header: str | None, given: str | None) -> str | None:
    """The key of one create from the ``Idempotency-Key`` header and the ``clientKey``
    input: either one, or both when they agree. Both and different is
    :class:`IdempotencyConflict` on ``clientKey``; a malformed one is ``InvalidInput``."""
    check_key(header, "Idempotency-Key")
    check_key(given)
    if header is not None and given is not None and header != given:
        raise IdempotencyConflict(
            "Header Idempotency-Key dan clientKey berbeda; kirim satu kunci saja. /"
            " The Idempotency-Key header and clientKey differ; send one key.",
            field=FIELD,
        )
    return given if given is not None else header


def scope_of(principal: Principal) -> str:
    """Whose keys these are: ``user:<id>``, ``api_key:<id>`` or ``anonymous``."""
    if principal.kind == "anonymous" or principal.id is None:
        return ANONYMOUS_SCOPE
    return f"{principal.kind}:{principal.id}"


def digest(canonical: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the input as sorted, compact JSON. ``canonical`` holds what
    decides the object, already normalised (trimmed text, files as their SHA-256), so a
    retry that differs only in spelling that the create ignores is the same input."""
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def client_key(
    operation: str, principal: Principal, key: str | None, canonical: Mapping[str, Any]
) -> ClientKey | None:
    """The :class:`ClientKey` of one call, or ``None`` when the client sent no key."""
    checked = check_key(key)
    if checked is None:
        return None
    return ClientKey(operation, scope_of(principal), checked, digest(canonical))


def _conflict() -> IdempotencyConflict:
    return IdempotencyConflict(
        "clientKey ini sudah dipakai untuk isian lain dalam 24 jam terakhir; buat kunci baru"
        " untuk kiriman baru. / This clientKey was already used with other input in the last"
        " 24 hours; make a new key for a new submission.",
        field=FIELD,
    )


async def recall(key: ClientKey, *, control: bool = False) -> uuid.UUID | None:
    """Inside a tenant transaction (``control``: any transaction, for the control-plane
    keys): the object made under ``key`` within :data:`TTL`, or ``None``. Raises
    :class:`IdempotencyConflict` when that object was made from other input."""
    table = CONTROL_TABLE if control else TENANT_TABLE
    rows = await db.fetch(
        f"SELECT input_sha256, object_id FROM {table}"
        " WHERE operation = $1 AND scope = $2 AND client_key = $3"
        f" AND created_at > now() - {_TTL_SQL}",
        key.operation,
        key.scope,
        key.stored,
    )
    if not rows:
        return None
    if rows[0]["input_sha256"] != key.digest:
        raise _conflict()
    object_id: uuid.UUID = rows[0]["object_id"]
    return object_id


async def purge_expired(*, control: bool = False) -> int:
    """Inside a tenant transaction: delete up to :data:`PURGE_BATCH` of this tenant's keys
    older than :data:`TTL` (RLS keeps it to the tenant; ``control``: the control-plane
    keys). Rows another transaction holds are skipped, never waited for. Returns the
    number deleted."""
    table = CONTROL_TABLE if control else TENANT_TABLE
    rows = await db.fetch(
        f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table}"
        f" WHERE created_at <= now() - {_TTL_SQL} LIMIT {PURGE_BATCH}"
        " FOR UPDATE SKIP LOCKED)) RETURNING 1"
    )
    return len(rows)


async def claim(
    tenant_id: uuid.UUID | None, key: ClientKey | None, object_id: uuid.UUID
) -> uuid.UUID | None:
    """Inside the create's transaction: ``None`` when ``key`` is now this call's (go on
    and create ``object_id``), or when there is no key; else the object an earlier call
    made under it within :data:`TTL` (a retry: create nothing). ``tenant_id`` ``None``:
    the key lives in the control plane (a create that makes a tenant). Raises
    :class:`IdempotencyConflict` as :func:`recall`."""
    if key is None:
        return None
    control = tenant_id is None
    await purge_expired(control=control)
    if control:
        insert = (
            f"INSERT INTO {CONTROL_TABLE} AS k (operation, scope, client_key, input_sha256,"
            " object_id) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (operation, scope, client_key)"
        )
        args: tuple[Any, ...] = (key.operation, key.scope, key.stored, key.digest, object_id)
    else:
        insert = (
            f"INSERT INTO {TENANT_TABLE} AS k (operation, scope, client_key, input_sha256,"
            " object_id, tenant_id) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (tenant_id, operation, scope, client_key)"
        )
        args = (key.operation, key.scope, key.stored, key.digest, object_id, tenant_id)
    for _ in range(3):  # a row seen and gone again (its tenant deleted): try once more
        # An expired row is taken over: after 24 hours the key is free again.
        inserted = await db.fetch(
            insert + " DO UPDATE SET input_sha256 = EXCLUDED.input_sha256,"
            " object_id = EXCLUDED.object_id, created_at = now()"
            f" WHERE k.created_at <= now() - {_TTL_SQL} RETURNING k.object_id",
            *args,
        )
        if inserted:
            return None
        # Read committed: this new statement sees the row the insert waited for.
        earlier = await recall(key, control=control)
        if earlier is not None:
            return earlier
    raise Conflict("clientKey could not be claimed; try again", field=FIELD)


async def settle(tenant_id: uuid.UUID, key: ClientKey | None, object_id: uuid.UUID) -> None:
    """Inside the create's transaction, after :func:`claim`: name the object the create
    made, for a create whose id is only known once its row is written (an upsert).
    Nothing without a key."""
    if key is None:
        return
    await db.fetch(
        f"UPDATE {TENANT_TABLE} SET object_id = $5 WHERE tenant_id = $1 AND operation = $2"
        " AND scope = $3 AND client_key = $4",
        tenant_id,
        key.operation,
        key.scope,
        key.stored,
        object_id,
    )
