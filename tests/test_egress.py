"""SSRF guard (issue 12, part 7): only globally routable destinations in production,
wrapped IPv4 unwrapped, the checked address is the one connected to, and agency,
hospital and camera URLs are checked when saved as well as when called.

The network beyond the platform is faked as the outside world: a resolver that answers
as a DNS server would (first a public address, then loopback, for rebinding), and a
network that records where connections go; local servers stand in for agencies.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpcore
import httpx
import pytest
from helpers import auth_header, eventually, gql

from jogo.platform.auth.roles import Role
from jogo.platform.egress import DestinationRefused, UnresolvableHost, refusal, resolve_checked
from jogo.platform.errors import InvalidInput
from jogo.platform.settings import Settings
from jogo.workers.connectors.base import egress_client

PUBLIC = "93.184.216.34"

# Refused in production (issue: 100.64.0.0/10 and 6to4 2002:7f00:1:: were allowed).
NOT_GLOBAL = [
    "100.100.100.200",  # shared address space, a cloud metadata service
    "100.64.0.1",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::7f00:1",
    "64:ff9b:1::808:808",  # local-use NAT64
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "::7f00:1",  # IPv4-compatible
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "fe80::1",
    "fd00:ec2::254",
    "::1",
    "::",
    "0.0.0.0",
    "224.0.0.1",
    "ff02::1",
    "192.0.0.8",
    "198.18.0.1",
    "240.0.0.1",
    "255.255.255.255",
]
GLOBAL = ["8.8.8.8", PUBLIC, "2606:4700:4700::1111", "2002:808:808::", "64:ff9b::808:808"]
# Refused even where private destinations are allowed (development, tests).
NEVER = ["169.254.169.254", "fe80::1", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::", "0.0.0.0", "::"]


@pytest.mark.parametrize("address", NOT_GLOBAL)
def test_not_globally_routable_is_refused_in_production(address):
    assert refusal(ipaddress.ip_address(address), allow_private=False) is not None


@pytest.mark.parametrize("address", GLOBAL)
def test_globally_routable_is_allowed(address):
    assert refusal(ipaddress.ip_address(address), allow_private=False) is None


def test_where_private_is_allowed_loopback_works_and_metadata_does_not():
    for address in ("127.0.0.1", "::1", "10.1.2.3", "100.100.100.200"):
        assert refusal(ipaddress.ip_address(address), allow_private=True) is None, address
    for address in NEVER:
        assert refusal(ipaddress.ip_address(address), allow_private=True) is not None, address


def answering(*rounds: list[str]):
    """A DNS server that gives each answer in turn (the last one from then on)."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return rounds[min(len(asked), len(rounds)) - 1]

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


async def test_a_name_is_refused_when_any_of_its_addresses_is():
    mixed = answering([PUBLIC, "127.0.0.1"])
    with pytest.raises(DestinationRefused):
        await resolve_checked("agency.example", 80, allow_private=False, resolver=mixed)
    for literal in ("100.100.100.200", "[2002:7f00:1::]", "2002:7f00:1::"):
        with pytest.raises(DestinationRefused):
            await resolve_checked(literal, 80, allow_private=False)

    async def nothing(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(UnresolvableHost):
        await resolve_checked("agency.example", 80, allow_private=False, resolver=nothing)


class FakeStream(httpcore.AsyncNetworkStream):
    """A connection to the outside world: records what is sent, answers 200."""

    def __init__(self, network: FakeNetwork) -> None:
        self.network = network
        self.answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    async def read(self, max_bytes: int, **_: Any) -> bytes:
        data, self.answer = self.answer[:max_bytes], self.answer[max_bytes:]
        return data

    async def write(self, buffer: bytes, **_: Any) -> None:
        self.network.sent += buffer

    async def aclose(self) -> None:
        return None

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, **_: Any
    ) -> httpcore.AsyncNetworkStream:
        self.network.tls_names.append(server_hostname)
        return self

    def get_extra_info(self, info: str) -> Any:
        return None


