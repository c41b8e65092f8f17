"""The rule "rollup idempotency" (issue 15), pinned by calling the rollup functions
directly on the test database (no broker, no worker).

A report contributes once to its day x category x status cell, its ~1 km grid cell
(1/100 degree, rounded down) and its duration histograms (bucket b holds 60 s x 1.3^b,
capped at 60), in its tenant's scope and its Polda's. Applying the same report twice,
after a change, after it left the tenant, or rebuilding from the rows must give the
same counts (tenants/oversight/rollups.py, platform/migrations/0007_oversight.sql).

Reports are written as rows by the owner connection with fixed timestamps; every test
uses its own day, so a Polda scope restricted to that day holds this test's reports
only. The tenants are in Kota Malang / Kota Salatiga (WIB, Asia/Jakarta = UTC+7).
Expected values are worked out by hand in the comments, never by the code under test.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from helpers import onboard

from jogo.platform import db
from jogo.platform.registry import TenantInfo
from jogo.tenants.oversight import rollups

# -7.9051 x 100 = -790.51 -> cell -791; 112.6149 x 100 = 11261.49 -> cell 11261.
LAT, LON = -7.9051, 112.6149
CELL = (-791, 11261)


@pytest.fixture(scope="module")
async def malang(database: str) -> TenantInfo:
    return await onboard(polda="JATIM", region="35.73")


@pytest.fixture(scope="module")
async def salatiga(database: str) -> TenantInfo:
    return await onboard(polda="JATENG", region="33.74")


def at(day: date, hour: int) -> datetime:
    """``hour`` o'clock UTC on ``day``: 01:00 UTC is 08:00 WIB, the same calendar day."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def add_report(
    owner: asyncpg.Connection,
    tenant: TenantInfo,
    created: datetime,
    *,
    status: str = "SUBMITTED",
    urgent: bool = False,
    lat: float = LAT,
    lon: float = LON,
    station: uuid.UUID | None = None,
    **times: datetime | None,
) -> uuid.UUID:
    """A report row as it stands after the app wrote it (``times``: verified_at,
    dispatched_at, resolved_at, verify_breached_at)."""
    category = await owner.fetchval(
        "SELECT id FROM report_categories WHERE tenant_id = $1 AND code = 'FIRE'", tenant.id
    )
    rid = uuid.uuid4()
    await owner.execute(
        "INSERT INTO reports (tenant_id, id, ticket, category_id, title, description, latitude,"
        " longitude, occurred_at, urgent, anonymous, submitted_by, status, verify_due_at,"
        " created_at, polling_station_id, reject_reason)"
        " VALUES ($1, $2, $3, $4, 'Kebakaran uji', 'Uraian kebakaran uji rollup', $5, $6, $7,"
        " $8, false, 'pytest', $9, $7::timestamptz + interval '3 days', $7, $10, $11)",
        tenant.id,
        rid,
        f"T-{rid.hex[:12]}",
        category,
        lat,
        lon,
        created,
        urgent,
        status,
        station,
        "palsu" if status == "REJECTED" else None,
    )
    await set_times(owner, tenant, rid, **times)
    return rid


async def set_times(
    owner: asyncpg.Connection, tenant: TenantInfo, rid: uuid.UUID, **times: Any
) -> None:
    for column, value in times.items():
        assert column in ("verified_at", "dispatched_at", "resolved_at", "verify_breached_at")
        await owner.execute(
            f"UPDATE reports SET {column} = $3 WHERE tenant_id = $1 AND id = $2",
            tenant.id,
            rid,
            value,
        )


async def figures(owner: asyncpg.Connection, scope: str, day: date) -> dict[str, list[tuple]]:
    """The non-zero rollup rows of one scope on one day."""
    queries = {
        "daily": "category_code, status, reports, urgent, breached FROM oversight_daily",
        "cells": "category_code, cell_lat, cell_lon, reports FROM oversight_cells",
        "durations": "category_code, metric, bucket, reports FROM oversight_durations",
        "election": "vulnerability, category_code, status, reports, urgent FROM oversight_election",
    }
    out = {}
    for name, what in queries.items():
        rows = await owner.fetch(
            f"SELECT {what} WHERE scope = $1 AND day = $2 AND reports <> 0 ORDER BY 1, 2, 3",
            scope,
            day,
        )
        out[name] = sorted(tuple(r) for r in rows)
    return out


def tenant_scope(tenant: TenantInfo) -> str:
    return f"tenant:{tenant.id}"


