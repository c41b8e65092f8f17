"""Masking personal data in a report's free text for national views.

The database function ``oversight_reports`` masks first (exact reporter values, e-mail
addresses, runs of 8 or more digits); :func:`redact` then masks, on its output, what an
exact match misses:

- the reporter's own name and address in any letter case, with any run of whitespace or
  punctuation (line breaks included) between their parts: for "Budi Santoso",
  ``BUDI SANTOSO``, ``budi  santoso``, ``Budi\\nSantoso``, ``Budi.Santoso``,
  ``BudiSantoso`` → ``[nama]``; a name also in reverse order (``Santoso, Budi``) and with
  its first parts as initials (``B. Santoso``, ``B Santoso``);
- names, addresses and street words are matched on a folded copy of the text (see
  :func:`_fold`): accents (``Santosó``), full-width letters, invisible
  characters (zero-width space, soft hyphen) and Cyrillic/Greek look-alike letters
  (``Budi`` with a Cyrillic Ve for the B) do not hide them;
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

import functools
import re
import unicodedata

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


# Cyrillic and Greek letters drawn like Latin ones, as the Latin letter they pass for.
_LOOK_ALIKES = str.maketrans(
    "\u0410\u0412\u0415\u0417\u0406\u0408\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423\u0425\u0405\u0430\u0435\u0456\u0458\u043e\u0440\u0441"
    "\u0443\u0445\u0455\u0501\u04bb\u04cf\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf\u03bd\u03c1",
    "ABE3IJKMHOPCTYXSaeijopcyxsdhlABEZHIKMNOPTYXovp",
)


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """One character folded (see :func:`_fold`); may be empty or several letters."""
    parts = unicodedata.normalize("NFKD", char.translate(_LOOK_ALIKES))
    return "".join(
        p.translate(_LOOK_ALIKES)
        for p in parts
        if not unicodedata.combining(p) and unicodedata.category(p) != "Cf"
    )


def _fold(text: str) -> tuple[str, list[int]]:
    """``text`` folded for matching, and for each folded character the index of the
    character of ``text`` it came from (plus ``len(text)`` at the end). Folding: NFKD
    (full-width and ligatures to plain letters), combining marks and invisible format
    characters (zero-width, soft hyphen) dropped, look-alike letters made Latin."""
    folded: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        part = char if char.isascii() else _fold_char(char)
        folded.append(part)
        index.extend([i] * len(part))
    index.append(len(text))
    return "".join(folded), index


def _sub_folded(pattern: re.Pattern[str], mask: str, text: str) -> str:
    """``text`` with every match of ``pattern`` in its :func:`_fold` replaced by
    ``mask`` (the span of the original characters the match came from)."""
    if text.isascii():  # nothing to fold: the common case, at regex speed
        return pattern.sub(mask, text)
    folded, index = _fold(text)
    spans = [
        (index[m.start()], index[m.end() - 1] + 1)
        for m in pattern.finditer(folded)
        if m.end() > m.start()
    ]
    for start, end in reversed(spans):
        text = text[:start] + mask + text[end:]
    return text


def _parts_pattern(value: str | None, *, name: bool = False) -> re.Pattern[str] | None:
    """``value``'s words joined by any run of whitespace or punctuation, whole words
    only, any letter case, on folded text; None when it has fewer than 2 letters or
    digits. ``name``: also the words in reverse order, and the first words as initials
    (``B. Santoso``)."""
    parts = _PART.findall(_fold(value or "")[0])
    if sum(len(p) for p in parts) < 2:
        return None
    forms = [_GAP.join(re.escape(p) for p in parts)]
    if name and len(parts) > 1:
        forms.append(_GAP.join(re.escape(p) for p in reversed(parts)))
        initials = [rf"{re.escape(p[0])}(?![^\W_])\.?" for p in parts[:-1]]
        forms.append(_GAP.join([*initials, re.escape(parts[-1])]))
    joined = "|".join(f"(?:{form})" for form in forms)
    return re.compile(rf"(?<![^\W_])(?:{joined})(?![^\W_])", re.IGNORECASE)


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
    # Separators only after a prefix: without one, the number starts at its first digit
    # (the letters before it are not part of it).
    prefix = rf"(?:(?:\+?{code}|\(?0)\D{{0,3}})?"
    body = r"\D{0,3}".join(national)
    return re.compile(rf"(?<!\d){prefix}{body}(?!\d)")


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
    text = _EMAIL.sub(EMAIL_MASK, text)
    for folded_pattern, mask in (
        (_parts_pattern(address), ADDRESS_MASK),
        (_parts_pattern(name, name=True), NAME_MASK),
        (_STREET, ADDRESS_MASK),
    ):
        if folded_pattern is not None:
            text = _sub_folded(folded_pattern, mask, text)
    own_phone = _own_phone_pattern(phone)
    if own_phone is not None:
        text = own_phone.sub(PHONE_MASK, text)
    text = _mask_phones(text)
    return _DIGITS.sub(NUMBER_MASK, text)
