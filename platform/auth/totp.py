"""Staff sign-in's second factor: TOTP (RFC 6238, ``pyotp``), recovery codes, and the
challenge between a right password and a session.

**Who.** Any signed-in user with a role other than ``citizen`` may turn TOTP on (a
citizen signs in by phone, and no citizen client asks for a code). It is *required* for

- operators and tenant admins of a command whose tenant admin made it mandatory
  (``setStaffTwoFactorRequired``, table ``tenant_sign_in_policy``);
- every national and platform role (``polda_supervisor``, ``national_supervisor``,
  ``oversight_auditor``, ``platform_admin``) when ``JOGO_STAFF_TOTP_REQUIRED`` is on
  (default: on in production, off elsewhere).

**Sign-in.** After a right password (:func:`jogo.platform.auth.login.sign_in`) a user
with TOTP gets a challenge instead of a token: ``{"second_factor": "totp",
"challenge": "jch_…", "expires_in": 300}``. A user who must enrol and has not gets
``"second_factor": "enrol"``: the challenge then only starts and confirms enrolment
(an enrolment-only session). The challenge (256 random bits; only its SHA-256 is
stored) lives :data:`CHALLENGE_SECONDS` and is spent once, with the code, at
``POST /auth/token/second-factor`` or ``/auth/web/second-factor``.

**Codes.** A code is accepted for the current 30-second step or one either side
(``valid_window=1``). The step it matched is recorded per user in one statement,
``UPDATE staff_totp SET last_step = $step WHERE last_step < $step``: a code of a step
already used (a replay, or the loser of two parallel submissions) is refused. Wrong
codes count toward the same username and client limits as wrong passwords
(:func:`jogo.platform.auth.login.throttled`), and the lockout is audited the same way.

**Recovery codes.** :data:`RECOVERY_COUNT` codes of 16 base32 characters (80 random
bits, shown as ``XXXX-XXXX-XXXX-XXXX``), shown once at enrolment or regeneration, each
usable once instead of a TOTP code. Only SHA-256(user id | code) is stored: 80 random
bits cannot be searched offline from the hash (2^80 guesses per user), unlike a
password, so a slow hash (argon2) would add CPU and memory per sign-in and no safety;
online guessing is stopped by the sign-in limits.

**Secrets** are stored encrypted with :mod:`jogo.platform.crypto` (Fernet under a key
derived from ``JOGO_SECRET_KEY``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pyotp

from jogo.platform import db
from jogo.platform.audit import write_user_audit
from jogo.platform.auth.roles import NATIONAL_ROLES, Role
from jogo.platform.crypto import decrypt, encrypt
from jogo.platform.errors import Conflict, InvalidInput, Unauthenticated
from jogo.platform.ratelimit import Limit
from jogo.platform.settings import Settings

ISSUER = "Jogo Indonesia Presisi"
CHALLENGE_PREFIX = "jch_"
CHALLENGE_SECONDS = 300
RECOVERY_COUNT = 10
SECURITY_EVENTS_MAX = 20  # me.securityEvents answers at most this many (graphql/cost.py)
# Kept per user, the oldest (least recently seen) dropped beyond: someone signing in with
# ever new user agents cannot grow either table without bound.
EVENTS_KEPT = 100
DEVICES_KEPT = 50
STEP_SECONDS = 30
# Tenant roles a command's mandatory setting binds; officers and liaisons may enrol.
TENANT_STAFF_ROLES = (Role.OPERATOR.value, Role.TENANT_ADMIN.value)
GLOBAL_STAFF_ROLES = tuple(sorted(r.value for r in NATIONAL_ROLES | {Role.PLATFORM_ADMIN}))
EXPIRED = (
    "Tantangan masuk sudah kedaluwarsa atau terpakai; masuk lagi. / "
    "The sign-in challenge has expired or was used; sign in again."
)
WRONG = "Kode salah atau sudah terpakai. / The code is wrong or was already used."

# Wrong codes while enrolling or regenerating, per user (a stolen access token cannot
# guess at will).
BY_USER = Limit(
    "totp-user",
    5,
    15 * 60,
    "Terlalu banyak kode salah; coba lagi dalam {seconds} detik. / "
    "Too many wrong codes; try again in {seconds} s.",
)

# Bahasa Indonesia first, English beside it: what the user reads about each event.
EVENT_TEXT = {
    "new_device": (
        "Masuk dari perangkat atau jaringan baru. / Sign-in from a new device or network."
    ),
    "lockout": (
        "Terlalu banyak percobaan masuk yang salah; masuk dikunci sementara. / "
        "Too many failed sign-ins; signing in was locked for a while."
    ),
    "totp_enabled": (
        "Verifikasi dua langkah (TOTP) diaktifkan. / Two-step verification (TOTP) turned on."
    ),
    "recovery_codes": "Kode pemulihan baru dibuat. / New recovery codes were made.",
    "recovery_code_used": (
        "Kode pemulihan dipakai untuk masuk. / A recovery code was used to sign in."
    ),
    "totp_reset": (
        "Verifikasi dua langkah (TOTP) dihapus oleh admin; daftarkan lagi. / Two-step"
        " verification (TOTP) was removed by an administrator; enrol again."
    ),
}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --- devices and security events --------------------------------------------------


def device_of(client: str | None, user_agent: str | None) -> str | None:
    """A device fingerprint: 32 hex digits of SHA-256 over the user agent and the client's
    network (IPv4 /24, IPv6 /48); None without a client address."""
    if not client:
        return None
    try:
        address = ipaddress.ip_address(client)
        prefix = 24 if address.version == 4 else 48
        network = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    except ValueError:
        network = client
    return _sha(f"{(user_agent or '')[:512]}|{network}")[:32]


async def record_event(user_id: uuid.UUID, kind: str, client: str | None) -> None:
    """A row of ``security_events`` (``kind`` one of :data:`EVENT_TEXT`), in the caller's
    transaction if any; the user's rows beyond the newest :data:`EVENTS_KEPT` go."""
    await db.fetch(
        "INSERT INTO security_events (user_id, kind, client) VALUES ($1, $2, $3)",
        user_id,
        kind,
        (client or "")[:64] or None,
    )
    await db.fetch(
        "DELETE FROM security_events WHERE user_id = $1 AND id <= (SELECT id FROM"
        " security_events WHERE user_id = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)",
        user_id,
        EVENTS_KEPT,
    )


