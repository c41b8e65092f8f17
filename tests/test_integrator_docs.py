"""docs/integrators.md stays true: its examples run against the product (issue 20)."""

from __future__ import annotations

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


async def test_the_documented_routes_answer(app_client, owner):
    from helpers import onboard

    tenant = await onboard()
    text = (DOCS / "integrators.md").read_text(encoding="utf-8")
    paths = {
        p.replace("$SLUG", tenant.slug)
        for p in re.findall(r"\$JOGO(/[^\s`\"]+)", text)
        if "{" not in p and "<" not in p and "…" not in p and not p.endswith("/")
    }
    assert len(paths) >= 5, paths
    for path in sorted(paths):
        response = await app_client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])


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
