"""A TCP proxy in front of PostgreSQL that a test can break on cue: the network
between the API and its database, faked as a real local server.

- :meth:`PgProxy.cut_all` closes every open connection (the server side went away);
- :meth:`PgProxy.cut_on` closes the connection that sends a statement containing some
  text, as it sends it (a connection lost in the middle of a request);
- :meth:`PgProxy.refuse` stops listening (connection refused), :meth:`accept` listens
  again on the same port;
- :meth:`PgProxy.down_after_commit` lets a connection that sent some text (an INSERT)
  have its ``COMMIT`` answered, then closes everything and refuses: the commit
  succeeded, and whatever comes next finds the database gone.

It reads the byte stream only to find those texts; it does not parse the protocol.
Statement texts travel once per connection (asyncpg then reuses the prepared
statement), so a test cuts every connection first to see them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field

# The server's answer to COMMIT (CommandComplete "COMMIT"), then ReadyForQuery, idle.
COMMIT_COMPLETE = b"C\x00\x00\x00\x0bCOMMIT\x00"
READY_IDLE = b"Z\x00\x00\x00\x05I"


@dataclass(eq=False)
class _Link:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    sent: bytes = b""  # the client's recent bytes, for texts split across reads
    armed: bool = False  # sent the down_after_commit text
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def close(self) -> None:
        for writer in (self.client, self.server):
            with contextlib.suppress(Exception):
                writer.transport.abort()


class PgProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._cut_text: bytes | None = None
        self._commit_text: bytes | None = None
        self.tripped = asyncio.Event()

    async def start(self) -> PgProxy:
        await self.accept()
        return self

    async def accept(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._handle, sock=sock)

    async def refuse(self) -> None:
        """Stop listening; open connections stay (close() shuts the listening socket at
        once; wait_closed() would wait for the connections too on newer Pythons)."""
        if self._server is not None:
            self._server.close()
            self._server = None

    def cut_all(self) -> None:
        for link in list(self._links):
            link.close()

    def cut_on(self, text: bytes) -> None:
        """The next connection that sends ``text`` is closed as it sends it (once)."""
        self._cut_text = text

    def down_after_commit(self, text: bytes) -> None:
        """The next connection that sends ``text`` gets its COMMIT answered; then every
        connection is closed and new ones are refused (``tripped`` is set)."""
        self._commit_text = text
        self.tripped.clear()

    async def close(self) -> None:
        await self.refuse()
        self.cut_all()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter):
        try:
            server_r, server_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        link = _Link(client_w, server_w)
        self._links.add(link)
        link.tasks = [
            asyncio.create_task(self._upstream(link, client_r)),
            asyncio.create_task(self._downstream(link, server_r)),
        ]
        try:
            await asyncio.gather(*link.tasks, return_exceptions=True)
        finally:
            link.close()
            self._links.discard(link)

    async def _upstream(self, link: _Link, reader: asyncio.StreamReader) -> None:
        while data := await reader.read(65536):
            window = link.sent + data
            if self._cut_text is not None and self._cut_text in window:
                self._cut_text = None
                link.close()
                return
            if self._commit_text is not None and self._commit_text in window:
                self._commit_text = None
                link.armed = True
            link.sent = window[-256:]
            link.server.write(data)
            await link.server.drain()
        link.close()

    async def _downstream(self, link: _Link, reader: asyncio.StreamReader) -> None:
        received = b""
        while data := await reader.read(65536):
            if link.armed:
                received += data
                at = received.find(COMMIT_COMPLETE)
                end = received.find(READY_IDLE, at) if at >= 0 else -1
                if end >= 0:
                    upto = end + len(READY_IDLE) - (len(received) - len(data))
                    link.client.write(data[:upto])
                    await link.client.drain()
                    await self.refuse()
                    self.cut_all()
                    self.tripped.set()
                    return
            link.client.write(data)
            await link.client.drain()
        link.close()
