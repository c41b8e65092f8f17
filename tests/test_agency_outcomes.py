"""Issue 13 part 5: an agency closing a request is not the same as fixing it.

Agencies answer done, declined, duplicate, not theirs or needs more information. Only
done resolves a report; any other answer hands it back to the operators (VERIFIED),
visibly, with the agency's note, and the citizen reads that it is still being handled.
Open311 closes are read by the rule in ``tenants/agencies/outcomes.py``."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import VERIFY, act, auth_header, gql, onboard, submit
from test_integrations import (
    CALLBACK_URL,
    DISPATCH,
    DISPATCHES,
    make_agency,
    sign,
    wait_status,
)

from jogo.platform.auth.roles import Role
from jogo.tenants.agencies.outcomes import (
    Outcome,
    from_fhir_task,
    from_open311,
    outcome_from_note,
    parse_answer,
)
from jogo.tenants.reports.lifecycle import IllegalTransition, Status, check_return, check_transition

# The issue's example, word for word.
ISSUE_NOTE = "Duplikat laporan lain; bukan wewenang dinas kami"
TRACK = """query($t: String!, $p: String!) { trackReport(ticket: $t, pin: $p) { status
  timeline { kind toStatus note messageId messageEn } } }"""
TIMELINE = """query($id: ID!) { report(id: $id) { status autocloseAt
  timeline { kind public toStatus note messageId } } }"""
QUEUE = """{ reports(filter: { statuses: [VERIFIED] }) { edges { node { id status
  lastEvent { note } } } } }"""


# --- the mapping, unit by unit (values from the issue and the standards) ---


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ({"status": "closed", "status_notes": ISSUE_NOTE}, Outcome.NOT_THEIRS),
        ({"status": "closed", "status_notes": "Duplikat laporan SR-77"}, Outcome.DUPLICATE),
        ({"status": "closed", "status_notes": "Duplicate of request 12"}, Outcome.DUPLICATE),
        (
            {"status": "closed", "status_notes": "Bukan kewenangan DLH, silakan ke Dishub"},
            Outcome.NOT_THEIRS,
        ),
        ({"status": "closed", "status_notes": "Outside our jurisdiction"}, Outcome.NOT_THEIRS),
        (
            {"status": "closed", "status_notes": "Perlu informasi tambahan: lokasi tepatnya"},
            Outcome.NEEDS_INFO,
        ),
        ({"status": "closed", "status_notes": "Needs more information"}, Outcome.NEEDS_INFO),
        ({"status": "closed", "status_notes": "Permintaan ditolak"}, Outcome.DECLINED),
        ({"status": "closed", "status_notes": "Tidak ditemukan di lokasi"}, Outcome.DECLINED),
        ({"status": "closed", "status_notes": "Pohon sudah dipotong"}, Outcome.DONE),
        ({"status": "closed"}, Outcome.DONE),
        ({"status": "CLOSED", "status_notes": ""}, Outcome.DONE),
        # An explicit outcome (a server extension) wins over the words.
        ({"status": "closed", "status_notes": "selesai", "outcome": "declined"}, Outcome.DECLINED),
        ({"status": "closed", "status_notes": ISSUE_NOTE, "outcome": "done"}, Outcome.DONE),
    ],
)
def test_open311_closed_is_read_by_the_rule(request_, expected):
    answer = from_open311(request_)
    assert answer is not None and answer.outcome == expected
    assert answer.dispatch_status == ("RESOLVED" if expected == Outcome.DONE else "RETURNED")


def test_open311_open_and_unknown():
    assert from_open311({"status": "open"}).step == "ACCEPTED"
    assert from_open311({"status": "archived"}) is None
    assert from_open311({}) is None


@pytest.mark.parametrize(
    ("task", "step", "outcome"),
    [
        ({"status": "received"}, "ACCEPTED", None),
        ({"status": "accepted"}, "ACCEPTED", None),
        ({"status": "in-progress"}, "IN_PROGRESS", None),
        ({"status": "completed"}, None, Outcome.DONE),
        ({"status": "rejected"}, None, Outcome.DECLINED),
        ({"status": "cancelled"}, None, Outcome.DECLINED),
        ({"status": "failed"}, None, Outcome.DECLINED),
        ({"status": "on-hold"}, None, Outcome.NEEDS_INFO),
        ({"status": "rejected", "statusReason": {"text": ISSUE_NOTE}}, None, Outcome.NOT_THEIRS),
        (
            {"status": "cancelled", "note": [{"text": "Duplicate of Task/9"}]},
            None,
            Outcome.DUPLICATE,
        ),
    ],
)
def test_fhir_task_statuses(task, step, outcome):
    answer = from_fhir_task(task)
    assert answer is not None and (answer.step, answer.outcome) == (step, outcome)


@pytest.mark.parametrize("status", ["draft", "requested", "entered-in-error", "", "exploded"])
def test_fhir_task_statuses_that_say_nothing(status):
    assert from_fhir_task({"status": status}) is None


def test_callback_words():
    assert parse_answer("resolved", None).outcome == Outcome.DONE
    assert parse_answer("in_progress", None).step == "IN_PROGRESS"
    assert parse_answer(None, "not_theirs").outcome == Outcome.NOT_THEIRS
    assert parse_answer(None, "needs-info").outcome == Outcome.NEEDS_INFO
    assert parse_answer("resolved", "duplicate").outcome == Outcome.DUPLICATE  # explicit wins
    assert parse_answer("declined", None).outcome == Outcome.DECLINED
    assert parse_answer("exploded", None) is None
    assert parse_answer("resolved", "exploded") is None
    assert outcome_from_note("Pohon sudah diangkat, jalan bisa dilalui") is None


def test_the_lifecycle_stays_strict():
    assert check_return("DISPATCHED") == Status.VERIFIED
    assert check_return("IN_PROGRESS") == Status.VERIFIED
    for status in ("SUBMITTED", "VERIFIED", "RESOLVED", "CLOSED", "REJECTED"):
        with pytest.raises(IllegalTransition):
            check_return(status)
    # Operators still cannot move a report backwards (verifyReport on a sent report).
    with pytest.raises(IllegalTransition):
        check_transition("DISPATCHED", Status.VERIFIED)


# --- end to end ---


async def anonymous_dispatched(client, settings, tenant, agency_id):
    """A citizen's anonymous report, verified and sent to the agency by an operator."""
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    made = await submit(client, tenant.slug, None, anonymous=True)
    rid = made["report"]["id"]
    await act(client, tenant.slug, VERIFY, admin, id=rid)
    sent = await act(client, tenant.slug, DISPATCH, admin, r=rid, a=agency_id)
    assert sent["errors"] == [] and sent["report"]["status"] == "DISPATCHED", sent
    return admin, rid, made["report"]["ticket"], made["pin"]


