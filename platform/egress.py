"""Where the platform may connect: the server-side request forgery (SSRF) rule.

Agency, hospital and camera URLs are set by tenant admins, so they are untrusted. A
destination is allowed only when every address its host resolves to is globally
routable (:func:`refusal`); an IPv6 address that carries an IPv4 one (IPv4-mapped,
6to4 ``2002::/16``, Teredo ``2001::/32``, NAT64 ``64:ff9b::/96``) is judged by that
IPv4 too. ``JOGO_ALLOW_PRIVATE_EGRESS`` (on outside production, for local fakes)
admits private, loopback and shared addresses, but never link-local (cloud metadata),
multicast or unspecified ones.

The check runs when a URL is saved (:func:`check_url`, a typed ``INVALID_INPUT`` on the
field) and again on every call, where the name is resolved once and the connection goes
to the address that was checked (``jogo.workers.connectors.base``): a name that
answers differently the second time (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from jogo.platform.errors import InvalidInput, JogoError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port → the addresses the name resolves to, as text, in the resolver's order.
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Not globally routable, whatever the running Python's tables say (they changed in
# 3.12 and 3.13): shared address space (RFC 6598; 100.100.100.200 is a cloud metadata
# service), IETF protocol assignments, the 6to4 relay anycast, local-use NAT64, and
# IPv6 site-local (RFC 3879 deprecated it, but networks still route it inside; Python
# 3.11 counts it as global).
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "100.64.0.0/10",
        "192.0.0.0/24",
        "192.88.99.0/24",
        "64:ff9b:1::/48",
        "fec0::/10",
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class DestinationRefused(JogoError):
    """The URL's host is, or resolves to, an address the platform may not call."""

    code = "INVALID_INPUT"


class UnresolvableHost(JogoError):
    """The URL's host name does not resolve (now)."""

    code = "INVALID_INPUT"


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped, 6to4, Teredo (server
    and client), NAT64 well-known prefix. Empty for a plain IPv6 address."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if ip in _NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def _global(ip: Address) -> bool:
    if any(ip.version == n.version and ip in n for n in _NOT_GLOBAL):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _never(ip: Address) -> bool:
    """Refused even where private destinations are allowed."""
    return ip.is_link_local or ip.is_multicast or ip.is_unspecified


def refusal(ip: Address, allow_private: bool) -> str | None:
    """Why the platform may not connect to ``ip``, or None when it may."""
    judged: list[Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        carried: list[Address] = list(embedded_ipv4(ip))
        # A wrapper is judged by what it carries (Teredo by itself as well).
        judged = [*carried, ip] if ip.teredo is not None else carried or [ip]
    for candidate in judged:
        if _never(candidate):
            return f"{ip} is link-local, multicast or unspecified"
        if not allow_private and not _global(candidate):
            return f"{ip} is not a globally routable address"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer (``getaddrinfo``), in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve_checked(
    host: str, port: int, *, allow_private: bool, resolver: Resolver | None = None
) -> list[Address]:
    """Resolve ``host`` once and check every address it gives.

    Returns the addresses to connect to, in the resolver's order. Errors:
    :class:`DestinationRefused` when any address is refused (a name that also points
    inward is refused whole), :class:`UnresolvableHost` when it does not resolve.
    """
    literal = _literal(host)
    if literal is not None:
        found = [literal]
    else:
        try:
            answers = await (resolver or system_resolver)(host, port)
        except (OSError, UnicodeError):  # UnicodeError: a name IDNA cannot encode
            raise UnresolvableHost(f"cannot resolve {host}") from None
        found = []
        for text in answers:
            address = _literal(text.partition("%")[0])  # drop an IPv6 zone
            if address is None:
                raise DestinationRefused(f"{host} resolves to something that is not an address")
            found.append(address)
        if not found:
            raise UnresolvableHost(f"cannot resolve {host}")
    for address in found:
        why = refusal(address, allow_private)
        if why is not None:
            raise DestinationRefused(f"{host}: {why}")
    return found


async def check_url(
    url: str, *, allow_private: bool, field: str, resolver: Resolver | None = None
) -> None:
    """When a URL is saved: :class:`~jogo.platform.errors.InvalidInput` on ``field`` if
    its host is, or resolves to, a refused address, or does not resolve. Where private
    destinations are allowed, a host name is not looked up (local fakes, demos); only
    a literal address is judged."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # "http://[::1/": a broken IPv6 host
        raise InvalidInput("the URL's host is not valid", field=field) from None
    if not host:
        raise InvalidInput("the URL has no host", field=field)
    if allow_private and _literal(host) is None:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput("the URL's port is not a number from 0 to 65535", field=field) from None
    try:
        await resolve_checked(host, port, allow_private=allow_private, resolver=resolver)
    except DestinationRefused as exc:
        raise InvalidInput(
            "Alamat ini tidak boleh dihubungi dari server (jaringan privat atau lokal). /"
            f" The platform may not call this address ({exc.message}).",
            field=field,
        ) from None
    except UnresolvableHost:
        raise InvalidInput(
            f"Nama host {host} tidak ditemukan. / The host name {host} does not resolve.",
            field=field,
        ) from None
