"""``do_onboard_tenant``: a new regional command, from a template, in one transaction."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from jogo.platform import db, registry
from jogo.platform.audit import write_audit
from jogo.platform.errors import InvalidInput
from jogo.platform.regions import TIME_ZONES, check_polda, check_region, default_time_zone
from jogo.platform.regions import region_name as lookup_region_name
from jogo.tenants.agencies.actions import do_seed_agencies
from jogo.tenants.election.actions import do_seed_election_categories
from jogo.tenants.onboarding.templates import get_template
from jogo.tenants.reports.actions import do_seed_categories

TICKET_PREFIX = re.compile(r"^[A-Z]{2,6}$")


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


@dataclass(frozen=True)
class OnboardResult:
    tenant: registry.TenantInfo
    categories: int
    agencies: int
    sample_directory: bool


def infer_kind(name: str) -> str | None:
    first = name.strip().split(" ", 1)[0].upper()
    return first if first in registry.KINDS else None


def default_ticket_prefix(region_code: str) -> str:
    """Three letters from the region's name: Kota Malang → MLG, Kota Surabaya → SRY."""
    name = lookup_region_name(region_code) or "JOGO"
    word = re.sub(r"^(Kota|Kabupaten)\s+", "", name).split()[0].upper()
    letters = [c for c in word if c.isalpha()]
    consonants = [c for c in letters[1:] if c not in "AEIOU"]
    picked = [letters[0], *consonants[:1], *consonants[-1:]] if consonants else letters[:3]
    prefix = "".join(picked)
    return prefix if TICKET_PREFIX.match(prefix) else "JOGO"


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
    prefix = (data.ticket_prefix or default_ticket_prefix(region)).upper()
    if not TICKET_PREFIX.match(prefix):
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


async def do_onboard_tenant(data: OnboardInput, *, actor: tuple[str, str]) -> OnboardResult:
    info = validate(data)
    template = get_template(info.template)
    # One tenant transaction: the tenant row, its seeds and the audit row commit
    # together, or nothing is left behind (a duplicate slug rolls everything back).
    async with db.tenant_tx(info.id):
        await registry.insert_tenant(info)
        categories = await do_seed_categories(info.id, template.categories)
        if "election" in info.modules:
            await do_seed_election_categories(info.id)
        agencies = await do_seed_agencies(
            info.id, template.agencies, sample=template.sample_directory
        )
        await write_audit(
            "tenant.onboard",
            actor=actor,
            tenant_id=info.id,
            target=f"tenant:{info.slug}",
            detail={"template": template.name, "modules": sorted(info.modules)},
        )
    registry.clear_cache()
    return OnboardResult(info, categories, agencies, template.sample_directory and agencies > 0)


async def do_set_tenant_modules(
    slug: str, modules: list[str], *, actor: tuple[str, str]
) -> registry.TenantInfo:
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
    async with db.control_tx():
        info = await registry.set_status(slug, status)
        await write_audit(
            "tenant.set_status",
            actor=actor,
            tenant_id=info.id,
            target=f"tenant:{slug}",
            detail={"status": status},
        )
    return info