class FakeNetwork(httpcore.AsyncNetworkBackend):
    """The sockets: records every address connected to."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []
        self.sent = b""
        self.tls_names: list[str | None] = []

    async def connect_tcp(self, host: str, port: int, **_: Any) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        return FakeStream(self)

    async def connect_unix_socket(self, path: str, **_: Any) -> httpcore.AsyncNetworkStream:
        raise AssertionError("no Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def test_rebinding_name_connects_to_the_address_that_was_checked():
    """Public on the first answer, loopback on the second: the connection goes to the
    checked public address (one lookup), keeping the Host header and the TLS name; the
    next connection, which sees loopback, is refused before any socket opens."""
    rebinding = answering([PUBLIC], ["127.0.0.1"])
    network = FakeNetwork()
    async with egress_client(lambda: False, resolver=rebinding, inner=network) as client:
        first = await client.get("https://agency.example/hook", headers={"Connection": "close"})
        assert first.status_code == 200
        assert network.connected == [(PUBLIC, 443)] and rebinding.asked == ["agency.example"]
        assert network.tls_names == ["agency.example"]  # SNI and certificate name
        assert b"\r\nHost: agency.example\r\n" in network.sent
        with pytest.raises(httpx.ConnectError, match="destination refused"):
            await client.get("https://agency.example/hook")
    assert network.connected == [(PUBLIC, 443)]  # nothing reached loopback


async def test_a_pinned_name_reaches_a_real_local_server_with_its_host_header(sink):
    """Where private addresses are allowed (tests): a real server on 127.0.0.1, reached
    through a name that resolves there; the request keeps the name as its Host."""
    port = int(sink.url.rsplit(":", 1)[1])
    local = answering(["127.0.0.1"])
    async with egress_client(lambda: True, resolver=local) as client:
        response = await client.post(f"http://dinas.test:{port}/hook", json={"a": 1})
    assert response.status_code < 300
    sink.wait_for(1)
    assert sink.received[0].headers["host"] == f"dinas.test:{port}"
    async with egress_client(lambda: False, resolver=local) as client:
        with pytest.raises(httpx.ConnectError, match="destination refused"):
            await client.post(f"http://dinas.test:{port}/hook", json={"a": 2})
    assert len(sink.received) == 1


# --- checked when saved: agency, hospital, camera ---


@pytest.fixture
async def production_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API as in production: private egress not allowed."""
    from jogo.platform.app.factory import create_app
    from jogo.platform.registry import clear_cache

    clear_cache()
    app = create_app(replace(settings, allow_private_egress=False), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


AGENCY = """mutation($i: CreateAgencyInput!) { createAgency(input: $i) { agency { id }
  errors { code field message } } }"""
CAMERA = """mutation($i: CreateCameraInput!) { createCamera(input: $i) { camera { id }
  errors { code field message } } }"""
REFUSED_URLS = [
    "http://100.100.100.200/latest/meta-data/",
    "http://[2002:7f00:1::]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://localhost:8080/hook",  # a name that resolves to loopback
    "http://10.0.0.5/hook",
    "http://agency.invalid/hook",  # does not resolve
]


@pytest.mark.parametrize("url", REFUSED_URLS)
async def test_agency_endpoint_is_checked_when_saved(
    production_client, settings, two_tenants, owner, url
):
    tenant = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    _, body = await gql(
        production_client,
        f"/t/{tenant.slug}/graphql",
        AGENCY,
        admin,
        i={
            "code": "DISHUB-HOOK",
            "name": "Dinas Perhubungan",
            "kind": "dinas",
            "connector": "webhook",
            "endpointUrl": url,
            "secret": "s" * 20,
        },
    )
    payload = body["data"]["createAgency"]
    assert payload["agency"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", "endpointUrl")
    ]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM agencies WHERE tenant_id = $1 AND code = $2",
            tenant.id,
            "DISHUB-HOOK",
        )
        == 0
    )


async def test_hospital_and_camera_urls_are_checked_when_saved(
    production_client, settings, two_tenants, owner
):
    tenant = two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    path = f"/t/{tenant.slug}/graphql"
    _, hospital = await gql(
        production_client,
        path,
        AGENCY,
        admin,
        i={
            "code": "RS-X",
            "name": "Rumah Sakit X",
            "kind": "hospital",
            "capacityUrl": "http://100.100.100.200/fhir/Location",
            "capacityFormat": "fhir",
        },
    )
    errors = hospital["data"]["createAgency"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", "capacityUrl")]
    # Both URLs of one agency are reported at once.
    _, both = await gql(
        production_client,
        path,
        AGENCY,
        admin,
        i={
            "code": "RS-Y",
            "name": "Rumah Sakit Y",
            "kind": "hospital",
            "connector": "webhook",
            "endpointUrl": "http://127.0.0.1/hook",
            "secret": "s" * 20,
            "capacityUrl": "http://[2002:7f00:1::]/beds.json",
            "capacityFormat": "json",
        },
    )
    assert {(e["code"], e["field"]) for e in both["data"]["createAgency"]["errors"]} == {
        ("INVALID_INPUT", "endpointUrl"),
        ("INVALID_INPUT", "capacityUrl"),
    }
    _, camera = await gql(
        production_client,
        path,
        CAMERA,
        admin,
        i={
            "name": "Kamera Tugu",
            "latitude": -7.977,
            "longitude": 112.634,
            # The stream is only handed to operators' players: a private one is fine.
            "streamUrl": "rtsp://10.20.30.40/live",
            "snapshotUrl": "http://[::ffff:127.0.0.1]:8080/snapshot.jpg",
        },
    )
    errors = camera["data"]["createCamera"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", "snapshotUrl")]
    assert await owner.fetchval("SELECT count(*) FROM cameras WHERE tenant_id = $1", tenant.id) == 0
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM agencies WHERE tenant_id = $1 AND code LIKE 'RS-_'", tenant.id
        )
        == 0
    )
    # The same camera without the refused snapshot is saved.
    _, saved = await gql(
        production_client,
        path,
        CAMERA,
        admin,
        i={
            "name": "Kamera Tugu",
            "latitude": -7.977,
            "longitude": 112.634,
            "streamUrl": "rtsp://10.20.30.40/live",
        },
    )
    assert saved["data"]["createCamera"]["errors"] == []


