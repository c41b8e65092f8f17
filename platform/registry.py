"""The tenant registry: a tenant's identity, slug lookup and enabled modules.

Slug lookups happen on every tenant request, so they are cached for a few seconds;
changes made in this process drop the cache at once, other processes see them within
:data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from jogo.platform import db
from jogo.platform.errors import Conflict, InvalidInput, NotFound

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
KINDS = ("POLRES", "POLRESTA", "POLRESTABES")
STATUSES = ("ACTIVE", "SUSPENDED")
# Core reports are always on; these can be switched per tenant.
MODULES = ("integrations", "bulletins", "sharing", "facilities", "election")
CACHE_SECONDS = 5.0
TICKET_PREFIX_INDEX = "tenants_ticket_prefix_key"  # migration 0015
_TICKET_PREFIX_LOCK = 0x4A4F474F5450  # pg_advisory_xact_lock key: "JOGOTP"

_COLUMNS = (
    "id, slug, name, kind, polda_code, region_code, time_zone, ticket_prefix,"
    " status, modules, template, created_at"
)


@dataclass(frozen=True)
class TenantInfo:
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    polda_code: str
    region_code: str
    time_zone: str
    ticket_prefix: str
    status: str
    modules: frozenset[str]
    template: str
    created_at: datetime

    @property
    def active(self) -> bool:
        """True when the status is ``ACTIVE``; a ``SUSPENDED`` tenant is served nothing."""
        return self.status == "ACTIVE"

    @classmethod
    def from_row(cls, row: Any) -> TenantInfo:
        """A :class:`TenantInfo` from a ``tenants`` row with the :data:`_COLUMNS` columns;
        ``modules`` becomes a frozenset."""
        data = dict(row)
        data["modules"] = frozenset(data["modules"])
        return cls(**data)


_cache: dict[str, tuple[float, TenantInfo]] = {}
_id_cache: dict[uuid.UUID, tuple[float, TenantInfo]] = {}
# Bumped by every change that drops cached entries: a lookup whose read began before the
# change (another event loop of this process, a worker) does not cache what it read.
_changes = [0]


def clear_cache() -> None:
    """Drop the slug and id caches of this process (tests, and after changes made elsewhere that
    must show at once)."""
    _changes[0] += 1
    _cache.clear()
    _id_cache.clear()


def forget(tenant_id: uuid.UUID) -> None:
    """Drop this process's cached entries of one tenant (by id and by slug), after a change
    made elsewhere was announced (:mod:`jogo.platform.auth.revocation`, kind ``tenant``)."""
    _changes[0] += 1
    _id_cache.pop(tenant_id, None)
    for slug in [s for s, (_, info) in _cache.items() if info.id == tenant_id]:
        _cache.pop(slug, None)


def check_slug(slug: str, field: str = "slug") -> str:
    """``slug`` if it has 3-63 lowercase letters, digits or hyphens and starts and ends with a
    letter or digit. Raises :class:`InvalidInput` on ``field``."""
    if not SLUG.match(slug or ""):
        raise InvalidInput(
            f"slug {slug!r} must be 3-63 lowercase letters, digits or hyphens,"
            " starting and ending with a letter or digit",
            field=field,
        )
    return slug


def check_modules(modules: Iterable[str], field: str = "modules") -> frozenset[str]:
    """The optional modules chosen (trimmed, blanks dropped), each one of :data:`MODULES`; core
    reports are implied. Raises :class:`InvalidInput` on ``field`` for an unknown module."""
    chosen = frozenset(m.strip() for m in modules if m.strip())
    unknown = sorted(chosen - set(MODULES))
    if unknown:
        raise InvalidInput(
            f"unknown module {unknown[0]!r}; expected some of {', '.join(MODULES)}", field=field
        )
    return chosen


async def find_by_slug(slug: str) -> TenantInfo | None:
    """The tenant, or None for an unknown (or malformed) slug; active or not."""
    if not SLUG.match(slug or ""):
        return None
    hit = _cache.get(slug)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    seen = _changes[0]
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM tenants WHERE slug = $1", slug)
    if not rows:
        _cache.pop(slug, None)
        return None
    info = TenantInfo.from_row(rows[0])
    if _changes[0] == seen:
        _cache[slug] = (time.monotonic() + CACHE_SECONDS, info)
    return info


async def find_by_id(tenant_id: uuid.UUID) -> TenantInfo | None:
    """Cached like slugs: workers look their message's tenant up on every message."""
    hit = _id_cache.get(tenant_id)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    seen = _changes[0]
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM tenants WHERE id = $1", tenant_id)
    if not rows:
        _id_cache.pop(tenant_id, None)
        return None
    info = TenantInfo.from_row(rows[0])
    if _changes[0] == seen:
        _id_cache[tenant_id] = (time.monotonic() + CACHE_SECONDS, info)
    return info


