"""Domain errors shared by every layer.

Actions raise these; GraphQL turns them into typed ``UserError`` values, the CLI into
one line on stderr, HTTP routes into 4xx responses. Nothing here is a 500.
"""

from __future__ import annotations


class JogoError(Exception):
    """A failure the caller can act on. ``code`` is stable; ``message`` is for people."""

    code = "ERROR"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class InvalidInput(JogoError):
    code = "INVALID_INPUT"


class NotFound(JogoError):
    """Also what a caller gets for another tenant's object: the two must look the same."""

    code = "NOT_FOUND"


class Conflict(JogoError):
    code = "CONFLICT"


class Unauthenticated(JogoError):
    code = "UNAUTHENTICATED"


class Forbidden(JogoError):
    code = "FORBIDDEN"


# What an anonymous caller is told whenever something needs a credential: never a role.
SIGN_IN = (
    "Silakan masuk dulu: kirim header 'Authorization: Bearer <token>' (token dari"
    " POST /auth/token) atau 'X-API-Key: <kunci API>'. / Sign in first: send"
    " 'Authorization: Bearer <token>' (a token from POST /auth/token) or"
    " 'X-API-Key: <API key>'."
)


def sign_in_first() -> Unauthenticated:
    """``UNAUTHENTICATED`` with how to authenticate (:data:`SIGN_IN`)."""
    return Unauthenticated(SIGN_IN)


class SettingsError(JogoError):
    code = "BAD_SETTING"


class InputErrors(InvalidInput):
    """Several fields wrong at once: every one is reported, not just the first."""

    def __init__(self, errors: list[InvalidInput]):
        super().__init__("; ".join(e.message for e in errors), field=errors[0].field)
        self.errors = errors
