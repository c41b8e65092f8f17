"""The audit-log filter, shared by the tenant and national schemas."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jogo.graphql.scalars import in_zone_or_none
from jogo.platform.audit_read import AuditFilter


@strawberry.input(description="Which audit rows: all given conditions hold.")
class AuditLogFilter:
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Inclusive; a date alone is that whole day."
    )
    to: datetime | None = strawberry.field(
        default=None, description="Exclusive; a date alone includes that whole day."
    )
    action: str | None = strawberry.field(
        default=None, description="A prefix of the action, e.g. apikey. or auth.login."
    )
    actor: str | None = strawberry.field(
        default=None, description="A prefix of the actor, e.g. a username or api_key:<prefix>."
    )
    target: str | None = strawberry.field(
        default=None, description="A prefix of the target, e.g. user:, api_key:, report:."
    )

    def to_domain(self, time_zone: str) -> AuditFilter:
        """The domain filter, checked: ``from``/``to`` read in ``time_zone`` when they carry no
        offset (a date alone in ``to``: to the end of that day). ``INVALID_INPUT`` for a prefix
        over 200 characters or ``from`` after ``to``.
        """
        return AuditFilter(
            since=in_zone_or_none(self.from_, time_zone),
            until=in_zone_or_none(self.to, time_zone, end=True),
            action=self.action,
            actor=self.actor,
            target=self.target,
        ).checked()