async def citizen_view(client, slug, ticket, pin):
    _, body = await gql(client, f"/t/{slug}/graphql", TRACK, None, t=ticket, p=pin)
    return body["data"]["trackReport"]


def assert_still_handled(tracked):
    """What the citizen reads after an agency handed the report back."""
    assert tracked["status"] == "VERIFIED"
    last = tracked["timeline"][-1]
    assert last["toStatus"] == "VERIFIED"
    assert "masih ditangani" in last["messageId"] and "still being handled" in last["messageEn"]
    words = json.dumps(tracked["timeline"]).lower()
    assert "selesai" not in words and "resolved" not in words


async def test_the_issue_example_open311_closed_as_duplicate_not_ours(
    app_client, settings, owner, sink, worker, relay
):
    from helpers import run_job

    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency_id = await make_agency(
        app_client,
        tenant.slug,
        admin,
        sink.url + "/georeport/v2",
        connector="open311",
        code="DLH-311",
        serviceCodes={"FALLEN_TREE": "tree-down"},
        jurisdictionId="malangkota.go.id",
    )
    admin, rid, ticket, pin = await anonymous_dispatched(app_client, settings, tenant, agency_id)
    await wait_status(owner, rid, "DELIVERED")
    [request] = sink.received
    form = parse_qs(request.body.decode())
    assert form["jurisdiction_id"] == ["malangkota.go.id"]
    page = "/georeport/v2/requests/SR-1001.json"
    sink.pages[page] = (
        200,
        "application/json",
        json.dumps(
            [{"service_request_id": "SR-1001", "status": "closed", "status_notes": ISSUE_NOTE}]
        ).encode(),
    )
    await run_job("poll_open311", owner, tenant)
    await wait_status(owner, rid, "RETURNED")
    polled = [urlsplit(p) for p in sink.fetched if p.startswith(page)]
    assert polled and parse_qs(polled[0].query) == {"jurisdiction_id": ["malangkota.go.id"]}
    # Not resolved, no auto-close timer.
    row = await owner.fetchrow(
        "SELECT status, resolved_at, autoclose_at, followup_due_at FROM reports"
        " WHERE id = $1::uuid",
        rid,
    )
    assert dict(row) == {
        "status": "VERIFIED",
        "resolved_at": None,
        "autoclose_at": None,
        "followup_due_at": None,
    }
    dispatch = await owner.fetchrow(
        "SELECT outcome, outcome_note FROM dispatches WHERE report_id = $1::uuid", rid
    )
    assert dict(dispatch) == {"outcome": "NOT_THEIRS", "outcome_note": ISSUE_NOTE}
    # No event anywhere claims it was done.
    notes = await owner.fetch("SELECT note FROM report_events WHERE report_id = $1::uuid", rid)
    assert not any("selesai ditangani" in (n["note"] or "").lower() for n in notes)
    # Back in the operators' queue, with the agency's note on the internal timeline.
    _, queue = await gql(app_client, f"/t/{tenant.slug}/graphql", QUEUE, admin)
    [listed_report] = [e["node"] for e in queue["data"]["reports"]["edges"]]
    assert listed_report["id"] == rid and ISSUE_NOTE in listed_report["lastEvent"]["note"]
    _, seen = await gql(app_client, f"/t/{tenant.slug}/graphql", TIMELINE, admin, id=rid)
    internal = [e for e in seen["data"]["report"]["timeline"] if not e["public"]]
    assert any(ISSUE_NOTE in (e["note"] or "") for e in internal)
    _, listed = await gql(app_client, f"/t/{tenant.slug}/graphql", DISPATCHES, admin, r=rid)
    assert listed["data"]["dispatches"][0]["status"] == "RETURNED"
    # The citizen is told it is still being handled, and never sees the agency's note.
    tracked = await citizen_view(app_client, tenant.slug, ticket, pin)
    assert_still_handled(tracked)
    assert ISSUE_NOTE not in json.dumps(tracked)
    # Polling again changes nothing; the operators may send it on (even to the same agency).
    events = await owner.fetchval(
        "SELECT count(*) FROM report_events WHERE report_id = $1::uuid", rid
    )
    await run_job("poll_open311", owner, tenant)
    assert (
        await owner.fetchval("SELECT count(*) FROM report_events WHERE report_id = $1::uuid", rid)
        == events
    )
    again = await act(app_client, tenant.slug, DISPATCH, admin, r=rid, a=agency_id)
    assert again["errors"] == [] and again["report"]["status"] == "DISPATCHED"


