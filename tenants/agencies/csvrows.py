"""Directory CSV files (agencies, hospitals, cameras): read and checked row by row, every
fault with its line number, as the TPS import does (:mod:`jogo.tenants.election.stations`).

A header row names the columns, in English or Indonesian (``kode``, ``nama``, ``alamat``,
``telepon``, ``lat``, ``lon`` ...); comma or semicolon separated; UTF-8 with or without a
byte-order mark; at most 10 MB and 5,000 rows. See the README for the columns of each kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from jogo.platform import csvfile
from jogo.platform.errors import InvalidInput
from jogo.tenants.election.stations import RowError
from jogo.tenants.reports.validation import LAT_RANGE, LON_RANGE

MAX_ROWS = 5_000
MAX_BYTES = 10 * 1024 * 1024
KINDS = ("agencies", "hospitals", "cameras")

_COMMON = {
    "code": ("code", "kode"),
    "name": ("name", "nama"),
    "address": ("address", "alamat"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng"),
}
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "agencies": _COMMON
    | {
        "kind": ("kind", "jenis"),
        "role": ("role", "peran"),
        "phone": ("phone", "telepon", "telp"),
        "email": ("email", "surel"),
    },
    "hospitals": _COMMON
    | {
        "phone": ("phone", "telepon", "telp"),
        "email": ("email", "surel"),
        "capacity_url": ("capacity_url", "url_kapasitas"),
        "capacity_format": ("capacity_format", "format_kapasitas"),
    },
    "cameras": _COMMON
    | {
        "stream_url": ("stream_url", "url_stream"),
        "snapshot_url": ("snapshot_url", "url_snapshot"),
        "operator_code": ("operator_code", "operator_agency_code", "kode_operator"),
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "agencies": ("code", "name"),
    "hospitals": ("code", "name", "latitude", "longitude"),
    "cameras": ("code", "name", "latitude", "longitude", "stream_url"),
}


def check_kind(kind: str) -> str:
    """``kind`` if it is one of :data:`KINDS` (``agencies``, ``hospitals``, ``cameras``). Raises
    :class:`InvalidInput` on ``kind``."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    return kind


def snake(field: str | None) -> str | None:
    """A GraphQL field name as the CSV column it came from: capacityUrl → capacity_url."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", field).lower() if field else None


def coordinates(raw: dict[str, str | None]) -> tuple[float | None, float | None]:
    """The row's (latitude, longitude) in Indonesia, both None when both cells are empty;
    ``InvalidInput`` on ``latitude`` or ``longitude`` otherwise
    (:func:`jogo.platform.csvfile.coordinates`)."""
    return csvfile.coordinates(raw.get("latitude"), raw.get("longitude"), LAT_RANGE, LON_RANGE)


def read_rows(kind: str, data: bytes) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(line, our field → text) per row; ``InvalidInput`` on ``file`` for a file that is
    not UTF-8 CSV with the kind's header, too big, or without rows
    (:func:`jogo.platform.csvfile.rows`)."""
    return csvfile.rows(data, COLUMNS[kind], REQUIRED[kind], MAX_ROWS, MAX_BYTES)


__all__ = ["KINDS", "RowError", "check_kind", "coordinates", "read_rows", "snake"]
