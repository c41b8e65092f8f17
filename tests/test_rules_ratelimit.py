"""Counted limits (platform/ratelimit.py and the reports domain's limits), pinned at
their edges (issue 15, item 1): exactly at the limit, one over, and both sides of the
window's end, on the real database statement; no HTTP, so a mutation run stays short.

The numbers come from the rules as written (README, tenants/reports/limits.py):
anonymous reports 10 in 10 minutes per address, tracking 30 a minute per client and 10
a minute per ticket. Hits are moved into the past in the database instead of waiting.
"""

from __future__ import annotations

import hashlib
import uuid

import pytest

from jogo.platform.ratelimit import Limit, RateLimited


def fresh(limit: int, window_seconds: int, message: str | None = None) -> Limit:
    name = f"rule-{uuid.uuid4().hex[:10]}"
    if message is None:
        return Limit(name, limit, window_seconds)
    return Limit(name, limit, window_seconds, message)


async def age(owner, key: str, seconds: float) -> None:
    """Move every recorded hit of ``key`` ``seconds`` into the past."""
    done = await owner.execute(
        "UPDATE rate_limits SET hits = ARRAY(SELECT t - make_interval(secs => $2)"
        " FROM unnest(hits) t) WHERE key = $1",
        key,
        float(seconds),
    )
    assert done == "UPDATE 1"


async def set_age(owner, key: str, seconds: float) -> None:
    """Make every recorded hit of ``key`` exactly ``seconds`` old."""
    done = await owner.execute(
        "UPDATE rate_limits SET hits = ARRAY(SELECT now() - make_interval(secs => $2)"
        " FROM unnest(hits)) WHERE key = $1",
        key,
        float(seconds),
    )
    assert done == "UPDATE 1"


async def row(owner, key: str):
    return await owner.fetchrow(
        "SELECT cardinality(hits) AS hits, refused FROM rate_limits WHERE key = $1", key
    )


def test_limits_and_hits_cannot_be_changed_in_place():
    from dataclasses import FrozenInstanceError
    from datetime import UTC, datetime

    from jogo.platform.ratelimit import Hit

    limit = Limit("track-client", 30, 60)
    with pytest.raises(FrozenInstanceError):
        limit.limit = 1_000  # type: ignore[misc]
    hit = Hit("k", datetime.now(UTC))
    with pytest.raises(FrozenInstanceError):
        hit.key = "other"  # type: ignore[misc]


def test_a_refusal_without_a_counted_window_says_one_minute_and_no_lockout():
    refused = RateLimited("at most 10 posts an hour")
    assert (refused.code, refused.retry_after, refused.first) == ("RATE_LIMITED", 60, False)


def test_keys_are_the_name_and_40_hex_of_the_sha256():
    limit = Limit("track-client", 30, 60)
    value = "203.0.113.7"
    expected = "track-client:" + hashlib.sha256(value.encode()).hexdigest()[:40]
    assert limit.key(value) == expected
    # Not UTF-8 encodable on its own: still one key, from the surrogate's own bytes.
    odd = "x\ud800"
    digest = hashlib.sha256(b"x\xed\xa0\x80").hexdigest()[:40]
    assert limit.key(odd) == f"track-client:{digest}"


async def test_exactly_the_limit_is_accepted_and_one_over_refused(database, owner):
    limit = fresh(3, 600)
    for n in range(3):
        await limit.hit("a")
        assert await limit.recent("a") == n + 1
    with pytest.raises(RateLimited) as first:
        await limit.hit("a")
    assert first.value.code == "RATE_LIMITED"
    assert first.value.first is True
    # The window started with the first hit: about 600 s until one more is allowed.
    assert 598 <= first.value.retry_after <= 600
    with pytest.raises(RateLimited) as second:
        await limit.hit("a")
    assert second.value.first is False
    stored = await row(owner, limit.key("a"))
    assert (stored["hits"], stored["refused"]) == (3, 2)  # refusals are not stored
    # Another value has its own count.
    await limit.hit("b")
    assert await limit.recent("b") == 1


async def test_the_window_edge(database, owner):
    limit = fresh(2, 600)
    await limit.hit("a")
    await limit.hit("a")
    key = limit.key("a")
    await age(owner, key, 590)  # 10 s before the window ends: both still count
    with pytest.raises(RateLimited) as caught:
        await limit.hit("a")
    assert 9 <= caught.value.retry_after <= 10
    assert await limit.recent("a") == 2
    await age(owner, key, 11)  # 1 s after: neither does
    assert await limit.recent("a") == 0
    await limit.hit("a")
    stored = await row(owner, key)
    assert (stored["hits"], stored["refused"]) == (1, 0)  # an accepted hit resets


