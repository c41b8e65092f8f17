"""A command's privacy notice: its versions, the one in force, and publishing a new one.

The newest published version of a command is in force there. A command that has
published none shows the product's default (:mod:`jogo.platform.auth.privacy`), read
from code rather than seeded per command: a command onboarded tomorrow has it at once,
and a command that never wrote its own follows the product's wording when the product
changes it (under a new version label, so its citizens are asked again). Published
versions are immutable (the app role may not UPDATE or DELETE them, migration 0038).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.privacy import NOTICE_VERSION, current_notice
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import Conflict, InputErrors, InvalidInput

VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
TEXT_CHARS = (50, 20000)
MAX_HISTORY = 50


@dataclass(frozen=True)
class PublishedNotice:
    """A version of a command's notice: ``version``, ``text_id``, ``text_en``;
    ``published_at`` and ``published_by`` (None for the product's default, which
    ``is_default``)."""

    version: str
    text_id: str
    text_en: str
    published_at: datetime | None
    published_by: str | None
    is_default: bool

    @classmethod
    def of(cls, row: dict[str, Any]) -> PublishedNotice:
        """From a ``privacy_notices`` row."""
        return cls(
            row["version"],
            row["text_id"],
            row["text_en"],
            row["published_at"],
            row["published_by"],
            is_default=False,
        )


def default_notice() -> PublishedNotice:
    """The product's default notice, in force where a command published none."""
    notice = current_notice()
    return PublishedNotice(
        notice.version, notice.text_id, notice.text_en, None, None, is_default=True
    )


async def notice_in_force() -> PublishedNotice:
    """Inside the caller's tenant transaction: the newest published version, else the
    product's default."""
    rows = await db.fetch(
        "SELECT version, text_id, text_en, published_at, published_by FROM privacy_notices"
        " ORDER BY published_at DESC, version DESC LIMIT 1"
    )
    return PublishedNotice.of(dict(rows[0])) if rows else default_notice()


async def current_notice_of(tenant_id: uuid.UUID) -> PublishedNotice:
    """The notice in force at command ``tenant_id`` (its own read transaction, or the
    request's shared one)."""
    async with db.read_tx(tenant_id):
        return await notice_in_force()


async def history(tenant_id: uuid.UUID, first: int = MAX_HISTORY) -> list[PublishedNotice]:
    """The command's versions, newest first (at most ``first``, capped at
    :data:`MAX_HISTORY`), ending with the product's default (in force before the first
    one the command published) when there is room."""
    first = max(0, min(first, MAX_HISTORY))
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT version, text_id, text_en, published_at, published_by FROM privacy_notices"
            " ORDER BY published_at DESC, version DESC LIMIT $1",
            first,
        )
    found = [PublishedNotice.of(dict(r)) for r in rows]
    if len(found) < first:
        found.append(default_notice())
    return found


def _check(version: str, text_id: str, text_en: str) -> tuple[str, str, str]:
    errors: list[InvalidInput] = []
    label = (version or "").strip()
    if not VERSION.match(label):
        errors.append(
            InvalidInput(
                "Versi: 1-32 huruf, angka, titik, garis bawah atau tanda hubung. / Version:"
                " 1-32 letters, digits, dots, underscores or hyphens.",
                field="version",
            )
        )
    texts = []
    for name, text in (("textId", text_id), ("textEn", text_en)):
        # The template's "{version}" placeholder takes the label.
        clean = (text or "").strip().replace("{version}", label)
        if not TEXT_CHARS[0] <= len(clean) <= TEXT_CHARS[1]:
            errors.append(
                InvalidInput(
                    f"Teks: {TEXT_CHARS[0]}-{TEXT_CHARS[1]} karakter. / The text must be"
                    f" {TEXT_CHARS[0]}-{TEXT_CHARS[1]} characters.",
                    field=name,
                )
            )
        texts.append(clean)
    if errors:
        raise InputErrors(errors)
    return label, texts[0], texts[1]


async def do_publish_notice(
    tenant_id: uuid.UUID, principal: Principal, version: str, text_id: str, text_en: str
) -> PublishedNotice:
    """Publish a new version of the command's notice (tenant admins), in force at once;
    every citizen is asked to accept it at their next sign-up or sign-in, and at the
    next collection point for notifications or sharing. ``{version}`` in a text becomes
    the label. Audited ``privacy.notice_published``.

    Errors: ``FORBIDDEN`` / ``UNAUTHENTICATED`` without ``TENANT_ADMIN``;
    ``INVALID_INPUT`` on ``version``, ``textId``, ``textEn`` (all at once); ``CONFLICT``
    on ``version`` for a label this command used already (or the product default's)."""
    if Cap.TENANT_ADMIN not in principal.tenant_caps(tenant_id):
        raise denied(principal, "only a tenant admin publishes the privacy notice")
    label, text_id, text_en = _check(version, text_id, text_en)
    taken = Conflict(
        f"Versi {label} sudah dipakai; pilih label lain. / Version {label} is taken;"
        " choose another label.",
        field="version",
    )
    if label == NOTICE_VERSION:
        raise taken
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "INSERT INTO privacy_notices (tenant_id, version, text_id, text_en, published_by)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
            " RETURNING version, text_id, text_en, published_at, published_by",
            tenant_id,
            label,
            text_id,
            text_en,
            principal.name or "unknown",
        )
        if not rows:
            raise taken
        await write_audit(
            "privacy.notice_published",
            principal=principal,
            tenant_id=tenant_id,
            target=f"privacy-notice:{label}",
            detail={"version": label},
        )
    return PublishedNotice.of(dict(rows[0]))
