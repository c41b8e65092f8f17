"""Phone numbers and e-mail addresses: parsed, validated and found by libraries, not by
hand-written patterns.

- Phones go through ``phonenumbers`` (Google's libphonenumber): a number without a
  country code is read as Indonesian (region ``ID``); it must be a *valid* number for
  its country (so ``0000000000`` or ``0812`` are refused), and it is stored as E.164
  (``+6281234567890``).
- Phones in free text are found with ``phonenumbers.PhoneNumberMatcher`` (region ``ID``,
  leniency ``VALID``): ``0812-3456-7890``, ``(0341) 551234``, ``+60 12-345 6789``,
  ``wa.me/6281234567890``; dates such as ``2026-11-27 14.30`` are not numbers.
- E-mail addresses go through ``email-validator`` (syntax only, no DNS:
  ``check_deliverability=False``) and are stored in its normalised form (the domain
  lower-cased and IDNA-normalised, the local part kept).

Errors: :class:`InvalidInput` (code ``INVALID_INPUT``) naming the caller's ``field``,
with a Bahasa Indonesia message and English beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import shortnumberinfo

from jogo.platform.errors import InvalidInput

DEFAULT_REGION = "ID"
MAX_PHONE_CHARS = 40  # "+62 (0) 812-3456-7890 ext. 123" and room to spare
MAX_EMAIL_CHARS = 254  # RFC 5321 path limit

PHONE_MESSAGE = (
    "Nomor telepon tidak sah; contoh 0812 3456 7890 atau +62 812 3456 7890. /"
    " Not a valid phone number; e.g. 0812 3456 7890 or +62 812 3456 7890."
)
EMAIL_MESSAGE = "Alamat e-mail tidak sah. / Not a valid e-mail address."


@dataclass(frozen=True)
class FoundPhone:
    """A phone number found in text: ``text[start:end]`` is how it was written,
    ``e164`` the number itself (``+6281234567890``)."""

    start: int
    end: int
    e164: str


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_phone(
    raw: str,
    region: str = DEFAULT_REGION,
    *,
    countries: frozenset[str] | None = None,
    short: bool = False,
) -> str | None:
    """``raw`` as E.164 when it is a valid number (national numbers read in ``region``),
    otherwise None. ``countries`` (ISO 3166 codes such as ``{"ID"}``) limits where the
    number may be; ``short`` also admits the region's valid short numbers (``110``,
    ``112``, ``113``), returned as their digits. Never raises."""
    text = (raw or "").strip()
    if not text or len(text) > MAX_PHONE_CHARS:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if short and shortnumberinfo.is_valid_short_number_for_region(number, region):
        return phonenumbers.national_significant_number(number)
    if not phonenumbers.is_valid_number(number):
        return None
    if countries is not None and phonenumbers.region_code_for_number(number) not in countries:
        return None
    return _e164(number)


def normalise_phone(
    raw: str,
    field: str,
    region: str = DEFAULT_REGION,
    *,
    countries: frozenset[str] | None = None,
    short: bool = False,
    message: str = PHONE_MESSAGE,
) -> str:
    """The E.164 form of a valid phone number (see :func:`parse_phone`);
    :class:`InvalidInput` on ``field`` otherwise (``0000000000``, too short, letters, an
    unknown country code, a country outside ``countries``)."""
    e164 = parse_phone(raw, region, countries=countries, short=short)
    if e164 is None:
        raise InvalidInput(message, field=field)
    return e164


def phones_in(text: str, region: str = DEFAULT_REGION) -> list[FoundPhone]:
    """Every valid phone number written in ``text``, in order, with its span."""
    return [
        FoundPhone(m.start, m.end, _e164(m.number))
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    ]


def normalise_email(raw: str, field: str) -> str:
    """The normalised form of a syntactically valid e-mail address (no DNS look-up);
    :class:`InvalidInput` on ``field`` otherwise (``x..id``, ``"><script>@x.id``, no
    domain, a domain without a dot)."""
    text = (raw or "").strip()
    if not text or len(text) > MAX_EMAIL_CHARS:
        raise InvalidInput(EMAIL_MESSAGE, field=field)
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(EMAIL_MESSAGE, field=field) from None


def directory_phone(raw: str, field: str) -> str:
    """A directory phone (agency, contact, police post): any valid number (national
    numbers read as Indonesian), stored as E.164, or a valid Indonesian short number
    such as ``110`` or ``112``."""
    return normalise_phone(raw, field, short=True)


def checked(
    value: str | None,
    field_name: str,
    check: Callable[[str, str], str],
    errors: list[InvalidInput],
) -> str | None:
    """``check(value, field_name)`` for a value that was given, None for an empty one;
    a refusal is added to ``errors`` (so every field's error is reported at once)."""
    if value is None or not str(value).strip():
        return None
    try:
        return check(str(value), field_name)
    except InvalidInput as exc:
        errors.append(exc)
        return None
