"""Issue 13 part 7: reference data that contradicted itself.

Each province (and each kabupaten/kota) belongs to exactly one Polda, checked against
the Kemendagri 2025 list; ticket prefixes are unique across the platform, derived free
by default, settable at onboarding (core, CLI, platform GraphQL) and refused when taken.
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from helpers import auth_header, gql, onboard, one_line_error, run_jogo, unique_slug

from jogo.platform import db
from jogo.platform.auth.roles import Role
from jogo.platform.errors import Conflict, InvalidInput
from jogo.platform.migrate import load_migrations
from jogo.platform.regions import POLDAS
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant
from jogo.tenants.reports.intake import next_ticket

# The Kemendagri 2025 codes as the package ships them (provinces and kabupaten/kota,
# copied from shared/data): a fresh clone has them, whatever lies beside it.
KEMENDAGRI = (
    Path(__file__).resolve().parents[1] / "platform" / "data" / "wilayah_kemendagri_2025_l1l2.csv"
)
ACTOR = ("pytest", "system")
PREFIX = re.compile(r"^[A-Z]{2,6}$")


def kemendagri(level: str) -> dict[str, str]:
    with KEMENDAGRI.open(encoding="utf-8") as fh:
        return {r["kode"]: r["nama"] for r in csv.DictReader(fh) if r["level"] == level}


def test_each_province_and_region_belongs_to_exactly_one_polda():
    provinces = kemendagri("1")
    kab_kota = kemendagri("2")
    assert len(provinces) == 38 and len(kab_kota) == 514  # the data's own counts
    for polda in POLDAS.values():
        assert polda.provinces, polda.code
        assert polda.provinces <= provinces.keys(), polda.code
        assert polda.extra_regions <= kab_kota.keys(), polda.code
    for code in provinces:
        homes = [p.code for p in POLDAS.values() if code in p.provinces]
        assert len(homes) == 1, (code, provinces[code], homes)
    for code in kab_kota:
        covering = [p.code for p in POLDAS.values() if p.covers(code)]
        assert len(covering) == 1, (code, kab_kota[code], covering)


@pytest.mark.parametrize(
    ("region", "right", "wrong"),
    [
        ("96.71", "PAPUA_BARAT_DAYA", "PAPUA_BARAT"),  # Kota Sorong
        ("96.01", "PAPUA_BARAT_DAYA", "PAPUA_BARAT"),  # Kabupaten Sorong
        ("65.71", "KALTARA", "KALTIM"),  # Kota Tarakan
        ("64.72", "KALTIM", "KALTARA"),  # Kota Samarinda
        ("92.02", "PAPUA_BARAT", "PAPUA_BARAT_DAYA"),  # Kabupaten Manokwari
        ("32.76", "METRO_JAYA", "JABAR"),  # Kota Depok
        ("32.73", "JABAR", "METRO_JAYA"),  # Kota Bandung
    ],
)
def test_the_one_right_polda(region, right, wrong):
    assert POLDAS[right].covers(region)
    assert not POLDAS[wrong].covers(region)


async def test_kota_sorong_under_papua_barat_is_refused_naming_the_right_polda(database, owner):
    refused = [unique_slug(), unique_slug()]
    with pytest.raises(InvalidInput) as err:
        await onboard("minimal", polda="PAPUA_BARAT", region="96.71", slug=refused[0])
    assert err.value.field == "poldaCode"
    assert "Papua Barat Daya" in err.value.message and "PAPUA_BARAT_DAYA" in err.value.message
    with pytest.raises(InvalidInput) as err:
        await onboard("minimal", polda="KALTIM", region="65.71", slug=refused[1])
    assert "Kalimantan Utara" in err.value.message
    assert await owner.fetchval("SELECT count(*) FROM tenants WHERE slug = ANY($1)", refused) == 0
    tenant = await onboard("minimal", polda="PAPUA_BARAT_DAYA", region="96.71")
    assert tenant.polda_code == "PAPUA_BARAT_DAYA" and tenant.time_zone == "WIT"


async def test_the_two_sorongs_and_the_two_malangs_get_different_prefixes(database):
    kabupaten_sorong = await onboard("minimal", polda="PAPUA_BARAT_DAYA", region="96.01")
    kota_sorong = await onboard("minimal", polda="PAPUA_BARAT_DAYA", region="96.71")
    kabupaten_malang = await onboard("minimal", polda="JATIM", region="35.07")
    kota_malang = await onboard("minimal", polda="JATIM", region="35.73")
    prefixes = [
        t.ticket_prefix for t in (kabupaten_sorong, kota_sorong, kabupaten_malang, kota_malang)
    ]
    assert all(PREFIX.match(p) for p in prefixes)
    assert len(set(prefixes)) == 4, prefixes
    assert prefixes[0].startswith("S") and prefixes[1].startswith("S")  # from "Sorong"
    assert prefixes[2].startswith("M") and prefixes[3].startswith("M")  # from "Malang"


async def test_the_first_tickets_of_the_two_sorongs_differ(database):
    kabupaten = await onboard("minimal", polda="PAPUA_BARAT_DAYA", region="96.01")
    kota = await onboard("minimal", polda="PAPUA_BARAT_DAYA", region="96.71")
    now = datetime.now(UTC)
    tickets = []
    for tenant in (kabupaten, kota):
        async with db.tenant_tx(tenant.id):
            tickets.append(await next_ticket(tenant, now))
    assert tickets[0] != tickets[1]
    assert tickets[0].split("-")[1:] == tickets[1].split("-")[1:] == [str(now.year), "000001"]


async def test_a_chosen_prefix_is_used_and_a_taken_one_is_conflict(database, owner):
    first = await do_onboard_tenant(
        OnboardInput(
            slug=unique_slug(),
            name="Polres Sorong Kota",
            polda_code="PAPUA_BARAT_DAYA",
            region_code="96.71",
            ticket_prefix="skt",
        ),
        actor=ACTOR,
    )
    assert first.tenant.ticket_prefix == "SKT"
    second = unique_slug()
    with pytest.raises(Conflict) as err:
        await do_onboard_tenant(
            OnboardInput(
                slug=second,
                name="Polres Sorong",
                polda_code="PAPUA_BARAT_DAYA",
                region_code="96.01",
                ticket_prefix="SKT",
            ),
            actor=ACTOR,
        )
    assert err.value.code == "CONFLICT" and err.value.field == "ticketPrefix"
    assert "SKT" in err.value.message
    assert await owner.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", second) == 0
    # The database refuses a duplicate even past the code (migration 0015).
    with pytest.raises(Exception, match="tenants_ticket_prefix_key"):
        await owner.execute(
            "UPDATE tenants SET ticket_prefix = 'SKT' WHERE id <> $1", first.tenant.id
        )


async def test_parallel_onboarding_never_shares_a_prefix(database):
    async def one(prefix: str | None) -> str | Exception:
        try:
            result = await do_onboard_tenant(
                OnboardInput(
                    slug=unique_slug(),
                    name="Polres Sorong",
                    polda_code="PAPUA_BARAT_DAYA",
                    region_code="96.01",
                    ticket_prefix=prefix,
                ),
                actor=ACTOR,
            )
        except Conflict as exc:
            return exc
        return result.tenant.ticket_prefix

    derived = await asyncio.gather(*(one(None) for _ in range(6)))
    assert all(isinstance(p, str) for p in derived), derived
    assert len(set(derived)) == 6, derived
    chosen = await asyncio.gather(*(one("PRLL") for _ in range(4)))
    assert [p for p in chosen if isinstance(p, str)] == ["PRLL"], chosen
    assert all(e.field == "ticketPrefix" for e in chosen if isinstance(e, Conflict))


ONBOARD = """mutation($input: OnboardTenantInput!) { onboardTenant(input: $input) {
  tenant { slug ticketPrefix } errors { code field message } } }"""


async def test_platform_graphql_sets_and_refuses_a_prefix(app_client, settings, database):
    admin = await auth_header(settings, Role.PLATFORM_ADMIN)
    data = {
        "name": "Polres Sorong Selatan",
        "poldaCode": "PAPUA_BARAT_DAYA",
        "regionCode": "96.02",
        "ticketPrefix": "SRSEL",
    }
    _, body = await gql(
        app_client, "/platform/graphql", ONBOARD, admin, input=data | {"slug": unique_slug()}
    )
    assert body["data"]["onboardTenant"]["tenant"]["ticketPrefix"] == "SRSEL"
    _, again = await gql(
        app_client, "/platform/graphql", ONBOARD, admin, input=data | {"slug": unique_slug()}
    )
    (error,) = again["data"]["onboardTenant"]["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", "ticketPrefix")
    _, wrong_polda = await gql(
        app_client,
        "/platform/graphql",
        ONBOARD,
        admin,
        input=data | {"slug": unique_slug(), "poldaCode": "PAPUA_BARAT", "ticketPrefix": None},
    )
    (error,) = wrong_polda["data"]["onboardTenant"]["errors"]
    assert error["field"] == "poldaCode" and "PAPUA_BARAT_DAYA" in error["message"]


async def test_cli_sets_a_prefix_and_refuses_a_taken_one(database, owner):
    args = ["tenant", "create", "--name", "Polres Raja Ampat", "--polda", "PAPUA_BARAT_DAYA"]
    args += ["--region", "96.03", "--ticket-prefix", "RJAMP"]
    first = await asyncio.to_thread(run_jogo, [*args, "--slug", unique_slug()], database)
    assert first.returncode == 0, first.stderr
    slug = json.loads(first.stdout)["slug"]
    prefix = await owner.fetchval("SELECT ticket_prefix FROM tenants WHERE slug = $1", slug)
    assert prefix == "RJAMP"
    second = await asyncio.to_thread(run_jogo, [*args, "--slug", unique_slug()], database)
    assert second.returncode != 0
    line = one_line_error(second)
    assert "RJAMP" in line and "ticket prefix" in line


async def test_migration_0015_repairs_existing_tenants(database):
    """A platform that already had the faults: shared prefixes and wrong Poldas."""
    server = database.rsplit("/", 1)[0]
    name = f"{database.rsplit('/', 1)[1]}_m15"[:63]
    admin = await asyncpg.connect(f"{server}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{server}/{name}"
        before = [m for m in load_migrations() if m.version < "0015"]
        conn = await asyncpg.connect(url)
        try:
            for m in before:
                await conn.execute(m.sql)
            rows = [
                ("kab-sorong", "SRG", "PAPUA_BARAT", "96.01"),
                ("kota-sorong", "SRG", "PAPUA_BARAT", "96.71"),
                ("third-sorong", "SRG", "PAPUA_BARAT_DAYA", "96.71"),
                ("already-srga", "SRGA", "JATIM", "35.73"),
                ("tarakan", "TRK", "KALTIM", "65.71"),
            ]
            for i, (slug, prefix, polda, region) in enumerate(rows):
                await conn.execute(
                    "INSERT INTO tenants (slug, name, kind, polda_code, region_code, time_zone,"
                    " ticket_prefix, template, created_at) VALUES ($1, 'Polres Uji', 'POLRES',"
                    " $3, $4, 'WIT', $2, 'minimal', now() + make_interval(secs => $5))",
                    slug,
                    prefix,
                    polda,
                    region,
                    i,
                )
            (m15,) = [m for m in load_migrations() if m.version == "0015"]
            await conn.execute(m15.sql)
            found = {
                r["slug"]: (r["ticket_prefix"], r["polda_code"])
                for r in await conn.fetch("SELECT slug, ticket_prefix, polda_code FROM tenants")
            }
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
    assert found["kab-sorong"] == ("SRG", "PAPUA_BARAT_DAYA")  # the first keeps its prefix
    assert found["already-srga"] == ("SRGA", "JATIM")
    assert found["tarakan"] == ("TRK", "KALTARA")
    later = {found["kota-sorong"][0], found["third-sorong"][0]}
    assert len(later) == 2 and all(PREFIX.match(p) and p.startswith("SRG") for p in later)
    assert not later & {"SRG", "SRGA"}
