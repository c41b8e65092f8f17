"""The SSRF guard (platform/egress.py), pinned at its boundaries (issue 15, item 1).

Expected values come from the IANA special-purpose address registries (RFC 6890 and
its updates: RFC 1918 private, RFC 6598 shared, RFC 5737 documentation, RFC 3927
link-local, RFC 4291 IPv6 reserved blocks, RFC 3879 site-local, RFC 6052/8215 NAT64,
RFC 3056 6to4, RFC 4380 Teredo), not from the guard. DNS is the outside world: a
resolver that answers as a DNS server would.
"""

from __future__ import annotations

import ipaddress

import pytest

from jogo.platform.egress import (
    DestinationRefused,
    UnresolvableHost,
    check_url,
    embedded_ipv4,
    refusal,
    resolve_checked,
    system_resolver,
)
from jogo.platform.errors import InvalidInput


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


# --- what an IPv6 address carries ---------------------------------------------------


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("::ffff:10.0.0.1", ["10.0.0.1"]),  # IPv4-mapped (RFC 4291 2.5.5.2)
        ("2002:a00:1::", ["10.0.0.1"]),  # 6to4: 2002:WWXX:YYZZ::/48 (RFC 3056)
        # Teredo (RFC 4380): server 65.54.227.120, client = NOT 0x3fff:fdd2 = 192.0.2.45
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", ["65.54.227.120", "192.0.2.45"]),
        ("64:ff9b::a00:1", ["10.0.0.1"]),  # NAT64 well-known prefix (RFC 6052)
        ("64:ff9b::ffff:ffff", ["255.255.255.255"]),
        ("64:ff9b::1:0:0", []),  # outside the /96
        ("2606:4700:4700::1111", []),
        ("::1", []),
    ],
)
def test_embedded_ipv4(address, carried):
    assert embedded_ipv4(ipaddress.IPv6Address(address)) == [ip(c) for c in carried]


# --- production: only globally routable ----------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.0",  # RFC 1918, each block at both ends
        "10.255.255.255",
        "172.16.0.0",
        "172.31.255.255",
        "192.168.0.0",
        "192.168.255.255",
        "100.64.0.0",  # RFC 6598 shared, both ends
        "100.127.255.255",
        "192.0.0.9",  # IETF protocol assignments (RFC 6890), outside 3.11's private list
        "192.0.0.255",
        "192.88.99.1",  # 6to4 relay anycast (RFC 7526)
        "192.0.2.1",  # TEST-NET-1
        "198.51.100.1",  # TEST-NET-2
        "203.0.113.1",  # TEST-NET-3
        "198.19.255.255",  # benchmarking (RFC 2544)
        "127.255.255.255",
        "4000::1",  # reserved by the IETF (RFC 4291), global in Python's table
        "f000::1",
        "fec0::1",  # site-local (RFC 3879)
        "feff:ffff::1",
        "fc00::1",  # unique local (RFC 4193)
        "2001:db8::1",  # documentation (RFC 3849)
        "2001:0:4136:e378:8000:63bf:f7f7:f7f7",  # Teredo of public server and client
    ],
)
def test_refused_in_production(address):
    assert refusal(ip(address), allow_private=False) is not None


@pytest.mark.parametrize(
    "address",
    [
        "9.255.255.255",  # just outside 10.0.0.0/8
        "11.0.0.0",
        "172.15.255.255",  # just outside 172.16.0.0/12
        "172.32.0.0",
        "192.167.255.255",
        "192.169.0.0",
        "100.63.255.255",  # just outside 100.64.0.0/10
        "100.128.0.0",
        "192.0.1.255",  # just outside 192.0.0.0/24
        "192.88.98.255",
        "192.88.100.0",
        "223.255.255.255",  # the last unicast before multicast
        "8.8.8.8",
        "::ffff:8.8.8.8",
        "2002:808:808::",  # 6to4 of 8.8.8.8
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8
        "2606:4700::6440:1",  # low 32 bits look like 100.64.0.1: IPv6 is not IPv4
        "2a00:1450:4001::1",
        "3fff:ffff::1",  # the last of 2000::/3
    ],
)
def test_allowed_in_production(address):
    assert refusal(ip(address), allow_private=False) is None


