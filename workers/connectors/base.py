"""What every outbound connector shares: failures, and where it may connect.

Agencies, hospitals and cameras are configured by tenant admins, so their URLs are
untrusted: every connection goes through :class:`PinnedBackend`, which resolves the
host once, refuses it unless every address passes the egress rule
(:mod:`jogo.platform.egress`: globally routable only, in production), and connects to
the address it checked. TLS still verifies the certificate for the host name, and
the ``Host`` header is the URL's. No response body is ever copied into an error a
tenant can read.
"""

from __future__ import annotations

import asyncio
import ssl
import typing
from collections.abc import Awaitable, Callable

import httpcore
import httpx

from jogo.platform.egress import DestinationRefused, Resolver, UnresolvableHost, resolve_checked

T = typing.TypeVar("T")


class DeliveryFailed(Exception):
    """The agency did not take the report this time; the attempt is retried later."""


class AddressGone(DeliveryFailed):
    """The address is gone for good (a push subscription the push service no longer
    knows): not retried, and nothing more is sent to it."""


async def within(seconds: float, call: Awaitable[T]) -> T:
    """``call`` awaited with a deadline for the whole of it. httpx's ``timeout`` bounds
    each network operation, not the call: a server that trickles a header byte every
    few seconds would hold a delivery past its lease (and be sent to twice). Raises
    :class:`DeliveryFailed` when ``seconds`` pass first."""
    try:
        async with asyncio.timeout(seconds):
            return await call
    except TimeoutError:
        raise DeliveryFailed(f"TimeoutError: no complete answer within {seconds:g} s") from None


def check_response(response: httpx.Response) -> None:
    """Raise :class:`DeliveryFailed` (``HTTP <status>``, never the body) for any status of 300 or
    above; 2xx passes."""
    if response.status_code >= 300:
        raise DeliveryFailed(f"HTTP {response.status_code}")


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with the egress rule at the point of connection.

    ``allow_private`` is asked on every connection (the process's setting may be
    replaced after the client is made); ``resolver`` answers host names (default: the
    operating system); ``inner`` opens the sockets (default: anyio). A refused or
    unresolvable host is an ``httpcore.ConnectError`` (``httpx.ConnectError`` to the
    caller) that says why.
    """

    def __init__(
        self,
        allow_private: Callable[[], bool],
        resolver: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's interface)
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve ``host`` once, refuse it unless every address passes the egress rule, then
        connect to those checked addresses in order (no second lookup). Raises
        ``httpcore.ConnectError`` saying why for a refused or unresolvable host, else the last
        address's connect error."""
        try:
            addresses = await resolve_checked(
                host, port, allow_private=self._allow_private(), resolver=self._resolver
            )
        except DestinationRefused as exc:
            raise httpcore.ConnectError(f"destination refused: {exc.message}") from None
        except UnresolvableHost as exc:
            raise httpcore.ConnectError(exc.message) from None
        failure: Exception | None = None
        for address in addresses:  # in the resolver's order, each one checked above
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # resolve_checked never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's interface)
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Always refused: connectors reach agencies over TCP only. Raises
        ``httpcore.ConnectError``."""
        raise httpcore.ConnectError("connectors do not use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` through the inner backend (httpcore's interface)."""
        await self._inner.sleep(seconds)


MAX_ANSWER_BYTES = 1 << 20  # 1 MiB: the most of an outside answer a connector reads


class _BoundedStream(httpx.AsyncByteStream):
    """An answer's body, refused (``httpx.ReadError``) past ``limit`` bytes."""

    def __init__(self, inner: httpx.AsyncByteStream, limit: int) -> None:
        self._inner, self._limit = inner, limit

    async def __aiter__(self) -> typing.AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise httpx.ReadError(f"answer over {self._limit} bytes")
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class BoundedTransport(httpx.AsyncBaseTransport):
    """``inner`` with every answer's body bounded to ``limit`` bytes: an agency, gateway or
    FHIR server answering an endless or huge body fails the attempt (an ``httpx.HTTPError``,
    so a :class:`DeliveryFailed` in the connectors) instead of filling the worker's memory."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int = MAX_ANSWER_BYTES) -> None:
        self._inner, self._limit = inner, limit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The inner transport's answer, its body stream bounded."""
        response = await self._inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _BoundedStream(response.stream, self._limit)
        return response

    async def aclose(self) -> None:
        """Close the inner transport (its pool)."""
        await self._inner.aclose()


def egress_client(
    allow_private: Callable[[], bool],
    *,
    resolver: Resolver | None = None,
    inner: httpcore.AsyncNetworkBackend | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """The HTTP client of every connector: pinned connections (:class:`PinnedBackend`),
    no redirects (a redirect could lead anywhere), no proxy from the environment
    (through a proxy the checked address would not be the one reached), and answers read
    up to :data:`MAX_ANSWER_BYTES` (:class:`BoundedTransport`)."""
    transport = httpx.AsyncHTTPTransport(verify=verify, trust_env=False)
    # httpx takes no network backend: give its transport a pool that has ours, with the
    # TLS context httpx built (certificate checks for the URL's host name, as usual).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=PinnedBackend(allow_private, resolver, inner),
    )
    return httpx.AsyncClient(
        transport=BoundedTransport(transport), follow_redirects=False, trust_env=False
    )
