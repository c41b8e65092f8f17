"""Who sees which reports, from the caller's capabilities in this tenant.

Operators and tenant admins see the whole tenant, officers the reports assigned to
them, directly or to an active unit they are a member of (and their own), citizens their
own. The scope is applied in SQL, so a report
outside it is simply not found, exactly like one of another tenant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from jogo.platform import db
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Cap

Scope = Literal["all", "assigned", "own", "none"]

# The active units user ``{n}`` is a member of (in the tenant of the transaction).
MY_UNITS = (
    "SELECT um.unit_id FROM unit_members um JOIN units un"
    " ON un.tenant_id = um.tenant_id AND un.id = um.unit_id"
    " WHERE um.user_id = {n} AND un.is_active"
)


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    scope: Scope
    internal: bool  # sees internal timeline events
    identity: bool  # may see who reported (every read is audited)
    triage: bool  # may verify, reject, assign, dispatch, close
    work: bool = False  # may move on, and write staff notes on, reports assigned to it
    reporter: bool = False  # may add a follow-up note to its own reports

    @property
    def user_id(self) -> uuid.UUID | None:
        """The caller's user id; None for an API key or an anonymous caller."""
        return self.principal.id if self.principal.kind == "user" else None

    @classmethod
    def of(cls, principal: Principal, tenant_id: uuid.UUID) -> Viewer:
        """The viewer ``principal`` is in ``tenant_id``: its report scope (the widest of ``all``,
        ``assigned``, ``own``, else ``none``) and what else its capabilities there allow (internal
        events, reporter identity, triage, work, follow-up notes)."""
        caps = principal.tenant_caps(tenant_id)
        scope: Scope = "none"
        if Cap.REPORTS_READ_ALL in caps:
            scope = "all"
        elif Cap.REPORTS_READ_ASSIGNED in caps:
            scope = "assigned"
        elif Cap.REPORTS_READ_OWN in caps:
            scope = "own"
        return cls(
            principal=principal,
            scope=scope,
            internal=bool(caps & {Cap.REPORTS_READ_ALL, Cap.REPORTS_READ_ASSIGNED}),
            identity=Cap.REPORTER_IDENTITY in caps,
            triage=Cap.REPORTS_TRIAGE in caps,
            work=Cap.REPORTS_WORK in caps,
            reporter=Cap.REPORTS_SUBMIT in caps,
        )

    def sql_scope(self, first_arg: int) -> tuple[str, list[object]]:
        """A WHERE fragment (alias ``r``) limiting reports to this viewer's scope."""
        if self.scope == "all":
            return "TRUE", []
        if self.user_id is None or self.scope == "none":
            return "FALSE", []
        n = f"${first_arg}"
        if self.scope == "assigned":
            return (
                f"(r.assigned_officer_id = {n} OR r.reporter_user_id = {n}"
                f" OR r.assigned_unit_id IN ({MY_UNITS.format(n=n)}))",
                [self.user_id],
            )
        return f"r.reporter_user_id = {n}", [self.user_id]


async def assigned_to(report: dict[str, Any], user_id: uuid.UUID | None) -> bool:
    """Whether the report is assigned to this user, directly or through an active unit
    the user is a member of (inside the caller's tenant transaction)."""
    if user_id is None:
        return False
    if report["assigned_officer_id"] == user_id:
        return True
    if report.get("assigned_unit_id") is None:
        return False
    rows = await db.fetch(
        f"SELECT 1 FROM ({MY_UNITS.format(n='$1')}) m WHERE m.unit_id = $2",
        user_id,
        report["assigned_unit_id"],
    )
    return bool(rows)
