"""Telling every API process that a caller's rights just ended, so its open sockets
close at once instead of at their next check.

:func:`announce` runs inside the revoking transaction: PostgreSQL delivers the
notification on ``jogo_principal_revoked`` only when that transaction commits (and never
if it rolls back). Each API process listens on the channel with the same connection as
the live report events (:mod:`jogo.platform.notify`) and re-checks the sockets of that
caller (:mod:`jogo.platform.app.ws`): those no longer allowed are closed with 4401 or
4403 and a reason, the others pick up the caller's current roles.

A tenant's status change is announced the same way (kind ``"tenant"``, the tenant's id):
each process drops its cached tenant and re-checks every socket of that tenant, so a
suspended command's live feeds close at once (4403) instead of at their next periodic
re-check.
"""

from __future__ import annotations

import uuid

from jogo.platform import db

CHANNEL = "jogo_principal_revoked"
KINDS = ("user", "apikey", "tenant")


async def announce(kind: str, principal_id: uuid.UUID) -> None:
    """Call inside the transaction that revokes: ``kind`` is ``"user"`` (sessions ended,
    membership ended or changed, password reset), ``"apikey"`` (key revoked) or
    ``"tenant"`` (the tenant's status changed; the id is the tenant's). The payload is
    ``"<kind>:<uuid>"``. Raises ``ValueError`` for another kind."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    await db.fetch("SELECT pg_notify($1, $2 || ':' || $3)", CHANNEL, kind, str(principal_id))


def parse(payload: str) -> tuple[str, uuid.UUID] | None:
    """``(kind, id)`` of a notification's payload; None for a malformed one."""
    kind, _, ref = payload.partition(":")
    if kind not in KINDS:
        return None
    try:
        return kind, uuid.UUID(ref)
    except ValueError:
        return None
