"""The first people of a new command, invited by the platform admin.

A command onboarded through the API needs a tenant admin before anyone of its own can
sign in; without this, only `jogo user create` on the server's shell could make one.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.idempotency import ClientKeyArgument, retry_key
from jogo.graphql.permissions import writes
from jogo.platform.auth import people
from jogo.platform.auth.roles import Cap, Role
from jogo.platform.registry import get_by_slug


@strawberry.type
class TenantAdminInvite:
    user_id: strawberry.ID
    username: str
    tenant_slug: str
    activation_code: str = strawberry.field(
        description="One-time code (72 h) for POST /auth/reset {code, password}: the new"
        " admin chooses their own password. Shown here only."
    )
    activation_expires_at: datetime


@strawberry.type
class InviteTenantAdminPayload:
    invite: TenantAdminInvite | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class InviteMutation:
    @strawberry.mutation(
        description="A tenant admin for a command (by slug), with an activation code and no"
        " password; the command's own admin then invites the rest (createMember). Errors:"
        " NOT_FOUND (slug), INVALID_INPUT (username, fullName), CONFLICT (username taken"
        " anywhere; clientKey reused with other input). Audited in the command's log.",
        extensions=writes(Cap.PLATFORM_ADMIN),
    )
    async def invite_tenant_admin(
        self,
        info: Info[Context, None],
        slug: str,
        username: str,
        full_name: str | None = None,
        client_key: ClientKeyArgument = None,
    ) -> InviteTenantAdminPayload:
        """Create a tenant admin for command ``slug`` with no password and a one-time activation
        code (in the payload, with its expiry); that admin then invites the rest. Needs
        ``PLATFORM_ADMIN``; audited in the command's log.

        Errors: ``NOT_FOUND`` (slug), ``INVALID_INPUT`` (username, fullName), ``CONFLICT``
        (username taken in any tenant, or ``clientKey`` reused with other input).
        """

        async def run() -> InviteTenantAdminPayload:
            tenant = await get_by_slug(slug)
            arguments = {"slug": slug, "username": username, "fullName": full_name}
            user_id, code = await people.create_member(
                tenant,
                info.context.principal,
                username,
                Role.TENANT_ADMIN.value,
                full_name=full_name,
                retry=retry_key(info, "inviteTenantAdmin", client_key, arguments),
                secret_key=info.context.settings.secret_key,
            )
            return InviteTenantAdminPayload(
                invite=TenantAdminInvite(
                    user_id=strawberry.ID(str(user_id)),
                    username=username.strip().lower(),
                    tenant_slug=tenant.slug,
                    activation_code=code.code,
                    activation_expires_at=code.expires_at,
                )
            )

        result, errors = await attempt(run)
        return result or InviteTenantAdminPayload(errors=errors)
