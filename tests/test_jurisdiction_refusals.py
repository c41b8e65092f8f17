"""Jurisdiction shapes the tenant admin may not store: each refused with INVALID_INPUT on
``geojson`` and the stored version unchanged (GeoJSON, RFC 7946 §3.1.6-3.1.7: a Polygon is an
array of closed linear rings of [longitude, latitude] positions; a MultiPolygon an array of
those)."""

from __future__ import annotations

import json

import pytest
from helpers import auth_header, gql, onboard

from jogo.platform.auth.roles import Role
from jogo.platform.errors import InvalidInput
from jogo.tenants.reports.jurisdiction import parse_jurisdiction

SET = """mutation($g: String) { setJurisdiction(geojson: $g) {
  jurisdiction { geojson version vertices } openReports flagged
  errors { code field message } } }"""
READ = "{ jurisdiction { geojson version vertices } }"
SQUARE = [[112.5, -8.0], [112.7, -8.0], [112.7, -7.8], [112.5, -7.8], [112.5, -8.0]]


@pytest.mark.parametrize(
    ("geojson", "message"),
    [
        # coordinates that are not nested arrays
        ({"type": "Polygon", "coordinates": 5}, "nested arrays"),
        ({"type": "MultiPolygon", "coordinates": [SQUARE[0]]}, "nested arrays"),
        # a polygon of a MultiPolygon with no ring at all
        ({"type": "MultiPolygon", "coordinates": [[SQUARE], []]}, "polygon 2 has no ring"),
        # a closed ring whose points lie on one line: no area
        (
            {
                "type": "Polygon",
                "coordinates": [[[112, -8], [113, -7], [114, -6], [112, -8]]],
            },
            "",
        ),
    ],
)
async def test_malformed_shapes_are_refused(app_client, settings, geojson, message) -> None:
    tenant = await onboard(sample_directory=False)
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    path = f"/t/{tenant.slug}/graphql"
    _, none = await gql(app_client, path, READ, admin)
    assert none["data"]["jurisdiction"] is None  # a new command has none yet
    square = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
    _, done = await gql(app_client, path, SET, admin, g=square)
    assert done["data"]["setJurisdiction"]["errors"] == []  # a good shape is stored
    _, before = await gql(app_client, path, READ, admin)
    assert before["data"]["jurisdiction"]["vertices"] == 5
    _, body = await gql(app_client, path, SET, admin, g=json.dumps(geojson))
    [error] = body["data"]["setJurisdiction"]["errors"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == "geojson"
    assert message in error["message"]
    _, after = await gql(app_client, path, READ, admin)
    assert after["data"]["jurisdiction"] == before["data"]["jurisdiction"]


def test_a_geojson_text_over_one_million_characters_is_refused() -> None:
    # Only the CLI (a file) can pass this much; an API request body is capped lower.
    polygon = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
    text = polygon + " " * (1_000_001 - len(polygon))
    with pytest.raises(InvalidInput) as caught:
        parse_jurisdiction(text, "jurisdiction")
    assert caught.value.code == "INVALID_INPUT" and caught.value.field == "jurisdiction"
    assert "1000000" in caught.value.message
    # One character fewer is parsed.
    assert parse_jurisdiction(text[:-1]) is not None
