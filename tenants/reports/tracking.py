"""Following a report by ticket and PIN: one set of rules for every way in (the
``trackReport`` query, and the no-JavaScript page ``/t/{slug}/lacak``).

Counted first, per caller address and per ticket (:data:`TRACK_BY_CLIENT`,
:data:`TRACK_BY_TICKET`: a PIN has 10^8 values). A wrong PIN and an unknown ticket
answer alike (None). A ticket this command transferred is followed to the command that
holds it now, with the same PIN and the same guessing budget per ticket; a suspended
command's reports are served nowhere.

The PIN is checked against its stored HMAC (:func:`jogo.platform.auth.passwords.check_pin`,
keyed from ``JOGO_SECRET_KEY``). A PIN still stored as an argon2 hash (reports from before
issue 18) is checked with argon2, under the process's argon2 bound, and on its first right
answer is stored again in the HMAC form, so each such report pays argon2 once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jogo.platform import db
from jogo.platform.auth.passwords import check_pin
from jogo.platform.registry import TenantInfo
from jogo.tenants.reports import queries
from jogo.tenants.reports.limits import TRACK_BY_CLIENT, TRACK_BY_TICKET, per_tenant
from jogo.tenants.reports.transfer import current_home


@dataclass(frozen=True)
class Tracked:
    """What an anonymous reporter may see: the command holding the report now (``home``),
    the report's row (``REPORT_COLUMNS``), its category's row and its public timeline
    (``report_events`` rows, oldest first)."""

    home: TenantInfo
    report: dict[str, Any]
    category: dict[str, Any]
    timeline: list[dict[str, Any]]


async def track(
    tenant: TenantInfo, client: str | None, ticket: str, pin: str, secret_key: str
) -> Tracked | None:
    """The report with this ticket and PIN as its reporter may see it, or None (a wrong
    PIN, an unknown ticket, or a transfer to a suspended command look the same).
    ``secret_key``: ``JOGO_SECRET_KEY``, which keys the stored PINs.

    Errors: :class:`~jogo.platform.ratelimit.RateLimited` (``RATE_LIMITED``): 30 tries a
    minute per caller address and 10 a minute per ticket, in each command it is asked at.
    """
    ticket_key = (ticket or "").strip().upper()
    await TRACK_BY_CLIENT.hit(per_tenant(tenant.id, client))
    await TRACK_BY_TICKET.hit(per_tenant(tenant.id, ticket_key))
    home = tenant
    row = await _opened(tenant.id, ticket, pin, secret_key)
    if row is None:
        # Transferred away? Then it is tracked where it lives now, with the same PIN.
        moved = await current_home(tenant.id, ticket)
        # A suspended command's reports are served nowhere, not even through here.
        if moved is None or not moved.active:
            return None
        home = moved
        # One guessing budget per ticket, whichever endpoint the guesses come through.
        await TRACK_BY_TICKET.hit(per_tenant(home.id, ticket_key))
        row = await _opened(home.id, ticket, pin, secret_key)
        if row is None:
            return None
    timeline = await queries.events_by_report(home.id, [row["id"]], internal=False)
    categories = await queries.categories_by_id(home.id, [row["category_id"]])
    return Tracked(home, row, categories[row["category_id"]], timeline.get(row["id"], []))


async def _opened(
    tenant_id: uuid.UUID, ticket: str, pin: str, secret_key: str
) -> dict[str, Any] | None:
    """The report (``REPORT_COLUMNS``) if this command holds the ticket and the PIN is right,
    else None (a wrong PIN and an unknown ticket alike)."""
    row = await queries.report_by_ticket(tenant_id, ticket)
    stored = row.pop("pin_hash") if row else None
    check = await check_pin(stored, secret_key, row["id"] if row else None, (pin or "").strip())
    if row is None or not check.ok:
        return None
    if check.upgrade is not None:
        # An argon2 PIN hash, right: stored again as its HMAC, in a transaction of its own
        # (argon2 ran outside any, so no connection waited on it). Only if it is still
        # the hash just checked: a parallel upgrade writes the same value anyway.
        async with db.tenant_tx(tenant_id):
            await db.fetch(
                "UPDATE reports SET pin_hash = $3 WHERE id = $1 AND pin_hash = $2",
                row["id"],
                stored,
                check.upgrade,
            )
    return row
