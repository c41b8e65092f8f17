"""Reading an uploaded CSV file the same way for every import (TPS, the directory).

A file is UTF-8 (a byte-order mark is dropped), comma or semicolon separated (whichever
the header line holds more of), with a header row naming the columns. Column names are
matched without regard to case, spaces or hyphens, against each field's aliases (English
and Indonesian). Every fault of the file as a whole is :class:`InvalidInput` on ``file``;
faults of single rows are the caller's, reported with the line number given here.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence

from jogo.platform.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024


def header(
    names: Sequence[str | None], aliases: Mapping[str, Sequence[str]], required: Sequence[str]
) -> dict[str, str]:
    """Our field → the file's column name; ``InvalidInput`` naming required fields that no
    column matches."""
    found: dict[str, str] = {}
    normal = {re.sub(r"[\s-]+", "_", n.strip().lower()): n for n in names if n}
    for ours, names_of in aliases.items():
        for alias in names_of:
            if alias in normal:
                found[ours] = normal[alias]
                break
    missing = [c for c in required if c not in found]
    if missing:
        raise InvalidInput(f"the CSV header lacks column(s): {', '.join(missing)}", field="file")
    return found


def rows(
    data: bytes,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    max_rows: int,
    max_bytes: int = MAX_BYTES,
) -> Iterator[tuple[int, dict[str, str | None]]]:
    """``(line, our field → text or None)`` for each data row (the header is line 1).

    Raises :class:`InvalidInput` on ``file``: over ``max_bytes``, not UTF-8 text, empty,
    a header lacking a required column, more than ``max_rows`` rows, broken CSV quoting
    (naming its line), or a header with no rows."""
    if len(data) > max_bytes:
        raise InvalidInput(f"the file may be at most {max_bytes // (1024 * 1024)} MB", field="file")
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
        columns = header(list(reader.fieldnames), aliases, required)
        for row in reader:
            count += 1
            if count > max_rows:
                raise InvalidInput(f"at most {max_rows} rows per import", field="file")
            yield reader.line_num, {ours: row.get(theirs) for ours, theirs in columns.items()}
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}: not valid CSV ({exc})", field="file") from None
    if count == 0:
        raise InvalidInput("the file has a header but no rows", field="file")


# A plain decimal number as spreadsheets write it: digits, an optional sign, and a decimal
# point or (Indonesian locale) comma. No exponent, no underscores, no "nan"/"inf", no
# thousands separators: float() accepts "-7_9" as -79 and "1e308" as a number.
_DECIMAL = re.compile(r"^[+-]?[0-9]{1,15}(?:[.,][0-9]{1,15})?$")


def decimal(text: str | None) -> float | None:
    """A plain decimal (``-7.87`` or ``-7,87``) as a float, None for empty; ``ValueError``
    for anything else (exponents, underscores, ``nan``, ``1.000,5``)."""
    value = (text or "").strip()
    if not value:
        return None
    if not _DECIMAL.match(value):
        raise ValueError(value)
    return float(value.replace(",", "."))


def coordinates(
    latitude: str | None,
    longitude: str | None,
    lat_range: tuple[float, float],
    lon_range: tuple[float, float],
) -> tuple[float | None, float | None]:
    """(latitude, longitude) in decimal degrees rounded to 7 places (about 1 cm), both
    None when both cells are empty. :class:`InvalidInput` on ``latitude`` or ``longitude``
    (the first faulty one) for a cell that is not a plain decimal, outside its range
    (inclusive), or given without the other."""
    values: list[float | None] = []
    for text, name, (low, high) in (
        (latitude, "latitude", lat_range),
        (longitude, "longitude", lon_range),
    ):
        try:
            value = decimal(text)
        except ValueError:
            value = math.nan
        if value is not None and not low <= value <= high:
            raise InvalidInput(
                f"{name} must be decimal degrees from {low:g} to {high:g}, such as -7.87",
                field=name,
            )
        values.append(None if value is None else round(value, 7))
    lat, lon = values
    if (lat is None) != (lon is None):
        raise InvalidInput("give both latitude and longitude, or neither", field="latitude")
    return lat, lon
