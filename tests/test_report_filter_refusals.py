"""Report filters the list refuses (INVALID_INPUT on the field), and lookups of an unknown
report (NOT_FOUND)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from helpers import onboard

from jogo.platform import db
from jogo.platform.auth.principal import Membership, Principal
from jogo.platform.auth.roles import Role
from jogo.platform.errors import InvalidInput, NotFound
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.queries import ReportFilter, build_where, list_categories, report_by_id

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
OPERATOR = Viewer.of(
    Principal(kind="user", id=uuid.uuid4(), memberships=(Membership(Role.OPERATOR, TENANT),)),
    TENANT,
)


@pytest.mark.parametrize("name", ["created_from", "created_to"])
def test_a_time_without_zone_is_refused(name) -> None:
    # Never read a bare time as UTC: the command's day starts at its own midnight.
    with pytest.raises(InvalidInput) as caught:
        build_where(OPERATOR, ReportFilter(**{name: datetime(2026, 3, 2, 8, 0)}))
    assert caught.value.code == "INVALID_INPUT"
    assert caught.value.field == {"created_from": "createdFrom", "created_to": "createdTo"}[name]
    build_where(OPERATOR, ReportFilter(**{name: datetime(2026, 3, 2, 8, 0, tzinfo=UTC)}))


def test_search_text_is_at_most_200_characters() -> None:
    with pytest.raises(InvalidInput) as caught:
        build_where(OPERATOR, ReportFilter(text="a" * 201))
    assert caught.value.code == "INVALID_INPUT" and caught.value.field == "text"
    build_where(OPERATOR, ReportFilter(text="a" * 200))


async def test_an_unknown_report_is_not_found(database) -> None:
    tenant = await onboard(sample_directory=False)
    with pytest.raises(NotFound) as caught:
        await report_by_id(tenant.id, uuid.uuid4())
    assert caught.value.code == "NOT_FOUND" and caught.value.field == "id"


async def test_inactive_categories_are_listed_on_request(database, owner) -> None:
    tenant = await onboard(sample_directory=False)
    code = await owner.fetchval(
        "SELECT code FROM report_categories WHERE tenant_id = $1 ORDER BY code LIMIT 1", tenant.id
    )
    await owner.execute(
        "UPDATE report_categories SET is_active = false WHERE tenant_id = $1 AND code = $2",
        tenant.id,
        code,
    )
    async with db.tenant_tx(tenant.id):
        active = {c["code"] for c in await list_categories()}
        every = {c["code"] for c in await list_categories(active_only=False)}
    assert code in every and code not in active
    assert every - active == {code}


def test_blank_search_text_filters_nothing() -> None:
    assert build_where(OPERATOR, ReportFilter(text="   ")) == build_where(OPERATOR, ReportFilter())
    assert build_where(OPERATOR, ReportFilter(text="pohon")) != build_where(
        OPERATOR, ReportFilter()
    )
