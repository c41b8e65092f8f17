"""Consent and privacy notice per command (issue 21, part 1; UU PDP No. 27/2022): each
command's notice and its versions, publishing (tenant admins only), the version and the
purpose recorded at every collection point, withdrawal that stops notifications and
sharing, and a report that no withdrawal undoes. Two commands throughout."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from helpers import (
    NOTE,
    VERIFY,
    act,
    auth_header,
    bearer_for,
    enable_gateway,
    eventually,
    fresh_client,
    gql,
    make_user,
    new_phone,
    phone_code,
    report_input,
    share,
    verify_phone,
)
from notify_fakes import HttpFake

from jogo.platform import db
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.privacy import NOTICE_VERSION, template
from jogo.platform.auth.roles import Role
from jogo.tenants.notifications import actions as notifications

NOTICE = "{ privacyNotice { version textId textEn isDefault publishedAt } }"
HISTORY = "{ privacyNotices { version isDefault } }"
PURPOSES = "{ privacyPurposes { purpose lawfulBasis articles withdrawable } }"
TEMPLATE = "{ privacyNoticeTemplate { version textId textEn } }"
PUBLISH = """mutation($i: PublishPrivacyNoticeInput!) { publishPrivacyNotice(input: $i) {
  notice { version textId isDefault } errors { code field message } } }"""
MINE = "{ myConsents { purpose lawfulBasis withdrawable noticeVersion live withdrawnAt } }"
WITHDRAW = """mutation($p: ConsentPurpose!) { withdrawConsent(purpose: $p) {
  consent { purpose live withdrawnAt } errors { code field message } } }"""
GIVE = """mutation($p: ConsentPurpose!, $v: String!) { giveConsent(purpose: $p, noticeVersion: $v) {
  consent { purpose live noticeVersion } errors { code field message } } }"""
ADD_CHANNEL = """mutation($i: AddNotificationChannelInput!) { addNotificationChannel(input: $i) {
  channel { id } errors { code field message } } }"""
SUBMIT = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
  report { id ticket } pin errors { code field message } } }"""
SET_SMS = """mutation($i: SetNotificationGatewayInput!) { setNotificationGateway(input: $i) {
  gateway { kind } errors { code } } }"""
FEED = "{ sharedPosts(first: 10) { edges { node { id } } } }"
APPROVE = """mutation($id: ID!) { approvePost(id: $id, acknowledgeHold: false) {
  post { id status } errors { code } } }"""


def path(tenant: Any) -> str:
    return f"/t/{tenant.slug}/graphql"


async def data(client: Any, tenant: Any, query: str, headers: dict | None = None, **v: Any):
    status, body = await gql(client, path(tenant), query, headers, **v)
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


def publish_input(version: str, marker: str = "") -> dict[str, str]:
    text = template()
    return {
        "version": version,
        "textId": text.text_id + marker,
        "textEn": text.text_en + marker,
    }


def codes(payload: dict) -> set[tuple[str, str | None]]:
    return {(e["code"], e["field"]) for e in payload["errors"]}


