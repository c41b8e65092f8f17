"""What an agency's answer means, whatever channel it came through.

An answer is either a step (the agency has the report: ``ACCEPTED``; it is working on
it: ``IN_PROGRESS``) or a final :class:`Outcome`. Only ``DONE`` resolves a report; the
other outcomes return it to the operators' queue (``answers.py``).

Each connector's words, mapped here (pure functions, no I/O):

- **Signed webhook callback** (JSON): ``outcome`` = ``done``, ``declined``,
  ``duplicate``, ``not_theirs`` or ``needs_info`` (explicit, and it wins), or ``status``
  = ``accepted``, ``in_progress`` or ``resolved`` (= done). A FHIR R4 ``Task`` may be
  posted as the body instead: see :func:`from_fhir_task`.
- **Manual agencies** (the liaison's ``updateDispatchStatus``): the same words.
- **Open311 GeoReport v2** knows only ``open`` and ``closed``, with free-text
  ``status_notes``. ``open`` is ACCEPTED. ``closed`` is read by this rule, first match
  wins: (1) an explicit ``outcome`` field on the request (a server extension, same
  words as the callback); (2) the notes name a reason that is not a fix
  (:func:`outcome_from_note`: keyword patterns in Bahasa Indonesia and English);
  (3) otherwise DONE. A close whose note is ambiguous therefore errs towards the
  operators' queue, never towards a false "resolved".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    DONE = "DONE"
    DECLINED = "DECLINED"
    DUPLICATE = "DUPLICATE"
    NOT_THEIRS = "NOT_THEIRS"  # another agency's job, or another jurisdiction
    NEEDS_INFO = "NEEDS_INFO"


# How an operator and a citizen read each outcome (Bahasa Indonesia, English).
OUTCOME_LABELS: dict[Outcome, tuple[str, str]] = {
    Outcome.DONE: ("selesai ditangani", "done"),
    Outcome.DECLINED: ("ditolak instansi", "declined"),
    Outcome.DUPLICATE: ("duplikat laporan lain", "duplicate"),
    Outcome.NOT_THEIRS: ("bukan wewenang instansi", "not this agency's job"),
    Outcome.NEEDS_INFO: ("instansi memerlukan informasi tambahan", "needs more information"),
}

STEPS = ("ACCEPTED", "IN_PROGRESS")

_ALIASES = {
    "done": Outcome.DONE,
    "resolved": Outcome.DONE,
    "completed": Outcome.DONE,
    "declined": Outcome.DECLINED,
    "rejected": Outcome.DECLINED,
    "duplicate": Outcome.DUPLICATE,
    "not_theirs": Outcome.NOT_THEIRS,
    "not_ours": Outcome.NOT_THEIRS,
    "wrong_jurisdiction": Outcome.NOT_THEIRS,
    "needs_info": Outcome.NEEDS_INFO,
    "needs_more_information": Outcome.NEEDS_INFO,
}


@dataclass(frozen=True)
class Answer:
    """``step`` is ACCEPTED or IN_PROGRESS when ``outcome`` is None; a final answer
    has an ``outcome`` (and then ``step`` is None)."""

    step: str | None = None
    outcome: Outcome | None = None

    @property
    def dispatch_status(self) -> str:
        """The dispatch status this answer moves to."""
        if self.outcome is None:
            assert self.step is not None
            return self.step
        return "RESOLVED" if self.outcome == Outcome.DONE else "RETURNED"


def _word(value: object) -> str:
    return re.sub(r"[\s-]+", "_", str(value or "").strip().lower())


def parse_outcome(value: object) -> Outcome | None:
    """``done``, ``declined``, ``duplicate``, ``not_theirs``, ``needs_info`` (any case,
    ``-`` or space for ``_``; a few synonyms); None for anything else."""
    return _ALIASES.get(_word(value))


def parse_answer(status: object, outcome: object) -> Answer | None:
    """A callback's or liaison's words: an explicit ``outcome`` wins; else ``status``
    accepted, in_progress or resolved (done), or one of the outcome words. None when
    neither says anything known."""
    if outcome not in (None, ""):
        parsed = parse_outcome(outcome)
        return Answer(outcome=parsed) if parsed else None
    word = _word(status)
    if word in ("accepted", "in_progress"):
        return Answer(step=word.upper())
    parsed = parse_outcome(word)
    return Answer(outcome=parsed) if parsed else None


# Fallback for free text (Open311 status_notes, a FHIR reason): phrases that say the
# work was not done, checked in this order. Lower-cased, whitespace collapsed.
_PATTERNS: tuple[tuple[Outcome, re.Pattern[str]], ...] = tuple(
    (outcome, re.compile("|".join(words)))
    for outcome, words in (
        (
            Outcome.NOT_THEIRS,
            (
                r"\bbukan (?:wewenang|kewenangan|tanggung ?jawab|tupoksi|ranah|urusan)",
                r"\bdi ?luar (?:wewenang|kewenangan|wilayah|yurisdiksi|tupoksi)",
                r"\bsalah (?:instansi|dinas|wilayah)",
                r"\bnot (?:our|in our|within our) (?:job|jurisdiction|department|remit|area)",
                r"\bnot our responsibility",
                r"\bwrong (?:jurisdiction|agency|department)",
                r"\boutside (?:our |the )?(?:jurisdiction|remit|area)",
            ),
        ),
        (
            Outcome.DUPLICATE,
            (
                r"\bduplikat",
                r"\bduplicate",
                r"\bsudah (?:pernah )?dilaporkan",
                r"\blaporan (?:ganda|yang sama)",
                r"\balready reported",
            ),
        ),
        (
            Outcome.NEEDS_INFO,
            (
                r"\b(?:perlu|butuh|membutuhkan|memerlukan|mohon) (?:informasi|data|keterangan"
                r"|foto|lokasi|detail)",
                r"\b(?:informasi|data|keterangan|lokasi) (?:kurang|tidak lengkap|belum lengkap"
                r"|tidak jelas)",
                r"\bkurang lengkap",
                r"\bmohon dilengkapi",
                r"\bneeds? more (?:info|information|details)",
                r"\bmore information (?:is )?(?:needed|required)",
                r"\binsufficient (?:info|information|details)",
            ),
        ),
        (
            Outcome.DECLINED,
            (
                r"\bditolak",
                r"\btidak (?:dapat |bisa |akan )?(?:ditindaklanjuti|ditangani|diproses)",
                r"\btidak ditemukan",
                r"\bdibatalkan",
                r"\bdeclined",
                r"\brejected",
                r"\bwon'?t fix",
                r"\bcannot be (?:done|handled|fixed)",
                r"\bcould not (?:find|locate)",
                r"\bcancell?ed",
            ),
        ),
    )
)


def outcome_from_note(note: str | None) -> Outcome | None:
    """The first reason-not-done that the text names (see the order above), else None.

    >>> outcome_from_note("Duplikat laporan lain; bukan wewenang dinas kami")
    <Outcome.NOT_THEIRS: 'NOT_THEIRS'>
    """
    text = " ".join((note or "").lower().split())
    if not text:
        return None
    for outcome, pattern in _PATTERNS:
        if pattern.search(text):
            return outcome
    return None


def from_open311(request: dict[str, Any]) -> Answer | None:
    """One GeoReport v2 service request (an item of ``GET requests/{id}.json``):
    ``status`` open → ACCEPTED; closed → the module's rule; anything else → None."""
    status = _word(request.get("status"))
    if status == "open":
        return Answer(step="ACCEPTED")
    if status != "closed":
        return None
    explicit = parse_outcome(request.get("outcome"))
    if explicit is not None:
        return Answer(outcome=explicit)
    notes = request.get("status_notes")
    found = outcome_from_note(notes if isinstance(notes, str) else None)
    return Answer(outcome=found or Outcome.DONE)


