"""The ``jogo`` command as an operator runs it: real processes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from helpers import JOGO, one_line_error, run_jogo, unique_slug

from jogo.platform.errors import SettingsError
from jogo.platform.migrate import migrate
from jogo.platform.settings import load_settings


def test_db_migrate_twice(database):
    first = run_jogo(["db", "migrate"], database)
    second = run_jogo(["db", "migrate"], database)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert second.stdout.strip() == "applied 0 migration(s)"


async def test_migrate_is_idempotent_in_process(database):
    assert await migrate(database) == []


def test_tenant_create_and_list(database):
    slug = unique_slug()
    args = [
        "tenant",
        "create",
        "--slug",
        slug,
        "--name",
        "Polres Batu",
        "--polda",
        "JATIM",
        "--region",
        "35.79",
        "--template",
        "jogo-malang-presisi",
    ]
    created = run_jogo(args, database)
    assert created.returncode == 0, created.stderr
    out = json.loads(created.stdout)
    # Batu gets the template's categories, never Kota Malang's sample directory.
    assert out["slug"] == slug and out["categories"] == 9 and out["agencies"] == 0
    assert out["sample_directory"] is False and "directory is empty" in created.stderr
    again = run_jogo(args, database)
    assert again.returncode == 1
    assert one_line_error(again) == f"jogo: a tenant with slug '{slug}' already exists"
    listed = run_jogo(["tenant", "list", "--json"], database)
    assert slug in {t["slug"] for t in json.loads(listed.stdout)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slug", "Bad_Slug"], "slug 'Bad_Slug' must be 3-63"),
        (["--region", "35.7"], "is not a Kemendagri code"),
        (["--polda", "JABAR"], "is not in Polda Jawa Barat's area"),
        (["--template", "nope"], "unknown template 'nope'"),
    ],
)
def test_tenant_create_bad_input(database, args, message):
    base = {"--slug": unique_slug(), "--name": "Polres X", "--polda": "JATIM", "--region": "35.73"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = run_jogo(["tenant", "create", *[x for kv in base.items() for x in kv]], database)
    assert result.returncode == 1
    assert message in one_line_error(result)


def test_user_and_apikey_create(database):
    slug = unique_slug()
    assert (
        run_jogo(
            [
                "tenant",
                "create",
                "--slug",
                slug,
                "--name",
                "Polres Y",
                "--polda",
                "JATIM",
                "--region",
                "35.07",
            ],
            database,
        ).returncode
        == 0
    )
    user = run_jogo(
        [
            "user",
            "create",
            "--username",
            f"op-{slug}",
            "--password-stdin",
            "--role",
            "operator",
            "--tenant",
            slug,
        ],
        database,
        stdin="a long enough password\n",
    )
    assert user.returncode == 0, user.stderr
    assert json.loads(user.stdout)["role"] == "operator"
    dup = run_jogo(
        [
            "user",
            "create",
            "--username",
            f"op-{slug}",
            "--password-stdin",
            "--role",
            "operator",
            "--tenant",
            slug,
        ],
        database,
        stdin="a long enough password\n",
    )
    assert dup.returncode == 1 and "already exists" in one_line_error(dup)
    bad_role = run_jogo(
        ["user", "create", "--username", "x-user", "--password-stdin", "--role", "sheriff"],
        database,
        stdin="a long enough password\n",
    )
    assert bad_role.returncode == 1 and "unknown role 'sheriff'" in one_line_error(bad_role)
    national = run_jogo(
        [
            "user",
            "create",
            "--username",
            f"nat-{slug}",
            "--password-stdin",
            "--role",
            "national_supervisor",
            "--tenant",
            slug,
        ],
        database,
        stdin="a long enough password\n",
    )
    assert national.returncode == 1 and "takes no tenant" in one_line_error(national)
    key = run_jogo(
        [
            "apikey",
            "create",
            "--tenant",
            slug,
            "--name",
            "Dishub",
            "--scopes",
            "agencies:read,reports:read",
        ],
        database,
    )
    assert key.returncode == 0, key.stderr
    printed = json.loads(key.stdout)
    assert printed["key"].startswith("jogo_") and printed["scopes"] == [
        "agencies:read",
        "reports:read",
    ]
    missing = run_jogo(
        [
            "apikey",
            "create",
            "--tenant",
            "no-such-command",
            "--name",
            "x",
            "--scopes",
            "reports:read",
        ],
        database,
    )
    assert missing.returncode == 1 and "not found" in one_line_error(missing)


def test_usage_errors_are_one_line():
    result = run_jogo(["tenant", "create", "--slug", "x"], None)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert run_jogo([], None).returncode == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JOGO_DATABASE_URL": "mysql://nope"}, "JOGO_DATABASE_URL must be a URL"),
        ({"JOGO_AMQP_URL": "http://x"}, "JOGO_AMQP_URL must be a URL"),
        ({"JOGO_SECRET_KEY": "short"}, "at least 32 characters"),
        ({"JOGO_TOKEN_TTL_SECONDS": "soon"}, "must be an integer"),
        ({"JOGO_ENV": "production"}, "JOGO_SECRET_KEY must be set in production"),
    ],
)
def test_bad_settings_stop_with_one_line(env, message):
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert message in err.value.message
    result = run_jogo(["tenant", "list"], None, **env)
    assert result.returncode == 1
    assert message in one_line_error(result)


def test_unreachable_database_is_one_line():
    result = run_jogo(["tenant", "list"], "postgresql://postgres@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "database" in one_line_error(result)


def test_a_command_finding_no_database_says_so(tmp_path):
    """Issue 14: no database where a command looks is one line naming the folder and how
    to choose one, exit 1, and no empty database made (only `jogo up` and `jogo db
    migrate` make one)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    elsewhere = tmp_path / "elsewhere"
    cases = [
        (["tenant", "list"], {}, tmp_path / ".jogo"),
        (["tenant", "list", "--json", "--data-dir", str(elsewhere)], {}, elsewhere),
        (["--data-dir", str(elsewhere), "tenant", "list"], {}, elsewhere),
        (["tenant", "list"], {"JOGO_DATA_DIR": str(elsewhere)}, elsewhere),
        (
            [
                *("apikey", "create", "--tenant", "x", "--name", "n", "--scopes", "reports:read"),
                *("--data-dir", str(elsewhere)),
            ],
            {},
            elsewhere,
        ),
        (
            ["user", "create", "--username", "u", "--role", "citizen", "--password-stdin"],
            {},
            tmp_path / ".jogo",
        ),
        (["worker", "--data-dir", str(elsewhere)], {}, elsewhere),
        (["serve", "--port", "0", "--data-dir", str(elsewhere)], {}, elsewhere),
    ]
    for args, env, folder in cases:
        result = subprocess.run(
            JOGO + args,
            input="a long enough password\n",
            capture_output=True,
            text=True,
            env=environ | env,
            cwd=tmp_path,
            timeout=120,
        )
        assert result.returncode == 1, (args, result.stderr)
        assert result.stdout == ""
        line = one_line_error(result)
        assert f"no database in the data folder {folder.resolve()}" in line, line
        assert "--data-dir" in line and "JOGO_DATA_DIR" in line
        assert not folder.exists(), f"{args} made {folder}"


def test_commands_run_on_uvloop_and_the_actor_thread_keeps_asyncio():
    """Issue 18: a command's loop is uvloop's; a loop made with asyncio.new_event_loop()
    (Dramatiq's actor thread) stays asyncio's."""
    import asyncio

    import uvloop

    from jogo.platform.app.cli import run_loop

    async def kinds() -> int:
        fresh = asyncio.new_event_loop()
        try:
            plain = not isinstance(fresh, uvloop.Loop)
        finally:
            fresh.close()
        return int(isinstance(asyncio.get_running_loop(), uvloop.Loop)) + 2 * int(plain)

    assert run_loop(kinds()) == 3
