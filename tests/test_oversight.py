"""National oversight: rollups kept from outbox events, the reconcile job, Polda scoping,
redaction that never lets an original value through, and the audit of every look."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

import pytest
from helpers import FINISHED, VERIFY, act, auth_header, gql, onboard, submit

from jogo.platform.auth.roles import ROLE_CAPS, Role
from jogo.tenants.oversight.rollups import do_rebuild_tenant
from jogo.tenants.reports.sla_sweep import do_sweep_report_slas

NATIONAL = "/national/graphql"
SUMMARY = """query($f: NationalFilter) { summary(filter: $f) { tenants reports urgent slaBreaches
  slaBreachRate byStatus { key count } byCategory { key count } daily { day count }
  timeToVerify { medianSeconds p90Seconds reports } timeToResolve { reports } } }"""
STATUS = """mutation($id: ID!, $s: ReportStatus!, $n: String) { updateReportStatus(reportId: $id,
  status: $s, note: $n) { errors { code } } }"""
REJECT = (
    """mutation($id: ID!) { rejectReport(reportId: $id, reason: "palsu") { errors { code } } }"""
)


async def settle(owner, tenant_ids, wait=30.0):
    """Until every rollup message for these tenants has been published and applied."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        pending = await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE actor = 'rollup_report' AND published_at IS NULL"
            " AND tenant = ANY($1::uuid[])",
            tenant_ids,
        )
        contributions = await owner.fetchval(
            "SELECT count(*) FROM oversight_contributions WHERE tenant = ANY($1::uuid[])",
            tenant_ids,
        )
        reports = await owner.fetchval(
            "SELECT count(*) FROM reports WHERE tenant_id = ANY($1::uuid[])", tenant_ids
        )
        published = await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE actor = 'rollup_report'"
            " AND published_at IS NOT NULL AND tenant = ANY($1::uuid[])",
            tenant_ids,
        )
        finished = sum(FINISHED.count("rollup_report", t) for t in tenant_ids)
        # Every published message applied by the worker, not "probably" after a sleep.
        if pending == 0 and contributions == reports and finished >= published:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("rollups did not settle")


async def snapshot(owner, scope):
    out = {}
    for table, keys in (
        ("oversight_daily", "day, category_code, status, urgent, breached"),
        ("oversight_durations", "day, category_code, metric, bucket"),
        ("oversight_cells", "day, category_code, cell_lat, cell_lon"),
    ):
        rows = await owner.fetch(
            f"SELECT {keys}, reports FROM {table} WHERE scope = $1 AND reports <> 0"
            f" ORDER BY {keys}",
            scope,
        )
        out[table] = [tuple(r) for r in rows]
    return out


async def busy_tenant(client, settings, polda="JATIM", region="35.73"):
    tenant = await onboard("jogo-malang-presisi", polda=polda, region=region)
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    _, agencies = await gql(
        client, f"/t/{tenant.slug}/graphql", '{ agencies(kind: "dinas") { id } }', operator
    )
    agency = agencies["data"]["agencies"][0]["id"]
    ids = []
    for i, code in enumerate(["FLOOD", "FIRE", "CRIME", "FLOOD", "FALLEN_TREE", "ELECTION"]):
        rid = (
            await submit(
                client,
                tenant.slug,
                operator,
                categoryCode=code,
                urgent=i % 3 == 0,
                latitude=-7.95 - i * 0.004,
                longitude=112.61 + i * 0.004,
            )
        )["report"]["id"]
        ids.append(rid)
    await act(client, tenant.slug, VERIFY, operator, id=ids[0])
    await act(client, tenant.slug, VERIFY, operator, id=ids[1])
    await act(
        client,
        tenant.slug,
        """mutation($r: ID!, $a: ID!) { dispatchReport(reportId: $r,
      agencyId: $a) { errors { code } } }""",
        operator,
        r=ids[1],
        a=agency,
    )
    await act(client, tenant.slug, STATUS, operator, id=ids[1], s="IN_PROGRESS", n=None)
    await act(client, tenant.slug, STATUS, operator, id=ids[1], s="RESOLVED", n="Api padam")
    await act(client, tenant.slug, REJECT, operator, id=ids[2])
    return tenant, operator, ids


