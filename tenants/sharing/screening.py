"""What makes a post wait for a moderator's explicit decision: links (spam, phishing,
hoaxes) and phone numbers (someone's private data, or a scam's call-back number)."""

from __future__ import annotations

import re

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_DOMAIN = re.compile(
    r"(?i)\b[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"\.(?:com|net|org|id|co\.id|go\.id|or\.id|ly|me|io|info|xyz|link|site|online|app|biz|gl)"
    r"\b(?:/\S*)?"
)
# Digits with at most two separators between them: "0812-3456-7890", "+62 812 3456 7890",
# "(0341) 551234". Dates and times ("2026-11-27 14.30") do not start with 0 or 62.
_NUMBER = re.compile(r"\+?\(?\d(?:[\s.()-]{0,2}\d){7,18}")


def _phone(digits: str) -> bool:
    if len(digits) >= 14:  # too long for a date; could be a phone or an identity number
        return True
    return 9 <= len(digits) <= 13 and (digits.startswith("0") or digits.startswith("62"))


def hold_reasons(text: str) -> list[str]:
    reasons = []
    if _URL.search(text) or _DOMAIN.search(text):
        reasons.append("LINK")
    if any(_phone(re.sub(r"\D", "", m.group())) for m in _NUMBER.finditer(text)):
        reasons.append("PHONE")
    return reasons
