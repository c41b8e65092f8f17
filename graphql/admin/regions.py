"""What the onboarding form chooses from, on the platform schema: the Kemendagri
kabupaten/kota found by name (``regions``) and the fixed choices (``onboardingOptions``:
kinds, Poldas, modules, time zones), read from :mod:`jogo.platform.regions` and
:mod:`jogo.platform.registry`, never from a tenant."""

from __future__ import annotations

import strawberry

from jogo.platform import registry
from jogo.platform.errors import InvalidInput
from jogo.platform.regions import POLDAS, TIME_ZONES, default_time_zone, polda_for_region, regions

MAX_REGIONS = 50


@strawberry.type(name="Polda", description="A regional police command (Polda).")
class PoldaType:
    code: str = strawberry.field(description="e.g. JATIM.")
    name: str = strawberry.field(description="e.g. Polda Jawa Timur.")


@strawberry.type(description="A Kemendagri 2025 kabupaten/kota, with the Polda that holds it.")
class Region:
    code: str = strawberry.field(description="e.g. 35.73.")
    name: str = strawberry.field(description="e.g. Kota Malang.")
    province: str = strawberry.field(description="The province's name, e.g. Jawa Timur.")
    polda: PoldaType = strawberry.field(description="The one Polda whose area holds it.")
    time_zone: str = strawberry.field(description="WIB, WITA or WIT: the default for a command.")


@strawberry.type(description="The fixed choices of onboardTenant.")
class OnboardingOptions:
    kinds: list[str] = strawberry.field(description="POLRES, POLRESTA, POLRESTABES.")
    poldas: list[PoldaType] = strawberry.field(description="Every Polda, by name.")
    modules: list[str] = strawberry.field(description="The optional modules.")
    time_zones: list[str] = strawberry.field(description="WIB, WITA, WIT.")


def onboarding_options() -> OnboardingOptions:
    """The kinds, Poldas (by name), optional modules and time zones onboarding accepts."""
    return OnboardingOptions(
        kinds=list(registry.KINDS),
        poldas=[
            PoldaType(code=p.code, name=p.name)
            for p in sorted(POLDAS.values(), key=lambda p: p.name)
        ],
        modules=list(registry.MODULES),
        time_zones=list(TIME_ZONES),
    )


def find_regions(search: str, limit: int = 20) -> list[Region]:
    """Kabupaten/kota whose name holds every word of ``search`` (any case), or whose code
    starts with it: names that start with the search first, then the rest, each by name.
    ``limit`` 1-50. Raises :class:`InvalidInput` on ``search`` (over 100 characters) or
    ``limit``."""
    if len(search) > 100:
        raise InvalidInput("search must be at most 100 characters", field="search")
    if not 1 <= limit <= MAX_REGIONS:
        raise InvalidInput(f"limit must be 1-{MAX_REGIONS}", field="limit")
    words = search.lower().split()
    table = regions()
    found: list[tuple[int, str, str]] = []
    for code, name in table.items():
        if code.count(".") != 1:
            continue  # provinces are not commands' regions
        lowered = name.lower()
        bare = lowered.removeprefix("kabupaten ").removeprefix("kota ")
        if words and not (all(w in lowered for w in words) or code.startswith(search.strip())):
            continue
        joined = " ".join(words)
        rank = 0 if not words or bare.startswith(joined) or lowered.startswith(joined) else 1
        found.append((rank, name, code))
    found.sort()
    result = []
    for _, name, code in found[:limit]:
        polda = polda_for_region(code)
        if polda is None:  # a province no Polda holds: not a region a command can have
            continue
        result.append(
            Region(
                code=code,
                name=name,
                province=table.get(code[:2], code[:2]),
                polda=PoldaType(code=polda.code, name=polda.name),
                time_zone=default_time_zone(code),
            )
        )
    return result
