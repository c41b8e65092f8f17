"""Following a report by ticket and PIN: one set of rules for every way in (the
``trackReport`` query, and the no-JavaScript page ``/t/{slug}/lacak``).

Counted first, per caller address and per ticket (:data:`TRACK_BY_CLIENT`,
:data:`TRACK_BY_TICKET`: a PIN has 10^8 values). A wrong PIN and an unknown ticket
answer alike (None). A ticket this command transferred is followed to the command that
holds it now, with the same PIN and the same guessing budget per ticket; a suspended
command's reports are served nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jogo.platform.errors import NotFound
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


async def track(tenant: TenantInfo, client: str | None, ticket: str, pin: str) -> Tracked | None:
    """The report with this ticket and PIN as its reporter may see it, or None (a wrong
    PIN, an unknown ticket, or a transfer to a suspended command look the same).

    Errors: :class:`~jogo.platform.ratelimit.RateLimited` (``RATE_LIMITED``): 30 tries a
    minute per caller address and 10 a minute per ticket, in each command it is asked at.
    """
    ticket_key = (ticket or "").strip().upper()
    await TRACK_BY_CLIENT.hit(per_tenant(tenant.id, client))
    await TRACK_BY_TICKET.hit(per_tenant(tenant.id, ticket_key))
    home = tenant
    try:
        row = await queries.track_report(tenant.id, ticket, pin)
    except NotFound:
        # Transferred away? Then it is tracked where it lives now, with the same PIN.
        moved = await current_home(tenant.id, ticket)
        # A suspended command's reports are served nowhere, not even through here.
        if moved is None or not moved.active:
            return None
        home = moved
        # One guessing budget per ticket, whichever endpoint the guesses come through.
        await TRACK_BY_TICKET.hit(per_tenant(home.id, ticket_key))
        try:
            row = await queries.track_report(home.id, ticket, pin)
        except NotFound:
            return None
    timeline = await queries.events_by_report(home.id, [row["id"]], internal=False)
    categories = await queries.categories_by_id(home.id, [row["category_id"]])
    return Tracked(home, row, categories[row["category_id"]], timeline.get(row["id"], []))
