"""Periodic jobs (``jogo scheduler``, also inside ``jogo up``). Each tick writes one
outbox message per active tenant and job; the relay and Dramatiq do the rest, so a job
runs in a worker, in its tenant's context, like any other message."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from jogo.platform import db, outbox, registry

log = logging.getLogger("jogo.scheduler")


@dataclass(frozen=True)
class Job:
    actor: str
    every_seconds: float


JOBS = (
    Job("sweep_report_slas", 60.0),
    Job("poll_hospital_capacity", 300.0),
    Job("check_cameras", 120.0),
    Job("poll_open311", 300.0),
    Job("rebuild_rollups", 86400.0),
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


async def run_scheduler(jobs: tuple[Job, ...] = JOBS) -> None:
    loop = asyncio.get_running_loop()
    due = {job.actor: loop.time() for job in jobs}
    purge_due = loop.time()
    while True:
        if loop.time() >= purge_due:
            try:
                purged = await outbox.purge_published()
                log.debug("purged %d published outbox rows", purged)
                purge_due = loop.time() + PURGE_SECONDS
            except Exception:  # housekeeping only; retried next tick
                log.exception("outbox purge failed")
        for job in jobs:
            if loop.time() >= due[job.actor]:
                try:
                    count = await enqueue_for_all_tenants(job.actor)
                    log.debug("scheduled %s for %d tenants", job.actor, count)
                    due[job.actor] = loop.time() + job.every_seconds
                except Exception:  # the database may be briefly away; try next tick
                    log.exception("scheduling %s failed", job.actor)
        await asyncio.sleep(TICK_SECONDS)