async def get_by_slug(slug: str) -> TenantInfo:
    """The tenant with this slug, active or not. Raises :class:`NotFound` on ``slug``."""
    info = await find_by_slug(slug)
    if info is None:
        raise NotFound(f"tenant {slug!r} not found", field="slug")
    return info


async def list_tenants(polda_codes: Iterable[str] | None = None) -> list[TenantInfo]:
    """Every tenant, sorted by slug; with ``polda_codes``, only those of these Polda (a Polda
    supervisor's view). Not cached."""
    if polda_codes is None:
        rows = await db.fetch(f"SELECT {_COLUMNS} FROM tenants ORDER BY slug")
    else:
        rows = await db.fetch(
            f"SELECT {_COLUMNS} FROM tenants WHERE polda_code = ANY($1::text[]) ORDER BY slug",
            sorted(polda_codes),
        )
    return [TenantInfo.from_row(r) for r in rows]


async def insert_tenant(info: TenantInfo) -> None:
    """Insert the tenant row inside the caller's (onboarding) transaction."""
    try:
        await db.fetch(
            f"INSERT INTO tenants ({_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
            info.id,
            info.slug,
            info.name,
            info.kind,
            info.polda_code,
            info.region_code,
            info.time_zone,
            info.ticket_prefix,
            info.status,
            sorted(info.modules),
            info.template,
            info.created_at,
        )
    except asyncpg.UniqueViolationError as exc:
        if getattr(exc, "constraint_name", None) == TICKET_PREFIX_INDEX:
            raise Conflict(
                f"ticket prefix {info.ticket_prefix} is already used by another tenant",
                field="ticketPrefix",
            ) from None
        raise Conflict(f"a tenant with slug {info.slug!r} already exists", field="slug") from None


async def lock_ticket_prefixes() -> None:
    """Serialise ticket-prefix choice until the caller's transaction ends, so two
    parallel onboardings never pick the same free prefix (the unique index
    :data:`TICKET_PREFIX_INDEX` backs this up)."""
    await db.fetch("SELECT pg_advisory_xact_lock($1)", _TICKET_PREFIX_LOCK)


async def taken_ticket_prefixes(candidates: Iterable[str]) -> set[str]:
    """Which of ``candidates`` (upper-case prefixes) another tenant already uses."""
    rows = await db.fetch(
        "SELECT ticket_prefix FROM tenants WHERE ticket_prefix = ANY($1::text[])",
        sorted(set(candidates)),
    )
    return {r["ticket_prefix"] for r in rows}


async def _update(slug: str, sql_set: str, value: Any) -> TenantInfo:
    rows = await db.fetch(
        f"UPDATE tenants SET {sql_set} = $2 WHERE slug = $1 RETURNING {_COLUMNS}", slug, value
    )
    _changes[0] += 1
    _cache.pop(slug, None)
    if not rows:
        raise NotFound(f"tenant {slug!r} not found", field="slug")
    info = TenantInfo.from_row(rows[0])
    _id_cache.pop(info.id, None)
    return info


async def set_modules(slug: str, modules: Iterable[str]) -> TenantInfo:
    """Set the tenant's optional modules (validated by :func:`check_modules`) and return it updated;
    drops this process's cache, others see it within :data:`CACHE_SECONDS`. Raises
    :class:`InvalidInput` or :class:`NotFound`."""
    return await _update(slug, "modules", sorted(check_modules(modules)))


async def set_status(slug: str, status: str) -> TenantInfo:
    """Set the tenant's status to ``ACTIVE`` or ``SUSPENDED`` and return it updated; cache as in
    :func:`set_modules`. Raises :class:`InvalidInput` on ``status``, or :class:`NotFound` on
    ``slug``."""
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    return await _update(slug, "status", status)
