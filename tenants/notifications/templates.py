"""The texts citizens receive: Bahasa Indonesia first, English when the person chose it.

:data:`TEMPLATES` maps a template name to ``(Bahasa Indonesia, English)``, each a
``str.format`` text. :func:`render` fills one in; a parameter the caller did not give
is left as ``{name}`` rather than failing a delivery. SMS and WhatsApp bodies stay short
(one SMS segment where it can: no report descriptions, no personal data beyond what
the person gave us).

Two parameters are added by the deliverer when it writes a message out, so callers
never pass them: ``command`` (the command's name) and, for a report, ``url`` (its
no-JavaScript tracking page, ``{JOGO_PUBLIC_URL}/t/{slug}/lacak?ticket=…``).
"""

from __future__ import annotations

import string
from typing import Any

# Report statuses as a citizen reads them (same words as the web clients).
STATUS_NAMES: dict[str, tuple[str, str]] = {
    "SUBMITTED": ("Masuk", "Submitted"),
    "VERIFIED": ("Terverifikasi", "Verified"),
    "DISPATCHED": ("Diteruskan ke instansi", "Passed to the agency"),
    "IN_PROGRESS": ("Ditangani", "In progress"),
    "RESOLVED": ("Selesai", "Resolved"),
    "CLOSED": ("Ditutup", "Closed"),
    "REJECTED": ("Ditolak", "Rejected"),
}

TEMPLATES: dict[str, tuple[str, str]] = {
    "otp_code": (
        "Kode masuk {command}: {code}. Berlaku {minutes} menit. Jangan berikan kepada siapa pun.",
        "Your {command} sign-in code: {code}. Valid for {minutes} minutes. Do not share it.",
    ),
    "report_received": (
        "Laporan Anda diterima {command}. Tiket: {ticket}. PIN: {pin}. Lacak: {url}",
        "{command} received your report. Ticket: {ticket}. PIN: {pin}. Track: {url}",
    ),
    "report_status": (
        "Laporan {ticket}: status kini {status}. Lacak: {url}",
        "Report {ticket}: status is now {status}. Track: {url}",
    ),
    "report_transferred": (
        "Laporan {ticket} dialihkan ke {command}, yang kini menanganinya. Lacak: {url}",
        "Report {ticket} was transferred to {command}, which now handles it. Track: {url}",
    ),
    "report_note": (
        "Laporan {ticket}: pesan baru dari petugas: {note}",
        "Report {ticket}: new message from the officers: {note}",
    ),
}


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(name: str, params: dict[str, Any], locale: str = "id") -> str:
    """The text of template ``name`` in ``locale`` (``id`` or ``en``; anything else is
    ``id``) with ``params`` filled in; a ``status`` parameter that is a report status
    (``RESOLVED``) is written in the locale's words. Raises ``KeyError`` for an unknown
    template name."""
    indonesian, english = TEMPLATES[name]
    text = english if locale == "en" else indonesian
    values = _Keep(params)
    status = params.get("status")
    if isinstance(status, str) and status in STATUS_NAMES:
        values["status"] = STATUS_NAMES[status][1 if locale == "en" else 0]
    return string.Formatter().vformat(text, (), values)
