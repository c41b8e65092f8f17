"""Onboarding templates: what a new regional command starts with."""

from __future__ import annotations

from dataclasses import dataclass

from jogo.platform.errors import InvalidInput
from jogo.tenants.agencies.actions import AgencySeed
from jogo.tenants.onboarding import malang
from jogo.tenants.reports.actions import CategorySeed

# The nine categories of Jogo Malang Presisi. Codes are stable identifiers for
# integrators; names are what citizens and officers read.
CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed(
        "TRAFFIC_ACCIDENT",
        "Kecelakaan Lalu Lintas",
        "Traffic accident",
        "Kecelakaan kendaraan di jalan raya",
    ),
    CategorySeed(
        "FALLEN_TREE",
        "Pohon Tumbang",
        "Fallen tree",
        "Pohon tumbang yang menghalangi jalan atau membahayakan warga",
    ),
    CategorySeed(
        "POWER_FAULT",
        "Gangguan Listrik",
        "Power fault",
        "Listrik padam, kabel putus atau tiang listrik roboh",
    ),
    CategorySeed("FIRE", "Kebakaran", "Fire", "Kebakaran rumah, gedung, kendaraan atau lahan"),
    CategorySeed("FLOOD", "Banjir", "Flood", "Banjir atau genangan air"),
    CategorySeed(
        "CRIME",
        "Tindak Kriminal",
        "Crime",
        "Pencurian, penjambretan, penganiayaan dan tindak pidana lainnya",
    ),
    CategorySeed(
        "PUBLIC_ORDER",
        "Gangguan Kamtibmas",
        "Public-order disturbance",
        "Keributan, tawuran, balap liar dan gangguan ketertiban umum",
    ),
    CategorySeed(
        "ELECTION",
        "Kerawanan Pemilu",
        "Election vulnerability",
        "Politik uang, intimidasi, gangguan di TPS dan kerawanan pemilu lainnya",
    ),
    CategorySeed(
        "POLICE_SERVICE",
        "Pengaduan Pelayanan Polri",
        "Complaint about police service",
        "Keluhan atas pelayanan atau perilaku anggota Polri",
    ),
)


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    categories: tuple[CategorySeed, ...]
    agencies: tuple[AgencySeed, ...]
    default_modules: frozenset[str]
    # The directory is illustrative: the command confirms contacts before going live.
    sample_directory: bool = False


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            name="jogo-malang-presisi",
            description="Seperti Jogo Malang Presisi: 9 kategori, 16 dinas dan 9 rumah sakit"
            " Kota Malang (data contoh)",
            categories=CATEGORIES,
            agencies=malang.AGENCIES + malang.HOSPITALS,
            default_modules=frozenset({"integrations", "bulletins", "sharing", "facilities"}),
            sample_directory=True,
        ),
        Template(
            name="minimal",
            description="Hanya kategori laporan / report categories only",
            categories=CATEGORIES,
            agencies=(),
            default_modules=frozenset(),
        ),
    )
}


def get_template(name: str) -> Template:
    template = TEMPLATES.get(name)
    if template is None:
        raise InvalidInput(
            f"unknown template {name!r}; expected one of {', '.join(TEMPLATES)}", field="template"
        )
    return template
