"""Background jobs of a suspended command (``jogo.workers.actors``): every per-tenant job
is skipped (a delivery answers ``no-tenant``) while the same job of an active command
runs; an outbox row naming an actor no worker knows is set aside for an hour without
blocking the rows behind it (``jogo.workers.relay``)."""

from __future__ import annotations

import logging
import uuid

import pytest
from helpers import onboard, run_job

from jogo.platform import db, outbox, registry
from jogo.workers.middleware import message_tenant

JOBS = ["sweep_report_slas", "poll_hospital_capacity", "check_cameras", "poll_open311"]
JOBS += ["rebuild_rollups"]


class Outcomes(logging.Handler):
    """The outcome each actor logs (``<actor>: <outcome>``), with the tenant of the message
    it was logged for: the worker may run other tests' leftover messages meanwhile."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        tenant = message_tenant.get()
        self.seen.append((record.getMessage(), str(tenant) if tenant else None))

    def of(self, actor: str, tenant_id: uuid.UUID) -> list[str]:
        prefix = f"{actor}: "
        return [
            message[len(prefix) :]
            for message, tenant in list(self.seen)
            if tenant == str(tenant_id) and message.startswith(prefix)
        ]


@pytest.fixture
def outcomes():
    logger = logging.getLogger("jogo.workers")
    handler, level = Outcomes(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.mark.parametrize("actor", JOBS)
async def test_a_suspended_commands_job_is_skipped(actor, owner, worker, relay, outcomes):
    tenant = await onboard("minimal", modules=["facilities", "integrations"], region="35.79")
    # Active: the job runs and reports what it did.
    await run_job(actor, owner, tenant)
    [ran] = outcomes.of(actor, tenant.id)
    assert ran != "skipped"
    await registry.set_status(tenant.slug, "SUSPENDED")
    await run_job(actor, owner, tenant)
    assert outcomes.of(actor, tenant.id) == [ran, "skipped"]


async def test_a_suspended_commands_delivery_is_no_tenant(owner, worker, relay, outcomes):
    tenant = await onboard("minimal", modules=["integrations"], region="35.79")
    job = {"dispatch_id": str(uuid.uuid4()), "attempt": 1}
    await run_job("deliver_dispatch", owner, tenant, **job)
    assert outcomes.of("deliver_dispatch", tenant.id) == [
        "skipped"
    ]  # no such dispatch: nothing leased
    await registry.set_status(tenant.slug, "SUSPENDED")
    await run_job("deliver_dispatch", owner, tenant, **job)
    assert outcomes.of("deliver_dispatch", tenant.id) == ["skipped", "no-tenant"]


async def test_an_unknown_actor_is_set_aside_and_the_rest_go_on(owner, worker, relay, caplog):
    tenant = await onboard("minimal", region="35.79")
    async with db.control_tx():
        unknown = await outbox.enqueue("actor_of_a_newer_release", {}, tenant.id)
    await run_job("rebuild_rollups", owner, tenant)  # enqueued after it, still published
    row = await owner.fetchrow(
        "SELECT published_at, available_at - now() AS wait FROM outbox WHERE id = $1", unknown
    )
    assert row["published_at"] is None
    assert 3000 < row["wait"].total_seconds() <= 3600  # set aside for about an hour
    assert any(
        f"outbox {unknown} names unknown actor 'actor_of_a_newer_release'" in r.getMessage()
        for r in caplog.records
    )
