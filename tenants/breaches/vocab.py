"""The closed vocabularies of the breach register: which kinds of personal data, and whose.

Codes, not free text, so national oversight can count them across commands without
reading anything a person wrote (names slip into free text). Each code has its Bahasa
Indonesia and English name, for the notices and the export.
"""

from __future__ import annotations

from collections.abc import Iterable

from jogo.platform.errors import InvalidInput

# Kinds of personal data the product holds (see tenants/processing/catalogue.py).
# SPECIFIC: "Data Pribadi yang bersifat spesifik" (UU PDP Pasal 4 ayat 2: health,
# biometrics, criminal records, children's data...).
DATA_CATEGORIES: dict[str, tuple[str, str]] = {
    "IDENTITY": ("Identitas (nama, NIK)", "Identity (name, NIK)"),
    "CONTACT": ("Kontak (nomor telepon, e-mail)", "Contact (phone number, e-mail)"),
    "LOCATION": ("Lokasi dan alamat", "Location and address"),
    "REPORT_CONTENT": ("Isi laporan dan catatan", "Report content and notes"),
    "PHOTOS": ("Foto", "Photos"),
    "ACCOUNT": ("Akun dan kredensial", "Accounts and credentials"),
    "COMMUNICATIONS": (
        "Pesan WhatsApp/SMS dan alamat notifikasi",
        "WhatsApp/SMS messages and notification addresses",
    ),
    "SPECIFIC": (
        "Data pribadi yang bersifat spesifik (kesehatan, anak, catatan kejahatan)",
        "Specific personal data (health, children, criminal records)",
    ),
}

SUBJECT_CATEGORIES: dict[str, tuple[str, str]] = {
    "REPORTERS": ("Pelapor", "Reporters"),
    "CITIZEN_ACCOUNTS": ("Warga pemilik akun", "Citizens with accounts"),
    "THIRD_PARTIES": ("Pihak lain yang disebut dalam laporan", "Others named in reports"),
    "STAFF": ("Personel dan petugas", "Staff and officers"),
    "AGENCY_CONTACTS": ("Kontak instansi", "Agency contacts"),
}


def check_codes(
    values: Iterable[str], vocabulary: dict[str, tuple[str, str]], field: str
) -> list[str]:
    """``values`` trimmed, upper-cased, de-duplicated and in vocabulary order. Raises
    :class:`InvalidInput` on ``field`` when none is given or one is unknown (naming it and
    the valid codes)."""
    given = {v.strip().upper() for v in values if v and v.strip()}
    unknown = sorted(given - set(vocabulary))
    if unknown:
        raise InvalidInput(
            f"unknown code {unknown[0]!r}; expected some of {', '.join(vocabulary)}", field=field
        )
    if not given:
        raise InvalidInput("give at least one code", field=field)
    return [code for code in vocabulary if code in given]


def names(codes: Iterable[str], vocabulary: dict[str, tuple[str, str]], locale: str) -> str:
    """The codes' names in ``locale`` (``id`` or ``en``), comma-separated; an unknown code
    as itself."""
    index = 1 if locale == "en" else 0
    return ", ".join(vocabulary[c][index] if c in vocabulary else c for c in codes)
