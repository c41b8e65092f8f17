"""Lists of dispatches: a liaison's inbox (their agencies' dispatches) and the
operators' view across reports (by status, agency, time), with the report as an
agency may see it.

Who sees what (:class:`DispatchScope`): a user bound to agencies with
``addAgencyLiaison`` sees only those agencies' dispatches; operators see all. Anything
else, another agency's dispatch or another tenant's, is simply not found.

Order: open dispatches first (the agency may still act: :data:`answers.LIVE`), then by
age, oldest first; keyset pages of at most :data:`MAX_PAGE`. A report as an agency sees
it (:func:`reports_for_agencies`, :func:`timelines_for_agencies`) carries no reporter
identity: no name, phone, address or user id. Every free text a liaison reads of it,
the title, the description, each public timeline note, and a dispatch's outcome note and
last error (:func:`masked_for_liaison`), is masked like the national drill-down's
(:func:`jogo.tenants.oversight.redaction.redact`): the report's own reporter name, phone
(however written) and address, plus any phone, NIK-like digit run, e-mail and street
address. The reporter's values are read in the same statement as the rows they mask.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jogo.platform import db
from jogo.platform.errors import InvalidInput, NotFound
from jogo.tenants.agencies.answers import LIVE
from jogo.tenants.oversight.redaction import redact

MAX_PAGE = 100
# PENDING after a failed attempt, with another scheduled: what operators call failing.
FAILED = "FAILED"
STATES = (
    "PENDING",
    FAILED,
    "DELIVERING",
    "DELIVERED",
    "AWAITING_LIAISON",
    "ACCEPTED",
    "IN_PROGRESS",
    "RESOLVED",
    "RETURNED",
    "DEAD",
)
_OPEN = "(d.status = ANY('{" + ",".join(LIVE) + "}'::text[]))"
_COLUMNS = "d.*, a.name AS agency_name, a.code AS agency_code, a.connector, " + _OPEN + " AS open"
_FROM = "dispatches d JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
# The report's reporter values, read only to mask a liaison's view (never returned).
_OWN = (
    ", (SELECT json_build_array(r.reporter_name, r.reporter_phone, r.address) FROM reports r"
    " WHERE r.tenant_id = d.tenant_id AND r.id = d.report_id) AS own"
)
# A dispatch's free text a liaison reads.
_DISPATCH_TEXT = ("outcome_note", "last_error")


@dataclass(frozen=True)
class DispatchScope:
    """``liaison``: the user whose agencies bound the list; None: every dispatch."""

    liaison: uuid.UUID | None


@dataclass(frozen=True)
class DispatchFilter:
    states: list[str] | None = None  # from STATES; FAILED = PENDING with a last error
    agency_id: uuid.UUID | None = None
    report_id: uuid.UUID | None = None
    since: datetime | None = None  # created or changed at or after


@dataclass
class DispatchPage:
    rows: list[dict[str, Any]]
    has_next: bool
    start_cursor: str | None
    end_cursor: str | None
    where: tuple[str, list[Any]]


def cursor_of(row: dict[str, Any]) -> str:
    """The opaque cursor of a dispatch row in the inbox order: URL-safe base64 of the JSON ``[open,
    created_at ISO 8601, id]``."""
    raw = json.dumps([bool(row["open"]), row["created_at"].isoformat(), str(row["id"])])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> tuple[bool, datetime, uuid.UUID]:
    bad = InvalidInput("the cursor is not one this API gave out", field="after")
    if len(cursor) > 200:
        raise bad
    try:
        open_, moment, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        when = datetime.fromisoformat(moment)
        if not isinstance(open_, bool) or when.tzinfo is None:
            raise ValueError("not ours")
        return open_, when.astimezone(UTC), uuid.UUID(ident)
    except (ValueError, TypeError, AttributeError, OverflowError):
        raise bad from None


def dispatch_where(scope: DispatchScope, f: DispatchFilter) -> tuple[str, list[Any]]:
    """The SQL condition (alias ``d``) and its arguments (``$1``...) for ``scope`` and
    ``f``. ``INVALID_INPUT`` on ``status`` for an unknown state, on ``since`` for a bare
    time."""
    parts: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if scope.liaison is not None:
        parts.append(
            "EXISTS (SELECT 1 FROM agency_liaisons l WHERE l.tenant_id = d.tenant_id"
            f" AND l.agency_id = d.agency_id AND l.user_id = {arg(scope.liaison)})"
        )
    if f.states:
        unknown = [s for s in f.states if s not in STATES]
        if unknown:
            raise InvalidInput(f"unknown dispatch status {unknown[0]!r}", field="status")
        plain = [s for s in f.states if s != FAILED]
        either = [f"d.status = ANY({arg(plain)}::text[])"] if plain else []
        if FAILED in f.states:
            either.append("(d.status = 'PENDING' AND d.last_error IS NOT NULL)")
        parts.append("(" + " OR ".join(either) + ")")
    if f.agency_id is not None:
        parts.append(f"d.agency_id = {arg(f.agency_id)}")
    if f.report_id is not None:
        parts.append(f"d.report_id = {arg(f.report_id)}")
    if f.since is not None:
        if f.since.tzinfo is None:
            raise InvalidInput("since needs a time zone", field="since")
        parts.append(f"d.updated_at >= {arg(f.since)}")
    return " AND ".join(parts) or "TRUE", args


async def list_dispatches(
    tenant_id: uuid.UUID,
    scope: DispatchScope,
    f: DispatchFilter,
    first: int = 20,
    after: str | None = None,
) -> DispatchPage:
    """One page, open first, then oldest first. One statement."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    where, args = dispatch_where(scope, f)
    page_where, page_args = where, list(args)
    if after:
        open_, moment, ident = _decode(after)
        page_args += [open_, moment, ident]
        n = len(page_args)
        page_where += (
            f" AND ({_OPEN} < ${n - 2} OR ({_OPEN} = ${n - 2}"
            f" AND (d.created_at, d.id) > (${n - 1}, ${n})))"
        )
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT {_COLUMNS}{_OWN} FROM {_FROM} WHERE {page_where}"
            f" ORDER BY open DESC, d.created_at, d.id LIMIT {first + 1}",
            *page_args,
        )
    found = [masked_for_liaison(dict(r), scope) for r in rows]
    has_next = len(found) > first
    found = found[:first]
    return DispatchPage(
        rows=found,
        has_next=has_next,
        start_cursor=cursor_of(found[0]) if found else None,
        end_cursor=cursor_of(found[-1]) if found else None,
        where=(where, args),
    )