async def test_each_command_has_its_own_notice_and_versions(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    for tenant in (a, b):  # the product's default until a command publishes its own
        notice = await data(app_client, tenant, NOTICE)
        assert notice["version"] == NOTICE_VERSION and notice["isDefault"]
        assert notice["publishedAt"] is None
        assert "Pasal 20 ayat (2)" in notice["textId"] and "art. 20 (2)" in notice["textEn"]
    # The template says a withdrawal does not undo a report, in both languages.
    shown = await data(app_client, a, TEMPLATE)
    assert "TIDAK membatalkan laporan" in shown["textId"]
    assert "does NOT undo a report" in shown["textEn"]
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    done = await data(app_client, a, PUBLISH, admin_a, i=publish_input("2027-02", " A."))
    assert done["errors"] == [] and done["notice"]["version"] == "2027-02"
    assert "(versi 2027-02)" in done["notice"]["textId"]  # {version} became the label
    assert (await data(app_client, a, NOTICE))["version"] == "2027-02"
    assert (await data(app_client, b, NOTICE))["version"] == NOTICE_VERSION
    # B may use the same label for its own text: versions are per command.
    same = await data(app_client, b, PUBLISH, admin_b, i=publish_input("2027-02", " B."))
    assert same["errors"] == []
    later = await data(app_client, a, PUBLISH, admin_a, i=publish_input("2027-03"))
    assert later["errors"] == []
    assert await data(app_client, a, HISTORY) == [
        {"version": "2027-03", "isDefault": False},
        {"version": "2027-02", "isDefault": False},
        {"version": NOTICE_VERSION, "isDefault": True},
    ]
    assert [n["version"] for n in await data(app_client, b, HISTORY)] == [
        "2027-02",
        NOTICE_VERSION,
    ]
    # A label used already (or the default's) is refused; so is a bad one.
    for label in ("2027-02", NOTICE_VERSION):
        again = await data(app_client, a, PUBLISH, admin_a, i=publish_input(label))
        assert codes(again) == {("CONFLICT", "version")}
    bad = await data(
        app_client, a, PUBLISH, admin_a, i={"version": "v 1", "textId": "x", "textEn": ""}
    )
    assert codes(bad) == {
        ("INVALID_INPUT", "version"),
        ("INVALID_INPUT", "textId"),
        ("INVALID_INPUT", "textEn"),
    }
    # Published versions are immutable, even for a statement of the app's own role.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with db.tenant_tx(a.id):
            await db.fetch("UPDATE privacy_notices SET text_en = 'changed'")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with db.tenant_tx(a.id):
            await db.fetch("DELETE FROM privacy_notices")
    assert (await data(app_client, a, HISTORY))[0]["version"] == "2027-03"
    purposes = await data(app_client, b, PURPOSES)
    assert {p["purpose"]: (p["lawfulBasis"], p["withdrawable"]) for p in purposes} == {
        "REPORT": ("PUBLIC_TASK", False),
        "SIGN_UP": ("CONSENT", False),
        "NOTIFICATIONS": ("CONSENT", True),
        "SHARING": ("CONSENT", True),
    }
    report = next(p for p in purposes if p["purpose"] == "REPORT")
    assert {"20(2)(c)", "20(2)(e)"} <= set(report["articles"])


async def test_only_a_tenant_admin_publishes(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    key = await create_api_key(a, "pembaca", ["reports:read"], "pytest")
    citizen = await auth_header(settings, Role.CITIZEN, a)
    operator = await auth_header(settings, Role.OPERATOR, a)
    admin_of_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    user_id, username = await make_user(Role.TENANT_ADMIN, a)
    expired = bearer_for(user_id, username, settings, ttl=-60)
    for headers in (citizen, operator, {"Authorization": f"Bearer {key.key}"}, admin_of_b, None):
        status, body = await gql(
            app_client, path(a), PUBLISH, headers, i=publish_input("refused-1")
        )
        assert status in (200, 401, 403, 404), body
        if status == 200 and body.get("data"):
            found = codes(body["data"]["publishPrivacyNotice"])
            assert found <= {("FORBIDDEN", None), ("UNAUTHENTICATED", None)}, body
            assert found, body
    status, body = await gql(app_client, path(a), PUBLISH, expired, i=publish_input("refused-2"))
    assert status == 401 or body["data"]["publishPrivacyNotice"]["errors"], body
    refused = await owner.fetchval(
        "SELECT count(*) FROM privacy_notices WHERE tenant_id = ANY($1::uuid[])", [a.id, b.id]
    )
    assert refused == 0
    assert (await data(app_client, a, NOTICE))["version"] == NOTICE_VERSION


async def test_collection_points_record_version_and_purpose(
    app_client, settings, two_tenants, owner
):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    assert (await data(app_client, a, PUBLISH, admin_a, i=publish_input("a-1")))["errors"] == []
    # Reports: never refused for the version; recorded as sent, else 'unknown'.
    made = {}
    for label, sent in (("current", "a-1"), ("stale", NOTICE_VERSION), ("none", None)):
        extra = {"noticeVersion": sent} if sent else {}
        done = await data(app_client, a, SUBMIT, None, input=report_input(anonymous=True, **extra))
        assert done["errors"] == [] and done["pin"], done
        made[label] = done["report"]["id"]
    junk = await data(
        app_client, a, SUBMIT, None, input=report_input(anonymous=True, noticeVersion="x" * 99)
    )
    made["junk"] = junk["report"]["id"]
    rows = await owner.fetch(
        "SELECT id::text, notice_version FROM reports WHERE id = ANY($1::uuid[])",
        list(made.values()),
    )
    recorded = {r["id"]: r["notice_version"] for r in rows}
    assert [recorded[made[k]] for k in ("current", "stale", "none", "junk")] == [
        "a-1",
        NOTICE_VERSION,
        "unknown",
        "unknown",
    ]
    # An anonymous report leaves no identity in the consent log.
    assert await owner.fetchval("SELECT count(*) FROM consent_log WHERE tenant_id = $1", a.id) == 0
    # A signed-in reporter: the report's 'seen' entry under its basis (not consent).
    citizen_id, citizen_name = await make_user(Role.CITIZEN, a)
    citizen = bearer_for(citizen_id, citizen_name, settings)
    mine = await data(app_client, a, SUBMIT, citizen, input=report_input(noticeVersion="a-1"))
    assert mine["errors"] == []
    # Notifications: a missing or stale version is CONSENT_REQUIRED, naming the current.
    sms = {"channel": "SMS", "address": "081234567890"}
    await enable_gateway(a.id)
    for sent in (None, NOTICE_VERSION):
        refused = await data(app_client, a, ADD_CHANNEL, citizen, i={**sms, "noticeVersion": sent})
        assert codes(refused) == {("CONSENT_REQUIRED", "noticeVersion")}
        assert "a-1" in refused["errors"][0]["message"]
    added = await data(app_client, a, ADD_CHANNEL, citizen, i={**sms, "noticeVersion": "a-1"})
    assert added["errors"] == [] and added["channel"]["id"]
    # Live consent to the version in force: no version needed for another channel.
    more = await data(
        app_client, a, ADD_CHANNEL, citizen, i={"channel": "SMS", "address": "081234567899"}
    )
    assert more["errors"] == []
    # Sharing: the same rule (A has the sharing module).
    assert codes(await share(app_client, a, citizen, noticeVersion=None)) == {
        ("CONSENT_REQUIRED", "noticeVersion")
    }
    assert (await share(app_client, a, citizen, noticeVersion="a-1"))["errors"] == []
    # An anonymous reporter's notify without the version: the report is filed, the
    # channel is not added, and the answer says why beside the report.
    await enable_gateway(b.id)
    notify = await data(
        app_client, b, SUBMIT, None, input={**report_input(anonymous=True), "notify": sms}
    )
    assert notify["report"]["id"] and notify["pin"]
    assert codes(notify) == {("CONSENT_REQUIRED", "notify")}
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM notification_channels WHERE report_id = $1::uuid",
            notify["report"]["id"],
        )
        == 0
    )
    log = await owner.fetch(
        "SELECT tenant_id, purpose, action, lawful_basis, notice_version, report_id IS NOT NULL"
        " AS about_report FROM consent_log WHERE user_id = $1 ORDER BY id",
        citizen_id,
    )
    assert [tuple(r.values()) for r in log] == [
        (a.id, "report", "seen", "public_task", "a-1", True),
        (a.id, "notifications", "given", "consent", "a-1", False),
        (a.id, "sharing", "given", "consent", "a-1", False),
    ]
    # Sign-up: the command's own version, not the product's default.
    typed, _ = new_phone()
    who = fresh_client()
    code = await phone_code(app_client, owner, a, typed, who)
    stale = await verify_phone(app_client, a.slug, typed, code, who, consent=NOTICE_VERSION)
    assert stale.status_code == 409 and stale.json()["notice_version"] == "a-1"
    signed = await verify_phone(app_client, a.slug, typed, code, who, consent="a-1")
    assert signed.status_code == 200, signed.text
    phone_user = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    states = {c["purpose"]: c for c in await data(app_client, a, MINE, phone_user)}
    assert states["SIGN_UP"]["noticeVersion"] == "a-1" and states["SIGN_UP"]["live"]
    assert states["REPORT"]["live"] is None and not states["REPORT"]["withdrawable"]
    assert states["NOTIFICATIONS"]["live"] is False
    # B's citizen has no consent at A's version, nor anything recorded at A.
    at_b = await auth_header(settings, Role.CITIZEN, b)
    assert {c["purpose"]: c["noticeVersion"] for c in await data(app_client, b, MINE, at_b)} == {
        "REPORT": None,
        "SIGN_UP": None,
        "NOTIFICATIONS": None,
        "SHARING": None,
    }