async def _callback(client, tenant, agency_id, payload):
    body = json.dumps(payload).encode()
    return await client.post(
        CALLBACK_URL.format(slug=tenant.slug, agency=agency_id),
        content=body,
        headers={"content-type": "application/json", "x-jogo-signature": sign(body)},
    )


@pytest.mark.parametrize(
    ("outcome", "stored"),
    [
        ("declined", "DECLINED"),
        ("duplicate", "DUPLICATE"),
        ("not_theirs", "NOT_THEIRS"),
        ("needs_info", "NEEDS_INFO"),
    ],
)
async def test_webhook_outcomes_other_than_done_return_the_report(
    app_client, settings, owner, sink, outcome, stored
):
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency_id = await make_agency(app_client, tenant.slug, admin, sink.url)
    _, rid, ticket, pin = await anonymous_dispatched(app_client, settings, tenant, agency_id)
    dispatch_id = await owner.fetchval("SELECT id FROM dispatches WHERE report_id = $1::uuid", rid)
    progress = await _callback(
        app_client, tenant, agency_id, {"dispatch_id": str(dispatch_id), "status": "in_progress"}
    )
    assert progress.json() == {"status": "applied"}
    no_note = await _callback(
        app_client, tenant, agency_id, {"dispatch_id": str(dispatch_id), "outcome": outcome}
    )
    assert no_note.status_code == 400
    answer = {"dispatch_id": str(dispatch_id), "outcome": outcome, "note": f"Catatan {outcome}"}
    assert (await _callback(app_client, tenant, agency_id, answer)).json() == {"status": "applied"}
    row = await owner.fetchrow(
        "SELECT r.status, r.autoclose_at, d.status AS d_status, d.outcome, d.outcome_note"
        " FROM reports r JOIN dispatches d ON d.report_id = r.id WHERE r.id = $1::uuid",
        rid,
    )
    assert dict(row) == {
        "status": "VERIFIED",
        "autoclose_at": None,
        "d_status": "RETURNED",
        "outcome": stored,
        "outcome_note": f"Catatan {outcome}",
    }
    tracked = await citizen_view(app_client, tenant.slug, ticket, pin)
    assert_still_handled(tracked)
    # A final answer is final: a later "resolved" is ignored and resolves nothing.
    late = {"dispatch_id": str(dispatch_id), "status": "resolved", "note": "sudah"}
    assert (await _callback(app_client, tenant, agency_id, late)).json() == {"status": "ignored"}
    assert await owner.fetchval("SELECT status FROM reports WHERE id = $1::uuid", rid) == "VERIFIED"


