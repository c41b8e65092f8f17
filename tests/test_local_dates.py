"""Issue 13 part 2: dates and zone-less times a caller gives are read in the tenant's
own zone, never as UTC. A ``Date`` (or a date alone in a ``DateTime``) is the tenant's
whole calendar day; a ``DateTime`` without an offset is wall-clock time there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from helpers import auth_header, gql, onboard, submit

from jogo.platform.auth.roles import Role

COUNT = """query($filter: ReportFilterInput) { reports(filter: $filter) { totalCount } }"""
WIT = timezone(timedelta(hours=9))  # Merauke (93.01), from the issue
WIB = timezone(timedelta(hours=7))  # Malang (35.73)


async def _tenant_with_report(app_client, settings, owner, *, polda, region, created_at):
    tenant = await onboard(polda=polda, region=region)
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    payload = await submit(app_client, tenant.slug, anonymous=True)
    assert payload["errors"] == [], payload
    report = payload["report"]
    await owner.execute(
        "UPDATE reports SET created_at = $2 WHERE id = $1", uuid.UUID(report["id"]), created_at
    )
    return tenant, operator


async def _count(app_client, tenant, operator, **filter_) -> int:
    status, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", COUNT, operator, filter=filter_
    )
    assert status == 200 and "errors" not in body, body
    return body["data"]["reports"]["totalCount"]


async def test_wit_tenant_day_and_bare_times(app_client, settings, owner):
    # 00:30 WIT on 30 Nov 2026 is 15:30 UTC on 29 Nov: a UTC reading misses it.
    tenant, operator = await _tenant_with_report(
        app_client,
        settings,
        owner,
        polda="PAPUA",
        region="93.01",
        created_at=datetime(2026, 11, 30, 0, 30, tzinfo=WIT),
    )
    assert tenant.time_zone == "WIT"
    count = lambda **f: _count(app_client, tenant, operator, **f)  # noqa: E731
    assert await count(createdFrom="2026-11-30", createdTo="2026-11-30") == 1
    assert await count(createdFrom="2026-11-30T00:00:00", createdTo="2026-11-30T23:59:59") == 1
    # The neighbouring days, by date and by bare time, do not hold it.
    assert await count(createdFrom="2026-11-29", createdTo="2026-11-29") == 0
    assert await count(createdFrom="2026-12-01", createdTo="2026-12-01") == 0
    assert await count(createdFrom="2026-11-29T00:00:00", createdTo="2026-11-29T23:59:59") == 0
    assert await count(createdTo="2026-11-30T00:30:00") == 0  # an end is exclusive
    assert await count(createdFrom="2026-11-30T00:30:00") == 1
    # An explicit offset is that moment, whatever the tenant's zone.
    assert await count(createdFrom="2026-11-29T15:00:00Z", createdTo="2026-11-29T16:00:00Z") == 1
    assert await count(createdFrom="2026-11-30T00:00:00+07:00") == 0


async def test_wib_tenant_boundaries(app_client, settings, owner):
    # 23:45 WIB on 30 Nov belongs to the 30th in Malang (16:45 UTC); 00:15 WIB on
    # 1 Dec (17:15 UTC on 30 Nov) does not.
    tenant, operator = await _tenant_with_report(
        app_client,
        settings,
        owner,
        polda="JATIM",
        region="35.73",
        created_at=datetime(2026, 11, 30, 23, 45, tzinfo=WIB),
    )
    assert tenant.time_zone == "WIB"
    second = (await submit(app_client, tenant.slug, anonymous=True))["report"]
    await owner.execute(
        "UPDATE reports SET created_at = $2 WHERE id = $1",
        uuid.UUID(second["id"]),
        datetime(2026, 12, 1, 0, 15, tzinfo=WIB),
    )
    count = lambda **f: _count(app_client, tenant, operator, **f)  # noqa: E731
    assert await count(createdFrom="2026-11-30", createdTo="2026-11-30") == 1
    assert await count(createdFrom="2026-12-01", createdTo="2026-12-01") == 1
    assert await count(createdFrom="2026-11-30T00:00:00", createdTo="2026-11-30T23:59:59") == 1
    assert await count(createdFrom="2026-11-30", createdTo="2026-12-01") == 2


async def test_occurred_at_without_offset_is_local(app_client, settings, owner):
    tenant = await onboard(polda="PAPUA", region="93.01")
    officer = await auth_header(settings, Role.OPERATOR, tenant)
    local_now = datetime.now(UTC).astimezone(WIT).replace(microsecond=0, tzinfo=None)
    bare = (local_now - timedelta(hours=2)).isoformat()  # two hours ago, Merauke's clock
    report = await submit(app_client, tenant.slug, anonymous=True, occurredAt=bare)
    assert report["errors"] == []
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        "query($id: ID!) { report(id: $id) { occurredAt } }",
        officer,
        id=report["report"]["id"],
    )
    occurred = datetime.fromisoformat(body["data"]["report"]["occurredAt"])
    assert occurred == (local_now - timedelta(hours=2)).replace(tzinfo=WIT)
    # Read as UTC it would lie 7 hours in the future and be refused; a bare time one
    # hour ahead on Merauke's clock is refused as the future.
    ahead = (local_now + timedelta(hours=1)).isoformat()
    count = "SELECT count(*) FROM reports WHERE tenant_id = $1"
    before = await owner.fetchval(count, tenant.id)
    refused = await submit(app_client, tenant.slug, anonymous=True, occurredAt=ahead)
    assert refused["report"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_INPUT", "occurredAt")]
    assert await owner.fetchval(count, tenant.id) == before


@pytest.mark.parametrize("zone", ["WIB", "WIT"])
async def test_bulletin_times_without_offset_are_local(app_client, settings, zone):
    from helpers import DRAFT, content

    polda, region, offset = {"WIB": ("JATIM", "35.73", WIB), "WIT": ("PAPUA", "93.01", WIT)}[zone]
    tenant = await onboard(polda=polda, region=region)
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    tomorrow = (datetime.now(UTC).astimezone(offset) + timedelta(days=1)).date()
    data = content(validFrom=f"{tomorrow}T08:00:00", validUntil=tomorrow.isoformat())
    data["area"]["regionCodes"] = []
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", DRAFT, operator, input=data)
    payload = body["data"]["draftBulletin"]
    assert payload["errors"] == [], payload
    bulletin = payload["bulletin"]
    start = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 8, tzinfo=offset)
    end = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=offset) + timedelta(days=1)
    assert datetime.fromisoformat(bulletin["validFrom"]) == start
    assert datetime.fromisoformat(bulletin["validUntil"]) == end


async def test_schema_states_the_rule(app_client):
    tenant = await onboard()
    _, body = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        '{ __type(name: "DateTime") { description } }',
    )
    text = body["data"]["__type"]["description"]
    assert "without an offset" in text and "tenant's own time zone" in text
