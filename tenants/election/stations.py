"""Polling-station rows: checked one by one, every fault reported with its line number.

A CSV has a header row; columns may be named in English or as in KPU and Bawaslu
sheets (``kode_tps``, ``kode_desa``, ``alamat``, ``lat``, ``lon``, ``dpt``, ``kerawanan``,
``catatan``). Comma or semicolon separated (Excel in Indonesian locale writes ``;``),
UTF-8 with or without a byte-order mark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jogo.platform import csvfile
from jogo.platform.errors import InvalidInput
from jogo.platform.regions import local_areas
from jogo.tenants.election.vocab import VULNERABILITIES
from jogo.tenants.reports.validation import LAT_RANGE, LON_RANGE

MAX_ROWS = 50_000
MAX_BYTES = 10 * 1024 * 1024
CODE = re.compile(r"^[0-9]{13}$")
VILLAGE = re.compile(r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$")
COLUMNS = {
    "code": ("code", "kode_tps", "kode"),
    "village_code": ("village_code", "villagecode", "kode_desa", "kode_kelurahan"),
    "address": ("address", "alamat"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng"),
    "voters": ("voters", "dpt", "jumlah_pemilih"),
    "vulnerability": ("vulnerability", "kerawanan"),
    "notes": ("notes", "catatan", "keterangan"),
}
REQUIRED = ("code", "village_code", "address", "voters", "vulnerability")


@dataclass(frozen=True)
class Station:
    code: str
    village_code: str
    address: str
    latitude: float | None
    longitude: float | None
    voters: int
    vulnerability: str
    notes: str | None


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    message: str


@dataclass
class Parsed:
    stations: list[tuple[int, Station]] = field(default_factory=list)  # (line, station)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0


def vulnerability_of(value: str) -> str | None:
    """A vulnerability level from free text (any case, spaces or hyphens for ``_``: ``sangat rawan``
    → ``SANGAT_RAWAN``), or None when it is none of :data:`VULNERABILITIES`."""
    key = re.sub(r"[\s-]+", "_", (value or "").strip().upper())
    return key if key in VULNERABILITIES else None


def check_station(
    raw: dict[str, str | None], region_code: str
) -> tuple[Station | None, list[tuple[str, str]]]:
    """A station, or the (field, message) faults of this row."""
    faults: list[tuple[str, str]] = []
    code = (raw.get("code") or "").strip()
    village = (raw.get("village_code") or "").strip()
    if not CODE.match(code):
        faults.append(
            ("code", "the TPS code must be 13 digits: the village's 10 and the TPS number's 3")
        )
    if not VILLAGE.match(village):
        faults.append(("village_code", "the village code must look like 35.73.01.1001"))
    elif village not in local_areas():
        faults.append(("village_code", f"village {village} does not exist (Kemendagri 2025)"))
    elif not village.startswith(region_code + "."):
        faults.append(
            ("village_code", f"village {village} is outside this command's region {region_code}")
        )
    elif CODE.match(code) and code[:10] != village.replace(".", ""):
        faults.append(("code", "the TPS code must start with the village code's 10 digits"))
    address = " ".join((raw.get("address") or "").split())
    if not 3 <= len(address) <= 300:
        faults.append(("address", "the address must be 3-300 characters"))
    latitude = longitude = None
    try:
        latitude, longitude = csvfile.coordinates(
            raw.get("latitude"), raw.get("longitude"), LAT_RANGE, LON_RANGE
        )
    except InvalidInput as exc:
        faults.append((exc.field or "latitude", exc.message))
    voters = 0
    try:
        text = (raw.get("voters") or "").strip().replace(".", "")
        if not re.fullmatch(r"[0-9]{1,6}", text):  # int() also takes "1_000" and "٣"
            raise ValueError(text)
        voters = int(text)
    except ValueError:
        faults.append(("voters", "voters must be a whole number"))
    else:
        if not 1 <= voters <= 1000:
            faults.append(("voters", "voters must be 1-1000 per TPS"))
    vulnerability = vulnerability_of(raw.get("vulnerability") or "")
    if vulnerability is None:
        faults.append(
            ("vulnerability", f"vulnerability must be one of {', '.join(VULNERABILITIES)}")
        )
    notes = (raw.get("notes") or "").strip() or None
    if notes and len(notes) > 2000:
        faults.append(("notes", "notes may be at most 2000 characters"))
    if faults or vulnerability is None:
        return None, faults
    return Station(code, village, address, latitude, longitude, voters, vulnerability, notes), []


def parse_csv(data: bytes, region_code: str) -> Parsed:
    """Check every row of a polling-station CSV file (KPU/Bawaslu or English headers, ``,`` or
    ``;``, at most 50,000 rows and 10 MiB) against the tenant's kabupaten/kota ``region_code``.
    Returns the valid stations with their line numbers and every fault as a :class:`RowError` (a
    repeated TPS code names its first line). Raises :class:`InvalidInput` on ``file`` when the file
    as a whole cannot be read."""
    parsed = Parsed()
    seen: dict[str, int] = {}
    for line, raw in csvfile.rows(data, COLUMNS, REQUIRED, MAX_ROWS, MAX_BYTES):
        parsed.rows += 1
        station, faults = check_station(raw, region_code)
        parsed.errors += [RowError(line, f, m) for f, m in faults]
        if station is None:
            continue
        if station.code in seen:
            parsed.errors.append(
                RowError(
                    line, "code", f"TPS {station.code} is already on line {seen[station.code]}"
                )
            )
            continue
        seen[station.code] = line
        parsed.stations.append((line, station))
    return parsed
