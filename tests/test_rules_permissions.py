"""The resolver guards of ``graphql/permissions.py`` on a schema of their own (issue 15,
item 1): who is refused, with which typed code and wording, and that a refused mutation
never runs.

Expected values come from the module's contract and API.md, written out here: a read
refusal is null at the field plus an error coded ``UNAUTHENTICATED`` (anonymous) or
``FORBIDDEN``; a write refusal is the mutation's own payload with one such typed error;
tenant capabilities count only in the request's tenant, global ones (national,
platform) only from tenant-less roles; a mutation may require write capabilities only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import strawberry

from jogo.graphql.context import Context
from jogo.graphql.errors import UserError
from jogo.graphql.permissions import WriteGuard, requires, writes
from jogo.platform.auth.principal import ANONYMOUS, Membership, Principal
from jogo.platform.auth.roles import WRITE_CAPS, Cap, Role
from jogo.platform.errors import SIGN_IN
from jogo.platform.registry import TenantInfo


def _tenant(slug: str) -> TenantInfo:
    return TenantInfo(
        id=uuid.uuid4(),
        slug=slug,
        name=slug,
        kind="POLRES",
        polda_code="JATIM",
        region_code="35.73",
        time_zone="WIB",
        ticket_prefix="MLG",
        status="ACTIVE",
        modules=frozenset(),
        template="default",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


A, B = _tenant("a"), _tenant("b")


def _user(role: Role, tenant: TenantInfo | None) -> Principal:
    return Principal(
        kind="user",
        id=uuid.uuid4(),
        name=role.value,
        memberships=(Membership(role, tenant.id if tenant else None),),
    )


def _key(tenant: TenantInfo, *scopes: str) -> Principal:
    return Principal(
        kind="api_key", id=uuid.uuid4(), key_tenant_id=tenant.id, scopes=frozenset(scopes)
    )


CALLS: list[str] = []


@strawberry.type
class Payload:
    done: bool | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field
    def public(self) -> str:
        return "terbuka"

    @strawberry.field(permission_classes=[requires(Cap.REPORTS_READ_ALL)])
    def reports(self) -> str | None:
        return "semua laporan"

    @strawberry.field(permission_classes=[requires(Cap.NATIONAL_READ)])
    def national(self) -> str | None:
        return "nasional"


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=writes(Cap.REPORTS_TRIAGE, Cap.DISPATCH_UPDATE))
    def triage(self) -> Payload:
        CALLS.append("triage")
        return Payload(done=True)

    @strawberry.mutation(extensions=writes(Cap.REPORTS_TRIAGE))
    async def triage_later(self) -> Payload:
        CALLS.append("triage_later")
        return Payload(done=True)

    @strawberry.mutation(extensions=writes(Cap.REPORTS_SUBMIT, anonymous=True))
    async def submit(self) -> Payload:
        CALLS.append("submit")
        return Payload(done=True)

    @strawberry.mutation(extensions=writes(Cap.PLATFORM_ADMIN))
    def administer(self) -> Payload:
        CALLS.append("administer")
        return Payload(done=True)


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation)
FORBIDDEN_READ_ALL = (
    "Anda tidak berwenang: perlu izin reports:read_all."
    " / This needs the reports:read_all permission."
)
FORBIDDEN_TRIAGE = (
    "Anda tidak berwenang: perlu izin reports:triage atau dispatch:update."
    " / This needs the reports:triage or dispatch:update permission."
)


def _context(principal: Principal, tenant: TenantInfo | None = A) -> Context:
    return Context(principal=principal, settings=None, tenant=tenant)  # type: ignore[arg-type]


async def _read(principal: Principal, field: str, tenant: TenantInfo | None = A):
    result = await SCHEMA.execute(
        f"{{ public {field} }}", context_value=_context(principal, tenant)
    )
    assert result.data is not None and result.data["public"] == "terbuka"  # siblings stay
    errors = [(e.path, e.extensions, e.message) for e in result.errors or []]
    return result.data[field], errors


async def _write(principal: Principal, field: str, tenant: TenantInfo | None = A):
    CALLS.clear()
    result = await SCHEMA.execute(
        f"mutation {{ {field} {{ done errors {{ code field message }} }} }}",
        context_value=_context(principal, tenant),
    )
    assert result.errors is None, result.errors
    return result.data[field], list(CALLS)


async def test_a_read_is_answered_to_whoever_holds_the_capability_in_this_tenant():
    assert await _read(_user(Role.OPERATOR, A), "reports") == ("semua laporan", [])
    assert await _read(_key(A, "reports:read"), "reports") == ("semua laporan", [])


async def test_an_anonymous_read_is_told_to_sign_in():
    assert await _read(ANONYMOUS, "reports") == (
        None,
        [(["reports"], {"code": "UNAUTHENTICATED"}, SIGN_IN)],
    )


@pytest.mark.parametrize(
    ("principal", "tenant"),
    [
        (_user(Role.CITIZEN, A), A),  # one capability short
        (_user(Role.OFFICER, A), A),
        (_user(Role.OPERATOR, B), A),  # the capability, in another tenant
        (_key(B, "reports:read"), A),
        (_key(A, "agencies:read"), A),
        (_user(Role.OPERATOR, A), None),  # no tenant in the request (national schema)
        (_user(Role.NATIONAL_SUPERVISOR, None), A),
    ],
)
async def test_a_read_without_the_capability_is_forbidden(principal, tenant):
    assert await _read(principal, "reports", tenant) == (
        None,
        [(["reports"], {"code": "FORBIDDEN"}, FORBIDDEN_READ_ALL)],
    )


async def test_global_capabilities_come_only_from_tenant_less_roles():
    national = _user(Role.NATIONAL_SUPERVISOR, None)
    assert await _read(national, "national", None) == ("nasional", [])
    assert await _read(national, "national", A) == ("nasional", [])
    # The same role held as a membership of a tenant grants nothing national.
    in_tenant = _user(Role.NATIONAL_SUPERVISOR, A)
    value, errors = await _read(in_tenant, "national", A)
    assert value is None
    assert [(path, ext) for path, ext, _ in errors] == [(["national"], {"code": "FORBIDDEN"})]
    value, errors = await _read(_user(Role.TENANT_ADMIN, A), "national", A)
    assert value is None
    assert [(path, ext) for path, ext, _ in errors] == [(["national"], {"code": "FORBIDDEN"})]


@pytest.mark.parametrize("field", ["triage", "triageLater"])
async def test_a_write_runs_for_a_holder_of_any_one_of_its_capabilities(field):
    operator = _user(Role.OPERATOR, A)
    assert await _write(operator, field) == ({"done": True, "errors": []}, [_snake(field)])
    assert await _write(_key(A, "reports:write"), field) == (
        {"done": True, "errors": []},
        [_snake(field)],
    )
    # An agency liaison holds dispatch:update, not reports:triage: enough for ``triage``.
    liaison = _user(Role.AGENCY_LIAISON, A)
    expected = ({"done": True, "errors": []}, ["triage"]) if field == "triage" else None
    if expected:
        assert await _write(liaison, field) == expected


def _snake(field: str) -> str:
    return "triage_later" if field == "triageLater" else field


@pytest.mark.parametrize("field", ["triage", "triageLater"])
@pytest.mark.parametrize(
    ("principal", "tenant"),
    [
        (_user(Role.CITIZEN, A), A),
        (_user(Role.OPERATOR, B), A),
        (_key(A, "reports:read"), A),  # reading never implies writing
        (_user(Role.OPERATOR, A), None),
    ],
)
async def test_a_write_without_the_capability_is_forbidden_and_never_runs(field, principal, tenant):
    payload, calls = await _write(principal, field, tenant)
    assert calls == []
    assert payload["done"] is None
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert payload["errors"][0]["field"] is None
    if field == "triage":
        assert payload["errors"][0]["message"] == FORBIDDEN_TRIAGE


@pytest.mark.parametrize("field", ["triage", "triageLater", "administer"])
async def test_an_anonymous_write_is_unauthenticated_and_never_runs(field):
    payload, calls = await _write(ANONYMOUS, field)
    assert calls == []
    assert payload == {
        "done": None,
        "errors": [{"code": "UNAUTHENTICATED", "field": None, "message": SIGN_IN}],
    }


async def test_only_a_mutation_open_to_anonymous_callers_runs_for_them():
    assert await _write(ANONYMOUS, "submit") == ({"done": True, "errors": []}, ["submit"])
    # Open to anonymous callers is not open to signed-in callers without the capability.
    payload, calls = await _write(_user(Role.AGENCY_LIAISON, A), "submit")
    assert calls == []
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert await _write(_user(Role.CITIZEN, A), "submit") == (
        {"done": True, "errors": []},
        ["submit"],
    )


async def test_platform_writes_need_the_tenant_less_platform_role():
    assert await _write(_user(Role.PLATFORM_ADMIN, None), "administer", None) == (
        {"done": True, "errors": []},
        ["administer"],
    )
    payload, calls = await _write(_user(Role.PLATFORM_ADMIN, A), "administer", A)
    assert calls == []
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


@pytest.mark.parametrize(
    "caps",
    [
        (),
        (Cap.REPORTS_READ_ALL,),  # a read capability
        (Cap.REPORTS_TRIAGE, Cap.REPORTER_IDENTITY),  # one read among writes
        (Cap.NATIONAL_READ,),
    ],
)
def test_a_mutation_must_require_write_capabilities_only(caps):
    with pytest.raises(ValueError, match="write capabilities"):
        writes(*caps)


def test_every_write_capability_together_is_a_valid_requirement():
    every = tuple(sorted(WRITE_CAPS))
    (guard,) = writes(*every)
    assert isinstance(guard, WriteGuard)
    assert guard.caps == every
    assert guard.anonymous is False
    assert writes(Cap.REPORTS_SUBMIT, anonymous=True)[0].anonymous is True


def test_a_guard_is_closed_to_anonymous_callers_unless_it_says_so():
    assert WriteGuard((Cap.REPORTS_TRIAGE,)).anonymous is False
    assert WriteGuard((Cap.REPORTS_SUBMIT,), anonymous=True).anonymous is True
