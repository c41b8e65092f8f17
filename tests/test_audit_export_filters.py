"""The audit CSV exports' date filters and query checks (``jogo.platform.app.audit_http``):
a day or a moment from 2000 to 2100 filters the rows, anything else is a 400 naming the
parameter and exports nothing; the national export without ``tenant`` is the national
looks, itself audited."""

from __future__ import annotations

import csv
import io
import json

from helpers import auth_header, bearer_for, make_user

from jogo.platform.auth.roles import Role


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def exports(owner, tenant) -> list[dict]:
    found = await owner.fetch(
        "SELECT detail FROM audit_log WHERE tenant = $1 AND action = 'audit.export' ORDER BY id",
        tenant.id,
    )
    return [json.loads(r["detail"]) for r in found]


async def test_a_date_range_filters_and_a_bad_year_or_order_is_refused(
    app_client, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    url = f"/t/{a.slug}/audit.csv"
    # The command was onboarded now: its rows fall in this century, none in 2001.
    now = await app_client.get(
        url, params={"from": "2001-01-01", "to": "2100-12-31"}, headers=admin
    )
    assert now.status_code == 200, now.text
    assert rows(now.text), "the command's own onboarding rows must be in range"
    old = await app_client.get(
        url, params={"from": "2001-01-01", "to": "2001-01-02T00:00:00+07:00"}, headers=admin
    )
    assert old.status_code == 200 and rows(old.text) == []
    assert len(await exports(owner, a)) == 2
    refusals = [
        ({"from": "1999-12-31"}, "from: the year must be from 2000 to 2100"),
        ({"to": "2101-01-01T00:00:00+07:00"}, "to: the year must be from 2000 to 2100"),
        ({"from": "2026-06-02", "to": "2026-06-01"}, "'from' must be before 'to'"),
    ]
    for params, message in refusals:
        response = await app_client.get(url, params=params, headers=admin)
        assert response.status_code == 400, (params, response.text)
        assert message in response.text
    assert len(await exports(owner, a)) == 2  # the refused ones exported nothing


async def test_a_control_character_in_a_parameter_name_is_refused_without_echo(
    app_client, settings, two_tenants, owner
):
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    response = await app_client.get(f"/t/{a.slug}/audit.csv?ev%01il=1", headers=admin)
    assert response.status_code == 400, response.text
    assert "a query parameter name must not contain control characters" in response.text
    assert "ev" not in response.text.replace("every", "")
    assert await exports(owner, a) == []
    # The same request without the bad name is answered: the refusal was the name's.
    assert (await app_client.get(f"/t/{a.slug}/audit.csv?evil=1", headers=admin)).status_code == 200


async def test_the_national_export_without_a_command_is_the_national_looks(
    app_client, settings, owner
):
    user_id, username = await make_user(Role.OVERSIGHT_AUDITOR)
    auditor = bearer_for(user_id, username, settings)
    response = await app_client.get(
        "/national/audit.csv", params={"action": "national."}, headers=auditor
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="audit-national.csv"'
    found = rows(response.text)
    assert found and all(r["action"].startswith("national.") for r in found)
    written = await owner.fetch(
        "SELECT tenant, role, detail FROM audit_log WHERE actor = $1 AND action ="
        " 'national.auditExport'",
        username,
    )
    assert [(w["tenant"], w["role"]) for w in written] == [(None, "oversight_auditor")]
    assert json.loads(written[0]["detail"]) == {"filter": {"action": "national."}}
