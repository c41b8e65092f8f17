"""Kemendagri 2025 region codes, Polda jurisdictions and Indonesian time zones.

A tenant is a Polres, Polresta or Polrestabes: its region is a kabupaten or kota
(``PP.KK``), and its Polda is the regional police whose area holds that region.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jogo.platform.errors import InvalidInput

REGION_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
TIME_ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}

# Province (first two digits) → time zone (Permen/Keppres on Indonesian time zones).
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}


@dataclass(frozen=True)
class Polda:
    """A regional police command. ``provinces`` are the two-digit province codes it is
    home to (each province belongs to exactly one Polda); ``extra_regions`` are the
    kabupaten/kota (``PP.KK``) it polices in another Polda's province, which that
    province's Polda then does not."""

    code: str
    name: str
    provinces: frozenset[str]
    extra_regions: frozenset[str] = frozenset()

    def covers(self, region_code: str) -> bool:
        """Whether a region code (``PP``, ``PP.KK`` or deeper) is in this Polda's area."""
        home = polda_for_region(region_code)
        return home is not None and home.code == self.code


def _p(code: str, name: str, *provinces: str, extra: tuple[str, ...] = ()) -> Polda:
    return Polda(code, name, frozenset(provinces), frozenset(extra))


POLDAS: dict[str, Polda] = {
    p.code: p
    for p in (
        _p("ACEH", "Polda Aceh", "11"),
        _p("SUMUT", "Polda Sumatera Utara", "12"),
        _p("SUMBAR", "Polda Sumatera Barat", "13"),
        _p("RIAU", "Polda Riau", "14"),
        _p("JAMBI", "Polda Jambi", "15"),
        _p("SUMSEL", "Polda Sumatera Selatan", "16"),
        _p("BENGKULU", "Polda Bengkulu", "17"),
        _p("LAMPUNG", "Polda Lampung", "18"),
        _p("BABEL", "Polda Kepulauan Bangka Belitung", "19"),
        _p("KEPRI", "Polda Kepulauan Riau", "21"),
        # Metro Jaya also polices the Jakarta suburbs in Jawa Barat and Banten: Bekasi
        # (Kabupaten and Kota), Depok, Kota Tangerang and Tangerang Selatan. Kabupaten
        # Tangerang (Polresta Tangerang) stays with Polda Banten.
        _p(
            "METRO_JAYA",
            "Polda Metro Jaya",
            "31",
            extra=("32.16", "32.75", "32.76", "36.71", "36.74"),
        ),
        _p("JABAR", "Polda Jawa Barat", "32"),
        _p("JATENG", "Polda Jawa Tengah", "33"),
        _p("DIY", "Polda Daerah Istimewa Yogyakarta", "34"),
        _p("JATIM", "Polda Jawa Timur", "35"),
        _p("BANTEN", "Polda Banten", "36"),
        _p("BALI", "Polda Bali", "51"),
        _p("NTB", "Polda Nusa Tenggara Barat", "52"),
        _p("NTT", "Polda Nusa Tenggara Timur", "53"),
        _p("KALBAR", "Polda Kalimantan Barat", "61"),
        _p("KALTENG", "Polda Kalimantan Tengah", "62"),
        _p("KALSEL", "Polda Kalimantan Selatan", "63"),
        _p("KALTIM", "Polda Kalimantan Timur", "64"),
        _p("KALTARA", "Polda Kalimantan Utara", "65"),
        _p("SULUT", "Polda Sulawesi Utara", "71"),
        _p("SULTENG", "Polda Sulawesi Tengah", "72"),
        _p("SULSEL", "Polda Sulawesi Selatan", "73"),
        _p("SULTRA", "Polda Sulawesi Tenggara", "74"),
        _p("GORONTALO", "Polda Gorontalo", "75"),
        _p("SULBAR", "Polda Sulawesi Barat", "76"),
        _p("MALUKU", "Polda Maluku", "81"),
        _p("MALUT", "Polda Maluku Utara", "82"),
        _p("PAPUA", "Polda Papua", "91", "93", "94", "95"),
        _p("PAPUA_BARAT", "Polda Papua Barat", "92"),
        _p("PAPUA_BARAT_DAYA", "Polda Papua Barat Daya", "96"),
    )
}


@cache
def _home_polda() -> tuple[dict[str, Polda], dict[str, Polda]]:
    """(province → Polda, kabupaten/kota carve-out → Polda); a province or a carve-out
    claimed twice is a programming error and fails loudly."""
    provinces: dict[str, Polda] = {}
    carve_outs: dict[str, Polda] = {}
    for polda in POLDAS.values():
        for province in polda.provinces:
            if province in provinces:
                raise RuntimeError(f"province {province} is in two Poldas")
            provinces[province] = polda
        for region in polda.extra_regions:
            if region in carve_outs:
                raise RuntimeError(f"region {region} is in two Poldas")
            carve_outs[region] = polda
    return provinces, carve_outs


