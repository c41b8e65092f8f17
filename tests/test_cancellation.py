"""A stop is a stop: on Python 3.11 ``asyncio.wait_for`` returns the inner result when a
cancellation arrives as the inner wait completes, so a loop that waited with it could
swallow its own cancellation and run for ever. The outbox relay did, when a NOTIFY woke
it at the moment it was stopped: a test's teardown hung until CI's deadline. Product
code waits with ``asyncio.timeout``, which counts cancellations."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ["platform", "tenants", "graphql", "workers"]


def test_no_product_code_waits_with_wait_for():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in PRODUCT
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bwait_for\(", line) and not line.lstrip().startswith("#")
    ]
    assert found == [], f"use asyncio.timeout, not wait_for: {found}"


@pytest.mark.parametrize("round_", range(5))
async def test_the_relay_stops_when_woken_as_it_is_cancelled(broker, round_):
    from jogo.workers.relay import Relay

    runner = Relay(broker)
    task = asyncio.create_task(runner.run_forever())
    try:
        await asyncio.sleep(0.3)  # its first pass done, it waits for a wake-up
        runner._wake.set()  # a NOTIFY ...
        task.cancel()  # ... at the moment of the stop
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(10):
                await task
    finally:
        task.cancel()
        runner.close()
