"""What makes a post wait for a moderator's explicit decision: links (spam, phishing,
hoaxes) and phone numbers (someone's private data, or a scam's call-back number)."""

from __future__ import annotations

import re

from jogo.platform import contacts

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_DOMAIN = re.compile(
    r"(?i)\b[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"\.(?:com|net|org|id|co\.id|go\.id|or\.id|ly|me|io|info|xyz|link|site|online|app|biz|gl)"
    r"\b(?:/\S*)?"
)
# Identity and account numbers (NIK has 16 digits) are someone's private data too; they
# are no phone number, so the phone matcher leaves them alone.
_LONG_NUMBER = re.compile(r"\d(?:[\s.-]?\d){13,}")


def has_phone(text: str) -> bool:
    """Whether ``text`` writes a valid phone number of any country (phonenumbers'
    matcher, region ID for numbers without a country code: ``0812-3456-7890``,
    ``(0341) 551234``, ``+60 12-345 6789``) or a run of 14 or more digits. Dates and
    times (``2026-11-27 14.30``) are neither."""
    return bool(contacts.phones_in(text)) or bool(_LONG_NUMBER.search(text))


def hold_reasons(text: str) -> list[str]:
    """``LINK`` and/or ``PHONE``, in that order; empty when the text may go to the
    moderation queue as usual."""
    reasons = []
    if _URL.search(text) or _DOMAIN.search(text):
        reasons.append("LINK")
    if has_phone(text):
        reasons.append("PHONE")
    return reasons
