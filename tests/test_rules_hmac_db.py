"""HMAC checks that need the database (issue 15, item 1): a retried API key create and
the agency callback action. Expected values are computed here with hashlib and hmac on
literal keys (see test_rules_hmac.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

import pytest

from jogo.platform.auth import apikeys

# RFC 4231, test case 2.
JEFE = "Jefe"
JEFE_MAC = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def mac(key: str, message: bytes) -> bytes:
    return hmac.new(key.encode(), message, hashlib.sha256).digest()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_a_retried_create_shows_the_same_key_and_a_rotated_secret_cannot(
    database, two_tenants
):
    from jogo.platform.errors import Conflict, Unauthenticated

    tenant = two_tenants.a
    retry = apikeys.ClientKey("createApiKey", f"user:{uuid.uuid4()}", str(uuid.uuid4()), "1" * 64)
    first = await apikeys.create_api_key(
        tenant, "integrator", ["reports:read"], retry=retry, secret_key="server-secret"
    )
    again = await apikeys.create_api_key(
        tenant, "integrator", ["reports:read"], retry=retry, secret_key="server-secret"
    )
    assert (again.id, again.key, again.prefix) == (first.id, first.key, first.prefix)
    expected = b64(
        mac(
            "server-secret",
            f"jogo-api-key-v1|{tenant.id}|{retry.scope}|{first.id}|{retry.key}".encode(),
        )
    )
    assert first.key == f"jogo_{first.prefix}_{expected}"
    principal = await apikeys.load_key_principal(first.key)
    assert principal.key_tenant_id == tenant.id
    with pytest.raises(Conflict) as rotated:
        await apikeys.create_api_key(
            tenant, "integrator", ["reports:read"], retry=retry, secret_key="rotated-secret"
        )
    assert rotated.value.field == "clientKey"
    # The same client key named from another tenant finds no key of its own.
    with pytest.raises(Conflict):
        await apikeys.create_api_key(
            two_tenants.b, "integrator", ["reports:read"], retry=retry, secret_key="server-secret"
        )
    with pytest.raises(Unauthenticated):
        await apikeys.load_key_principal(first.key[:-1] + ("A" if first.key[-1] != "A" else "B"))


# --- agency callbacks through the action -----------------------------------------------


async def _agency(owner, tenant, secret_enc: str | None) -> uuid.UUID:
    return await owner.fetchval(
        "INSERT INTO agencies (tenant_id, code, name, kind, secret_enc)"
        " VALUES ($1, $2, 'Dinas Uji', 'dinas', $3) RETURNING id",
        tenant.id,
        f"T{uuid.uuid4().hex[:10].upper()}",
        secret_enc,
    )


async def _receipts(owner, tenant) -> int:
    return await owner.fetchval(
        "SELECT count(*) FROM callback_receipts WHERE tenant_id = $1", tenant.id
    )


async def test_a_callback_needs_the_agencys_own_signature(database, owner, settings, two_tenants):
    from jogo.platform.crypto import encrypt
    from jogo.platform.errors import NotFound, Unauthenticated
    from jogo.tenants.agencies.answers import do_apply_callback

    tenant = two_tenants.a
    agency = await _agency(owner, tenant, encrypt(JEFE, settings.secret_key))
    unsigned = await _agency(owner, tenant, None)
    body = b'{"dispatch_id": "%s", "status": "accepted"}' % str(uuid.uuid4()).encode()
    good = "sha256=" + hmac.new(JEFE.encode(), body, hashlib.sha256).hexdigest()
    wrong = "sha256=" + hmac.new(b"Jefe2", body, hashlib.sha256).hexdigest()
    before = await _receipts(owner, tenant)

    async def call(agency_id, header):
        return await do_apply_callback(tenant, agency_id, body, header, settings.secret_key)

    for agency_id, header in [
        (agency, None),
        (agency, ""),
        (agency, wrong),
        (agency, good[:-1]),
        (agency, good.upper()),
        (agency, JEFE_MAC),  # without "sha256="
        (unsigned, good),  # an agency without a secret accepts nothing
    ]:
        with pytest.raises(Unauthenticated) as caught:
            await call(agency_id, header)
        assert caught.value.code == "UNAUTHENTICATED", header
    with pytest.raises(NotFound):
        await call(uuid.uuid4(), good)  # no such agency
    # The right signature (spaces around it allowed) passes the check; the dispatch it
    # names does not exist, so nothing is written either.
    with pytest.raises(NotFound) as caught:
        await call(agency, f"  {good} ")
    assert caught.value.field == "dispatch_id"
    assert await _receipts(owner, tenant) == before
    # The same body once more, already received: a duplicate, before any dispatch.
    await owner.execute(
        "INSERT INTO callback_receipts (tenant_id, agency_id, body_sha256) VALUES ($1, $2, $3)",
        tenant.id,
        agency,
        hashlib.sha256(body).hexdigest(),
    )
    assert await call(agency, good) == "duplicate"
    with pytest.raises(Unauthenticated):
        await call(agency, wrong)  # a duplicate still needs its signature


async def test_a_signed_answer_is_applied_once_and_a_step_back_is_ignored(
    app_client, database, owner, settings, two_tenants
):
    from helpers import submit

    from jogo.platform.crypto import encrypt
    from jogo.tenants.agencies.answers import do_apply_callback

    tenant = two_tenants.a
    made = await submit(app_client, tenant.slug, anonymous=True)
    assert made["errors"] == [], made
    report_id = await owner.fetchval(
        "SELECT id FROM reports WHERE tenant_id = $1 AND ticket = $2",
        tenant.id,
        made["report"]["ticket"],
    )
    agency = await _agency(owner, tenant, encrypt(JEFE, settings.secret_key))
    dispatch = await owner.fetchval(
        "INSERT INTO dispatches (tenant_id, report_id, agency_id, status, created_by)"
        " VALUES ($1, $2, $3, 'DELIVERED', 'test') RETURNING id",
        tenant.id,
        report_id,
        agency,
    )

    def signed(payload: bytes) -> str:
        return "sha256=" + hmac.new(JEFE.encode(), payload, hashlib.sha256).hexdigest()

    accepted = b'{"dispatch_id": "%s", "status": "accepted"}' % str(dispatch).encode()
    result = await do_apply_callback(
        tenant, agency, accepted, signed(accepted), settings.secret_key
    )
    assert result == "applied"
    status = "SELECT status FROM dispatches WHERE tenant_id = $1 AND id = $2"
    assert await owner.fetchval(status, tenant.id, dispatch) == "ACCEPTED"
    # The same body again: a duplicate; another body with the same step: ignored.
    again = await do_apply_callback(tenant, agency, accepted, signed(accepted), settings.secret_key)
    assert again == "duplicate"
    repeated = accepted.replace(b"}", b', "note": "lagi"}')
    result = await do_apply_callback(
        tenant, agency, repeated, signed(repeated), settings.secret_key
    )
    assert result == "ignored"
    assert await owner.fetchval(status, tenant.id, dispatch) == "ACCEPTED"
