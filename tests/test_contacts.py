"""Phone numbers and e-mail addresses are checked and found by phonenumbers and
email-validator everywhere (issue 13 part 9): reporter phones, agency and contact
phones and e-mails, police post phones, and the sharing screen's automatic hold."""

from __future__ import annotations

import json
import uuid

import pytest
from helpers import auth_header, gql, report_input, share

from jogo.platform.auth.roles import Role
from jogo.platform.contacts import normalise_email, parse_phone, phones_in
from jogo.platform.errors import InvalidInput
from jogo.tenants.sharing.screening import hold_reasons

SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id } errors { code field message } } }"""
AGENCY = """mutation($input: CreateAgencyInput!) { createAgency(input: $input) {
  agency { id } errors { code field message } } }"""
POST = """mutation($n: String!, $p: String) { createPolicePost(name: $n, kind: "POLSEK",
  latitude: -7.98, longitude: 112.63, phone: $p) { id errors { code field message } } }"""

# The examples, and others of their kind.
BAD_PHONES = ("0000000000", "12345", "0812", "08123456789012345", "nomor saya", "+999 1234 5678")
BAD_EMAILS = (
    "x..id",
    '"><script>@x.id',
    "a..b@x.id",
    "budi@",
    "@x.id",
    "budi@localhost",
    "budi santoso@x.id",
    "budi@x.id<script>",
)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("0812 3456 7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("62812-3456-7890", "+6281234567890"),
        ("(0341) 551234", "+62341551234"),
        ("+60 12-345 6789", "+60123456789"),
    ],
)
def test_phones_parse_to_e164(raw, e164):
    assert parse_phone(raw) == e164


@pytest.mark.parametrize("raw", BAD_PHONES)
def test_invalid_phones_are_none(raw):
    assert parse_phone(raw) is None


def test_phones_are_found_in_text_with_their_spans():
    text = "Hubungi +60 12-345 6789 atau 0812/3456/7890, kejadian 2026-11-27 14.30"
    found = phones_in(text)
    assert [text[p.start : p.end] for p in found] == ["+60 12-345 6789", "0812/3456/7890"]
    assert [p.e164 for p in found] == ["+60123456789", "+6281234567890"]


@pytest.mark.parametrize("raw", BAD_EMAILS)
def test_invalid_emails_are_refused_on_the_field(raw):
    with pytest.raises(InvalidInput) as refused:
        normalise_email(raw, "email")
    assert refused.value.field == "email"


def test_emails_are_normalised():
    assert normalise_email(" Humas@MalangKota.GO.ID ", "email") == "Humas@malangkota.go.id"


@pytest.mark.parametrize(
    "text",
    [
        "Hubungi +60 12-345 6789 untuk info",
        "WA +6012 345 6789",
        "Call +1 202 555 0143",
        "Telp 0341-551234 atau 0812.3456.7890",
        "NIK 3573014509870002",
    ],
)
def test_the_sharing_screen_holds_phone_numbers_of_any_country(text):
    assert hold_reasons(text) == ["PHONE"]


@pytest.mark.parametrize(
    "text",
    [
        "Kejadian 27-11-2026 pukul 14.30 di Jalan Ijen",
        "Harga naik jadi Rp 15.000.000 per ton",
        "Skor akhir 3-1, menit 90",
        "Kode pos 65111",
    ],
)
def test_the_sharing_screen_lets_other_numbers_through(text):
    assert hold_reasons(text) == []


async def test_a_post_with_a_foreign_number_is_held(app_client, settings, two_tenants):
    author = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    payload = await share(app_client, two_tenants.a, author, body="Info lengkap +60 12-345 6789")
    assert payload["errors"] == []
    assert payload["post"]["status"] == "HELD" and payload["post"]["holdReasons"] == ["PHONE"]


@pytest.mark.parametrize("phone", (*BAD_PHONES, "+1 415 555 2671", "+60 12-345 6789"))
async def test_reporter_phone_must_be_a_valid_indonesian_number(
    app_client, settings, two_tenants, owner, phone
):
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    before = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE tenant_id = $1", two_tenants.a.id
    )
    _, body = await gql(
        app_client,
        f"/t/{two_tenants.a.slug}/graphql",
        SUBMIT,
        citizen,
        input=report_input(reporterName="Budi", reporterPhone=phone),
    )
    payload = body["data"]["submitReport"]
    assert payload["report"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", "reporterPhone")
    ]
    assert (
        await owner.fetchval("SELECT count(*) FROM reports WHERE tenant_id = $1", two_tenants.a.id)
        == before
    )


@pytest.mark.parametrize(
    "phone", ["0812-3456-7890", "+62 812 3456 7890", "62 812 3456 7890", "(0812) 3456 7890"]
)
async def test_reporter_phone_is_stored_as_e164(app_client, settings, two_tenants, owner, phone):
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    _, body = await gql(
        app_client,
        f"/t/{two_tenants.a.slug}/graphql",
        SUBMIT,
        citizen,
        input=report_input(reporterName="Budi", reporterPhone=phone),
    )
    payload = body["data"]["submitReport"]
    assert payload["errors"] == [], payload
    stored = await owner.fetchval(
        "SELECT reporter_phone FROM reports WHERE id = $1::uuid", payload["report"]["id"]
    )
    assert stored == "+6281234567890"


async def _agency(client, settings, tenant, **fields):
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    code = f"MAIL-{uuid.uuid4().hex[:8].upper()}"
    base = {"code": code, "name": "Dinas Lingkungan Hidup", "kind": "dinas"}
    _, body = await gql(client, f"/t/{tenant.slug}/graphql", AGENCY, admin, input=base | fields)
    return body["data"]["createAgency"]


@pytest.mark.parametrize("email", BAD_EMAILS)
async def test_agency_email_is_refused(app_client, settings, two_tenants, owner, email):
    before = await owner.fetchval(
        "SELECT count(*) FROM agencies WHERE tenant_id = $1", two_tenants.a.id
    )
    payload = await _agency(app_client, settings, two_tenants.a, email=email)
    assert payload["agency"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", "email")]
    assert (
        await owner.fetchval("SELECT count(*) FROM agencies WHERE tenant_id = $1", two_tenants.a.id)
        == before
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"phone": "0000000000"}, "phone"),
        ({"phone": "0341"}, "phone"),
        ({"contacts": [{"name": "Humas", "email": '"><script>@x.id'}]}, "contacts"),
        ({"contacts": [{"name": "Humas", "phone": "0000000000"}]}, "contacts"),
    ],
)
async def test_agency_phones_and_contacts_are_checked(
    app_client, settings, two_tenants, fields, field
):
    payload = await _agency(app_client, settings, two_tenants.a, **fields)
    assert payload["agency"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", field)]


async def test_agency_contacts_are_stored_normalised(app_client, settings, two_tenants, owner):
    payload = await _agency(
        app_client,
        settings,
        two_tenants.a,
        phone="(0341) 551234",
        email="DLH@MalangKota.go.id",
        contacts=[
            {"name": "Command Center", "phone": "112"},
            {"name": "Humas", "phone": "0812 3456 7890", "email": "humas@MALANGKOTA.GO.ID"},
        ],
    )
    assert payload["errors"] == [], payload
    row = await owner.fetchrow(
        "SELECT phone, email, contacts FROM agencies WHERE id = $1::uuid", payload["agency"]["id"]
    )
    assert (row["phone"], row["email"]) == ("+62341551234", "DLH@malangkota.go.id")
    assert [(c.get("phone"), c.get("email")) for c in _json(row["contacts"])] == [
        ("112", None),
        ("+6281234567890", "humas@malangkota.go.id"),
    ]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


@pytest.mark.parametrize(
    ("phone", "stored"),
    [("(0341) 551234", "+62341551234"), ("110", "110"), ("", None)],
)
async def test_police_post_phone_is_stored_normalised(
    app_client, settings, two_tenants, owner, phone, stored
):
    admin = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    _, body = await gql(
        app_client, f"/t/{two_tenants.a.slug}/graphql", POST, admin, n="Polsek Klojen", p=phone
    )
    payload = body["data"]["createPolicePost"]
    assert payload["errors"] == [], payload
    row = await owner.fetchval("SELECT phone FROM police_posts WHERE id = $1::uuid", payload["id"])
    assert row == stored


@pytest.mark.parametrize("phone", ["0000000000", "0341", "polsek"])
async def test_police_post_phone_is_checked(app_client, settings, two_tenants, owner, phone):
    admin = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    before = await owner.fetchval(
        "SELECT count(*) FROM police_posts WHERE tenant_id = $1", two_tenants.a.id
    )
    _, body = await gql(
        app_client, f"/t/{two_tenants.a.slug}/graphql", POST, admin, n="Polsek Klojen", p=phone
    )
    payload = body["data"]["createPolicePost"]
    assert payload["id"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", "phone")]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM police_posts WHERE tenant_id = $1", two_tenants.a.id
        )
        == before
    )
