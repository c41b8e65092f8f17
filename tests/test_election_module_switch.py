"""Switching the election module on for a command brings the election report categories
(once: switching it on again adds none); a command without the module has none."""

from __future__ import annotations

from helpers import onboard

from jogo.tenants.election.vocab import ELECTION_CATEGORIES
from jogo.tenants.onboarding.actions import do_set_tenant_modules

CODES = "SELECT code FROM report_categories WHERE tenant_id = $1"


async def test_switching_election_on_seeds_its_categories_once(database, owner) -> None:
    tenant = await onboard(sample_directory=False)
    assert "election" not in tenant.modules
    election = {seed.code for seed in ELECTION_CATEGORIES}
    assert election  # the vocabulary has categories to seed
    before = {r["code"] for r in await owner.fetch(CODES, tenant.id)}
    assert before and not before & election
    info = await do_set_tenant_modules(
        tenant.slug, [*tenant.modules, "election"], actor=("pytest", "system")
    )
    assert "election" in info.modules
    after = [r["code"] for r in await owner.fetch(CODES, tenant.id)]
    assert set(after) == before | election and len(after) == len(set(after))
    await do_set_tenant_modules(tenant.slug, sorted(info.modules), actor=("pytest", "system"))
    assert len(await owner.fetch(CODES, tenant.id)) == len(after)
    # Switching it off keeps the categories (reports may use them) and writes no new ones.
    await do_set_tenant_modules(tenant.slug, sorted(tenant.modules), actor=("pytest", "system"))
    assert len(await owner.fetch(CODES, tenant.id)) == len(after)
