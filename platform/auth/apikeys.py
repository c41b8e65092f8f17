"""API keys for integrators: shown once, stored as a SHA-256 hash, found by prefix.

Keys carry 256 bits of randomness, so a fast hash is enough (a slow password hash
would cost every API call tens of milliseconds for no gain).

A key may carry an expiry (``expires_at``); an expired or revoked key is refused with
401. ``last_used_at`` is kept without a write per request: the lookup itself is one
statement that also stamps the key, but only when the stamp is older than
:data:`LAST_USED_GRANULARITY` (so a busy key costs one write a minute).

Retrying a create (``clientKey``): the full key is never stored, yet a retry whose first
answer was lost must show the same key. So a key created under a client key is
*derived*: ``HMAC-SHA256(JOGO_SECRET_KEY, tenant | caller scope | key id | client key)``;
the retry finds the key id the first try claimed and derives the same key again (the
same trade-off as an anonymous report's PIN, see
:func:`jogo.tenants.reports.retries.derived_pin`: the client key is as secret as the API
key; neither a copy of the database nor one with ``JOGO_SECRET_KEY`` beside it derives
the key without the client key). After ``JOGO_SECRET_KEY`` rotated, the derived key no
longer matches the stored hash and the retry is ``CONFLICT`` (revoke it, make another).
Without a client key the secret is random.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jogo.platform import db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import parse_scopes
from jogo.platform.errors import Conflict, InvalidInput, Unauthenticated
from jogo.platform.idempotency import ClientKey
from jogo.platform.registry import TenantInfo

KEY_FORMAT = re.compile(r"^jogo_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
LAST_USED_GRANULARITY = timedelta(seconds=60)
CLI_ACTOR = ("cli", "cli")


@dataclass(frozen=True)
class NewApiKey:
    id: uuid.UUID
    prefix: str
    key: str  # the only time the full key exists outside the caller's hands
    scopes: list[str]
    name: str = ""
    expires_at: datetime | None = None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_api_key(credential: str) -> bool:
    """Whether a bearer credential is meant as an API key (``jogo_`` prefix) rather than an access
    token; says nothing about its validity."""
    return credential.startswith("jogo_")


def _secret(
    secret_key: str | None, tenant_id: uuid.UUID, key_id: uuid.UUID, retry: ClientKey | None
) -> str:
    """43 URL-safe characters: random, or derived from the client key (module doc)."""
    if retry is None or secret_key is None:
        return secrets.token_urlsafe(32)
    message = f"jogo-api-key-v1|{tenant_id}|{retry.scope}|{key_id}|{retry.key}".encode()
    mac = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def check_name(name: str | None) -> str:
    """The key's name, stripped: 1-100 characters. Raises :class:`InvalidInput` on ``name``."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("an API key needs a name of 1-100 characters", field="name")
    return name


def check_expiry(expires_at: datetime | None, field: str = "expiresAt") -> datetime | None:
    """A future, zone-aware moment (or none: the key lives until revoked)."""
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise InvalidInput("the expiry needs a time zone", field=field)
    if expires_at <= datetime.now(UTC):
        raise InvalidInput("the expiry must be in the future", field=field)
    return expires_at


async def _recalled(
    key_id: uuid.UUID, tenant: TenantInfo, retry: ClientKey, secret_key: str | None
) -> NewApiKey:
    rows = await db.fetch(
        "SELECT prefix, key_hash, name, scopes, expires_at FROM api_keys"
        " WHERE id = $1 AND tenant = $2",
        key_id,
        tenant.id,
    )
    if rows:
        row = rows[0]
        key = f"jogo_{row['prefix']}_{_secret(secret_key, tenant.id, key_id, retry)}"
        if hmac.compare_digest(_digest(key), row["key_hash"]):
            return NewApiKey(
                key_id, row["prefix"], key, list(row["scopes"]), row["name"], row["expires_at"]
            )
    raise Conflict(
        "kunci API untuk clientKey ini tidak dapat ditampilkan lagi; cabut dan buat baru. /"
        " The API key of this clientKey can't be shown again; revoke it and create another.",
        field=idempotency.FIELD,
    )


