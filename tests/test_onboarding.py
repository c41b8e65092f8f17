"""Onboarding from templates: seeds, validation, and nothing half-written."""

from __future__ import annotations

import re

import pytest
from helpers import onboard, unique_slug

from jogo.platform import db
from jogo.platform.errors import Conflict, InvalidInput
from jogo.tenants.agencies.queries import list_agencies
from jogo.tenants.onboarding.actions import OnboardInput, default_ticket_prefix, do_onboard_tenant
from jogo.tenants.reports.queries import list_categories

ACTOR = ("pytest", "system")

EXPECTED_CATEGORIES = {
    "TRAFFIC_ACCIDENT": "Kecelakaan Lalu Lintas",
    "FALLEN_TREE": "Pohon Tumbang",
    "POWER_FAULT": "Gangguan Listrik",
    "FIRE": "Kebakaran",
    "FLOOD": "Banjir",
    "CRIME": "Tindak Kriminal",
    "PUBLIC_ORDER": "Gangguan Kamtibmas",
    "ELECTION": "Kerawanan Pemilu",
    "POLICE_SERVICE": "Pengaduan Pelayanan Polri",
}


async def test_malang_template_seeds_categories_and_sample_directory(database):
    tenant = await onboard("jogo-malang-presisi")
    async with db.tenant_tx(tenant.id):
        categories = await list_categories()
        agencies = await list_agencies()
    assert {c["code"]: c["name_id"] for c in categories} == EXPECTED_CATEGORIES
    assert all(c["name_en"] for c in categories)
    kinds = [a["kind"] for a in agencies]
    assert kinds.count("hospital") == 9
    assert len(agencies) - kinds.count("hospital") == 16
    assert all(a["is_sample"] for a in agencies)
    assert all(a["tenant_id"] == tenant.id for a in agencies + categories)
    assert tenant.kind == "POLRESTA" and tenant.time_zone == "WIB"
    # Derived from "Malang": the first free candidate (MLG unless another tenant has it,
    # then 3-5 letters), or, once a run has onboarded every candidate of region 35.73
    # (about 700 tenants: most tests onboard there), six letters from its initial.
    assert re.fullmatch("M[A-Z]{2,5}", tenant.ticket_prefix)
    assert "integrations" in tenant.modules


async def test_minimal_template_seeds_categories_only(database):
    tenant = await onboard("minimal")
    async with db.tenant_tx(tenant.id):
        assert len(await list_categories()) == 9
        assert await list_agencies() == []
    assert tenant.modules == frozenset()


async def test_duplicate_slug_fails_and_leaves_nothing_behind(database, owner):
    slug = unique_slug()
    await onboard(slug=slug)
    before = {
        t: await owner.fetchval(f"SELECT count(*) FROM {t}")
        for t in ("tenants", "report_categories", "agencies", "audit_log")
    }
    with pytest.raises(Conflict) as err:
        await onboard(slug=slug)
    assert slug in err.value.message and err.value.field == "slug"
    after = {t: await owner.fetchval(f"SELECT count(*) FROM {t}") for t in before}
    assert after == before


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("slug", {"slug": "ab"}),
        ("slug", {"slug": "Polres-Besar"}),
        ("slug", {"slug": "polres_malang"}),
        ("slug", {"slug": "-polres"}),
        ("slug", {"slug": "a" * 64}),
        ("regionCode", {"region_code": "35-73"}),
        ("regionCode", {"region_code": "35.99"}),
        ("regionCode", {"region_code": "35"}),
        ("regionCode", {"region_code": "35.73.01"}),
        ("poldaCode", {"polda_code": "NOWHERE"}),
        ("poldaCode", {"polda_code": "JABAR"}),  # Kota Malang is not in Polda Jawa Barat
        ("template", {"template": "nope"}),
        ("modules", {"modules": ["teleport"]}),
        ("kind", {"name": "Kantor Uji", "kind": None}),
        ("kind", {"kind": "POLDA"}),
        ("timeZone", {"time_zone": "UTC"}),
        ("ticketPrefix", {"ticket_prefix": "M1"}),
        ("name", {"name": "  "}),
    ],
)
async def test_bad_input_is_refused_with_the_field(database, owner, field, changes):
    data = {
        "slug": unique_slug(),
        "name": "Polresta Uji",
        "polda_code": "JATIM",
        "region_code": "35.73",
        "template": "minimal",
    } | changes
    with pytest.raises(InvalidInput) as err:
        await do_onboard_tenant(OnboardInput(**data), actor=ACTOR)
    assert err.value.field == field
    assert await owner.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", data["slug"]) == 0


async def test_polda_metro_jaya_covers_its_suburbs(database):
    tenant = await onboard("minimal", polda="METRO_JAYA", region="32.76")  # Kota Depok
    assert tenant.polda_code == "METRO_JAYA"


async def test_time_zone_follows_the_region(database):
    assert (await onboard("minimal", polda="BALI", region="51.71")).time_zone == "WITA"
    assert (await onboard("minimal", polda="PAPUA", region="91.71")).time_zone == "WIT"


def test_default_ticket_prefix():
    assert default_ticket_prefix("35.73") == "MLG"
    assert default_ticket_prefix("35.78") == "SRY"  # Kota Surabaya


async def test_onboarding_is_audited(database, owner):
    tenant = await onboard("minimal")
    row = await owner.fetchrow("SELECT * FROM audit_log WHERE tenant = $1", tenant.id)
    assert row["action"] == "tenant.onboard" and row["actor"] == "pytest"
