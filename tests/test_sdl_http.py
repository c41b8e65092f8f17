"""The committed SDL at a stable URL (issue 20: integrators generate clients from it)."""

from __future__ import annotations

from jogo.graphql.sdl import SCHEMA_DIR, current_sdl


async def test_each_schema_is_served_as_committed_with_an_etag(app_client):
    for name in ("tenant.graphql", "national.graphql", "platform.graphql"):
        response = await app_client.get(f"/graphql/schema/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/plain")
        committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert response.text == committed == current_sdl()[name]
        etag = response.headers["etag"]
        again = await app_client.get(f"/graphql/schema/{name}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.text == ""
    assert "type Query" in (await app_client.get("/graphql/schema/tenant.graphql")).text


async def test_no_other_file_is_served(app_client):
    for name in ("other.graphql", "..%2Fsdl.py", "tenant.graphql.bak", "%2E%2E"):
        response = await app_client.get(f"/graphql/schema/{name}")
        assert response.status_code == 404, (name, response.text)
    assert (await app_client.get("/graphql/schema/../sdl.py")).status_code == 404
