"""Attacks on personal data under UU PDP (issue 21): data-subject requests, erasure,
legal holds, retention, the breach register and the records of processing. Two
commands throughout; every case here was a real problem once."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from helpers import (
    FULFIL_REQUEST,
    REQUEST_MY_DATA,
    SET_LEGAL_HOLD,
    VERIFY,
    auth_header,
    bearer_for,
    gql,
    make_user,
    png_bytes,
    submit,
    subscribe_webhook,
    text_columns_holding,
    upload_report,
)

from jogo.platform import db
from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.auth.roles import Role
from jogo.platform.registry import find_by_id
from jogo.platform.storage import FileStore
from jogo.tenants.privacy.retention import do_run_retention
from jogo.tenants.webhooks import delivery

URL = "http://127.0.0.1:9/hooks"  # never called: the body is built by leasing, not sent
ADD_CHANNEL = """mutation($i: AddNotificationChannelInput!) { addNotificationChannel(input: $i) {
  errors { code field message } } }"""


def path(tenant) -> str:
    return f"/t/{tenant.slug}/graphql"


async def citizen(settings, tenant) -> tuple[dict, uuid.UUID]:
    user_id, username = await make_user(Role.CITIZEN, tenant)
    return bearer_for(user_id, username, settings), user_id


async def erase(client, settings, tenant, headers) -> dict:
    _, asked = await gql(client, path(tenant), REQUEST_MY_DATA, headers, input={"right": "ERASURE"})
    request_id = asked["data"]["requestMyData"]["request"]["id"]
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    _, done = await gql(client, path(tenant), FULFIL_REQUEST, operator, id=request_id)
    assert "errors" not in done, done
    return done["data"]["fulfilDataSubjectRequest"]


async def test_erasure_scrubs_the_reporter_from_stored_webhook_bodies(
    app_client, owner, settings, two_tenants
):
    """The stored body is ``{type, timestamp, command, data: {report, reporter}}``: the
    reporter block sits under ``data``, and a replay re-sends the stored body as it is."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    made = await subscribe_webhook(
        app_client, a.slug, admin, URL, ["REPORT_SUBMITTED"], reporterIdentity=True
    )
    assert made["errors"] == [], made
    headers, _ = await citizen(settings, a)
    name = f"Wagiyem W{uuid.uuid4().hex[:8]}"
    phone = f"+62812{uuid.uuid4().int % 10**8:08d}"
    report = (await submit(app_client, a.slug, headers, reporterName=name, reporterPhone=phone))[
        "report"
    ]
    tenant = await find_by_id(a.id)
    assert tenant is not None
    deliveries = await owner.fetch(
        "SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND report_id = $2::uuid",
        a.id,
        report["id"],
    )
    assert deliveries
    for d in deliveries:
        async with db.tenant_tx(a.id):
            job = await delivery.lease(tenant, d["id"], 0)
        assert isinstance(job, delivery.Job)
        assert json.loads(job.body)["data"]["reporter"]["name"] == name
    assert "webhook_deliveries.payload" in await text_columns_holding(owner, [name])

    done = await erase(app_client, settings, a, headers)
    assert done["errors"] == [] and done["request"]["status"] == "DONE", done
    assert await text_columns_holding(owner, [name, phone[1:]]) == []
    stored = await owner.fetchval(
        "SELECT payload::text FROM webhook_deliveries WHERE id = $1", deliveries[0]["id"]
    )
    assert '"reporter"' not in stored and report["id"] in stored


