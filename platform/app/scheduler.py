"""Periodic jobs (``jogo scheduler``, also inside ``jogo up``). Each tick writes one
outbox message per active tenant and job; the relay and Dramatiq do the rest, so a job
runs in a worker, in its tenant's context, like any other message.

A tick that fails (the database away) leaves the job due; the next tick tries again
in a clean task, so a restart of the database needs nothing from us."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from jogo.platform import db, outbox, registry
from jogo.platform.liveness import HEARTBEATS
from jogo.platform.outage import Backoff

log = logging.getLogger("jogo.scheduler")


@dataclass(frozen=True)
class Job:
    actor: str
    every_seconds: float


JOBS = (
    Job("sweep_report_slas", 60.0),
    # UU PDP breach clocks (tenants/breaches/clock.py): thresholds in hours, so a minute late
    # at most.
    Job("sweep_breach_clocks", 60.0),
    Job("poll_hospital_capacity", 300.0),
    Job("check_cameras", 120.0),
    Job("poll_open311", 300.0),
    Job("rebuild_rollups", 86400.0),
    Job("apply_retention", 86400.0),
)
TICK_SECONDS = 5.0


async def enqueue_for_all_tenants(actor: str) -> int:
    """One message per active tenant, unless one is still waiting to be published
    (several schedulers, or a relay outage, then add nothing)."""
    tenants = [t.id for t in await registry.list_tenants() if t.active]
    async with db.control_tx():
        waiting = {
            r["tenant"]
            for r in await db.fetch(
                "SELECT DISTINCT tenant FROM outbox WHERE actor = $1 AND published_at IS NULL"
                " AND tenant = ANY($2::uuid[])",
                actor,
                tenants,
            )
        }
        for tenant_id in tenants:
            if tenant_id not in waiting:
                await outbox.enqueue(actor, {}, tenant_id)
    return len(tenants) - len(waiting)


PURGE_SECONDS = 3600.0
BACKOFF_CAP = 60.0


@dataclass
class _Plan:
    """When each job (and the purge) is next due, on the loop's clock."""

    due: dict[str, float]
    purge_due: float


async def _tick(jobs: tuple[Job, ...], plan: _Plan) -> BaseException | None:
    """Run what is due; a job that fails stays due for the next tick. Returns the first
    failure (the others are alike: the database is away), or None."""
    loop = asyncio.get_running_loop()
    failure: BaseException | None = None
    if loop.time() >= plan.purge_due:
        try:
            purged = await outbox.purge_published()
            log.debug("purged %d published outbox rows", purged)
            plan.purge_due = loop.time() + PURGE_SECONDS
        except Exception as exc:  # housekeeping only; retried next tick
            failure = exc
    for job in jobs:
        if loop.time() >= plan.due[job.actor]:
            try:
                count = await enqueue_for_all_tenants(job.actor)
                log.debug("scheduled %s for %d tenants", job.actor, count)
                plan.due[job.actor] = loop.time() + job.every_seconds
            except Exception as exc:  # the database may be away; try next tick
                failure = failure or exc
    return failure


async def run_scheduler(
    jobs: tuple[Job, ...] = JOBS, *, tick_seconds: float = TICK_SECONDS
) -> None:
    """Every ``tick_seconds`` (default ``TICK_SECONDS``, 5 s), enqueue what is due; runs
    until cancelled. Each tick runs in a task of its own, so whatever a failed
    transaction leaves in its context dies with it. A tick that fails is logged once per
    change of state and retried after a jittered backoff (at least a tick, at most a
    minute); a tick that completes beats the ``scheduler`` heartbeat that ``/healthz``
    watches."""
    loop = asyncio.get_running_loop()
    plan = _Plan({job.actor: loop.time() for job in jobs}, loop.time())
    backoff = Backoff("scheduler", log, first=tick_seconds, cap=BACKOFF_CAP)
    beat = HEARTBEATS.register("scheduler")
    try:
        while True:
            failure = await asyncio.create_task(_tick(jobs, plan), name="jogo-scheduler-tick")
            if failure is None:
                backoff.succeeded()
                beat()
                await asyncio.sleep(tick_seconds)
            else:
                await asyncio.sleep(max(tick_seconds, backoff.failed(failure)))
    finally:
        beat.close()
