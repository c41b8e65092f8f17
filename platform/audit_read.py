"""Reading the audit log of one command (issue 14, item 7).

A command's log is every row with ``tenant`` = that command: what its people, keys and
the console did there, the reporter identities its staff read, and the sign-ins and
lockouts of its users. A sign-in or lockout of a user is written once per command the
user belongs to (:func:`jogo.platform.audit.write_user_audit`), so every command of that
user sees it; a lockout of a client address, or of a user with no command, has no
tenant and is in the national log only.

Reading the log is itself audited by the callers (``audit.read``, ``audit.export``,
``national.auditLog``).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jogo.platform import db
from jogo.platform.errors import InvalidInput
from jogo.platform.regions import TIME_ZONES

MAX_FILTER = 200  # characters of a prefix filter
EXPORT_PAGE = 500
CSV_COLUMNS = ("id", "at", "actor", "actor_kind", "role", "action", "target", "detail")
# A spreadsheet runs a cell that starts with one of these as a formula (also after
# leading whitespace, which some spreadsheets skip when they read a CSV).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def check_plain(name: str, value: str) -> None:
    """``INVALID_INPUT`` on ``name`` when ``value`` holds a control character (NUL, a line
    break, DEL, C1...): no action, actor or target has one, and a date never does."""
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidInput(f"{name} must not contain control characters", field=name)


@dataclass(frozen=True)
class AuditFilter:
    """``since`` inclusive, ``until`` exclusive (zone-aware); ``action``, ``actor`` and
    ``target``: prefixes, case-sensitive (``apikey.``, ``api_key:3f9a``, ``user:``)."""

    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None
    actor: str | None = None
    target: str | None = None
    # Exact targets about one data subject (``user:<id>``, ``report:<ticket>``...), from
    # jogo.tenants.privacy.export.subject_targets; None: no such condition.
    targets: tuple[str, ...] | None = None

    def checked(self) -> AuditFilter:
        """This filter, validated: the prefixes free of control characters and at most
        :data:`MAX_FILTER` (200) characters and ``since`` before ``until`` (both zone-aware:
        every caller reads them through ``jogo.graphql.scalars.in_zone``). Raises
        :class:`InvalidInput` on the offending field (``from`` for the order)."""
        for name in ("action", "actor", "target"):
            value = getattr(self, name)
            if value is None:
                continue
            check_plain(name, value)
            if len(value) > MAX_FILTER:
                raise InvalidInput(f"{name} is at most {MAX_FILTER} characters", field=name)
        if self.since and self.until and self.since >= self.until:
            raise InvalidInput("'from' must be before 'to'", field="from")
        return self

    def as_detail(self) -> dict[str, Any]:
        """The filter's given fields only, for the ``detail`` of the audit row that records this
        read."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _like(prefix: str | None) -> str | None:
    if prefix is None or prefix == "":
        return None
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


async def tenant_audit_page(
    tenant_id: uuid.UUID | None, f: AuditFilter, first: int, before_id: int | None = None
) -> list[dict[str, Any]]:
    """This tenant's rows under ``f``, newest first, ``first + 1`` at most; ``before_id``:
    the last id of the previous page. ``tenant_id`` None: the national looks (every
    ``national.*`` row, whatever its tenant). One statement."""
    where = (
        "tenant = $1"
        if tenant_id is not None
        else "($1::uuid IS NULL AND action LIKE 'national.%')"
    )
    rows = await db.fetch(
        "SELECT id, at, actor, actor_kind, role, action, tenant, target, detail"
        f" FROM audit_log WHERE {where}"
        " AND ($2::bigint IS NULL OR id < $2)"
        " AND ($3::timestamptz IS NULL OR at >= $3)"
        " AND ($4::timestamptz IS NULL OR at < $4)"
        " AND ($5::text IS NULL OR action LIKE $5)"
        " AND ($6::text IS NULL OR actor LIKE $6)"
        " AND ($7::text IS NULL OR target LIKE $7)"
        " AND ($9::text[] IS NULL OR target = ANY($9))"
        " ORDER BY id DESC LIMIT $8",
        tenant_id,
        before_id,
        f.since,
        f.until,
        _like(f.action),
        _like(f.actor),
        _like(f.target),
        first + 1,
        list(f.targets) if f.targets is not None else None,
    )
    return [dict(r) for r in rows]


async def tenant_audit_rows(tenant_id: uuid.UUID, f: AuditFilter) -> AsyncIterator[dict[str, Any]]:
    """Every row of :func:`tenant_audit_page`, page by page (no connection is held
    between pages)."""
    before: int | None = None
    while True:
        rows = await tenant_audit_page(tenant_id, f, EXPORT_PAGE, before)
        for row in rows[:EXPORT_PAGE]:
            yield row
        if len(rows) <= EXPORT_PAGE:
            return
        before = rows[EXPORT_PAGE - 1]["id"]


def safe_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula, at once
    or after whitespace (spaces, line breaks, NBSP), gets a leading apostrophe (OWASP CSV
    injection)."""
    if value.startswith(FORMULA_START) or value.lstrip().startswith(FORMULA_START):
        return "'" + value
    return value


def csv_line(values: Iterable[str]) -> str:
    """One RFC 4180 record (CRLF, quotes doubled where needed)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([safe_cell(v) for v in values])
    return out.getvalue()


def csv_cells(row: dict[str, Any], time_zone: str) -> list[str]:
    """A row as text: ``at`` in ``time_zone`` (WIB, WITA, WIT, or an IANA name such as
    UTC) with its offset, detail as JSON."""
    at: datetime = row["at"]
    detail = row["detail"]
    if not isinstance(detail, str):
        detail = json.dumps(detail, ensure_ascii=False, default=str)
    return [
        str(row["id"]),
        at.astimezone(ZoneInfo(TIME_ZONES.get(time_zone, time_zone))).isoformat(),
        row["actor"],
        row["actor_kind"],
        row["role"] or "",
        row["action"],
        row["target"] or "",
        detail,
    ]
