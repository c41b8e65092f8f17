"""``jogo directory import``: agencies, hospitals or cameras from a CSV file, with the
rules of ``jogo election import-tps`` (:mod:`jogo.tenants.agencies.imports`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import anyio

from jogo.platform import registry
from jogo.platform.auth.principal import Principal
from jogo.platform.errors import InvalidInput
from jogo.platform.settings import Settings
from jogo.tenants.agencies.csvrows import KINDS
from jogo.tenants.agencies.imports import DirectoryImportResult, do_import_directory


async def cmd_directory_import(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when the file was imported (with --partial: its valid rows), else 1. Every
    faulty row is printed to stdout as JSON; one summary line goes to stderr."""
    from jogo.platform.app.cli import _with_db  # the CLI's own database set-up

    try:
        data = await anyio.Path(args.file).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {args.file}: {exc.strerror}") from None

    async def work() -> DirectoryImportResult:
        tenant = await registry.get_by_slug(args.tenant)
        # The console acts for the tenant with the directory scope, "cli" in the audit.
        console = Principal(
            kind="api_key",
            name="cli",
            key_tenant_id=tenant.id,
            scopes=frozenset({"agencies:write"}),
        )
        return await do_import_directory(
            tenant,
            console,
            args.kind,
            data,
            partial=args.partial,
            allow_private_egress=settings.allow_private_egress,
        )

    result: DirectoryImportResult = await _with_db(settings, work)
    out: dict[str, Any] = {
        "kind": result.kind,
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "rejected": result.rejected,
        "kept": result.kept,
        "errors": [{"line": e.line, "field": e.field, "message": e.message} for e in result.errors],
    }
    print(json.dumps(out))
    if not result.kept:
        first = result.errors[0]
        print(
            f"jogo: {len(result.errors)} fault(s) in {result.rejected} row(s), nothing imported;"
            f" line {first.line}: {first.field}: {first.message}"
            " (use --partial to keep the valid rows)",
            file=sys.stderr,
        )
        return 1
    return 0


def add_directory_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add ``jogo directory import --tenant SLUG --kind KIND [--partial] FILE`` to the sub-parsers
    ``sub``: a CSV upsert by code of agencies, hospitals or cameras (``KINDS``)."""
    directory = sub.add_parser("directory", help="the command's directory").add_subparsers(
        dest="directory_command", required=True, parser_class=parser_class
    )
    imp = directory.add_parser(
        "import", help="import agencies, hospitals or cameras from a CSV file (upsert by code)"
    )
    imp.add_argument("--tenant", required=True)
    imp.add_argument("--kind", required=True, choices=KINDS)
    imp.add_argument("--partial", action="store_true", help="keep the valid rows of a faulty file")
    imp.add_argument("file")
    imp.set_defaults(run=cmd_directory_import)
