"""Bulk export of dispatches (deliveries of reports to agencies): one statement, streamed.

Who sees which (as the GraphQL reads): operators (``REPORTS_TRIAGE``) every dispatch;
other staff who read reports (``REPORTS_READ_ALL`` / ``REPORTS_READ_ASSIGNED``, keys
with ``reports:read`` too) the dispatches of the reports they may see, as
``Report.dispatches``; an agency liaison those to the agencies it speaks for, as
``agencyInbox``. Anyone else: ``FORBIDDEN``. The filter is the inbox's
(:func:`~jogo.tenants.agencies.inbox.dispatch_where`: status, agency, report, since).

Each row carries its report's ticket, category and location (what an agency sees of a
report it was sent), never who reported, and no free text (notes and delivery errors
stay in the console). Newest first.
"""

from __future__ import annotations

import uuid

from jogo.platform.auth.principal import denied
from jogo.platform.auth.roles import Cap
from jogo.tenants.agencies.inbox import DispatchFilter, DispatchScope, dispatch_where
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.exports import Export

DISPATCH_COLUMNS = (
    "id",
    "report_id",
    "ticket",
    "category_code",
    "agency_code",
    "agency_name",
    "status",
    "outcome",
    "created_at",
    "delivered_at",
    "answered_at",
    "latitude",
    "longitude",
)
_DISPATCH_SQL = (
    "SELECT d.id, d.report_id, r.ticket, c.code, a.code, a.name, d.status, d.outcome,"
    " d.created_at, d.delivered_at, d.answered_at, r.latitude, r.longitude"
    " FROM dispatches d JOIN agencies a ON a.tenant_id = d.tenant_id AND a.id = d.agency_id"
    " JOIN reports r ON r.tenant_id = d.tenant_id AND r.id = d.report_id"
    " JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id"
)


def dispatch_export(tenant_id: uuid.UUID, viewer: Viewer, f: DispatchFilter) -> Export:
    """The statement of a dispatches export for ``viewer`` under ``f`` (module doc).
    Errors: ``FORBIDDEN`` for a caller who is neither staff reading reports nor an
    agency liaison, ``INVALID_INPUT`` on the filter."""
    principal = viewer.principal
    liaison = Cap.DISPATCH_UPDATE in principal.tenant_caps(tenant_id)
    if viewer.triage:
        scope, report_scope = DispatchScope(liaison=None), None
    elif viewer.internal:
        scope, report_scope = DispatchScope(liaison=None), viewer
    elif principal.kind == "user" and principal.id is not None and liaison:
        scope, report_scope = DispatchScope(liaison=principal.id), None
    else:
        raise denied(
            principal,
            "Anda tidak berwenang mengekspor disposisi. / Exporting dispatches needs"
            f" {Cap.REPORTS_READ_ALL.value}, {Cap.REPORTS_READ_ASSIGNED.value} or"
            f" {Cap.DISPATCH_UPDATE.value}.",
        )
    where, args = dispatch_where(scope, f)
    if report_scope is not None:
        own, own_args = report_scope.sql_scope(len(args) + 1)
        where = f"{where} AND {own}"
        args = [*args, *own_args]
    sql = f"{_DISPATCH_SQL} WHERE {where} ORDER BY d.created_at DESC, d.id DESC"
    return Export(sql, args, DISPATCH_COLUMNS)
