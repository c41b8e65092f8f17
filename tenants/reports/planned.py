"""Planned reads: a page of reports, or one report, with the relations a caller asked for,
in ONE statement.

The GraphQL layer reads the selection set once and names the relations it needs
(:class:`Relations`); each becomes one column of the statement, a correlated subquery
that returns a row (``ROW(...)``, decoded by asyncpg as a tuple) or an array of rows
(``ARRAY(SELECT ROW(...))``). A page of 50 with its category, assigned officer, last
event and latest dispatch is then one statement, whatever the page size, and runs in the
request's read transaction (:func:`jogo.platform.db.read_tx`): ``BEGIN`` with the tenant,
this statement, ``COMMIT``.

The rows are :data:`~jogo.tenants.reports.queries.REPORT_COLUMNS` dicts, plus a key per
planned relation (see :data:`PLANNED`):
a dict (or None) for the 1:1 relations, a list of dicts for the others.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jogo.platform import db
from jogo.platform.errors import InvalidInput, NotFound
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.queries import (
    MAX_PAGE,
    REPORT_COLUMNS,
    SORT_COLUMNS,
    Page,
    ReportFilter,
    build_where,
    decode_cursor,
    encode_cursor,
)


@dataclass(frozen=True)
class Relations:
    """Which relations to fetch with the reports (each one column of the statement)."""

    category: bool = False
    officer: bool = False  # staff only: (username, full name) of the assigned officer
    last_event: bool = False  # the newest entry this viewer may see
    latest_dispatch: bool = False  # staff only: the newest delivery, with the agency
    timeline: bool = False  # oldest first; public entries only for non-staff
    attachments: bool = False
    dispatches: bool = False  # staff only, oldest first
    total: bool = False  # how many match the filter, ignoring paging


CATEGORY = (
    "id",
    "code",
    "name_id",
    "name_en",
    "description_id",
    "verify_working_days",
    "followup_working_days",
    "autoclose_working_days",
    "urgent_verify_minutes",
)
EVENT = (
    "id",
    "kind",
    "from_status",
    "to_status",
    "note",
    "public",
    "actor_name",
    "actor_id",
    "data",
    "created_at",
)
ATTACHMENT = ("id", "content_type", "size_bytes", "sha256", "created_at")
DISPATCH = (
    "id",
    "report_id",
    "agency_id",
    "agency_name",
    "agency_code",
    "status",
    "outcome",
    "created_at",
    "delivered_at",
    "answered_at",
)
OFFICER = ("username", "full_name")

# The key each relation takes in a planned row, and the columns of its rows.
PLANNED = {
    "category": ("_category", CATEGORY),
    "officer": ("_officer", OFFICER),
    "last_event": ("_last_event", EVENT),
    "latest_dispatch": ("_latest_dispatch", DISPATCH),
    "timeline": ("_timeline", EVENT),
    "attachments": ("_attachments", ATTACHMENT),
    "dispatches": ("_dispatches", DISPATCH),
}


def _row(columns: tuple[str, ...], alias: str) -> str:
    return "ROW(" + ", ".join(f"{alias}.{c}" for c in columns) + ")"


_DISPATCH_ROW = (
    "ROW(d.id, d.report_id, d.agency_id, a.name, a.code, d.status, d.outcome, d.created_at,"
    " d.delivered_at, d.answered_at)"
)
_DISPATCH_FROM = (
    "FROM dispatches d JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
    " WHERE d.tenant_id = r.tenant_id AND d.report_id = r.id"
)


def _columns(rel: Relations, internal: bool) -> list[tuple[str, str]]:
    """(SQL expression, key) for each planned relation; staff-only ones are left out for
    other viewers (their fields answer null or empty without a read)."""
    events = "" if internal else " AND e.public"
    event_from = (
        f"FROM report_events e WHERE e.tenant_id = r.tenant_id AND e.report_id = r.id{events}"
    )
    wanted: list[tuple[str, str]] = []
    if rel.category:
        wanted.append(
            (
                f"(SELECT {_row(CATEGORY, 'c')} FROM report_categories c"
                " WHERE c.tenant_id = r.tenant_id AND c.id = r.category_id)",
                "_category",
            )
        )
    if rel.officer and internal:
        wanted.append(
            (
                "(SELECT ROW(u.username, u.full_name) FROM users u"
                " WHERE u.id = r.assigned_officer_id)",
                "_officer",
            )
        )
    if rel.last_event:
        wanted.append(
            (
                f"(SELECT {_row(EVENT, 'e')} {event_from}"
                " ORDER BY e.created_at DESC, e.id DESC LIMIT 1)",
                "_last_event",
            )
        )
    if rel.latest_dispatch and internal:
        wanted.append(
            (
                f"(SELECT {_DISPATCH_ROW} {_DISPATCH_FROM}"
                " ORDER BY d.created_at DESC, d.id DESC LIMIT 1)",
                "_latest_dispatch",
            )
        )
    if rel.timeline:
        wanted.append(
            (
                f"ARRAY(SELECT {_row(EVENT, 'e')} {event_from} ORDER BY e.created_at, e.id)",
                "_timeline",
            )
        )
    if rel.attachments:
        wanted.append(
            (
                f"ARRAY(SELECT {_row(ATTACHMENT, 'p')} FROM report_attachments p"
                " WHERE p.tenant_id = r.tenant_id AND p.report_id = r.id"
                " ORDER BY p.created_at, p.id)",
                "_attachments",
            )
        )
    if rel.dispatches and internal:
        wanted.append(
            (
                f"ARRAY(SELECT {_DISPATCH_ROW} {_DISPATCH_FROM} ORDER BY d.created_at, d.id)",
                "_dispatches",
            )
        )
    return wanted


_KEYS = {key: columns for key, columns in PLANNED.values()}
_STAFF_ONLY: dict[str, Any] = {"_officer": None, "_latest_dispatch": None, "_dispatches": []}


def _unpack(record: Any, rel: Relations, internal: bool) -> dict[str, Any]:
    """A planned row as a dict: report columns as they are, each planned relation as a
    dict (1:1, or None) or a list of dicts; staff-only relations a non-staff viewer asked
    for are None or empty."""
    row = dict(record)
    row.pop("_total", None)
    row.pop("tenant_id", None)
    for key, columns in _KEYS.items():
        if key not in row:
            continue
        value = row[key]
        if value is None:
            continue
        if isinstance(value, list):
            row[key] = [dict(zip(columns, item, strict=True)) for item in value]
        else:
            row[key] = dict(zip(columns, value, strict=True))
    if not internal:
        for name, (key, _) in PLANNED.items():
            if getattr(rel, name) and key in _STAFF_ONLY:
                row[key] = _STAFF_ONLY[key]
    return row


def _select(rel: Relations, internal: bool, page_sql: str, order: str) -> str:
    extra = "".join(f", {sql} AS {key}" for sql, key in _columns(rel, internal))
    return f"SELECT r.*{extra} FROM ({page_sql}) r ORDER BY {order}"


@dataclass
class PlannedPage(Page):
    total: int | None = None  # with ``Relations.total``; None when not asked


async def list_planned(
    tenant_id: uuid.UUID,
    viewer: Viewer,
    f: ReportFilter,
    rel: Relations,
    sort: str = "CREATED_AT",
    descending: bool = True,
    first: int = 20,
    after: str | None = None,
) -> PlannedPage:
    """One page of the reports the viewer may see that match ``f``, sorted by ``sort``
    (:data:`~jogo.tenants.reports.queries.SORT_COLUMNS`) then id, newest first unless
    ``descending`` is False, ``first`` 1 to 100 after the keyset cursor ``after``, each
    with the relations in ``rel``, in one statement of the request's read transaction
    (two when ``rel.total`` is asked on an empty page past the end).

    Errors: :class:`InvalidInput` on ``first``, ``after`` or the filter."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    column = SORT_COLUMNS[sort]
    where, args = build_where(viewer, f)
    page_where, page_args = where, list(args)
    if after:
        value, ident = decode_cursor(after)
        op = "<" if descending else ">"
        page_args += [value, ident]
        n = len(page_args)
        page_where += f" AND (r.{column}, r.id) {op} (${n - 1}, ${n})"
    direction = "DESC" if descending else "ASC"
    order = f"r.{column} {direction}, r.id {direction}"
    total = f", (SELECT count(*) FROM reports r WHERE {where}) AS _total" if rel.total else ""
    page_sql = (
        f"SELECT {REPORT_COLUMNS}, r.tenant_id{total} FROM reports r WHERE {page_where}"
        f" ORDER BY {order} LIMIT {first + 1}"
    )
    sql = _select(rel, viewer.internal, page_sql, order)
    async with db.read_tx(tenant_id):
        records = await db.fetch(sql, *page_args)
        count: int | None = None
        if rel.total:
            if records:
                count = int(records[0]["_total"])
            else:
                found = await db.fetch(f"SELECT count(*) FROM reports r WHERE {where}", *args)
                count = int(found[0][0])
    rows = [_unpack(r, rel, viewer.internal) for r in records]
    has_next = len(rows) > first
    rows = rows[:first]
    return PlannedPage(
        rows=rows,
        has_next=has_next,
        end_cursor=encode_cursor(sort, rows[-1]) if rows else None,
        start_cursor=encode_cursor(sort, rows[0]) if rows else None,
        where=(where, args),
        total=count,
    )


