"""The API's listening socket (issue 18): accepted connections send small writes at once.

A response goes out as headers, then body. With Nagle's algorithm on, the body waited for
the client's delayed ACK of the headers: `jogo serve` answered even /healthz in about
44 ms. Accepted sockets inherit TCP_NODELAY from the listening socket, so it is set there.
"""

from __future__ import annotations

import socket

import pytest

from jogo.platform.app.runner import _listen
from jogo.platform.errors import SettingsError


def test_accepted_connections_have_nagle_off():
    server = _listen("127.0.0.1", 0)
    try:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            accepted, _ = server.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
                client.sendall(b"ping")
                assert accepted.recv(4) == b"ping"
    finally:
        server.close()


def test_a_busy_port_is_one_clear_error():
    server = _listen("127.0.0.1", 0)
    try:
        with pytest.raises(SettingsError, match=r"cannot listen on 127\.0\.0\.1"):
            _listen("127.0.0.1", server.getsockname()[1])
    finally:
        server.close()
