"""GeoReport v2 wire format for :mod:`jogo.platform.app.open311_http`: the answers as
JSON or XML (built with lxml, never by hand), and GeoReport's error list
``[{code, description}]`` (``<errors><error>`` in XML), Bahasa Indonesia first with
English beside."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from litestar import Request, Response
from lxml import etree

from jogo.platform.errors import (
    Conflict,
    Forbidden,
    InputErrors,
    JogoError,
    NotFound,
    Unauthenticated,
)
from jogo.platform.ratelimit import RateLimited

FORMATS = {"json": "application/json; charset=utf-8", "xml": "application/xml; charset=utf-8"}
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
# Our fields (GraphQL names, as the intake action reports them) → Open311 parameters.
PARAMS = {
    "categoryCode": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "reporterName": "first_name",
    "reporterPhone": "phone",
    "title": "description",
}

NOT_FOUND = ("Tidak ditemukan.", "Not found.")
BAD_KEY = ("api_key tidak sah.", "The api_key is not valid.")
NO_KEY = ("api_key wajib untuk membuat laporan.", "An api_key is required to submit.")
CANNOT_SUBMIT = ("api_key ini tidak boleh membuat laporan.", "This api_key may not submit.")
BAD_JURISDICTION = ("jurisdiction_id tidak dikenal.", "Unknown jurisdiction_id.")
SUSPENDED = ("Layanan komando ini dihentikan sementara.", "This command's service is suspended.")
RECEIVED = (
    "Laporan diterima dan menunggu verifikasi petugas.",
    "Report received; it awaits verification by an officer.",
)


class Open311Error(Exception):
    """A GeoReport v2 error: the HTTP ``status`` and one or more descriptions."""

    def __init__(self, status: int, *descriptions: str, headers: dict[str, str] | None = None):
        super().__init__(descriptions[0])
        self.status = status
        self.descriptions = descriptions
        self.headers = headers or {}


def both(text: tuple[str, str]) -> str:
    """``"<Bahasa Indonesia> / <English>"``."""
    return f"{text[0]} / {text[1]}"


def _described(exc: JogoError) -> str:
    """An action's error as people read it: bilingual messages as they are, English
    ones after a Bahasa Indonesia line naming the Open311 parameter."""
    if " / " in exc.message:
        return exc.message
    param = PARAMS.get(exc.field or "", exc.field or "")
    subject = f"Parameter {param} tidak sah." if param else "Permintaan tidak sah."
    return f"{subject} / {exc.message}"


def from_jogo(exc: JogoError) -> Open311Error:
    """The GeoReport error for a domain error (statuses in the module doc)."""
    if isinstance(exc, InputErrors):
        return Open311Error(400, *(_described(e) for e in exc.errors))
    if isinstance(exc, RateLimited):
        return Open311Error(429, exc.message, headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, Unauthenticated):
        return Open311Error(403, both(BAD_KEY))
    if isinstance(exc, Forbidden):
        return Open311Error(403, both(CANNOT_SUBMIT))
    if isinstance(exc, NotFound):
        return Open311Error(404, both(NOT_FOUND))
    status = 409 if isinstance(exc, Conflict) else 400
    return Open311Error(status, _described(exc))


# --- answers ---

# What XML 1.0 cannot hold (its ``Char`` production): C0 controls but tab, LF and CR,
# surrogates, U+FFFE and U+FFFF. A report's text may hold them (the intake keeps what a
# citizen typed); lxml refuses them, so they are left out of an XML answer.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot hold (``_NOT_XML``)."""
    return _NOT_XML.sub("", value)


def _xml_value(parent: etree._Element, name: str, value: Any) -> None:
    child = etree.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _xml_item(child, name.rstrip("s") or "item", item)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = xml_text(str(value))


def _xml_item(parent: etree._Element, tag: str, item: Mapping[str, Any]) -> None:
    element = etree.SubElement(parent, tag)
    for name, value in item.items():
        _xml_value(element, name, value)


def render(
    fmt: str, root: str, item: str, rows: list[dict[str, Any]] | dict[str, Any], status: int = 200
) -> Response[bytes]:
    """``rows`` as GeoReport JSON (the list, or the object), or as XML: ``<root>`` holding one
    ``<item>`` per row (an object: ``<root>`` holds its fields)."""
    if fmt == "json":
        body = json.dumps(rows, ensure_ascii=False).encode()
    else:
        element = etree.Element(root)
        if isinstance(rows, dict):
            for name, value in rows.items():
                _xml_value(element, name, value)
        else:
            for row in rows:
                _xml_item(element, item, row)
        body = etree.tostring(element, xml_declaration=True, encoding="utf-8")
    return Response(body, status_code=status, media_type=FORMATS[fmt], headers=HEADERS)


def error_response(fmt: str, exc: Open311Error) -> Response[bytes]:
    """``[{"code": <status>, "description": …}]`` (``<errors><error>`` in XML)."""
    rows = [{"code": exc.status, "description": d} for d in exc.descriptions]
    response = render(fmt, "errors", "error", rows, exc.status)
    response.headers.update(exc.headers)
    return response


def split_name(name: str) -> tuple[str, str]:
    """``"requests.json"`` → ``("requests", "json")``; 404 (JSON) for another format."""
    stem, dot, fmt = name.replace("\x00", "").rpartition(".")
    if not dot or fmt not in FORMATS or not stem:
        raise Open311Error(404, both(NOT_FOUND))
    return stem, fmt


async def answer(
    request: Request, name: str, handler: Callable[[str], Awaitable[Response[bytes]]]
) -> Response[bytes]:
    """Run ``handler`` with the format of ``name``; every refusal in GeoReport's format."""
    fmt = name.rpartition(".")[2] if name.rpartition(".")[2] in FORMATS else "json"
    try:
        return await handler(fmt)
    except Open311Error as exc:
        return error_response(fmt, exc)
    except JogoError as exc:
        return error_response(fmt, from_jogo(exc))
