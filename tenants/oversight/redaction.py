"""Masking personal data in a report's free text for national views.

The database function ``oversight_reports`` masks first (exact reporter values, e-mail
addresses, runs of 8 or more digits); :func:`redact` then masks, on its output, what an
exact match misses:

- the reporter's own name and address in any letter case, with any run of whitespace or
  punctuation (line breaks included) between their parts: for "Budi Santoso",
  ``BUDI SANTOSO``, ``budi  santoso``, ``Budi\\nSantoso``, ``Budi.Santoso``,
  ``BudiSantoso`` → ``[nama]``;
- street addresses written in the text, ``Jl.``/``Jln``/``Jalan``/``Gg.``/``Gang``
  followed by a name and a house number (``Jl. Kawi No. 17``, ``JALAN IJEN 5``,
  ``Gg. Mawar III no.2``) → ``[alamat]``;
- the reporter's own phone however it is written (``0812 3456 7890``, ``+62-812-…``,
  ``62812…``) and every phone number phonenumbers' ``PhoneNumberMatcher`` finds (region
  ``ID``; ``+60 12-345 6789`` too) → ``[telepon]``;
- e-mail addresses → ``[email]``; remaining runs of 8 or more digits (NIK, account
  numbers) → ``[angka]``, as the database function does.

Pure functions over ``str``; nothing here reads or writes the database.
"""

from __future__ import annotations

import re

import phonenumbers

from jogo.platform import contacts

NAME_MASK, ADDRESS_MASK, PHONE_MASK = "[nama]", "[alamat]", "[telepon]"
EMAIL_MASK, NUMBER_MASK = "[email]", "[angka]"

# Between the parts of a name or address: any run of whitespace or punctuation, or
# nothing ("BudiSantoso", "budi_santoso@…").
_GAP = r"[\W_]*"
_PART = re.compile(r"[^\W_]+")
# A street address: the street word, a name of up to 6 words, a house number.
_STREET = re.compile(
    r"(?<!\w)(?:jalan|jln|jl|gang|gg)(?!\w)\.?[\W_]*"
    r"[^\W\d_][\w'\u2019.-]*(?:\s+[^\W\d_][\w'\u2019.-]*){0,5}"
    r"[\s,.:]*(?:(?:no|nomor|nomer)(?!\w)\.?[\s:]*|#\s*)?"
    r"\d+[a-z]?(?:\s*[/-]\s*\d+[a-z]?)?(?!\w)",
    re.IGNORECASE,
)
# The same patterns as oversight_redact() in the database.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_DIGITS = re.compile(r"\+?[0-9](?:[\s./()-]*[0-9]){7,}")


def _parts_pattern(value: str | None) -> re.Pattern[str] | None:
    """``value``'s words joined by any run of whitespace or punctuation, whole words
    only, any letter case; None when it has fewer than 2 letters or digits."""
    parts = _PART.findall(value or "")
    if sum(len(p) for p in parts) < 2:
        return None
    joined = _GAP.join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![^\W_]){joined}(?![^\W_])", re.IGNORECASE)


def _own_phone_pattern(phone: str | None) -> re.Pattern[str] | None:
    """The reporter's number (stored as E.164) however it is written: with ``+62``,
    ``62`` or ``0`` in front, and up to 3 separators between any two digits."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, contacts.DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.national_significant_number(number)
    if len(national) < 6:
        return None
    code = str(number.country_code)
    prefix = rf"(?:\+?{code}|\(?0)?"
    body = r"\D{0,3}".join(national)
    return re.compile(rf"(?<!\d){prefix}\D{{0,3}}{body}(?!\d)")


def _mask_phones(text: str) -> str:
    found = contacts.phones_in(text)
    for phone in reversed(found):
        start = phone.start
        if text[start] == "(" and ")" not in text[start : phone.end]:
            start += 1  # "(0812-3456-7890)": the bracket encloses the number
        text = text[:start] + PHONE_MASK + text[phone.end :]
    return text


def redact(
    text: str | None, *, name: str | None, phone: str | None, address: str | None
) -> str | None:
    """``text`` with the reporter's own name, address and phone, street addresses,
    phone numbers, e-mail addresses and long digit runs masked (see the module)."""
    if not text:
        return text
    for pattern, mask in (
        (_EMAIL, EMAIL_MASK),
        (_parts_pattern(address), ADDRESS_MASK),
        (_parts_pattern(name), NAME_MASK),
        (_STREET, ADDRESS_MASK),
        (_own_phone_pattern(phone), PHONE_MASK),
    ):
        if pattern is not None:
            text = pattern.sub(mask, text)
    text = _mask_phones(text)
    return _DIGITS.sub(NUMBER_MASK, text)