NOTHING: dict[str, list[tuple]] = {"daily": [], "cells": [], "durations": [], "election": []}


async def contributions(owner: asyncpg.Connection, tenant: TenantInfo) -> int:
    return await owner.fetchval(
        "SELECT count(*) FROM oversight_contributions WHERE tenant = $1", tenant.id
    )


async def test_a_report_applied_twice_counts_once(malang, owner):
    day = date(2011, 1, 5)
    # Verified 10 minutes after it came in: ln(600 / 60) / ln(1.3) = 8.78 -> bucket 8.
    rid = await add_report(
        owner,
        malang,
        at(day, 1),
        status="VERIFIED",
        urgent=True,
        verified_at=at(day, 1) + timedelta(minutes=10),
    )
    once = {
        "daily": [("FIRE", "VERIFIED", 1, 1, 0)],
        "cells": [("FIRE", *CELL, 1)],
        "durations": [("*", "verify", 8, 1), ("FIRE", "verify", 8, 1)],
        "election": [],
    }
    assert await rollups.do_apply_report(malang, rid) is True
    assert await rollups.do_apply_report(malang, rid) is False  # nothing changed
    assert await rollups.do_apply_report(malang, rid) is False
    assert await figures(owner, tenant_scope(malang), day) == once
    assert await figures(owner, "polda:JATIM", day) == once
    row = await owner.fetchrow(
        "SELECT polda, day, verify_bucket FROM oversight_contributions WHERE report_id = $1", rid
    )
    assert tuple(row) == ("JATIM", day, 8)


async def test_a_changed_report_moves_its_count_and_a_gone_one_leaves(malang, owner):
    day = date(2011, 2, 7)
    # 20:00 UTC on 6 February is 03:00 WIB on the 7th: the tenant's own day.
    created = datetime(2011, 2, 6, 20, tzinfo=UTC)
    rid = await add_report(
        owner,
        malang,
        created,
        status="VERIFIED",
        urgent=True,
        verified_at=created + timedelta(minutes=10),
    )
    assert await rollups.do_apply_report(malang, rid) is True
    # Resolved 3 hours after it came in, with the verification deadline breached, and no
    # longer urgent: ln(10800 / 60) / ln(1.3) = 19.79 -> bucket 19.
    await owner.execute("UPDATE reports SET status = 'RESOLVED', urgent = false WHERE id = $1", rid)
    await set_times(
        owner,
        malang,
        rid,
        resolved_at=created + timedelta(hours=3),
        verify_breached_at=created + timedelta(hours=1),
    )
    after = {
        "daily": [("FIRE", "RESOLVED", 1, 0, 1)],
        "cells": [("FIRE", *CELL, 1)],
        "durations": [
            ("*", "resolve", 19, 1),
            ("*", "verify", 8, 1),
            ("FIRE", "resolve", 19, 1),
            ("FIRE", "verify", 8, 1),
        ],
        "election": [],
    }
    for _ in range(2):
        await rollups.do_apply_report(malang, rid)
        assert await figures(owner, tenant_scope(malang), day) == after
        assert await figures(owner, "polda:JATIM", day) == after
    # The old cell went to exactly zero, not below.
    assert (
        await owner.fetchval(
            "SELECT reports FROM oversight_daily WHERE scope = $1 AND day = $2"
            " AND status = 'VERIFIED'",
            tenant_scope(malang),
            day,
        )
        == 0
    )
    # The report is gone from this tenant (deleted, or moved away): its count leaves.
    await owner.execute("DELETE FROM reports WHERE tenant_id = $1 AND id = $2", malang.id, rid)
    assert await rollups.do_apply_report(malang, rid) is True
    assert await rollups.do_apply_report(malang, rid) is False
    assert await figures(owner, tenant_scope(malang), day) == NOTHING
    assert await figures(owner, "polda:JATIM", day) == NOTHING
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM oversight_contributions WHERE report_id = $1", rid
        )
        == 0
    )