async def test_incremental_rollups_equal_a_rebuild(app_client, settings, owner, worker, relay):
    tenant, _, ids = await busy_tenant(app_client, settings, polda="BALI", region="51.71")
    # An SLA breach changes a report's rollup cell too.
    # Breaches are marked on working days only: sweep on one, Wed 2 Dec 2026 10:00 WITA.
    sweep_at = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    await owner.execute(
        "UPDATE reports SET verify_due_at = $2::timestamptz - interval '1 minute'"
        " WHERE id = $1::uuid",
        ids[3],
        sweep_at,
    )
    assert (await do_sweep_report_slas(tenant, sweep_at)).verify_breaches == 1
    await settle(owner, [tenant.id])
    scope, polda = f"tenant:{tenant.id}", "polda:BALI"
    incremental, polda_before = await snapshot(owner, scope), await snapshot(owner, polda)
    assert sum(r[-1] for r in incremental["oversight_daily"]) == 6
    assert await do_rebuild_tenant(tenant) == 6
    assert await snapshot(owner, scope) == incremental
    assert await snapshot(owner, polda) == polda_before  # the Polda loses and regains it exactly
    daily = incremental["oversight_daily"]  # (day, category, status, urgent, breached, reports)
    statuses = {}
    for row in daily:
        statuses[row[2]] = statuses.get(row[2], 0) + row[-1]
    assert statuses["RESOLVED"] == 1 and statuses["REJECTED"] == 1 and statuses["VERIFIED"] == 1
    assert sum(row[4] for row in daily) == 1  # one breach
    assert sum(row[3] for row in daily) == 2  # two urgent


async def test_summary_by_tenant_and_scoping_across_two_polda(
    app_client, settings, owner, worker, relay
):
    jatim, _, _ = await busy_tenant(app_client, settings)
    jateng, _, _ = await busy_tenant(app_client, settings, polda="JATENG", region="33.74")
    await settle(owner, [jatim.id, jateng.id])
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    polda = await auth_header(settings, Role.POLDA_SUPERVISOR, polda="JATIM")
    _, all_of_it = await gql(
        app_client,
        NATIONAL,
        """query { byTenant { tenant { slug } summary { reports } } }""",
        national,
    )
    slugs = {t["tenant"]["slug"] for t in all_of_it["data"]["byTenant"]}
    assert {jatim.slug, jateng.slug} <= slugs
    _, own = await gql(
        app_client, NATIONAL, """query { byTenant { tenant { slug poldaCode } } }""", polda
    )
    assert jatim.slug in {t["tenant"]["slug"] for t in own["data"]["byTenant"]}
    assert {t["tenant"]["poldaCode"] for t in own["data"]["byTenant"]} == {"JATIM"}
    # Naming another Polda's tenant or Polda gives nothing, not an error that confirms it.
    for f in ({"tenantSlug": jateng.slug}, {"poldaCode": "JATENG"}):
        _, other = await gql(app_client, NATIONAL, SUMMARY, polda, f=f)
        assert other["data"]["summary"]["reports"] == 0 and other["data"]["summary"]["tenants"] == 0
    _, one = await gql(app_client, NATIONAL, SUMMARY, national, f={"tenantSlug": jatim.slug})
    s = one["data"]["summary"]
    assert s["reports"] == 6 and s["tenants"] == 1 and s["urgent"] == 2
    assert {c["key"]: c["count"] for c in s["byCategory"]}["FLOOD"] == 2
    assert {c["key"]: c["count"] for c in s["byStatus"]} == {
        "SUBMITTED": 3,
        "VERIFIED": 1,
        "RESOLVED": 1,
        "REJECTED": 1,
    }
    assert s["timeToVerify"]["reports"] == 2 and s["timeToVerify"]["medianSeconds"] > 0
    assert s["timeToResolve"]["reports"] == 1
    assert sum(d["count"] for d in s["daily"]) == 6
    _, fires = await gql(
        app_client,
        NATIONAL,
        SUMMARY,
        national,
        f={"tenantSlug": jatim.slug, "categoryCode": "fire", "status": "RESOLVED"},
    )
    assert fires["data"]["summary"]["reports"] == 1
    _, cells = await gql(
        app_client,
        NATIONAL,
        """query($f: NationalFilter) { heatmap(filter: $f)
      { latitude longitude count } }""",
        national,
        f={"tenantSlug": jatim.slug},
    )
    heat = cells["data"]["heatmap"]
    assert sum(c["count"] for c in heat) == 6
    for c in heat:  # cell centres on a 0.01° grid, never a report's own point
        assert abs(c["latitude"] * 100 - 0.5 - round(c["latitude"] * 100 - 0.5)) < 1e-6
        assert abs(c["longitude"] * 100 - 0.5 - round(c["longitude"] * 100 - 0.5)) < 1e-6