async def test_erasure_stops_queued_notifications_to_the_erased_address(
    app_client, owner, settings, two_tenants
):
    """A notification still waiting to go loses its address: it must not then be sent
    to ``dihapus:<id>`` through the command's gateway."""
    a = two_tenants.a
    await owner.execute(
        "INSERT INTO notification_gateways (tenant_id, kind, config, enabled)"
        " VALUES ($1, 'EMAIL', '{\"host\": \"smtp.example.id\"}', true) ON CONFLICT DO NOTHING",
        a.id,
    )
    headers, _ = await citizen(settings, a)
    email = f"warga.{uuid.uuid4().hex[:8]}@contoh.id"
    _, added = await gql(
        app_client,
        path(a),
        ADD_CHANNEL,
        headers,
        i={"channel": "EMAIL", "address": email, "noticeVersion": NOTICE_VERSION},
    )
    assert added["data"]["addNotificationChannel"]["errors"] == [], added
    report = (await submit(app_client, a.slug, headers))["report"]
    operator = await auth_header(settings, Role.OPERATOR, a)
    _, verified = await gql(app_client, path(a), VERIFY, operator, id=report["id"])
    assert verified["data"]["verifyReport"]["errors"] == []
    queued = await owner.fetch(
        "SELECT id, status FROM notifications WHERE tenant_id = $1 AND address = $2", a.id, email
    )
    assert queued and all(q["status"] == "PENDING" for q in queued)

    done = await erase(app_client, settings, a, headers)
    assert done["errors"] == [], done
    after = await owner.fetch(
        "SELECT address, status FROM notifications WHERE id = ANY($1::uuid[])",
        [q["id"] for q in queued],
    )
    assert all(r["address"].startswith("dihapus:") for r in after)
    assert {r["status"] for r in after} == {"DEAD"}


class DyingStore(FileStore):
    """The attachments folder of a worker that is killed while it deletes the first file
    (the files are real; the kill is what a worker's time limit or SIGKILL does)."""

    async def delete(self, key: str) -> None:
        raise asyncio.CancelledError("worker killed while deleting photos")


async def test_retention_killed_while_deleting_photos_leaves_no_file_behind(
    app_client, owner, settings, two_tenants
):
    a = two_tenants.a
    headers, _ = await citizen(settings, a)
    name = f"Ponirah K{uuid.uuid4().hex[:8]}"
    made = await upload_report(
        app_client, a.slug, headers, [("foto.png", png_bytes(), "image/png")], reporterName=name
    )
    report_id = made["report"]["id"]
    await owner.execute(
        "UPDATE reports SET status = 'CLOSED', closed_at = now() - interval '3 years'"
        " WHERE id = $1::uuid",
        report_id,
    )
    keys = [
        r["storage_key"]
        for r in await owner.fetch(
            "SELECT storage_key FROM report_attachments WHERE report_id = $1::uuid", report_id
        )
    ]
    root = Path(settings.data_dir) / "attachments"
    assert keys and all((root / k).exists() for k in keys)
    with pytest.raises(asyncio.CancelledError):
        await do_run_retention(a.id, DyingStore(root))
    # The rerun finds the work undone (nothing was committed) and completes it.
    again = await do_run_retention(a.id, FileStore(root))
    assert again["photo_reports"] == 1 and again["identities"] == 1
    assert not any((root / k).exists() for k in keys)
    assert await text_columns_holding(owner, [name]) == []
    third = await do_run_retention(a.id, FileStore(root))
    assert (third["identities"], third["photo_reports"], third["notifications"]) == (0, 0, 0)


async def test_parallel_retention_runs_remove_each_thing_once(
    app_client, owner, settings, two_tenants
):
    a = two_tenants.a
    headers, _ = await citizen(settings, a)
    root = Path(settings.data_dir) / "attachments"
    names = [f"Sarinah R{uuid.uuid4().hex[:8]}" for _ in range(3)]
    for name in names:
        made = await upload_report(
            app_client,
            a.slug,
            headers,
            [("foto.png", png_bytes(), "image/png")],
            reporterName=name,
        )
        await owner.execute(
            "UPDATE reports SET status = 'CLOSED', closed_at = now() - interval '3 years'"
            " WHERE id = $1::uuid",
            made["report"]["id"],
        )
    runs = await asyncio.gather(*(do_run_retention(a.id, FileStore(root)) for _ in range(4)))
    assert sum(r["identities"] for r in runs) == 3
    assert sum(r["photo_reports"] for r in runs) == 3
    assert await text_columns_holding(owner, names) == []


