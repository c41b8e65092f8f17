"""Roles, API-key scopes and their capabilities, written out in full (issue 15, item 1).

The expected sets are literal, so "one capability too many" (or one too few) fails here
rather than in production. Change these tables only together with API.md and the README
(roles, API keys), on purpose.
"""

from __future__ import annotations

import pytest

from jogo.platform.auth.roles import ROLE_CAPS, SCOPE_CAPS, WRITE_CAPS, Cap, Role
from jogo.platform.errors import InvalidInput

CITIZEN = {"tenant:read", "reports:submit", "reports:read_own", "sharing:post", "account:own"}
OFFICER = CITIZEN | {
    "directory:read",
    "cameras:read",
    "reports:read_assigned",
    "reports:work",
    "election:read",
    "election:deployment",
}
OPERATOR = OFFICER | {
    "reports:read_all",
    "reports:triage",
    "reports:reporter_identity",
    "dispatch:update",
    "bulletins:write",
    "sharing:moderate",
    "election:board",
    "election:manage",
    "election:plan",
    "privacy:requests",  # issue 21: data-subject requests and legal holds
}
EXPECTED_ROLES = {
    "citizen": CITIZEN,
    "officer": OFFICER,
    "operator": OPERATOR,
    "tenant_admin": OPERATOR | {"tenant:admin", "directory:write", "webhooks:manage"},
    "agency_liaison": {"tenant:read", "directory:read", "dispatch:update", "account:own"},
    "polda_supervisor": {"national:read"},
    "national_supervisor": {"national:read"},
    "oversight_auditor": {"national:read", "audit:read"},
    "platform_admin": {"platform:admin"},
}
EXPECTED_SCOPES = {
    "reports:read": {"tenant:read", "reports:read_all"},
    "reports:write": {"tenant:read", "reports:read_all", "reports:submit", "reports:triage"},
    "agencies:read": {"tenant:read", "directory:read"},
    "agencies:write": {"tenant:read", "directory:read", "directory:write"},
    "bulletins:write": {"tenant:read", "bulletins:write"},
    "election:write": {"tenant:read", "election:read", "election:manage"},
    "webhooks:manage": {"tenant:read", "webhooks:manage"},  # issue 20: event webhooks
}
EXPECTED_WRITE_CAPS = {
    "directory:write",
    "reports:submit",
    "reports:work",
    "reports:triage",
    "tenant:admin",
    "dispatch:update",
    "bulletins:write",
    "sharing:post",
    "sharing:moderate",
    "election:manage",
    "election:plan",
    "platform:admin",
    "account:own",
    "webhooks:manage",
    "privacy:requests",
}


def test_the_roles_are_exactly_these():
    assert {r.value for r in Role} == set(EXPECTED_ROLES)
    assert {r.value for r in ROLE_CAPS} == set(EXPECTED_ROLES)


@pytest.mark.parametrize("role", sorted(EXPECTED_ROLES))
def test_each_role_grants_exactly_its_capabilities(role):
    assert {c.value for c in ROLE_CAPS[Role(role)]} == EXPECTED_ROLES[role]


@pytest.mark.parametrize("scope", sorted(EXPECTED_SCOPES))
def test_each_api_key_scope_grants_exactly_its_capabilities(scope):
    assert {c.value for c in SCOPE_CAPS[scope]} == EXPECTED_SCOPES[scope]


def test_the_scopes_are_exactly_these():
    assert set(SCOPE_CAPS) == set(EXPECTED_SCOPES)


def test_write_capabilities_are_exactly_these():
    assert {c.value for c in WRITE_CAPS} == EXPECTED_WRITE_CAPS


def test_read_only_scopes_and_roles_grant_no_write():
    for scope in ("reports:read", "agencies:read"):
        assert not {c.value for c in SCOPE_CAPS[scope]} & EXPECTED_WRITE_CAPS, scope
    for role in ("polda_supervisor", "national_supervisor", "oversight_auditor"):
        assert not {c.value for c in ROLE_CAPS[Role(role)]} & EXPECTED_WRITE_CAPS, role
    # No API key may change an account, administer a tenant or reach national data.
    every_scope = set().union(*({c.value for c in caps} for caps in SCOPE_CAPS.values()))
    assert not every_scope & {
        "account:own",
        "tenant:admin",
        "platform:admin",
        "national:read",
        "audit:read",
        "reports:reporter_identity",
        "cameras:read",
    }


def test_capability_names_are_stable():
    # Stored in API keys and tokens: renaming one silently drops it from old grants.
    values = {c.value for c in Cap}
    named = set().union(*EXPECTED_ROLES.values(), *EXPECTED_SCOPES.values())
    assert named <= values
    assert values - named == set()


@pytest.mark.parametrize("bad", ["", "admin", "superuser", "tenant-admin"])
def test_unknown_roles_are_refused(bad):
    from jogo.platform.auth.roles import parse_role

    with pytest.raises(InvalidInput) as raised:
        parse_role(bad)
    assert raised.value.field == "role"


def test_unknown_or_empty_scopes_are_refused():
    from jogo.platform.auth.roles import parse_scopes

    assert parse_scopes([" reports:read ", "reports:read", "agencies:read"]) == [
        "agencies:read",
        "reports:read",
    ]
    for bad in ([], [" "], ["reports:read", "reports:delete"], ["*"]):
        with pytest.raises(InvalidInput) as raised:
            parse_scopes(bad)
        assert raised.value.field == "scopes"


def test_roles_are_read_whatever_the_case_and_spacing():
    from jogo.platform.auth.roles import parse_role

    assert parse_role(" Tenant_Admin ") is Role.TENANT_ADMIN
    with pytest.raises(InvalidInput) as raised:
        parse_role("root")
    assert raised.value.message.startswith("unknown role 'root'; expected one of citizen, officer")


def test_the_first_unknown_scope_is_named():
    from jogo.platform.auth.roles import parse_scopes

    with pytest.raises(InvalidInput) as raised:
        parse_scopes(["zz:write", "reports:read", "aa:read"])
    assert raised.value.message == (
        "unknown scope 'aa:read'; expected some of reports:read, reports:write,"
        " agencies:read, agencies:write, bulletins:write, election:write, webhooks:manage"
    )
    with pytest.raises(InvalidInput) as raised:
        parse_scopes(["", "  "])
    assert raised.value.message == "an API key needs at least one scope"