@pytest.mark.parametrize(
    "address",
    ["224.0.1.1", "239.255.255.255", "ff0e::1", "ff02::1", "0.0.0.0", "::", "169.254.0.1"],
)
def test_multicast_unspecified_and_link_local_are_never_allowed(address):
    for allow_private in (False, True):
        assert refusal(ip(address), allow_private=allow_private) is not None, allow_private


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # cloud metadata
        "169.254.255.255",
        "fe80::1",
        "febf:ffff::1",  # the end of fe80::/10
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::",
        "2001:0:4136:e378:8000:63bf:5601:5601",  # Teredo, client NOT 0x5601:5601 = 169.254.169.254
    ],
)
def test_where_private_is_allowed_link_local_still_is_not(address):
    assert refusal(ip(address), allow_private=True) is not None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "::1",
        "fd00::1",
        "::ffff:10.0.0.1",
        "2002:a00:1::",
        "169.253.255.255",  # just outside 169.254.0.0/16
        "169.255.0.0",
        "fec0::1",  # just outside fe80::/10
    ],
)
def test_where_private_is_allowed_private_is(address):
    assert refusal(ip(address), allow_private=True) is None


# --- resolving names -------------------------------------------------------------------


def answering(answers: list[str] | Exception):
    """A DNS server: records each question, then answers (or fails)."""
    asked: list[tuple[str, int]] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        if isinstance(answers, Exception):
            raise answers
        return list(answers)

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


async def test_resolve_checked_returns_every_address_in_order():
    dns = answering(["8.8.8.8", "2606:4700::1111%eth0", "1.1.1.1"])
    found = await resolve_checked("agency.example", 443, allow_private=False, resolver=dns)
    assert found == [ip("8.8.8.8"), ip("2606:4700::1111"), ip("1.1.1.1")]
    assert dns.asked == [("agency.example", 443)]


async def test_a_literal_is_not_looked_up():
    dns = answering(["127.0.0.1"])
    found = await resolve_checked("[2606:4700::1111]", 80, allow_private=False, resolver=dns)
    assert found == [ip("2606:4700::1111")]
    assert dns.asked == []


@pytest.mark.parametrize(
    "answers", [["8.8.8.8", "10.0.0.1"], ["fe80::1%eth0"], ["8.8.8.8", "not-an-address"]]
)
async def test_a_name_with_any_refused_answer_is_refused(answers):
    dns = answering(answers)
    with pytest.raises(DestinationRefused) as caught:
        await resolve_checked("agency.example", 80, allow_private=False, resolver=dns)
    assert caught.value.code == "INVALID_INPUT"


@pytest.mark.parametrize("failure", [[], OSError("no such name"), UnicodeError("idna")])
async def test_a_name_that_does_not_resolve(failure):
    dns = answering(failure)
    with pytest.raises(UnresolvableHost) as caught:
        await resolve_checked("agency.example", 80, allow_private=False, resolver=dns)
    assert caught.value.code == "INVALID_INPUT"


async def test_the_system_resolver_answers_a_literal_without_a_server():
    assert await system_resolver("127.0.0.1", 80) == ["127.0.0.1"]


# --- when a URL is saved ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("https://agency.example/hook", 443),
        ("http://agency.example/hook", 80),
        ("rtsp://agency.example/live", 80),
        ("https://agency.example:8443/hook", 8443),
    ],
)
async def test_check_url_asks_for_the_scheme_port(url, port):
    dns = answering(["8.8.8.8"])
    await check_url(url, allow_private=False, field="endpointUrl", resolver=dns)
    assert dns.asked == [("agency.example", port)]


@pytest.mark.parametrize(
    ("url", "answers"),
    [
        ("http://agency.example/", ["10.0.0.1"]),
        ("http://agency.example/", OSError("no such name")),
        ("http://agency.example:99999/", ["8.8.8.8"]),
        ("http:///hook", ["8.8.8.8"]),
        ("http://10.0.0.1/", ["8.8.8.8"]),
    ],
)
async def test_check_url_refuses_on_the_field(url, answers):
    dns = answering(answers)
    with pytest.raises(InvalidInput) as caught:
        await check_url(url, allow_private=False, field="snapshotUrl", resolver=dns)
    assert caught.value.code == "INVALID_INPUT"
    assert caught.value.field == "snapshotUrl"


async def test_check_url_where_private_is_allowed_does_not_look_names_up():
    dns = answering(["169.254.169.254"])
    await check_url("http://cctv.local/x", allow_private=True, field="streamUrl", resolver=dns)
    assert dns.asked == []
    await check_url("http://10.0.0.1/x", allow_private=True, field="streamUrl", resolver=dns)
    with pytest.raises(InvalidInput) as caught:
        await check_url("http://[fe80::1]/", allow_private=True, field="streamUrl", resolver=dns)
    assert caught.value.field == "streamUrl"
    assert dns.asked == []
