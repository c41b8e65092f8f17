"""``do_onboard_tenant``: a new regional command, from a template, in one transaction."""

from __future__ import annotations

import dataclasses
import itertools
import re
import secrets
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from jogo.platform import db, idempotency, registry
from jogo.platform.audit import write_audit
from jogo.platform.auth import revocation
from jogo.platform.errors import Conflict, InvalidInput
from jogo.platform.regions import TIME_ZONES, check_polda, check_region, default_time_zone
from jogo.platform.regions import region_name as lookup_region_name
from jogo.tenants.election.actions import do_seed_election_categories
from jogo.tenants.onboarding.templates import category_roles, get_template
from jogo.tenants.reports.actions import do_seed_categories
from jogo.tenants.reports.jurisdiction import parse_jurisdiction, store_at_onboarding

# fullmatch only: "$" would let a trailing newline through ("SRG\n").
TICKET_PREFIX = re.compile(r"[A-Z]{2,6}")


@dataclass(frozen=True)
class OnboardInput:
    slug: str
    name: str
    polda_code: str
    region_code: str
    template: str = "minimal"
    kind: str | None = None
    modules: list[str] | None = None
    time_zone: str | None = None
    ticket_prefix: str | None = None
    # GeoJSON Polygon/MultiPolygon text (tenants/reports/jurisdiction.py); None: none yet.
    jurisdiction: str | None = None


@dataclass(frozen=True)
class OnboardResult:
    tenant: registry.TenantInfo
    categories: int
    agencies: int  # templates seed none: a command's directory is its own
    sample_directory: bool


def infer_kind(name: str) -> str | None:
    """The tenant kind named by the first word of ``name`` (``Polresta Malang Kota`` →
    ``POLRESTA``), or None when it is not one of ``registry.KINDS``."""
    first = name.strip().split(" ", 1)[0].upper()
    return first if first in registry.KINDS else None


_VOWELS = frozenset("AEIOU")


def ticket_prefix_candidates(region_code: str) -> Iterator[str]:
    """Ticket prefixes for a region, best first, each 3-5 letters A-Z, without repeats.

    From the region's name without "Kota"/"Kabupaten": first the classic three letters
    (first letter, first and last consonant: Kota Malang → MLG, Kota Surabaya → SRY),
    then the initials of a name of several words, then the first letter with any two
    later letters (consonants first), then the classic three with one or two more
    letters (MLGA … MLGZZ). Onboarding takes the first one no other tenant uses.
    """
    name = lookup_region_name(region_code) or "JOGO"
    stripped = re.sub(r"^(Kota|Kabupaten)\s+", "", name).upper()
    words = [w for w in (re.sub(r"[^A-Z]", "", part) for part in stripped.split()) if w]
    word = words[0] if words and len(words[0]) >= 2 else "JOGO"
    consonants = [c for c in word[1:] if c not in _VOWELS]
    base = word[0] + consonants[0] + consonants[-1] if len(consonants) >= 2 else (word + "XX")[:3]
    seen: set[str] = set()

    def fresh(prefix: str) -> bool:
        if prefix in seen or not TICKET_PREFIX.fullmatch(prefix):
            return False
        seen.add(prefix)
        return True

    ordered = [base]
    if len(words) > 1:
        initials = "".join(w[0] for w in words)
        ordered += [initials + words[-1][1:][:k] for k in range(3)]
    later = sorted(enumerate(word[1:]), key=lambda p: (p[1] in _VOWELS, p[0]))
    ordered += [word[0] + a + b for (i, a), (j, b) in itertools.product(later, later) if i < j]
    ordered += [base + a for a in string.ascii_uppercase]
    ordered += [base + a + b for a, b in itertools.product(string.ascii_uppercase, repeat=2)]
    yield from (p for p in ordered if fresh(p))


def default_ticket_prefix(region_code: str) -> str:
    """The first candidate, before any is taken: Kota Malang → MLG."""
    return next(ticket_prefix_candidates(region_code))


async def _choose_ticket_prefix(info: registry.TenantInfo, explicit: bool) -> str:
    """Inside the onboarding transaction, under the prefix lock: the given prefix if it
    is free (else CONFLICT on ticketPrefix), or the region's first free candidate."""
    await registry.lock_ticket_prefixes()
    if explicit:
        if await registry.taken_ticket_prefixes([info.ticket_prefix]):
            raise Conflict(
                f"ticket prefix {info.ticket_prefix} is already used by another tenant;"
                " choose another or leave it out to get a free one",
                field="ticketPrefix",
            )
        return info.ticket_prefix
    candidates = list(ticket_prefix_candidates(info.region_code))
    taken = await registry.taken_ticket_prefixes(candidates)
    for prefix in candidates:
        if prefix not in taken:
            return prefix
    # A crowded region: six letters, the region's initial and five at random.
    for _ in range(20):
        prefix = candidates[0][0] + "".join(
            secrets.choice(string.ascii_uppercase) for _ in range(5)
        )
        if not await registry.taken_ticket_prefixes([prefix]):
            return prefix
    raise Conflict(
        f"every ticket prefix derived from region {info.region_code} is taken;"
        " give one with ticketPrefix",
        field="ticketPrefix",
    )


