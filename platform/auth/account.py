"""A signed-in user changes their own password."""

from __future__ import annotations

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.passwords import hash_password_async, verify_password_async
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.sessions import end_user_sessions
from jogo.platform.errors import InvalidInput, Unauthenticated
from jogo.platform.ratelimit import Limit

# Wrong current passwords per user: counted before argon2 runs, so a stolen access
# token cannot guess the password (or burn CPU) at will.
BY_USER = Limit(
    "password-change-user",
    5,
    15 * 60,
    "Terlalu banyak percobaan; coba lagi dalam {seconds} detik. / "
    "Too many attempts; try again in {seconds} s.",
)


async def change_password(principal: Principal, current: str, new: str) -> int:
    """Set a new password after checking the current one; every other session of the
    user ends (this one stays). Returns how many sessions ended.

    Errors: ``INVALID_INPUT`` on ``currentPassword`` (wrong) or ``newPassword`` (the
    rules: 10-256 characters, not the username, not the current one);
    ``RATE_LIMITED`` after 5 wrong current passwords in 15 minutes; ``UNAUTHENTICATED``
    for a caller who is not a user or belongs nowhere any more (deactivated everywhere).
    """
    if principal.kind != "user" or principal.id is None:
        raise Unauthenticated("sign in as a user to change a password")
    if not principal.memberships:  # deactivated everywhere: like a dead token
        raise Unauthenticated("the access token is invalid")
    if new == current:
        raise InvalidInput("the new password must differ from the current one", field="newPassword")
    hit = await BY_USER.hit(str(principal.id))
    rows = await db.fetch("SELECT password_hash FROM users WHERE id = $1", principal.id)
    stored = rows[0]["password_hash"] if rows else None
    ok = await verify_password_async(stored, current or "")
    if not ok:
        raise InvalidInput("the current password is wrong", field="currentPassword")
    await BY_USER.refund(hit)
    password_hash = await hash_password_async(new, principal.name, field="newPassword")
    async with db.control_tx():
        await db.fetch(
            "UPDATE users SET password_hash = $2 WHERE id = $1", principal.id, password_hash
        )
        ended = await end_user_sessions(principal.id, "password", keep=principal.session_id)
        await write_audit(
            "user.password_change",
            principal=principal,
            target=f"user:{principal.id}",
            detail={"sessions_ended": ended},
        )
    return ended
