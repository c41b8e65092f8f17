"""What a tenant admin may set as a notification gateway (``setNotificationGateway``):
every bad field answered at once with its own typed error, VAPID keys read in each form
a push tool writes (raw 32 bytes, DER, PEM; P-256 only), and a WEBPUSH gateway set again
without a key keeping its key."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from helpers import auth_header, gql, onboard

from jogo.platform.auth.roles import Role

SET = """mutation($i: SetNotificationGatewayInput!) { setNotificationGateway(input: $i) {
  gateway { kind publicKey hasSecret } errors { code field message } } }"""


async def _set(client, tenant, admin, **data):
    status, body = await gql(client, f"/t/{tenant.slug}/graphql", SET, admin, i=data)
    assert status == 200 and "errors" not in body, body
    return body["data"]["setNotificationGateway"]


def _fields(payload) -> set[str]:
    assert payload["gateway"] is None
    assert {e["code"] for e in payload["errors"]} == {"INVALID_INPUT"}, payload
    return {e["field"] for e in payload["errors"]}


def _public(key: ec.EllipticCurvePrivateKey) -> str:
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


async def test_every_bad_field_is_named_at_once(app_client, settings):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    sms = await _set(app_client, tenant, admin, kind="SMS", sender="x" * 201, secret="s" * 4001)
    assert _fields(sms) == {"endpoint", "sender", "secret"}
    assert _fields(
        await _set(app_client, tenant, admin, kind="SMS", endpoint="ftp://gw.example.id/x")
    ) == {"endpoint", "secret"}
    email = await _set(
        app_client,
        tenant,
        admin,
        kind="EMAIL",
        host="bad host!",
        security="SSL",
        port=0,
        sender="bukan-alamat",
    )
    assert _fields(email) == {"host", "security", "port", "sender"}
    push = await _set(app_client, tenant, admin, kind="WEBPUSH", subject="http://polres.id")
    assert _fields(push) == {"subject"}
    # Nothing was stored by any of them.
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", "{ notificationGateways { kind } }", admin
    )
    assert body["data"]["notificationGateways"] == []


async def test_vapid_keys_in_every_form_and_kept_when_not_given(app_client, settings):
    tenant = await onboard("minimal")
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    made = await _set(app_client, tenant, admin, kind="WEBPUSH", subject="mailto:humas@polres.id")
    assert made["errors"] == [] and made["gateway"]["hasSecret"]
    # Set again without a key: the key and its public half stay.
    again = await _set(app_client, tenant, admin, kind="WEBPUSH", subject="https://polres.id")
    assert again["gateway"]["publicKey"] == made["gateway"]["publicKey"]
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    der = base64.b64encode(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    ).decode()
    for form in (base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), pem, der):
        done = await _set(app_client, tenant, admin, kind="WEBPUSH", secret=form)
        assert done["errors"] == [] and done["gateway"]["publicKey"] == _public(key), done
    other_curve = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for bad in (other_curve.decode(), "bukan-kunci"):
        refused = await _set(app_client, tenant, admin, kind="WEBPUSH", secret=bad)
        assert _fields(refused) == {"secret"}
