"""API keys for integrators: shown once, stored as a SHA-256 hash, found by prefix.

Keys carry 256 bits of randomness, so a fast hash is enough (a slow password hash
would cost every API call tens of milliseconds for no gain).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import parse_scopes
from jogo.platform.errors import InvalidInput, Unauthenticated
from jogo.platform.registry import TenantInfo

KEY_FORMAT = re.compile(r"^jogo_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewApiKey:
    id: uuid.UUID
    prefix: str
    key: str  # the only time the full key exists outside the caller's hands
    scopes: list[str]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith("jogo_")


async def create_api_key(
    tenant: TenantInfo, name: str, scopes: list[str], created_by: str
) -> NewApiKey:
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("an API key needs a name of 1-100 characters", field="name")
    checked = parse_scopes(scopes)
    prefix = secrets.token_hex(6)
    key = f"jogo_{prefix}_{secrets.token_urlsafe(32)}"
    key_id = uuid.uuid4()
    async with db.control_tx():
        await db.fetch(
            "INSERT INTO api_keys (id, tenant, name, prefix, key_hash, scopes, created_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            key_id,
            tenant.id,
            name,
            prefix,
            _digest(key),
            checked,
            created_by,
        )
        await write_audit(
            "apikey.create",
            actor=(created_by, "cli"),
            tenant_id=tenant.id,
            target=f"api_key:{prefix}",
            detail={"name": name, "scopes": checked},
        )
    return NewApiKey(key_id, prefix, key, checked)


async def load_key_principal(key: str) -> Principal:
    match = KEY_FORMAT.match(key)
    if not match:
        raise Unauthenticated("the API key is invalid")
    rows = await db.fetch(
        "SELECT k.id, k.tenant, k.name, k.key_hash, k.scopes, k.revoked_at, t.status"
        " FROM api_keys k JOIN tenants t ON t.id = k.tenant WHERE k.prefix = $1",
        match.group(1),
    )
    row = rows[0] if rows else None
    if row is None or not hmac.compare_digest(row["key_hash"], _digest(key)):
        raise Unauthenticated("the API key is invalid")
    if row["revoked_at"] is not None:
        raise Unauthenticated("the API key has been revoked")
    return Principal(
        kind="api_key",
        id=row["id"],
        name=f"api_key:{match.group(1)}:{row['name']}",
        key_tenant_id=row["tenant"],
        scopes=frozenset(row["scopes"]),
    )