# FHIR R4 Task.status → answer. draft, requested and entered-in-error say nothing new.
_FHIR_STEPS = {"received": "ACCEPTED", "accepted": "ACCEPTED", "ready": "ACCEPTED"}
_FHIR_OUTCOMES = {
    "completed": Outcome.DONE,
    "rejected": Outcome.DECLINED,
    "cancelled": Outcome.DECLINED,
    "failed": Outcome.DECLINED,
    "on-hold": Outcome.NEEDS_INFO,
}


def fhir_task_note(task: dict[str, Any]) -> str | None:
    """The Task's words: ``statusReason.text``, ``businessStatus.text`` and each
    ``note[].text``, joined with "; "."""
    parts: list[str] = []
    for key in ("statusReason", "businessStatus"):
        value = task.get(key)
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            parts.append(value["text"])
    notes = task.get("note")
    # FHIR says a list of Annotations; an agency may send anything (a number, true).
    for item in notes if isinstance(notes, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            parts.append(item["text"])
    text = "; ".join(p.strip() for p in parts if p.strip())
    return text or None


def from_fhir_task(task: dict[str, Any]) -> Answer | None:
    """A FHIR R4 Task: received/accepted/ready → ACCEPTED; in-progress → IN_PROGRESS;
    completed → DONE; on-hold → NEEDS_INFO; rejected, cancelled and failed → DECLINED,
    or DUPLICATE / NOT_THEIRS / NEEDS_INFO when the Task's reason text says so
    (:func:`outcome_from_note`). draft, requested, entered-in-error → None."""
    status = str(task.get("status") or "").strip().lower()
    if status == "in-progress":
        return Answer(step="IN_PROGRESS")
    if status in _FHIR_STEPS:
        return Answer(step=_FHIR_STEPS[status])
    outcome = _FHIR_OUTCOMES.get(status)
    if outcome is None:
        return None
    if outcome == Outcome.DECLINED:
        outcome = outcome_from_note(fhir_task_note(task)) or outcome
    return Answer(outcome=outcome)
