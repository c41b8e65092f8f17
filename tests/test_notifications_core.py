"""The notifications foundation (``jogo.tenants.notifications``): a person's channels,
one message per event and address, and the reporter told of public timeline events
(status changes, officers' public notes), never of internal ones or their own notes."""

from __future__ import annotations

import json
import uuid

import pytest
from helpers import NOTE, REJECT, TRANSFER, VERIFY, act, auth_header, onboard, submit

from jogo.platform import db
from jogo.platform.auth.roles import Role
from jogo.platform.errors import InvalidInput
from jogo.tenants.notifications import actions as notifications
from jogo.tenants.notifications.templates import TEMPLATES, render

PUSH = {"endpoint": "https://push.example.id/x", "keys": {"p256dh": "B" * 20, "auth": "a" * 16}}


def test_addresses_are_normalised_or_refused():
    assert notifications.normalise_address("SMS", "0812 3456 7890") == "+6281234567890"
    assert notifications.normalise_address("WHATSAPP", "+62 812-3456-7890") == "+6281234567890"
    assert notifications.normalise_address("EMAIL", "Warga@Example.ID") == "Warga@example.id"
    stored = json.loads(notifications.normalise_address("WEBPUSH", json.dumps(PUSH | {"x": 1})))
    assert stored == PUSH
    bad = [
        ("SMS", "12"),
        ("EMAIL", "x..id"),
        ("WEBPUSH", "{}"),
        ("WEBPUSH", json.dumps(PUSH | {"endpoint": "http://push.example.id/x"})),
        ("WEBPUSH", json.dumps(PUSH | {"endpoint": 5})),
        ("WEBPUSH", "[1]"),
    ]
    for channel, address in bad:
        with pytest.raises(InvalidInput) as refused:
            notifications.normalise_address(channel, address)
        assert refused.value.field == "address"
    with pytest.raises(InvalidInput):
        notifications.check_channel("PIGEON")
    with pytest.raises(InvalidInput):
        notifications.check_locale("fr")


def test_every_template_has_both_languages_and_renders():
    for name, (indonesian, english) in TEMPLATES.items():
        assert indonesian and english and indonesian != english, name
    text = render("report_status", {"ticket": "MLG-1", "status": "RESOLVED"}, "id")
    assert "Selesai" in text and "{url}" in text
    assert "Resolved" in render("report_status", {"status": "RESOLVED"}, "en")


async def _notes(owner, tenant_id, report_id):
    return await owner.fetch(
        "SELECT n.channel, n.address, n.template, n.params, n.event_id, o.actor"
        " FROM notifications n JOIN outbox o ON o.payload->>'notification_id' = n.id::text"
        " WHERE n.tenant_id = $1 AND n.report_id = $2 ORDER BY n.created_at",
        tenant_id,
        report_id,
    )


async def test_a_public_status_change_tells_the_anonymous_reporters_channel(
    app_client, settings, owner, two_tenants
):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    made = await submit(app_client, tenant.slug, None, anonymous=True)
    rid = uuid.UUID(made["report"]["id"])
    async with db.tenant_tx(tenant.id):
        first = await notifications.do_add_channel(
            tenant.id, channel="SMS", address="0812 3456 7890", report_id=rid
        )
        again = await notifications.do_add_channel(
            tenant.id, channel="SMS", address="+6281234567890", locale="en", report_id=rid
        )
    assert first == again
    await act(app_client, tenant.slug, NOTE, admin, id=str(rid), n="Catatan internal", p=False)
    assert await _notes(owner, tenant.id, rid) == []  # internal: nobody told
    await act(app_client, tenant.slug, VERIFY, admin, id=str(rid))
    await act(app_client, tenant.slug, NOTE, admin, id=str(rid), n="Petugas menuju lokasi", p=True)
    sent = await _notes(owner, tenant.id, rid)
    assert [(n["template"], n["address"], n["actor"]) for n in sent] == [
        ("report_status", "+6281234567890", "deliver_notification"),
        ("report_note", "+6281234567890", "deliver_notification"),
    ]
    assert json.loads(sent[0]["params"])["status"] == "VERIFIED"
    assert json.loads(sent[1]["params"])["note"] == "Petugas menuju lokasi"
    # The same event again (a retried job) is not sent twice.
    async with db.tenant_tx(tenant.id):
        twice = await notifications.do_send(
            tenant.id,
            channel="SMS",
            address="+6281234567890",
            template="report_status",
            params={},
            report_id=rid,
            event_id=sent[0]["event_id"],
        )
    assert twice is None
    # The other command sees neither the channel nor the notifications.
    async with db.tenant_tx(two_tenants.b.id):
        assert await db.fetch("SELECT 1 FROM notification_channels WHERE report_id = $1", rid) == []
        assert await db.fetch("SELECT 1 FROM notifications WHERE report_id = $1", rid) == []


async def test_a_signed_in_reporter_is_told_but_not_of_their_own_note(
    app_client, settings, owner, two_tenants
):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    made = await submit(app_client, tenant.slug, citizen)
    rid = uuid.UUID(made["report"]["id"])
    user_id = await owner.fetchval(
        "SELECT reporter_user_id FROM reports WHERE tenant_id = $1 AND id = $2", tenant.id, rid
    )
    async with db.tenant_tx(tenant.id):
        await notifications.do_add_channel(
            tenant.id, channel="EMAIL", address="warga@example.id", user_id=user_id
        )
    await act(
        app_client, tenant.slug, NOTE, citizen, id=str(rid), n="Masih terjadi, tolong", p=True
    )
    assert await _notes(owner, tenant.id, rid) == []
    await act(app_client, tenant.slug, REJECT, admin, id=str(rid), r="Bukan wewenang kepolisian")
    sent = await _notes(owner, tenant.id, rid)
    assert [(n["channel"], n["template"]) for n in sent] == [("EMAIL", "report_status")]
    # The same person's channel in another command is that command's only.
    async with db.tenant_tx(two_tenants.b.id):
        assert not await notifications.gateway_ready(two_tenants.b.id, "EMAIL")


async def test_a_transferred_report_keeps_its_channel_and_the_new_command_tells_the_reporter(
    app_client, settings, owner
):
    a = await onboard(region="35.73")
    b = await onboard(region="35.79")
    operator = await auth_header(settings, Role.OPERATOR, a)
    made = await submit(app_client, a.slug, None, anonymous=True)
    rid = uuid.UUID(made["report"]["id"])
    await owner.execute(
        "UPDATE reports SET channel = 'WHATSAPP' WHERE tenant_id = $1 AND id = $2", a.id, rid
    )
    async with db.tenant_tx(a.id):
        await notifications.do_add_channel(
            a.id, channel="WHATSAPP", address="081234567890", report_id=rid
        )
    moved = await act(
        app_client, a.slug, TRANSFER, operator, id=str(rid), to=b.slug, r="Lokasi di Kota Batu"
    )
    assert moved["errors"] == [], moved
    row = await owner.fetchrow("SELECT tenant_id, channel FROM reports WHERE id = $1", rid)
    assert (row["tenant_id"], row["channel"]) == (b.id, "WHATSAPP")
    kept = await owner.fetch(
        "SELECT tenant_id, address FROM notification_channels WHERE report_id = $1", rid
    )
    assert [(r["tenant_id"], r["address"]) for r in kept] == [(b.id, "+6281234567890")]
    sent = await _notes(owner, b.id, rid)
    assert [(n["template"], n["channel"]) for n in sent] == [("report_transferred", "WHATSAPP")]
    assert await _notes(owner, a.id, rid) == []