async def test_check_url_where_private_is_allowed_still_refuses_metadata():
    from jogo.platform.egress import check_url

    await check_url("http://127.0.0.1:8080/hook", allow_private=True, field="endpointUrl")
    await check_url("http://agency.invalid/hook", allow_private=True, field="endpointUrl")
    with pytest.raises(InvalidInput) as caught:
        await check_url("http://169.254.169.254/", allow_private=True, field="snapshotUrl")
    assert caught.value.field == "snapshotUrl"


# --- checked when called: a URL saved before (or while private was allowed) ---


async def test_worker_refuses_a_saved_private_url_when_it_calls(
    app_client, settings, owner, sink, worker, relay
):
    from helpers import onboard

    from jogo.platform import db, outbox
    from jogo.workers import actors

    tenant = await onboard("minimal", modules=["facilities"])
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    sink.pages["/cam/ok.jpg"] = (200, "image/jpeg", b"\xff\xd8\xff fake jpeg")
    _, made = await gql(
        app_client,
        f"/t/{tenant.slug}/graphql",
        CAMERA,
        admin,
        i={
            "name": "Kamera lama",
            "latitude": -7.977,
            "longitude": 112.634,
            "streamUrl": "rtsp://cctv.example/live",
            "snapshotUrl": sink.url + "/cam/ok.jpg",
        },
    )
    assert made["data"]["createCamera"]["errors"] == [], made
    previous = actors.SETTINGS
    actors.configure(replace(previous, allow_private_egress=False))
    try:
        # This tenant's tick only: the wait does not grow with earlier tests' tenants.
        async with db.control_tx():
            await outbox.enqueue("check_cameras", {}, tenant.id)

        async def checked() -> Any:
            row = await owner.fetchrow(
                "SELECT status, last_error FROM cameras WHERE tenant_id = $1", tenant.id
            )
            return row if row["status"] != "UNKNOWN" else None

        row = await eventually(checked, "the camera check", within=30)
    finally:
        actors.configure(previous)
    assert row is not None and row["status"] == "OFFLINE", row
    assert "destination refused" in row["last_error"]
    assert "/cam/ok.jpg" not in sink.fetched


async def test_a_resolver_answering_no_address_or_nothing_is_refused():
    # A resolver of the outside world that answers a name (a broken or hostile DNS) ...
    with pytest.raises(DestinationRefused) as refused:
        await resolve_checked(
            "agency.example", 80, allow_private=False, resolver=answering(["cname.example"])
        )
    assert "agency.example resolves to something that is not an address" in refused.value.message
    # ... or an empty answer.
    with pytest.raises(UnresolvableHost) as empty:
        await resolve_checked("agency.example", 80, allow_private=False, resolver=answering([]))
    assert "cannot resolve agency.example" in empty.value.message
    # The same resolver with a public address passes it on: the refusals were the answers'.
    found = await resolve_checked(
        "agency.example", 80, allow_private=False, resolver=answering([PUBLIC])
    )
    assert [str(a) for a in found] == [PUBLIC]


async def test_a_url_without_a_host_is_refused_on_its_field():
    from jogo.platform.egress import check_url

    for allow_private in (True, False):
        with pytest.raises(InvalidInput) as caught:
            await check_url("http:///beds", allow_private=allow_private, field="capacityUrl")
        assert (caught.value.field, caught.value.message) == ("capacityUrl", "the URL has no host")


async def test_an_answer_over_the_bound_fails_the_call_and_a_small_one_passes():
    """Every connector's client reads at most MAX_ANSWER_BYTES of an outside answer: a
    huge or endless body (with or without a Content-Length) is an httpx error, which the
    connectors turn into a failed, retried attempt; the connection pool still serves."""
    import contextlib
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from jogo.workers.connectors.base import MAX_ANSWER_BYTES

    class Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            size = {"/small": 100, "/big": MAX_ANSWER_BYTES + 1}.get(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if size is None:  # /endless: chunked, never ends within the bound
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"x" * 65536
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for _ in range(64):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("Content-Length", str(size))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(b"x" * size)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        async with egress_client(lambda: True) as client:
            for path in ("/big", "/endless"):
                with pytest.raises(httpx.ReadError, match="answer over"):
                    await client.post(f"{base}{path}", json={})
            small = await client.post(f"{base}/small", json={})
            assert small.status_code == 200 and len(small.content) == 100
    finally:
        server.shutdown()
        server.server_close()
