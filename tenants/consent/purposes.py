"""Why personal data is collected, and the lawful basis recorded for each purpose
(UU PDP No. 27/2022, Pasal 20 ayat (2): a consent, c legal obligation, d vital interest,
e public task or official authority).

A report to the police rests on the police's task and authority under the law and on
legal obligations, not on consent alone: withdrawing consent never undoes one, and a
report is never refused for a missing notice version. Sign-up rests on consent, but
ending it is closing the account (an erasure request), not a switch here.
"""

from __future__ import annotations

from dataclasses import dataclass

from jogo.platform.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class Purpose:
    """``name``; ``basis``: the lawful basis recorded with it (the first of ``articles``
    is the primary one); ``articles``: the points of Pasal 20 ayat (2) it rests on;
    ``withdrawable``: whether the person may withdraw it here."""

    name: str
    basis: str
    articles: tuple[str, ...]
    withdrawable: bool


PURPOSES: dict[str, Purpose] = {
    "report": Purpose(
        "report", "public_task", ("20(2)(e)", "20(2)(c)", "20(2)(d)"), withdrawable=False
    ),
    "sign_up": Purpose("sign_up", "consent", ("20(2)(a)",), withdrawable=False),
    "notifications": Purpose("notifications", "consent", ("20(2)(a)",), withdrawable=True),
    "sharing": Purpose("sharing", "consent", ("20(2)(a)",), withdrawable=True),
}
CONSENT_PURPOSES = ("notifications", "sharing")  # the table ``consents``
UNKNOWN_VERSION = "unknown"

REPORT_NOT_WITHDRAWABLE = (
    "Persetujuan untuk laporan tidak dapat ditarik: laporan kepada polisi diproses"
    " berdasarkan tugas dan kewenangan kepolisian serta kewajiban hukum (UU PDP Pasal 20"
    " ayat (2) huruf c dan e), bukan persetujuan semata, sehingga laporan yang sudah dibuat"
    " tetap menjadi catatan kepolisian. / Consent for reports cannot be withdrawn: a report"
    " to the police is processed under the police's task and authority and a legal"
    " obligation (UU PDP art. 20 (2) c and e), not consent alone, so a report already made"
    " remains a police record."
)
SIGN_UP_NOT_WITHDRAWABLE = (
    "Persetujuan pendaftaran berakhir dengan menutup akun: ajukan permintaan penghapusan"
    " data. / Sign-up consent ends by closing the account: make an erasure request."
)


class ConsentNotWithdrawable(Conflict):
    """Withdrawal of a purpose whose basis is not (only) consent (HTTP 409)."""

    code = "CONSENT_NOT_WITHDRAWABLE"


def check_purpose(value: str, *, field: str = "purpose") -> Purpose:
    """The :class:`Purpose` named ``value`` (``report``, ``sign_up``, ``notifications``,
    ``sharing``, any case); :class:`InvalidInput` on ``field`` otherwise."""
    purpose = PURPOSES.get((value or "").strip().lower())
    if purpose is None:
        raise InvalidInput(f"purpose must be one of {', '.join(PURPOSES)}", field=field)
    return purpose


def withdrawable(value: str) -> Purpose:
    """The purpose, when the person may withdraw it; :class:`ConsentNotWithdrawable` on
    ``purpose`` for ``report`` and ``sign_up`` (messages id+en saying why)."""
    purpose = check_purpose(value)
    if purpose.name == "report":
        raise ConsentNotWithdrawable(REPORT_NOT_WITHDRAWABLE, field="purpose")
    if not purpose.withdrawable:
        raise ConsentNotWithdrawable(SIGN_UP_NOT_WITHDRAWABLE, field="purpose")
    return purpose
