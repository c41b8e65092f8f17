"""A real local HTTP server playing an integrator's webhook endpoint: every POST is
verified on arrival with the Standard Webhooks reference library
(``standardwebhooks.Webhook(secret).verify(body, headers)``) under each secret it holds,
and recorded with which of them verified it. Runs in its own thread.

``plan``: how to answer the next POSTs, one step each (then 204, or 503 with
``always_fail``): ``"reset"`` (close the connection without an answer, RST), ``"hang"``
(answer 204 only after ``hang`` seconds), ``"<status>"`` (e.g. ``"500"``, ``"410"``),
``"302 <url>"`` (a redirect there), ``"slow-head"`` (a status line, then a header byte a
second), ``"slow-body"`` (200, then a body byte a second), ``"huge-body"`` (200 and an
endless body as fast as the socket takes it). ``sent``: bytes of answer bodies written."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Hook:
    headers: dict[str, str]
    body: bytes
    verified: list[bool]  # per secret held, in order

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class WebhookReceiver:
    secrets: list[str] = field(default_factory=list)
    always_fail: bool = False
    delay_first: float = 0.0
    plan: list[str] = field(default_factory=list)
    hang: float = 5.0
    sent: int = 0
    received: list[Hook] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def hooks(self) -> list[Hook]:
        with self.lock:
            return list(self.received)

    def verify(self, headers: dict[str, str], body: bytes) -> list[bool]:
        results = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                results.append(True)
            except WebhookVerificationError:
                results.append(False)
        return results

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    n = len(receiver.received)
                    receiver.received.append(Hook(headers, body, receiver.verify(headers, body)))
                    step = receiver.plan.pop(0) if receiver.plan else ""
                if n == 0 and receiver.delay_first:
                    time.sleep(receiver.delay_first)
                try:
                    self.answer(step)
                except OSError:  # the sender hung up: what the slow and huge steps expect
                    self.close_connection = True

            def answer(self, step: str) -> None:
                if step == "reset":
                    linger = struct.pack("ii", 1, 0)  # close() sends RST, not FIN
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    self.close_connection = True
                    return
                if step == "hang":
                    time.sleep(receiver.hang)
                    step = ""
                if step == "slow-head":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    for _ in range(int(receiver.hang)):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(1)
                    return
                if step in ("slow-body", "huge-body"):
                    self.send_response(200)
                    self.send_header("content-length", str(1 << 40))
                    self.end_headers()
                    chunk = b"." if step == "slow-body" else b"x" * 65536
                    deadline = time.monotonic() + receiver.hang
                    while time.monotonic() < deadline:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        with receiver.lock:
                            receiver.sent += len(chunk)
                        if step == "slow-body":
                            time.sleep(1)
                    return
                status, _, location = step.partition(" ")
                code = int(status) if status else (503 if receiver.always_fail else 204)
                self.send_response(code)
                if location:
                    self.send_header("location", location)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
