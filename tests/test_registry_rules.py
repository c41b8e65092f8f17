"""The tenant registry's refusals (``jogo.platform.registry``): a status other than
ACTIVE or SUSPENDED changes nothing, and an id no tenant has is no tenant."""

from __future__ import annotations

import uuid

import pytest
from helpers import eventually, onboard

from jogo.platform import registry
from jogo.platform.errors import InvalidInput


async def test_an_unknown_status_is_refused_and_changes_nothing(database, owner):
    tenant = await onboard("minimal", region="35.79")
    for status in ("PAUSED", "active", ""):
        with pytest.raises(InvalidInput) as caught:
            await registry.set_status(tenant.slug, status)
        assert caught.value.field == "status"
        assert caught.value.message == "status must be one of ACTIVE, SUSPENDED"
    assert await owner.fetchval("SELECT status FROM tenants WHERE id = $1", tenant.id) == "ACTIVE"
    assert (await registry.set_status(tenant.slug, "SUSPENDED")).status == "SUSPENDED"
    assert (
        await owner.fetchval("SELECT status FROM tenants WHERE id = $1", tenant.id) == "SUSPENDED"
    )


async def test_an_id_no_tenant_has_is_none_and_a_real_one_is_found(database):
    tenant = await onboard("minimal", region="35.79")
    assert (await registry.find_by_id(tenant.id)).slug == tenant.slug
    assert await registry.find_by_id(uuid.uuid4()) is None


async def test_forget_drops_one_tenants_cached_entries_only(database, owner):
    """A status changed by another process reaches this one's cache through ``forget``
    (called on the announced ``tenant`` notification); other tenants stay cached."""
    a = await onboard("minimal", region="35.79")
    b = await onboard("minimal", region="35.79")
    for tenant in (a, b):  # both cached, by id and by slug
        assert (await registry.find_by_id(tenant.id)).status == "ACTIVE"
        assert (await registry.find_by_slug(tenant.slug)).status == "ACTIVE"
    # As another process would: the row changes, this process's cache does not know.
    await owner.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = ANY($1)", [a.id, b.id])
    assert (await registry.find_by_id(a.id)).status == "ACTIVE"  # still the cached one
    registry.forget(a.id)
    assert (await registry.find_by_id(a.id)).status == "SUSPENDED"
    assert (await registry.find_by_slug(a.slug)).status == "SUSPENDED"
    assert (await registry.find_by_id(b.id)).status == "ACTIVE"  # B's entries kept
    assert (await registry.find_by_slug(b.slug)).status == "ACTIVE"
    await owner.execute("UPDATE tenants SET status = 'ACTIVE' WHERE id = ANY($1)", [a.id, b.id])
    registry.forget(a.id)
    registry.forget(b.id)


async def test_a_lookup_read_before_a_change_is_not_cached(database, owner):
    """A lookup whose read was under way when this process changed the tenant (a worker's
    loop beside the API's) answers what it read but does not cache it, since what it read
    may predate the change: a worker once cached a command as active just after it was
    suspended, and ran its notification (seen in the pooler pass, issue 19)."""
    import asyncio

    tenant = await onboard("minimal", region="35.79")
    registry.clear_cache()
    async with owner.transaction():
        # The lookup's SELECT waits behind this lock until the change below is made.
        await owner.execute("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE")
        lookup = asyncio.create_task(registry.find_by_id(tenant.id))
        await eventually(
            lambda: owner.fetchval(
                "SELECT count(*) FROM pg_locks WHERE relation = 'tenants'::regclass AND NOT granted"
            ),
            "the lookup to wait on the lock",
        )
        await owner.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", tenant.id)
        registry.forget(tenant.id)  # what the announcement of the change does
    assert (await lookup).status == "SUSPENDED"  # read after the commit: the lock held it
    assert tenant.id not in registry._id_cache
