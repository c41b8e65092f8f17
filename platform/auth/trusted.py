"""Trusted documents: the GraphQL operations a command's tenant admin registered for one
API key, and the key's mode that limits it to them.

A document is stored with its SHA-256 (lowercase hex of its UTF-8 text, exactly as
Apollo's ``persistedQuery.sha256Hash``), per command and key, in ``trusted_documents``
(a tenant table under FORCE RLS: one command never reads another's). A key marked
``trusted_documents_only`` (``api_keys``, read with the key on every request) may run
only those documents: by hash, or as the same text (:mod:`jogo.graphql.persisted`).

Bounds: a document is at most ``JOGO_GRAPHQL_MAX_DOCUMENT_BYTES``; one call registers
at most :data:`MAX_PER_CALL` documents, and a key holds at most :data:`MAX_PER_KEY`,
checked under the key's row lock so parallel registrations cannot pass it together.
Registering a document the key already has changes nothing (idempotent, also in
parallel). Every change is audited in its own transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth import revocation
from jogo.platform.errors import InvalidInput, NotFound

MAX_PER_CALL = 100
MAX_PER_KEY = 500
NOT_FOUND = "kunci API tidak ditemukan / API key not found"


def document_hash(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8) as 64 lowercase hex characters."""
    return hashlib.sha256(text.encode()).hexdigest()


def too_large(limit: int) -> str:
    """The refusal of a document over ``limit`` bytes, in both languages."""
    return (
        f"dokumen GraphQL lebih dari {limit} byte (JOGO_GRAPHQL_MAX_DOCUMENT_BYTES) /"
        f" the GraphQL document is larger than {limit} bytes (JOGO_GRAPHQL_MAX_DOCUMENT_BYTES)"
    )


async def _locked_key(tenant_id: uuid.UUID, key_id: uuid.UUID) -> Any:
    rows = await db.fetch(
        "SELECT id, prefix, trusted_documents_only FROM api_keys"
        " WHERE id = $1 AND tenant = $2 FOR UPDATE",
        key_id,
        tenant_id,
    )
    if not rows:
        raise NotFound(NOT_FOUND, field="keyId")
    return rows[0]


async def register_documents(
    tenant_id: uuid.UUID,
    key_id: uuid.UUID,
    documents: list[str],
    actor: tuple[str, str],
    *,
    max_bytes: int,
) -> list[dict[str, Any]]:
    """Store ``documents`` (already checked against the schema by the caller) for the
    command's key ``key_id``; returns every document the key now has that this call
    named (``sha256``, ``document``, ``created_at``, ``created_by``), in the order given,
    duplicates once. One already registered keeps its first registration. Audited
    ``apikey.trusted_documents.add`` when something was added. Errors: ``NOT_FOUND``
    (unknown key, or another command's), ``INVALID_INPUT`` on ``documents`` (none, more
    than :data:`MAX_PER_CALL`, or the key would hold more than :data:`MAX_PER_KEY`) or
    ``documents.<i>`` (over ``max_bytes``)."""
    if not documents:
        raise InvalidInput(
            "kirim paling sedikit satu dokumen / send at least one document", field="documents"
        )
    if len(documents) > MAX_PER_CALL:
        raise InvalidInput(
            f"paling banyak {MAX_PER_CALL} dokumen sekali kirim /"
            f" at most {MAX_PER_CALL} documents per call",
            field="documents",
        )
    for i, text in enumerate(documents):
        if len(text.encode()) > max_bytes:
            raise InvalidInput(too_large(max_bytes), field=f"documents.{i}")
    hashes = list(dict.fromkeys(document_hash(t) for t in documents))
    texts = {document_hash(t): t for t in documents}
    async with db.tenant_tx(tenant_id):
        key = await _locked_key(tenant_id, key_id)  # parallel registrations queue here
        rows = await db.fetch(
            "SELECT count(*) FILTER (WHERE NOT sha256 = ANY($2)) AS others,"
            " count(*) FILTER (WHERE sha256 = ANY($2)) AS known"
            " FROM trusted_documents WHERE api_key_id = $1",
            key_id,
            hashes,
        )
        if rows[0]["others"] + len(hashes) > MAX_PER_KEY:
            raise InvalidInput(
                f"satu kunci menyimpan paling banyak {MAX_PER_KEY} dokumen /"
                f" a key holds at most {MAX_PER_KEY} documents",
                field="documents",
            )
        added = await db.fetch(
            "INSERT INTO trusted_documents (tenant_id, api_key_id, sha256, document, created_by)"
            " SELECT $1, $2, h, d, $5 FROM unnest($3::text[], $4::text[]) AS t(h, d)"
            " ON CONFLICT (tenant_id, api_key_id, sha256) DO NOTHING RETURNING sha256",
            tenant_id,
            key_id,
            hashes,
            [texts[h] for h in hashes],
            actor[0],
        )
        if added:
            await write_audit(
                "apikey.trusted_documents.add",
                actor=actor,
                tenant_id=tenant_id,
                target=f"api_key:{key['prefix']}",
                detail={"sha256": [r["sha256"] for r in added]},
            )
        stored = await db.fetch(
            "SELECT sha256, document, created_at, created_by FROM trusted_documents"
            " WHERE api_key_id = $1 AND sha256 = ANY($2)",
            key_id,
            hashes,
        )
    by_hash = {r["sha256"]: dict(r) for r in stored}
    return [by_hash[h] for h in hashes]


