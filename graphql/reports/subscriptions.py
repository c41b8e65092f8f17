"""``reportEvents``: the live feed. Only this tenant's events reach the subscriber, and
each is re-read through the tenant transaction and the subscriber's own scope.

An event is read once however many subscribers wait for it (:data:`LIVE_READS`, read
before any subscriber wakes: the hub's prefetch) and fanned out in memory, filtered by
each subscriber's scope: a caller who opens many subscriptions adds no queries per
event, so the shared pool stays free for everyone. Subscribers who see an event alike
share one rendering of it (:mod:`jogo.graphql.live`), and each feed keeps one timer for
its re-check, not one per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
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
from jogo.graphql.live import RENDERS, LiveEvent
from jogo.graphql.permissions import requires
from jogo.graphql.reports.types import ReportEvent
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.revalidate import LiveCaller, still_allowed
from jogo.platform.auth.roles import Cap
from jogo.platform.notify import HUB, Prefetch
from jogo.platform.registry import TenantInfo
from jogo.platform.telemetry import current_tenant_slug
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
        if task is not None and task.done() and not task.cancelled() and not task.exception():
            return cast(T, task.result())  # read already: no hop through the loop
        if task is None or task.done():
            # A context of its own, with only the tenant's slug (its spans carry it): the
            # shared read carries no subscriber's context along.
            context = contextvars.Context()
            slug = current_tenant_slug.get()
            if slug is not None:
                context.run(current_tenant_slug.set, slug)
            task = asyncio.get_running_loop().create_task(cast(Any, read()), context=context)
            task.add_done_callback(_retrieve)
            tasks[key] = task
            while len(tasks) > self._keep:
                tasks.popitem(last=False)
        return cast(T, await asyncio.shield(task))

    def forget(self, tenant_id: uuid.UUID) -> None:
        """Drop the reads kept for ``tenant_id`` (keys whose second item is it), in every loop."""
        for tasks in list(self._by_loop.values()):
            for key in [k for k in tasks if isinstance(k, tuple) and k[1:2] == (tenant_id,)]:
                del tasks[key]


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a failed read's error as seen (each waiter gets it raised)."""
    if not task.cancelled():
        task.exception()


# Reads behind the live feeds, keyed by what they read (a kind, the tenant, the event).
LIVE_READS = SharedReads()


def _forget_tenant(_topic: str, tenant_id: uuid.UUID) -> None:
    """The tenant's last live feed ended: drop its shared reads and renders."""
    if HUB.subscribers(tenant_id=tenant_id) == 0:
        LIVE_READS.forget(tenant_id)
        RENDERS.forget(tenant_id)


HUB.on_idle(_forget_tenant)


async def prefetch_event(tenant_id: uuid.UUID, ref: str) -> None:
    """The hub's prefetch for report feeds: read the event (with its report) once, before
    any subscriber wakes."""
    event_id = uuid.UUID(ref)
    await LIVE_READS.get(
        ("report_event", tenant_id, event_id),
        partial(queries.event_with_report, tenant_id, event_id),
    )


RECHECK = ""  # what the re-check timer puts into a feed's queue (never an event id)
_EMPTY = contextvars.Context()  # timers run in it: they keep no socket's context alive


def _nudge(queue: asyncio.Queue[str]) -> None:
    # A full queue: the feed is busy, and re-checks by the clock at its next event.
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(RECHECK)


class _Timer:
    """One feed's re-check timer: one timer handle, moved only when its deadline moves.
    Cancelled, it holds nothing of the feed (asyncio drops a cancelled handle's callback
    and arguments, and its context is the empty one)."""

    SLACK = 0.05  # seconds a deadline may move before the timer is moved

    def __init__(self, queue: asyncio.Queue[str]) -> None:
        self._queue = queue
        self._handle: asyncio.TimerHandle | None = None

    def at(self, when: float) -> None:
        """Put :data:`RECHECK` into the queue at ``when`` (``time.monotonic()`` seconds),
        instead of when it was set for (kept when within ``SLACK`` of it)."""
        handle = self._handle
        if handle is not None and abs(handle.when() - when) <= self.SLACK:
            return
        self.cancel()
        loop = asyncio.get_running_loop()
        # loop.time() is time.monotonic(): the same clock.
        self._handle = loop.call_at(when, _nudge, self._queue, context=_EMPTY)

    def cancel(self) -> None:
        """Cancel the timer (when it has not fired)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


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
    tenant: TenantInfo,
    principal: Principal,
    caller: LiveCaller | None = None,
    prefetch: Prefetch | None = prefetch_event,
) -> AsyncGenerator[tuple[uuid.UUID, Principal], None]:
    """This tenant's timeline events as they commit, each with the caller as re-checked at
    most ``RECHECK_SECONDS`` ago: a revoked membership or key, or a suspended tenant, ends
    the feed (``still_allowed`` raises). A token ends it the moment it expires: no event
    reaches a caller whose token HTTP would refuse. On a socket, ``caller`` is the
    socket's current caller: a token renewed on the socket (or roles re-read after a
    change) apply to the running feed at once, and a revocation announced for the caller
    (``caller.alarm()``) makes the feed re-check before its next event. ``prefetch``: the
    hub's read of each event before the feeds wake (the report event by default)."""
    checked = time.monotonic()
    seen = caller.version if caller is not None else 0
    alarmed = caller.alarms if caller is not None else 0
    async with HUB.subscribe(TOPIC, tenant.id, prefetch) as queue:
        timer = _Timer(queue)
        try:
            while True:
                # Wake for the next re-check, or the moment the caller's token expires.
                deadline = checked + RECHECK_SECONDS
                if principal.expires_at is not None:
                    deadline = min(deadline, time.monotonic() + principal.expires_at - time.time())
                timer.at(deadline)
                item = await queue.get()
                event_id = None if item == RECHECK else uuid.UUID(item)
                if caller is not None and caller.version != seen:
                    principal, seen = caller.principal, caller.version
                expired = principal.expires_at is not None and time.time() >= principal.expires_at
                # A revocation of this caller was announced: re-check before this event
                # (committed after it, maybe), whatever the socket's own re-check does.
                revoked = caller is not None and caller.alarms != alarmed
                if revoked:
                    assert caller is not None
                    alarmed = caller.alarms
                late = time.monotonic() - checked >= RECHECK_SECONDS
                if event_id is None or expired or revoked or late:
                    principal = await still_allowed(principal, tenant)
                    checked = time.monotonic()
                if event_id is not None:
                    yield event_id, principal
        finally:
            timer.cancel()


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
        # The viewer alone: the request's report loaders are no use to a feed.
        viewer = Viewer.of(info.context.principal, tenant.id)
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
            # The view: ReportEvent.of reads ``internal``, and the user id only to tell
            # whether this caller is the actor (who reads their own name).
            mine = row["actor_id"] is not None and row["actor_id"] == viewer.user_id
            view = ("report_event", event_id, viewer.internal, mine)
            make = partial(live_event, row, viewer.internal, viewer.user_id)
            # graphql.live renders it into a ReportLiveEvent, once per document and view.
            yield cast(ReportLiveEvent, LiveEvent(tenant.id, view, make))


def live_event(row: dict[str, Any], internal: bool, user_id: uuid.UUID | None) -> ReportLiveEvent:
    """The live event of an ``event_with_report`` row as this viewer may see it."""
    return ReportLiveEvent(
        report_id=strawberry.ID(str(row["report_id"])),
        ticket=row["ticket"],
        status=Status(row["status"]),
        urgent=row["urgent"],
        sos=bool(row.get("sos", False)),
        event=ReportEvent.of(row, internal, user_id),
    )
