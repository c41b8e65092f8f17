"""Onboarding templates: what a new regional command starts with."""

from __future__ import annotations

from dataclasses import dataclass

from jogo.platform.errors import InvalidInput
from jogo.tenants.agencies.roles import AGENCY_ROLES, ROLE_CODES, AgencyRole, category_roles
from jogo.tenants.reports.actions import CategorySeed

__all__ = ["AGENCY_ROLES", "ROLE_CODES", "TEMPLATES", "AgencyRole", "Template", "category_roles"]

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
    """What a new command starts with. Templates hold only what fits any command:
    categories, their service levels and the agency roles they need. A command's
    agencies, hospitals, cameras and posts are its own (added, or imported from CSV);
    the Kota Malang sample directory is seeded only into the demo tenant
    (:mod:`jogo.tenants.onboarding.malang`)."""

    name: str
    description: str
    categories: tuple[CategorySeed, ...]
    default_modules: frozenset[str]


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            name="jogo-malang-presisi",
            description="Seperti Jogo Malang Presisi: 9 kategori dan modul integrasi, buletin,"
            " berbagi dan fasilitas; direktori diisi sendiri / like Jogo Malang Presisi:"
            " 9 categories and its modules; the directory is the command's own",
            categories=CATEGORIES,
            default_modules=frozenset({"integrations", "bulletins", "sharing", "facilities"}),
        ),
        Template(
            name="minimal",
            description="Hanya kategori laporan / report categories only",
            categories=CATEGORIES,
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