async def test_report_consent_cannot_be_withdrawn_and_reports_go_on(
    app_client, settings, two_tenants, owner
):
    a = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, a)
    for purpose in ("REPORT", "SIGN_UP"):
        refused = await data(app_client, a, WITHDRAW, citizen, p=purpose)
        assert codes(refused) == {("CONSENT_NOT_WITHDRAWABLE", "purpose")}
    message = refused["errors"][0]["message"]
    assert "penghapusan" in message and "erasure" in message
    report = await data(app_client, a, WITHDRAW, citizen, p="REPORT")
    message = report["errors"][0]["message"]
    assert "Pasal 20" in message and "art. 20 (2)" in message and "police record" in message
    for purpose in ("NOTIFICATIONS", "SHARING"):
        assert (await data(app_client, a, WITHDRAW, citizen, p=purpose))["errors"] == []
    # Reports are still accepted, with or without a version.
    for extra in ({}, {"noticeVersion": NOTICE_VERSION}):
        done = await data(app_client, a, SUBMIT, citizen, input=report_input(**extra))
        assert done["errors"] == [] and done["report"]["id"]
    # Giving consent for a report is not a thing either.
    given = await data(app_client, a, GIVE, citizen, p="REPORT", v=NOTICE_VERSION)
    assert codes(given) == {("INVALID_INPUT", "purpose")}


