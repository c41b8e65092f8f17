"""How long a command has to answer each data-subject right: one table per command.

The defaults below are what Law No. 27 of 2022 on Personal Data Protection (UU PDP) sets,
as read from the Indonesian text of the law; a command's data-protection officer checks
them against the law in force and changes them (``setPrivacyDeadline``, tenant admins,
audited ``privacy.deadline.set``). A request's ``due_at`` is fixed when it is received.

- ``ACCESS``: Pasal 32 ayat (1)-(2): access to, and a copy of, the data processed, with
  its processing history, no later than 3 x 24 hours after the request.
- ``CORRECTION``: Pasal 30 ayat (1)-(2) (with Pasal 6): update or correct no later than
  3 x 24 hours after the request.
- ``RESTRICTION``: Pasal 41 ayat (1)-(2) (with Pasal 12): delay or restrict processing no
  later than 3 x 24 hours after the request.
- ``ERASURE``: Pasal 43 ayat (1) huruf c (with Pasal 8) obliges erasure on the subject's
  request but names no number of hours; 3 x 24 hours is kept here to match the other
  rights, and is the first default a DPO should check.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal
from jogo.platform.errors import InvalidInput

RIGHTS = ("ACCESS", "CORRECTION", "ERASURE", "RESTRICTION")
MAX_HOURS = 2160  # 90 days

DEFAULT_HOURS: dict[str, int] = {
    "ACCESS": 72,  # UU PDP Pasal 32 ayat (2)
    "CORRECTION": 72,  # UU PDP Pasal 30 ayat (2)
    "ERASURE": 72,  # UU PDP Pasal 43 (no hours in the law; matches the others)
    "RESTRICTION": 72,  # UU PDP Pasal 41 ayat (2)
}
LEGAL_BASIS: dict[str, str] = {
    "ACCESS": "UU 27/2022 Pasal 7, Pasal 32",
    "CORRECTION": "UU 27/2022 Pasal 6, Pasal 30",
    "ERASURE": "UU 27/2022 Pasal 8, Pasal 43",
    "RESTRICTION": "UU 27/2022 Pasal 12, Pasal 41",
}


@dataclass(frozen=True)
class Deadline:
    """One right's deadline at a command: ``hours`` in force, the law's ``default_hours``,
    whether the command changed it, and the articles it rests on."""

    right: str
    hours: int
    default_hours: int
    changed: bool
    legal_basis: str


def check_right(right: str) -> str:
    """``right`` when it is one of :data:`RIGHTS`; ``INVALID_INPUT`` on ``right`` otherwise."""
    if right not in RIGHTS:
        raise InvalidInput(f"right must be one of {', '.join(RIGHTS)}", field="right")
    return right


async def deadline_table(tenant_id: uuid.UUID) -> list[Deadline]:
    """Every right's deadline at this command (in its transaction), in :data:`RIGHTS` order."""
    rows = await db.fetch(
        "SELECT request_right, hours FROM privacy_deadlines WHERE tenant_id = $1", tenant_id
    )
    own = {r["request_right"]: r["hours"] for r in rows}
    return [
        Deadline(r, own.get(r, DEFAULT_HOURS[r]), DEFAULT_HOURS[r], r in own, LEGAL_BASIS[r])
        for r in RIGHTS
    ]


async def due_at(tenant_id: uuid.UUID, right: str, received_at: datetime) -> datetime:
    """When a request for ``right`` received at ``received_at`` must be answered."""
    hours = next(d.hours for d in await deadline_table(tenant_id) if d.right == right)
    return received_at + timedelta(hours=hours)


async def do_set_deadline(
    tenant_id: uuid.UUID, principal: Principal, right: str, hours: int | None
) -> None:
    """Set this command's deadline for ``right`` to ``hours`` (1-2160), or back to the
    law's default with None. Audited ``privacy.deadline.set``. ``INVALID_INPUT`` on
    ``right`` or ``hours``. Requests already received keep their due time."""
    check_right(right)
    if hours is not None and not 1 <= hours <= MAX_HOURS:
        raise InvalidInput(f"hours must be 1-{MAX_HOURS}", field="hours")
    async with db.tenant_tx(tenant_id):
        if hours is None:
            await db.fetch(
                "DELETE FROM privacy_deadlines WHERE tenant_id = $1 AND request_right = $2",
                tenant_id,
                right,
            )
        else:
            await db.fetch(
                "INSERT INTO privacy_deadlines (tenant_id, request_right, hours, updated_by)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, request_right) DO UPDATE"
                " SET hours = EXCLUDED.hours, updated_by = EXCLUDED.updated_by,"
                " updated_at = now()",
                tenant_id,
                right,
                hours,
                principal.name,
            )
        await write_audit(
            "privacy.deadline.set",
            principal=principal,
            tenant_id=tenant_id,
            target=f"privacy-deadline:{right}",
            detail={"hours": hours, "default_hours": DEFAULT_HOURS[right]},
        )
