"""``reportEvents``: the live feed. Only this tenant's events reach the subscriber, and
each is re-read through the tenant transaction and the subscriber's own scope.

An event is read once however many subscribers wait for it (:data:`LIVE_READS`) and
fanned out in memory, filtered by each subscriber's scope: a caller who opens many
subscriptions adds no queries per event, so the shared pool stays free for everyone.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from functools import partial
from typing import Any, TypeVar, cast

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.permissions import requires
from jogo.graphql.reports.dataloaders import viewer_of
from jogo.graphql.reports.types import ReportEvent
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.revalidate import LiveCaller, still_allowed
from jogo.platform.auth.roles import Cap
from jogo.platform.notify import HUB
from jogo.platform.registry import TenantInfo
from jogo.tenants.reports import queries
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.events import TOPIC
from jogo.tenants.reports.lifecycle import Status

RECHECK_SECONDS = 30.0
T = TypeVar("T")


class SharedReads:
    """One read per key, however many live subscribers ask for it.

    The first caller of :meth:`get` starts ``read()``; every other caller with the same
    key awaits that same result (or its error) instead of querying again. The last
    ``keep`` results stay, so a subscriber that reaches the event a moment later finds
    it too; a failed read is not kept (the next caller reads again). A caller that goes
    away does not cancel the read the others wait for. Per event loop, as the reads use
    that loop's pool. Results are shared: callers must not change them.
    """

    def __init__(self, keep: int = 512) -> None:
        self._keep = keep
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, OrderedDict[Hashable, asyncio.Task[Any]]
        ] = weakref.WeakKeyDictionary()

    async def get(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """The result of ``read()`` for ``key``: started by the first caller, awaited by the rest.

        A failed or cancelled earlier read is started again; the oldest results beyond ``keep``
        are dropped. A caller's cancellation does not cancel the shared read.
        """
        tasks = self._by_loop.setdefault(asyncio.get_running_loop(), OrderedDict())
        task = tasks.get(key)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.ensure_future(read())
            task.add_done_callback(_retrieve)
            tasks[key] = task
            while len(tasks) > self._keep:
                tasks.popitem(last=False)
        return cast(T, await asyncio.shield(task))


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a failed read's error as seen (each waiter gets it raised)."""
    if not task.cancelled():
        task.exception()


# Reads behind the live feeds, keyed by what they read (a kind, the tenant, the event).
LIVE_READS = SharedReads()


@strawberry.type(description="A timeline event as it happens, with its report's state.")
class ReportLiveEvent:
    report_id: strawberry.ID
    ticket: str
    status: Status
    urgent: bool
    sos: bool = strawberry.field(description="The report was raised with the panic button.")
    event: ReportEvent


def visible(viewer: Viewer, row: dict[str, Any]) -> bool:
    """Whether a live event may reach this viewer: internal entries only for staff, then by read
    scope (all; assigned to them, their active unit or reported by them; their own reports).
    The same rule as the report reads, applied in memory.
    """
    if not row["public"] and not viewer.internal:
        return False
    if viewer.scope == "all":
        return True
    me = viewer.user_id
    if viewer.scope == "assigned":
        return me is not None and (
            me in (row["assigned_officer_id"], row["reporter_user_id"])
            or me in row.get("unit_member_ids", ())
        )
    return me is not None and row["reporter_user_id"] == me


async def tenant_event_ids(
    tenant: TenantInfo, principal: Principal, caller: LiveCaller | None = None
) -> AsyncGenerator[tuple[uuid.UUID, Principal], None]:
    """This tenant's timeline events as they commit, each with the caller as re-checked at
    most ``RECHECK_SECONDS`` ago: a revoked membership or key, or a suspended tenant, ends
    the feed (``still_allowed`` raises). A token ends it the moment it expires: no event
    reaches a caller whose token HTTP would refuse. On a socket, ``caller`` is the
    socket's current caller: a token renewed on the socket (or roles re-read after a
    change) apply to the running feed at once."""
    checked = time.monotonic()
    seen = caller.version if caller is not None else 0
    async with HUB.subscribe(TOPIC, tenant.id) as queue:
        while True:
            # Wake for the next re-check, or the moment the caller's token expires.
            wait = RECHECK_SECONDS - (time.monotonic() - checked)
            if principal.expires_at is not None:
                wait = min(wait, principal.expires_at - time.time())
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for may return an
                # event that came at the moment the feed was cancelled, and the feed
                # would outlive its client.
                async with asyncio.timeout(max(wait, 0.0)):
                    event_id = uuid.UUID(await queue.get())
            except TimeoutError:
                event_id = None
            if caller is not None and caller.version != seen:
                principal, seen = caller.principal, caller.version
            expired = principal.expires_at is not None and time.time() >= principal.expires_at
            if event_id is None or expired or time.monotonic() - checked >= RECHECK_SECONDS:
                principal = await still_allowed(principal, tenant)
                checked = time.monotonic()
            if event_id is not None:
                yield event_id, principal


@strawberry.type
class ReportsSubscription:
    @strawberry.subscription(
        description="Events of the reports this caller may see: all for operators, assigned"
        " ones for officers, their own (public entries) for citizens.",
        permission_classes=[requires(Cap.TENANT_READ)],
    )
    async def report_events(
        self, info: Info[Context, None], urgent_only: bool = False
    ) -> AsyncGenerator[ReportLiveEvent, None]:
        """Stream this tenant's timeline events as they commit, each with its report's ticket,
        status and urgency, filtered by the caller's scope (``urgentOnly``: urgent reports only).

        Needs ``TENANT_READ``. The caller is re-checked at least every 30 s and when its token
        expires; a revoked membership or key, an expired token or a suspended tenant ends the feed
        with an error.
        """
        tenant = info.context.require_tenant()
        viewer = viewer_of(info.context)
        live = info.context.caller
        async for event_id, principal in tenant_event_ids(tenant, viewer.principal, live):
            if principal is not viewer.principal:
                viewer = Viewer.of(principal, tenant.id)
            row = await LIVE_READS.get(
                ("report_event", tenant.id, event_id),
                partial(queries.event_with_report, tenant.id, event_id),
            )
            if row is None or not visible(viewer, row) or (urgent_only and not row["urgent"]):
                continue
            yield ReportLiveEvent(
                report_id=strawberry.ID(str(row["report_id"])),
                ticket=row["ticket"],
                status=Status(row["status"]),
                urgent=row["urgent"],
                sos=bool(row.get("sos", False)),
                event=ReportEvent.of(row, viewer.internal, viewer.user_id),
            )
