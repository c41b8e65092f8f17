"""The only reads of consent: a person's consents at a command, one per purpose."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from jogo.platform import db
from jogo.tenants.consent.purposes import CONSENT_PURPOSES, PURPOSES, Purpose


@dataclass(frozen=True)
class MyConsent:
    """One purpose for one person: the :class:`Purpose` (basis, articles, whether it
    may be withdrawn); ``notice_version`` and ``given_at`` of the consent (sign-up: the
    latest notice accepted here; report: None, its basis is not consent);
    ``withdrawn_at``; ``live``: given and not withdrawn (report: None)."""

    purpose: Purpose
    notice_version: str | None
    given_at: datetime | None
    withdrawn_at: datetime | None
    live: bool | None


async def my_consents(tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[MyConsent]:
    """Every purpose (report, sign_up, notifications, sharing, in that order) with the
    person's state at this command: two statements."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT purpose, notice_version, given_at, withdrawn_at FROM consents"
            " WHERE user_id = $1",
            user_id,
        )
        signed = await db.fetch(
            "SELECT notice_version, accepted_at FROM privacy_consents"
            " WHERE user_id = $1 AND tenant = $2 ORDER BY accepted_at DESC LIMIT 1",
            user_id,
            tenant_id,
        )
    found = {r["purpose"]: r for r in rows}
    out = [MyConsent(PURPOSES["report"], None, None, None, None)]
    if signed:
        out.append(
            MyConsent(
                PURPOSES["sign_up"],
                signed[0]["notice_version"],
                signed[0]["accepted_at"],
                None,
                True,
            )
        )
    else:
        out.append(MyConsent(PURPOSES["sign_up"], None, None, None, False))
    for name in CONSENT_PURPOSES:
        row = found.get(name)
        if row is None:
            out.append(MyConsent(PURPOSES[name], None, None, None, False))
            continue
        given = row["given_at"] if row["notice_version"] else None
        withdrawn = row["withdrawn_at"]
        out.append(
            MyConsent(PURPOSES[name], row["notice_version"], given, withdrawn, withdrawn is None)
        )
    return out
