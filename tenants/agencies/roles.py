"""Agency roles: the kinds of agency a command needs (fire, transport, hospital ...),
not named agencies. Onboarding templates give each category the role that handles it;
each command adds its own agencies with a role, and readiness lists categories whose
role has no active agency."""

from __future__ import annotations

from dataclasses import dataclass

from jogo.platform.errors import InvalidInput


@dataclass(frozen=True)
class AgencyRole:
    """A kind of agency a command needs (not a named agency: each command adds its own,
    with this role). ``categories``: the template categories it handles."""

    code: str
    name_id: str
    name_en: str
    categories: tuple[str, ...] = ()


# The kinds of agency any command works with. Categories not listed under a role
# (crime, public order, election, police service) are handled by the police themselves.
AGENCY_ROLES: tuple[AgencyRole, ...] = (
    AgencyRole("transport", "Dinas Perhubungan", "Transport agency", ("TRAFFIC_ACCIDENT",)),
    AgencyRole("fire", "Pemadam Kebakaran", "Fire and rescue", ("FIRE",)),
    AgencyRole("disaster", "Badan Penanggulangan Bencana", "Disaster management", ("FLOOD",)),
    AgencyRole("environment", "Dinas Lingkungan Hidup", "Environment agency", ("FALLEN_TREE",)),
    AgencyRole("electricity", "Penyedia Listrik (PLN)", "Electricity provider", ("POWER_FAULT",)),
    AgencyRole("public_works", "Dinas Pekerjaan Umum", "Public works"),
    AgencyRole("health", "Dinas Kesehatan", "Health agency"),
    AgencyRole("hospital", "Rumah Sakit", "Hospital"),
    AgencyRole("cctv", "Operator CCTV", "CCTV operator"),
    AgencyRole("public_order", "Satuan Polisi Pamong Praja", "Municipal police (Satpol PP)"),
    AgencyRole("social", "Dinas Sosial", "Social services"),
    AgencyRole("water", "Perusahaan Air Minum", "Water utility"),
    AgencyRole("other", "Lainnya", "Other"),
)
ROLE_CODES = frozenset(r.code for r in AGENCY_ROLES)


def category_roles() -> dict[str, str]:
    """Category code → the role of agency that handles it."""
    return {c: r.code for r in AGENCY_ROLES for c in r.categories}


def role_name(code: str) -> tuple[str, str]:
    """(Bahasa Indonesia, English) name of a role; the code itself when unknown."""
    for role in AGENCY_ROLES:
        if role.code == code:
            return role.name_id, role.name_en
    return code, code


def check_role(value: str | None) -> str | None:
    """A role code as stored (None for empty); ``InvalidInput`` on ``role`` otherwise."""
    text = (value or "").strip().lower()
    if not text:
        return None
    if text not in ROLE_CODES:
        raise InvalidInput(f"role must be one of {', '.join(sorted(ROLE_CODES))}", field="role")
    return text