async def test_parallel_erasure_and_legal_hold_the_hold_wins_or_the_erasure_is_whole(
    app_client, owner, settings, two_tenants
):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    for _ in range(4):
        headers, _ = await citizen(settings, a)
        name = f"Tukinem L{uuid.uuid4().hex[:8]}"
        report = (await submit(app_client, a.slug, headers, reporterName=name))["report"]
        _, asked = await gql(
            app_client, path(a), REQUEST_MY_DATA, headers, input={"right": "ERASURE"}
        )
        request_id = asked["data"]["requestMyData"]["request"]["id"]
        (_, done), (_, held) = await asyncio.gather(
            gql(app_client, path(a), FULFIL_REQUEST, operator, id=request_id),
            gql(
                app_client,
                path(a),
                SET_LEGAL_HOLD,
                operator,
                r=report["id"],
                why="Penyidikan LP/B/77/2026",
            ),
        )
        assert "errors" not in done and "errors" not in held, (done, held)
        assert held["data"]["setLegalHold"]["held"] is True
        note = done["data"]["fulfilDataSubjectRequest"]["request"]["log"][-1]["note"]
        row = await owner.fetchrow(
            "SELECT reporter_name, identity_erased_at, legal_hold_at FROM reports"
            " WHERE id = $1::uuid",
            report["id"],
        )
        assert row["legal_hold_at"] is not None
        if row["identity_erased_at"] is None:
            # The hold won: the report keeps its reporter, and the log says why.
            assert row["reporter_name"] == name and report["ticket"] in note, note
        else:
            assert await text_columns_holding(owner, [name]) == []


async def test_erasure_at_one_command_leaves_the_person_their_account_at_the_other(
    app_client, owner, settings, two_tenants
):
    """Each command is its own controller: erasing at A removes A's data and A's
    membership, and the person keeps their account at B, where they can still sign in and
    ask for erasure in turn, which then closes the account."""
    a, b = two_tenants.a, two_tenants.b
    headers, user_id = await citizen(settings, a)
    phone = "+62812" + str(uuid.uuid4().int)[:7]
    await owner.execute(
        "UPDATE users SET phone = $2, full_name = 'Siti Dua Komando' WHERE id = $1", user_id, phone
    )
    await owner.execute(
        "INSERT INTO memberships (user_id, tenant, role) VALUES ($1, $2, 'citizen')", user_id, b.id
    )
    at_a = (await submit(app_client, a.slug, headers, anonymous=False))["report"]
    at_b = (await submit(app_client, b.slug, headers, anonymous=False))["report"]

    await erase(app_client, settings, a, headers)
    account = await owner.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
    assert account["phone"] == phone and account["full_name"] == "Siti Dua Komando"
    assert account["is_active"]
    tenants = {
        r["tenant"]
        for r in await owner.fetch("SELECT tenant FROM memberships WHERE user_id = $1", user_id)
    }
    assert tenants == {b.id}
    erased = await owner.fetchrow("SELECT * FROM reports WHERE id = $1", uuid.UUID(at_a["id"]))
    assert erased["reporter_user_id"] is None and erased["identity_erased_at"] is not None
    kept = await owner.fetchrow("SELECT * FROM reports WHERE id = $1", uuid.UUID(at_b["id"]))
    assert kept["reporter_user_id"] == user_id and kept["identity_erased_at"] is None

    # Still theirs at B: signed in, and able to ask for erasure there too.
    _, me = await gql(app_client, path(b), "{ me { name roles } }", headers)
    assert me["data"]["me"]["roles"] == ["citizen"], me
    await erase(app_client, settings, b, headers)
    closed = await owner.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
    assert closed["phone"] is None and closed["full_name"] is None and not closed["is_active"]
    assert closed["username"].startswith("dihapus-")
    _, gone = await gql(app_client, path(b), "{ me { name roles } }", headers)
    assert "citizen" not in ((gone.get("data") or {}).get("me") or {}).get("roles", []), gone