async def record_lockout(username: str, client: str | None) -> None:
    """A ``lockout`` security event for the user with this username, if there is one."""
    rows = await db.fetch("SELECT id FROM users WHERE username = $1", username)
    if rows:
        await record_event(rows[0]["id"], "lockout", client)


async def note_device(
    user_id: uuid.UUID, username: str, client: str | None, device: str | None
) -> bool:
    """Inside the sign-in's transaction: remember the device (the :data:`DEVICES_KEPT`
    most recently seen per user); a device not seen before for a user who has signed in
    from another one is audited (``auth.new_device``, in every command of the user) and
    recorded as a security event. True when it was new."""
    if device is None:
        return False
    rows = await db.fetch(
        "WITH known AS (SELECT count(*) AS n FROM known_devices WHERE user_id = $1),"
        " seen AS (INSERT INTO known_devices (user_id, device) VALUES ($1, $2)"
        "  ON CONFLICT (user_id, device) DO UPDATE SET last_seen = now()"
        "  RETURNING (xmax = 0) AS inserted)"
        " SELECT seen.inserted, known.n FROM seen, known",
        user_id,
        device,
    )
    new = bool(rows and rows[0]["inserted"] and rows[0]["n"] > 0)
    if rows and rows[0]["n"] >= DEVICES_KEPT:
        await db.fetch(
            "DELETE FROM known_devices WHERE user_id = $1 AND device IN (SELECT device"
            " FROM known_devices WHERE user_id = $1 ORDER BY last_seen DESC OFFSET $2)",
            user_id,
            DEVICES_KEPT,
        )
    if new:
        await record_event(user_id, "new_device", client)
        await write_user_audit(
            "auth.new_device",
            username,
            actor=(username, "user"),
            target=f"user:{username}",
            detail={"client": client, "device": device},
        )
    return new


@dataclass(frozen=True)
class SecurityEvent:
    kind: str
    at: Any
    client: str | None

    @property
    def message(self) -> str:
        """The event in Bahasa Indonesia, then English."""
        return EVENT_TEXT.get(self.kind, self.kind)


async def security_events(
    user_id: uuid.UUID, limit: int = SECURITY_EVENTS_MAX
) -> list[SecurityEvent]:
    """The user's most recent security events, newest first (at most ``limit``)."""
    rows = await db.fetch(
        "SELECT kind, at, client FROM security_events WHERE user_id = $1"
        " ORDER BY at DESC, id DESC LIMIT $2",
        user_id,
        limit,
    )
    return [SecurityEvent(r["kind"], r["at"], r["client"]) for r in rows]


# --- policy -------------------------------------------------------------------------


