"""HMAC checks, pinned (issue 15, item 1): agency callbacks (``X-Jogo-Signature:
sha256=<HMAC-SHA256 of the body>``), API keys (stored as SHA-256, derived under a client
key as HMAC-SHA256) and the other keyed derivations (refresh tokens, activation codes,
report PINs, sealed connector secrets).

Expected values are RFC 4231 / FIPS 180-4 test vectors, or computed here with hashlib
and hmac on literal keys and the message layout each module documents; never with the
function under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid

import pytest

from jogo.platform.auth import apikeys
from jogo.tenants.agencies.answers import signature

# RFC 4231, test case 2.
JEFE = "Jefe"
JEFE_DATA = b"what do ya want for nothing?"
JEFE_MAC = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def mac(key: str, message: bytes) -> bytes:
    return hmac.new(key.encode(), message, hashlib.sha256).digest()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- callbacks -------------------------------------------------------------------------


def test_callback_signature_is_rfc_4231_hmac_sha256():
    assert signature(JEFE, JEFE_DATA) == "sha256=" + JEFE_MAC


def test_callback_signature_depends_on_key_and_every_byte():
    assert signature("Jefe2", JEFE_DATA) != "sha256=" + JEFE_MAC
    assert signature(JEFE, JEFE_DATA + b" ") != "sha256=" + JEFE_MAC


# --- API keys ----------------------------------------------------------------------------


def test_api_keys_are_stored_as_their_sha256():
    # FIPS 180-4 example: SHA-256("abc").
    assert apikeys._digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


@pytest.mark.parametrize(
    ("credential", "expected"),
    [
        ("jogo_0123456789ab_" + "A" * 43, True),
        ("jogo_", True),
        ("Jogo_0123456789ab", False),
        ("jogo0123456789ab", False),
        ("xjogo_0123456789ab", False),
        ("eyJhbGciOiJIUzI1NiJ9.e30.sig", False),  # a bearer token
        ("", False),
    ],
)
def test_what_looks_like_an_api_key(credential, expected):
    assert apikeys.looks_like_api_key(credential) is expected


def test_a_key_made_under_a_client_key_is_the_documented_hmac():
    tenant, key_id = uuid.UUID(int=7), uuid.UUID(int=9)
    retry = apikeys.ClientKey("createApiKey", "user:alice", "ck-1", "0" * 64)
    message = f"jogo-api-key-v1|{tenant}|user:alice|{key_id}|ck-1".encode()
    expected = b64(mac("server-secret", message))
    assert len(expected) == 43
    assert apikeys._secret("server-secret", tenant, key_id, retry) == expected
    # Every input counts.
    assert apikeys._secret("other-secret", tenant, key_id, retry) != expected
    assert apikeys._secret("server-secret", uuid.UUID(int=8), key_id, retry) != expected


@pytest.mark.parametrize("with_retry", [False, True])
def test_without_a_client_key_or_a_secret_the_key_is_random(with_retry):
    retry = apikeys.ClientKey("createApiKey", "user:alice", "ck-1", "0" * 64)
    made = {
        apikeys._secret(
            None if with_retry else "server-secret",
            uuid.UUID(int=7),
            uuid.UUID(int=9),
            retry if with_retry else None,
        )
        for _ in range(3)
    }
    assert len(made) == 3  # 256 random bits each time
    for secret in made:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret), secret


# --- the other keyed derivations -------------------------------------------------------


def test_a_rotated_refresh_token_is_the_documented_hmac():
    from dataclasses import replace

    from jogo.platform.auth.sessions import _successor
    from jogo.platform.settings import load_settings

    settings = replace(load_settings({"JOGO_ENV": "test"}), secret_key="server-secret")
    session = uuid.UUID(int=3)
    expected = "jrt_" + b64(mac("server-secret", f"refresh|{session}|abc123".encode()))
    assert _successor(session, "abc123", settings) == expected


def test_an_activation_code_is_the_documented_hmac_and_stored_as_sha256():
    from jogo.platform.auth.codes import _digest, derived_code

    tenant = uuid.UUID(int=4)
    expected = "jpc_" + b64(mac("server-secret", f"activate|{tenant}|user:a|ck-2".encode()))
    assert derived_code("server-secret", tenant, "user:a", "ck-2") == expected
    assert _digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    # A lone surrogate is hashed from its own bytes, not refused.
    assert _digest("x\ud800") == hashlib.sha256(b"x\xed\xa0\x80").hexdigest()


def _pin(key: str, message: str) -> str:
    """8 decimal digits: the first 8 bytes of the HMAC, big-endian, modulo 10^8."""
    value = int.from_bytes(mac(key, message.encode())[:8], "big") % 100_000_000
    return str(value).rjust(8, "0")


def test_a_derived_pin_is_eight_digits_of_the_documented_hmac():
    from jogo.tenants.reports.retries import derived_pin

    tenant = uuid.UUID(int=5)
    # Find a client key whose PIN starts with 0 (the zero must be kept), by the formula.
    keys = [f"ck-{n}" for n in range(200)]
    leading = next(k for k in keys if _pin("k", f"jogo-report-pin-v1|{tenant}|anon|{k}")[0] == "0")
    for client_key in ("ck-a", leading):
        expected = _pin("k", f"jogo-report-pin-v1|{tenant}|anon|{client_key}")
        assert derived_pin("k", tenant, "anon", client_key) == expected
        assert re.fullmatch(r"[0-9]{8}", expected)


def test_a_sealed_secret_is_hmac_sha256_hex():
    from jogo.graphql.idempotency import sealed

    assert sealed(JEFE_DATA.decode(), JEFE) == JEFE_MAC
    assert sealed(None, JEFE) is None