async def test_parallel_duplicate_withdrawals_record_one(app_client, settings, two_tenants, owner):
    a, b = two_tenants.a, two_tenants.b
    user_id, name = await make_user(Role.CITIZEN, a)
    citizen = bearer_for(user_id, name, settings)
    given = await data(app_client, a, GIVE, citizen, p="NOTIFICATIONS", v=NOTICE_VERSION)
    assert given["consent"] == {
        "purpose": "NOTIFICATIONS",
        "live": True,
        "noticeVersion": NOTICE_VERSION,
    }
    answers = await asyncio.gather(
        *(data(app_client, a, WITHDRAW, citizen, p="NOTIFICATIONS") for _ in range(8))
    )
    assert all(x["errors"] == [] and x["consent"]["live"] is False for x in answers), answers
    assert len({x["consent"]["withdrawnAt"] for x in answers}) == 1
    withdrawn = await owner.fetchval(
        "SELECT count(*) FROM consent_log WHERE user_id = $1 AND action = 'withdrawn'", user_id
    )
    audited = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'privacy.consent_withdrawn' AND target = $1",
        f"user:{user_id}",
    )
    assert withdrawn == 1 and audited == 1
    # Nothing of it at B.
    assert await owner.fetchval("SELECT count(*) FROM consents WHERE tenant_id = $1", b.id) == 0
    again = await data(app_client, a, GIVE, citizen, p="NOTIFICATIONS", v=NOTICE_VERSION)
    assert again["consent"]["live"] is True


