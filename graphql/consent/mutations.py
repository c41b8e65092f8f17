"""Writes: a tenant admin publishes a notice version; a signed-in person gives or
withdraws consent for a purpose that rests on it."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from jogo.graphql.consent.types import (
    Consent,
    ConsentPayload,
    ConsentPurpose,
    PrivacyNoticePayload,
    PublishPrivacyNoticeInput,
)
from jogo.graphql.context import Context
from jogo.graphql.core.types import PrivacyNotice
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.permissions import writes
from jogo.platform.auth.roles import Cap
from jogo.tenants.consent import actions, notices, queries
from jogo.tenants.consent.actions import ConsentState


async def _payload(
    info: Info[Context, None], state: ConsentState | None, errors: list[UserError]
) -> ConsentPayload:
    if state is None:
        return ConsentPayload(errors=errors)
    tenant = info.context.require_tenant()
    principal = info.context.principal
    assert principal.id is not None
    rows = await queries.my_consents(tenant.id, principal.id)
    found = [c for c in rows if c.purpose.name == state.purpose]
    return ConsentPayload(consent=Consent.of(found[0]) if found else None)


@strawberry.type
class ConsentMutation:
    @strawberry.mutation(
        description="Publish a new version of this command's privacy notice (tenant admins);"
        " in force at once, immutable.",
        extensions=writes(Cap.TENANT_ADMIN),
    )
    async def publish_privacy_notice(
        self, info: Info[Context, None], input: PublishPrivacyNoticeInput
    ) -> PrivacyNoticePayload:
        """Needs ``TENANT_ADMIN``; audited. Errors: ``INVALID_INPUT`` on ``version``,
        ``textId``, ``textEn``; ``CONFLICT`` on ``version`` for a label used already."""
        ctx = info.context
        tenant = ctx.require_tenant()
        found, errors = await attempt(
            lambda: notices.do_publish_notice(
                tenant.id, ctx.principal, input.version, input.text_id, input.text_en
            )
        )
        if found is None:
            return PrivacyNoticePayload(errors=errors)
        return PrivacyNoticePayload(notice=PrivacyNotice.of(found))

    @strawberry.mutation(
        description="Give (again) your consent for NOTIFICATIONS or SHARING under the notice"
        " in force.",
        extensions=writes(Cap.OWN_ACCOUNT),
    )
    async def give_consent(
        self, info: Info[Context, None], purpose: ConsentPurpose, notice_version: str
    ) -> ConsentPayload:
        """Needs ``OWN_ACCOUNT``. Errors: ``CONSENT_REQUIRED`` on ``noticeVersion`` when it
        is not the version in force (the message names it); ``INVALID_INPUT`` on
        ``purpose`` for REPORT and SIGN_UP."""
        ctx = info.context
        tenant = ctx.require_tenant()
        state, errors = await attempt(
            lambda: actions.do_give_consent(
                tenant.id, ctx.principal, purpose.value, notice_version, client=ctx.client
            )
        )
        return await _payload(info, state, errors)

    @strawberry.mutation(
        description="Withdraw your consent for NOTIFICATIONS (nothing more is sent to you)"
        " or SHARING (your posts leave the public feed). A report cannot be withdrawn.",
        extensions=writes(Cap.OWN_ACCOUNT),
    )
    async def withdraw_consent(
        self, info: Info[Context, None], purpose: ConsentPurpose
    ) -> ConsentPayload:
        """Needs ``OWN_ACCOUNT``; idempotent; audited. Errors:
        ``CONSENT_NOT_WITHDRAWABLE`` on ``purpose`` for REPORT (its basis is the police's
        task and legal obligation, not consent alone: a report made stays) and SIGN_UP
        (close the account instead)."""
        ctx = info.context
        tenant = ctx.require_tenant()
        state, errors = await attempt(
            lambda: actions.do_withdraw_consent(
                tenant.id, ctx.principal, purpose.value, client=ctx.client
            )
        )
        return await _payload(info, state, errors)