def polda_for_region(region_code: str) -> Polda | None:
    """The one Polda whose area holds a region code (``96.71`` → Polda Papua Barat Daya);
    None for an unknown province."""
    provinces, carve_outs = _home_polda()
    return carve_outs.get(region_code[:5]) or provinces.get(region_code[:2])


def within_region(code: str, region_code: str) -> bool:
    """Whether ``code`` is ``region_code`` itself or lies under it (a kecamatan
    ``35.79.01`` or a desa ``35.79.01.1001`` under ``35.79``)."""
    return code == region_code or code.startswith(region_code + ".")


@cache
def regions() -> dict[str, str]:
    """Province and kabupaten/kota codes → official names (package data, 552 rows)."""
    path = resources.files("jogo.platform") / "data" / "wilayah_kemendagri_2025_l1l2.csv"
    with path.open(encoding="utf-8") as fh:
        return {row["kode"]: row["nama"] for row in csv.DictReader(fh)}


@cache
def _areas_km2() -> dict[str, float]:
    path = resources.files("jogo.platform") / "data" / "wilayah_kemendagri_2025_l1l2.csv"
    with path.open(encoding="utf-8") as fh:
        return {
            row["kode"]: float(row["luas_km2"]) for row in csv.DictReader(fh) if row["luas_km2"]
        }


def region_area_km2(code: str) -> float | None:
    """A province's or kabupaten/kota's official area in km² (``35.73`` → 111.077)."""
    return _areas_km2().get(code)


def check_region(code: str, field: str = "regionCode") -> str:
    """A Kemendagri kabupaten/kota code that exists, e.g. ``35.73`` (Kota Malang)."""
    code = (code or "").strip()
    if not REGION_CODE.match(code):
        raise InvalidInput(f"region code {code!r} is not a Kemendagri code like 35.73", field=field)
    if code.count(".") != 1:
        raise InvalidInput(
            f"region code {code!r} must be a kabupaten/kota (PP.KK), like 35.73", field=field
        )
    if code not in regions():
        raise InvalidInput(f"region code {code} does not exist (Kemendagri 2025)", field=field)
    return code


def check_polda(code: str, region_code: str | None = None, field: str = "poldaCode") -> Polda:
    """The :class:`Polda` for ``code`` (trimmed, any case), which must also cover ``region_code`` (a
    Kemendagri code) when one is given. Raises :class:`InvalidInput` on ``field`` for an unknown
    code or a region outside its area (the message names the right Polda)."""
    polda = POLDAS.get((code or "").strip().upper())
    if polda is None:
        raise InvalidInput(
            f"unknown Polda code {code!r}; expected one of {', '.join(sorted(POLDAS))}",
            field=field,
        )
    if region_code is not None and not polda.covers(region_code):
        name = regions().get(region_code, region_code)
        home = polda_for_region(region_code)
        right = f"; it belongs to {home.name} ({home.code})" if home else ""
        raise InvalidInput(
            f"{name} ({region_code}) is not in {polda.name}'s area{right}", field=field
        )
    return polda


def default_time_zone(region_code: str) -> str:
    """``WIB``, ``WITA`` or ``WIT`` for a Kemendagri region code, by its province (first two
    digits): WIT for Maluku and Papua, WITA for Bali, Nusa Tenggara, Kalimantan Selatan/Timur/Utara
    and Sulawesi, else WIB."""
    province = region_code[:2]
    if province in _WIT:
        return "WIT"
    if province in _WITA:
        return "WITA"
    return "WIB"


def region_name(code: str) -> str | None:
    """The official name of a Kemendagri province or kabupaten/kota code (``35.73`` → Kota Malang),
    or None for an unknown code."""
    return regions().get(code)


@cache
def local_areas() -> dict[str, str]:
    """Kecamatan (``PP.KK.CC``) and desa/kelurahan (``PP.KK.CC.DDDD``) codes → names
    (package data, about 91,000 rows, read once on first use)."""
    path = resources.files("jogo.platform") / "data" / "wilayah_kemendagri_2025_l3l4.csv.gz"
    with path.open("rb") as raw, gzip.open(raw) as unzipped:
        text = io.TextIOWrapper(unzipped, encoding="utf-8")
        return {row["kode"]: row["nama"] for row in csv.DictReader(text)}


def village_name(code: str) -> str | None:
    """The name of a desa/kelurahan code (``PP.KK.CC.DDDD``), or None for an unknown code or one of
    another level."""
    return local_areas().get(code) if code.count(".") == 3 else None


def district_name(code: str) -> str | None:
    """A kecamatan's name."""
    return local_areas().get(code) if code.count(".") == 2 else None