async def test_a_tenant_operator_gets_nothing_from_national(app_client, settings, two_tenants):
    operator = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    for query in (
        "{ summary { reports } }",
        "{ reports { edges { node { ticket } } } }",
        "{ heatmap { count } }",
        "{ auditLog { entries { id } } }",
    ):
        status, body = await gql(app_client, NATIONAL, query, operator)
        assert status == 403 and "data" not in body


PII_NAME = "Siti Rahmawati"
PII_PHONE = "0812-3456-7890"
PII_EMAIL = "siti.rahma@example.co.id"
PII_NIK = "3573014509870002"
PII_ADDRESS = "Jl. Kawi No. 17, Klojen"


TEXT_NUMBERS = (
    "(0341) 551234",
    "0812/3456/7890",
    "08 12 34 56 78 90",
    "NIK3573014509870002",
    "3573 0145 0987 0002",
    "+62 813 1111 2222",
)


# Issue 13 part 3: the same personal values as people write them, and street addresses.
NAME_VARIANTS = (
    "SITI RAHMAWATI",
    "siti rahmawati",
    "Siti   Rahmawati",
    "Siti\nRahmawati",
    "Siti.-Rahmawati",
    "siti_rahmawati",
    "Siti,\r\n  RAHMAWATI",
)
ADDRESS_VARIANTS = ("jl. kawi no. 17, klojen", "JL KAWI NO 17 KLOJEN", "Jl.\nKawi No.17,\nKlojen")
PHONE_VARIANTS = (
    "0812 3456 7890",
    "0812-3456-7890",
    "+62 812-3456-7890",
    "+6281234567890",
    "62 812 3456 7890",
    "(0812) 3456 7890",
    "+60 12-345 6789",
)
STREETS = (
    "Jalan Ijen No. 5",
    "Gg. Mawar III no.2",
    "JALAN BASUKI RAHMAT 12",
    "jln. Soekarno-Hatta #9",
    "Jl.Semeru\nNo. 4A",
    "gg buntu 12/3",
)


NATIONAL_ROLES = (Role.NATIONAL_SUPERVISOR, Role.POLDA_SUPERVISOR, Role.OVERSIGHT_AUDITOR)


async def test_drill_down_never_carries_a_redacted_value(app_client, settings, owner, two_tenants):
    slug = two_tenants.a.slug
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    lat, lon = -7.976543, 112.623456
    created = await submit(
        app_client,
        slug,
        citizen,
        reporterName=PII_NAME,
        reporterPhone=PII_PHONE,
        address=PII_ADDRESS,
        latitude=lat,
        longitude=lon,
        title=f"Penipuan oleh {PII_EMAIL}",
        description=f"Saya {PII_NAME} di {PII_ADDRESS}, nomor {PII_PHONE}. "
        + "; ".join(TEXT_NUMBERS)
        + ". Nama: "
        + " / ".join(NAME_VARIANTS)
        + ". Alamat: "
        + " / ".join(ADDRESS_VARIANTS)
        + ". Telepon: "
        + " / ".join(PHONE_VARIANTS)
        + ". Lokasi lain: "
        + " / ".join(STREETS),
    )
    ticket = created["report"]["ticket"]
    # The README's contract: the drill-down is redacted for every national role; none
    # holds a capability to an unredacted view (there is none to hold).
    national_caps = set().union(*(ROLE_CAPS[r] for r in NATIONAL_ROLES))
    assert {c.value for c in national_caps} == {"national:read", "audit:read"}
    for role in NATIONAL_ROLES:
        polda = two_tenants.a.polda_code if role is Role.POLDA_SUPERVISOR else None
        headers = await auth_header(settings, role, polda=polda)
        status, body = await gql(
            app_client,
            NATIONAL,
            """query($f: NationalFilter) { reports(filter: $f,
          first: 100) { edges { node { tenantSlug ticket title description latitude longitude status } } } }""",
            headers,
            f={"tenantSlug": slug},
        )
        assert status == 200, body
        [node] = [
            e["node"] for e in body["data"]["reports"]["edges"] if e["node"]["ticket"] == ticket
        ]
        text = json.dumps(body)
        for original in (
            PII_NAME,
            PII_PHONE,
            PII_EMAIL,
            PII_NIK,
            PII_ADDRESS,
            "3573",
            "551234",
            "3456",
            str(lat),
            str(lon),
            *TEXT_NUMBERS,
            *NAME_VARIANTS,
            *ADDRESS_VARIANTS,
            *PHONE_VARIANTS,
            *STREETS,
        ):
            assert original not in text, original
            # JSON escapes line breaks; the decoded text must not hold them either,
            # in any letter case.
            for value in (node["title"], node["description"]):
                assert original.casefold() not in value.casefold(), (original, value)
        for part in ("Rahmawati", "Kawi", "Ijen", "Mawar", "Basuki", "Soekarno", "Semeru"):
            assert part.casefold() not in text.casefold(), part
        assert node["title"] == "Penipuan oleh [email]"
        assert node["description"].count("[nama]") == 1 + len(NAME_VARIANTS)
        assert node["description"].count("[alamat]") == 1 + len(ADDRESS_VARIANTS) + len(STREETS)
        assert node["description"].count("[angka]") >= len(TEXT_NUMBERS)
        assert (node["latitude"], node["longitude"]) == (-7.977, 112.623)


