"""The ``jogo`` command's refusals and plain listings, as real processes: a refusal is exit
1 with one ``jogo: `` line naming the fault, and writes nothing."""

from __future__ import annotations

import asyncio
import uuid

from helpers import onboard, run_jogo

from jogo.platform.auth.roles import Role


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jogo: "), result.stderr
    return lines[0]


async def test_tenant_list_without_json_prints_one_line_per_tenant(database):
    tenant = await onboard("minimal", region="35.79", modules=["sharing", "bulletins"])
    result = await asyncio.to_thread(run_jogo, ["tenant", "list"], database)
    assert result.returncode == 0, result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.split()[0] == tenant.slug]
    assert line.split() == [tenant.slug, "ACTIVE", "JATIM", "bulletins,sharing"]


async def test_user_create_refuses_a_password_not_on_stdin(database, owner):
    username = f"op-{(await onboard('minimal', region='35.79')).slug}"
    args = ["user", "create", "--username", username, "--role", Role.OPERATOR.value]
    result = await asyncio.to_thread(run_jogo, args, database)
    assert result.returncode == 1
    assert "--password-stdin" in one_line(result)
    assert await owner.fetchval("SELECT count(*) FROM users WHERE username = $1", username) == 0


async def test_apikey_expiry_must_be_one_and_carry_an_offset(database, owner):
    tenant = await onboard("minimal", region="35.79")
    base = [
        "apikey",
        "create",
        "--tenant",
        tenant.slug,
        "--name",
        "cad",
        "--scopes",
        "reports:read",
    ]
    cases = [
        (["--expires-at", "2027-06-30T00:00:00+07:00", "--expires-days", "30"], "not both"),
        (["--expires-at", "2027-06-30T00:00:00"], "--expires-at needs an offset"),
    ]
    for extra, message in cases:
        result = await asyncio.to_thread(run_jogo, [*base, *extra], database)
        assert result.returncode == 1
        assert message in one_line(result)
    assert await owner.fetchval("SELECT count(*) FROM api_keys WHERE tenant = $1", tenant.id) == 0
    # The same command with a valid expiry writes the key: the refusals above were the expiry's.
    good = await asyncio.to_thread(
        run_jogo, [*base, "--expires-at", "2027-06-30T00:00:00+07:00"], database
    )
    assert good.returncode == 0, good.stderr
    assert await owner.fetchval("SELECT count(*) FROM api_keys WHERE tenant = $1", tenant.id) == 1


async def test_apikey_revoke_of_something_that_is_no_key_is_not_found(database, owner):
    tenant = await onboard("minimal", region="35.79")
    for ident in ("!!not-a-prefix!!", str(uuid.uuid4())):
        result = await asyncio.to_thread(
            run_jogo, ["apikey", "revoke", "--tenant", tenant.slug, ident], database
        )
        assert result.returncode == 1
        assert "API key not found" in one_line(result)
    revoked = await owner.fetchval(
        "SELECT count(*) FROM audit_log WHERE tenant = $1 AND action LIKE 'apikey.%'", tenant.id
    )
    assert revoked == 0
