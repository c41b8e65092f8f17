"""Every capability a role or key can be granted is checked somewhere in the code.

A capability granted but checked nowhere promises a protection that does not exist
(``national:unredacted`` was one: the national drill-down is redacted for every role).
"""

from __future__ import annotations

import re
from pathlib import Path

from jogo.platform.auth.roles import ROLE_CAPS, SCOPE_CAPS, Cap

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("platform", "tenants", "graphql", "workers")


def _checked_names() -> set[str]:
    """Every ``Cap.NAME`` used in product code outside the table that grants them."""
    grants = ROOT / "platform" / "auth" / "roles.py"
    names: set[str] = set()
    for top in SOURCES:
        for path in (ROOT / top).rglob("*.py"):
            if path == grants:
                continue
            for line in path.read_text().splitlines():
                # Sorting capabilities into global and tenant ones checks none of them.
                if not line.startswith("GLOBAL_CAPS ="):
                    names.update(re.findall(r"\bCap\.([A-Z_]+)\b", line))
    return names


def test_the_scan_sees_the_checks() -> None:
    names = _checked_names()
    assert {"NATIONAL_READ", "AUDIT_READ", "REPORTS_TRIAGE"} <= names


def test_every_granted_capability_is_checked() -> None:
    granted = set().union(*ROLE_CAPS.values(), *SCOPE_CAPS.values())
    unchecked = sorted(c.name for c in granted if c.name not in _checked_names())
    assert unchecked == []


def test_no_unredacted_capability_exists() -> None:
    assert "national:unredacted" not in {c.value for c in Cap}