async def test_own_name_is_masked_in_any_case_in_each_tenant(app_client, settings, two_tenants):
    """The issue's example, in tenant A; in tenant B another reporter, whose report also
    names A's reporter: each row is masked with its own reporter's values."""
    example = "Saya BUDI SANTOSO, tetangga saya Pak Budi santoso juga lihat."
    a = await submit(
        app_client,
        two_tenants.a.slug,
        await auth_header(settings, Role.CITIZEN, two_tenants.a),
        reporterName="Budi Santoso",
        description=example,
    )
    b = await submit(
        app_client,
        two_tenants.b.slug,
        await auth_header(settings, Role.CITIZEN, two_tenants.b),
        reporterName="Dewi Lestari",
        reporterPhone="0857 1234 5678",
        address="Gg. Melati No. 3, Semarang",
        description="Saya DEWI LESTARI (0857-1234-5678), gg. melati no 3 semarang. Budi Santoso"
        " juga melihat.",
    )
    _, body = await gql(
        app_client,
        NATIONAL,
        "{ reports(first: 100) { edges { node { ticket description } } } }",
        await auth_header(settings, Role.NATIONAL_SUPERVISOR),
    )
    seen = {e["node"]["ticket"]: e["node"]["description"] for e in body["data"]["reports"]["edges"]}
    assert seen[a["report"]["ticket"]] == "Saya [nama], tetangga saya Pak [nama] juga lihat."
    # The database masks the digit run first ("[angka]"), before the own phone is seen.
    assert seen[b["report"]["ticket"]] == (
        "Saya [nama] ([angka]), [alamat]. Budi Santoso juga melihat."
    )


async def test_polda_supervisor_sees_no_other_polda_anywhere(app_client, settings, two_tenants):
    """two_tenants: A in JATIM, B in JATENG."""
    await submit(
        app_client,
        two_tenants.b.slug,
        await auth_header(settings, Role.CITIZEN, two_tenants.b),
        title="Laporan khusus Jateng",
    )
    polda = await auth_header(settings, Role.POLDA_SUPERVISOR, polda="JATIM")
    _, body = await gql(
        app_client,
        NATIONAL,
        """{ tenants { slug } reports(first: 100) { edges { node {
      tenantSlug title } } } heatmap { latitude longitude count } }""",
        polda,
    )
    assert two_tenants.b.slug not in json.dumps(body)
    assert "Laporan khusus Jateng" not in json.dumps(body)
    for node in (e["node"] for e in body["data"]["reports"]["edges"]):
        assert node["tenantSlug"] != two_tenants.b.slug
    # Semarang (Jateng) lies near 110.4 E; no JATIM view has a cell in Central Java. (A
    # JATIM command may well hold a report located abroad, e.g. Singapore: issue 14.)
    assert not [
        c
        for c in body["data"]["heatmap"]
        if 108.5 <= c["longitude"] <= 111 and -8.3 <= c["latitude"] <= -5.5
    ]


