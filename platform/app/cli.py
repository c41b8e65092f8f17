"""The ``jogo`` command. Bad input: exit 1 or 2 with one line on stderr."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, NoReturn

import anyio
import asyncpg

from jogo.platform import db, registry
from jogo.platform.app.bootstrap import connect, resolve_database
from jogo.platform.app.cli_apikeys import add_commands as add_apikey_commands
from jogo.platform.app.cli_directory import add_directory_parser
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import parse_role
from jogo.platform.auth.users import create_user
from jogo.platform.citus import citus_sql, layout
from jogo.platform.errors import InvalidInput, JogoError, SettingsError
from jogo.platform.migrate import migrate
from jogo.platform.settings import Settings, load_settings
from jogo.tenants.election.actions import ImportResult, do_import_stations
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant
from jogo.tenants.sharing.stored_photos import StoredPhotos, clean_stored_photos

CLI_ACTOR = ("cli", "cli")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block.
        self.exit(2, f"jogo: error: {message} (see 'jogo --help')\n")


def _csv(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


async def _with_db(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    await connect(settings)
    try:
        return await work()
    finally:
        await db.stop_engine()


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo db migrate``: apply pending migrations as the owner (creating the embedded database if
    needed) and print how many ran, with their names. Safe to run twice; exit 0."""
    settings = resolve_database(settings, create=True)
    assert settings.database_url is not None
    applied = await migrate(settings.database_url, settings.app_db_password)
    print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))
    return 0


async def cmd_citus_sql(args: argparse.Namespace, settings: Settings) -> int:
    """Print the SQL that distributes the migrated schema on Citus; refuse (exit 1) when
    the schema has something Citus would reject."""
    settings = resolve_database(settings)
    assert settings.database_url is not None
    conn = await asyncpg.connect(settings.database_url)
    try:
        found = await layout(conn)
    finally:
        await conn.close()
    if found.problems:
        raise InvalidInput(
            f"Citus would reject {len(found.problems)} constraint(s); first: {found.problems[0]}"
        )
    sys.stdout.write(citus_sql(found))
    return 0


async def cmd_tenant_create(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo tenant create``: onboard a tenant from a template (audited with the actor ``cli``) and
    print its id, slug, template, modules and seeded counts as one JSON line; a note about the empty
    directory goes to stderr. ``--jurisdiction`` is a UTF-8 GeoJSON file. Raises
    :class:`InvalidInput` for an unreadable file or a refused input (``main`` prints it, exit 1)."""
    area = None
    if args.jurisdiction:
        try:
            area = await anyio.Path(args.jurisdiction).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise InvalidInput(f"cannot read {args.jurisdiction}: {why}") from None
    data = OnboardInput(
        slug=args.slug,
        name=args.name,
        polda_code=args.polda,
        region_code=args.region,
        template=args.template,
        kind=args.kind,
        modules=_csv(args.modules),
        time_zone=args.time_zone,
        ticket_prefix=args.ticket_prefix,
        jurisdiction=area,
    )
    result = await _with_db(settings, lambda: do_onboard_tenant(data, actor=CLI_ACTOR))
    t = result.tenant
    out = {
        "id": str(t.id),
        "slug": t.slug,
        "template": t.template,
        "modules": sorted(t.modules),
        "categories": result.categories,
        "agencies": result.agencies,
        "sample_directory": result.sample_directory,
    }
    print(json.dumps(out))
    print(
        "note: the directory is empty; add agencies, hospitals and cameras or import them"
        " (jogo directory import), then check the command's readiness",
        file=sys.stderr,
    )
    return 0


async def cmd_tenant_list(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo tenant list``: every tenant with status, Polda code and modules, one per line, or with
    ``--json`` one JSON array (id, slug, name, kind, polda, region, status, modules). Exit 0."""
    tenants = await _with_db(settings, registry.list_tenants)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": str(t.id),
                        "slug": t.slug,
                        "name": t.name,
                        "kind": t.kind,
                        "polda": t.polda_code,
                        "region": t.region_code,
                        "status": t.status,
                        "modules": sorted(t.modules),
                    }
                    for t in tenants
                ]
            )
        )
    else:
        for t in tenants:
            print(f"{t.slug:30} {t.status:9} {t.polda_code:10} {','.join(sorted(t.modules))}")
    return 0


