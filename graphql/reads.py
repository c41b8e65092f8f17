"""One read transaction per GraphQL query (DESIGN.md, "Reads").

``graphql.http.execute`` opens a :class:`~jogo.platform.db.ReadSession` around every tenant
request; :class:`SharedReads` makes it active once the operation is known to be a query,
so the domain's ``read_tx`` reads share one transaction and one snapshot per statement
order. A mutation's payload keeps transactions of its own: it must see what it wrote.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from jogo.platform import db


class SharedReads(SchemaExtension):
    """Activate the request's read session for query operations (no-op elsewhere)."""

    def on_execute(self) -> Iterator[None]:
        """Mark the open read session active when this operation is a query."""
        session = db.current_read_session()
        if session is not None and self.execution_context.operation_type is OperationType.QUERY:
            session.active = True
        yield
