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


async def test_the_documented_routes_answer(app_client, owner, settings):
    from helpers import auth_header, onboard

    from jogo.platform.auth.apikeys import create_api_key
    from jogo.platform.auth.roles import Role

    tenant = await onboard()
    # Exports need credentials (section 10): a key of the command, a national user.
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