def validate(data: OnboardInput) -> registry.TenantInfo:
    """Everything checked before the transaction opens; the tenant as it will be stored."""
    slug = registry.check_slug(data.slug)
    name = " ".join((data.name or "").split())
    if not 3 <= len(name) <= 200:
        raise InvalidInput("name must be 3-200 characters", field="name")
    region = check_region(data.region_code)
    polda = check_polda(data.polda_code, region)
    template = get_template(data.template)
    kind = (data.kind or infer_kind(name) or "").upper()
    if kind not in registry.KINDS:
        raise InvalidInput(
            f"kind must be one of {', '.join(registry.KINDS)} (or start the name with it)",
            field="kind",
        )
    tz = (data.time_zone or default_time_zone(region)).upper()
    if tz not in TIME_ZONES:
        raise InvalidInput(f"time zone must be one of {', '.join(TIME_ZONES)}", field="timeZone")
    # An empty prefix is a wrong prefix, not "derive one".
    given = data.ticket_prefix
    prefix = (given if given is not None else default_ticket_prefix(region)).upper()
    if not TICKET_PREFIX.fullmatch(prefix):
        raise InvalidInput("ticket prefix must be 2-6 letters A-Z", field="ticketPrefix")
    modules = (
        registry.check_modules(data.modules)
        if data.modules is not None
        else template.default_modules
    )
    return registry.TenantInfo(
        id=uuid.uuid4(),
        slug=slug,
        name=name,
        kind=kind,
        polda_code=polda.code,
        region_code=region,
        time_zone=tz,
        ticket_prefix=prefix,
        status="ACTIVE",
        modules=modules,
        template=template.name,
        created_at=datetime.now(UTC),
    )


async def do_onboard_tenant(
    data: OnboardInput,
    *,
    actor: tuple[str, str],
    retry: idempotency.ClientKey | None = None,
) -> OnboardResult:
    """``retry``: the caller's client key; a retry with the same key and input within
    24 hours answers with the tenant the first try made and writes nothing (the key lives
    in the control plane, :mod:`jogo.platform.idempotency`)."""
    info = validate(data)
    area = parse_jurisdiction(data.jurisdiction, "jurisdiction")
    template = get_template(info.template)
    # One tenant transaction: the tenant row, its seeds and the audit row commit
    # together, or nothing is left behind (a duplicate slug rolls everything back).
    async with db.tenant_tx(info.id):
        earlier = await idempotency.claim(None, retry, info.id)
        if earlier is None:
            prefix = await _choose_ticket_prefix(info, explicit=data.ticket_prefix is not None)
            info = dataclasses.replace(info, ticket_prefix=prefix)
            await registry.insert_tenant(info)
            await store_at_onboarding(info.id, area)
            categories = await do_seed_categories(info.id, template.categories)
            if "election" in info.modules:
                await do_seed_election_categories(info.id)
            # The roles of agency the categories need; the agencies are the command's own.
            roles = category_roles()
            await db.fetch(
                "UPDATE report_categories SET agency_role = r.role FROM unnest($1::text[],"
                " $2::text[]) AS r(code, role) WHERE report_categories.code = r.code",
                list(roles),
                list(roles.values()),
            )
            await write_audit(
                "tenant.onboard",
                actor=actor,
                tenant_id=info.id,
                target=f"tenant:{info.slug}",
                detail={"template": template.name, "modules": sorted(info.modules)},
            )
    if earlier is not None:
        return await _onboarded(earlier)
    registry.clear_cache()
    return OnboardResult(info, categories, 0, False)


async def _onboarded(tenant_id: uuid.UUID) -> OnboardResult:
    """The tenant an earlier try under the same client key onboarded, as it is now."""
    info = await registry.find_by_id(tenant_id)
    if info is None:  # deleted since the first try
        raise Conflict("the tenant of this clientKey is gone; use a new key", field="clientKey")
    async with db.tenant_tx(tenant_id):
        categories = (await db.fetch("SELECT count(*) FROM report_categories"))[0][0]
        agencies = (await db.fetch("SELECT count(*) FROM agencies"))[0][0]
        sample = (await db.fetch("SELECT count(*) FROM agencies WHERE is_sample"))[0][0]
    return OnboardResult(info, categories, agencies, sample > 0)


async def do_set_tenant_modules(
    slug: str, modules: list[str], *, actor: tuple[str, str]
) -> registry.TenantInfo:
    """Set a tenant's optional modules and audit ``tenant.set_modules`` in one control transaction;
    switching election on then seeds its report categories (idempotent). Returns the updated tenant.
    Raises :class:`InvalidInput` (unknown module) or :class:`NotFound` (slug)."""
    async with db.control_tx():
        info = await registry.set_modules(slug, modules)
        await write_audit(
            "tenant.set_modules",
            actor=actor,
            tenant_id=info.id,
            target=f"tenant:{slug}",
            detail={"modules": sorted(info.modules)},
        )
    if "election" in info.modules:
        async with db.tenant_tx(info.id):  # switching it on brings its categories
            await do_seed_election_categories(info.id)
    return info


async def do_set_tenant_status(
    slug: str, status: str, *, actor: tuple[str, str]
) -> registry.TenantInfo:
    """Set a tenant ``ACTIVE`` or ``SUSPENDED`` and audit ``tenant.set_status`` in one control
    transaction; a suspended tenant's API answers 403, and its open live feeds close at
    commit (announced as a ``"tenant"`` revocation). Returns the updated tenant. Raises
    :class:`InvalidInput` (status) or :class:`NotFound` (slug)."""
    async with db.control_tx():
        info = await registry.set_status(slug, status)
        await revocation.announce("tenant", info.id)
        await write_audit(
            "tenant.set_status",
            actor=actor,
            tenant_id=info.id,
            target=f"tenant:{slug}",
            detail={"status": status},
        )
    return info