async def remove_documents(
    tenant_id: uuid.UUID, key_id: uuid.UUID, hashes: list[str], actor: tuple[str, str]
) -> int:
    """Forget the key's documents with these SHA-256s; returns how many were removed (an
    unknown hash is no error). Audited ``apikey.trusted_documents.remove``. Errors:
    ``NOT_FOUND`` (unknown key, or another command's)."""
    wanted = [h.strip().lower() for h in hashes]
    async with db.tenant_tx(tenant_id):
        key = await _locked_key(tenant_id, key_id)
        gone = await db.fetch(
            "DELETE FROM trusted_documents WHERE api_key_id = $1 AND sha256 = ANY($2)"
            " RETURNING sha256",
            key_id,
            wanted,
        )
        if gone:
            await write_audit(
                "apikey.trusted_documents.remove",
                actor=actor,
                tenant_id=tenant_id,
                target=f"api_key:{key['prefix']}",
                detail={"sha256": [r["sha256"] for r in gone]},
            )
    return len(gone)


async def set_documents_only(
    tenant_id: uuid.UUID, key_id: uuid.UUID, only: bool, actor: tuple[str, str]
) -> None:
    """Limit the key to its trusted documents (``only``), or lift the limit. The next
    request of the key obeys it; an open socket at its next operation. Setting what is
    already set changes nothing. Audited ``apikey.trusted_documents_only``. Errors:
    ``NOT_FOUND`` (unknown key, or another command's)."""
    async with db.tenant_tx(tenant_id):
        key = await _locked_key(tenant_id, key_id)
        if key["trusted_documents_only"] == only:
            return
        await db.fetch(
            "UPDATE api_keys SET trusted_documents_only = $2 WHERE id = $1", key_id, only
        )
        # Open sockets of the key are re-checked at once and pick up the new mode.
        await revocation.announce("apikey", key_id)
        await write_audit(
            "apikey.trusted_documents_only",
            actor=actor,
            tenant_id=tenant_id,
            target=f"api_key:{key['prefix']}",
            detail={"only": only},
        )


async def list_documents(tenant_id: uuid.UUID, key_id: uuid.UUID) -> list[dict[str, Any]]:
    """The key's documents, oldest first (at most :data:`MAX_PER_KEY`): ``sha256``,
    ``document``, ``created_at``, ``created_by``. Errors: ``NOT_FOUND``."""
    async with db.read_tx(tenant_id):
        known = await db.fetch(
            "SELECT 1 FROM api_keys WHERE id = $1 AND tenant = $2", key_id, tenant_id
        )
        if not known:
            raise NotFound(NOT_FOUND, field="keyId")
        rows = await db.fetch(
            "SELECT sha256, document, created_at, created_by FROM trusted_documents"
            " WHERE api_key_id = $1 ORDER BY created_at, sha256",
            key_id,
        )
    return [dict(r) for r in rows]


async def trusted_document(tenant_id: uuid.UUID, key_id: uuid.UUID, sha256: str) -> str | None:
    """The text of the key's trusted document with this hash, or None: one statement, in
    a tenant transaction of its own (before the request's reads begin)."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT document FROM trusted_documents WHERE api_key_id = $1 AND sha256 = $2",
            key_id,
            sha256,
        )
    return rows[0]["document"] if rows else None


async def copy_documents(tenant_id: uuid.UUID, old_key: uuid.UUID, new_key: uuid.UUID) -> None:
    """Inside the caller's tenant transaction (a rotation): the new key gets the old
    key's documents."""
    await db.fetch(
        "INSERT INTO trusted_documents (tenant_id, api_key_id, sha256, document, created_at,"
        " created_by) SELECT tenant_id, $2, sha256, document, created_at, created_by"
        " FROM trusted_documents WHERE api_key_id = $1 ON CONFLICT DO NOTHING",
        old_key,
        new_key,
    )
