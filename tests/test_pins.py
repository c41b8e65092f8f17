"""Report PINs at rest (issue 18): a keyed HMAC-SHA256, not argon2.

An anonymous report's 8-digit PIN is stored as ``hmac-sha256$v1$<hex>`` under a key derived
from ``JOGO_SECRET_KEY`` (stored nowhere in the database), with the report id in the
message. A wrong PIN answers null like an unknown ticket; a PIN stored as argon2 before
issue 18 still opens its report and is stored again as the HMAC on its first right
answer; another ``JOGO_SECRET_KEY`` opens nothing (the documented trade-off of rotating it).
"""

from __future__ import annotations

import re
import uuid

from argon2 import PasswordHasher
from helpers import TRACK, gql, onboard, submit

from jogo.platform.auth.passwords import pin_hash
from jogo.platform.registry import TenantInfo
from jogo.tenants.reports.tracking import track

STORED = re.compile(r"^hmac-sha256\$v1\$[0-9a-f]{64}$")


def _other(pin: str) -> str:
    """A PIN that is not ``pin`` (its last digit moved on by one)."""
    return pin[:-1] + str((int(pin[-1]) + 1) % 10)


async def _tracked(client, tenant: TenantInfo, ticket: str, pin: str) -> dict | None:
    status, body = await gql(client, f"/t/{tenant.slug}/graphql", TRACK, t=ticket, p=pin)
    assert status == 200 and "errors" not in body, body
    found: dict | None = body["data"]["trackReport"]
    return found


async def _stored(owner, report_id: str) -> str:
    value: str = await owner.fetchval(
        "SELECT pin_hash FROM reports WHERE id = $1::uuid", uuid.UUID(report_id)
    )
    return value


async def test_a_pin_is_stored_as_its_keyed_hmac_and_a_wrong_one_is_null(
    app_client, settings, owner
):
    tenant = await onboard("minimal")
    made = await submit(app_client, tenant.slug, None, anonymous=True)
    pin, report = made["pin"], made["report"]
    stored = await _stored(owner, report["id"])
    assert STORED.match(stored), stored
    # Keyed from JOGO_SECRET_KEY and bound to the report: the same PIN on another report,
    # or under another key, stores differently.
    assert stored == pin_hash(settings.secret_key, uuid.UUID(report["id"]), pin)
    assert stored != pin_hash(settings.secret_key, uuid.uuid4(), pin)
    assert stored != pin_hash(settings.secret_key + "-other", uuid.UUID(report["id"]), pin)
    found = await _tracked(app_client, tenant, report["ticket"], pin)
    assert found is not None and found["ticket"] == report["ticket"]
    assert await _tracked(app_client, tenant, report["ticket"], _other(pin)) is None
    assert await _tracked(app_client, tenant, report["ticket"], "") is None
    # A wrong PIN and an unknown ticket answer alike.
    assert await _tracked(app_client, tenant, f"{tenant.ticket_prefix}-1999-000001", pin) is None
    assert await _stored(owner, report["id"]) == stored


async def test_an_argon2_pin_still_tracks_and_is_stored_again_as_hmac(app_client, settings, owner):
    tenant = await onboard("minimal")
    made = await submit(app_client, tenant.slug, None, anonymous=True)
    report = made["report"]
    # As the code before issue 18 stored it: argon2id with the library's defaults.
    old_pin = "24681357"
    legacy = PasswordHasher().hash(old_pin)
    await owner.execute(
        "UPDATE reports SET pin_hash = $2 WHERE id = $1::uuid", uuid.UUID(report["id"]), legacy
    )
    # A wrong PIN leaves it as it is.
    assert await _tracked(app_client, tenant, report["ticket"], _other(old_pin)) is None
    assert await _stored(owner, report["id"]) == legacy
    found = await _tracked(app_client, tenant, report["ticket"], old_pin)
    assert found is not None and found["ticket"] == report["ticket"]
    upgraded = await _stored(owner, report["id"])
    assert upgraded.startswith("hmac-sha256$v1$") and not upgraded.startswith("$argon2")
    assert upgraded == pin_hash(settings.secret_key, uuid.UUID(report["id"]), old_pin)
    # The same PIN keeps working in its new form, and a wrong one still does not.
    assert await _tracked(app_client, tenant, report["ticket"], old_pin) is not None
    assert await _tracked(app_client, tenant, report["ticket"], _other(old_pin)) is None


async def test_another_secret_key_opens_no_pin(app_client, settings):
    """The trade-off of a keyed PIN: rotating JOGO_SECRET_KEY makes every stored PIN fail
    (trackReport answers null) until the old key is back."""
    tenant = await onboard("minimal")
    made = await submit(app_client, tenant.slug, None, anonymous=True)
    ticket, pin = made["report"]["ticket"], made["pin"]
    rotated = "another-secret-key-of-at-least-32-characters"
    assert await track(tenant, "10.9.8.7", ticket, pin, rotated) is None
    found = await track(tenant, "10.9.8.7", ticket, pin, settings.secret_key)
    assert found is not None and found.report["ticket"] == ticket
    assert "pin_hash" not in found.report


async def test_a_retried_anonymous_submit_shows_a_pin_that_tracks(app_client, owner):
    tenant = await onboard("minimal")
    key = f"retry-{uuid.uuid4().hex}"
    first = await submit(app_client, tenant.slug, None, anonymous=True, clientKey=key)
    again = await submit(app_client, tenant.slug, None, anonymous=True, clientKey=key)
    assert again["report"]["id"] == first["report"]["id"] and again["pin"] == first["pin"]
    assert STORED.match(await _stored(owner, first["report"]["id"]))
    found = await _tracked(app_client, tenant, first["report"]["ticket"], again["pin"])
    assert found is not None and found["ticket"] == first["report"]["ticket"]


async def test_a_ticket_and_pin_of_one_command_open_nothing_at_another(app_client, two_tenants):
    a, b = two_tenants.a, two_tenants.b
    made = await submit(app_client, a.slug, None, anonymous=True)
    ticket, pin = made["report"]["ticket"], made["pin"]
    assert await _tracked(app_client, b, ticket, pin) is None
    assert await _tracked(app_client, a, ticket, pin) is not None