async def test_a_polling_station_report_and_each_duration_on_its_own(malang, owner):
    day = date(2011, 3, 9)
    station = uuid.uuid4()
    await owner.execute(
        "INSERT INTO polling_stations (tenant_id, id, code, village_code, address, voters,"
        " vulnerability) VALUES ($1, $2, $3, '35.73.01.1001', 'Jl. Uji TPS 1', 250, 'RAWAN')",
        malang.id,
        station,
        f"3573011001{uuid.uuid4().int % 1000:03d}",
    )
    created = at(day, 1)
    # Never verified, dispatched after 20 minutes (ln(20) / ln(1.3) = 11.42 -> 11),
    # resolved 20 years later (ln(20 x 365.25 x 1440) / ln(1.3) = 61.6 -> capped at 60).
    rid = await add_report(
        owner,
        malang,
        created,
        status="RESOLVED",
        urgent=False,
        station=station,
        dispatched_at=created + timedelta(minutes=20),
        resolved_at=created + timedelta(days=round(20 * 365.25)),
    )
    expected = {
        "daily": [("FIRE", "RESOLVED", 1, 0, 0)],
        "cells": [("FIRE", *CELL, 1)],
        "durations": [
            ("*", "dispatch", 11, 1),
            ("*", "resolve", 60, 1),
            ("FIRE", "dispatch", 11, 1),
            ("FIRE", "resolve", 60, 1),
        ],
        "election": [("RAWAN", "FIRE", "RESOLVED", 1, 0)],
    }
    assert await rollups.do_apply_report(malang, rid) is True
    assert await rollups.do_apply_report(malang, rid) is False
    assert await figures(owner, tenant_scope(malang), day) == expected
    assert await figures(owner, "polda:JATIM", day) == expected
    # Rebuilt from the rows: the same figures.
    await rollups.do_rebuild_tenant(malang)
    assert await figures(owner, tenant_scope(malang), day) == expected
    assert await figures(owner, "polda:JATIM", day) == expected


async def test_a_report_moved_to_another_tenant_counts_there_only(malang, salatiga, owner):
    day = date(2011, 4, 11)
    rid = await add_report(owner, malang, at(day, 1), urgent=True)
    assert await rollups.do_apply_report(malang, rid) is True
    submitted = {
        "daily": [("FIRE", "SUBMITTED", 1, 1, 0)],
        "cells": [("FIRE", *CELL, 1)],
        "durations": [],
        "election": [],
    }
    assert await figures(owner, "polda:JATIM", day) == submitted
    # The report moves to Salatiga (JATENG), with Salatiga's own category row.
    await owner.execute(
        "UPDATE reports SET tenant_id = $2, category_id = (SELECT id FROM report_categories"
        " WHERE tenant_id = $2 AND code = 'FIRE') WHERE tenant_id = $1 AND id = $3",
        malang.id,
        salatiga.id,
        rid,
    )
    # Events in any order, each more than once.
    for tenant in (salatiga, malang, salatiga, malang):
        await rollups.do_apply_report(tenant, rid)
    assert await figures(owner, tenant_scope(malang), day) == NOTHING
    assert await figures(owner, "polda:JATIM", day) == NOTHING
    assert await figures(owner, tenant_scope(salatiga), day) == submitted
    assert await figures(owner, "polda:JATENG", day) == submitted


async def test_a_rebuild_removes_drift_in_both_scopes(database, owner):
    tenant = await onboard(polda="JATIM", region="35.73")
    day = date(2011, 5, 16)
    for hour in (1, 2):
        rid = await add_report(owner, tenant, at(day, hour), status="VERIFIED")
        await rollups.do_apply_report(tenant, rid)
    counted = {
        "daily": [("FIRE", "VERIFIED", 2, 0, 0)],
        "cells": [("FIRE", *CELL, 2)],
        "durations": [],
        "election": [],
    }
    assert await figures(owner, "polda:JATIM", day) == counted
    # Drift: wrong figures in both scopes and a contribution for a report that is gone.
    for scope in (tenant_scope(tenant), "polda:JATIM"):
        await owner.execute(
            "UPDATE oversight_daily SET reports = 7, urgent = 3 WHERE scope = $1 AND day = $2",
            scope,
            day,
        )
        await owner.execute(
            "INSERT INTO oversight_durations (scope, day, category_code, metric, bucket, reports)"
            " VALUES ($1, $2, 'FIRE', 'verify', 3, 4)",
            scope,
            day,
        )
    await owner.execute(
        "INSERT INTO oversight_contributions (tenant, report_id, day, category_code, status,"
        " urgent, breached, cell_lat, cell_lon, polda)"
        " VALUES ($1, $2, $3, 'FIRE', 'VERIFIED', true, false, 1, 1, 'JATIM')",
        tenant.id,
        uuid.uuid4(),
        day,
    )
    assert await contributions(owner, tenant) == 3
    assert await rollups.do_rebuild_tenant(tenant) == 2
    assert await contributions(owner, tenant) == 2
    assert await figures(owner, tenant_scope(tenant), day) == counted
    assert await figures(owner, "polda:JATIM", day) == counted
    # Rebuilding again changes nothing.
    assert await rollups.do_rebuild_tenant(tenant) == 2
    assert await figures(owner, "polda:JATIM", day) == counted


