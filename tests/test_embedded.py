"""``jogo up`` on a machine with nothing configured: embedded PostgreSQL, demo tenant,
GraphiQL, a clean Ctrl-C, and a second run that reuses the data."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from helpers import PUBLISH, content

JOGO = str(Path(sys.executable).parent / "jogo")
DEMO = "polresta-malang-kota"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [JOGO, "up", "--data-dir", str(data_dir), "--port", str(port)],
        env=_env(),
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
        # Issue 14: links name the port `jogo up` listens on, not 8000 ...
        delivered = _deliver_through_the_in_process_broker(base, headers)
        assert delivered["callback_url"].startswith(f"{base}/t/{DEMO}/integrations/"), delivered
        _gql(base, headers, PUBLISH, input=content())
        feed = httpx.get(f"{base}/t/{DEMO}/alerts.cap.xml", timeout=10).text
        assert f'href="{base}/t/{DEMO}/alerts/' in feed and ":8000" not in feed
        # ... and a command in another shell and folder finds this database by --data-dir.
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        listed = subprocess.run(
            [JOGO, "tenant", "list", "--json", "--data-dir", str(data_dir)],
            env=_env(),
            cwd=elsewhere,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert listed.returncode == 0, listed.stderr
        assert [t["slug"] for t in json.loads(listed.stdout)] == [DEMO]
        assert not (elsewhere / ".jogo").exists()
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


def _gql(base: str, headers: dict[str, str], query: str, **variables: object) -> dict:
    r = httpx.post(
        f"{base}/t/{DEMO}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=10,
    )
    body = r.json()
    assert "errors" not in body, body
    return body["data"]


def _deliver_through_the_in_process_broker(base: str, headers: dict[str, str]) -> dict:
    """No JOGO_AMQP_URL: outbox, relay and actor run inside ``jogo up`` (StubBroker)."""
    from agency_sink import AgencySink

    sink = AgencySink().start()
    try:
        agency = _gql(
            base,
            headers,
            """mutation($i: CreateAgencyInput!) { createAgency(input: $i)
          { agency { id } errors { message } } }""",
            i={
                "code": "DLH-HOOK",
                "name": "Dinas Lingkungan Hidup",
                "kind": "dinas",
                "connector": "webhook",
                "endpointUrl": sink.url,
                "secret": "x" * 20,
            },
        )
        agency_id = agency["createAgency"]["agency"]["id"]
        report = _gql(
            base,
            headers,
            """mutation($i: SubmitReportInput!) { submitReport(input: $i)
          { report { id } errors { message } } }""",
            i={
                "categoryCode": "FALLEN_TREE",
                "title": "Pohon tumbang di Jalan Ijen",
                "description": "Pohon besar menutup jalan.",
                "latitude": -7.97,
                "longitude": 112.62,
            },
        )
        rid = report["submitReport"]["report"]["id"]
        _gql(
            base,
            headers,
            "mutation($r: ID!) { verifyReport(reportId: $r) { errors { message } } }",
            r=rid,
        )
        _gql(
            base,
            headers,
            """mutation($r: ID!, $a: ID!) { dispatchReport(reportId: $r,
          agencyId: $a) { errors { message } } }""",
            r=rid,
            a=agency_id,
        )
        sink.wait_for(1, 30.0)
        deadline = time.monotonic() + 30
        status = None
        while status != "DELIVERED":
            assert time.monotonic() < deadline, f"the dispatch is {status} after 30 s"
            time.sleep(0.2)
            status = _gql(
                base, headers, "query($r: ID!) { dispatches(reportId: $r) { status } }", r=rid
            )["dispatches"][0]["status"]
        payload: dict = sink.received[0].json()
        assert payload["command"] == DEMO
        return payload
    finally:
        sink.stop()
