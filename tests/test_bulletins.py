"""Bulletins (issue 6): publishing, updates and cancels as CAP 1.2, validated against the
OASIS schema and read back by an independent CAP parser (capparselib)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from capparselib.parsers import CAPParser
from helpers import (
    BULLETIN_FIELDS,
    CAP,
    CAP_SCHEMA,
    DRAFT,
    PUBLISH,
    UPDATE,
    alerts_in,
    assert_valid,
    auth_header,
    call,
    content,
    feed,
    gql,
    onboard,
)
from lxml import etree

from jogo.platform.auth.roles import Role

CANCEL = f"""mutation($id: ID!, $r: String!) {{ cancelBulletin(id: $id, reason: $r) {{
  bulletin {{ {BULLETIN_FIELDS} }} errors {{ code field message }} }} }}"""
LIST = f"query($s: BulletinStatus) {{ bulletins(status: $s) {{ {BULLETIN_FIELDS} }} }}"
ONE = f"query($id: ID!) {{ bulletin(id: $id) {{ {BULLETIN_FIELDS} }} }}"


def text(alert, path: str) -> str | None:
    found = alert.find(path, {"c": CAP})
    return found.text if found is not None else None


@pytest.fixture
async def staff(settings, two_tenants):
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    return operator, citizen


async def test_published_bulletin_is_public_and_a_valid_cap_alert(app_client, two_tenants, staff):
    tenant = two_tenants.a
    operator, _ = staff
    done = await call(app_client, tenant, PUBLISH, operator, input=content(), draft=None)
    assert done["errors"] == []
    b = done["bulletin"]
    assert (b["status"], b["messageType"], b["categoryName"]) == (
        "PUBLISHED",
        "ALERT",
        "Lalu lintas",
    )
    assert b["area"]["polygon"][0] == b["area"]["polygon"][-1]  # the ring was closed
    public = await call(app_client, tenant, LIST)  # anonymous
    assert [x["id"] for x in public] == [b["id"]]

    root = await feed(app_client, tenant)
    (alert,) = alerts_in(root)
    assert_valid(alert)
    assert text(alert, "c:identifier") == f"urn:uuid:{b['id']}"
    assert text(alert, "c:msgType") == "Alert" and text(alert, "c:scope") == "Public"
    assert text(alert, "c:sent").endswith("+07:00")  # Kota Malang is WIB
    infos = alert.findall(f"{{{CAP}}}info")
    assert [text(i, "c:language") for i in infos] == ["id-ID", "en-US"]
    assert text(infos[0], "c:category") == "Transport"
    assert text(infos[0], "c:area/c:geocode/c:value") == "35.73"
    assert text(infos[0], "c:area/c:circle") == "-7.963000,112.623000 1.500"

    single = await app_client.get(f"/t/{tenant.slug}/alerts/{b['id']}.cap.xml")
    assert single.status_code == 200
    assert single.headers["content-type"].startswith("application/cap+xml")
    assert CAP_SCHEMA.validate(etree.fromstring(single.content).getroottree())

    # An independent reader: capparselib validates and parses both documents.
    (parsed,) = CAPParser(single.text).as_dict()
    assert str(parsed["cap_id"]) == f"urn:uuid:{b['id']}"
    assert str(parsed["cap_message_type"]) == "Alert"
    info = parsed["cap_info"][0]
    assert str(info["cap_headline"]) == "Penutupan Jalan Ijen untuk Car Free Day"
    assert str(info["cap_severity"]) == "Moderate"
    area = info["cap_area"][0]
    assert str(area["geocodes"][0]["value"]) == "35.73" and len(area["polygons"]) == 1
    from_feed = CAPParser(etree.tostring(root, encoding="unicode")).as_dict()
    assert [str(a["cap_id"]) for a in from_feed] == [f"urn:uuid:{b['id']}"]


async def test_update_and_cancel_reference_the_original(app_client, two_tenants, staff):
    tenant = two_tenants.a
    operator, _ = staff
    first = (await call(app_client, tenant, PUBLISH, operator, input=content(), draft=None))[
        "bulletin"
    ]
    changed = content(severity="SEVERE", headline="Penutupan Jalan Ijen diperpanjang")
    update = await call(app_client, tenant, UPDATE, operator, id=first["id"], input=changed)
    assert update["errors"] == []
    second = update["bulletin"]
    assert second["messageType"] == "UPDATE" and second["id"] != first["id"]
    public = await call(app_client, tenant, LIST)
    assert [x["id"] for x in public] == [second["id"]]  # the original is replaced
    again = await call(app_client, tenant, UPDATE, operator, id=first["id"], input=changed)
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]

    (alert,) = alerts_in(await feed(app_client, tenant))
    assert_valid(alert)
    assert text(alert, "c:msgType") == "Update"
    sender, ident, sent = text(alert, "c:references").split(",")
    assert sender == text(alert, "c:sender") and ident == f"urn:uuid:{first['id']}"
    assert sent.endswith("+07:00")

    cancel = await call(app_client, tenant, CANCEL, operator, id=second["id"], r="Acara batal")
    assert cancel["errors"] == [] and cancel["bulletin"]["messageType"] == "CANCEL"
    assert await call(app_client, tenant, LIST) == []  # nothing in force for the public
    (alert,) = alerts_in(await feed(app_client, tenant))  # the cancel stays in the feed
    assert_valid(alert)
    assert text(alert, "c:msgType") == "Cancel" and text(alert, "c:note") == "Acara batal"
    refs = [r.split(",")[1] for r in text(alert, "c:references").split(" ")]
    assert refs == [f"urn:uuid:{first['id']}", f"urn:uuid:{second['id']}"]
    (parsed,) = CAPParser(
        (await app_client.get(f"/t/{tenant.slug}/alerts/{cancel['bulletin']['id']}.cap.xml")).text
    ).as_dict()
    assert str(parsed["cap_message_type"]) == "Cancel"
    statuses = await call(app_client, tenant, LIST, operator, s="CANCELLED")
    assert [x["id"] for x in statuses] == [second["id"]]


async def test_drafts_scheduled_and_expired_bulletins_are_never_public(
    app_client, two_tenants, staff, owner
):
    tenant = two_tenants.a
    operator, citizen = staff
    draft = (await call(app_client, tenant, DRAFT, operator, input=content()))["bulletin"]
    later = datetime.now(UTC) + timedelta(days=1)
    scheduled = (
        await call(
            app_client,
            tenant,
            PUBLISH,
            operator,
            input=content(
                validFrom=later.isoformat(), validUntil=(later + timedelta(hours=2)).isoformat()
            ),
            draft=None,
        )
    )["bulletin"]
    expiring = (await call(app_client, tenant, PUBLISH, operator, input=content(), draft=None))[
        "bulletin"
    ]
    await owner.execute(  # time passes: it expired a minute ago
        "UPDATE bulletins SET valid_from = now() - interval '2 hours',"
        " valid_until = now() - interval '1 minute' WHERE id = $1::uuid",
        expiring["id"],
    )
    assert draft["status"] == "DRAFT" and scheduled["status"] == "PUBLISHED"
    for hidden in (draft, scheduled, expiring):
        for who in (None, citizen):
            assert await call(app_client, tenant, ONE, who, id=hidden["id"]) is None
        response = await app_client.get(f"/t/{tenant.slug}/alerts/{hidden['id']}.cap.xml")
        assert response.status_code == 404
    assert await call(app_client, tenant, LIST, citizen) == []
    assert alerts_in(await feed(app_client, tenant)) == []
    assert (await call(app_client, tenant, ONE, operator, id=draft["id"]))["status"] == "DRAFT"
    drafts = await call(app_client, tenant, LIST, operator, s="DRAFT")
    assert [x["id"] for x in drafts] == [draft["id"]]
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", LIST, citizen, s="DRAFT")
    # Refused alone (nullable): null at its own path, with the error.
    assert body["data"] == {"bulletins": None} and body["errors"][0]["path"] == ["bulletins"]

    published = await call(app_client, tenant, PUBLISH, operator, input=None, draft=draft["id"])
    assert published["bulletin"]["status"] == "PUBLISHED"
    assert [x["id"] for x in await call(app_client, tenant, LIST)] == [draft["id"]]
    twice = await call(app_client, tenant, PUBLISH, operator, input=None, draft=draft["id"])
    assert [e["code"] for e in twice["errors"]] == ["CONFLICT"]


async def test_two_tenants_never_see_each_others_bulletins(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    op_a = await auth_header(settings, Role.OPERATOR, a)
    op_b = await auth_header(settings, Role.OPERATOR, b)
    mine = (await call(app_client, a, PUBLISH, op_a, input=content(), draft=None))["bulletin"]
    assert await call(app_client, b, LIST) == []
    assert await call(app_client, b, LIST, op_b, s="PUBLISHED") == []
    assert await call(app_client, b, ONE, op_b, id=mine["id"]) is None
    assert alerts_in(await feed(app_client, b)) == []
    assert (await app_client.get(f"/t/{b.slug}/alerts/{mine['id']}.cap.xml")).status_code == 404
    in_b = content(area={"description": "Kota Semarang", "regionCodes": [b.region_code]})
    theirs = await call(app_client, b, UPDATE, op_b, id=mine["id"], input=in_b)
    unknown = await call(app_client, b, UPDATE, op_b, id=str(uuid.uuid4()), input=in_b)
    assert theirs["errors"] == unknown["errors"]
    assert [e["code"] for e in theirs["errors"]] == ["NOT_FOUND"]
    cancel = await call(app_client, b, CANCEL, op_b, id=mine["id"], r="bukan milik kami")
    assert [e["code"] for e in cancel["errors"]] == ["NOT_FOUND"]
    # A's operator token is not even a caller of B.
    status, _ = await gql(app_client, f"/t/{b.slug}/graphql", LIST, op_a)
    assert status == 404


async def test_bad_input_gets_typed_errors_and_writes_nothing(
    app_client, settings, two_tenants, staff, owner
):
    tenant = two_tenants.a
    operator, citizen = staff
    before = await owner.fetchval("SELECT count(*) FROM bulletins WHERE tenant_id = $1", tenant.id)
    now = datetime.now(UTC)
    bad = content(
        headline="Oh",
        description="pendek",
        area={
            "description": "X",
            "polygon": [
                {"latitude": -7.9, "longitude": 112.6},
                {"latitude": -7.8, "longitude": 112.6},
            ],
            "circle": {"latitude": -7.9, "longitude": 112.6, "radiusM": 0},
            "regionCodes": ["99.99"],
        },
        validUntil=(now - timedelta(hours=1)).isoformat(),
        descriptionEn="English without a headline",
        headlineEn=None,
    )
    done = await call(app_client, tenant, PUBLISH, operator, input=bad, draft=None)
    fields = {e["field"] for e in done["errors"]}
    assert {
        "headline",
        "description",
        "area",
        "polygon",
        "circle",
        "regionCodes",
        "headlineEn",
    } <= fields, done["errors"]
    assert all(e["code"] == "INVALID_INPUT" for e in done["errors"])
    out_of_country = content(
        area={
            "description": "Manila",
            "circle": {"latitude": 14.6, "longitude": 121.0, "radiusM": 1000},
        }
    )
    refused = await call(app_client, tenant, DRAFT, operator, input=out_of_country)
    assert refused["bulletin"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_INPUT", "circle")]
    no_area = content(area={"description": "Kota Malang"})
    refused = await call(app_client, tenant, DRAFT, operator, input=no_area)
    assert refused["bulletin"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_INPUT", "area")]
    naive = content(validUntil=(now + timedelta(hours=1)).replace(tzinfo=None).isoformat())
    refused = await call(app_client, tenant, DRAFT, operator, input=naive)
    assert refused["bulletin"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_INPUT", "validUntil")]
    too_long = content(validUntil=(now + timedelta(days=200)).isoformat())
    refused = await call(app_client, tenant, DRAFT, operator, input=too_long)
    assert refused["bulletin"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_INPUT", "validUntil")]
    neither = await call(app_client, tenant, PUBLISH, operator, input=None, draft=None)
    both = await call(
        app_client, tenant, PUBLISH, operator, input=content(), draft=str(uuid.uuid4())
    )
    assert neither["errors"][0]["code"] == both["errors"][0]["code"] == "INVALID_INPUT"
    by_citizen = await call(app_client, tenant, PUBLISH, citizen, input=content(), draft=None)
    anonymous = await call(app_client, tenant, PUBLISH, None, input=content(), draft=None)
    assert by_citizen["errors"][0]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["code"] == "UNAUTHENTICATED"
    bad_id = await call(app_client, tenant, UPDATE, operator, id="not-a-uuid", input=content())
    assert bad_id["errors"][0]["code"] == "NOT_FOUND"
    draft = (await call(app_client, tenant, DRAFT, operator, input=content()))["bulletin"]
    before += 1
    cancel_draft = await call(app_client, tenant, CANCEL, operator, id=draft["id"], r="tidak jadi")
    assert cancel_draft["errors"][0]["code"] == "CONFLICT"
    short_reason = await call(app_client, tenant, CANCEL, operator, id=draft["id"], r="x")
    assert [(e["code"], e["field"]) for e in short_reason["errors"]] == [
        ("INVALID_INPUT", "reason")
    ]
    edited = await call(
        app_client,
        tenant,
        UPDATE,
        operator,
        id=draft["id"],
        input=content(headline="Judul baru untuk draf"),
    )
    assert edited["bulletin"]["id"] == draft["id"] and edited["bulletin"]["status"] == "DRAFT"
    assert (
        await owner.fetchval("SELECT count(*) FROM bulletins WHERE tenant_id = $1", tenant.id)
        == before
    )


async def test_module_off_removes_the_types_and_the_feed(app_client, settings):
    tenant = await onboard(modules=["integrations", "facilities"])
    types = await call(app_client, tenant, "{ __schema { types { name } } }")
    names = {t["name"] for t in types["types"]}
    assert "Bulletin" not in names and "BulletinContentInput" not in names
    assert "SharedPost" not in names
    fields = await call(app_client, tenant, '{ __type(name: "Query") { fields { name } } }')
    assert "bulletins" not in {f["name"] for f in fields["fields"]}
    assert (await app_client.get(f"/t/{tenant.slug}/alerts.cap.xml")).status_code == 404


def test_graphql_enums_follow_the_domain_vocabulary():
    from jogo.graphql.bulletins.types import BulletinCategory, Certainty, Severity, Urgency
    from jogo.tenants.bulletins.vocab import CATEGORIES, CERTAINTY, SEVERITY, URGENCY

    for enum, vocab in (
        (BulletinCategory, CATEGORIES),
        (Severity, SEVERITY),
        (Urgency, URGENCY),
        (Certainty, CERTAINTY),
    ):
        assert [e.value for e in enum] == list(vocab)


async def test_withdrawing_scheduled_and_refusing_expired_and_control_characters(
    app_client, two_tenants, staff, owner
):
    tenant = two_tenants.a
    operator, _ = staff
    later = datetime.now(UTC) + timedelta(days=2)
    scheduled = (
        await call(
            app_client,
            tenant,
            PUBLISH,
            operator,
            input=content(
                headline="Rahasia: rencana penutupan jalan",
                validFrom=later.isoformat(),
                validUntil=(later + timedelta(hours=3)).isoformat(),
            ),
            draft=None,
        )
    )["bulletin"]
    withdrawn = await call(app_client, tenant, CANCEL, operator, id=scheduled["id"], r="Batal")
    assert withdrawn["errors"] == [] and withdrawn["bulletin"]["id"] == scheduled["id"]
    assert withdrawn["bulletin"]["status"] == "CANCELLED"
    feed_text = (await app_client.get(f"/t/{tenant.slug}/alerts.cap.xml")).text
    assert "Rahasia" not in feed_text  # never public, not even through a cancel
    expired = (await call(app_client, tenant, PUBLISH, operator, input=content(), draft=None))[
        "bulletin"
    ]
    await owner.execute(
        "UPDATE bulletins SET valid_from = now() - interval '2 hours',"
        " valid_until = now() - interval '1 minute' WHERE id = $1::uuid",
        expired["id"],
    )
    late = await call(app_client, tenant, CANCEL, operator, id=expired["id"], r="Sudah lewat")
    assert late["errors"][0]["code"] == "CONFLICT"
    assert alerts_in(await feed(app_client, tenant)) == []
    broken = await call(
        app_client,
        tenant,
        PUBLISH,
        operator,
        input=content(description="Jalan ditutup\x01 total hari ini."),
        draft=None,
    )
    assert broken["bulletin"] is None
    assert [(e["code"], e["field"]) for e in broken["errors"]] == [("INVALID_INPUT", "description")]
    reason = await call(app_client, tenant, CANCEL, operator, id=expired["id"], r="x\x02yz")
    assert [(e["code"], e["field"]) for e in reason["errors"]] == [("INVALID_INPUT", "reason")]
    statuses = await owner.fetch(
        "SELECT status FROM bulletins WHERE tenant_id = $1 ORDER BY created_at", tenant.id
    )
    assert [r["status"] for r in statuses] == ["CANCELLED", "PUBLISHED"]


async def test_an_alert_name_that_is_not_an_id_is_a_404(app_client, two_tenants):
    tenant = two_tenants.a
    assert "bulletins" in tenant.modules
    feed = await app_client.get(f"/t/{tenant.slug}/alerts.cap.xml")
    assert feed.status_code == 200  # the command's feed is served
    for name in ("latest.cap.xml", f"{uuid.uuid4()}.xml", f"{uuid.uuid4()}.cap.xml.bak"):
        response = await app_client.get(f"/t/{tenant.slug}/alerts/{name}")
        assert response.status_code == 404, name
