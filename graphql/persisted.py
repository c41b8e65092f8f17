"""Persisted queries (Apollo's automatic persisted queries, APQ) and trusted documents.

**APQ.** A request may name its document by hash: ``extensions.persistedQuery =
{"version": 1, "sha256Hash": "<64 hex>"}`` (the SHA-256 of the document's UTF-8 text):

- with no ``query``: the document this process knows by that hash runs; an unknown hash
  answers HTTP 200 with ``errors[0].message == "PersistedQueryNotFound"`` and
  ``extensions.code == "PERSISTED_QUERY_NOT_FOUND"`` (what Apollo's clients expect: they
  send the text with the hash once more);
- with ``query`` too: the hash must be the query's (else HTTP 400,
  ``PERSISTED_QUERY_HASH_MISMATCH``), the document is kept, and it runs. A document over
  ``JOGO_GRAPHQL_MAX_DOCUMENT_BYTES`` is refused (HTTP 400, ``INVALID_INPUT`` on
  ``query``), never kept.

Where documents are kept: each API process's memory, in a least-recently-used map bounded
by ``JOGO_GRAPHQL_APQ_CACHE_BYTES`` (document text, plus :data:`ENTRY_BYTES` for each
entry), keyed by the command (or the
national or platform schema) and the hash, so one command's documents never answer
another's callers. Not a shared table, deliberately: the protocol heals a miss by itself
(one more round trip per document and replica, after which that replica knows it), while
a table would turn every anonymous caller's new document into a database write that any
caller could repeat without end, and every miss into a read. Trusted documents, which must
hold on every replica and survive restarts, are in the database.

**Trusted documents.** A key marked ``trustedDocumentsOnly`` runs only the documents its
command's tenant admin registered for it (:mod:`jogo.platform.auth.trusted`): by hash
(the stored text is run), or as the same text. Anything else is refused before it is
priced or run, with no statement beyond the key's own lookup and one indexed read:
HTTP 200 with ``extensions.code == "TRUSTED_DOCUMENT_REQUIRED"`` (a request error in a
GraphQL body, as ``QUERY_TOO_COSTLY``; the GraphQL-over-HTTP spec's ``application/json``
answer). Over the WebSocket the same check runs for every operation
(:class:`TrustedDocuments`).

Whatever the way a document arrives, it then runs as any other: the parser, validation
and planned-completion caches are keyed by its text, and :mod:`jogo.graphql.cost` prices it.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql import GraphQLError
from jogo.platform.auth.trusted import document_hash, too_large, trusted_document
from jogo.platform.errors import InvalidInput, JogoError

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # Apollo's clients match this exact text
HASH = re.compile(r"[0-9a-fA-F]{64}")
FIELD = "extensions.persistedQuery"
TRUSTED_ONLY = (
    "Kunci API ini hanya boleh menjalankan dokumen tepercaya yang didaftarkan untuknya;"
    " kirim dokumen itu atau hash SHA-256-nya (extensions.persistedQuery). / This API key"
    " may run only the trusted documents registered for it; send one of them, or its"
    " SHA-256 in extensions.persistedQuery."
)


class PersistedQueryNotFound(JogoError):
    """The hash names no document this process knows: send the text with it."""

    code = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueryHashMismatch(JogoError):
    """``sha256Hash`` is not the SHA-256 of ``query`` (HTTP 400)."""

    code = "PERSISTED_QUERY_HASH_MISMATCH"


class TrustedDocumentRequired(JogoError):
    """The key runs only its trusted documents, and this is not one of them."""

    code = "TRUSTED_DOCUMENT_REQUIRED"


# What an entry costs beyond its text (its key tuple, the hash and scope strings, the
# map's slot): counted too, or a flood of tiny documents ("{a}#1", "{a}#2", ...) would
# hold some fifty times the bytes the bound names.
ENTRY_BYTES = 512


def _size(text: str) -> int:
    return len(text.encode()) + ENTRY_BYTES


class DocumentStore:
    """Documents by (scope, SHA-256), least recently used first out once they pass
    ``max_bytes``: each counts its UTF-8 text plus :data:`ENTRY_BYTES`. Thread-safe."""

    def __init__(self) -> None:
        self._docs: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, scope: str, sha256: str) -> str | None:
        """The document, marked as recently used; None when unknown."""
        with self._lock:
            text = self._docs.get((scope, sha256))
            if text is not None:
                self._docs.move_to_end((scope, sha256))
            return text

    def put(self, scope: str, sha256: str, text: str, max_bytes: int) -> None:
        """Keep ``text``; drop the least recently used until at most ``max_bytes`` are held
        (a document larger than ``max_bytes`` alone is not kept)."""
        size = _size(text)
        if size > max_bytes:
            return
        with self._lock:
            old = self._docs.pop((scope, sha256), None)
            if old is not None:
                self._bytes -= _size(old)
            self._docs[(scope, sha256)] = text
            self._bytes += size
            while self._bytes > max_bytes:
                _, dropped = self._docs.popitem(last=False)
                self._bytes -= _size(dropped)

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._docs.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._docs)


STORE = DocumentStore()


def persisted_hash(extensions: Any) -> str | None:
    """The lowercase ``sha256Hash`` of a request's ``extensions.persistedQuery``, or None
    when there is none. ``INVALID_INPUT`` for ``extensions`` that is not an object, a
    ``persistedQuery`` that is not ``{"version": 1, "sha256Hash": <64 hex>}``."""
    if extensions is None:
        return None
    if not isinstance(extensions, dict):
        raise InvalidInput("'extensions' must be an object", field="extensions")
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    version = persisted.get("version") if isinstance(persisted, dict) else None
    if not isinstance(persisted, dict) or version != 1 or isinstance(version, bool):
        raise InvalidInput(
            "PersistedQueryNotSupported: only persistedQuery version 1 is supported", field=FIELD
        )
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not HASH.fullmatch(sha):  # all of it ("$" passes a final "\n")
        raise InvalidInput(
            "'sha256Hash' must be 64 hexadecimal characters", field=f"{FIELD}.sha256Hash"
        )
    return sha.lower()


def _trusted_only(context: Any) -> bool:
    principal = context.principal
    return principal.kind == "api_key" and principal.trusted_documents_only


async def _trusted_text(context: Any, sha256: str) -> str | None:
    tenant, principal = context.tenant, context.principal
    if tenant is None or principal.id is None:  # keys live in one command
        return None
    return await trusted_document(tenant.id, principal.id, sha256)


async def resolve(request: Any, context: Any, scope: str) -> Any:
    """The request with its document (a ``GraphQLRequest`` of :mod:`jogo.graphql.http`).

    Raises :class:`PersistedQueryNotFound` and :class:`TrustedDocumentRequired` (both
    answered in a GraphQL body with HTTP 200), :class:`PersistedQueryHashMismatch` and
    ``INVALID_INPUT`` (HTTP 400). A trusted-documents key's document, found, is marked
    on the context (``trusted_sha256``) so that :class:`TrustedDocuments` does not look
    it up again."""
    sha = request.persisted
    trusted_only = _trusted_only(context)
    if sha is None and not trusted_only:
        return request
    settings = context.settings
    query = request.query
    if query is not None:
        given = document_hash(query)
        if sha is not None and given != sha:
            raise PersistedQueryHashMismatch(
                "sha256Hash bukan SHA-256 dari query (UTF-8, heksadesimal huruf kecil) /"
                " sha256Hash is not the SHA-256 of the query (its UTF-8 text, lowercase hex)",
                field=f"{FIELD}.sha256Hash",
            )
        if sha is not None and len(query.encode()) > settings.graphql_max_document_bytes:
            raise InvalidInput(too_large(settings.graphql_max_document_bytes), field="query")
        if trusted_only:
            if await _trusted_text(context, given) is None:
                raise TrustedDocumentRequired(TRUSTED_ONLY)
            context.trusted_sha256 = given
        elif sha is not None:
            STORE.put(scope, sha, query, settings.graphql_apq_cache_bytes)
        return request
    assert sha is not None  # parse_body: no query without a hash
    if trusted_only:
        text = await _trusted_text(context, sha)
        if text is None:
            raise TrustedDocumentRequired(TRUSTED_ONLY)
        context.trusted_sha256 = sha
        return replace(request, query=text)
    text = STORE.get(scope, sha)
    if text is None:
        raise PersistedQueryNotFound(NOT_FOUND_MESSAGE)
    return replace(request, query=text)


class TrustedDocuments(SchemaExtension):
    """Every transport: a trusted-documents key's operation must be one of its trusted
    documents, checked before it is priced or run (``TRUSTED_DOCUMENT_REQUIRED``). Over
    HTTP :func:`resolve` has checked it already; over the WebSocket it is checked here."""

    async def on_execute(self) -> AsyncIterator[None]:
        """Refuse a document that is not one of the key's trusted documents."""
        ec = self.execution_context
        context = ec.context
        principal = getattr(context, "principal", None)
        if principal is not None and _trusted_only(context) and ec.query is not None:
            sha = document_hash(ec.query)
            known = getattr(context, "trusted_sha256", None) == sha
            if not known and await _trusted_text(context, sha) is None:
                raise GraphQLError(TRUSTED_ONLY, extensions={"code": TrustedDocumentRequired.code})
        yield


def in_body(exc: JogoError) -> dict[str, Any]:
    """The GraphQL body of a refusal answered with HTTP 200 (no ``data``: the operation
    never started)."""
    return {"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}


ANSWERED_IN_BODY = (PersistedQueryNotFound, TrustedDocumentRequired)
__all__ = [
    "ANSWERED_IN_BODY",
    "STORE",
    "DocumentStore",
    "PersistedQueryHashMismatch",
    "PersistedQueryNotFound",
    "TrustedDocumentRequired",
    "TrustedDocuments",
    "in_body",
    "persisted_hash",
    "resolve",
]