async def test_withdrawal_cancels_what_is_queued(app_client, settings, two_tenants, owner):
    """No relay here: what was queued for the person is still PENDING when they
    withdraw, and is cancelled by the withdrawal; another person's is untouched."""
    a, b = two_tenants.a, two_tenants.b
    user_id, name = await make_user(Role.CITIZEN, a)
    other_id, _ = await make_user(Role.CITIZEN, b)
    queued = {}
    for tenant, person in ((a, user_id), (b, other_id)):
        async with db.tenant_tx(tenant.id):
            queued[tenant.id] = await notifications.do_send(
                tenant.id,
                channel="SMS",
                address="+6281234567890",
                template="report_note",
                params={"ticket": "X-1", "note": "uji"},
                user_id=person,
            )
    citizen = bearer_for(user_id, name, settings)
    assert (await data(app_client, a, WITHDRAW, citizen, p="NOTIFICATIONS"))["errors"] == []
    statuses = {
        r["tenant_id"]: r["status"]
        for r in await owner.fetch(
            "SELECT tenant_id, status FROM notifications WHERE id = ANY($1::uuid[])",
            list(queued.values()),
        )
    }
    assert statuses == {a.id: "CANCELLED", b.id: "PENDING"}


async def sms_messages(fake: HttpFake) -> list[str]:
    return [r.json()["text"] for r in fake.delivered()]


async def test_withdrawing_notifications_stops_them_and_consenting_again_resumes(
    app_client, settings, two_tenants, owner, worker, relay
):
    a = two_tenants.a
    fake = HttpFake().start()
    try:
        admin = await auth_header(settings, Role.TENANT_ADMIN, a)
        gateway = await data(
            app_client,
            a,
            SET_SMS,
            admin,
            i={
                "kind": "SMS",
                "endpoint": fake.url + "/send",
                "sender": "POLRES",
                "secret": "s" * 32,
            },
        )
        assert gateway["errors"] == [], gateway
        user_id, name = await make_user(Role.CITIZEN, a)
        citizen = bearer_for(user_id, name, settings)
        added = await data(
            app_client,
            a,
            ADD_CHANNEL,
            citizen,
            i={"channel": "SMS", "address": "081234567890", "noticeVersion": NOTICE_VERSION},
        )
        assert added["errors"] == []
        rid = (await data(app_client, a, SUBMIT, citizen, input=report_input()))["report"]["id"]
        assert (await act(app_client, a.slug, VERIFY, admin, id=rid))["errors"] == []
        await fake.wait_for(1)
        assert "Terverifikasi" in (await sms_messages(fake))[0]

        assert (await data(app_client, a, WITHDRAW, citizen, p="NOTIFICATIONS"))["errors"] == []
        await act(app_client, a.slug, NOTE, admin, id=rid, n="Petugas menuju lokasi", p=True)
        # Nothing is queued for the event; and what a path queues anyway is cancelled at
        # send time by the deliverer.
        assert (
            await owner.fetchval(
                "SELECT count(*) FROM notifications WHERE report_id = $1::uuid", rid
            )
            == 1
        )
        async with db.tenant_tx(a.id):
            late = await notifications.do_send(
                a.id,
                channel="SMS",
                address="+6281234567890",
                template="report_note",
                params={"ticket": "X", "note": "terlambat"},
                report_id=uuid.UUID(rid),
                user_id=user_id,
            )

        async def cancelled() -> bool:
            status = await owner.fetchval("SELECT status FROM notifications WHERE id = $1", late)
            return status == "CANCELLED"

        await eventually(cancelled, "the late notification CANCELLED", within=30)

        again = await data(app_client, a, GIVE, citizen, p="NOTIFICATIONS", v=NOTICE_VERSION)
        assert again["consent"]["live"] is True
        await act(app_client, a.slug, NOTE, admin, id=rid, n="Pohon sudah dipotong", p=True)
        await fake.wait_for(2)
        texts = await sms_messages(fake)
        assert len(texts) == 2 and "Pohon sudah dipotong" in texts[1], texts
        assert not any("Petugas menuju lokasi" in t or "terlambat" in t for t in texts)
    finally:
        fake.stop()


