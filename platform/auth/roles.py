"""Roles (API.md) and the capabilities each one grants.

Resolvers never test role names: they ask for a capability, and this table says which
roles and API-key scopes grant it. One table, so every audience checks the same way.
"""

from __future__ import annotations

from enum import StrEnum

from jogo.platform.errors import InvalidInput


class Role(StrEnum):
    CITIZEN = "citizen"
    OFFICER = "officer"
    OPERATOR = "operator"
    TENANT_ADMIN = "tenant_admin"
    AGENCY_LIAISON = "agency_liaison"
    POLDA_SUPERVISOR = "polda_supervisor"
    NATIONAL_SUPERVISOR = "national_supervisor"
    OVERSIGHT_AUDITOR = "oversight_auditor"
    PLATFORM_ADMIN = "platform_admin"


TENANT_ROLES = frozenset(
    {Role.CITIZEN, Role.OFFICER, Role.OPERATOR, Role.TENANT_ADMIN, Role.AGENCY_LIAISON}
)
NATIONAL_ROLES = frozenset(
    {Role.POLDA_SUPERVISOR, Role.NATIONAL_SUPERVISOR, Role.OVERSIGHT_AUDITOR}
)


class Cap(StrEnum):
    """Capabilities. Tenant capabilities hold within one tenant; the rest are global.

    Seeing an object never implies changing it: every mutation asks for one of
    :data:`WRITE_CAPS`, and no read-only API-key scope grants one."""

    TENANT_READ = "tenant:read"
    DIRECTORY_READ = "directory:read"
    DIRECTORY_WRITE = "directory:write"
    CAMERAS_READ = "cameras:read"  # camera locations and stream URLs: police staff only
    REPORTS_SUBMIT = "reports:submit"  # also a reporter's follow-up note on their own report
    REPORTS_READ_OWN = "reports:read_own"
    REPORTS_READ_ASSIGNED = "reports:read_assigned"
    REPORTS_READ_ALL = "reports:read_all"
    REPORTS_WORK = "reports:work"  # move an assigned report on, write staff notes on it
    REPORTS_TRIAGE = "reports:triage"
    REPORTER_IDENTITY = "reports:reporter_identity"
    TENANT_ADMIN = "tenant:admin"
    DISPATCH_UPDATE = "dispatch:update"
    BULLETINS_WRITE = "bulletins:write"
    SHARING_POST = "sharing:post"
    SHARING_MODERATE = "sharing:moderate"
    ELECTION_READ = "election:read"
    ELECTION_BOARD = "election:board"  # the election-day board of TPS and their incidents
    ELECTION_DEPLOYMENT = "election:deployment"  # the police deployment plan, named officers
    ELECTION_MANAGE = "election:manage"  # the polling stations themselves
    ELECTION_PLAN = "election:plan"  # deployment rules and named officers
    NATIONAL_READ = "national:read"
    AUDIT_READ = "audit:read"
    PLATFORM_ADMIN = "platform:admin"
    # Event webhooks: subscribe endpoints, rotate their secrets, read and replay deliveries.
    WEBHOOKS_MANAGE = "webhooks:manage"
    # A signed-in person's own account (password, sign-out); never an API key's.
    OWN_ACCOUNT = "account:own"
    # Data-subject requests on a person's behalf and legal holds (UU PDP); never a key's.
    PRIVACY_REQUESTS = "privacy:requests"


_citizen = {
    Cap.TENANT_READ,
    Cap.REPORTS_SUBMIT,
    Cap.REPORTS_READ_OWN,
    Cap.SHARING_POST,
    Cap.OWN_ACCOUNT,
}
_officer = _citizen | {
    Cap.DIRECTORY_READ,
    Cap.CAMERAS_READ,
    Cap.REPORTS_READ_ASSIGNED,
    Cap.REPORTS_WORK,
    Cap.ELECTION_READ,
    Cap.ELECTION_DEPLOYMENT,
}
_operator = _officer | {
    Cap.REPORTS_READ_ALL,
    Cap.REPORTS_TRIAGE,
    Cap.REPORTER_IDENTITY,
    Cap.DISPATCH_UPDATE,
    Cap.BULLETINS_WRITE,
    Cap.SHARING_MODERATE,
    Cap.ELECTION_BOARD,
    Cap.ELECTION_MANAGE,
    Cap.ELECTION_PLAN,
    Cap.PRIVACY_REQUESTS,
}

