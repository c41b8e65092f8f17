"""The lifecycle transition table, and every pair outside it refused (issue 15, item 1).

The table is written out here from the README ("Reports") and the docstring of
``tenants/reports/lifecycle.py``, not imported:
SUBMITTED → VERIFIED → DISPATCHED → IN_PROGRESS → RESOLVED → CLOSED, REJECTED from
SUBMITTED or VERIFIED, and VERIFIED → IN_PROGRESS for a report assigned to an officer
or unit. The agency's way back (DISPATCHED or IN_PROGRESS → VERIFIED) is never an
operator's move. CLOSED and REJECTED are final.
"""

from __future__ import annotations

import uuid

import pytest
from helpers import DISPATCH, REJECT, STATUS, VERIFY, act, auth_header, gql, make_user, submit

from jogo.platform.auth.roles import Role
from jogo.platform.errors import JogoError
from jogo.tenants.reports.lifecycle import Status, check_return, check_transition

STATUSES = [
    "SUBMITTED",
    "VERIFIED",
    "DISPATCHED",
    "IN_PROGRESS",
    "RESOLVED",
    "CLOSED",
    "REJECTED",
]
LEGAL = {
    ("SUBMITTED", "VERIFIED"),
    ("SUBMITTED", "REJECTED"),
    ("VERIFIED", "DISPATCHED"),
    ("VERIFIED", "IN_PROGRESS"),  # only when assigned
    ("VERIFIED", "REJECTED"),
    ("DISPATCHED", "IN_PROGRESS"),
    ("IN_PROGRESS", "RESOLVED"),
    ("RESOLVED", "CLOSED"),
}
ILLEGAL = [(a, b) for a in STATUSES for b in STATUSES if (a, b) not in LEGAL]


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_the_legal_moves(current, target):
    assert check_transition(current, Status(target), assigned=True) == Status(target)
    if (current, target) != ("VERIFIED", "IN_PROGRESS"):
        assert check_transition(current, Status(target), assigned=False) == Status(target)


def test_police_handling_needs_an_assignee():
    with pytest.raises(JogoError) as raised:
        check_transition("VERIFIED", Status.IN_PROGRESS, assigned=False)
    assert raised.value.code == "ILLEGAL_TRANSITION"


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_other_pair_is_illegal(current, target):
    for assigned in (False, True):
        with pytest.raises(JogoError) as raised:
            check_transition(current, Status(target), assigned=assigned)
        assert raised.value.code == "ILLEGAL_TRANSITION"


@pytest.mark.parametrize("current", STATUSES)
def test_only_an_agency_hands_back_and_only_from_dispatched_or_in_progress(current):
    if current in ("DISPATCHED", "IN_PROGRESS"):
        assert check_return(current) == Status.VERIFIED
    else:
        with pytest.raises(JogoError) as raised:
            check_return(current)
        assert raised.value.code == "ILLEGAL_TRANSITION"


# Through the API: each target's mutation (SUBMITTED has none: no mutation moves back to it).
MUTATION = {
    "VERIFIED": (VERIFY, {}),
    "REJECTED": (REJECT, {"r": "Laporan tidak valid"}),
    "DISPATCHED": (DISPATCH, {}),
    "IN_PROGRESS": (STATUS, {"s": "IN_PROGRESS", "n": None}),
    "RESOLVED": (STATUS, {"s": "RESOLVED", "n": "Sudah selesai ditangani"}),
    "CLOSED": (STATUS, {"s": "CLOSED", "n": None}),
}


@pytest.mark.parametrize("current", STATUSES)
async def test_the_api_refuses_every_illegal_move_and_writes_nothing(
    app_client, settings, owner, two_tenants, current
):
    tenant = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", "{ agencies { id } }", operator)
    agency = body["data"]["agencies"][0]["id"]
    officer, _ = await make_user(Role.OFFICER, tenant)
    # dispatchReport on a DISPATCHED or IN_PROGRESS report adds a further agency without
    # moving the status (``do_dispatch``): not a transition, tested with dispatches.
    targets = [
        t
        for t in MUTATION
        if (current, t) not in LEGAL
        and not (t == "DISPATCHED" and current in ("DISPATCHED", "IN_PROGRESS"))
    ]
    assert targets
    for target in targets:
        rid = (await submit(app_client, tenant.slug, operator))["report"]["id"]
        # Assigned, so that VERIFIED → IN_PROGRESS would be legal: only the table refuses.
        await owner.execute(
            "UPDATE reports SET status = $2, assigned_officer_id = $3,"
            " reject_reason = CASE WHEN $2 = 'REJECTED' THEN 'Bukan laporan' END"
            " WHERE id = $1",
            uuid.UUID(rid),
            current,
            officer,
        )
        before = await owner.fetchrow(
            "SELECT status, updated_at, (SELECT count(*) FROM report_events e"
            " WHERE e.report_id = r.id) AS events FROM reports r WHERE id = $1",
            uuid.UUID(rid),
        )
        mutation, variables = MUTATION[target]
        result = await act(
            app_client, tenant.slug, mutation, operator, id=rid, a=agency, **variables
        )
        assert result["report"] is None, (current, target, result)
        assert [e["code"] for e in result["errors"]] == ["ILLEGAL_TRANSITION"], (current, target)
        after = await owner.fetchrow(
            "SELECT status, updated_at, (SELECT count(*) FROM report_events e"
            " WHERE e.report_id = r.id) AS events FROM reports r WHERE id = $1",
            uuid.UUID(rid),
        )
        assert dict(after) == dict(before), (current, target)
        assert after["status"] == current
        dispatches = await owner.fetchval(
            "SELECT count(*) FROM dispatches WHERE report_id = $1", uuid.UUID(rid)
        )
        assert dispatches == 0, (current, target)