async def cmd_user_create(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo user create``: create a user with one role; the password is the first line of
    stdin (``--password-stdin`` is required). ``--tenant`` is a slug for tenant roles,
    ``--polda`` a Polda code for ``polda_supervisor``. Prints id, lower-cased username and role
    as JSON; audited with the actor ``cli``. Raises :class:`SettingsError` without
    ``--password-stdin``, :class:`InvalidInput` for an unknown role, a bad username or password
    or a tenant/Polda that does not fit the role, :class:`Conflict` for a taken username,
    :class:`NotFound` for an unknown tenant."""
    role = parse_role(args.role)
    if not args.password_stdin:
        raise SettingsError("pass the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")

    async def work() -> Any:
        tenant = await registry.get_by_slug(args.tenant) if args.tenant else None
        return await create_user(
            args.username,
            password,
            role,
            tenant=tenant,
            polda_code=args.polda,
            full_name=args.full_name,
            actor=CLI_ACTOR,
        )

    user_id = await _with_db(settings, work)
    print(json.dumps({"id": str(user_id), "username": args.username.lower(), "role": role.value}))
    return 0


async def cmd_user_reset_2fa(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo user reset-2fa --username U``: remove the user's TOTP factor, recovery codes
    and pending challenges (any user: the platform operator's tool for staff of several
    commands or offices; a command's tenant admin uses ``resetMemberTwoFactor``). Prints
    ``{"username", "reset"}`` (``reset`` false when there was no factor); audited
    ``user.totp_reset`` with the actor ``cli``. Raises :class:`NotFound` for an unknown
    username."""
    from jogo.platform.audit import write_audit
    from jogo.platform.auth.totp import reset_factor
    from jogo.platform.errors import NotFound

    username = args.username.strip().lower()

    async def work() -> bool:
        async with db.control_tx():
            rows = await db.fetch("SELECT id FROM users WHERE username = $1", username)
            if not rows:
                raise NotFound(f"no user {username!r}")
            user_id = rows[0]["id"]
            had = await reset_factor(user_id)
            await write_audit(
                "user.totp_reset",
                actor=CLI_ACTOR,
                target=f"user:{user_id}",
                detail={"had_factor": had},
            )
            return had

    had = await _with_db(settings, work)
    print(json.dumps({"username": username, "reset": had}))
    return 0


async def cmd_election_import(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when the file was imported (with --partial: its valid rows), else 1. Every
    faulty row is printed to stdout as JSON; one summary line goes to stderr."""
    try:
        data = await anyio.Path(args.file).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {args.file}: {exc.strerror}") from None

    async def work() -> ImportResult:
        tenant = await registry.get_by_slug(args.tenant)
        # The console acts for the tenant with the election scope, named "cli" in the audit.
        console = Principal(
            kind="api_key",
            name="cli",
            key_tenant_id=tenant.id,
            scopes=frozenset({"election:write"}),
        )
        return await do_import_stations(tenant, console, data, partial=args.partial)

    result: ImportResult = await _with_db(settings, work)
    print(
        json.dumps(
            {
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "rejected": result.rejected,
                "kept": result.kept,
                "errors": [
                    {"line": e.line, "field": e.field, "message": e.message} for e in result.errors
                ],
            }
        )
    )
    if not result.kept:
        first = result.errors[0]
        print(
            f"jogo: {len(result.errors)} fault(s) in {result.rejected} row(s), nothing imported;"
            f" line {first.line}: {first.message} (use --partial to keep the valid rows)",
            file=sys.stderr,
        )
        return 1
    return 0


async def cmd_photos_clean(args: argparse.Namespace, settings: Settings) -> int:
    """Cleans photos stored before uploads were cleaned (migration 0017). Prints
    ``{"cleaned": n, "refused": n, "missing": n}``; exit 0, or 1 when some file was refused
    or missing (those stay unserved)."""

    async def work() -> StoredPhotos:
        return await clean_stored_photos(settings.data_dir)

    counts: StoredPhotos = await _with_db(settings, work)
    print(json.dumps(asdict(counts)))
    return 1 if counts.refused or counts.missing else 0


async def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo up``: the API, worker, relay and scheduler in one process (see
    :func:`jogo.platform.app.runner.run_up`). Returns the exit code."""
    from jogo.platform.app.runner import run_up

    return await run_up(settings, host=args.host, port=args.port)


async def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo serve``: the HTTP API only (see :func:`jogo.platform.app.runner.run_serve`). Returns
    the exit code."""
    from jogo.platform.app.runner import run_serve

    return await run_serve(settings, host=args.host, port=args.port)


async def cmd_part(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo worker``, ``jogo relay`` or ``jogo scheduler``: one background part until SIGINT or
    SIGTERM (see :func:`jogo.platform.app.runner.run_part`)."""
    from jogo.platform.app.runner import run_part

    return await run_part(settings, args.command)


def build_parser() -> argparse.ArgumentParser:
    """The ``jogo`` argument parser with every sub-command; each sets ``run`` to its ``cmd_*``
    coroutine. Parse errors exit 2 with one line on stderr."""
    parser = _Parser(prog="jogo", description="Jogo Indonesia Presisi")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    up = sub.add_parser("up", help="run everything on embedded defaults")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.set_defaults(run=cmd_up)

    serve = sub.add_parser("serve", help="the HTTP API only")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=cmd_serve)

    for part, text in (
        ("worker", "the Dramatiq worker (deliveries, periodic jobs)"),
        ("relay", "the outbox relay to RabbitMQ"),
        ("scheduler", "periodic jobs, written to the outbox"),
    ):
        sub.add_parser(part, help=text).set_defaults(run=cmd_part)

    dbp = sub.add_parser("db", help="database").add_subparsers(
        dest="db_command", required=True, parser_class=_Parser
    )
    dbp.add_parser(
        "citus-sql", help="print the SQL that distributes the schema on Citus"
    ).set_defaults(run=cmd_citus_sql)
    dbp.add_parser("migrate", help="apply migrations (safe to run twice)").set_defaults(
        run=cmd_migrate
    )

    tenant = sub.add_parser("tenant", help="tenants").add_subparsers(
        dest="tenant_command", required=True, parser_class=_Parser
    )
    create = tenant.add_parser("create", help="onboard a tenant")
    create.add_argument("--slug", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--polda", required=True, help="Polda code, e.g. JATIM")
    create.add_argument("--region", required=True, help="Kemendagri code, e.g. 35.73")
    create.add_argument("--template", default="minimal")
    create.add_argument("--modules", help="comma-separated; default: the template's")
    create.add_argument("--kind", help="POLRES, POLRESTA or POLRESTABES (default: from name)")
    create.add_argument("--time-zone", help="WIB, WITA or WIT (default: from region)")
    create.add_argument(
        "--ticket-prefix",
        help="2-6 letters, unique on the platform (default: the first free one derived"
        " from the region name); a taken one is refused",
    )
    create.add_argument(
        "--jurisdiction",
        metavar="FILE",
        help="a GeoJSON Polygon or MultiPolygon (WGS84, longitude first); reports located"
        " outside it are flagged for operators",
    )
    create.set_defaults(run=cmd_tenant_create)
    listing = tenant.add_parser("list", help="tenants with status and modules")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_tenant_list)

    user = sub.add_parser("user", help="users").add_subparsers(
        dest="user_command", required=True, parser_class=_Parser
    )
    ucreate = user.add_parser("create", help="create a user with one role")
    ucreate.add_argument("--username", required=True)
    ucreate.add_argument("--password-stdin", action="store_true")
    ucreate.add_argument("--role", required=True)
    ucreate.add_argument("--tenant", help="tenant slug (tenant roles only)")
    ucreate.add_argument("--polda", help="Polda code (polda_supervisor only)")
    ucreate.add_argument("--full-name")
    ucreate.set_defaults(run=cmd_user_create)
    ureset = user.add_parser(
        "reset-2fa", help="remove a user's TOTP factor (lost phone and recovery codes)"
    )
    ureset.add_argument("--username", required=True)
    ureset.set_defaults(run=cmd_user_reset_2fa)

    add_apikey_commands(sub, _Parser)

    election = sub.add_parser("election", help="the election module").add_subparsers(
        dest="election_command", required=True, parser_class=_Parser
    )
    imp = election.add_parser("import-tps", help="import polling stations from a CSV file")
    imp.add_argument("--tenant", required=True)
    imp.add_argument("--partial", action="store_true", help="keep the valid rows of a faulty file")
    imp.add_argument("file")
    imp.set_defaults(run=cmd_election_import)

    add_directory_parser(sub, _Parser)

    photos = sub.add_parser("photos", help="stored photos").add_subparsers(
        dest="photos_command", required=True, parser_class=_Parser
    )
    photos.add_parser(
        "clean",
        help="re-encode photos stored before uploads were cleaned (no EXIF/GPS); safe to rerun",
    ).set_defaults(run=cmd_photos_clean)
    _add_data_dir(parser)
    return parser


DATA_DIR_HELP = (
    "the embedded database's data folder (default: JOGO_DATA_DIR, else ./.jogo); the one"
    " a running `jogo up --data-dir D` uses"
)


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` on every command (``jogo tenant list --data-dir D``), and before
    the command too (``jogo --data-dir D tenant list``)."""
    seen = {parser}
    todo = [parser]
    while todo:
        current = todo.pop()
        subs = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        for action in subs:
            for child in action.choices.values():
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        if not any("--data-dir" in a.option_strings for a in current._actions):
            current.add_argument("--data-dir", default=argparse.SUPPRESS, help=DATA_DIR_HELP)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's event loop when it is installed (``litestar[standard]`` brings it), else
    asyncio's. uvloop measured 25-40 % less client CPU per pooled SQL statement and about
    10 % less per small HTTP request (issue 18). Only the command's own loop: Dramatiq's
    actor thread makes its loop with ``asyncio.new_event_loop()`` and keeps asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux and macOS
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run_loop(coro: Awaitable[int]) -> int:
    """Run a command's coroutine to its end on :func:`event_loop_factory`'s loop, as
    ``asyncio.run`` would (its ``loop_factory`` needs Python 3.12)."""

    async def main() -> int:
        return await coro

    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        return runner.run(main())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jogo`` console script: parse ``argv`` (default ``sys.argv``), load
    ``JOGO_*`` settings and run the command. Returns the exit code: the command's own, 1 with one
    ``jogo: ...`` line for a :class:`JogoError` or an unavailable database, 0 for Ctrl-C on a server
    part (``up``, ``serve``, ``worker``, ``relay``, ``scheduler``) and 130 for Ctrl-C elsewhere."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        if getattr(args, "data_dir", None):
            settings = replace(settings, data_dir=Path(args.data_dir))
        code: int = run_loop(args.run(args, settings))
        return code
    except JogoError as exc:
        print(f"jogo: {exc.message}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"jogo: the database is unavailable: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # uvicorn re-raises Ctrl-C after its graceful shutdown: for the servers that
        # is a clean stop. Anything else interrupted is not.
        return 0 if args.command in ("up", "serve", "worker", "relay", "scheduler") else 130


if __name__ == "__main__":
    raise SystemExit(main())