async def test_drill_down_uses_each_tenants_own_day(app_client, settings, owner, two_tenants):
    from datetime import date

    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    rid = (await submit(app_client, two_tenants.a.slug, citizen, title="Laporan larut malam"))[
        "report"
    ]["id"]
    # 23:00 WIB on 9 January is 16:00 UTC: the 9th for a WIB tenant, never the 10th.
    await owner.execute(
        "UPDATE reports SET created_at = '2026-01-09 16:00:00+00' WHERE id = $1::uuid", rid
    )
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    query = """query($f: NationalFilter) { reports(filter: $f, first: 100) { edges { node { title } } } }"""
    for day, expected in ((date(2026, 1, 10), False), (date(2026, 1, 9), True)):
        _, body = await gql(
            app_client,
            NATIONAL,
            query,
            national,
            f={
                "tenantSlug": two_tenants.a.slug,
                "dateFrom": day.isoformat(),
                "dateTo": day.isoformat(),
            },
        )
        titles = [e["node"]["title"] for e in body["data"]["reports"]["edges"]]
        assert ("Laporan larut malam" in titles) is expected, (day, titles)


async def test_polda_scope_equals_the_sum_of_its_tenants(
    app_client, settings, owner, worker, relay
):
    tenant, _, _ = await busy_tenant(app_client, settings, polda="NTB", region="52.71")
    other, _, _ = await busy_tenant(app_client, settings, polda="NTB", region="52.01")
    await settle(owner, [tenant.id, other.id])

    async def polda_equals_sum():
        polda = await owner.fetch(
            "SELECT day, category_code, status, reports FROM oversight_daily"
            " WHERE scope = 'polda:NTB' AND reports <> 0 ORDER BY 1, 2, 3"
        )
        # Every NTB tenant of the database, not only ours: another test may have made one.
        ntb = await owner.fetch("SELECT id FROM tenants WHERE polda_code = 'NTB'")
        assert {tenant.id, other.id} <= {r["id"] for r in ntb}
        summed = await owner.fetch(
            "SELECT day, category_code, status, sum(reports)::int FROM oversight_daily WHERE scope = ANY($1)"
            " GROUP BY 1, 2, 3 HAVING sum(reports) <> 0 ORDER BY 1, 2, 3",
            [f"tenant:{r['id']}" for r in ntb],
        )
        assert polda and [tuple(r) for r in polda] == [tuple(r) for r in summed]

    await polda_equals_sum()  # incrementally
    await do_rebuild_tenant(tenant)
    await polda_equals_sum()  # and after a rebuild


async def test_every_national_look_is_audited_and_readable_by_the_auditor(
    app_client, settings, owner
):
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    await gql(
        app_client, NATIONAL, SUMMARY, national, f={"poldaCode": "JATIM", "categoryCode": "FIRE"}
    )
    row = await owner.fetchrow(
        "SELECT * FROM audit_log WHERE action = 'national.summary' ORDER BY id DESC LIMIT 1"
    )
    detail = json.loads(row["detail"])
    assert row["role"] == "national_supervisor" and detail["filter"]["poldaCode"] == "JATIM"
    jatim = await owner.fetch("SELECT id::text FROM tenants WHERE polda_code = 'JATIM'")
    assert set(detail["tenant_ids"]) == {r["id"] for r in jatim}
    assert detail["filter"]["category"] == "FIRE" and detail["tenants"] >= 1
    _, denied = await gql(app_client, NATIONAL, "{ auditLog { entries { id } } }", national)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    auditor = await auth_header(settings, Role.OVERSIGHT_AUDITOR)
    _, log = await gql(
        app_client,
        NATIONAL,
        "{ auditLog(first: 5) { entries { action role detail } hasNextPage } }",
        auditor,
    )
    entries = log["data"]["auditLog"]["entries"]
    assert entries[0]["action"] == "national.auditLog" and entries[0]["role"] == "oversight_auditor"
    assert any(e["action"] == "national.summary" for e in entries)


@pytest.mark.parametrize(
    ("f", "field"),
    [
        ({"dateFrom": "2026-02-01", "dateTo": "2026-01-01"}, "dateFrom"),
        ({"dateFrom": "2020-01-01", "dateTo": "2026-01-01"}, "dateFrom"),
    ],
)
async def test_bad_filters(app_client, settings, f, field):
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    _, body = await gql(app_client, NATIONAL, SUMMARY, national, f=f)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field