async def test_done_resolves_and_each_event_says_what_happened(app_client, settings, owner, sink):
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency_id = await make_agency(app_client, tenant.slug, admin, sink.url)
    _, rid, ticket, pin = await anonymous_dispatched(app_client, settings, tenant, agency_id)
    dispatch_id = await owner.fetchval("SELECT id FROM dispatches WHERE report_id = $1::uuid", rid)
    done = {"dispatch_id": str(dispatch_id), "outcome": "done", "note": "Pohon sudah diangkat"}
    assert (await _callback(app_client, tenant, agency_id, done)).json() == {"status": "applied"}
    steps = await owner.fetch(
        "SELECT to_status, note FROM report_events WHERE report_id = $1::uuid AND kind = 'STATUS'"
        " AND to_status IN ('IN_PROGRESS', 'RESOLVED') ORDER BY created_at",
        rid,
    )
    assert [s["to_status"] for s in steps] == ["IN_PROGRESS", "RESOLVED"]
    assert "selesai" not in steps[0]["note"].lower() and "Sedang ditangani" in steps[0]["note"]
    assert "Selesai ditangani" in steps[1]["note"] and "Pohon sudah diangkat" in steps[1]["note"]
    row = await owner.fetchrow(
        "SELECT r.status, r.autoclose_at, d.status AS d_status, d.outcome FROM reports r"
        " JOIN dispatches d ON d.report_id = r.id WHERE r.id = $1::uuid",
        rid,
    )
    assert row["status"] == "RESOLVED" and row["autoclose_at"] is not None
    assert (row["d_status"], row["outcome"]) == ("RESOLVED", "DONE")
    assert (await citizen_view(app_client, tenant.slug, ticket, pin))["status"] == "RESOLVED"


async def test_fhir_task_callbacks(app_client, settings, owner, sink):
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    agency_id = await make_agency(app_client, tenant.slug, admin, sink.url)

    async def task_answer(task):
        _, rid, ticket, pin = await anonymous_dispatched(app_client, settings, tenant, agency_id)
        key = await owner.fetchval(
            "SELECT idempotency_key FROM dispatches WHERE report_id = $1::uuid", rid
        )
        body = {"resourceType": "Task", "identifier": [{"value": str(key)}]} | task
        reply = await _callback(app_client, tenant, agency_id, body)
        return reply, rid, ticket, pin

    reply, rid, ticket, pin = await task_answer(
        {"status": "on-hold", "statusReason": {"text": "Mohon kirim foto lokasi"}}
    )
    assert reply.json() == {"status": "applied"}
    assert (
        await owner.fetchval("SELECT outcome FROM dispatches WHERE report_id = $1::uuid", rid)
        == "NEEDS_INFO"
    )
    assert_still_handled(await citizen_view(app_client, tenant.slug, ticket, pin))
    reply, rid, *_ = await task_answer({"status": "rejected", "statusReason": {"text": ISSUE_NOTE}})
    assert (
        await owner.fetchval("SELECT outcome FROM dispatches WHERE report_id = $1::uuid", rid)
        == "NOT_THEIRS"
    )
    reply, rid, *_ = await task_answer({"status": "completed", "note": [{"text": "Selesai"}]})
    assert await owner.fetchval("SELECT status FROM reports WHERE id = $1::uuid", rid) == (
        "RESOLVED"
    )
    reply, rid, *_ = await task_answer({"status": "entered-in-error"})
    assert reply.status_code == 400
    assert await owner.fetchval("SELECT status FROM reports WHERE id = $1::uuid", rid) == (
        "DISPATCHED"
    )


async def test_another_agency_still_on_it_keeps_the_report(app_client, settings, owner, sink):
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    first = await make_agency(app_client, tenant.slug, admin, sink.url)
    second = await make_agency(app_client, tenant.slug, admin, sink.url, code="PLN-HOOK")
    _, rid, ticket, pin = await anonymous_dispatched(app_client, settings, tenant, first)
    assert (await act(app_client, tenant.slug, DISPATCH, admin, r=rid, a=second))["errors"] == []
    ids = {
        r["agency_id"]: r["id"]
        for r in await owner.fetch(
            "SELECT id, agency_id::text FROM dispatches WHERE report_id = $1::uuid", rid
        )
    }
    answer = {"dispatch_id": str(ids[first]), "outcome": "not_theirs", "note": "Bukan wewenang"}
    assert (await _callback(app_client, tenant, first, answer)).json() == {"status": "applied"}
    assert await owner.fetchval("SELECT status FROM reports WHERE id = $1::uuid", rid) == (
        "DISPATCHED"
    )
    returned = await owner.fetchval(
        "SELECT count(*) FROM report_events WHERE report_id = $1::uuid AND kind = 'DISPATCH'"
        " AND NOT public AND data->>'outcome' = 'NOT_THEIRS'",
        rid,
    )
    assert returned == 1
    answer = {"dispatch_id": str(ids[second]), "outcome": "duplicate", "note": "Duplikat"}
    assert (await _callback(app_client, tenant, second, answer)).json() == {"status": "applied"}
    assert_still_handled(await citizen_view(app_client, tenant.slug, ticket, pin))


