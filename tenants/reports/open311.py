"""Reads for the Open311 GeoReport v2 server (``/t/{slug}/open311/v2/``, served by
:mod:`jogo.platform.app.open311_http`): service requests as Open311 shows them.

Who sees what (decided here, documented in the README):

- **The public** (no key, or a key without a report scope): like FixMyStreet, the
  command's requests are public once an officer has verified them: statuses VERIFIED,
  DISPATCHED, IN_PROGRESS, RESOLVED and CLOSED, never SOS, never SUBMITTED (not yet
  looked at) or REJECTED. Their location is rounded to 3 decimals (about 110 m) and the
  address left out: a report's exact place is often the reporter's home.
- **A caller with a report scope** (``reports:read`` / ``reports:write`` key, or staff):
  the reports its :class:`~jogo.tenants.reports.access.Viewer` scope covers, any
  status, exact location and address.

Both read the title and description masked as an agency reads them
(:func:`jogo.tenants.oversight.redaction.redact`: the reporter's own name, phone and
address, any phone, e-mail, street address or long digit run), never the reporter's
identity, and only the public timeline (``status_notes``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jogo.platform import db
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.lifecycle import OPEN, Status

MAX_PAGE = 1000  # GeoReport v2: "the maximum should be 1000 results"
PUBLIC_STATUSES = (
    Status.VERIFIED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.CLOSED,
)
PUBLIC_DECIMALS = 3  # a public reader's coordinates: about 110 m


def open311_status(status: str) -> str:
    """A report status as Open311's ``open`` (SUBMITTED, VERIFIED, DISPATCHED,
    IN_PROGRESS) or ``closed`` (RESOLVED, CLOSED, REJECTED)."""
    return "open" if Status(status) in OPEN else "closed"


def statuses_of(open311: list[str]) -> list[str]:
    """The report statuses behind Open311 statuses (``open``/``closed``, any case);
    unknown values match nothing."""
    wanted = {s.strip().lower() for s in open311}
    return [s.value for s in Status if open311_status(s.value) in wanted]


@dataclass(frozen=True)
class RequestFilter:
    """``GET requests``: ``tickets`` (service_request_id; when given, the others are
    ignored, as the spec says), ``service_codes`` (category codes), ``start``/``end``
    (zone-aware, on ``created_at``, end inclusive), ``statuses`` (report statuses), a
    page of ``limit`` rows after ``offset``."""

    tickets: list[str] | None = None
    service_codes: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[str] | None = None
    limit: int = MAX_PAGE
    offset: int = 0


_SELECT = """SELECT r.id, r.ticket, r.title, r.description, r.latitude, r.longitude,
       r.address, r.status, r.created_at, r.updated_at, r.followup_due_at,
       r.reporter_name, r.reporter_phone, c.code AS category_code,
       c.name_id AS category_name_id, c.name_en AS category_name_en,
       (SELECT to_jsonb(e) FROM report_events e
         WHERE e.report_id = r.id AND e.public
         ORDER BY e.created_at DESC, e.id DESC LIMIT 1) AS last_event
  FROM reports r JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id
 WHERE """


def visibility(viewer: Viewer, first_arg: int) -> tuple[str, list[Any], bool]:
    """The WHERE fragment (alias ``r``) of what ``viewer`` may read here, its arguments
    (from ``$first_arg``), and whether it is the public view (see the module)."""
    if viewer.scope != "none":
        scope, args = viewer.sql_scope(first_arg)
        return scope, args, False
    listed = ", ".join(f"'{s.value}'" for s in PUBLIC_STATUSES)
    return f"(r.status IN ({listed}) AND NOT r.sos)", [], True


async def find_requests(
    tenant_id: uuid.UUID, viewer: Viewer, f: RequestFilter
) -> tuple[list[dict[str, Any]], bool]:
    """The reports matching ``f`` that ``viewer`` may read, newest first, one statement;
    each row has the report's columns above, the category's code and names and
    ``last_event`` (the newest public timeline entry as JSON, or None). Also whether
    these are read as the public reads them."""
    where, args, public = visibility(viewer, 1)
    parts = [where]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.tickets is not None:
        parts.append(f"r.ticket = ANY({arg([t.strip().upper() for t in f.tickets])}::text[])")
    else:
        if f.service_codes:
            codes = [c.strip().upper() for c in f.service_codes]
            parts.append(f"c.code = ANY({arg(codes)}::text[])")
        if f.start is not None:
            parts.append(f"r.created_at >= {arg(f.start)}")
        if f.end is not None:
            parts.append(f"r.created_at <= {arg(f.end)}")
        if f.statuses is not None:
            parts.append(f"r.status = ANY({arg(f.statuses)}::text[])")
    sql = (
        _SELECT + " AND ".join(parts) + f" ORDER BY r.created_at DESC, r.id DESC"
        f" LIMIT {arg(f.limit)} OFFSET {arg(f.offset)}"
    )
    async with db.read_tx(tenant_id):
        rows = await db.fetch(sql, *args)
    return [dict(r) for r in rows], public


async def ticket_of(tenant_id: uuid.UUID, report_id: uuid.UUID) -> str | None:
    """The ticket of the report with this id (an Open311 ``token``), or None."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch("SELECT ticket FROM reports WHERE id = $1", report_id)
    return rows[0]["ticket"] if rows else None


async def categories_of(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """The command's active categories (``code``, ``name_id``, ``name_en``,
    ``description_id``), in their order: Open311's services."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT code, name_id, name_en, description_id FROM report_categories"
            " WHERE is_active ORDER BY sort_order, code"
        )
    return [dict(r) for r in rows]