ROLE_CAPS: dict[Role, frozenset[Cap]] = {
    Role.CITIZEN: frozenset(_citizen),
    Role.OFFICER: frozenset(_officer),
    Role.OPERATOR: frozenset(_operator),
    Role.TENANT_ADMIN: frozenset(
        _operator | {Cap.TENANT_ADMIN, Cap.DIRECTORY_WRITE, Cap.WEBHOOKS_MANAGE}
    ),
    Role.AGENCY_LIAISON: frozenset(
        {Cap.TENANT_READ, Cap.DIRECTORY_READ, Cap.DISPATCH_UPDATE, Cap.OWN_ACCOUNT}
    ),
    Role.POLDA_SUPERVISOR: frozenset({Cap.NATIONAL_READ}),
    Role.NATIONAL_SUPERVISOR: frozenset({Cap.NATIONAL_READ}),
    Role.OVERSIGHT_AUDITOR: frozenset({Cap.NATIONAL_READ, Cap.AUDIT_READ}),
    Role.PLATFORM_ADMIN: frozenset({Cap.PLATFORM_ADMIN}),
}

# API-key scopes an integrator can be given, and the tenant capabilities each grants.
SCOPE_CAPS: dict[str, frozenset[Cap]] = {
    "reports:read": frozenset({Cap.TENANT_READ, Cap.REPORTS_READ_ALL}),
    # Triage needs to find the report it acts on, so writing implies reading.
    "reports:write": frozenset(
        {Cap.TENANT_READ, Cap.REPORTS_READ_ALL, Cap.REPORTS_SUBMIT, Cap.REPORTS_TRIAGE}
    ),
    "agencies:read": frozenset({Cap.TENANT_READ, Cap.DIRECTORY_READ}),
    "agencies:write": frozenset({Cap.TENANT_READ, Cap.DIRECTORY_READ, Cap.DIRECTORY_WRITE}),
    # e.g. a weather service or the city's traffic centre publishing its own bulletins.
    "bulletins:write": frozenset({Cap.TENANT_READ, Cap.BULLETINS_WRITE}),
    # e.g. the KPU's or a Bawaslu office's system keeping the TPS list up to date.
    "election:write": frozenset({Cap.TENANT_READ, Cap.ELECTION_READ, Cap.ELECTION_MANAGE}),
    # An integrator's own event webhooks. Report events also need reports:read on the same
    # key (tenants/webhooks/actions.py); a key never receives reporter identity.
    "webhooks:manage": frozenset({Cap.TENANT_READ, Cap.WEBHOOKS_MANAGE}),
}

# What a mutation may ask for. Every other capability only lets its holder see.
WRITE_CAPS = frozenset(
    {
        Cap.DIRECTORY_WRITE,
        Cap.REPORTS_SUBMIT,
        Cap.REPORTS_WORK,
        Cap.REPORTS_TRIAGE,
        Cap.TENANT_ADMIN,
        Cap.DISPATCH_UPDATE,
        Cap.BULLETINS_WRITE,
        Cap.SHARING_POST,
        Cap.SHARING_MODERATE,
        Cap.ELECTION_MANAGE,
        Cap.ELECTION_PLAN,
        Cap.PLATFORM_ADMIN,
        Cap.OWN_ACCOUNT,
        Cap.WEBHOOKS_MANAGE,
        Cap.PRIVACY_REQUESTS,
    }
)


def parse_role(value: str) -> Role:
    """A :class:`Role` from its value, trimmed and in any letter case. Raises :class:`InvalidInput`
    on ``role``, naming the valid roles."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"unknown role {value!r}; expected one of {', '.join(r.value for r in Role)}",
            field="role",
        ) from None


def parse_scopes(values: list[str]) -> list[str]:
    """API-key scopes, trimmed, de-duplicated and sorted; each must be a key of ``SCOPE_CAPS``.
    Raises :class:`InvalidInput` on ``scopes`` when none is given or one is unknown."""
    scopes = sorted({v.strip() for v in values if v.strip()})
    if not scopes:
        raise InvalidInput("an API key needs at least one scope", field="scopes")
    unknown = [s for s in scopes if s not in SCOPE_CAPS]
    if unknown:
        raise InvalidInput(
            f"unknown scope {unknown[0]!r}; expected some of {', '.join(SCOPE_CAPS)}",
            field="scopes",
        )
    return scopes
