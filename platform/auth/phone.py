"""Citizens sign up and sign in with a phone number and a one-time code (issue 17).

``POST /auth/phone/start`` asks for a code: 6 digits, sent by SMS or WhatsApp through the
command's notification gateway (the composition root sends it, in the transaction that
stores it: :mod:`jogo.platform.app.phone_routes`). ``POST /auth/phone/verify`` (and
``/auth/web/phone/verify``) spends it and opens a session (:mod:`.sessions`).

- **Kept as a hash.** Only HMAC-SHA256(``JOGO_SECRET_KEY``, command | number | code) is
  stored, so a copy of the table cannot be searched through the 10^6 codes, and a code
  made for one command or number means nothing for another.
- **Short-lived and single use.** :data:`CODE_TTL` (5 min); spent by one ``UPDATE … WHERE
  used_at IS NULL``, so of parallel verifications with one code exactly one signs in.
- **One live code per command and number.** A new code replaces the older one in place
  (``INSERT … ON CONFLICT`` on a partial unique index), so the older one is void at once.
- **Guess cap.** Every verification of a number counts one attempt of its live code, in
  one statement, before anything is compared; the :data:`MAX_ATTEMPTS`-th wrong guess
  kills the code (audited ``auth.phone_code_locked``).
- **Limits** (:mod:`jogo.platform.ratelimit`, atomic): codes asked per number and per
  client address, verifications per number and per client; each counted first.
- **No enumeration.** Asking for a code reads no account at all: the answer is the same
  for every number. Verifying makes the account of a new number.
- **Accounts.** A new number gets a user with a generated username (``warga-…``), no
  password (``/auth/token`` refuses it like a wrong password), its phone, and a
  ``citizen`` membership in the command; signing in at another command adds a
  ``citizen`` membership there, unless that command ended the person's membership.
- **Consent.** A citizen who has not accepted the privacy notice in force at this
  command (its own newest version, or the product's default :mod:`.privacy`; the
  caller passes its version) is answered :class:`ConsentRequired` (the code is not
  spent, so the same code is sent again with ``consent``); acceptance is recorded with
  its version, time, command and client (``privacy_consents``, one row per person,
  command and version), audited ``privacy.consent``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.contacts import normalise_phone
from jogo.platform.errors import Conflict, Forbidden, InvalidInput, JogoError, Unauthenticated
from jogo.platform.ratelimit import Hit, Limit, RateLimited

CHANNELS = ("SMS", "WHATSAPP")
CODE_TTL = 300  # seconds
CODE_DIGITS = 6
MAX_ATTEMPTS = 5
USERNAME_PREFIX = "warga-"

_CODES_MESSAGE = (
    "Terlalu banyak permintaan kode; coba lagi dalam {minutes} menit. / "
    "Too many code requests; try again in {minutes} min."
)
_VERIFY_MESSAGE = (
    "Terlalu banyak percobaan kode; coba lagi dalam {seconds} detik. / "
    "Too many code attempts; try again in {seconds} s."
)
# Codes asked for one number (any command, any client): each is an SMS or WhatsApp
# message to that person, so a stranger cannot flood them.
START_BY_PHONE = Limit("phone-code-number", 5, 60 * 60, _CODES_MESSAGE)
# Codes asked from one client address (any number): the gateway's bill.
START_BY_CLIENT = Limit("phone-code-client", 20, 60 * 60, _CODES_MESSAGE)
# Verifications per number and per client (successes are taken back).
VERIFY_BY_PHONE = Limit("phone-verify-number", 10, 15 * 60, _VERIFY_MESSAGE)
VERIFY_BY_CLIENT = Limit("phone-verify-client", 30, 15 * 60, _VERIFY_MESSAGE)

INVALID_CODE_MESSAGE = (
    "Kode salah, kedaluwarsa, atau sudah dipakai; minta kode baru. / "
    "The code is wrong, expired or already used; ask for a new one."
)
CHANNEL_MESSAGE = "Pilih saluran SMS atau WHATSAPP. / Choose the channel SMS or WHATSAPP."
DISABLED_MESSAGE = (
    "Akun ini tidak dapat masuk di komando ini; hubungi komando kepolisian setempat. / "
    "This account cannot sign in at this command; contact the local police command."
)


class InvalidCode(Unauthenticated):
    """A wrong, expired, spent or dead code (HTTP 401), one answer for every case."""

    code = "INVALID_CODE"


class ConsentRequired(Conflict):
    """The person has not accepted the privacy notice in force (HTTP 409), for sign-up
    or for a purpose whose basis is consent; ``notice_version`` is the version to accept
    (also in the message), ``field`` the input that carries it."""

    code = "CONSENT_REQUIRED"

    def __init__(self, notice_version: str, field: str = "consent") -> None:
        super().__init__(
            f"Setujui Pemberitahuan Privasi versi {notice_version} untuk melanjutkan. / "
            f"Accept the privacy notice (version {notice_version}) to continue.",
            field=field,
        )
        self.notice_version = notice_version


class GatewayUnavailable(JogoError):
    """The command has no enabled gateway for the chosen channel (HTTP 503)."""

    code = "GATEWAY_UNAVAILABLE"

    def __init__(self, channel: str) -> None:
        super().__init__(
            f"Komando ini belum dapat mengirim kode lewat {channel}; coba saluran lain, atau"
            f" hubungi 110 bila darurat. / This command cannot send codes by {channel} yet;"
            " try another channel, or call 110 in an emergency.",
            field="channel",
        )


@dataclass(frozen=True)
class SignedIn:
    """Who a verified code signed in: ``created`` for a new account, ``joined`` when the
    ``citizen`` membership in this command is new, ``consented`` when this sign-in
    recorded the acceptance of the notice."""

    user_id: uuid.UUID
    username: str
    created: bool
    joined: bool
    consented: bool


def check_channel(channel: str | None) -> str:
    """``SMS`` or ``WHATSAPP`` (any case); :class:`InvalidInput` on ``channel`` otherwise."""
    value = (channel or "").strip().upper()
    if value not in CHANNELS:
        raise InvalidInput(CHANNEL_MESSAGE, field="channel")
    return value


def _digest(secret_key: str, tenant_id: uuid.UUID, phone: str, code: str) -> str:
    message = f"phone-code|{tenant_id}|{phone}|{code}".encode("utf-8", "surrogatepass")
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def _clean_code(code: str) -> str:
    """What the citizen typed, without the spaces and dashes a phone keyboard adds."""
    return re.sub(r"[\s-]", "", code or "")[:32]


async def _count(
    by_client: Limit, by_phone: Limit, raw_phone: str, client: str | None, tenant_id: uuid.UUID
) -> tuple[str, Hit, Hit]:
    """Count one hit per client, then (the number read as E.164) one per number at this
    command (so whoever exhausts a number's codes at one command blocks it there only);
    a number that is not valid is :class:`InvalidInput` on ``phone``. A refusal by number
    takes the client's hit back."""
    client_hit = await by_client.hit(client or "unknown")
    try:
        phone = normalise_phone(raw_phone, "phone")
        phone_hit = await by_phone.hit(f"{tenant_id}:{phone}")
    except (InvalidInput, RateLimited):
        await by_client.refund(client_hit)
        raise
    return phone, client_hit, phone_hit


async def count_start(raw_phone: str, client: str | None, tenant_id: uuid.UUID) -> str:
    """Count a code request (per client, then per number at command ``tenant_id``) and
    answer the number as E.164.

    Errors: :class:`RateLimited` (``retry_after`` seconds); :class:`InvalidInput` on
    ``phone`` for a number that is not valid (national numbers read as Indonesian)."""
    phone, _, _ = await _count(START_BY_CLIENT, START_BY_PHONE, raw_phone, client, tenant_id)
    return phone


async def issue_phone_code(
    tenant_id: uuid.UUID, phone: str, channel: str, secret_key: str, client: str | None
) -> str:
    """Inside the caller's transaction: a new 6-digit code for ``phone`` (E.164) at this
    command, valid :data:`CODE_TTL` seconds; the number's older code here is void. Returns
    the code (to send; it is stored only as an HMAC)."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    await db.fetch(  # a bounded batch of codes that ended over a day ago
        "DELETE FROM phone_codes WHERE id IN (SELECT id FROM phone_codes"
        " WHERE expires_at < now() - interval '1 day' LIMIT 20 FOR UPDATE SKIP LOCKED)"
    )
    await db.fetch(
        "INSERT INTO phone_codes (tenant, phone, channel, code_hash, expires_at, client)"
        " VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6)"
        " ON CONFLICT (tenant, phone) WHERE used_at IS NULL DO UPDATE SET"
        " channel = EXCLUDED.channel, code_hash = EXCLUDED.code_hash, attempts = 0,"
        " created_at = now(), expires_at = EXCLUDED.expires_at, client = EXCLUDED.client",
        tenant_id,
        phone,
        channel,
        _digest(secret_key, tenant_id, phone, code),
        CODE_TTL,
        (client or "")[:64] or None,
    )
    return code


async def _attempt(tenant_id: uuid.UUID, phone: str, digest: str) -> uuid.UUID:
    """One attempt at the number's live code, counted and judged in one statement (its
    own transaction, so the count stays whatever happens next). Returns the code's id
    when ``digest`` is its hash; raises :class:`InvalidCode` otherwise, killing the code
    at its :data:`MAX_ATTEMPTS`-th attempt."""
    rows = await db.fetch(
        "UPDATE phone_codes SET attempts = attempts + 1, used_at = CASE"
        " WHEN code_hash <> $3 AND attempts + 1 >= $4 THEN now() ELSE used_at END"
        " WHERE tenant = $1 AND phone = $2 AND used_at IS NULL AND expires_at > now()"
        " RETURNING id, code_hash = $3 AS ok, used_at IS NOT NULL AS dead",
        tenant_id,
        phone,
        digest,
        MAX_ATTEMPTS,
    )
    if rows and rows[0]["ok"]:
        return uuid.UUID(str(rows[0]["id"]))
    if rows and rows[0]["dead"]:
        await write_audit(
            "auth.phone_code_locked",
            actor=("system", "system"),
            tenant_id=tenant_id,
            target=f"phone-code:{rows[0]['id']}",
            detail={"attempts": MAX_ATTEMPTS},
        )
    raise InvalidCode(INVALID_CODE_MESSAGE, field="code")


async def _user_of(phone: str, full_name: str | None) -> tuple[uuid.UUID, str, bool, bool]:
    """Inside the transaction: the user with this phone (locked), made when there is
    none: ``(id, username, is_active, created)``."""
    for _ in range(5):  # a generated username taken already: draw another
        rows = await db.fetch(
            "SELECT id, username, is_active FROM users WHERE phone = $1 FOR UPDATE", phone
        )
        if rows:
            return rows[0]["id"], rows[0]["username"], rows[0]["is_active"], False
        username = USERNAME_PREFIX + secrets.token_hex(5)
        made = await db.fetch(
            "INSERT INTO users (id, username, password_hash, full_name, phone)"
            " VALUES ($1, $2, NULL, $3, $4) ON CONFLICT DO NOTHING RETURNING id",
            uuid.uuid4(),
            username,
            full_name,
            phone,
        )
        if made:
            return made[0]["id"], username, True, True
    raise InvalidCode(INVALID_CODE_MESSAGE, field="code")  # pragma: no cover - 2^40 names


def _clean_name(name: str | None) -> str | None:
    text = " ".join((name or "").split())[:120]
    return text or None


async def _consent(
    user_id: uuid.UUID,
    username: str,
    consent: str | None,
    tenant_id: uuid.UUID,
    client: str | None,
    notice_version: str,
) -> bool:
    """Inside the transaction: True when this call recorded the acceptance of the notice
    in force at this command (``notice_version``); False when it was accepted before.
    :class:`ConsentRequired` otherwise."""
    rows = await db.fetch(
        "SELECT 1 FROM privacy_consents WHERE user_id = $1 AND tenant = $2 AND notice_version = $3",
        user_id,
        tenant_id,
        notice_version,
    )
    if rows:
        return False
    if (consent or "").strip() != notice_version:
        raise ConsentRequired(notice_version)
    await db.fetch(
        "INSERT INTO privacy_consents (user_id, notice_version, tenant, client)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, tenant, notice_version) DO NOTHING",
        user_id,
        notice_version,
        tenant_id,
        (client or "")[:64] or None,
    )
    await write_audit(
        "privacy.consent",
        actor=(username, "user"),
        tenant_id=tenant_id,
        target=f"user:{user_id}",
        detail={"notice_version": notice_version, "purpose": "sign_up", "client": client},
    )
    return True


async def verify_phone_code(
    tenant_id: uuid.UUID,
    raw_phone: str,
    code: str,
    *,
    consent: str | None,
    name: str | None,
    secret_key: str,
    client: str | None,
    notice_version: str | Callable[[], Awaitable[str]] = NOTICE_VERSION,
) -> SignedIn:
    """Spend the number's code at this command and answer the citizen it signs in (made
    when new), a ``citizen`` of the command. Start the session afterwards
    (:func:`jogo.platform.auth.sessions.start_session`). ``notice_version``: the
    version of the privacy notice in force at this command (the product's default when
    it published none), or a function answering it, called only once the code is right.

    Errors: :class:`RateLimited` (per client, then per number, counted first);
    :class:`InvalidInput` on ``phone``; :class:`InvalidCode` for a wrong, expired,
    spent or dead code; :class:`ConsentRequired` (the code stays live) when the notice
    in force is not accepted and ``consent`` is not its version; :class:`Forbidden`
    for a disabled account or one whose membership this command ended.
    """
    phone, client_hit, phone_hit = await _count(
        VERIFY_BY_CLIENT, VERIFY_BY_PHONE, raw_phone, client, tenant_id
    )
    digest = _digest(secret_key, tenant_id, phone, _clean_code(code))
    code_id = await _attempt(tenant_id, phone, digest)
    if not isinstance(notice_version, str):
        notice_version = await notice_version()
    async with db.control_tx():
        spent = await db.fetch(
            "UPDATE phone_codes SET used_at = now()"
            " WHERE id = $1 AND used_at IS NULL AND expires_at > now() RETURNING 1",
            code_id,
        )
        if not spent:
            raise InvalidCode(INVALID_CODE_MESSAGE, field="code")  # spent in parallel
        user_id, username, active, created = await _user_of(phone, _clean_name(name))
        ended = await db.fetch(
            "SELECT 1 FROM ended_memberships WHERE user_id = $1 AND tenant = $2",
            user_id,
            tenant_id,
        )
        if not active or ended:
            raise Forbidden(DISABLED_MESSAGE)
        consented = await _consent(user_id, username, consent, tenant_id, client, notice_version)
        joined = bool(
            await db.fetch(
                "INSERT INTO memberships (user_id, tenant, role) VALUES ($1, $2, 'citizen')"
                " ON CONFLICT DO NOTHING RETURNING 1",
                user_id,
                tenant_id,
            )
        )
        await write_audit(
            "auth.phone_signup" if created else "auth.phone_signin",
            actor=(username, "user"),
            tenant_id=tenant_id,
            target=f"user:{user_id}",
            detail={"client": client, "joined": joined, "notice_version": notice_version},
        )
    await VERIFY_BY_CLIENT.refund(client_hit)
    await VERIFY_BY_PHONE.refund(phone_hit)
    return SignedIn(uuid.UUID(str(user_id)), username, created, joined, consented)


async def phone_of(user_id: uuid.UUID) -> str | None:
    """The user's phone (E.164), or None (staff, API keys)."""
    rows = await db.fetch("SELECT phone FROM users WHERE id = $1", user_id)
    return rows[0]["phone"] if rows else None
