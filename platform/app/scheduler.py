"""Periodic jobs (``jogo scheduler``, also inside ``jogo up``): the SLA sweep of every
active tenant, once a minute. Each tenant runs in its own transaction, so one failing
tenant is logged and the others still run."""

from __future__ import annotations

import asyncio
import logging

from jogo.platform import registry
from jogo.tenants.reports.sla_sweep import do_sweep_report_slas

log = logging.getLogger("jogo.scheduler")
SLA_INTERVAL_SECONDS = 60.0


async def sweep_all_tenants() -> int:
    """One pass; returns how many reports changed."""
    changed = 0
    for tenant in await registry.list_tenants():
        if not tenant.active:
            continue
        try:
            result = await do_sweep_report_slas(tenant)
        except Exception:  # one tenant's failure must not stop the others' SLAs
            log.exception("SLA sweep failed for %s", tenant.slug)
            continue
        changed += result.verify_breaches + result.followup_breaches + result.auto_closed
    return changed


async def run_scheduler(interval: float = SLA_INTERVAL_SECONDS) -> None:
    while True:
        try:
            changed = await sweep_all_tenants()
            if changed:
                log.info("SLA sweep changed %d report(s)", changed)
        except Exception:  # the database may be briefly away; try again next tick
            log.exception("SLA sweep failed")
        await asyncio.sleep(interval)
