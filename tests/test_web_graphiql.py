"""GraphiQL on the three GraphQL paths, from the vendored assets: it renders and runs a
query in a chromium whose network reaches only 127.0.0.1, with the pages' CSP."""

from __future__ import annotations

import pytest
from helpers import OUTSIDE_REQUESTS, graphiql_run, make_user, onboard, screenshot
from helpers import bearer_for as bearer

from jogo.platform.auth.roles import Role


async def test_graphiql_pages_carry_the_policy_and_no_cdn(app_client):
    tenant = await onboard()
    for path in (f"/t/{tenant.slug}/graphql", "/national/graphql", "/platform/graphql"):
        response = await app_client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe" not in policy
        assert "frame-ancestors 'none'" in policy
        assert "font-src 'self' data:" in policy  # GraphiQL's embedded fonts, nothing more
        assert "/web/vendor/graphiql/graphiql.min.js" in response.text
        assert f"{path}&quot;" in response.text  # the endpoint, in the meta config
        assert "http://" not in response.text and "https://" not in response.text
    assert (await app_client.get("/t/no-such-command/graphql")).status_code == 404
    # The clients' own pages keep the strict font policy.
    page = await app_client.get("/platform/")
    assert "font-src 'self';" in page.headers["content-security-policy"]


@pytest.mark.parametrize("where", ["tenant", "national", "platform"])
async def test_graphiql_runs_a_query_offline(page, live_server, settings, where):
    tenant = await onboard()
    role, path = {
        "tenant": (Role.OPERATOR, f"/t/{tenant.slug}/graphql"),
        "national": (Role.NATIONAL_SUPERVISOR, "/national/graphql"),
        "platform": (Role.PLATFORM_ADMIN, "/platform/graphql"),
    }[where]
    user_id, username = await make_user(role, tenant if where == "tenant" else None)
    OUTSIDE_REQUESTS.clear()
    result = await graphiql_run(
        page,
        f"http://{live_server}{path}",
        "{ me { kind name roles } }",
        bearer(user_id, username, settings),
    )
    await screenshot(page, f"graphiql-{where}")
    assert '"kind": "user"' in result and f'"name": "{username}"' in result, result
    assert f'"{role.value}"' in result
    assert OUTSIDE_REQUESTS == []
