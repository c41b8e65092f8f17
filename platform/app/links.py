"""Where the public reaches this API, for links we hand out (CAP feeds, the
``callback_url`` agencies answer on).

- ``JOGO_PUBLIC_URL``, when set, always wins (set it behind a reverse proxy or a domain).
- In a request (:func:`request_base`): the request's own scheme, host and port, so
  ``jogo up --port 18101`` links to port 18101. ``X-Forwarded-Proto`` and
  ``X-Forwarded-Host`` count only when the peer is a proxy in ``JOGO_TRUSTED_PROXIES``;
  a ``Host`` header that is not a plain ``host[:port]`` is ignored for the address the
  server listens on.
- Outside a request (the worker): :func:`bound_base`, the address ``jogo up`` is bound
  to, passed to its in-process worker. A separate ``jogo worker`` without
  ``JOGO_PUBLIC_URL`` has none and sends ``callback_url: null``.
"""

from __future__ import annotations

import re
import socket
from typing import Any

from litestar.connection import ASGIConnection

from jogo.platform.clients import is_trusted, parse_address
from jogo.platform.settings import Settings

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{{1,5}})?$")
WILDCARDS = ("", "0.0.0.0", "::")  # noqa: S104  (names, not binds)


def _netloc(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def bound_base(host: str, port: int) -> str:
    """``http://host:port`` for a server bound there; a wildcard bind (0.0.0.0, ::)
    names this machine instead, since nobody can connect to a wildcard."""
    if host in WILDCARDS:
        host = socket.getfqdn()
    return f"http://{_netloc(host, port)}"


def _last(values: list[str]) -> str | None:
    """The value the nearest proxy wrote: the last entry of the last header."""
    entries = [e.strip() for v in values for e in v.split(",") if e.strip()]
    return entries[-1] if entries else None


def request_base(connection: ASGIConnection[Any, Any, Any, Any], settings: Settings) -> str:
    """The public base URL (no trailing slash) for links made while serving
    ``connection``: see the module."""
    if settings.public_url:
        return settings.public_url
    headers = connection.headers
    scheme = "https" if connection.scope.get("scheme") in ("https", "wss") else "http"
    host = headers.get("host")
    peer = parse_address(connection.client.host) if connection.client else None
    if peer is not None and is_trusted(peer, settings.trusted_proxies):
        proto = _last(headers.getall("x-forwarded-proto", []))
        if proto in ("http", "https"):
            scheme = proto
        host = _last(headers.getall("x-forwarded-host", [])) or host
    if not host or not _HOST.match(host):
        server = connection.scope.get("server")
        if not server or server[1] is None:
            return f"{scheme}://localhost"
        host = _netloc(str(server[0]), int(server[1]))
    return f"{scheme}://{host}"
