"""Bulk exports of reports and of their dispatches: one statement each, streamed.

The rows are those the GraphQL reads give the same caller (:mod:`.access`): the report
filter is :func:`~jogo.tenants.reports.queries.build_where` (same validation), the
viewer's scope applies in SQL, and the reporter's identity (``anonymous``,
``reporter_name``, ``reporter_phone``, ``reporter_username``) is a column only for a
viewer with ``REPORTER_IDENTITY``; each report whose identity an export carries gets a
``report.reporter_identity.read`` audit row, as a GraphQL read of ``Report.reporter``
does. Only staff who read reports beyond their own (``REPORTS_READ_ALL`` or
``REPORTS_READ_ASSIGNED``: operators, officers, keys with ``reports:read``) export
reports; a citizen reads their own in the app.

Dispatches: :mod:`jogo.tenants.agencies.exports`. Newest first.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from jogo.platform import db
from jogo.platform.audit import actor_of
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.queries import ReportFilter, build_where

REPORT_COLUMNS = (
    "id",
    "ticket",
    "status",
    "category_code",
    "title",
    "description",
    "latitude",
    "longitude",
    "address",
    "occurred_at",
    "urgent",
    "sos",
    "channel",
    "sla_breached",
    "outside_jurisdiction",
    "reject_reason",
    "verify_due_at",
    "followup_due_at",
    "created_at",
    "updated_at",
    "verified_at",
    "resolved_at",
    "closed_at",
    "assigned_officer",
)
IDENTITY_COLUMNS = ("anonymous", "reporter_name", "reporter_phone", "reporter_username")
_REPORT_SQL = {
    "category_code": "c.code",
    "sla_breached": "(r.verify_breached_at IS NOT NULL OR r.followup_breached_at IS NOT NULL)",
    "assigned_officer": "ou.username",
    "reporter_username": "ru.username",
}
_REPORT_FROM = (
    "reports r JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id"
    " LEFT JOIN users ou ON ou.id = r.assigned_officer_id"
)


@dataclass(frozen=True)
class Export:
    """One export's statement (``sql`` with ``$n`` ``args``), its column names (also the
    order of a row's values), and ``where``: the condition alone (alias ``r``, same
    ``args``), for the identity audit."""

    sql: str
    args: list[Any]
    columns: tuple[str, ...]
    where: str = "TRUE"

    @property
    def identity(self) -> bool:
        """Whether the rows carry who reported."""
        return "reporter_name" in self.columns


def may_export_reports(viewer: Viewer) -> None:
    """Raises ``FORBIDDEN`` (``UNAUTHENTICATED`` for nobody) unless the viewer reads
    reports beyond its own (module doc)."""
    if not viewer.internal:
        raise denied(
            viewer.principal,
            "Anda tidak berwenang mengekspor laporan. / Exporting reports needs"
            f" {Cap.REPORTS_READ_ALL.value} or {Cap.REPORTS_READ_ASSIGNED.value}.",
        )


def report_export(viewer: Viewer, f: ReportFilter) -> Export:
    """The statement of a reports export for ``viewer`` under ``f`` (module doc).
    Errors: ``FORBIDDEN`` (:func:`may_export_reports`), ``INVALID_INPUT`` on the filter
    (as :func:`build_where`)."""
    may_export_reports(viewer)
    where, args = build_where(viewer, f)
    columns = REPORT_COLUMNS + (IDENTITY_COLUMNS if viewer.identity else ())
    select = ", ".join(_REPORT_SQL.get(c, f"r.{c}") for c in columns)
    source = _REPORT_FROM + (
        " LEFT JOIN users ru ON ru.id = r.reporter_user_id" if viewer.identity else ""
    )
    sql = f"SELECT {select} FROM {source} WHERE {where} ORDER BY r.created_at DESC, r.id DESC"
    return Export(sql, args, columns, where)


def _shifted(sql: str, by: int) -> str:
    """``sql`` with every ``$n`` placeholder renumbered ``$(n + by)`` (ours only: values
    never appear in the text)."""
    return re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + by}", sql)


async def audit_identity_reads(tenant_id: uuid.UUID, principal: Principal, export: Export) -> None:
    """A ``report.reporter_identity.read`` audit row per report the export may show the
    identity of, in one statement of its own transaction. Called once the export's
    snapshot is taken: it audits that snapshot's reports and any made since (a superset:
    never a report shown without its row)."""
    if not export.identity:
        return
    actor, kind = actor_of(principal)
    async with db.tenant_tx(tenant_id):
        await db.fetch(
            "INSERT INTO audit_log (actor, actor_kind, role, action, tenant, target)"
            " SELECT $1, $2, (SELECT string_agg(m.role, ',' ORDER BY m.role) FROM memberships m"
            " JOIN users u ON u.id = m.user_id WHERE $2 = 'user' AND u.username = $1"
            " AND m.tenant = $3), 'report.reporter_identity.read', $3, 'report:' || r.ticket"
            f" FROM reports r WHERE {_shifted(export.where, 3)}",
            actor,
            kind,
            tenant_id,
            *export.args,
        )
