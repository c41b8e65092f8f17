"""Agency integrations on real RabbitMQ: outbox → relay → Dramatiq → a real local HTTP
server playing the agency; signed callbacks; retries, DEAD and retryDispatch."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from helpers import (
    AGENCY_DISPATCH,
    CALLBACK_URL,
    CREATE_AGENCY,
    DISPATCHES,
    FINISHED,
    SECRET,
    VERIFY,
    act,
    auth_header,
    dispatched_report,
    eventually,
    gql,
    make_agency,
    onboard,
    relay_running,
    sign,
    submit,
    wait_status,
)

from jogo.platform.auth.roles import Role
from jogo.tenants.agencies import delivery as dispatch_module


async def test_secrets_are_encrypted_and_never_returned(app_client, settings, owner, sink):
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency_id = await make_agency(app_client, tenant.slug, admin, sink.url)
    row = await owner.fetchrow("SELECT secret_enc FROM agencies WHERE id = $1::uuid", agency_id)
    assert row["secret_enc"] and SECRET not in row["secret_enc"]
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", "{ agencies { code hasSecret } }", admin
    )
    assert SECRET not in json.dumps(body) and body["data"]["agencies"] == [
        {"code": "DISHUB-HOOK", "hasSecret": True}
    ]
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    _, denied = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        CREATE_AGENCY,
        operator,
        input={"code": "X1", "name": "Agency X", "kind": "dinas"},
    )
    assert denied["data"]["createAgency"]["errors"][0]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"code": "a b", "name": "x", "kind": "mall"}, {"code", "name", "kind"}),
        ({"connector": "webhook"}, {"endpointUrl", "secret"}),
        (
            {"connector": "webhook", "endpointUrl": "ftp://x", "secret": "short"},
            {"endpointUrl", "secret"},
        ),
        ({"connector": "carrier-pigeon"}, {"connector"}),
        ({"timeoutSeconds": 0}, {"timeoutSeconds"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"latitude": -7.9}, {"latitude"}),
        ({"contacts": [{"name": " "}]}, {"contacts"}),
        ({"serviceCodes": ["not", "a", "map"]}, {"serviceCodes"}),
    ],
)
async def test_create_agency_bad_input(app_client, settings, two_tenants, data, fields):
    admin = await auth_header(settings, Role.TENANT_ADMIN, two_tenants.a)
    base = {"code": "OK-CODE", "name": "Agency OK", "kind": "dinas"}
    _, body = await gql(
        app_client, f"/t/{two_tenants.a.slug}/graphql", CREATE_AGENCY, admin, input=base | data
    )
    errors = body["data"]["createAgency"]["errors"]
    assert {e["field"] for e in errors} == fields, errors


async def test_delivery_survives_an_agency_that_is_down(
    app_client, settings, owner, sink, worker, relay, monkeypatch
):
    """Down for the first 3 attempts: delivered once in effect, one Idempotency-Key."""
    monkeypatch.setattr(dispatch_module, "BACKOFF_BASE_SECONDS", 0.05)
    sink.fail_first = 3
    tenant = await onboard("jogo-malang-presisi")
    admin, rid, _ = await dispatched_report(app_client, settings, tenant, url=sink.url)
    rows = await wait_status(owner, rid, "DELIVERED")
    assert rows[0]["attempts"] == 4
    assert len(sink.received) == 4
    keys = {r.headers["idempotency-key"] for r in sink.received}
    assert len(keys) == 1 and len(sink.effective()) == 1
    for request in sink.received:
        assert request.headers["x-jogo-signature"] == sign(request.body)
        payload = request.json()
        assert payload["report"]["title"] == "Pohon tumbang di Jalan Ijen"
        assert payload["command"] == tenant.slug and "reporter" not in json.dumps(payload)
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", DISPATCHES, admin, r=rid)
    [dispatch] = body["data"]["dispatches"]
    assert dispatch["status"] == "DELIVERED" and dispatch["lastError"] is None
    assert dispatch["idempotencyKey"] == keys.pop()


async def test_the_delivered_report_carries_no_reporter_identity(
    app_client, settings, owner, sink, worker, relay
):
    """The webhook body masks the reporter's own name and phone (written any way) and any
    other phone or e-mail in the title and description, as a liaison reads them; the
    address is sent as written, the place the agency goes to."""
    tenant = await onboard("jogo-malang-presisi")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    agency_id = await make_agency(app_client, tenant.slug, admin, sink.url)
    made = await submit(
        app_client,
        tenant.slug,
        citizen,
        title="Budi Santoso: pohon tumbang",
        description="Saya BUDI SANTOSO, telepon +62 812-3456-7890, surel budi@contoh.id."
        " Pohon tumbang menutup jalan.",
        reporterName="Budi Santoso",
        reporterPhone="0812 3456 7890",
        address="Jl. Ijen 5, Klojen",
    )
    rid = made["report"]["id"]
    await act(app_client, tenant.slug, VERIFY, admin, id=rid)
    done = await act(app_client, tenant.slug, AGENCY_DISPATCH, admin, r=rid, a=agency_id)
    assert done["errors"] == [], done
    await wait_status(owner, rid, "DELIVERED")
    [payload] = [r.json() for r in sink.effective().values()]
    report = payload["report"]
    assert report["title"] == "[nama]: pohon tumbang"
    assert report["description"] == (
        "Saya [nama], telepon [telepon], surel [email]. Pohon tumbang menutup jalan."
    )
    assert report["address"] == "Jl. Ijen 5, Klojen"
    text = json.dumps(payload)
    # The phone's digits however grouped (not a bare "812", which a UUID or a timestamp
    # may hold by chance).
    digits = ("81234567890", "812-3456", "812 3456", "3456-7890", "3456 7890")
    assert [w for w in ("Budi", "BUDI", "Santoso", "SANTOSO", "budi@", *digits) if w in text] == []


async def cap_attempts(owner, tenant, report_id: str, cap: int) -> None:
    """Lower the cap on this test's own dispatch row, before the relay publishes its
    first attempt (the shared column default stays as migrated)."""
    done = await owner.execute(
        "UPDATE dispatches SET max_attempts = $3"
        " WHERE tenant_id = $1 AND report_id = $2::uuid AND attempts = 0",
        tenant.id,
        report_id,
        cap,
    )
    assert done == "UPDATE 1", done


async def test_dead_after_the_cap_then_retry(
    app_client, settings, owner, sink, worker, broker, monkeypatch
):
    monkeypatch.setattr(dispatch_module, "BACKOFF_BASE_SECONDS", 0.05)
    sink.always_fail = True
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency_id = await make_agency(app_client, tenant.slug, admin, sink.url)
    # No relay yet: the first attempt waits in the outbox while the cap is set.
    _, rid, _ = await dispatched_report(app_client, settings, tenant, agency_id=agency_id)
    await cap_attempts(owner, tenant, rid, 3)
    async with relay_running(broker):
        await wait_status(owner, rid, "DEAD")
        _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", DISPATCHES, admin, r=rid)
        [dead] = body["data"]["dispatches"]
        assert (
            dead["attempts"] == 3
            and "HTTP 503" in dead["lastError"]
            and dead["nextAttemptAt"] is None
        )
        _, timeline = await gql(
            app_client,
            f"/t/{tenant.slug}/graphql",
            "query($id: ID!) { report(id: $id) { timeline { kind note public } } }",
            admin,
            id=rid,
        )
        assert any(
            e["kind"] == "DISPATCH" and "gagal" in (e["note"] or "") and not e["public"]
            for e in timeline["data"]["report"]["timeline"]
        )
        sink.always_fail = False
        retry = """mutation($d: ID!) { retryDispatch(dispatchId: $d) { dispatch { status attempts }
          errors { code field message } } }"""
        _, again = await gql(app_client, f"/t/{tenant.slug}/graphql", retry, admin, d=dead["id"])
        assert again["data"]["retryDispatch"]["dispatch"] == {"status": "PENDING", "attempts": 0}
        await wait_status(owner, rid, "DELIVERED")
        assert len({r.headers["idempotency-key"] for r in sink.received}) == 1
        _, twice = await gql(app_client, f"/t/{tenant.slug}/graphql", retry, admin, d=dead["id"])
        assert [(e["code"], e["field"]) for e in twice["data"]["retryDispatch"]["errors"]] == [
            ("INVALID_INPUT", "dispatchId")
        ]
    status = await owner.fetchval(
        "SELECT status FROM dispatches WHERE tenant_id = $1 AND id = $2::uuid",
        tenant.id,
        dead["id"],
    )
    assert status == "DELIVERED"


async def test_two_tenants_dispatches_never_cross(app_client, settings, owner, worker, relay):
    from agency_sink import AgencySink

    sinks = [AgencySink().start(), AgencySink().start()]
    try:
        tenants = [
            await onboard("minimal", modules=["integrations"]),
            await onboard("minimal", modules=["integrations"], polda="JATENG", region="33.74"),
        ]
        reports = []
        for tenant, sink in zip(tenants, sinks, strict=True):
            for _ in range(3):
                reports.append(
                    (
                        tenant,
                        (
                            await dispatched_report(
                                app_client,
                                settings,
                                tenant,
                                url=sink.url,
                                code=f"HOOK-{len(reports)}",
                            )
                        )[1],
                    )
                )
        for _, rid in reports:
            await wait_status(owner, rid, "DELIVERED")
        for tenant, sink in zip(tenants, sinks, strict=True):
            assert {r.json()["command"] for r in sink.received} == {tenant.slug}
            assert len(sink.effective()) == 3
        # A message that names tenant A but carries B's dispatch finds nothing: RLS.
        from jogo.platform import db, outbox

        b_dispatch = await owner.fetchval(
            "SELECT id FROM dispatches WHERE tenant_id = $1 LIMIT 1", tenants[1].id
        )
        await owner.execute(
            "UPDATE dispatches SET status = 'PENDING', attempts = 0 WHERE id = $1", b_dispatch
        )
        before = len(sinks[1].received)
        finished = FINISHED.count("deliver_dispatch", tenants[0].id)
        async with db.control_tx():
            await outbox.enqueue(
                "deliver_dispatch", {"dispatch_id": str(b_dispatch), "attempt": 0}, tenants[0].id
            )
        await eventually(
            lambda: FINISHED.count("deliver_dispatch", tenants[0].id) > finished,
            "the worker to finish the crossed message",
        )
        assert len(sinks[1].received) == before and len(sinks[0].received) == 3
        assert (
            await owner.fetchval("SELECT status FROM dispatches WHERE id = $1", b_dispatch)
            == "PENDING"
        )
    finally:
        for s in sinks:
            s.stop()


async def test_open311_connector_maps_the_service_code(
    app_client, settings, owner, sink, worker, relay
):
    tenant = await onboard("minimal", modules=["integrations"])
    _, rid, _ = await dispatched_report(
        app_client,
        settings,
        tenant,
        url=sink.url + "/georeport/v2",
        connector="open311",
        code="PLN-311",
        serviceCodes={"FALLEN_TREE": "tree-down"},
    )
    await wait_status(owner, rid, "DELIVERED")
    [request] = sink.received
    assert request.path == "/georeport/v2/requests.json"
    form = dict(pair.split("=", 1) for pair in request.body.decode().split("&"))
    assert form["service_code"] == "tree-down" and form["api_key"] == SECRET
    assert (
        await owner.fetchval("SELECT external_ref FROM dispatches WHERE report_id = $1::uuid", rid)
        == "SR-1001"
    )


async def test_auto_dispatch_on_verify_by_routing_rule(
    app_client, settings, owner, sink, worker, relay
):
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency_id = await make_agency(app_client, tenant.slug, admin, sink.url)
    rule = """mutation($a: ID!) { setRoutingRule(categoryCode: "FALLEN_TREE", agencyId: $a,
      autoDispatch: true) { ruleId errors { code field } } }"""
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", rule, admin, a=agency_id)
    assert body["data"]["setRoutingRule"]["errors"] == []
    rid = (await submit(app_client, tenant.slug, admin))["report"]["id"]
    other = (await submit(app_client, tenant.slug, admin, categoryCode="CRIME"))["report"]["id"]
    verified = await act(app_client, tenant.slug, VERIFY, admin, id=rid)
    assert verified["report"]["status"] == "DISPATCHED"
    assert (await act(app_client, tenant.slug, VERIFY, admin, id=other))["report"][
        "status"
    ] == "VERIFIED"
    await wait_status(owner, rid, "DELIVERED")


async def test_signed_callbacks_move_the_report(app_client, settings, owner, sink):
    tenant = await onboard("minimal", modules=["integrations"])
    _admin, rid, agency_id = await dispatched_report(app_client, settings, tenant, url=sink.url)
    dispatch_id = await owner.fetchval("SELECT id FROM dispatches WHERE report_id = $1::uuid", rid)
    url = CALLBACK_URL.format(slug=tenant.slug, agency=agency_id)

    async def call(payload, signature=None):
        body = json.dumps(payload).encode()
        headers = {"content-type": "application/json"}
        if signature is not False:
            headers["x-jogo-signature"] = signature or sign(body)
        return await app_client.post(url, content=body, headers=headers)

    before = await owner.fetchrow("SELECT status, updated_at FROM reports WHERE id = $1::uuid", rid)
    bad = await call(
        {"dispatch_id": str(dispatch_id), "status": "resolved", "note": "x"}, "sha256=00"
    )
    missing = await call(
        {"dispatch_id": str(dispatch_id), "status": "resolved", "note": "x"}, False
    )
    forged = await call(
        {"dispatch_id": str(dispatch_id), "status": "resolved", "note": "x"},
        sign(b"other", "wrong-secret-wrong-secret"),
    )
    assert bad.status_code == missing.status_code == forged.status_code == 401
    assert (
        await owner.fetchrow("SELECT status, updated_at FROM reports WHERE id = $1::uuid", rid)
        == before
    )
    accepted = await call({"dispatch_id": str(dispatch_id), "status": "accepted"})
    assert accepted.json() == {"status": "applied"}
    progress = {
        "idempotency_key": str(
            await owner.fetchval(
                "SELECT idempotency_key FROM dispatches WHERE id = $1", dispatch_id
            )
        ),
        "status": "in_progress",
    }
    assert (await call(progress)).json() == {"status": "applied"}
    assert (
        await owner.fetchval("SELECT status FROM reports WHERE id = $1::uuid", rid) == "IN_PROGRESS"
    )
    done = {"dispatch_id": str(dispatch_id), "status": "resolved", "note": "Pohon sudah diangkat"}
    assert (await call(done)).json() == {"status": "applied"}
    after = await owner.fetchrow(
        "SELECT status, updated_at, autoclose_at FROM reports WHERE id = $1::uuid", rid
    )
    assert after["status"] == "RESOLVED" and after["autoclose_at"] is not None
    events = await owner.fetchval(
        "SELECT count(*) FROM report_events WHERE report_id = $1::uuid", rid
    )
    replay = await call(done)
    assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
    assert (
        await owner.fetchval("SELECT count(*) FROM report_events WHERE report_id = $1::uuid", rid)
        == events
    )
    assert (
        await owner.fetchrow(
            "SELECT status, updated_at, autoclose_at FROM reports WHERE id = $1::uuid", rid
        )
    ) == after
    assert (await call({"dispatch_id": str(dispatch_id), "status": "exploded"})).status_code == 400
    assert (await call({"status": "accepted"})).status_code == 400
    other = await onboard("minimal", modules=["integrations"])
    wrong_tenant = CALLBACK_URL.format(slug=other.slug, agency=agency_id)
    body = json.dumps({"dispatch_id": str(dispatch_id), "status": "accepted", "n": 2}).encode()
    r = await app_client.post(wrong_tenant, content=body, headers={"x-jogo-signature": sign(body)})
    assert r.status_code == 404


async def test_manual_agency_liaison_updates_the_dispatch(app_client, settings, owner, two_tenants):
    from helpers import bearer_for, make_user

    tenant = two_tenants.a
    slug = tenant.slug
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    _, agencies = await gql(
        app_client, f"/t/{slug}/graphql", '{ agencies(kind: "dinas") { id } }', admin
    )
    manual, other_manual = (
        agencies["data"]["agencies"][0]["id"],
        agencies["data"]["agencies"][1]["id"],
    )
    _, rid, _ = await dispatched_report(app_client, settings, tenant, agency_id=manual)
    _, body = await gql(app_client, f"/t/{slug}/graphql", DISPATCHES, admin, r=rid)
    [dispatch] = body["data"]["dispatches"]
    assert dispatch["status"] == "AWAITING_LIAISON"
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE payload->>'dispatch_id' = $1", dispatch["id"]
        )
        == 0
    )
    liaison_id, liaison_name = await make_user(Role.AGENCY_LIAISON, tenant)
    liaison = bearer_for(liaison_id, liaison_name, settings)
    update = """mutation($d: ID!, $s: String!, $n: String) { updateDispatchStatus(dispatchId: $d,
      status: $s, note: $n) { dispatch { status } errors { code field } } }"""
    # Not yet speaking for this agency: the dispatch does not exist for them.
    _, unbound = await gql(
        app_client, f"/t/{slug}/graphql", update, liaison, d=dispatch["id"], s="accepted", n=None
    )
    assert unbound["data"]["updateDispatchStatus"]["errors"][0]["code"] == "NOT_FOUND"
    _, listed = await gql(app_client, f"/t/{slug}/graphql", DISPATCHES, liaison, r=rid)
    assert listed["data"]["dispatches"] == []
    bind = """mutation($a: ID!, $u: ID!) { addAgencyLiaison(agencyId: $a, userId: $u) { agency { id }
      errors { code field } } }"""
    _, bound = await gql(
        app_client, f"/t/{slug}/graphql", bind, admin, a=other_manual, u=str(liaison_id)
    )
    assert bound["data"]["addAgencyLiaison"]["errors"] == []
    _, still = await gql(
        app_client, f"/t/{slug}/graphql", update, liaison, d=dispatch["id"], s="accepted", n=None
    )
    assert (
        still["data"]["updateDispatchStatus"]["errors"][0]["code"] == "NOT_FOUND"
    )  # another agency
    await gql(app_client, f"/t/{slug}/graphql", bind, admin, a=manual, u=str(liaison_id))
    _, no_note = await gql(
        app_client, f"/t/{slug}/graphql", update, liaison, d=dispatch["id"], s="resolved", n=None
    )
    assert no_note["data"]["updateDispatchStatus"]["errors"] == [
        {"code": "INVALID_INPUT", "field": "note"}
    ]
    _, ok = await gql(
        app_client, f"/t/{slug}/graphql", update, liaison, d=dispatch["id"], s="in_progress", n=None
    )
    assert ok["data"]["updateDispatchStatus"]["dispatch"] == {"status": "IN_PROGRESS"}
    _, back = await gql(
        app_client, f"/t/{slug}/graphql", update, liaison, d=dispatch["id"], s="accepted", n=None
    )
    # Never backwards: refused, and the dispatch stays where it was.
    assert [(e["code"], e["field"]) for e in back["data"]["updateDispatchStatus"]["errors"]] == [
        ("INVALID_INPUT", "status")
    ]
    assert (
        await owner.fetchval(
            "SELECT status FROM dispatches WHERE tenant_id = $1 AND id = $2::uuid",
            tenant.id,
            dispatch["id"],
        )
        == "IN_PROGRESS"
    )
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    _, denied = await gql(
        app_client, f"/t/{slug}/graphql", update, citizen, d=dispatch["id"], s="accepted", n=None
    )
    assert denied["data"]["updateDispatchStatus"]["errors"][0]["code"] == "FORBIDDEN"
    officer_id = (await make_user(Role.OFFICER, tenant))[0]
    _, not_liaison = await gql(
        app_client, f"/t/{slug}/graphql", bind, admin, a=manual, u=str(officer_id)
    )
    assert [(e["code"], e["field"]) for e in not_liaison["data"]["addAgencyLiaison"]["errors"]] == [
        ("INVALID_INPUT", "userId")
    ]
    bound = await owner.fetchval(
        "SELECT count(*) FROM agency_liaisons WHERE tenant_id = $1 AND user_id = $2",
        tenant.id,
        officer_id,
    )
    assert bound == 0
    other = await auth_header(settings, Role.AGENCY_LIAISON, two_tenants.b)
    _, hidden = await gql(
        app_client,
        f"/t/{two_tenants.b.slug}/graphql",
        update,
        other,
        d=dispatch["id"],
        s="accepted",
        n=None,
    )
    assert hidden["data"]["updateDispatchStatus"]["errors"][0]["code"] == "NOT_FOUND"


async def test_connected_dispatches_are_not_updated_by_hand(app_client, settings, owner, sink):
    tenant = await onboard("minimal", modules=["integrations"])
    admin, rid, _ = await dispatched_report(app_client, settings, tenant, url=sink.url)
    dispatch_id = await owner.fetchval("SELECT id FROM dispatches WHERE report_id = $1::uuid", rid)
    update = """mutation($d: ID!) { updateDispatchStatus(dispatchId: $d, status: "resolved", note: "x")
      { errors { code field message } } }"""
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", update, admin, d=str(dispatch_id))
    assert [(e["code"], e["field"]) for e in body["data"]["updateDispatchStatus"]["errors"]] == [
        ("INVALID_INPUT", "dispatchId")
    ]
    assert (
        await owner.fetchval("SELECT status FROM dispatches WHERE id = $1", dispatch_id)
        == "PENDING"
    )


async def test_a_report_goes_to_an_agency_once(app_client, settings, owner, sink):
    tenant = await onboard("minimal", modules=["integrations"])
    admin, rid, agency_id = await dispatched_report(app_client, settings, tenant, url=sink.url)
    again = await act(app_client, tenant.slug, AGENCY_DISPATCH, admin, r=rid, a=agency_id)
    assert again["errors"] == [
        {
            "code": "CONFLICT",
            "field": "agencyId",
            "message": "the report has already been sent to Dinas Perhubungan (webhook)",
        }
    ]
    assert (
        await owner.fetchval("SELECT count(*) FROM dispatches WHERE report_id = $1::uuid", rid) == 1
    )


async def test_an_unreadable_secret_counts_attempts_and_ends_dead(
    app_client, settings, owner, sink, worker, broker, monkeypatch
):
    """Our own failure (here: a secret no longer readable) never leaves a dispatch stuck."""
    monkeypatch.setattr(dispatch_module, "BACKOFF_BASE_SECONDS", 0.05)
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency_id = await make_agency(app_client, tenant.slug, admin, sink.url)
    await owner.execute(
        "UPDATE agencies SET secret_enc = 'not-a-fernet-token' WHERE id = $1::uuid", agency_id
    )
    # No relay yet: the first attempt waits in the outbox while the cap is set.
    _, rid, _ = await dispatched_report(app_client, settings, tenant, agency_id=agency_id)
    await cap_attempts(owner, tenant, rid, 2)
    async with relay_running(broker):
        rows = await wait_status(owner, rid, "DEAD")
    assert rows[0]["attempts"] == 2 and sink.received == []
    error = await owner.fetchval(
        "SELECT last_error FROM dispatches WHERE report_id = $1::uuid", rid
    )
    assert error == "internal error (SecretUnreadable)"


async def test_a_lost_message_is_sent_again(app_client, settings, owner, sink, worker, broker):
    from jogo.tenants.agencies.delivery import do_requeue_stalled
    from jogo.workers.relay import Relay

    tenant = await onboard("minimal", modules=["integrations"])
    _, rid, _ = await dispatched_report(app_client, settings, tenant, url=sink.url)
    # Lose the message before any relay saw it, as if an in-process broker had restarted.
    await owner.execute(
        "DELETE FROM outbox WHERE payload->>'dispatch_id' IN"
        " (SELECT id::text FROM dispatches WHERE report_id = $1::uuid)",
        rid,
    )
    assert await do_requeue_stalled(tenant) == 0  # not stalled yet: just written
    await owner.execute(
        "UPDATE dispatches SET updated_at = now() - interval '11 minutes'"
        " WHERE report_id = $1::uuid",
        rid,
    )
    assert await do_requeue_stalled(tenant) == 1
    assert await do_requeue_stalled(tenant) == 0  # its message is waiting: not twice
    runner = Relay(broker)
    task = asyncio.create_task(runner.run_forever())
    try:
        await wait_status(owner, rid, "DELIVERED")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        runner.close()
    assert len(sink.effective()) == 1


async def test_out_of_order_callbacks_are_ignored(app_client, settings, owner, sink):
    tenant = await onboard("minimal", modules=["integrations"])
    _, rid, agency_id = await dispatched_report(app_client, settings, tenant, url=sink.url)
    dispatch_id = str(
        await owner.fetchval("SELECT id FROM dispatches WHERE report_id = $1::uuid", rid)
    )
    url = CALLBACK_URL.format(slug=tenant.slug, agency=agency_id)

    async def call(payload):
        body = json.dumps(payload).encode()
        return (
            await app_client.post(url, content=body, headers={"x-jogo-signature": sign(body)})
        ).json()

    assert await call({"dispatch_id": dispatch_id, "status": "resolved", "note": "selesai"}) == {
        "status": "applied"
    }
    assert await call({"dispatch_id": dispatch_id, "status": "accepted"}) == {"status": "ignored"}
    assert (
        await owner.fetchval("SELECT status FROM dispatches WHERE id = $1::uuid", dispatch_id)
        == "RESOLVED"
    )


async def test_private_destinations_are_refused_in_production():
    from jogo.platform.egress import DestinationRefused, resolve_checked
    from jogo.platform.settings import load_settings

    assert (
        load_settings({"JOGO_ENV": "production", "JOGO_SECRET_KEY": "k" * 40}).allow_private_egress
        is False
    )
    assert load_settings({}).allow_private_egress is True
    for host in ("127.0.0.1", "10.0.0.5", "::1", "169.254.169.254"):
        with pytest.raises(DestinationRefused):
            await resolve_checked(host, 80, allow_private=False)
    assert [str(a) for a in await resolve_checked("127.0.0.1", 8080, allow_private=True)] == [
        "127.0.0.1"
    ]


async def test_one_trace_from_request_to_agency(
    app_client, settings, owner, sink, worker, relay, span_exporter
):
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency_id = await make_agency(app_client, tenant.slug, admin, sink.url)
    rid = (await submit(app_client, tenant.slug, admin))["report"]["id"]
    await act(app_client, tenant.slug, VERIFY, admin, id=rid)
    span_exporter.clear()
    done = await act(app_client, tenant.slug, AGENCY_DISPATCH, admin, r=rid, a=agency_id)
    assert done["errors"] == []
    await wait_status(owner, rid, "DELIVERED")

    # Other tests' dispatches may be relayed meanwhile (random order): only this
    # tenant's spans count.
    def ours(s) -> bool:
        return s.attributes is not None and s.attributes.get("jogo.tenant") == tenant.slug

    await eventually(  # the consumer span ends after the status commit
        lambda: any(
            s.name == "deliver_dispatch" and ours(s) for s in span_exporter.get_finished_spans()
        ),
        "the consumer span to end",
    )
    spans = span_exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}
    publish = next(
        s for s in spans if s.name.startswith("outbox publish deliver_dispatch") and ours(s)
    )
    consumer = next(s for s in spans if s.name == "deliver_dispatch" and ours(s))
    trace_id = publish.context.trace_id
    server = next(
        s
        for s in spans
        if s.kind.name == "SERVER"
        and s.context.trace_id == trace_id
        and s.attributes.get("http.route", s.attributes.get("url.path", ""))
        and "graphql" in s.name
    )
    client = next(
        s
        for s in spans
        if s.kind.name == "CLIENT"
        and s.attributes.get("http.request.method", s.attributes.get("http.method")) == "POST"
        and s.context.trace_id == trace_id
    )
    for span in (publish, consumer, client):
        assert span.context.trace_id == trace_id, span.name
        assert span.attributes.get("jogo.tenant") == tenant.slug, span.name

    def ancestors(span):
        chain = []
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            chain.append(span)
        return chain

    assert consumer.parent.span_id == publish.context.span_id
    assert consumer in ancestors(client)
    assert server in ancestors(publish)
    # The agency received the same trace in its traceparent header.
    assert sink.received[0].headers["traceparent"].split("-")[1] == format(trace_id, "032x")


def _worker_process(database: str):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from helpers import AMQP_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(JOGO_DATABASE_URL=database, JOGO_AMQP_URL=AMQP_URL, JOGO_ENV="test")
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "jogo"), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_worker_killed_mid_delivery_still_delivers(
    app_client, settings, owner, sink, relay, database
):
    """SIGKILL while the agency is answering: RabbitMQ redelivers, the report arrives."""
    import signal

    sink.delay_first = 4.0
    tenant = await onboard("minimal", modules=["integrations"])
    first = _worker_process(database)
    try:
        _, rid, _ = await dispatched_report(
            app_client, settings, tenant, url=sink.url, timeoutSeconds=5
        )
        await asyncio.to_thread(sink.wait_for, 1, 30.0)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        # The dead worker's lease stands until it runs out; then the attempt is made again.
        leased = await owner.fetchrow(
            "SELECT status, lease_until > now() AS live FROM dispatches WHERE report_id = $1::uuid",
            rid,
        )
        assert leased["status"] == "DELIVERING" and leased["live"]
        second = _worker_process(database)
        try:
            rows = await wait_status(owner, rid, "DELIVERED", wait=40.0)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
    assert rows[0]["attempts"] == 1  # the killed attempt rolled back with its connection
    assert len(sink.received) >= 2
    assert len({r.headers["idempotency-key"] for r in sink.received}) == 1
    assert len(sink.effective()) == 1


async def test_broker_connections_dropping_lose_and_duplicate_nothing(
    app_client, settings, owner, sink, worker, broker
):
    """Connections are closed by RabbitMQ while the relay publishes a stream of rows."""
    import subprocess

    from jogo.workers.relay import Relay

    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency_id = await make_agency(app_client, tenant.slug, admin, sink.url)
    reports = [
        (await dispatched_report(app_client, settings, tenant, agency_id=agency_id))[1]
        for _ in range(60)
    ]
    # Spread the messages over four seconds, so the drops land in mid-stream.
    await owner.execute(
        "UPDATE outbox SET available_at = now() + random() * interval '4 seconds'"
        " WHERE tenant = $1 AND published_at IS NULL",
        tenant.id,
    )
    runner = Relay(broker, batch=5)
    task = asyncio.create_task(runner.run_forever())
    try:
        for _ in range(3):
            await asyncio.sleep(1.0)
            await asyncio.to_thread(
                subprocess.run,
                ["rabbitmqctl", "close_all_connections", "test drop"],
                capture_output=True,
                check=True,
            )
        for rid in reports:
            await wait_status(owner, rid, "DELIVERED", wait=60.0)
        # The last deliveries wrote outbox rows of their own (rollup events): the relay
        # must publish those too before it stops.
        for _ in range(300):
            pending = await owner.fetchval(
                "SELECT count(*) FROM outbox WHERE tenant = $1 AND published_at IS NULL",
                tenant.id,
            )
            if pending == 0:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"{pending} outbox rows still unpublished after 30 s")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        runner.close()
    keys = {
        str(r["idempotency_key"])
        for r in await owner.fetch(
            "SELECT idempotency_key FROM dispatches WHERE tenant_id = $1", tenant.id
        )
    }
    assert set(sink.effective()) == keys and len(keys) == 60
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE tenant = $1 AND published_at IS NULL", tenant.id
        )
        == 0
    )
    assert (
        await owner.fetchval("SELECT max(attempts) FROM dispatches WHERE tenant_id = $1", tenant.id)
        == 1
    )


def _points(reader, name):
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    return list(metric.data.data_points)
    return []


async def test_delivery_metrics(
    app_client, settings, owner, sink, worker, relay, metric_reader, monkeypatch
):
    monkeypatch.setattr(dispatch_module, "BACKOFF_BASE_SECONDS", 0.05)
    sink.fail_first = 1
    before = {
        tuple(p.attributes.items()): p.value
        for p in _points(metric_reader, "jogo.dispatch.deliveries")
    }
    lag_before = sum(p.count for p in _points(metric_reader, "jogo.outbox.lag"))
    queue_before = sum(p.count for p in _points(metric_reader, "jogo.queue.lag"))
    tenant = await onboard("minimal", modules=["integrations"])
    _, rid, _ = await dispatched_report(app_client, settings, tenant, url=sink.url)
    await wait_status(owner, rid, "DELIVERED")

    def grew() -> dict[str, int]:
        after = {
            tuple(p.attributes.items()): p.value
            for p in _points(metric_reader, "jogo.dispatch.deliveries")
        }
        return {k[0][1]: after[k] - before.get(k, 0) for k in after}

    # The counters are recorded as the worker finishes: wait for them, with a deadline.
    await eventually(
        lambda: grew().get("failed", 0) >= 1 and grew().get("delivered", 0) >= 1,
        "a failed and a delivered attempt to be counted",
    )
    lag_after = sum(p.count for p in _points(metric_reader, "jogo.outbox.lag"))
    assert lag_after - lag_before >= 2  # the first attempt and the retry
    queue_lag = sum(p.count for p in _points(metric_reader, "jogo.queue.lag"))
    assert queue_lag - queue_before >= 2


async def test_open311_status_by_polling(app_client, settings, owner, sink, worker, relay):
    from helpers import run_job

    tenant = await onboard("minimal", modules=["integrations"])
    _, rid, _ = await dispatched_report(
        app_client,
        settings,
        tenant,
        url=sink.url + "/georeport/v2",
        connector="open311",
        code="DLH-311",
        serviceCodes={"FALLEN_TREE": "tree-down"},
    )
    await wait_status(owner, rid, "DELIVERED")
    page = "/georeport/v2/requests/SR-1001.json"
    sink.pages[page] = (
        200,
        "application/json",
        json.dumps([{"service_request_id": "SR-1001", "status": "open"}]).encode(),
    )
    await run_job("poll_open311", owner, tenant)
    await wait_status(owner, rid, "ACCEPTED")
    assert any(p.startswith(page) for p in sink.fetched)
    assert not any(SECRET in p for p in sink.fetched)  # no key in URLs (they reach traces)
    sink.pages[page] = (
        200,
        "application/json",
        json.dumps(
            [
                {
                    "service_request_id": "SR-1001",
                    "status": "closed",
                    "status_notes": "Pohon sudah dipotong",
                }
            ]
        ).encode(),
    )
    await run_job("poll_open311", owner, tenant)
    await wait_status(owner, rid, "RESOLVED")
    report = await owner.fetchrow("SELECT status FROM reports WHERE id = $1::uuid", rid)
    assert report["status"] == "RESOLVED"
    events = await owner.fetchval(
        "SELECT count(*) FROM report_events WHERE report_id = $1::uuid", rid
    )
    await run_job("poll_open311", owner, tenant)  # nothing new: nothing changes
    assert (
        await owner.fetchval("SELECT count(*) FROM report_events WHERE report_id = $1::uuid", rid)
        == events
    )
    notes = await owner.fetch(
        "SELECT note FROM report_events WHERE report_id = $1::uuid AND to_status = 'RESOLVED'", rid
    )
    assert "Pohon sudah dipotong" in notes[0]["note"]
