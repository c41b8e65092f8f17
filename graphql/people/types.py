"""People of a command, as its admins see them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from jogo.graphql.errors import UserError
from jogo.graphql.reports.types import PageInfo


@strawberry.enum(description="A role in this command.")
class MemberRole(Enum):
    CITIZEN = "citizen"
    OFFICER = "officer"
    OPERATOR = "operator"
    TENANT_ADMIN = "tenant_admin"
    AGENCY_LIAISON = "agency_liaison"


@strawberry.enum(description="Whether a person can use this command.")
class MemberStatus(Enum):
    ACTIVE = "ACTIVE"
    PENDING = strawberry.enum_value(
        "PENDING", description="Created, but has not set a password with the code yet."
    )
    DEACTIVATED = strawberry.enum_value(
        "DEACTIVATED", description="The membership was ended by a tenant admin."
    )


@strawberry.type(description="A person of this command.")
class Member:
    id: strawberry.ID
    username: str
    full_name: str | None
    roles: list[MemberRole] = strawberry.field(
        description="Current roles; for a DEACTIVATED person, the roles they had."
    )
    status: MemberStatus
    created_at: datetime
    deactivated_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Member:
        """A member from a ``list_members`` row: username, full name, roles here, status, and when
        their membership ended (``deactivatedAt``).
        """
        return cls(
            id=strawberry.ID(str(row["id"])),
            username=row["username"],
            full_name=row["full_name"],
            roles=[MemberRole(r) for r in row["roles"]],
            status=MemberStatus(row["status"]),
            created_at=row["created_at"],
            deactivated_at=row["ended_at"],
        )


@strawberry.type
class MemberEdge:
    cursor: str
    node: Member


@strawberry.type
class MemberConnection:
    edges: list[MemberEdge]
    page_info: PageInfo


@strawberry.input
class CreateMemberInput:
    username: str = strawberry.field(
        description="3-64 characters: lowercase letters, digits, '.', '_' or '-'; unique on"
        " the whole platform (a taken one is CONFLICT, whoever has it)."
    )
    role: MemberRole
    full_name: str | None = None
    agency_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for AGENCY_LIAISON: the agency they speak for."
    )


@strawberry.type
class MemberPayload:
    member: Member | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateMemberPayload:
    member: Member | None = None
    activation_code: str | None = strawberry.field(
        default=None,
        description="Shown once: the person sets their password with it at POST"
        " /auth/reset within 72 hours.",
    )
    activation_expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PasswordCodePayload:
    code: str | None = strawberry.field(
        default=None,
        description="Shown once: single use at POST /auth/reset, 1 hour (72 hours for a"
        " person who never activated).",
    )
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ChangePasswordPayload:
    sessions_ended: int | None = strawberry.field(
        default=None, description="Other sessions of this user that were signed out."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ended: bool | None = strawberry.field(
        default=None, description="True when this request's session was live and is now ended."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="This command's sign-in policy for its staff.")
class StaffSignInPolicy:
    two_factor_required: bool = strawberry.field(
        description="Operators and tenant admins must sign in with two-step verification"
        " (TOTP); one who has not enrolled is asked to enrol at sign-in."
    )


@strawberry.type
class StaffSignInPolicyPayload:
    policy: StaffSignInPolicy | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