async def tenant_requires(tenant_id: uuid.UUID) -> bool:
    """Whether the command made TOTP mandatory for its operators and tenant admins."""
    rows = await db.fetch(
        "SELECT staff_totp_required FROM tenant_sign_in_policy WHERE tenant = $1", tenant_id
    )
    return bool(rows and rows[0]["staff_totp_required"])


async def set_tenant_requires(tenant_id: uuid.UUID, required: bool, actor: str) -> bool:
    """Inside the caller's transaction: set the command's policy; returns it."""
    await db.fetch(
        "INSERT INTO tenant_sign_in_policy (tenant, staff_totp_required, updated_by)"
        " VALUES ($1, $2, $3) ON CONFLICT (tenant) DO UPDATE SET"
        " staff_totp_required = $2, updated_at = now(), updated_by = $3",
        tenant_id,
        required,
        actor,
    )
    return required


@dataclass(frozen=True)
class Status:
    enabled: bool
    required: bool
    recovery_codes_left: int


async def status(user_id: uuid.UUID, settings: Settings) -> Status:
    """Whether the user's TOTP is on, whether it is required of them, and how many unused
    recovery codes they have. One statement."""
    rows = await db.fetch(
        "SELECT EXISTS (SELECT 1 FROM staff_totp WHERE user_id = $1"
        "   AND confirmed_at IS NOT NULL) AS enabled,"
        " (EXISTS (SELECT 1 FROM memberships m JOIN tenant_sign_in_policy p"
        "   ON p.tenant = m.tenant WHERE m.user_id = $1 AND m.role = ANY($2::text[])"
        "   AND p.staff_totp_required)"
        "  OR ($4 AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = $1"
        "   AND m.role = ANY($3::text[])))) AS required,"
        " (SELECT count(*) FROM totp_recovery_codes WHERE user_id = $1"
        "   AND used_at IS NULL)::int AS left_n",
        user_id,
        list(TENANT_STAFF_ROLES),
        list(GLOBAL_STAFF_ROLES),
        settings.staff_totp_required,
    )
    r = rows[0]
    return Status(bool(r["enabled"]), bool(r["required"]), int(r["left_n"]))


# --- challenges ----------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    """What a right password answers when a second factor is needed."""

    kind: str  # "totp" or "enrol"
    token: str
    expires_in: int  # seconds

    def body(self) -> dict[str, object]:
        """``{"second_factor", "challenge", "expires_in", "message"}``."""
        message = (
            "Masukkan kode dari aplikasi autentikator atau kode pemulihan. / "
            "Enter the code from your authenticator app or a recovery code."
            if self.kind == "totp"
            else "Komando Anda mewajibkan verifikasi dua langkah: daftarkan aplikasi "
            "autentikator dulu. / Your command requires two-step verification: enrol an "
            "authenticator app first."
        )
        return {
            "second_factor": self.kind,
            "challenge": self.token,
            "expires_in": self.expires_in,
            "message": message,
        }


async def second_factor_needed(user_id: uuid.UUID, settings: Settings) -> str | None:
    """``"totp"`` when the user's TOTP is on, ``"enrol"`` when it is required of them and
    off, None otherwise."""
    found = await status(user_id, settings)
    if found.enabled:
        return "totp"
    return "enrol" if found.required else None


async def open_challenge(
    user_id: uuid.UUID, kind: str, client: str | None, device: str | None
) -> Challenge:
    """A new challenge of ``kind`` for the user (stored as its SHA-256)."""
    token = CHALLENGE_PREFIX + secrets.token_urlsafe(32)
    await db.fetch(
        "WITH purged AS (DELETE FROM sign_in_challenges WHERE token_hash IN ("
        "  SELECT token_hash FROM sign_in_challenges WHERE expires_at < now() - interval '1 day'"
        "  ORDER BY expires_at LIMIT 20 FOR UPDATE SKIP LOCKED))"
        " INSERT INTO sign_in_challenges (token_hash, user_id, kind, client, device, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))",
        _sha(token),
        user_id,
        kind,
        (client or "")[:64] or None,
        device,
        CHALLENGE_SECONDS,
    )
    return Challenge(kind, token, CHALLENGE_SECONDS)


@dataclass(frozen=True)
class Pending:
    user_id: uuid.UUID
    username: str
    kind: str
    device: str | None