async def test_withdrawing_sharing_takes_posts_off_the_feed(app_client, settings, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    author = await auth_header(settings, Role.CITIZEN, a)
    moderator = await auth_header(settings, Role.OPERATOR, a)
    post = (await share(app_client, a, author))["post"]["id"]
    assert (await data(app_client, a, APPROVE, moderator, id=post))["errors"] == []
    b_author = await auth_header(settings, Role.CITIZEN, b)
    b_post = (await share(app_client, b, b_author))["post"]["id"]
    await data(app_client, b, APPROVE, await auth_header(settings, Role.OPERATOR, b), id=b_post)

    async def feed(tenant: Any) -> list[str]:
        return [e["node"]["id"] for e in (await data(app_client, tenant, FEED))["edges"]]

    assert post in await feed(a)
    assert (await data(app_client, a, WITHDRAW, author, p="SHARING"))["errors"] == []
    assert post not in await feed(a)
    assert b_post in await feed(b)  # B's author consented, and nothing at A touches B
    # No new post without consenting again.
    assert codes(await share(app_client, a, author, noticeVersion=None)) == {
        ("CONSENT_REQUIRED", "noticeVersion")
    }
    await data(app_client, a, GIVE, author, p="SHARING", v=NOTICE_VERSION)
    assert post in await feed(a)


async def test_a_citizen_sees_the_notice_and_withdraws_notifications(
    browser, live_server, owner, two_tenants
):
    from helpers import BrowserLog, citizen_url, open_citizen, phone_context, screenshot

    tenant = two_tenants.a
    await owner.execute(
        "INSERT INTO notification_gateways (tenant_id, kind) VALUES ($1, 'SMS'), ($1, 'WHATSAPP')",
        tenant.id,
    )
    context = await phone_context(browser)
    page = await context.new_page()
    log = BrowserLog.attach(page)
    try:
        # Before the first report: the command's notice, Bahasa Indonesia with English.
        await open_citizen(page, citizen_url(live_server, tenant, "lapor"))
        await page.get_by_text("Sebelum melapor, bacalah pemberitahuan privasi").wait_for()
        await (
            page.locator(".notice-box .notice-id")
            .get_by_text("TIDAK membatalkan laporan", exact=False)
            .wait_for()
        )
        await (
            page.locator(".notice-box .notice-en")
            .get_by_text("does NOT undo a report", exact=False)
            .wait_for()
        )
        # Sign-up by phone, accepting the notice shown.
        await open_citizen(page, citizen_url(live_server, tenant, "akun"))
        await page.get_by_label("Nomor ponsel").fill("0812 3456 7890")
        await page.get_by_role("button", name="Kirim kode").click()
        await page.get_by_text("Kode dikirim ke").wait_for(timeout=10_000)
        code = await owner.fetchval(
            "SELECT params->>'code' FROM notifications WHERE tenant_id = $1"
            " AND template = 'otp_code' ORDER BY created_at DESC LIMIT 1",
            tenant.id,
        )
        await page.get_by_label("Kode", exact=True).fill(code)
        await (
            page.locator(".signin-code .notice-en")
            .get_by_text("Purposes and lawful basis", exact=False)
            .wait_for()
        )
        await page.get_by_label("Saya menyetujui pemberitahuan privasi.").check()
        await page.get_by_role("button", name="Masuk", exact=True).click()
        await page.get_by_text("Masuk sebagai").wait_for(timeout=10_000)
        # A channel (consent to notifications with the version shown), then withdrawn.
        await page.get_by_label("Nomor atau e-mail").fill("0812 3456 7891")
        await page.get_by_role("button", name="Tambah", exact=True).click()
        await page.locator(".channel-row").get_by_text("+6281234567891").wait_for(timeout=10_000)
        row = page.locator(".consent-row[data-purpose='NOTIFICATIONS']")
        await row.get_by_text("Disetujui.", exact=True).wait_for(timeout=10_000)
        await row.get_by_role("button", name="Tarik persetujuan").click()
        await row.get_by_role("button", name="Setujui lagi").wait_for(timeout=10_000)
        await (
            page.locator(".consent-row[data-purpose='REPORT']")
            .get_by_text("Tidak dapat ditarik", exact=False)
            .wait_for()
        )
        [state] = await owner.fetch(
            "SELECT notice_version, withdrawn_at FROM consents WHERE tenant_id = $1"
            " AND purpose = 'notifications'",
            tenant.id,
        )
        assert state["notice_version"] == NOTICE_VERSION and state["withdrawn_at"] is not None
        log.check()
    finally:
        await screenshot(page, "consent-withdraw-end")
        await context.close()
