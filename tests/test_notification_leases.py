"""The lease of a notification delivery (``jogo.tenants.notifications.delivery``): a
message for another attempt, or for a notification already SENT, does nothing; a live
lease, or a row another delivery has locked, answers Busy; an expired lease (the worker
died) is taken again; a record from a delivery that lost its lease is stale."""

from __future__ import annotations

import asyncio

from helpers import onboard

from jogo.platform import db
from jogo.tenants.notifications import actions as notifications
from jogo.tenants.notifications import delivery


async def test_leases_answer_stale_busy_and_expired_deliveries(owner):
    tenant = await onboard("minimal")
    async with db.tenant_tx(tenant.id):
        nid = await notifications.do_send(
            tenant.id,
            channel="SMS",
            address="+6281234567890",
            template="otp_code",
            params={"code": "123456"},
        )
    assert nid is not None

    async def lease(attempt: int):
        async with db.tenant_tx(tenant.id):
            return await delivery.lease(nid, attempt)

    assert await lease(2) is None  # a message for another attempt
    job = await lease(1)
    assert isinstance(job, delivery.Job)
    assert isinstance(await lease(1), delivery.Busy)  # its lease is live
    # The worker died: its lease ran out, and the same attempt is taken again.
    await owner.execute(
        "UPDATE notifications SET lease_until = now() - interval '1 second' WHERE id = $1", nid
    )
    again = await lease(1)
    assert isinstance(again, delivery.Job)
    # The first delivery, back late, records nothing over the second.
    await owner.execute("UPDATE notifications SET attempts = 1 WHERE id = $1", nid)
    async with db.tenant_tx(tenant.id):
        assert await delivery.record_failure(job, "late", tenant.id) == "stale"
    await owner.execute("UPDATE notifications SET attempts = 0, status = 'SENT' WHERE id = $1", nid)
    assert await lease(1) is None  # already SENT
    await owner.execute("UPDATE notifications SET status = 'PENDING' WHERE id = $1", nid)
    # Another delivery holds the row: Busy, to look again shortly.
    locked = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with owner.transaction():
            await owner.execute("SELECT 1 FROM notifications WHERE id = $1 FOR UPDATE", nid)
            locked.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await locked.wait()
    try:
        assert isinstance(await lease(1), delivery.Busy)
    finally:
        release.set()
        await holder
