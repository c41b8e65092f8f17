"""Who is calling from where: the client's IP address, for per-client limits.

The peer of the TCP connection is the client, unless that peer is a proxy listed in
``JOGO_TRUSTED_PROXIES``. Only then are forwarded headers read, from the right (the
entry the nearest proxy appended) to the left, skipping every address that is itself
a trusted proxy; the first address that is not, is the client. Entries further left
were written by the client and are never believed, so rotating ``X-Forwarded-For``
gains nothing. ``X-Forwarded-For`` is read when present, ``Forwarded`` (RFC 7239)
otherwise.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_FOR = re.compile(r'(?:^|;)\s*for\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)', re.IGNORECASE)


def parse_address(text: str) -> Address | None:
    """An address from a header entry: ``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``,
    ``::1``; IPv4-mapped IPv6 becomes IPv4. None for anything else (``unknown``,
    obfuscated names, garbage)."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    """Whether ``address`` is in one of the ``trusted`` networks (``JOGO_TRUSTED_PROXIES``),
    comparing only networks of the same IP version."""
    # ``in`` across IP versions compares raw integers: 1.2.3.4 would be "in" ::/0.
    return any(address.version == net.version and address in net for net in trusted)


def _forwarded_for(values: Iterable[str]) -> list[str]:
    """The ``for=`` of each element of ``Forwarded`` headers, in order."""
    found: list[str] = []
    for value in values:
        for element in value.split(","):
            match = _FOR.search(element)
            found.append(match.group(1).replace('\\"', '"') if match else "")
    return found


def client_address(
    peer: str | None,
    trusted: Sequence[Network],
    x_forwarded_for: Iterable[str] = (),
    forwarded: Iterable[str] = (),
) -> str | None:
    """The client's address as text, or None when the peer is unknown.

    ``peer``: the connection's remote address; ``trusted``: the proxies whose headers
    count; the header arguments: every value of each header, in the order received.
    """
    if peer is None:
        return None
    current = parse_address(peer)
    if current is None:
        return peer
    chain = [e for v in x_forwarded_for for e in v.split(",") if e.strip()]
    if not chain:
        chain = _forwarded_for(forwarded)
    for entry in reversed(chain):
        if not is_trusted(current, trusted):
            break
        previous = parse_address(entry)
        if previous is None:  # "unknown", a name: nothing further left can be believed
            break
        current = previous
    return str(current)
