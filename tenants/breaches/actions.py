"""The only writes of the breach register: record an incident, amend it, record that the
subjects or the authority were notified. Each is one tenant transaction with its audit
row (``breach.record``, ``breach.update``, ``breach.notify``); the escalations are the
sweep's (:mod:`jogo.tenants.breaches.sweep`).

Who may: the caller's capability is checked by the resolver (``tenant:admin``); these
functions take the principal only to name it. ``now`` is a parameter so tests (and a
data-protection officer replaying a case) control the clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from jogo.platform import db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal
from jogo.platform.errors import Conflict, InputErrors, InvalidInput, NotFound
from jogo.platform.registry import TenantInfo
from jogo.tenants.breaches import clock
from jogo.tenants.breaches.queries import NOT_FOUND, breach_row
from jogo.tenants.breaches.vocab import DATA_CATEGORIES, SUBJECT_CATEGORIES, check_codes

MAX_TEXT = 4000
MAX_SUBJECTS = 1_000_000_000
# A clock read a little fast on the caller's device must not refuse "found just now".
FUTURE_SLACK = timedelta(minutes=5)
EARLIEST = datetime(2022, 10, 17, tzinfo=UTC)  # UU PDP enacted (diundangkan)
RECIPIENTS = ("SUBJECTS", "AUTHORITY")


class AlreadyNotified(Conflict):
    """The notification was recorded already; its first time and author stay."""

    code = "ALREADY_NOTIFIED"


@dataclass
class BreachInput:
    """What a command records (``None``: not given, for an amendment)."""

    title: str | None = None
    description: str | None = None
    data_categories: list[str] | None = None
    subject_categories: list[str] | None = None
    subjects_estimate: int | None = None
    found_at: datetime | None = None
    occurred_at: datetime | None = None
    measures: str | None = None
    errors: list[InvalidInput] = field(default_factory=list)


def _text(
    value: str | None, name: str, low: int, high: int, errors: list[InvalidInput]
) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not low <= len(text) <= high:
        errors.append(InvalidInput(f"{name} must be {low}-{high} characters", field=name))
    if "\x00" in text:
        errors.append(InvalidInput(f"{name} must not contain NUL", field=name))
    return text


def _moment(value: datetime | None, name: str, now: datetime, errors: list[InvalidInput]) -> None:
    if value is None:
        return
    if value.tzinfo is None:
        errors.append(InvalidInput(f"{name} needs a time zone", field=name))
    elif value > now + FUTURE_SLACK:
        errors.append(InvalidInput(f"{name} is in the future", field=name))
    elif value < EARLIEST:
        errors.append(InvalidInput(f"{name} is before UU PDP (2022-10-17)", field=name))


def checked(data: BreachInput, now: datetime, *, creating: bool) -> BreachInput:
    """``data`` normalised; :class:`InputErrors` listing every wrong field (``title``
    3-200 characters, ``description`` 1-4000, ``measures`` at most 4000,
    ``dataCategories`` / ``subjectCategories`` codes of the vocabularies,
    ``subjectsEstimate`` 0 to 10^9, ``foundAt`` and ``occurredAt`` not in the future nor
    before 2022-10-17, ``occurredAt`` not after ``foundAt``). When ``creating``, everything
    but ``occurredAt`` and ``measures`` is required."""
    errors: list[InvalidInput] = []
    if creating:
        for name, value in (
            ("title", data.title),
            ("description", data.description),
            ("dataCategories", data.data_categories),
            ("subjectCategories", data.subject_categories),
            ("subjectsEstimate", data.subjects_estimate),
            ("foundAt", data.found_at),
        ):
            if value is None:
                errors.append(InvalidInput(f"{name} is required", field=name))
    out = BreachInput(
        title=_text(data.title, "title", 3, 200, errors),
        description=_text(data.description, "description", 1, MAX_TEXT, errors),
        measures=_text(data.measures, "measures", 0, MAX_TEXT, errors),
        found_at=data.found_at,
        occurred_at=data.occurred_at,
        subjects_estimate=data.subjects_estimate,
    )
    for name, values, vocabulary in (
        ("dataCategories", data.data_categories, DATA_CATEGORIES),
        ("subjectCategories", data.subject_categories, SUBJECT_CATEGORIES),
    ):
        if values is None:
            continue
        try:
            codes = check_codes(values, vocabulary, name)
        except InvalidInput as exc:
            errors.append(exc)
            continue
        if name == "dataCategories":
            out.data_categories = codes
        else:
            out.subject_categories = codes
    if data.subjects_estimate is not None and not 0 <= data.subjects_estimate <= MAX_SUBJECTS:
        errors.append(
            InvalidInput("subjectsEstimate must be 0 to 1,000,000,000", field="subjectsEstimate")
        )
    _moment(data.found_at, "foundAt", now, errors)
    _moment(data.occurred_at, "occurredAt", now, errors)
    if errors:
        raise InputErrors(errors)
    return out


async def do_record_breach(
    tenant: TenantInfo,
    principal: Principal,
    data: BreachInput,
    *,
    now: datetime | None = None,
    retry: idempotency.ClientKey | None = None,
) -> dict[str, Any]:
    """Record an incident; its clock runs from ``found_at`` to ``found_at + 72 h``
    (:mod:`clock`). A retry under the same client key answers the first incident.
    Returns the row (:func:`breach_row`). Errors: ``INVALID_INPUT`` (:func:`checked`),
    ``CONFLICT`` (a client key reused with other input)."""
    now = now or datetime.now(UTC)
    data = checked(data, now, creating=True)
    assert data.found_at is not None
    if data.occurred_at is not None and data.occurred_at > data.found_at:
        raise InvalidInput("occurredAt is after foundAt", field="occurredAt")
    new_id = uuid.uuid4()
    async with db.tenant_tx(tenant.id):
        if (earlier := await idempotency.claim(tenant.id, retry, new_id)) is not None:
            row = await breach_row(earlier)
            if row is None:
                raise NotFound(NOT_FOUND, field="id")
            return row
        await db.fetch(
            "INSERT INTO breach_incidents (tenant_id, id, title, description, data_categories,"
            " subject_categories, subjects_estimate, occurred_at, found_at, due_at, measures,"
            " recorded_by, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
            tenant.id,
            new_id,
            data.title,
            data.description,
            data.data_categories,
            data.subject_categories,
            data.subjects_estimate,
            data.occurred_at,
            data.found_at,
            clock.due_at(data.found_at),
            data.measures or "",
            principal.name,
            now,
        )
        await _audit("breach.record", tenant, principal, new_id, found_at=data.found_at)
        row = await breach_row(new_id)
    assert row is not None
    return row


async def _lock(breach_id: uuid.UUID) -> dict[str, Any]:
    rows = await db.fetch("SELECT * FROM breach_incidents WHERE id = $1 FOR UPDATE", breach_id)
    if not rows:
        raise NotFound(NOT_FOUND, field="id")
    return dict(rows[0])


async def do_update_breach(
    tenant: TenantInfo,
    principal: Principal,
    breach_id: uuid.UUID,
    data: BreachInput,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Amend what is given (what happened, categories, the estimate, when it occurred, the
    measures taken). ``found_at`` is not amended: it started the legal clock. Errors:
    ``NOT_FOUND`` (also another command's incident), ``INVALID_INPUT``."""
    now = now or datetime.now(UTC)
    if data.found_at is not None:
        raise InvalidInput("foundAt started the clock and cannot be changed", field="foundAt")
    data = checked(data, now, creating=False)
    async with db.tenant_tx(tenant.id):
        row = await _lock(breach_id)
        occurred = data.occurred_at or row["occurred_at"]
        if occurred is not None and occurred > row["found_at"]:
            raise InvalidInput("occurredAt is after foundAt", field="occurredAt")
        changes = {
            "title": data.title,
            "description": data.description,
            "data_categories": data.data_categories,
            "subject_categories": data.subject_categories,
            "subjects_estimate": data.subjects_estimate,
            "occurred_at": data.occurred_at,
            "measures": data.measures,
        }
        given = {k: v for k, v in changes.items() if v is not None}
        if given:
            sets = ", ".join(f"{k} = ${n}" for n, k in enumerate(given, start=3))
            await db.fetch(
                f"UPDATE breach_incidents SET {sets}, updated_at = $2 WHERE id = $1",
                breach_id,
                now,
                *given.values(),
            )
            await _audit("breach.update", tenant, principal, breach_id, fields=sorted(given))
        updated = await breach_row(breach_id)
    assert updated is not None
    return updated


