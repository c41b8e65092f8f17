"""Every illegal lifecycle move refused through the API, with nothing written (issue 15,
item 1). The table itself is pinned without a database in ``test_rules_lifecycle.py``
(which the mutation check runs); this is the same table seen from ``updateReportStatus``,
``verifyReport``, ``rejectReport`` and ``dispatchReport``."""

from __future__ import annotations

import uuid

import pytest
from helpers import DISPATCH, REJECT, STATUS, VERIFY, act, auth_header, gql, make_user, submit

from jogo.platform.auth.roles import Role

# README "Reports", written out as in test_rules_lifecycle.py.
STATUSES = ["SUBMITTED", "VERIFIED", "DISPATCHED", "IN_PROGRESS", "RESOLVED", "CLOSED", "REJECTED"]
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
