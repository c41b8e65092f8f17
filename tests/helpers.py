"""Test helpers: tenants, users, tokens and GraphQL calls."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.platform.auth.users import create_user
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant

PASSWORD = "correct horse battery"


def unique_slug(prefix: str = "polres") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def onboard(
    template: str = "jogo-malang-presisi",
    *,
    polda: str = "JATIM",
    region: str = "35.73",
    modules: list[str] | None = None,
    slug: str | None = None,
) -> TenantInfo:
    result = await do_onboard_tenant(
        OnboardInput(
            slug=slug or unique_slug(),
            name="Polresta Uji Coba",
            polda_code=polda,
            region_code=region,
            template=template,
            modules=modules,
        ),
        actor=("pytest", "system"),
    )
    return result.tenant


async def make_user(
    role: Role, tenant: TenantInfo | None = None, *, polda: str | None = None
) -> tuple[uuid.UUID, str]:
    username = f"u{uuid.uuid4().hex[:12]}"
    user_id = await create_user(username, PASSWORD, role, tenant=tenant, polda_code=polda)
    return user_id, username


def bearer_for(user_id: uuid.UUID, username: str, settings: Settings, ttl: int = 300) -> dict:
    token = issue_token(user_id, username, settings.secret_key, ttl).token
    return {"Authorization": f"Bearer {token}"}


async def auth_header(
    settings: Settings, role: Role, tenant: TenantInfo | None = None, *, polda: str | None = None
) -> dict[str, str]:
    user_id, username = await make_user(role, tenant, polda=polda)
    return bearer_for(user_id, username, settings)


async def gql(
    client: httpx.AsyncClient,
    path: str,
    query: str,
    headers: dict | None = None,
    **variables: Any,
) -> tuple[int, dict]:
    response = await client.post(
        path, json={"query": query, "variables": variables or None}, headers=headers or {}
    )
    return response.status_code, response.json()
