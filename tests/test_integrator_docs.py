"""docs/integrators.md stays true: its examples run against the product (issue 20)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jogo.tenants.agencies.answers import signature

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _python_blocks() -> list[str]:
    text = (DOCS / "integrators.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)


def test_the_signature_snippet_accepts_our_signature_and_refuses_others():
    [snippet] = [b for b in _python_blocks() if "def signed" in b]
    scope: dict = {}
    exec(snippet, scope)
    signed = scope["signed"]
    body = b'{"event":"report.dispatched"}'
    assert signed("rahasia", body, signature("rahasia", body))
    assert not signed("rahasia", body + b" ", signature("rahasia", body))
    assert not signed("lain", body, signature("rahasia", body))
    assert not signed("rahasia", body, None)


async def test_the_documented_routes_answer(app_client, owner, settings):
    from helpers import auth_header, onboard

    from jogo.platform.auth.apikeys import create_api_key
    from jogo.platform.auth.roles import Role

    tenant = await onboard()
    # Exports need credentials (section 11): a key of the command, a national user.
    key = await create_api_key(tenant, "Dokumentasi", ["reports:read"], "pytest")
    national = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    credentials = {
        f"/t/{tenant.slug}/export/": {"X-API-Key": key.key},
        "/national/export/": national,
    }
    text = (DOCS / "integrators.md").read_text(encoding="utf-8")
    paths = {
        p.replace("$SLUG", tenant.slug)
        for p in re.findall(r"\$JOGO(/[^\s`\"]+)", text)
        if "{" not in p and "<" not in p and "…" not in p and not p.endswith("/")
    }
    assert len(paths) >= 5, paths
    assert any("/export/" in p for p in paths), paths
    for path in sorted(paths):
        headers = next((h for prefix, h in credentials.items() if path.startswith(prefix)), {})
        response = await app_client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])


def _block(kind: str, marker: str) -> str:
    text = (DOCS / "integrators.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(rf"```{kind}\n(.*?)```", text, re.DOTALL) if marker in b]
    return block


async def test_the_persisted_query_snippets_miss_then_register_then_hit(live_server, settings):
    """Section 10: the curl lines and the Python function, against the running app."""
    import asyncio
    import os
    import shutil

    import httpx
    from helpers import onboard

    from jogo.graphql.persisted import STORE
    from jogo.platform.auth.apikeys import create_api_key

    tenant = await onboard()
    key = await create_api_key(tenant, "Docs", ["reports:read"])
    STORE.clear()
    assert shutil.which("curl") and shutil.which("sha256sum")
    env = {**os.environ, "JOGO": f"http://{live_server}", "SLUG": tenant.slug, "KEY": key.key}
    shell = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        _block("sh", "sha256sum"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await shell.communicate()
    assert shell.returncode == 0
    # curl prints each answer without a newline: two JSON documents back to back.
    text, answers, at = out.decode(), [], 0
    while at < len(text.rstrip()):
        answer, at = json.JSONDecoder().raw_decode(text, at)
        answers.append(answer)
    miss, hit = answers
    assert miss["errors"][0]["message"] == "PersistedQueryNotFound", miss
    assert "errors" not in hit and "reports" in hit["data"], hit

    scope: dict = {}
    exec(_block("python", "def run_persisted"), scope)
    query = "query($n: Int!) { reports(first: $n) { edges { node { id } } } }"

    def twice() -> tuple[dict, dict, int]:
        with httpx.Client(base_url=env["JOGO"], headers={"X-API-Key": key.key}) as client:
            first = scope["run_persisted"](client, f"/t/{tenant.slug}/graphql", query, {"n": 3})
            kept = len(STORE)
            second = scope["run_persisted"](client, f"/t/{tenant.slug}/graphql", query, {"n": 3})
        return first, second, kept

    first, second, kept = await asyncio.to_thread(twice)
    assert "errors" not in first and first["data"] == second["data"], (first, second)
    assert kept == 2  # the curl lines' document and this one


def test_the_webhook_snippet_verifies_our_signature_and_refuses_others():
    from datetime import UTC, datetime

    from jogo.tenants.webhooks.actions import new_secret
    from jogo.tenants.webhooks.delivery import sign

    [snippet] = [b for b in _python_blocks() if "def verified" in b]
    scope: dict = {}
    exec(snippet, scope)
    verified = scope["verified"]
    body = b'{"type":"report.submitted","data":{}}'
    secret, other = new_secret(), new_secret()
    now = datetime.now(UTC)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign([other, secret], "msg_1", now, body),
    }
    assert verified(secret, body, headers) == {"type": "report.submitted", "data": {}}
    assert verified(other, body, headers) is not None  # a rotation: either secret verifies
    assert verified(new_secret(), body, headers) is None
    assert verified(secret, body + b" ", headers) is None
    assert verified(secret, body, {**headers, "webhook-id": "msg_2"}) is None