async def test_only_the_definer_function_reads_across_tenants(owner, database):
    from jogo.platform import db

    grants = await owner.fetch(
        "SELECT grantee FROM information_schema.routine_privileges WHERE routine_name = 'oversight_reports'"
    )
    assert {g["grantee"] for g in grants} >= {"jogo_app"} and "PUBLIC" not in {
        g["grantee"] for g in grants
    }
    role = await owner.fetchrow(
        "SELECT rolcanlogin, rolbypassrls FROM pg_roles WHERE rolname = 'jogo_oversight'"
    )
    assert role["rolbypassrls"] and not role["rolcanlogin"]
    assert (await db.fetch("SELECT count(*) FROM reports"))[0][
        0
    ] == 0  # the app role still sees nothing


async def test_a_new_report_shows_nationally_within_60_s_under_load(
    app_client, settings, owner, worker, relay
):
    tenant = await onboard("minimal")
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    # Load: 150 reports submitted in bursts, with their rollup messages queued behind.
    for burst in range(5):
        await asyncio.gather(
            *[
                submit(app_client, tenant.slug, operator, title=f"Beban {burst}-{i} laporan")
                for i in range(30)
            ]
        )
    start = time.monotonic()
    await submit(
        app_client, tenant.slug, operator, categoryCode="ELECTION", title="Laporan terakhir"
    )
    seen = None
    while time.monotonic() - start < 60:
        _, body = await gql(
            app_client,
            NATIONAL,
            SUMMARY,
            national,
            f={"tenantSlug": tenant.slug, "categoryCode": "ELECTION"},
        )
        if body["data"]["summary"]["reports"] == 1:
            seen = time.monotonic() - start
            break
        await asyncio.sleep(0.2)
    assert seen is not None and seen < 60
    print(f"new report visible nationally after {seen:.2f} s")


BY_TENANT = """query($f: NationalFilter) { byTenant(filter: $f) { tenant { slug poldaCode }
  summary { tenants reports urgent byStatus { key count } daily { day count } } } }"""


async def test_by_tenant_lists_commands_with_nothing_reported(
    app_client, settings, owner, two_tenants
):
    """Issue 14: a command with zero reports is itself a signal, so byTenant shows every
    active tenant the caller may see, with zeros; a suspended one only with reports."""
    busy, quiet = two_tenants.a, two_tenants.b  # JATIM with a report, JATENG with none
    citizen = await auth_header(settings, Role.CITIZEN, busy)
    await submit(app_client, busy.slug, citizen)
    assert await do_rebuild_tenant(busy) == 1
    paused = await onboard(polda="JATENG", region="33.72")
    await owner.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", paused.id)

    def rows(body):
        return {t["tenant"]["slug"]: t["summary"] for t in body["data"]["byTenant"]}

    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    _, body = await gql(app_client, NATIONAL, BY_TENANT, national)
    seen = rows(body)
    assert seen[busy.slug]["reports"] == 1 and seen[busy.slug]["tenants"] == 1
    assert seen[quiet.slug] == {
        "tenants": 1,
        "reports": 0,
        "urgent": 0,
        "byStatus": [],
        "daily": [],
    }
    assert paused.slug not in seen
    # Polda supervisors still see only their own Polda's tenants, zeros included.
    jateng = await auth_header(settings, Role.POLDA_SUPERVISOR, polda="JATENG")
    _, body = await gql(app_client, NATIONAL, BY_TENANT, jateng)
    assert quiet.slug in rows(body) and busy.slug not in rows(body)
    assert {t["tenant"]["poldaCode"] for t in body["data"]["byTenant"]} == {"JATENG"}
    jatim = await auth_header(settings, Role.POLDA_SUPERVISOR, polda="JATIM")
    _, body = await gql(app_client, NATIONAL, BY_TENANT, jatim)
    assert busy.slug in rows(body) and quiet.slug not in rows(body)
    # A tenant filter names one tenant, quiet or not.
    _, body = await gql(app_client, NATIONAL, BY_TENANT, national, f={"tenantSlug": quiet.slug})
    assert list(rows(body)) == [quiet.slug]
