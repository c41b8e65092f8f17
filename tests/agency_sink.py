"""A real local HTTP server playing an agency: records every request, and can fail the
first N requests or answer slowly. Runs in its own thread, outside the test's loop."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class AgencySink:
    fail_first: int = 0
    always_fail: bool = False
    delay_first: float = 0.0
    delay_each: float = 0.0  # every POST answers this much later
    open311_ref: str = "SR-1001"
    received: list[Received] = field(default_factory=list)
    # GET path → (status, content type, body): capacity feeds and camera snapshots.
    pages: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def effective(self) -> dict[str, Received]:
        """What the agency keeps: one record per Idempotency-Key (the first success)."""
        kept: dict[str, Received] = {}
        for r in self.received:
            key = r.headers.get("idempotency-key", "")
            kept.setdefault(key, r)
        return kept

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return
            time.sleep(0.02)
        raise AssertionError(f"the agency got {len(self.received)} of {count} requests")

    def start(self) -> AgencySink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                with sink.lock:
                    sink.fetched.append(self.path)
                path = self.path.split("?", 1)[0]
                status, kind, body = sink.pages.get(path, (404, "text/plain", b"no"))
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with sink.lock:
                    n = len(sink.received)
                    sink.received.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.time(),
                        )
                    )
                if n == 0 and sink.delay_first:
                    time.sleep(sink.delay_first)
                if sink.delay_each:
                    time.sleep(sink.delay_each)
                if sink.always_fail or n < sink.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b"down for maintenance")
                    return
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                if self.path.endswith("/requests.json"):
                    self.wfile.write(
                        json.dumps([{"service_request_id": sink.open311_ref}]).encode()
                    )
                else:
                    self.wfile.write(b'{"ok": true}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
