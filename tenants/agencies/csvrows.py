"""Directory CSV files (agencies, hospitals, cameras): read and checked row by row, every
fault with its line number, as the TPS import does (:mod:`jogo.tenants.election.stations`).

A header row names the columns, in English or Indonesian (``kode``, ``nama``, ``alamat``,
``telepon``, ``lat``, ``lon`` ...); comma or semicolon separated; UTF-8 with or without a
byte-order mark; at most 10 MB and 5,000 rows. See the README for the columns of each kind.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator

from jogo.platform.errors import InvalidInput
from jogo.tenants.election.stations import RowError

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
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    return kind


def snake(field: str | None) -> str | None:
    """A GraphQL field name as the CSV column it came from: capacityUrl → capacity_url."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", field).lower() if field else None


def coordinate(text: str | None) -> float | None:
    """Decimal degrees (a decimal comma too), rounded to 7 places; None for empty.
    ``ValueError`` for anything else."""
    value = (text or "").strip().replace(",", ".")
    if not value:
        return None
    number = round(float(value), 7)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _header(kind: str, names: list[str]) -> dict[str, str]:
    """Our field → the file's column name."""
    found: dict[str, str] = {}
    normal = {re.sub(r"[\s-]+", "_", n.strip().lower()): n for n in names if n}
    for ours, aliases in COLUMNS[kind].items():
        for alias in aliases:
            if alias in normal:
                found[ours] = normal[alias]
                break
    missing = [c for c in REQUIRED[kind] if c not in found]
    if missing:
        raise InvalidInput(f"the CSV header lacks column(s): {', '.join(missing)}", field="file")
    return found


def read_rows(kind: str, data: bytes) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(line, our field → text) per row; ``InvalidInput`` on ``file`` for a file that is
    not UTF-8 CSV with the kind's header, too big, or without rows."""
    if len(data) > MAX_BYTES:
        raise InvalidInput("the file may be at most 10 MB", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file must be UTF-8 text", field="file") from None
    if "\x00" in text:
        raise InvalidInput("the file must be UTF-8 text", field="file")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    count = 0
    try:
        if not reader.fieldnames:
            raise InvalidInput("the file is empty", field="file")
        columns = _header(kind, list(reader.fieldnames))
        for row in reader:
            count += 1
            if count > MAX_ROWS:
                raise InvalidInput(f"at most {MAX_ROWS} rows per import", field="file")
            yield reader.line_num, {ours: row.get(theirs) for ours, theirs in columns.items()}
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}: not valid CSV ({exc})", field="file") from None
    if count == 0:
        raise InvalidInput("the file has a header but no rows", field="file")


__all__ = ["KINDS", "RowError", "check_kind", "coordinate", "read_rows", "snake"]