async def count_dispatches(tenant_id: uuid.UUID, where: tuple[str, list[Any]]) -> int:
    """How many dispatches of the tenant match ``where`` (the SQL and arguments kept by a
    :class:`DispatchPage`), for a connection's ``totalCount``."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(f"SELECT count(*) FROM {_FROM} WHERE {where[0]}", *where[1])
    return int(rows[0][0])


async def visible_dispatch(
    tenant_id: uuid.UUID, scope: DispatchScope, dispatch_id: uuid.UUID
) -> dict[str, Any]:
    """One dispatch in scope; ``NotFound`` otherwise (another agency's, another
    tenant's, or none)."""
    where, args = dispatch_where(scope, DispatchFilter())
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            f"SELECT {_COLUMNS}{_OWN} FROM {_FROM} WHERE {where} AND d.id = ${len(args) + 1}",
            *args,
            dispatch_id,
        )
    if not rows:
        raise NotFound("dispatch not found", field="id")
    return masked_for_liaison(dict(rows[0]), scope)


def _own(value: Any) -> dict[str, str | None]:
    """The ``own`` column (a JSON array: reporter name, phone, address) as
    :func:`redact`'s keyword arguments."""
    name, phone, address = json.loads(value) if isinstance(value, str) else value or [None] * 3
    return {"name": name, "phone": phone, "address": address}


def masked_for_liaison(row: dict[str, Any], scope: DispatchScope) -> dict[str, Any]:
    """A dispatch row without its ``own`` column; for a liaison's scope, its outcome note
    and last error masked (operators, who may read the reporter, see them as written)."""
    own = _own(row.pop("own", None))
    if scope.liaison is not None:
        for key in _DISPATCH_TEXT:
            row[key] = redact(row.get(key), **own)
    return row


async def reports_for_agencies(
    tenant_id: uuid.UUID, report_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The reports behind dispatches the caller may already see, as an agency may see
    them: the reporter's name, phone and address are read only to mask them in the
    title and description, and never returned. One statement for any number."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT r.id, r.ticket, r.category_id, r.title, r.description, r.latitude,"
            " r.longitude, r.occurred_at, r.urgent, r.status, r.created_at, r.updated_at,"
            " r.reporter_name, r.reporter_phone, r.address"
            " FROM reports r WHERE r.id = ANY($1::uuid[])",
            report_ids,
        )
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for r in rows:
        row = dict(r)
        own = {
            "name": row.pop("reporter_name"),
            "phone": row.pop("reporter_phone"),
            "address": row.pop("address"),
        }
        row["title"] = redact(row["title"], **own) or ""
        row["description"] = redact(row["description"], **own) or ""
        found[row["id"]] = row
    return found


async def timelines_for_agencies(
    tenant_id: uuid.UUID, report_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The public timeline entries of these reports, oldest first, as an agency may see
    them: each note masked with its report's reporter values (read in the same
    statement, never returned), and ``data`` cut down to whether the reporter wrote it.
    One statement for any number of reports."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT e.*, json_build_array(r.reporter_name, r.reporter_phone, r.address) AS own"
            " FROM report_events e JOIN reports r ON r.tenant_id = e.tenant_id"
            " AND r.id = e.report_id WHERE e.report_id = ANY($1::uuid[]) AND e.public"
            " ORDER BY e.created_at, e.id",
            report_ids,
        )
    grouped: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for r in rows:
        row = dict(r)
        own = _own(row.pop("own"))
        row["note"] = redact(row["note"], **own)
        data = row["data"]
        data = json.loads(data) if isinstance(data, str) else data or {}
        row["data"] = {"by_reporter": True} if data.get("by_reporter") else {}
        grouped.setdefault(row["report_id"], []).append(row)
    return grouped


async def liaison_attachment(
    tenant_id: uuid.UUID, user_id: uuid.UUID, attachment_id: uuid.UUID
) -> dict[str, Any]:
    """A photo of a report dispatched to an agency the user speaks for; ``NotFound``
    for any other."""
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT a.* FROM report_attachments a WHERE a.id = $1 AND EXISTS (SELECT 1"
            " FROM dispatches d JOIN agency_liaisons l ON l.tenant_id = d.tenant_id"
            " AND l.agency_id = d.agency_id WHERE d.tenant_id = a.tenant_id"
            " AND d.report_id = a.report_id AND l.user_id = $2)",
            attachment_id,
            user_id,
        )
    if not rows:
        raise NotFound("attachment not found")
    return dict(rows[0])
