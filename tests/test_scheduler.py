"""The scheduler loop (issue 15, item 6): ``run_scheduler`` writes one outbox message per
active tenant and job when the job is due, none for a suspended tenant, none while the
last one waits to be published; the relay and a Dramatiq worker (real RabbitMQ) carry
it. A job that fails does not stop the others. The loop stops when cancelled.

The loop runs here with a short tick and two probe actors of this test (a job's actor is
only a name to the scheduler); the product's own job table is checked against the
README ("SLA sweep (1 min), hospital capacity (5 min), camera checks (2 min)") and
against the actors the workers declare."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from helpers import FINISHED, eventually, onboard

from jogo.platform.app.scheduler import JOBS, Job, run_scheduler
from jogo.platform.liveness import HEARTBEATS
from jogo.tenants.onboarding.actions import do_set_tenant_status

FAST = "scheduler_probe_fast"
SLOW = "scheduler_probe_slow"
BROKEN = "scheduler_probe_\x00broken"  # PostgreSQL text takes no NUL: its insert fails


def _declare_probes(broker: Any) -> None:
    """Two actors that do nothing, on the test broker's queue (once per session)."""
    from jogo.workers.actors import jogo_actor

    if FAST in broker.actors:
        return

    async def scheduler_probe_fast() -> str:
        return "ok"

    async def scheduler_probe_slow() -> str:
        return "ok"

    jogo_actor(scheduler_probe_fast)
    jogo_actor(scheduler_probe_slow)


def test_the_jobs_are_the_documented_ones_and_name_real_actors(broker):
    every = {job.actor: job.every_seconds for job in JOBS}
    assert every["sweep_report_slas"] == 60.0
    assert every["poll_hospital_capacity"] == 300.0
    assert every["check_cameras"] == 120.0
    for job in JOBS:
        assert broker.get_actor(job.actor) is not None  # ActorNotFound otherwise


@pytest.fixture
async def stop_scheduler():
    """Tasks of the loop the test starts; cancelled and awaited at the end."""
    tasks: list[asyncio.Task[None]] = []
    yield tasks
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_each_active_tenant_gets_its_jobs_on_their_schedule_despite_a_failing_job(
    two_tenants, broker, worker, relay, owner, stop_scheduler
):
    a, b = two_tenants.a, two_tenants.b
    suspended = await onboard(polda="JATIM", region="35.73", sample_directory=False)
    await do_set_tenant_status(suspended.slug, "SUSPENDED", actor=("pytest", "system"))
    _declare_probes(broker)
    fast_before = {t: FINISHED.count(FAST, t.id) for t in (a, b)}
    jobs = (Job(FAST, 0.05), Job(BROKEN, 0.05), Job(SLOW, 3600.0))
    task = asyncio.create_task(run_scheduler(jobs, tick_seconds=0.05))
    stop_scheduler.append(task)

    # The fast job runs again and again in each active tenant, although the job before
    # the slow one fails at every tick.
    def ran_three_times() -> bool:
        return all(FINISHED.count(FAST, t.id) >= fast_before[t] + 3 for t in (a, b))

    await eventually(ran_three_times, "the fast job three times in A and B", within=60.0)
    assert not task.done()
    # The slow job (once an hour) ran once in each, right at the start.
    await eventually(
        lambda: FINISHED.count(SLOW, a.id) == 1 and FINISHED.count(SLOW, b.id) == 1,
        "the hourly job once in A and B",
    )
    # Through the outbox: one row per run, for this tenant.
    for tenant in (a, b):
        rows = await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE tenant = $1 AND actor = $2", tenant.id, SLOW
        )
        assert rows == 1
    # The suspended tenant got nothing, though A and B got several each.
    outbox = await owner.fetchval(
        "SELECT count(*) FROM outbox WHERE tenant = $1 AND actor = ANY($2::text[])",
        suspended.id,
        [FAST, SLOW],
    )
    assert outbox == 0 and FINISHED.count(FAST, suspended.id) == 0
    # Never more than one message of a job waiting per tenant.
    waiting = await owner.fetchval(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM outbox WHERE actor = $1"
        " AND published_at IS NULL GROUP BY tenant) AS w",
        FAST,
    )
    assert waiting is None or waiting == 1

    # Stopped cleanly: the task ends on cancel and leaves the heartbeats.
    assert "scheduler" in HEARTBEATS.names()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled() and "scheduler" not in HEARTBEATS.names()
