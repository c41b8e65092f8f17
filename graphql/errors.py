"""Typed errors for mutations: ``errors: [UserError!]!`` with code, field and message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from jogo.platform.errors import InputErrors, JogoError
from jogo.platform.outage import as_unavailable, is_unavailable


@strawberry.type(description="Why a mutation did not do what was asked.")
class UserError:
    code: str = strawberry.field(description="Stable machine code, e.g. INVALID_INPUT.")
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, for people.")

    @classmethod
    def of(cls, exc: JogoError) -> UserError:
        """The typed error for a :class:`JogoError`: its ``code``, ``field`` and ``message``."""
        return cls(code=exc.code, field=exc.field, message=exc.message)


T = TypeVar("T")


async def attempt(action: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Run an action; a :class:`JogoError` becomes a typed error instead of a GraphQL error,
    and so does an outage of the database (``UNAVAILABLE``: retry later)."""
    try:
        return await action(), []
    except InputErrors as exc:
        return None, [UserError.of(e) for e in exc.errors]
    except JogoError as exc:
        return None, [UserError.of(exc)]
    except Exception as exc:
        if is_unavailable(exc):
            return None, [UserError.of(as_unavailable(exc))]
        raise
