"""The lifecycle transition table, and every pair outside it refused (issue 15, item 1).

The table is written out here from the README ("Reports") and the docstring of
``tenants/reports/lifecycle.py``, not imported:
SUBMITTED → VERIFIED → DISPATCHED → IN_PROGRESS → RESOLVED → CLOSED, REJECTED from
SUBMITTED or VERIFIED, and VERIFIED → IN_PROGRESS for a report assigned to an officer
or unit. The agency's way back (DISPATCHED or IN_PROGRESS → VERIFIED) is never an
operator's move. CLOSED and REJECTED are final.
"""

from __future__ import annotations

import pytest

from jogo.platform.errors import JogoError
from jogo.tenants.reports.lifecycle import (
    OPEN,
    OPEN_SQL,
    Status,
    check_return,
    check_transition,
    label,
)

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


# The wording a citizen reads on the timeline (README "Reports" and "Agency outcomes").
POLICE = (
    "Laporan sedang ditangani langsung oleh petugas kepolisian",
    "Being handled by the police",
)
RETURNED = (
    "Laporan dikembalikan instansi ke petugas dan masih ditangani",
    "Handed back by the agency to the operators; still being handled",
)


def test_a_police_start_reads_as_handled_by_the_police():
    assert label(Status.VERIFIED, Status.IN_PROGRESS) == POLICE
    # The agency's start of work is not the police's.
    assert label(Status.DISPATCHED, Status.IN_PROGRESS) == (
        "Laporan sedang ditangani",
        "Being handled",
    )
    assert label(None, Status.IN_PROGRESS) == ("Laporan sedang ditangani", "Being handled")


@pytest.mark.parametrize("current", ["DISPATCHED", "IN_PROGRESS"])
def test_an_agency_hand_back_reads_as_returned_not_verified(current):
    assert label(Status(current), Status.VERIFIED) == RETURNED


def test_an_operators_verification_reads_as_verified():
    verified = ("Laporan diverifikasi petugas", "Report verified")
    assert label(Status.SUBMITTED, Status.VERIFIED) == verified
    assert label(None, Status.VERIFIED) == verified
    assert label(None, Status.SUBMITTED) == ("Laporan diterima", "Report received")
    assert label(Status.VERIFIED, Status.REJECTED) == ("Laporan ditolak", "Rejected")
    assert label(Status.VERIFIED, Status.DISPATCHED) == (
        "Laporan diteruskan ke instansi terkait",
        "Sent to the agency",
    )
    assert label(Status.IN_PROGRESS, Status.RESOLVED) == ("Laporan selesai ditangani", "Resolved")
    assert label(Status.RESOLVED, Status.CLOSED) == ("Laporan ditutup", "Closed")


def test_the_refusal_says_what_may_come_next():
    with pytest.raises(JogoError) as raised:
        check_transition("SUBMITTED", Status.CLOSED)
    assert raised.value.field == "status"
    assert str(raised.value) == (
        "a SUBMITTED report cannot become CLOSED; next: REJECTED, VERIFIED"
    )
    with pytest.raises(JogoError) as raised:
        check_transition("CLOSED", Status.VERIFIED)
    assert str(raised.value) == "a CLOSED report cannot become VERIFIED; next: none (final)"
    with pytest.raises(JogoError) as raised:
        check_transition("VERIFIED", Status.IN_PROGRESS)
    assert raised.value.field == "status"
    assert "assign an officer or a unit" in str(raised.value)
    with pytest.raises(JogoError) as raised:
        check_return("RESOLVED")
    assert raised.value.field == "status"
    assert str(raised.value) == "a RESOLVED report cannot be handed back to the operators"


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError):
        check_transition("ARCHIVED", Status.CLOSED)


def test_open_means_not_yet_resolved():
    assert {"SUBMITTED", "VERIFIED", "DISPATCHED", "IN_PROGRESS"} == OPEN
    assert OPEN_SQL == "('DISPATCHED', 'IN_PROGRESS', 'SUBMITTED', 'VERIFIED')"


def test_assigned_must_be_named():
    # A bare True in third place could be anything; the rule takes it only by name.
    with pytest.raises(TypeError):
        check_transition("VERIFIED", Status.IN_PROGRESS, True)  # type: ignore[misc]
