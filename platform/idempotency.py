"""Creates that a client may retry: one object per client key, however often it is sent.

Mobile networks drop answers: a phone that sent a report and lost the connection during or
after the commit cannot know whether it was stored, so it sends again. A client that makes
one key per submission (a UUID, 16-100 characters of ``[A-Za-z0-9_-]``) and sends it with
every try gets the object of the first try back, never a second one.

A key is unique per tenant, operation and caller scope (:func:`scope_of`): a signed-in user
(``user:<id>``) or an API key (``api_key:<id>``) has keys of its own; every caller who is
not signed in shares the scope ``anonymous``, so there the key alone names the object and
is as secret as whatever the first answer held (an anonymous report's PIN).

The row in ``idempotency_keys`` (migration 0012) holds the object's id and a SHA-256 of
the canonical input (:func:`digest`). The same key with other input is
:class:`IdempotencyConflict` on the field ``clientKey``.

Use, inside the create's own tenant transaction and as its first statement::

    earlier = await claim(key, new_id)
    if earlier is not None:
        return earlier  # a retry: nothing else is written

:func:`claim` inserts with ``ON CONFLICT DO NOTHING``: of parallel duplicates, one
inserts and the others wait on the unique key until it commits (then they get its
object) or rolls back (then one of them inserts). A create that fails rolls its claim
back with it, so a failed try never blocks the retry. :func:`recall` looks a key up
without claiming it, so a retry can be answered before any limit is counted.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jogo.platform import db
from jogo.platform.auth.principal import Principal
from jogo.platform.errors import Conflict, InvalidInput

FIELD = "clientKey"
KEY = re.compile(r"[A-Za-z0-9_-]{16,100}")
ANONYMOUS_SCOPE = "anonymous"


class IdempotencyConflict(Conflict):
    """The key was used before with other input."""

    code = "IDEMPOTENCY_CONFLICT"


@dataclass(frozen=True)
class ClientKey:
    """One create's key: ``operation`` (the mutation's name), ``scope``
    (:func:`scope_of`), ``key`` (as the client sent it), ``digest`` (:func:`digest` of
    the input, 64 hex characters)."""

    operation: str
    scope: str
    key: str
    digest: str


def check_key(value: str | None) -> str | None:
    """``value`` if it is a usable client key, ``None`` if none was given; otherwise
    :class:`InvalidInput` on ``clientKey``."""
    if value is None:
        return None
    if not KEY.fullmatch(value):
        raise InvalidInput(
            "clientKey harus 16-100 karakter A-Z, a-z, 0-9, _ atau -, misalnya UUID. /"
            " clientKey must be 16-100 characters of A-Z, a-z, 0-9, _ or -, e.g. a UUID.",
            field=FIELD,
        )
    return value


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


async def recall(key: ClientKey) -> uuid.UUID | None:
    """Inside a tenant transaction: the object made under ``key``, or ``None``.
    Raises :class:`IdempotencyConflict` when that object was made from other input."""
    rows = await db.fetch(
        "SELECT input_sha256, object_id FROM idempotency_keys"
        " WHERE operation = $1 AND scope = $2 AND client_key = $3",
        key.operation,
        key.scope,
        key.key,
    )
    if not rows:
        return None
    if rows[0]["input_sha256"] != key.digest:
        raise IdempotencyConflict(
            "clientKey ini sudah dipakai untuk isian lain; buat kunci baru untuk kiriman"
            " baru. / This clientKey was already used with other input; make a new key for"
            " a new submission.",
            field=FIELD,
        )
    object_id: uuid.UUID = rows[0]["object_id"]
    return object_id


async def claim(tenant_id: uuid.UUID, key: ClientKey, object_id: uuid.UUID) -> uuid.UUID | None:
    """Inside the create's tenant transaction: ``None`` when ``key`` is now this call's
    (go on and create ``object_id``), else the object an earlier call made under it
    (a retry: create nothing). Raises :class:`IdempotencyConflict` as :func:`recall`."""
    for _ in range(3):  # a row seen and gone again (its tenant deleted): try once more
        inserted = await db.fetch(
            "INSERT INTO idempotency_keys (tenant_id, operation, scope, client_key,"
            " input_sha256, object_id) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT DO NOTHING RETURNING object_id",
            tenant_id,
            key.operation,
            key.scope,
            key.key,
            key.digest,
            object_id,
        )
        if inserted:
            return None
        # Read committed: this new statement sees the row the insert waited for.
        earlier = await recall(key)
        if earlier is not None:
            return earlier
    raise Conflict("clientKey could not be claimed; try again", field=FIELD)
