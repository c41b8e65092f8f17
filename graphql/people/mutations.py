"""Mutations on the command's people (tenant admins) and one's own account."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import attempt
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.ids import parse_uuid
from jogo.graphql.people.types import (
    ChangePasswordPayload,
    CreateMemberInput,
    CreateMemberPayload,
    LogoutPayload,
    Member,
    MemberPayload,
    MemberRole,
    PasswordCodePayload,
    StaffSignInPolicy,
    StaffSignInPolicyPayload,
)
from jogo.graphql.permissions import writes
from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth import account, departures, members, people, sessions, totp
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import NotFound
from jogo.platform.registry import TenantInfo


async def _member(tenant: TenantInfo, user_id: uuid.UUID) -> Member:
    row = await members.get_member(tenant.id, user_id)
    if row is None:
        raise NotFound(people.NO_MEMBER, field="userId")
    return Member.of(row)


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(
        description="A new person of this command with one role and an activation code"
        " (they choose their own password; nobody else knows it). Audited.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def create_member(
        self,
        info: Info[Context, None],
        input: CreateMemberInput,
        client_key: ClientKeyArgument = None,
    ) -> CreateMemberPayload:
        """Create a person of this command with one role and no password, plus the one-time
        activation code (72 hours) with which they set it. Needs ``TENANT_ADMIN``; audited.

        Errors: ``INVALID_INPUT`` (username, role, agencyId, fullName), ``NOT_FOUND`` (agency),
        ``CONFLICT`` (username taken in any tenant, or ``clientKey`` reused with other input). A
        ``clientKey`` retry within 24 hours answers the same person and code.
        """
        tenant = info.context.require_tenant()

        async def run() -> CreateMemberPayload:
            retry = retry_key(info, "createMember", client_key, {"input": input})
            agency = None
            if input.agency_id is not None:
                agency = parse_uuid(input.agency_id, "agencyId", "agency not found")
            user_id, code = await people.create_member(
                tenant,
                info.context.principal,
                input.username,
                input.role.value,
                full_name=input.full_name,
                agency_id=agency,
                retry=retry,
                secret_key=info.context.settings.secret_key,
            )
            return CreateMemberPayload(
                member=await _member(tenant, user_id),
                activation_code=code.code,
                activation_expires_at=code.expires_at,
            )

        result, errors = await attempt(run)
        return result or CreateMemberPayload(errors=errors)

    @strawberry.mutation(
        description="Give a member one role in this command in place of their current ones"
        " (agencyId for AGENCY_LIAISON). The last tenant admin cannot give up the role"
        " (CONFLICT). Audited.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def change_member_role(
        self,
        info: Info[Context, None],
        user_id: strawberry.ID,
        role: MemberRole,
        agency_id: strawberry.ID | None = None,
    ) -> MemberPayload:
        """Replace a member's roles here with one role (``agencyId`` for AGENCY_LIAISON). Needs
        ``TENANT_ADMIN``; audited. Errors: ``NOT_FOUND`` (member, agency), ``INVALID_INPUT``
        (role, agencyId), ``CONFLICT`` (it would leave the command without a tenant admin).
        """
        tenant = info.context.require_tenant()

        async def run() -> Member:
            target = parse_uuid(user_id, "userId", people.NO_MEMBER)
            agency = parse_uuid(agency_id, "agencyId", "agency not found") if agency_id else None
            await people.change_member_role(
                tenant, info.context.principal, target, role.value, agency_id=agency
            )
            return await _member(tenant, target)

        result, errors = await attempt(run)
        return MemberPayload(member=result, errors=errors)

    @strawberry.mutation(
        description="End a member's membership in this command: their requests and live"
        " feeds here stop at once (and, when they belong nowhere else, all their sessions)."
        " The last tenant admin cannot (CONFLICT). Deactivating someone deactivated"
        " already answers them unchanged (no second audit row). Audited.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def deactivate_member(
        self, info: Info[Context, None], user_id: strawberry.ID
    ) -> MemberPayload:
        """End a member's membership here: their requests and live feeds here stop at once (and all
        their sessions when they belong nowhere else); idempotent. Needs ``TENANT_ADMIN``;
        audited. ``NOT_FOUND`` (not a member here), ``CONFLICT`` (the last tenant admin).
        """
        tenant = info.context.require_tenant()

        async def run() -> Member:
            target = parse_uuid(user_id, "userId", people.NO_MEMBER)
            await departures.deactivate_member(tenant, info.context.principal, target)
            return await _member(tenant, target)

        result, errors = await attempt(run)
        return MemberPayload(member=result, errors=errors)

    @strawberry.mutation(
        description="Undo deactivateMember: the person's role(s) here come back (an agency"
        " liaison's agency too, when it still exists and is active; otherwise the plain"
        " role). They sign in again. NOT_FOUND unless this command deactivated them;"
        " CONFLICT when they are a member already. Audited.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def reactivate_member(
        self, info: Info[Context, None], user_id: strawberry.ID
    ) -> MemberPayload:
        """Undo ``deactivateMember``: the former role(s) come back (a liaison's agency too, if still
        active). Needs ``TENANT_ADMIN``; audited. ``NOT_FOUND`` unless this command deactivated
        them; ``CONFLICT`` when they are a member already.
        """
        tenant = info.context.require_tenant()

        async def run() -> Member:
            target = parse_uuid(user_id, "userId", people.NO_MEMBER)
            await departures.reactivate_member(tenant, info.context.principal, target)
            return await _member(tenant, target)

        result, errors = await attempt(run)
        return MemberPayload(member=result, errors=errors)

    @strawberry.mutation(
        description="Remove a member's two-step verification (TOTP), for one who lost both"
        " phone and recovery codes: their next sign-in asks them to enrol where this command"
        " requires it, and they see the reset among their security events. FORBIDDEN for a"
        " person who also belongs to another command or office (the platform operator:"
        " jogo user reset-2fa). Audited.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def reset_member_two_factor(
        self, info: Info[Context, None], user_id: strawberry.ID
    ) -> MemberPayload:
        """Remove a member's TOTP factor (``people.reset_two_factor``). Needs ``TENANT_ADMIN``;
        audited ``user.totp_reset``. Errors: ``NOT_FOUND`` (member), ``FORBIDDEN`` (the person
        belongs to another command or office too).
        """
        tenant = info.context.require_tenant()

        async def run() -> Member:
            target = parse_uuid(user_id, "userId", people.NO_MEMBER)
            await people.reset_two_factor(tenant, info.context.principal, target)
            return await _member(tenant, target)

        result, errors = await attempt(run)
        return MemberPayload(member=result, errors=errors)

    @strawberry.mutation(
        description="A one-time code (1 hour, single use) with which the member sets a new"
        " password at POST /auth/reset; older codes are void. FORBIDDEN for a person who"
        " also belongs to another command or office. Audited.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def issue_password_reset(
        self, info: Info[Context, None], user_id: strawberry.ID
    ) -> PasswordCodePayload:
        """A one-time code (1 hour; 72 hours for a member who never activated) to set a new password
        at ``POST /auth/reset``; older codes are void. Needs ``TENANT_ADMIN``; audited. Errors:
        ``NOT_FOUND`` (member), ``FORBIDDEN`` (the person also belongs to another command or
        office).
        """
        tenant = info.context.require_tenant()

        async def run() -> PasswordCodePayload:
            target = parse_uuid(user_id, "userId", people.NO_MEMBER)
            code = await people.issue_password_reset(tenant, info.context.principal, target)
            return PasswordCodePayload(code=code.code, expires_at=code.expires_at)

        result, errors = await attempt(run)
        return result or PasswordCodePayload(errors=errors)

    @strawberry.mutation(
        description="Change one's own password (10-256 characters, not the username). Other"
        " sessions are signed out; this one stays. A wrong current password is"
        " INVALID_INPUT on currentPassword; 5 wrong ones in 15 minutes are RATE_LIMITED.",
        extensions=writes(Cap.OWN_ACCOUNT),
    )
    async def change_password(
        self, info: Info[Context, None], current_password: str, new_password: str
    ) -> ChangePasswordPayload:
        """Change the caller's own password (10-256 characters, not the username); answers how many
        other sessions were ended (this one stays). Needs ``OWN_ACCOUNT``. Errors:
        ``INVALID_INPUT`` (wrong current password; a new one breaking the rules or equal to the
        current), ``RATE_LIMITED`` after 5 wrong ones in 15 minutes, ``UNAUTHENTICATED`` for a
        caller who is not a user or belongs nowhere any more.
        """
        principal = info.context.principal
        ended, errors = await attempt(
            lambda: account.change_password(principal, current_password, new_password)
        )
        return ChangePasswordPayload(sessions_ended=ended, errors=errors)

    @strawberry.mutation(
        description="Sign out: end this request's session (its refresh token, its access"
        " tokens and its live feeds). POST /auth/logout does the same with a refresh token.",
        extensions=writes(Cap.OWN_ACCOUNT),
    )
    async def logout(self, info: Info[Context, None]) -> LogoutPayload:
        """End this request's session: its refresh token, access tokens and live feeds. ``ended`` is
        false for a caller without a session (an API key). Needs ``OWN_ACCOUNT``.
        """
        principal = info.context.principal
        session_id, user_id = principal.session_id, principal.id
        if session_id is None or user_id is None:
            return LogoutPayload(ended=False)
        ended, errors = await attempt(
            lambda: sessions.end_session(session_id, user_id, principal.name)
        )
        return LogoutPayload(ended=ended, errors=errors)

    @strawberry.mutation(
        description="Make two-step verification (TOTP) mandatory, or not, for this command's"
        " operators and tenant admins; one without it is asked to enrol at their next"
        " sign-in. Tenant admins only; audited.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def set_staff_two_factor_required(
        self, info: Info[Context, None], required: bool
    ) -> StaffSignInPolicyPayload:
        """Set this command's ``tenant_sign_in_policy``; audited ``tenant.staff_totp_policy``.
        Needs ``TENANT_ADMIN``. Sessions already open are not ended."""
        tenant = info.context.require_tenant()
        principal = info.context.principal

        async def run() -> StaffSignInPolicyPayload:
            async with db.control_tx():
                value = await totp.set_tenant_requires(tenant.id, required, principal.name)
                await write_audit(
                    "tenant.staff_totp_policy",
                    principal=principal,
                    tenant_id=tenant.id,
                    target=f"tenant:{tenant.slug}",
                    detail={"required": value},
                )
            return StaffSignInPolicyPayload(policy=StaffSignInPolicy(two_factor_required=value))

        result, errors = await attempt(run)
        return result or StaffSignInPolicyPayload(errors=errors)