async def do_record_notification(
    tenant: TenantInfo,
    principal: Principal,
    breach_id: uuid.UUID,
    recipient: str,
    *,
    at: datetime | None = None,
    reference: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record that the command notified ``recipient`` (``SUBJECTS`` or ``AUTHORITY``) at
    ``at`` (default ``now``; not before the incident was found, not in the future), and
    who did. ``reference``: the authority's receipt number, when it gave one. Once both
    are recorded the clock stops and no further escalation is made. Errors: ``NOT_FOUND``,
    ``INVALID_INPUT`` (``recipient``, ``at``, ``reference``), ``ALREADY_NOTIFIED`` (the
    first record stays)."""
    now = now or datetime.now(UTC)
    if recipient not in RECIPIENTS:
        raise InvalidInput("recipient must be SUBJECTS or AUTHORITY", field="recipient")
    at = at or now
    errors: list[InvalidInput] = []
    _moment(at, "at", now, errors)
    text = _text(reference, "reference", 1, 200, errors)
    if text is not None and recipient != "AUTHORITY":
        errors.append(InvalidInput("a reference is the authority's", field="reference"))
    if errors:
        raise InputErrors(errors)
    column = recipient.lower()
    async with db.tenant_tx(tenant.id):
        row = await _lock(breach_id)
        if row[f"{column}_notified_at"] is not None:
            who = "the data subjects were" if recipient == "SUBJECTS" else "the authority was"
            raise AlreadyNotified(
                f"{who} notified already, at {row[f'{column}_notified_at'].isoformat()}",
                field="recipient",
            )
        if at < row["found_at"]:
            raise InvalidInput("at is before the incident was found", field="at")
        await db.fetch(
            f"UPDATE breach_incidents SET {column}_notified_at = $2, {column}_notified_by = $3,"
            " authority_reference = coalesce($4, authority_reference), updated_at = $5"
            " WHERE id = $1",
            breach_id,
            at,
            principal.name,
            text,
            now,
        )
        await _audit(
            "breach.notify",
            tenant,
            principal,
            breach_id,
            recipient=recipient,
            at=at,
            late=at > row["due_at"],
        )
        updated = await breach_row(breach_id)
    assert updated is not None
    return updated


async def _audit(
    action: str, tenant: TenantInfo, principal: Principal | None, target: uuid.UUID, **detail: Any
) -> None:
    await write_audit(
        action,
        principal=principal,
        tenant_id=tenant.id,
        target=f"breach:{target}",
        detail={k: v for k, v in detail.items() if v is not None} or None,
    )
