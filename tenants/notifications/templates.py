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
    # Staff: the breach clock of UU PDP Pasal 46 running down (tenants/breaches/sweep.py),
    # to the command's tenant admins. No incident text: only its reference and times.
    "breach_escalation": (
        "UU PDP {command}: insiden {reference} ({stage}). Ditemukan {found}; batas"
        " pemberitahuan ke subjek data dan lembaga {due}. Belum dicatat: {pending}.",
        "UU PDP {command}: incident {reference} ({stage_en}). Found {found_en}; the subjects"
        " and the authority must be notified by {due_en}. Not yet recorded: {pending_en}.",
    ),
    # Reports by WhatsApp and SMS (tenants/intake/): the questions of the conversation.
    "intake_ask_description": (
        "Halo, ini layanan laporan {command}. Ceritakan apa yang terjadi (minimal 10 huruf)."
        " Ketik BATAL untuk membatalkan.",
        "Hello, this is the {command} report service. Tell us what happened (at least 10"
        " letters). Type CANCEL to stop.",
    ),
    "intake_description_short": (
        "Mohon ceritakan lebih lengkap apa yang terjadi (minimal 10 huruf).",
        "Please tell us more about what happened (at least 10 letters).",
    ),
    "intake_ask_category": (
        "Terima kasih. Pilih kategori, balas dengan nomornya:\n{categories}",
        "Thank you. Choose a category, reply with its number:\n{categories}",
    ),
    "intake_category_unknown": (
        "Kategori tidak dikenali. Balas dengan nomor dari daftar:\n{categories}",
        "Category not recognised. Reply with a number from the list:\n{categories}",
    ),
    "intake_ask_place_whatsapp": (
        "Di mana kejadiannya? Bagikan lokasi (ikon lampiran > Lokasi), atau tulis alamat"
        " atau nama tempatnya.",
        "Where did it happen? Share a location (attach icon > Location), or write the"
        " address or the name of the place.",
    ),
    "intake_place_unknown_whatsapp": (
        "Lokasi belum dapat dikenali. Mohon bagikan lokasi (ikon lampiran > Lokasi).",
        "We could not place that. Please share a location (attach icon > Location).",
    ),
    "intake_ask_place_sms": (
        "Di mana kejadiannya? Balas dengan alamat atau nama tempat (jalan, kelurahan),"
        " atau koordinat seperti -7.98, 112.63.",
        "Where did it happen? Reply with the address or the name of the place (street,"
        " village), or coordinates such as -7.98, 112.63.",
    ),
    "intake_place_unknown_sms": (
        "Lokasi belum dapat dikenali. Balas dengan koordinat seperti -7.98, 112.63.",
        "We could not place that. Reply with coordinates such as -7.98, 112.63.",
    ),
    "intake_cancelled": (
        "Laporan dibatalkan. Kirim pesan baru kapan saja untuk melapor.",
        "Report cancelled. Send a new message at any time to report.",
    ),
    "intake_limited": (
        "Terlalu banyak laporan dari nomor ini. Coba lagi nanti, atau hubungi 110 bila darurat.",
        "Too many reports from this number. Try again later, or call 110 in an emergency.",
    ),
    "intake_failed": (
        "Maaf, laporan belum dapat dibuat. Kirim pesan baru untuk mencoba lagi, atau"
        " hubungi 110 bila darurat.",
        "Sorry, the report could not be made. Send a new message to try again, or call 110"
        " in an emergency.",
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