async def find_challenge(token: str) -> Pending:
    """The live (unexpired, unspent) challenge of ``token`` of a user who may still sign
    in (active, with a membership); :class:`Unauthenticated` otherwise."""
    if not token.startswith(CHALLENGE_PREFIX) or len(token) > 200:
        raise Unauthenticated(EXPIRED)
    rows = await db.fetch(
        "SELECT c.user_id, u.username, c.kind, c.device FROM sign_in_challenges c"
        " JOIN users u ON u.id = c.user_id"
        " WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.expires_at > now() AND u.is_active"
        " AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)",
        _sha(token),
    )
    if not rows:
        raise Unauthenticated(EXPIRED)
    r = rows[0]
    return Pending(r["user_id"], r["username"], r["kind"], r["device"])


async def answer_challenge(
    token: str, user_id: uuid.UUID, code: str, settings: Settings, client: str | None
) -> str:
    """Judge ``code`` (:func:`check_code`) and spend the ``totp`` challenge, in one
    transaction holding the challenge's row: of parallel answers to one challenge one is
    judged at a time, so the losers spend no code or time step of the user. ``"totp"`` or
    ``"recovery"``; :class:`Unauthenticated` for a wrong code (:data:`WRONG`) or a
    challenge spent or expired meanwhile (:data:`EXPIRED`)."""
    async with db.control_tx():
        rows = await db.fetch(
            "SELECT 1 FROM sign_in_challenges WHERE token_hash = $1 AND used_at IS NULL"
            " AND expires_at > now() FOR UPDATE",
            _sha(token),
        )
        if not rows:
            raise Unauthenticated(EXPIRED)
        used = await check_code(user_id, code, settings)
        if used is None:
            raise Unauthenticated(WRONG)
        await spend_challenge(token)
        if used == "recovery":
            await record_event(user_id, "recovery_code_used", client)
    return used


async def spend_challenge(token: str) -> None:
    """Spend the challenge once (one statement); :class:`Unauthenticated` when it was spent
    or expired meanwhile."""
    rows = await db.fetch(
        "UPDATE sign_in_challenges SET used_at = now()"
        " WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING 1",
        _sha(token),
    )
    if not rows:
        raise Unauthenticated(EXPIRED)


# --- codes ---------------------------------------------------------------------------


def _matched_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (current, or one either side) whose code is ``code``; None if none.
    Only ASCII digits count: ``str.isdigit`` also takes Arabic-Indic or superscript
    digits, which ``hmac.compare_digest`` refuses with a ``TypeError``."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(time.time() if now is None else now)
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


async def _secret(user_id: uuid.UUID, settings: Settings, *, confirmed: bool) -> str | None:
    rows = await db.fetch(
        "SELECT secret FROM staff_totp WHERE user_id = $1 AND (confirmed_at IS NOT NULL) = $2",
        user_id,
        confirmed,
    )
    return decrypt(rows[0]["secret"], settings.secret_key) if rows else None


async def _use_step(user_id: uuid.UUID, step: int, *, confirm: bool = False) -> bool:
    """Record ``step`` as used, atomically: False when it (or a later one) already was."""
    rows = await db.fetch(
        "UPDATE staff_totp SET last_step = $2,"
        " confirmed_at = CASE WHEN $3 THEN coalesce(confirmed_at, now()) ELSE confirmed_at END"
        " WHERE user_id = $1 AND last_step < $2"
        " AND (confirmed_at IS NOT NULL) = NOT $3 RETURNING 1",
        user_id,
        step,
        confirm,
    )
    return bool(rows)


def _normal_recovery(code: str) -> str:
    return "".join(c for c in (code or "").upper() if c.isalnum())


def _recovery_hash(user_id: uuid.UUID, code: str) -> str:
    return _sha(f"{user_id}|{_normal_recovery(code)}")


async def check_code(user_id: uuid.UUID, code: str, settings: Settings) -> str | None:
    """Accept a TOTP code (once per time step) or an unused recovery code (spent) of the
    user whose TOTP is on: ``"totp"`` or ``"recovery"``; None for anything else."""
    secret = await _secret(user_id, settings, confirmed=True)
    if secret is None:
        return None
    step = _matched_step(secret, code)
    if step is not None:
        return "totp" if await _use_step(user_id, step) else None
    if len(_normal_recovery(code)) != 16:
        return None
    rows = await db.fetch(
        "UPDATE totp_recovery_codes SET used_at = now()"
        " WHERE code_hash = $1 AND user_id = $2 AND used_at IS NULL RETURNING 1",
        _recovery_hash(user_id, code),
        user_id,
    )
    return "recovery" if rows else None


def _new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 16 characters, 80 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


