"""Per-request DataLoaders for the relations a planned read did not fetch
(``graphql.reports.plan``): every relation of a page of reports costs one batch, so a page
of 100 costs what a page of 1 does. In a query, batches share the request's read
transaction (``db.read_tx``)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from jogo.graphql.context import Context
from jogo.platform.audit import write_audit_many
from jogo.platform.auth.users import display_names
from jogo.tenants.facilities import queries as places
from jogo.tenants.reports import planned, queries
from jogo.tenants.reports.access import Viewer


def _loader(fetch: Callable[[list[Any]], Awaitable[dict[Any, Any]]], default: Any = None) -> Any:
    async def batch(keys: Sequence[Any]) -> list[Any]:
        found = await fetch(list(dict.fromkeys(keys)))
        return [found.get(k, default() if callable(default) else default) for k in keys]

    return DataLoader(load_fn=batch)


@dataclass
class ReportLoaders:
    viewer: Viewer
    category: DataLoader[uuid.UUID, dict[str, Any]]
    officer: DataLoader[uuid.UUID, tuple[str, str | None] | None]
    last_event: DataLoader[uuid.UUID, dict[str, Any] | None]
    timeline: DataLoader[uuid.UUID, list[dict[str, Any]]]
    attachments: DataLoader[uuid.UUID, list[dict[str, Any]]]
    identity_audit: DataLoader[str, None]
    cameras: DataLoader[uuid.UUID, list[dict[str, Any]]]
    dispatches: DataLoader[uuid.UUID, list[dict[str, Any]]]

    @property
    def internal(self) -> bool:
        """Whether the viewer sees internal timeline entries (reads all or assigned reports)."""
        return self.viewer.internal

    @property
    def user_id(self) -> uuid.UUID | None:
        """The viewer's user id; None for an anonymous caller or an API key."""
        return self.viewer.user_id


def viewer_of(context: Context) -> Viewer:
    """The request's :class:`Viewer`: read scope and what the caller may see and do on reports."""
    return report_loaders(context).viewer


def report_loaders(context: Context) -> ReportLoaders:
    """This request's report loaders, made on first use and kept in ``context.loaders``.

    Each batch is one tenant transaction of the request's tenant; the viewer is computed from
    the caller's capabilities there. Raises ``RuntimeError`` outside a tenant request.
    """
    existing = context.loaders.get("reports")
    if isinstance(existing, ReportLoaders):
        return existing
    tenant = context.require_tenant()
    viewer = Viewer.of(context.principal, tenant.id)
    tid, internal = tenant.id, viewer.internal

    async def audit(tickets: list[str]) -> dict[str, None]:
        await write_audit_many(
            "report.reporter_identity.read",
            [f"report:{t}" for t in tickets],
            principal=context.principal,
            tenant_id=tid,
        )
        return {}

    made = ReportLoaders(
        viewer=viewer,
        category=_loader(lambda ids: queries.categories_by_id(tid, ids)),
        officer=_loader(display_names),
        last_event=_loader(lambda ids: queries.last_event_by_report(tid, ids, internal)),
        timeline=_loader(lambda ids: queries.events_by_report(tid, ids, internal), list),
        attachments=_loader(lambda ids: queries.attachments_by_report(tid, ids), list),
        identity_audit=_loader(audit),
        cameras=_loader(lambda ids: places.online_cameras_near_reports(tid, ids), list),
        dispatches=_loader(lambda ids: planned.dispatches_by_report(tid, ids), list),
    )
    context.loaders["reports"] = made
    return made
