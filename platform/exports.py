"""Streaming encoders for bulk exports: CSV and GeoJSON, a batch of rows at a time.

Each encoder turns a batch of already-shaped rows (a tuple of cells per row, in the
order of the export's columns) into one text chunk, so an export of any size holds one
batch in memory. The HTTP layer (``platform/app/exports_http.py``) sends the chunks.

- **CSV** (:class:`CsvEncoder`): RFC 4180 through the stdlib ``csv`` module, CRLF line
  ends, a header row first. A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab
  or carriage return, also after leading whitespace, gets a leading ``'`` (OWASP CSV
  injection), so a spreadsheet shows
  it as text; numbers, booleans and times are written as values (a latitude of -7.96
  stays a number). ``None`` is an empty cell, a boolean ``true``/``false``, a time ISO
  8601 with its offset.
- **GeoJSON** (:class:`GeoJsonEncoder`): one RFC 7946 ``FeatureCollection``, streamed
  feature by feature: the opening, each feature encoded by msgspec, commas between, and
  the closing. Valid JSON only once the last chunk is sent.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from jogo.platform.audit_read import safe_cell
from jogo.platform.regions import TIME_ZONES

CSV_MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8" to text/* types
GEOJSON_MEDIA_TYPE = "application/geo+json"


def csv_text(value: Any) -> str:
    """One CSV cell: empty for None, ``true``/``false``, ISO 8601 for times and dates,
    ``str`` for numbers, and text neutralised by :func:`safe_cell`."""
    if isinstance(value, str):  # the most common cell first
        return safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return safe_cell(str(value))


class CsvEncoder:
    """CSV chunks: :meth:`header` once, then :meth:`rows` per batch (see the module)."""

    def __init__(self, columns: Sequence[str]):
        self.columns = tuple(columns)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def _take(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text

    def header(self) -> str:
        """The header row (column names, neutralised like any text cell)."""
        self._writer.writerow([safe_cell(c) for c in self.columns])
        return self._take()

    def rows(self, rows: Iterable[Sequence[Any]]) -> str:
        """The records of ``rows``, each as many cells as there are columns."""
        self._writer.writerows([csv_text(v) for v in row] for row in rows)
        return self._take()


def _default(value: Any) -> Any:
    raise TypeError(f"not JSON: {type(value).__name__}")


class GeoJsonEncoder:
    """GeoJSON chunks: :meth:`opening`, :meth:`features` per batch, :meth:`closing`."""

    def __init__(self) -> None:
        self._json = msgspec.json.Encoder(enc_hook=_default)
        self._first = True

    def opening(self) -> str:
        """``{"type":"FeatureCollection","features":[``."""
        return '{"type":"FeatureCollection","features":['

    def features(self, features: Iterable[tuple[dict[str, Any] | None, dict[str, Any]]]) -> str:
        """Each ``(geometry, properties)`` as a Feature (``geometry`` None: a feature with
        no location, as RFC 7946 allows), comma-separated from the ones before."""
        parts: list[bytes] = []
        for geometry, properties in features:
            parts.append(
                self._json.encode(
                    {"type": "Feature", "geometry": geometry, "properties": properties}
                )
            )
        if not parts:
            return ""
        text = b",".join(parts).decode()
        if self._first:
            self._first = False
            return text
        return "," + text

    def closing(self) -> str:
        """``]}``."""
        return "]}"


def point(latitude: float | None, longitude: float | None) -> dict[str, Any] | None:
    """A GeoJSON Point (longitude first, RFC 7946), or None without a location."""
    if latitude is None or longitude is None:
        return None
    return {"type": "Point", "coordinates": [longitude, latitude]}


def zone_of(time_zone: str) -> ZoneInfo:
    """The IANA zone of a command's ``WIB``/``WITA``/``WIT`` (or an IANA name)."""
    return ZoneInfo(TIME_ZONES.get(time_zone, time_zone))


def cells(record: Any, zone: ZoneInfo) -> tuple[Any, ...]:
    """A row's values in column order, times in ``zone``, ids as text."""
    return tuple(
        v.astimezone(zone) if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v
        for v in record
    )


def feature(
    columns: tuple[str, ...], values: tuple[Any, ...]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A GeoJSON ``(geometry, properties)`` of a row with ``latitude``/``longitude``:
    the point, and every column as a property (times ISO 8601)."""
    properties: dict[str, Any] = {
        c: v.isoformat() if isinstance(v, datetime) else v
        for c, v in zip(columns, values, strict=True)
    }
    return point(properties.get("latitude"), properties.get("longitude")), properties