async def _store_recovery_codes(user_id: uuid.UUID) -> list[str]:
    """Inside the caller's transaction: replace the user's recovery codes; the new ones."""
    codes = _new_recovery_codes()
    await db.fetch("DELETE FROM totp_recovery_codes WHERE user_id = $1", user_id)
    await db.fetch(
        "INSERT INTO totp_recovery_codes (code_hash, user_id)"
        " SELECT h, $1 FROM unnest($2::text[]) h",
        user_id,
        [_recovery_hash(user_id, c) for c in codes],
    )
    return codes


# --- enrolment -----------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32
    provisioning_uri: str  # otpauth://totp/...

    def body(self) -> dict[str, str]:
        """``{"secret", "provisioning_uri"}``."""
        return {"secret": self.secret, "provisioning_uri": self.provisioning_uri}


async def begin_enrolment(user_id: uuid.UUID, username: str, settings: Settings) -> Enrolment:
    """A new secret for the user (replacing an unconfirmed one) and its ``otpauth://`` URI.
    Errors: ``CONFLICT`` when TOTP is on already."""
    secret = pyotp.random_base32()
    rows = await db.fetch(
        "INSERT INTO staff_totp (user_id, secret) VALUES ($1, $2)"
        " ON CONFLICT (user_id) DO UPDATE SET secret = $2, created_at = now(), last_step = 0"
        " WHERE staff_totp.confirmed_at IS NULL RETURNING 1",
        user_id,
        encrypt(secret, settings.secret_key),
    )
    if not rows:
        raise Conflict(
            "Verifikasi dua langkah sudah aktif. / Two-step verification is on already.",
            field="code",
        )
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return Enrolment(secret, uri)


async def confirm_enrolment(
    user_id: uuid.UUID, username: str, code: str, settings: Settings, client: str | None
) -> list[str]:
    """Turn TOTP on with a current code of the pending secret; the recovery codes (shown
    once). Audited ``auth.totp_enabled``. Errors: ``INVALID_INPUT`` on ``code`` (wrong,
    replayed, or no enrolment started); ``RATE_LIMITED`` after 5 wrong codes in 15 min."""
    hit = await BY_USER.hit(str(user_id))
    secret = await _secret(user_id, settings, confirmed=False)
    step = _matched_step(secret, code) if secret is not None else None
    if step is None:
        raise InvalidInput(WRONG, field="code")
    async with db.control_tx():
        if not await _use_step(user_id, step, confirm=True):
            raise InvalidInput(WRONG, field="code")
        codes = await _store_recovery_codes(user_id)
        await record_event(user_id, "totp_enabled", client)
        await write_user_audit(
            "auth.totp_enabled",
            username,
            actor=(username, "user"),
            target=f"user:{username}",
            detail={"client": client},
        )
    await BY_USER.refund(hit)
    return codes


async def regenerate_recovery_codes(
    user_id: uuid.UUID, username: str, code: str, settings: Settings, client: str | None
) -> list[str]:
    """New recovery codes (the old ones void) after a current TOTP code. Audited
    ``auth.recovery_codes``. Errors: ``INVALID_INPUT`` on ``code``; ``RATE_LIMITED``."""
    hit = await BY_USER.hit(str(user_id))
    secret = await _secret(user_id, settings, confirmed=True)
    step = _matched_step(secret, code) if secret is not None else None
    if step is None:
        raise InvalidInput(WRONG, field="code")
    async with db.control_tx():
        if not await _use_step(user_id, step):
            raise InvalidInput(WRONG, field="code")
        codes = await _store_recovery_codes(user_id)
        await record_event(user_id, "recovery_codes", client)
        await write_user_audit(
            "auth.recovery_codes",
            username,
            actor=(username, "user"),
            target=f"user:{username}",
            detail={"client": client},
        )
    await BY_USER.refund(hit)
    return codes


async def reset_factor(user_id: uuid.UUID, client: str | None = None) -> bool:
    """Remove ``user_id``'s TOTP factor, recovery codes and pending sign-in challenges (in
    the caller's transaction, if any), for a member who lost both phone and codes: their
    next sign-in is by password alone, or asks them to enrol where the factor is
    required. Records a ``totp_reset`` security event the user sees. Returns whether there
    was a factor (False changes nothing and records nothing)."""
    gone = await db.fetch("DELETE FROM staff_totp WHERE user_id = $1 RETURNING user_id", user_id)
    if not gone:
        return False
    await db.fetch("DELETE FROM totp_recovery_codes WHERE user_id = $1", user_id)
    await db.fetch("DELETE FROM sign_in_challenges WHERE user_id = $1", user_id)
    await record_event(user_id, "totp_reset", client)
    return True
