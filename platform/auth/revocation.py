"""Tell every API process that a principal lost its rights, inside the transaction that
took them: ``NOTIFY jogo_principal_revoked, '<kind>:<id>'`` is delivered on COMMIT only,
so a rolled-back revocation announces nothing."""

from __future__ import annotations

import uuid

from jogo.platform import db

CHANNEL = "jogo_principal_revoked"


async def announce(kind: str, principal_id: uuid.UUID) -> None:
    """Queue the notice ``<kind>:<principal_id>`` (``apikey`` or ``user``) on the current
    transaction's connection (``db.fetch`` joins it); sent when it commits."""
    await db.fetch("SELECT pg_notify($1, $2)", CHANNEL, f"{kind}:{principal_id}")