async def test_a_rebuild_after_a_polda_change_moves_the_counts(database, owner):
    tenant = await onboard(polda="JATIM", region="35.73")
    day = date(2011, 6, 20)
    rid = await add_report(owner, tenant, at(day, 1), urgent=True)
    await rollups.do_apply_report(tenant, rid)
    counted = {
        "daily": [("FIRE", "SUBMITTED", 1, 1, 0)],
        "cells": [("FIRE", *CELL, 1)],
        "durations": [],
        "election": [],
    }
    assert await figures(owner, "polda:JATIM", day) == counted
    assert await figures(owner, "polda:JATENG", day) == NOTHING
    # The command now answers to another Polda: a rebuild takes it away from the old one.
    moved = replace(tenant, polda_code="JATENG")
    assert await rollups.do_rebuild_tenant(moved) == 1
    assert await figures(owner, "polda:JATIM", day) == NOTHING
    assert await figures(owner, "polda:JATENG", day) == counted
    assert await figures(owner, tenant_scope(tenant), day) == counted
    assert (
        await owner.fetchval("SELECT polda FROM oversight_contributions WHERE report_id = $1", rid)
        == "JATENG"
    )


async def test_rebuild_all_counts_every_tenant_once_and_fixes_each_polda(database, owner):
    east = await onboard(polda="JATIM", region="35.73")
    central = await onboard(polda="JATENG", region="33.74")
    day = date(2011, 7, 4)
    for tenant, hours in ((east, (1, 2)), (central, (3,))):
        for hour in hours:
            rid = await add_report(owner, tenant, at(day, hour))
            await rollups.do_apply_report(tenant, rid)
    for scope in ("polda:JATIM", "polda:JATENG"):
        await owner.execute(
            "UPDATE oversight_daily SET reports = 9 WHERE scope = $1 AND day = $2", scope, day
        )
    assert await rollups.do_rebuild_all([east, central]) == 3
    assert (await figures(owner, "polda:JATIM", day))["daily"] == [("FIRE", "SUBMITTED", 2, 0, 0)]
    assert (await figures(owner, "polda:JATENG", day))["daily"] == [("FIRE", "SUBMITTED", 1, 0, 0)]
    assert (await figures(owner, tenant_scope(east), day))["cells"] == [("FIRE", *CELL, 2)]


async def _hold_shared_lock(owner: asyncpg.Connection, tenant: TenantInfo) -> asyncpg.Transaction:
    tx = owner.transaction()
    await tx.start()
    await owner.execute(
        "SELECT pg_advisory_xact_lock_shared(hashtext($1))", f"oversight:{tenant.id}"
    )
    return tx


async def _waiting_advisory_locks(owner: asyncpg.Connection) -> int:
    return await owner.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    )


async def test_an_update_shares_the_tenant_lock_and_a_rebuild_waits_for_it(database, owner, malang):
    """Incremental updates hold the tenant's lock shared (they run side by side); a
    rebuild holds it exclusively (it waits until no update is running)."""
    day = date(2011, 8, 8)
    rid = await add_report(owner, malang, at(day, 1))
    other = await asyncpg.connect(database)
    try:
        held = await _hold_shared_lock(other, malang)
        try:
            # Shared with a shared holder: the update completes while the lock is held.
            assert await asyncio.wait_for(rollups.do_apply_report(malang, rid), 10) is True
            rebuild = asyncio.create_task(rollups.do_rebuild_tenant(malang))
            waiting = 0

            async def poll() -> None:
                nonlocal waiting
                waiting = await _waiting_advisory_locks(owner)

            async def rebuild_waits() -> None:
                for _ in range(500):
                    await poll()
                    if waiting:
                        return
                    assert not rebuild.done(), "the rebuild did not wait for the update"
                    await asyncio.sleep(0.02)
                raise AssertionError("the rebuild never waited for the tenant lock")

            await rebuild_waits()
            assert not rebuild.done()
        finally:
            await held.rollback()
        await asyncio.wait_for(rebuild, 10)
    finally:
        await other.close()
    assert (await figures(owner, tenant_scope(malang), day))["daily"] == [
        ("FIRE", "SUBMITTED", 1, 0, 0)
    ]
    assert db.ENGINE.current_transaction.get() is None
