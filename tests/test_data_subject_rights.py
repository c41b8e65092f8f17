"""Data-subject requests under UU PDP (issue 21, parts 2 and 7): access, correction,
erasure and restriction, legal holds, deadlines per right, and the audit log by data
subject. Two commands throughout."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from helpers import (
    FULFIL_REQUEST,
    REQUEST_MY_DATA,
    SET_LEGAL_HOLD,
    auth_header,
    enable_gateway,
    fresh_client,
    gql,
    make_user,
    new_phone,
    phone_sign_up,
    png_bytes,
    proxied_app,
    submit,
    text_columns_holding,
    upload_report,
)

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.auth.roles import Role
from jogo.tenants.oversight.rollups import do_rebuild_tenant
from jogo.tenants.privacy.deadlines import DEFAULT_HOURS
from jogo.tenants.privacy.export import KEYS

READ_IDENTITY = "query($id: ID!) { report(id: $id) { reporter { name phone } } }"
ADD_CHANNEL = """mutation($i: AddNotificationChannelInput!) { addNotificationChannel(input: $i) {
  errors { code field message } } }"""
VERIFY = """mutation($id: ID!) { verifyReport(reportId: $id) { errors { code } } }"""
EXPORT = """query($id: ID!) { dataSubjectExport(requestId: $id) { data html } }"""
RECORD = """mutation($i: RecordDataSubjectRequestInput!) { recordDataSubjectRequest(input: $i) {
  request { id status madeBy identityCheck } errors { code field message } } }"""
SET_DEADLINE = """mutation($r: DataSubjectRight!, $h: Int) { setPrivacyDeadline(right: $r, hours: $h) {
  deadline { right hours defaultHours changed legalBasis } errors { code field message } } }"""
AUDIT = """query($s: ID) { auditLog(dataSubjectId: $s, first: 100) { entries { action target actor } } }"""


@pytest.fixture
async def client(settings):
    async with proxied_app(settings) as c:
        yield c


async def citizen(client, owner, tenant) -> tuple[dict, str, uuid.UUID]:
    """A citizen signed up by phone at ``tenant``: headers, E.164 phone, user id."""
    await enable_gateway(tenant.id, "SMS")
    typed, e164 = new_phone()
    answer = await phone_sign_up(client, owner, tenant, typed, fresh_client())
    user_id = await owner.fetchval("SELECT id FROM users WHERE phone = $1", e164)
    return {"Authorization": f"Bearer {answer['access_token']}"}, e164, user_id


async def ask(client, tenant, headers, right="ERASURE", **more) -> dict:
    _, body = await gql(
        client,
        f"/t/{tenant.slug}/graphql",
        REQUEST_MY_DATA,
        headers,
        input={"right": right, **more},
    )
    assert "errors" not in body, body
    return body["data"]["requestMyData"]


async def fulfil(client, tenant, headers, request_id) -> dict:
    _, body = await gql(client, f"/t/{tenant.slug}/graphql", FULFIL_REQUEST, headers, id=request_id)
    assert "errors" not in body, body
    return body["data"]["fulfilDataSubjectRequest"]


async def snapshot(owner, scope: str) -> list[tuple]:
    rows = await owner.fetch(
        "SELECT day, category_code, status, urgent, breached, reports FROM oversight_daily"
        " WHERE scope = $1 AND reports <> 0 ORDER BY 1, 2, 3, 4, 5",
        scope,
    )
    return [tuple(r) for r in rows]


async def test_erasure_leaves_no_identity_anywhere_and_national_totals_unchanged(
    client, owner, settings, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    name = f"Sutarmi Q{uuid.uuid4().hex[:8]}"
    email = f"sutarmi.{uuid.uuid4().hex[:8]}@contoh.id"
    headers, phone, user_id = await citizen(client, owner, a)
    await enable_gateway(a.id, "EMAIL")
    _, added = await gql(
        client,
        f"/t/{a.slug}/graphql",
        ADD_CHANNEL,
        headers,
        i={"channel": "EMAIL", "address": email, "noticeVersion": NOTICE_VERSION},
    )
    assert added["data"]["addNotificationChannel"]["errors"] == [], added
    with_photo = await upload_report(
        client,
        a.slug,
        headers,
        [("foto.png", png_bytes(), "image/png")],
        reporterName=name,
        reporterPhone=phone,
    )
    plain = await submit(client, a.slug, headers, reporterName=name, reporterPhone=phone)
    keys = [
        r["storage_key"]
        for r in await owner.fetch(
            "SELECT storage_key FROM report_attachments WHERE report_id = $1::uuid",
            with_photo["report"]["id"],
        )
    ]
    assert keys and all((Path(settings.data_dir) / "attachments" / k).exists() for k in keys)
    # Another command's reporter, with a name of their own: untouched.
    other_name = f"Warsito Z{uuid.uuid4().hex[:8]}"
    b_headers, _, _ = await citizen(client, owner, b)
    await submit(client, b.slug, b_headers, reporterName=other_name)
    operator = await auth_header(settings, Role.OPERATOR, a)
    for rid in (with_photo["report"]["id"], plain["report"]["id"]):
        _, seen = await gql(client, f"/t/{a.slug}/graphql", READ_IDENTITY, operator, id=rid)
        assert seen["data"]["report"]["reporter"]["name"] == name
        _, done = await gql(client, f"/t/{a.slug}/graphql", VERIFY, operator, id=rid)
        assert done["data"]["verifyReport"]["errors"] == []
    assert await owner.fetchval("SELECT count(*) FROM notifications WHERE address = $1", email) == 2
    identity = [name, phone[1:], email]
    assert {
        "reports.reporter_name",
        "reports.reporter_phone",
        "users.phone",
        "notifications.address",
        "notification_channels.address",
    } <= set(await text_columns_holding(owner, identity))
    for tenant in (a, b):
        await do_rebuild_tenant(tenant)
    scopes = [f"tenant:{a.id}", f"tenant:{b.id}", "polda:JATIM", "polda:JATENG"]
    before = [await snapshot(owner, s) for s in scopes]
    assert before[0]

    request = (await ask(client, a, headers, "ERASURE"))["request"]
    assert request["status"] == "RECEIVED" and request["madeBy"] == "SELF"
    done = await fulfil(client, a, operator, request["id"])
    assert done["errors"] == [] and done["request"]["status"] == "DONE"
    assert [s["step"] for s in done["request"]["log"]] == ["RECEIVED", "DONE"]
    assert "2 reports anonymised, 1 photos removed" in done["request"]["log"][-1]["note"]

    assert await text_columns_holding(owner, identity) == []
    assert await text_columns_holding(owner, [other_name]) == ["reports.reporter_name"]
    assert not any((Path(settings.data_dir) / "attachments" / k).exists() for k in keys)
    # The reports stay, as public-order records; national totals count them the same.
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM reports WHERE tenant_id = $1 AND identity_erased_at IS NOT NULL",
            a.id,
        )
        == 2
    )
    for tenant in (a, b):
        await do_rebuild_tenant(tenant)
    assert [await snapshot(owner, s) for s in scopes] == before
    # The account is closed: its token no longer works.
    assert await owner.fetchval("SELECT is_active FROM users WHERE id = $1", user_id) is False
    again = await client.post(
        f"/t/{a.slug}/graphql", json={"query": "{ me { username } }"}, headers=headers
    )
    assert again.status_code in (401, 404) or again.json()["data"]["me"] is None
    audit = await owner.fetch(
        "SELECT action FROM audit_log WHERE tenant = $1 AND target = $2 ORDER BY id",
        a.id,
        f"user:{user_id}",
    )
    assert [r["action"] for r in audit][-2:] == ["privacy.request.received", "privacy.request.done"]


async def test_a_legal_hold_blocks_erasure_of_that_report(client, owner, settings, two_tenants):
    a = two_tenants.a
    name = f"Suparmi H{uuid.uuid4().hex[:8]}"
    headers, _phone, _ = await citizen(client, owner, a)
    held = await submit(client, a.slug, headers, reporterName=name)
    free = await submit(client, a.slug, headers, reporterName=name)
    operator = await auth_header(settings, Role.OPERATOR, a)
    path = f"/t/{a.slug}/graphql"
    _, body = await gql(client, path, SET_LEGAL_HOLD, operator, r=held["report"]["id"], why="x")
    assert body["data"]["setLegalHold"]["errors"][0]["field"] == "reason"
    why = "Penyidikan Reskrim LP/B/123/2026"
    _, body = await gql(client, path, SET_LEGAL_HOLD, operator, r=held["report"]["id"], why=why)
    assert body["data"]["setLegalHold"]["held"] is True
    # Another command's operator cannot hold it: it does not exist there.
    other = await auth_header(settings, Role.OPERATOR, two_tenants.b)
    _, body = await gql(
        client,
        f"/t/{two_tenants.b.slug}/graphql",
        SET_LEGAL_HOLD,
        other,
        r=held["report"]["id"],
        why=why,
    )
    assert body["data"]["setLegalHold"]["errors"][0]["code"] == "NOT_FOUND"
    # A citizen cannot set one.
    _, body = await gql(client, path, SET_LEGAL_HOLD, headers, r=held["report"]["id"], why=why)
    assert body["data"]["setLegalHold"]["errors"][0]["code"] == "FORBIDDEN"

    request = (await ask(client, a, headers, "ERASURE"))["request"]
    done = await fulfil(client, a, operator, request["id"])
    assert held["report"]["ticket"] in done["request"]["log"][-1]["note"]
    names = {
        r["id"]: r["reporter_name"]
        for r in await owner.fetch(
            "SELECT id::text, reporter_name FROM reports WHERE id = ANY($1::uuid[])",
            [held["report"]["id"], free["report"]["id"]],
        )
    }
    assert names == {held["report"]["id"]: name, free["report"]["id"]: None}
    audit = await owner.fetch(
        "SELECT action, detail->>'reason' AS reason FROM audit_log WHERE tenant = $1"
        " AND target = $2",
        a.id,
        f"report:{held['report']['ticket']}",
    )
    assert ("report.legal_hold.set", why) in [(r["action"], r["reason"]) for r in audit]
    lift = """mutation($r: ID!, $why: String!) { liftLegalHold(reportId: $r, reason: $why) {
      held errors { code } } }"""
    _, body = await gql(client, path, lift, operator, r=held["report"]["id"], why="Perkara selesai")
    assert body["data"]["liftLegalHold"]["held"] is False
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'report.legal_hold.lift' AND target = $1",
            f"report:{held['report']['ticket']}",
        )
        == 1
    )


async def test_access_export_shows_everything_and_who_read_the_identity(
    client, owner, settings, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    name = f"Sumiati A{uuid.uuid4().hex[:8]}"
    headers, phone, user_id = await citizen(client, owner, a)
    made = await upload_report(
        client, a.slug, headers, [("foto.png", png_bytes(), "image/png")], reporterName=name
    )
    op_id, op_name = await make_user(Role.OPERATOR, a)
    from helpers import bearer_for

    operator = bearer_for(op_id, op_name, settings)
    _, seen = await gql(
        client, f"/t/{a.slug}/graphql", READ_IDENTITY, operator, id=made["report"]["id"]
    )
    assert seen["data"]["report"]["reporter"]["name"] == name

    answered = await ask(client, a, headers, "ACCESS")
    request = answered["request"]
    assert request["status"] == "DONE"
    _, body = await gql(client, f"/t/{a.slug}/graphql", EXPORT, headers, id=request["id"])
    data, page = (
        body["data"]["dataSubjectExport"]["data"],
        body["data"]["dataSubjectExport"]["html"],
    )
    assert tuple(data) == KEYS
    assert data["account"]["phone"] == phone and data["account"]["roles"] == ["citizen"]
    [report] = data["reports"]
    assert report["ticket"] == made["report"]["ticket"] and report["reporter_name"] == name
    assert report["timeline"][0]["kind"] == "SUBMITTED"
    assert len(report["photos"]) == 1 and set(report["photos"][0]) >= {"id", "sha256"}
    assert [c["notice_version"] for c in data["consents"]]
    reads = data["identity_reads"]
    assert [(r["actor"], r["ticket"]) for r in reads] == [(op_name, made["report"]["ticket"])]
    assert page.startswith("<!doctype html>") and "Siapa membaca identitas Anda" in page
    assert "Who read your identity" in page and op_name in page and name in page
    # Someone else: not found, whoever they are; staff reading it is audited.
    other_headers, _, _ = await citizen(client, owner, a)
    _, body = await gql(client, f"/t/{a.slug}/graphql", EXPORT, other_headers, id=request["id"])
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    b_staff = await auth_header(settings, Role.OPERATOR, b)
    _, body = await gql(client, f"/t/{b.slug}/graphql", EXPORT, b_staff, id=request["id"])
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    _, body = await gql(client, f"/t/{a.slug}/graphql", EXPORT, operator, id=request["id"])
    assert body["data"]["dataSubjectExport"]["data"]["account"]["id"] == str(user_id)
    # The tenant audit log, filtered by this data subject: their reads and requests only.
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    _, body = await gql(client, f"/t/{a.slug}/graphql", AUDIT, admin, s=str(user_id))
    entries = body["data"]["auditLog"]["entries"]
    assert {e["action"] for e in entries} >= {
        "report.reporter_identity.read",
        "privacy.request.received",
        "privacy.export.read",
    }
    allowed = {f"user:{user_id}", f"report:{made['report']['ticket']}"}
    assert {e["target"] for e in entries} <= allowed
    _, body = await gql(client, f"/t/{a.slug}/graphql", AUDIT, admin, s=str(uuid.uuid4()))
    assert body["data"]["auditLog"]["entries"] == []


async def test_deadlines_come_from_the_command_table(client, owner, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    path = f"/t/{a.slug}/graphql"
    _, body = await gql(client, path, SET_DEADLINE, admin, r="ERASURE", h=24)
    deadline = body["data"]["setPrivacyDeadline"]["deadline"]
    assert deadline == {
        "right": "ERASURE",
        "hours": 24,
        "defaultHours": DEFAULT_HOURS["ERASURE"],
        "changed": True,
        "legalBasis": "UU 27/2022 Pasal 8, Pasal 43",
    }
    _, body = await gql(client, path, SET_DEADLINE, admin, r="ERASURE", h=0)
    assert body["data"]["setPrivacyDeadline"]["errors"][0]["field"] == "hours"
    operator = await auth_header(settings, Role.OPERATOR, a)
    _, body = await gql(client, path, SET_DEADLINE, operator, r="ERASURE", h=1)
    assert body["data"]["setPrivacyDeadline"]["errors"][0]["code"] == "FORBIDDEN"
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action = 'privacy.deadline.set'",
            a.id,
        )
        == 1
    )
    headers, _, _ = await citizen(client, owner, a)
    erasure = (await ask(client, a, headers, "ERASURE"))["request"]
    restriction = (await ask(client, a, headers, "RESTRICTION"))["request"]
    stored = {
        str(r["id"]): r["due_at"] - r["received_at"]
        for r in await owner.fetch("SELECT id, due_at, received_at FROM data_subject_requests")
    }
    assert stored[erasure["id"]] == timedelta(hours=24)
    assert stored[restriction["id"]] == timedelta(hours=72)
    # B's table is its own.
    b_headers, _, _ = await citizen(client, owner, b)
    b_erasure = (await ask(client, b, b_headers, "ERASURE"))["request"]
    assert stored.get(b_erasure["id"]) is None
    assert await owner.fetchval(
        "SELECT due_at - received_at FROM data_subject_requests WHERE id = $1::uuid",
        b_erasure["id"],
    ) == timedelta(hours=72)


async def test_who_may_ask(client, owner, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    headers, phone, user_id = await citizen(client, owner, a)
    path_a, path_b = f"/t/{a.slug}/graphql", f"/t/{b.slug}/graphql"
    # A read-only key: neither for itself nor on anyone's behalf.
    key = await create_api_key(a, "pembaca", ["reports:read"], "pytest")
    key_headers = {"Authorization": f"Bearer {key.key}"}
    _, body = await gql(client, path_a, REQUEST_MY_DATA, key_headers, input={"right": "ACCESS"})
    assert body["data"]["requestMyData"]["errors"][0]["code"] == "FORBIDDEN"
    record = {"subjectPhone": phone, "right": "ERASURE", "identityCheck": "KTP dicocokkan"}
    _, body = await gql(client, path_a, RECORD, key_headers, i=record)
    assert body["data"]["recordDataSubjectRequest"]["errors"][0]["code"] == "FORBIDDEN"
    # A citizen cannot record one for another person.
    _, body = await gql(client, path_a, RECORD, headers, i=record)
    assert body["data"]["recordDataSubjectRequest"]["errors"][0]["code"] == "FORBIDDEN"
    # Nor ask at another command (their token is not for it).
    response = await client.post(
        path_b,
        json={"query": REQUEST_MY_DATA, "variables": {"input": {"right": "ACCESS"}}},
        headers=headers,
    )
    assert response.status_code == 404
    # Another command's operator does not find this citizen.
    b_operator = await auth_header(settings, Role.OPERATOR, b)
    _, body = await gql(client, path_b, RECORD, b_operator, i=record)
    assert body["data"]["recordDataSubjectRequest"]["errors"][0] == {
        "code": "NOT_FOUND",
        "field": "subjectPhone",
        "message": body["data"]["recordDataSubjectRequest"]["errors"][0]["message"],
    }
    # An expired token: 401.
    now = int(time.time())
    claims = {"iss": "jogo", "aud": "jogo-api", "sub": str(user_id), "iat": now - 100}
    expired = jwt.encode(claims | {"exp": now - 10}, settings.secret_key, algorithm="HS256")
    response = await client.post(
        path_a,
        json={"query": REQUEST_MY_DATA, "variables": {"input": {"right": "ACCESS"}}},
        headers={"Authorization": f"Bearer {expired}"},
    )
    assert response.status_code == 401
    # The operator of this command records it, saying how identity was checked.
    operator = await auth_header(settings, Role.OPERATOR, a)
    _, body = await gql(client, path_a, RECORD, operator, i={**record, "identityCheck": ""})
    assert body["data"]["recordDataSubjectRequest"]["errors"][0]["field"] == "identityCheck"
    _, body = await gql(client, path_a, RECORD, operator, i=record)
    made = body["data"]["recordDataSubjectRequest"]["request"]
    assert made["madeBy"] == "OPERATOR" and made["identityCheck"] == "KTP dicocokkan"
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM data_subject_requests WHERE subject_user_id = $1", user_id
        )
        == 1
    )


async def test_parallel_duplicate_erasure_requests_are_one(client, owner, settings, two_tenants):
    a = two_tenants.a
    headers, _, _user_id = await citizen(client, owner, a)
    name = f"Paralel P{uuid.uuid4().hex[:8]}"
    await submit(client, a.slug, headers, reporterName=name)
    asked = await asyncio.gather(*(ask(client, a, headers, "ERASURE") for _ in range(5)))
    ids = {r["request"]["id"] for r in asked}
    assert len(ids) == 1
    operator = await auth_header(settings, Role.OPERATOR, a)
    [rid] = ids
    results = await asyncio.gather(*(fulfil(client, a, operator, rid) for _ in range(4)))
    assert sorted(bool(r["errors"]) for r in results) == [False, True, True, True]
    assert {r["errors"][0]["code"] for r in results if r["errors"]} == {"CONFLICT"}
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM data_subject_request_log WHERE request_id = $1::uuid"
            " AND step = 'DONE'",
            rid,
        )
        == 1
    )
    assert await text_columns_holding(owner, [name]) == []


async def test_restriction_stops_notifications_and_correction_fixes_the_name(
    client, owner, settings, two_tenants
):
    a = two_tenants.a
    headers, phone, user_id = await citizen(client, owner, a)
    made = await submit(client, a.slug, headers, reporterName="Nama Salah")
    await gql(
        client,
        f"/t/{a.slug}/graphql",
        ADD_CHANNEL,
        headers,
        i={"channel": "SMS", "address": phone, "noticeVersion": NOTICE_VERSION},
    )
    operator = await auth_header(settings, Role.OPERATOR, a)
    corrected = (await ask(client, a, headers, "CORRECTION", fullName="Nama  Benar"))["request"]
    await fulfil(client, a, operator, corrected["id"])
    assert (
        await owner.fetchval(
            "SELECT reporter_name FROM reports WHERE id = $1::uuid", made["report"]["id"]
        )
        == "Nama Benar"
    )
    assert (
        await owner.fetchval("SELECT full_name FROM users WHERE id = $1", user_id) == "Nama Benar"
    )
    restriction = (await ask(client, a, headers, "RESTRICTION"))["request"]
    await fulfil(client, a, operator, restriction["id"])
    _, done = await gql(client, f"/t/{a.slug}/graphql", VERIFY, operator, id=made["report"]["id"])
    assert done["data"]["verifyReport"]["errors"] == []
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM notifications WHERE report_id = $1::uuid", made["report"]["id"]
        )
        == 0
    )