async def get_planned(
    tenant_id: uuid.UUID, viewer: Viewer, report_id: uuid.UUID, rel: Relations
) -> dict[str, Any]:
    """One report the viewer may see, with the relations in ``rel``, in one statement of
    the request's read transaction. Errors: :class:`NotFound` on ``id`` when it does not
    exist, is another tenant's or lies outside the viewer's scope (the cases look alike).
    """
    scope, args = viewer.sql_scope(2)
    page_sql = f"SELECT {REPORT_COLUMNS}, r.tenant_id FROM reports r WHERE r.id = $1 AND {scope}"
    sql = _select(rel, viewer.internal, page_sql, "r.id")
    async with db.read_tx(tenant_id):
        records = await db.fetch(sql, report_id, *args)
    if not records:
        raise NotFound("report not found", field="id")
    return _unpack(records[0], rel, viewer.internal)


async def dispatches_by_report(
    tenant_id: uuid.UUID, report_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Dispatches per report, oldest first, with the agency's name and code (the
    :data:`DISPATCH` columns), for one DataLoader batch: one statement in the request's
    read transaction. The caller has checked the viewer is staff."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT d.id, d.report_id, d.agency_id, a.name AS agency_name, a.code AS agency_code,"
            " d.status, d.outcome, d.created_at, d.delivered_at, d.answered_at"
            " FROM dispatches d JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
            " WHERE d.report_id = ANY($1::uuid[]) ORDER BY d.created_at, d.id",
            report_ids,
        )
    grouped: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for r in rows:
        grouped.setdefault(r["report_id"], []).append(dict(r))
    return grouped
