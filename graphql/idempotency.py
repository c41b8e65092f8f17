"""The client key of a create mutation: the ``clientKey`` argument (or input field), the
``Idempotency-Key`` HTTP header, or both (:mod:`jogo.platform.idempotency`).

Rules, the same for every create in every schema:

- The header belongs to the request. It applies only when the request's operation has
  exactly one root field (``mutation { submitReport(...) { ... } }``). With several root
  fields (``a: submitReport(...) b: submitReport(...)``) it would name several objects,
  so every create in such a request answers ``INVALID_INPUT`` on ``Idempotency-Key`` and
  makes nothing; send ``clientKey`` on each field instead. Mutations that create nothing
  ignore the header.
- Header and ``clientKey`` both given: they must be equal, else ``CONFLICT`` on
  ``clientKey``.
- Over a WebSocket there are no per-operation headers: only ``clientKey`` counts.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql import FieldNode
from jogo.graphql.context import Context
from jogo.graphql.http import UploadedFile
from jogo.platform import idempotency
from jogo.platform.errors import InvalidInput
from jogo.platform.idempotency import ClientKey

HEADER = "Idempotency-Key"
CLIENT_KEY = (
    "Optional: 16-100 characters of A-Z, a-z, 0-9, _ or - (e.g. a UUID) that the client"
    " makes once per create and sends with every retry; the Idempotency-Key HTTP header"
    " does the same for a request with one mutation field (both given: they must be equal,"
    " else CONFLICT). A retry with the same key and input within 24 hours answers with the"
    " first try's object (for a report: same ticket and PIN) and creates nothing; the same"
    " key with other input is CONFLICT. After 24 hours the key is free again. Keys are per"
    " signed-in user or API key; for anonymous reports the key alone finds the report, so"
    " keep it as secret as the PIN."
)
ClientKeyArgument = Annotated[str | None, strawberry.argument(description=CLIENT_KEY)]


def _root_fields(info: Info[Context, None]) -> int:
    """How many root fields the request's operation selects (``__typename`` aside); a
    fragment at the root counts as two, as it may hide several."""
    count = 0
    for selection in info.operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            count += selection.name.value != "__typename"
        else:
            count += 2
    return count


def request_key(info: Info[Context, None], given: str | None) -> str | None:
    """The key of this create: ``given`` (``clientKey``) and/or the request's header.
    Raises ``InvalidInput`` (malformed, or the header on a request of several root
    fields) or ``IdempotencyConflict`` (``CONFLICT``: header and ``clientKey`` differ)."""
    header = info.context.idempotency_key
    if header is not None and _root_fields(info) != 1:
        raise InvalidInput(
            "Header Idempotency-Key hanya berlaku untuk permintaan dengan satu mutation;"
            " pakai clientKey pada tiap mutation. / The Idempotency-Key header applies only"
            " to a request with exactly one mutation field; send clientKey on each field.",
            field=HEADER,
        )
    return idempotency.merge_keys(header, given)


def plain(value: Any) -> Any:
    """``value`` as JSON-able data for :func:`~jogo.platform.idempotency.digest`:
    strawberry inputs as objects, enums as their values, files as their SHA-256."""
    if isinstance(value, UploadedFile):
        return hashlib.sha256(value.data).hexdigest()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def sealed(secret: str | None, secret_key: str) -> str | None:
    """A secret of the input (an agency's connector secret) as it counts for the digest:
    HMAC-SHA256 under ``JOGO_SECRET_KEY``, so the stored digest is no way to test guesses
    of the secret."""
    if secret is None:
        return None
    return hmac.new(secret_key.encode(), secret.encode(), hashlib.sha256).hexdigest()


def retry_key(
    info: Info[Context, None], operation: str, given: str | None, arguments: Mapping[str, Any]
) -> ClientKey | None:
    """The :class:`ClientKey` of one create, or ``None`` without a key. ``arguments``:
    the mutation's arguments but the key (inputs as strawberry objects are fine), which
    decide whether a retry is the same request. Call it inside ``attempt`` so its errors
    are typed."""
    key = request_key(info, given)
    return idempotency.client_key(operation, info.context.principal, key, plain(arguments))