async def test_manual_agency_outcomes_by_hand(app_client, settings, owner):
    tenant = await onboard("minimal", modules=["integrations"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    manual = await make_agency(
        app_client,
        tenant.slug,
        admin,
        None,
        connector="manual",
        code="DLH-MANUAL",
        secret=None,
    )
    _, rid, ticket, pin = await anonymous_dispatched(app_client, settings, tenant, manual)
    dispatch_id = await owner.fetchval("SELECT id FROM dispatches WHERE report_id = $1::uuid", rid)
    update = """mutation($d: ID!, $s: String!, $n: String) { updateDispatchStatus(dispatchId: $d,
      status: $s, note: $n) { dispatch { status outcome outcomeNote } errors { code field } } }"""
    _, no_note = await gql(
        app_client, f"/t/{tenant.slug}/graphql", update, admin, d=str(dispatch_id), s="duplicate"
    )
    assert no_note["data"]["updateDispatchStatus"]["errors"] == [
        {"code": "INVALID_INPUT", "field": "note"}
    ]
    _, done = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        update,
        admin,
        d=str(dispatch_id),
        s="needs_info",
        n="Mohon titik lokasi yang tepat",
    )
    assert done["data"]["updateDispatchStatus"] == {
        "dispatch": {
            "status": "RETURNED",
            "outcome": "NEEDS_INFO",
            "outcomeNote": "Mohon titik lokasi yang tepat",
        },
        "errors": [],
    }
    assert_still_handled(await citizen_view(app_client, tenant.slug, ticket, pin))


SET_JURISDICTION = """mutation($a: ID!, $j: String) { setAgencyJurisdiction(agencyId: $a,
  jurisdictionId: $j) { agency { jurisdictionId } errors { code field } } }"""


async def test_jurisdiction_id_rules_and_tenants(app_client, settings, two_tenants, sink):
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    open311 = await make_agency(
        app_client, a.slug, admin_a, sink.url, connector="open311", code="DLH-311"
    )
    hook = await make_agency(app_client, a.slug, admin_a, sink.url, code="DISHUB-HOOK")
    path_a = f"/t/{a.slug}/graphql"
    _, ok = await gql(app_client, path_a, SET_JURISDICTION, admin_a, a=open311, j="kota.malang")
    assert ok["data"]["setAgencyJurisdiction"] == {
        "agency": {"jurisdictionId": "kota.malang"},
        "errors": [],
    }
    _, other = await gql(
        app_client, f"/t/{b.slug}/graphql", SET_JURISDICTION, admin_b, a=open311, j="x.y"
    )
    assert other["data"]["setAgencyJurisdiction"]["errors"] == [
        {"code": "NOT_FOUND", "field": "agencyId"}
    ]
    for agency, value in ((hook, "kota.malang"), (open311, "<script>"), (open311, "x" * 101)):
        _, bad = await gql(app_client, path_a, SET_JURISDICTION, admin_a, a=agency, j=value)
        assert bad["data"]["setAgencyJurisdiction"]["errors"] == [
            {"code": "INVALID_INPUT", "field": "jurisdictionId"}
        ]
    _, cleared = await gql(app_client, path_a, SET_JURISDICTION, admin_a, a=open311, j=None)
    assert cleared["data"]["setAgencyJurisdiction"]["agency"] == {"jurisdictionId": None}
    create = """mutation($input: CreateAgencyInput!) { createAgency(input: $input) {
      errors { code field } } }"""
    _, refused = await gql(
        app_client,
        path_a,
        create,
        admin_a,
        input={
            "code": "PU-HOOK",
            "name": "Dinas PU",
            "kind": "dinas",
            "connector": "webhook",
            "endpointUrl": sink.url,
            "secret": "s3cret-for-the-dishub-webhook",
            "jurisdictionId": "kota.malang",
        },
    )
    assert refused["data"]["createAgency"]["errors"] == [
        {"code": "INVALID_INPUT", "field": "jurisdictionId"}
    ]
