"""What every outbound connector shares: failures, and where it may connect.

Agencies, hospitals and cameras are configured by tenant admins, so their URLs are
untrusted: in production a destination inside private, loopback or link-local address
space is refused (server-side request forgery), and no response body is ever copied
into an error a tenant can read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx


class DeliveryFailed(Exception):
    """The agency did not take the report this time; the attempt is retried later."""


class DestinationRefused(DeliveryFailed):
    """The URL points somewhere a tenant may not make us call."""


def check_response(response: httpx.Response) -> None:
    if response.status_code >= 300:
        raise DeliveryFailed(f"HTTP {response.status_code}")


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


async def guard(url: str, allow_private: bool) -> None:
    """Refuse URLs that resolve into private address space, unless allowed (dev, tests)."""
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise DestinationRefused("the URL has no host")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except OSError:
        raise DeliveryFailed(f"cannot resolve {host}") from None
    if any(_private(str(info[4][0])) for info in infos):
        raise DestinationRefused(f"{host} resolves to a private address")
