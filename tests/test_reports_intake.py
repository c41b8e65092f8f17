"""Submitting reports: anonymous tracking, every bad field, tickets, duplicates, SLA."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time, timedelta, timezone

import holidays
import pytest
from helpers import SUBMIT, auth_header, gql, png_bytes, report_input, submit, upload_report
from PIL import Image

from jogo.platform.auth.roles import Role

TRACK = """query($t: String!, $p: String!) { trackReport(ticket: $t, pin: $p) {
  ticket status categoryCode timeline { kind public actorName messageId } } }"""


async def test_anonymous_report_and_tracking(app_client, two_tenants, owner):
    slug = two_tenants.a.slug
    created = await submit(app_client, slug, None, anonymous=True)
    pin, ticket = created["pin"], created["report"]["ticket"]
    assert created["errors"] == [] and pin and len(pin) == 8 and pin.isdigit()
    row = await owner.fetchrow(
        "SELECT pin_hash, reporter_user_id, anonymous FROM reports WHERE ticket = $1"
        " AND tenant_id = $2",
        ticket,
        two_tenants.a.id,
    )
    assert row["anonymous"] and row["reporter_user_id"] is None
    assert row["pin_hash"].startswith("hmac-sha256$v1$") and pin not in row["pin_hash"]
    _, body = await gql(app_client, f"/t/{slug}/graphql", TRACK, t=ticket, p=pin)
    tracked = body["data"]["trackReport"]
    assert tracked["ticket"] == ticket and tracked["status"] == "SUBMITTED"
    assert tracked["categoryCode"] == "FALLEN_TREE"
    assert [e["kind"] for e in tracked["timeline"]] == ["SUBMITTED"]
    wrong_pin = (await gql(app_client, f"/t/{slug}/graphql", TRACK, t=ticket, p="00000000"))[1]
    unknown = (await gql(app_client, f"/t/{slug}/graphql", TRACK, t="MLG-1999-000001", p=pin))[1]
    other_tenant = (
        await gql(app_client, f"/t/{two_tenants.b.slug}/graphql", TRACK, t=ticket, p=pin)
    )[1]
    assert wrong_pin == unknown == other_tenant == {"data": {"trackReport": None}}


async def test_anonymous_caller_must_choose_anonymous(app_client, two_tenants):
    _, body = await gql(
        app_client, f"/t/{two_tenants.a.slug}/graphql", SUBMIT, input=report_input()
    )
    errors = body["data"]["submitReport"]["errors"]
    assert errors == [
        {"code": "INVALID_INPUT", "field": "anonymous", "message": "sign in, or report anonymously"}
    ]


NOW = datetime.now(UTC)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"categoryCode": ""}, "categoryCode"),
        ({"categoryCode": "ALIENS"}, "categoryCode"),
        ({"title": "abc"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "pendek"}, "description"),
        ({"description": "x" * 5001}, "description"),
        ({"latitude": 1.29, "longitude": 94.0}, "latitude"),  # west of Sumatra
        ({"latitude": 7.5, "longitude": 110.0}, "latitude"),  # north of the bounds
        ({"latitude": -12.0, "longitude": 120.0}, "latitude"),  # south of the bounds
        ({"latitude": -2.0, "longitude": 142.0}, "latitude"),  # east of Papua
        ({"address": "x" * 501}, "address"),
        ({"occurredAt": (NOW + timedelta(hours=2)).isoformat()}, "occurredAt"),
        ({"occurredAt": (NOW - timedelta(days=400)).isoformat()}, "occurredAt"),
        ({"reporterName": "x" * 121}, "reporterName"),
        ({"reporterPhone": "12345"}, "reporterPhone"),
        ({"reporterPhone": "+1 415 555 0100"}, "reporterPhone"),
    ],
)
async def test_bad_input_for_every_field(
    app_client, settings, two_tenants, owner, overrides, field
):
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    before = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1", two_tenants.a.id
    )
    status, body = await gql(
        app_client,
        f"/t/{two_tenants.a.slug}/graphql",
        SUBMIT,
        citizen,
        input=report_input(**overrides),
    )
    assert status == 200
    payload = body["data"]["submitReport"]
    assert payload["report"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", field)], (
        payload
    )
    assert (
        await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", two_tenants.a.id)
        == before
    )


async def test_several_bad_fields_are_reported_together(app_client, settings, two_tenants):
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    _, body = await gql(
        app_client,
        f"/t/{two_tenants.a.slug}/graphql",
        SUBMIT,
        citizen,
        input=report_input(title="a", description="b", latitude=50.0),
    )
    refused = body["data"]["submitReport"]
    assert refused["report"] is None
    assert {(e["code"], e["field"]) for e in refused["errors"]} == {
        ("INVALID_INPUT", "title"),
        ("INVALID_INPUT", "description"),
        ("INVALID_INPUT", "latitude"),
    }


async def test_wrong_graphql_types_are_graphql_errors(app_client, settings, two_tenants):
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    status, body = await gql(
        app_client,
        f"/t/{two_tenants.a.slug}/graphql",
        SUBMIT,
        citizen,
        input=report_input(latitude="north"),
    )
    assert status == 200 and body["data"] is None and "latitude" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_tickets_count_per_tenant(app_client, settings, two_tenants, database):
    from helpers import onboard

    fresh_a = await onboard("minimal")
    fresh_b = await onboard("minimal", polda="JATENG", region="33.74")
    tickets = []
    for tenant in (fresh_a, fresh_a, fresh_b):
        tickets.append(
            (await submit(app_client, tenant.slug, None, anonymous=True))["report"]["ticket"]
        )
    year = datetime.now(UTC).year
    assert tickets[0].endswith(f"-{year}-000001") and tickets[1].endswith(f"-{year}-000002")
    assert tickets[2].endswith(f"-{year}-000001")
    assert tickets[0].startswith(fresh_a.ticket_prefix + "-")


async def test_duplicate_hint_within_200_m_and_2_h(app_client, settings, two_tenants):
    slug = two_tenants.a.slug
    # Staff see the hint; to a citizen it would reveal someone else's report.
    citizen = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    lat, lon = -7.9530, 112.6140  # Malang
    first = (
        await submit(app_client, slug, citizen, latitude=lat, longitude=lon, categoryCode="FLOOD")
    )["report"]
    near = (
        await submit(
            app_client, slug, citizen, latitude=lat + 0.0009, longitude=lon, categoryCode="FLOOD"
        )
    )["report"]  # about 100 m north
    far = (
        await submit(
            app_client, slug, citizen, latitude=lat + 0.0030, longitude=lon, categoryCode="FLOOD"
        )
    )["report"]  # about 330 m
    other_kind = (
        await submit(app_client, slug, citizen, latitude=lat, longitude=lon, categoryCode="FIRE")
    )["report"]
    assert first["duplicateOfId"] is None
    assert near["duplicateOfId"] == first["id"]
    assert far["duplicateOfId"] is None and other_kind["duplicateOfId"] is None
    # Another tenant's report at the same spot is never a duplicate.
    other_tenant = (
        await submit(
            app_client,
            two_tenants.b.slug,
            None,
            anonymous=True,
            latitude=lat,
            longitude=lon,
            categoryCode="FLOOD",
        )
    )["report"]
    assert other_tenant["duplicateOfId"] is None


def _three_working_days_after(start: datetime) -> datetime:
    """The rule from its source, not from ``jogo.tenants.reports.sla``: Monday to Friday
    in WIB (UTC+7), minus Indonesia's public holidays and cuti bersama (python-holidays,
    the published list); a start on a day off counts from the next working day, 08:00."""
    wib = timezone(timedelta(hours=7))
    local = start.astimezone(wib)
    years = [local.year, local.year + 1]
    off = set(holidays.country_holidays("ID", years=years, categories=("public", "government")))

    def working(day) -> bool:
        return day.weekday() < 5 and day not in off  # 5, 6: Saturday, Sunday

    if not working(local.date()):
        day = local.date()
        while not working(day):
            day += timedelta(days=1)
        local = datetime.combine(day, time(8), wib)
    day, counted = local.date(), 0
    while counted < 3:
        day += timedelta(days=1)
        counted += working(day)
    return datetime.combine(day, local.timetz())


async def test_sla_due_times_and_per_category_settings(app_client, settings, two_tenants):
    slug = two_tenants.a.slug
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    before = datetime.now(UTC)
    normal = (await submit(app_client, slug, citizen))["report"]
    urgent = (await submit(app_client, slug, citizen, urgent=True, categoryCode="FIRE"))["report"]
    due = datetime.fromisoformat(normal["verifyDueAt"])
    expected = _three_working_days_after(before)
    assert abs((due - expected).total_seconds()) < 60
    urgent_due = datetime.fromisoformat(urgent["verifyDueAt"])
    assert timedelta(minutes=14) < urgent_due - before < timedelta(minutes=16)
    mutation = """mutation($c: String!, $v: Int, $u: Int) { setCategorySla(code: $c,
      verifyWorkingDays: $v, urgentVerifyMinutes: $u) { category { code verifyWorkingDays
      urgentVerifyMinutes } errors { code field message } } }"""
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    _, denied = await gql(app_client, f"/t/{slug}/graphql", mutation, operator, c="FIRE", v=1, u=5)
    assert denied["data"]["setCategorySla"]["errors"][0]["code"] == "FORBIDDEN"
    admin = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    _, bad = await gql(app_client, f"/t/{slug}/graphql", mutation, admin, c="FIRE", v=0, u=None)
    assert [(e["code"], e["field"]) for e in bad["data"]["setCategorySla"]["errors"]] == [
        ("INVALID_INPUT", "verifyWorkingDays")
    ]
    _, unknown = await gql(app_client, f"/t/{slug}/graphql", mutation, admin, c="NOPE", v=2, u=None)
    assert unknown["data"]["setCategorySla"]["errors"][0]["code"] == "NOT_FOUND"
    _, ok = await gql(app_client, f"/t/{slug}/graphql", mutation, admin, c="FIRE", v=1, u=5)
    assert ok["data"]["setCategorySla"]["category"] == {
        "code": "FIRE",
        "verifyWorkingDays": 1,
        "urgentVerifyMinutes": 5,
    }
    quick = (await submit(app_client, slug, citizen, urgent=True, categoryCode="FIRE"))["report"]
    assert datetime.fromisoformat(quick["verifyDueAt"]) - datetime.now(UTC) < timedelta(minutes=6)
    # The other tenant's FIRE category is untouched.
    _, b = await gql(
        app_client,
        f"/t/{two_tenants.b.slug}/graphql",
        "{ categories { code urgentVerifyMinutes } }",
    )
    assert {c["code"]: c["urgentVerifyMinutes"] for c in b["data"]["categories"]}["FIRE"] == 15


async def test_photo_upload_by_content_and_download(app_client, settings, two_tenants, owner):
    slug = two_tenants.a.slug
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    png = png_bytes()
    created = await upload_report(app_client, slug, citizen, [("pohon.jpg", png, "image/jpeg")])
    assert created["errors"] == [], created
    rid = created["report"]["id"]
    _, body = await gql(
        app_client,
        f"/t/{slug}/graphql",
        "query($id: ID!) { report(id: $id) { attachments { contentType sizeBytes url } } }",
        citizen,
        id=rid,
    )
    [photo] = body["data"]["report"]["attachments"]
    assert photo["contentType"] == "image/png"  # by content, not name
    got = await app_client.get(photo["url"], headers=citizen)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    # The stored file is the cleaned re-encoding (tests/test_photos.py): same pixels.
    assert photo["sizeBytes"] == len(got.content)
    assert Image.open(io.BytesIO(got.content)).getpixel((0, 0)) == (255, 0, 0)
    stranger = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    assert (await app_client.get(photo["url"], headers=stranger)).status_code == 404
    other = await auth_header(settings, Role.OPERATOR, two_tenants.b)
    b_url = photo["url"].replace(f"/t/{slug}/", f"/t/{two_tenants.b.slug}/")
    assert (await app_client.get(b_url, headers=other)).status_code == 404


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("x.jpg", b"GIF89a not really", "image/jpeg")], "JPEG, PNG, WebP or HEIC"),
        ([("x.png", b"", "image/png")], "empty"),
        ([("big.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024), "image/jpeg")], "10 MB"),
        ([("p.png", png_bytes(), "image/png")] * 6, "at most 5"),
    ],
)
async def test_bad_photos_are_refused_and_nothing_is_stored(
    app_client, settings, two_tenants, owner, files, message
):
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    before = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1", two_tenants.a.id
    )
    result = await upload_report(app_client, two_tenants.a.slug, citizen, files)
    assert result["report"] is None and message in result["errors"][0]["message"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_INPUT", "photos")]
    assert (
        await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", two_tenants.a.id)
        == before
    )


async def test_failed_submission_removes_stored_photos(app_client, settings, two_tenants):
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    folder = settings.data_dir / "attachments" / str(two_tenants.a.id)
    before = sorted(folder.rglob("*")) if folder.exists() else []
    result = await upload_report(
        app_client,
        two_tenants.a.slug,
        citizen,
        [("p.png", png_bytes(), "image/png")],
        categoryCode="NOT_A_CATEGORY",
    )
    assert result["report"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("INVALID_INPUT", "categoryCode")
    ]
    after = [p for p in (sorted(folder.rglob("*")) if folder.exists() else []) if p.is_file()]
    assert after == [p for p in before if p.is_file()]


async def test_duplicate_hint_is_staff_only(app_client, settings, two_tenants):
    slug = two_tenants.b.slug
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.b)
    first = await submit(
        app_client, slug, citizen, latitude=-7.1, longitude=110.1, categoryCode="FIRE"
    )
    second = await submit(
        app_client, slug, None, anonymous=True, latitude=-7.1, longitude=110.1, categoryCode="FIRE"
    )
    assert first["report"]["duplicateOfId"] is None and second["report"]["duplicateOfId"] is None
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.b)
    _, body = await gql(
        app_client,
        f"/t/{slug}/graphql",
        "query($id: ID!) { report(id: $id) { duplicateOfId } }",
        operator,
        id=second["report"]["id"],
    )
    assert body["data"]["report"]["duplicateOfId"] == first["report"]["id"]


async def test_concurrent_submissions_get_distinct_tickets_and_one_original(app_client, settings):
    import asyncio

    from helpers import onboard

    tenant = await onboard("minimal")
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    results = await asyncio.gather(
        *[
            submit(
                app_client,
                tenant.slug,
                operator,
                latitude=-8.1,
                longitude=112.1,
                categoryCode="FLOOD",
            )
            for _ in range(6)
        ]
    )
    tickets = sorted(r["report"]["ticket"] for r in results)
    assert len(set(tickets)) == 6 and tickets[-1].endswith("-000006")
    originals = [r for r in results if r["report"]["duplicateOfId"] is None]
    assert len(originals) == 1
    assert {r["report"]["duplicateOfId"] for r in results} - {None} == {
        originals[0]["report"]["id"]
    }


async def test_text_with_nul_or_bad_unicode_is_a_clear_error(
    app_client, settings, two_tenants, owner
):
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    before = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1", two_tenants.a.id
    )
    for title in ("Pohon\\u0000 tumbang", "Pohon \\ud800 tumbang"):  # JSON escapes
        body = (
            f'{{"query": {json.dumps(SUBMIT)}, "variables": {{"input": {{"categoryCode": "FIRE", "title": "{title}",'
            ' "description": "deskripsi yang cukup panjang", "latitude": -7.9, "longitude": 112.6}}}'
        )
        r = await app_client.post(
            f"/t/{two_tenants.a.slug}/graphql", content=body.encode(), headers=citizen
        )
        assert r.status_code == 400, r.text
        assert r.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert (
        await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", two_tenants.a.id)
        == before
    )


async def test_photos_as_json_values_are_refused(app_client, settings, two_tenants):
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    for value in ([2147483647], ["not a file"]):
        _, body = await gql(
            app_client,
            f"/t/{two_tenants.a.slug}/graphql",
            SUBMIT,
            citizen,
            input=report_input(photos=value),
        )
        refused = body["data"]["submitReport"]
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("INVALID_INPUT", "photos")
        ], body


async def test_tracking_is_rate_limited(app_client, two_tenants):
    created = await submit(app_client, two_tenants.b.slug, None, anonymous=True)
    ticket = created["report"]["ticket"]
    answers = []
    for _ in range(12):
        _, body = await gql(
            app_client, f"/t/{two_tenants.b.slug}/graphql", TRACK, t=ticket, p="12345678"
        )
        answers.append(body)
    assert all(a["data"]["trackReport"] is None for a in answers[:10])
    assert answers[-1]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # Even the right PIN waits out the window: guessing cannot race the limit.
    _, right = await gql(
        app_client, f"/t/{two_tenants.b.slug}/graphql", TRACK, t=ticket, p=created["pin"]
    )
    assert right["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_anonymous_report_by_signed_in_user_names_nobody(
    app_client, settings, two_tenants, owner
):
    from helpers import bearer_for, make_user

    user_id, username = await make_user(Role.CITIZEN, two_tenants.a)
    created = await submit(
        app_client, two_tenants.a.slug, bearer_for(user_id, username, settings), anonymous=True
    )
    assert created["pin"]
    row = await owner.fetchrow("SELECT * FROM reports WHERE id = $1::uuid", created["report"]["id"])
    assert row["reporter_user_id"] is None and row["submitted_by"] == "pelapor anonim"
    events = await owner.fetch(
        "SELECT actor_id, actor_name FROM report_events WHERE report_id = $1", row["id"]
    )
    assert [(e["actor_id"], e["actor_name"]) for e in events] == [(None, "pelapor anonim")]
    assert username not in json.dumps(
        [
            dict(r)
            for r in await owner.fetch(
                "SELECT * FROM report_events WHERE report_id = $1", row["id"]
            )
        ],
        default=str,
    )
