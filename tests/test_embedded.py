"""``jogo up`` on a machine with nothing configured: embedded PostgreSQL, demo tenant,
GraphiQL, a clean Ctrl-C, and a second run that reuses the data."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

JOGO = str(Path(sys.executable).parent / "jogo")
DEMO = "polresta-malang-kota"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    return subprocess.Popen(
        [JOGO, "up", "--data-dir", str(data_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_healthy(proc: subprocess.Popen[str], port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("jogo up did not become healthy")


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def _login(port: int, password: str) -> dict[str, str]:
    r = httpx.post(
        f"http://127.0.0.1:{port}/auth/token",
        json={"username": "admin", "password": password},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_jogo_up_embedded_twice(tmp_path: Path):
    data_dir = tmp_path / "jogo-data"
    port = _free_port()
    proc = _start(data_dir, port)
    try:
        _wait_healthy(proc, port)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/readyz", timeout=10).json()["status"] == "ok"
        password = (data_dir / "admin-login.txt").read_text().split()[1]
        assert oct((data_dir / "admin-login.txt").stat().st_mode)[-3:] == "600"
        headers = _login(port, password)
        query = '{ me { roles } tenant { slug ticketPrefix } agencies(kind: "hospital") { code } }'
        r = httpx.post(
            f"{base}/t/{DEMO}/graphql", json={"query": query}, headers=headers, timeout=10
        )
        data = r.json()["data"]
        assert data["tenant"] == {"slug": DEMO, "ticketPrefix": "MLG"}
        assert data["me"]["roles"] == ["tenant_admin"] and len(data["agencies"]) == 9
        assert "graphiql" in httpx.get(f"{base}/t/{DEMO}/graphql", timeout=10).text.lower()
        platform = httpx.post(
            f"{base}/platform/graphql",
            json={"query": "{ tenants { slug } }"},
            headers=headers,
            timeout=10,
        )
        assert platform.json()["data"]["tenants"] == [{"slug": DEMO}]
    finally:
        if proc.poll() is None:
            first_out = _stop(proc)
    assert f"admin login: admin / {password}" in first_out
    assert not (data_dir / "pgdata" / "postmaster.pid").exists(), "PostgreSQL still runs"

    proc = _start(data_dir, port)
    try:
        _wait_healthy(proc, port)
        _login(port, password)  # same data: the same admin and password
    finally:
        second_out = _stop(proc)
    assert "admin login: see" in second_out and password not in second_out
