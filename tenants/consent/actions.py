"""The only writes of consent: a person gives or withdraws consent for a purpose, and
each collection point records the notice version the person saw.

- **Given** at a collection point (a new notification channel, a shared post, a report's
  ``notify``) or with ``giveConsent``: the version sent must be the one in force at the
  command, unless the person's live consent is to that version already; otherwise
  ``CONSENT_REQUIRED`` carrying the version to show (:func:`require_consent`).
- **Withdrawn** (``withdrawConsent``): one ``INSERT … ON CONFLICT DO UPDATE … WHERE
  withdrawn_at IS NULL``, so of parallel duplicates exactly one records it. Withdrawing
  notifications cancels what is queued for the person in the same transaction, and the
  deliverer skips (CANCELLED) whatever reaches it later; withdrawing sharing takes the
  person's posts off the public feed (``tenants/sharing/queries.py``).
- **Reports** are never refused for a notice version: the version the client showed is
  recorded on the report (``unknown`` when it sent none), because a police report must
  never be lost and its lawful basis is not consent alone (:mod:`.purposes`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.phone import ConsentRequired
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.tenants.consent.notices import VERSION, notice_in_force
from jogo.tenants.consent.purposes import (
    CONSENT_PURPOSES,
    PURPOSES,
    UNKNOWN_VERSION,
    check_purpose,
    withdrawable,
)


@dataclass(frozen=True)
class ConsentState:
    """A person's consent for one purpose at one command: ``notice_version`` it was
    given under (None: never given), ``given_at``, ``withdrawn_at`` (None: live)."""

    purpose: str
    notice_version: str | None
    given_at: datetime | None
    withdrawn_at: datetime | None

    @property
    def live(self) -> bool:
        """Given and not withdrawn."""
        return self.given_at is not None and self.withdrawn_at is None


def seen_version(value: str | None) -> str:
    """What a client said it showed, as recorded: the label when it looks like one,
    else ``unknown``."""
    label = (value or "").strip()
    return label if VERSION.match(label) else UNKNOWN_VERSION


async def _log(
    tenant_id: uuid.UUID,
    user_id: uuid.UUID | None,
    purpose: str,
    action: str,
    version: str,
    *,
    report_id: uuid.UUID | None = None,
    client: str | None = None,
) -> None:
    await db.fetch(
        "INSERT INTO consent_log (tenant_id, user_id, report_id, purpose, action,"
        " lawful_basis, notice_version, client) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        tenant_id,
        user_id,
        report_id,
        purpose,
        action,
        PURPOSES[purpose].basis,
        version,
        (client or "")[:64] or None,
    )


async def consent_live(user_id: uuid.UUID, purpose: str, version: str) -> bool:
    """Inside the tenant transaction: whether the person's consent for ``purpose`` is
    live and was given under ``version``."""
    rows = await db.fetch(
        "SELECT 1 FROM consents WHERE user_id = $1 AND purpose = $2 AND notice_version = $3"
        " AND withdrawn_at IS NULL",
        user_id,
        purpose,
        version,
    )
    return bool(rows)


async def require_consent(
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    purpose: str,
    notice_version: str | None,
    *,
    client: str | None = None,
    field: str = "noticeVersion",
) -> bool:
    """Inside the tenant transaction, at a collection point of a purpose whose basis is
    consent: True when this call recorded the consent (given under the version in
    force), False when it was live under that version already. Raises
    :class:`ConsentRequired` on ``field``, with the version in force, when the version
    sent is missing or stale and no live consent to the version in force exists."""
    if purpose not in CONSENT_PURPOSES:
        raise ValueError(f"{purpose} does not rest on consent")
    current = (await notice_in_force()).version
    given = (notice_version or "").strip()
    if given != current:
        if not given and await consent_live(user_id, purpose, current):
            return False
        raise ConsentRequired(current, field=field)
    rows = await db.fetch(
        "INSERT INTO consents (tenant_id, user_id, purpose, notice_version)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, user_id, purpose) DO UPDATE SET"
        " notice_version = EXCLUDED.notice_version, given_at = now(), withdrawn_at = NULL"
        " WHERE consents.withdrawn_at IS NOT NULL"
        " OR consents.notice_version <> EXCLUDED.notice_version RETURNING 1",
        tenant_id,
        user_id,
        purpose,
        current,
    )
    if rows:
        await _log(tenant_id, user_id, purpose, "given", current, client=client)
    return bool(rows)


def _own(principal: Principal, tenant_id: uuid.UUID) -> uuid.UUID:
    if principal.kind != "user" or principal.id is None:
        raise denied(principal, "only a signed-in person has consents of their own")
    if Cap.OWN_ACCOUNT not in principal.tenant_caps(tenant_id):
        raise denied(principal, "only people of this command have consents here")
    return principal.id


async def _state(user_id: uuid.UUID, purpose: str) -> ConsentState:
    rows = await db.fetch(
        "SELECT notice_version, given_at, withdrawn_at FROM consents"
        " WHERE user_id = $1 AND purpose = $2",
        user_id,
        purpose,
    )
    if not rows:
        return ConsentState(purpose, None, None, None)
    row = rows[0]
    return ConsentState(purpose, row["notice_version"], row["given_at"], row["withdrawn_at"])


async def do_give_consent(
    tenant_id: uuid.UUID,
    principal: Principal,
    purpose: str,
    notice_version: str | None,
    *,
    client: str | None = None,
) -> ConsentState:
    """Give (or give again, after withdrawing) the signed-in caller's consent for
    ``notifications`` or ``sharing`` under the notice in force. Errors: ``INVALID_INPUT``
    on ``purpose`` (unknown, or one not given here: ``report``, ``sign_up``);
    ``CONSENT_REQUIRED`` on ``noticeVersion`` (missing or stale; the message names the
    version in force); ``UNAUTHENTICATED`` / ``FORBIDDEN`` for a caller who is no
    signed-in person of the command."""
    user_id = _own(principal, tenant_id)
    name = check_purpose(purpose).name
    if name not in CONSENT_PURPOSES:
        raise InvalidInput(
            "Tujuan ini tidak memakai persetujuan di sini. / This purpose is not consented"
            " to here.",
            field="purpose",
        )
    async with db.tenant_tx(tenant_id):
        if await require_consent(tenant_id, user_id, name, notice_version, client=client):
            await write_audit(
                "privacy.consent",
                principal=principal,
                tenant_id=tenant_id,
                target=f"user:{user_id}",
                detail={"purpose": name, "notice_version": (notice_version or "").strip()},
            )
        return await _state(user_id, name)


async def do_withdraw_consent(
    tenant_id: uuid.UUID, principal: Principal, purpose: str, *, client: str | None = None
) -> ConsentState:
    """Withdraw the signed-in caller's consent for ``notifications`` or ``sharing``
    (also when never given: nothing more is then done for that purpose). Notifications:
    every PENDING or FAILED notification about the person is CANCELLED at once, and the
    deliverer cancels what it meets later. Idempotent: a second (or parallel) withdrawal
    changes nothing and answers the same state. Errors: ``CONSENT_NOT_WITHDRAWABLE`` on
    ``purpose`` for ``report`` (its basis is not consent alone) and ``sign_up`` (close
    the account instead); ``INVALID_INPUT`` on ``purpose``; ``UNAUTHENTICATED`` /
    ``FORBIDDEN`` as :func:`do_give_consent`."""
    user_id = _own(principal, tenant_id)
    name = withdrawable(purpose).name
    async with db.tenant_tx(tenant_id):
        version = (await notice_in_force()).version
        changed = await db.fetch(
            "INSERT INTO consents (tenant_id, user_id, purpose, notice_version, withdrawn_at)"
            " VALUES ($1, $2, $3, $4, now()) ON CONFLICT (tenant_id, user_id, purpose)"
            " DO UPDATE SET withdrawn_at = now() WHERE consents.withdrawn_at IS NULL"
            " RETURNING notice_version",
            tenant_id,
            user_id,
            name,
            version,
        )
        if changed:
            await _log(
                tenant_id, user_id, name, "withdrawn", changed[0]["notice_version"], client=client
            )
            cancelled = 0
            if name == "notifications":
                cancelled = len(
                    await db.fetch(
                        "UPDATE notifications SET status = 'CANCELLED', lease_until = NULL,"
                        " next_attempt_at = NULL, last_error = 'consent withdrawn'"
                        " WHERE user_id = $1 AND status IN ('PENDING', 'FAILED') RETURNING 1",
                        user_id,
                    )
                )
            await write_audit(
                "privacy.consent_withdrawn",
                principal=principal,
                tenant_id=tenant_id,
                target=f"user:{user_id}",
                detail={"purpose": name, "cancelled": cancelled},
            )
        return await _state(user_id, name)


async def record_report_notify(
    tenant_id: uuid.UUID,
    report_id: uuid.UUID,
    notice_version: str | None,
    *,
    user_id: uuid.UUID | None,
    client: str | None = None,
) -> str | None:
    """Inside the report's transaction, for the channel a reporter leaves on it
    (``notify``): None, with consent to notifications logged for this report, when the
    version sent is the one in force (or a signed-in reporter's live consent is to it);
    otherwise the version in force, and the channel is then not to be added (the report
    itself is filed all the same)."""
    current = (await notice_in_force()).version
    given = (notice_version or "").strip()
    if given != current:
        if user_id is not None and await consent_live(user_id, "notifications", current):
            return None
        return current
    if user_id is not None:
        await require_consent(tenant_id, user_id, "notifications", current, client=client)
    else:
        await _log(
            tenant_id, None, "notifications", "given", current, report_id=report_id, client=client
        )
    return None