async def test_an_unknown_value_has_no_hits(database):
    assert await fresh(1, 60).recent("never") == 0


async def test_refund_takes_one_hit_back(database, owner):
    limit = fresh(2, 600)
    first = await limit.hit("a")
    assert first.key == limit.key("a")
    await limit.hit("a")
    await limit.refund(first)
    assert await limit.recent("a") == 1
    await limit.hit("a")  # the refunded place is free again
    with pytest.raises(RateLimited):
        await limit.hit("a")


@pytest.mark.parametrize(("left", "minutes"), [(10, 1), (120, 2), (121, 3)])
async def test_the_message_gives_whole_seconds_and_minutes_rounded_up(
    database, owner, left, minutes
):
    limit = fresh(1, 600, "{seconds} s / {minutes} min")
    await limit.hit("a")
    await age(owner, limit.key("a"), 600 - left)
    with pytest.raises(RateLimited) as caught:
        await limit.hit("a")
    assert caught.value.retry_after == left  # the next statement starts under 1 s later
    assert caught.value.message == f"{left} s / {minutes} min"


async def test_refusals_are_counted_up_to_a_million(database, owner):
    limit = fresh(1, 600)
    await limit.hit("a")
    key = limit.key("a")
    await owner.execute("UPDATE rate_limits SET refused = 999999 WHERE key = $1", key)
    for _ in range(2):
        with pytest.raises(RateLimited) as caught:
            await limit.hit("a")
        assert caught.value.first is False
    assert (await row(owner, key))["refused"] == 1_000_000


async def test_a_hit_purges_twenty_expired_rows_of_other_keys(database, owner):
    prefix = f"purge-{uuid.uuid4().hex[:10]}"
    # Older than any other test's expired rows, so these go first.
    await owner.execute(
        "INSERT INTO rate_limits (key, hits, refused, expires_at)"
        " SELECT $1 || ':' || n, ARRAY[now()], 0, '1990-01-01'::timestamptz + n * interval '1 s'"
        " FROM generate_series(1, 25) n",
        prefix,
    )
    await fresh(1, 60).hit("a")
    left = await owner.fetchval(
        "SELECT count(*) FROM rate_limits WHERE key LIKE $1 || ':%'", prefix
    )
    assert left == 5


# --- the reports domain's limits -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "limit", "window"),
    [("ANONYMOUS_BY_CLIENT", 10, 600), ("TRACK_BY_CLIENT", 30, 60), ("TRACK_BY_TICKET", 10, 60)],
)
async def test_reports_limits_at_their_edges(database, owner, name, limit, window):
    from jogo.tenants.reports import limits

    rule: Limit = getattr(limits, name)
    value = limits.per_tenant(uuid.uuid4(), f"203.0.113.{uuid.uuid4().int % 250}")
    for _ in range(limit):
        await rule.hit(value)  # exactly the limit: accepted
    with pytest.raises(RateLimited):
        await rule.hit(value)  # one over: refused
    # Every hit 1 s before the window ends: all still count.
    await set_age(owner, rule.key(value), window - 1)
    with pytest.raises(RateLimited):
        await rule.hit(value)
    # Half a second past the window: none does.
    await set_age(owner, rule.key(value), window + 0.5)
    await rule.hit(value)
    assert await rule.recent(value) == 1


def test_reports_keys_are_per_tenant():
    from jogo.tenants.reports.limits import TRACK_BY_TICKET, per_tenant

    a, b = uuid.UUID(int=1), uuid.UUID(int=2)
    assert per_tenant(a, "T-1") == "00000000-0000-0000-0000-000000000001:T-1"
    assert per_tenant(b, None) == "00000000-0000-0000-0000-000000000002:None"
    assert TRACK_BY_TICKET.key(per_tenant(a, "T-1")) != TRACK_BY_TICKET.key(per_tenant(b, "T-1"))


async def test_the_anonymous_message_speaks_in_minutes(database, owner):
    from jogo.tenants.reports.limits import ANONYMOUS_BY_CLIENT, per_tenant

    value = per_tenant(uuid.uuid4(), "198.51.100.9")
    for _ in range(10):
        await ANONYMOUS_BY_CLIENT.hit(value)
    with pytest.raises(RateLimited) as caught:
        await ANONYMOUS_BY_CLIENT.hit(value)
    assert "coba lagi dalam 10 menit" in caught.value.message
    assert "try again in 10 min" in caught.value.message
