"""Real local servers playing the outside world of notifications: an HTTP(S) gateway
(the WhatsApp Cloud API, an SMS gateway, a browser's push service), an SMTP server,
and a browser's push subscription that can decrypt what it is sent. Each runs in its
own thread, outside the test's loop (the style of tests/agency_sink.py)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import json
import os
import socketserver
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the fake answered

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpFake:
    """Records every POST and answers ``status`` (``answers`` per path first), with
    ``reply`` as the JSON body. ``tls``: serve HTTPS with this server context."""

    status: int = 200
    reply: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    answers: dict[str, int] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None
    port: int = 0
    received: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def delivered(self) -> list[Request]:
        """The requests it took (answered 2xx)."""
        with self.lock:
            return [r for r in self.received if r.status < 300]

    async def wait_for(
        self, count: int, within: float = 30.0, *, taken: bool = True
    ) -> list[Request]:
        """Wait (on the test's loop, where the relay runs) until ``count`` requests arrived
        (``taken``: answered 2xx); return them."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with self.lock:
                seen = [r for r in self.received if r.status < 300 or not taken]
            if len(seen) >= count:
                return seen
            await asyncio.sleep(0.02)
        raise AssertionError(f"the fake got {len(seen)} of {count} requests")

    def start(self) -> HttpFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = fake.answers.get(self.path, fake.status)
                with fake.lock:
                    fake.received.append(
                        Request(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            status,
                        )
                    )
                payload = json.dumps(fake.reply if status < 300 else {"error": "x"}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop answering (connections to its port are refused until :meth:`start`)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


# --- TLS: a certificate for 127.0.0.1 that the test's client trusts ---


def local_tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for ``127.0.0.1`` and ``localhost``: the server's
    context, and a client context that trusts it (and nothing else)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "push.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    folder = tempfile.mkdtemp(prefix="jogo-tls-")
    cert_file, key_file = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    with open(cert_file, "wb") as f:
        f.write(cert_pem)
    with open(key_file, "wb") as f:
        f.write(key_pem)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


# --- a browser's push subscription ---


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushBrowser:
    """What a browser keeps for one push subscription: its ECDH key and auth secret."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self, endpoint: str) -> dict[str, Any]:
        """``PushSubscription.toJSON()`` for ``endpoint``."""
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": endpoint, "keys": {"p256dh": _b64(point), "auth": _b64(self.auth)}}

    def read(self, body: bytes) -> Any:
        """The JSON payload of one push, decrypted (``aes128gcm``) as the browser does."""
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


# --- SMTP ---


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes

    def message(self) -> Message:
        return message_from_bytes(self.data)


class _TcpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


@dataclass
class SmtpFake:
    """A minimal SMTP server (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no
    AUTH) that records each message."""

    mails: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: _TcpServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    async def wait_for(self, count: int, within: float = 30.0) -> list[Mail]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.mails) >= count:
                    return list(self.mails)
            await asyncio.sleep(0.02)
        raise AssertionError(f"the SMTP server got {len(self.mails)} of {count} mails")

    def start(self) -> SmtpFake:
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 smtp.test ESMTP")
                sender, recipients = "", []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    verb = line.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250-smtp.test\r\n250 8BITMIME\r\n")
                    elif verb == "HELO" or verb in ("NOOP", "RSET"):
                        self.reply("250 OK")
                    elif verb == "MAIL":
                        sender, recipients = line.split(":", 1)[1].strip().strip("<>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        lines = []
                        while (part := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(part[1:] if part.startswith(b"..") else part)
                        with fake.lock:
                            fake.mails.append(Mail(sender, recipients, b"".join(lines)))
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        self.server = _TcpServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