async def insert_key(
    tenant: TenantInfo,
    name: str,
    scopes: list[str],
    actor: tuple[str, str],
    *,
    expires_at: datetime | None,
    retry: ClientKey | None,
    secret_key: str | None,
    replaces: uuid.UUID | None = None,
    trusted_documents_only: bool = False,
) -> tuple[NewApiKey, bool]:
    """Inside the caller's control transaction: a new key, or (``True``) the one an
    earlier try made under ``retry``."""
    key_id = uuid.uuid4()
    earlier = await idempotency.claim(None, retry, key_id)
    if earlier is not None:
        assert retry is not None
        return await _recalled(earlier, tenant, retry, secret_key), True
    prefix = secrets.token_hex(6)
    key = f"jogo_{prefix}_{_secret(secret_key, tenant.id, key_id, retry)}"
    await db.fetch(
        "INSERT INTO api_keys (id, tenant, name, prefix, key_hash, scopes, created_by,"
        " expires_at, replaces, trusted_documents_only)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        key_id,
        tenant.id,
        name,
        prefix,
        _digest(key),
        scopes,
        actor[0],
        expires_at,
        replaces,
        trusted_documents_only,
    )
    return NewApiKey(key_id, prefix, key, scopes, name, expires_at), False


async def create_api_key(
    tenant: TenantInfo,
    name: str,
    scopes: list[str],
    created_by: str = "cli",
    *,
    expires_at: datetime | None = None,
    actor: tuple[str, str] | None = None,
    retry: ClientKey | None = None,
    secret_key: str | None = None,
) -> NewApiKey:
    """A key for ``tenant`` with ``scopes`` (API.md), shown once; audited
    ``apikey.create``. Errors: ``INVALID_INPUT`` (name, scopes, expiresAt), ``CONFLICT``
    (clientKey reused with other input, or a retry that can't show its key again)."""
    name = check_name(name)
    checked = parse_scopes(scopes)
    expires_at = check_expiry(expires_at)
    who = actor or (created_by, "cli")
    async with db.control_tx():
        made, again = await insert_key(
            tenant, name, checked, who, expires_at=expires_at, retry=retry, secret_key=secret_key
        )
        if not again:
            await write_audit(
                "apikey.create",
                actor=who,
                tenant_id=tenant.id,
                target=f"api_key:{made.prefix}",
                detail={"name": name, "scopes": checked, "expires_at": expires_at},
            )
    return made


# One statement per request: find the key, and stamp its use at most once a minute.
_LOOKUP = f"""
WITH k AS (
    SELECT k.id, k.tenant, k.name, k.scopes, k.revoked_at, k.last_used_at,
           k.trusted_documents_only,
           (k.expires_at IS NOT NULL AND k.expires_at <= now()) AS expired
    FROM api_keys k WHERE k.prefix = $1 AND k.key_hash = $2
), touched AS (
    UPDATE api_keys a SET last_used_at = now() FROM k
    WHERE a.id = k.id AND k.revoked_at IS NULL AND NOT k.expired
      AND (k.last_used_at IS NULL
           OR k.last_used_at < now() - interval '{int(LAST_USED_GRANULARITY.total_seconds())} s')
    RETURNING a.id
)
SELECT * FROM k
"""


async def load_key_principal(key: str) -> Principal:
    """The caller of a valid key. Errors (all 401): ``the API key is invalid`` (unknown
    or wrong), ``the API key has been revoked``, ``the API key has expired``."""
    match = KEY_FORMAT.match(key)
    if not match:
        raise Unauthenticated("the API key is invalid")
    # Matching the SHA-256 in SQL leaks nothing usable: the digest of a guess says
    # nothing about the digest of the key.
    rows = await db.fetch(_LOOKUP, match.group(1), _digest(key))
    row = rows[0] if rows else None
    if row is None:
        raise Unauthenticated("the API key is invalid")
    if row["revoked_at"] is not None:
        raise Unauthenticated("the API key has been revoked")
    if row["expired"]:
        raise Unauthenticated("the API key has expired")
    return Principal(
        kind="api_key",
        id=row["id"],
        name=f"api_key:{match.group(1)}:{row['name']}",
        key_tenant_id=row["tenant"],
        scopes=frozenset(row["scopes"]),
        trusted_documents_only=row["trusted_documents_only"],
    )


async def check_key_alive(key_id: uuid.UUID) -> bool:
    """For long-lived connections (:mod:`jogo.platform.auth.revalidate`): raises
    :class:`Unauthenticated` when the key is gone, revoked or expired; else whether it is
    now limited to its trusted documents (:mod:`jogo.platform.auth.trusted`)."""
    rows = await db.fetch(
        "SELECT revoked_at, (expires_at IS NOT NULL AND expires_at <= now()) AS expired,"
        " trusted_documents_only FROM api_keys WHERE id = $1",
        key_id,
    )
    if not rows or rows[0]["revoked_at"] is not None:
        raise Unauthenticated("the API key has been revoked")
    if rows[0]["expired"]:
        raise Unauthenticated("the API key has expired")
    only: bool = rows[0]["trusted_documents_only"]
    return only
