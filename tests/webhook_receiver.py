"""A real local HTTP server playing an integrator's webhook endpoint: every POST is
verified on arrival with the Standard Webhooks reference library
(``standardwebhooks.Webhook(secret).verify(body, headers)``) under each secret it holds,
and recorded with which of them verified it. Runs in its own thread."""

from __future__ import annotations

import json
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
                if n == 0 and receiver.delay_first:
                    time.sleep(receiver.delay_first)
                status = 503 if receiver.always_fail else 204
                self.send_response(status)
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
