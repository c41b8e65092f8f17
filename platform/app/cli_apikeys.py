"""``jogo apikey create | list | revoke | rotate``: a command's integrator keys from the
server's shell. Every change is audited with the actor ``cli``. Bad input: exit 1 with
one line on stderr (``main`` prints the error)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from jogo.platform import db, registry
from jogo.platform.app.bootstrap import connect
from jogo.platform.auth import apikey_admin
from jogo.platform.auth.apikeys import CLI_ACTOR, NewApiKey, create_api_key
from jogo.platform.errors import InvalidInput
from jogo.platform.settings import Settings

MAX_DAYS = 3650


async def _with_db(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    await connect(settings)
    try:
        return await work()
    finally:
        await db.stop_engine()


def _expiry(args: argparse.Namespace) -> datetime | None:
    """``--expires-at`` (ISO 8601 with an offset) or ``--expires-days`` (1-3650)."""
    if args.expires_at is not None and args.expires_days is not None:
        raise InvalidInput("give --expires-at or --expires-days, not both")
    if args.expires_days is not None:
        if not 1 <= args.expires_days <= MAX_DAYS:
            raise InvalidInput(f"--expires-days must be 1 to {MAX_DAYS}")
        return datetime.now(UTC) + timedelta(days=args.expires_days)
    if args.expires_at is None:
        return None
    try:
        moment = datetime.fromisoformat(args.expires_at)
    except ValueError:
        raise InvalidInput(
            "--expires-at must be ISO 8601, e.g. 2027-06-30T00:00:00+07:00"
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput("--expires-at needs an offset, e.g. +07:00")
    return moment


def _shown(key: NewApiKey) -> str:
    expires = key.expires_at.isoformat() if key.expires_at else None
    return json.dumps(
        {
            "id": str(key.id),
            "prefix": key.prefix,
            "name": key.name,
            "scopes": key.scopes,
            "expires_at": expires,
            "key": key.key,
        }
    )


async def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo apikey create``: a new integrator key for the tenant, with the comma-separated
    ``--scopes`` and an optional expiry. Prints id, prefix, name, scopes, expiry and the secret key
    as JSON (shown once). Raises :class:`InvalidInput` for a bad scope or expiry, :class:`NotFound`
    for an unknown tenant."""
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    expires_at = _expiry(args)

    async def work() -> NewApiKey:
        tenant = await registry.get_by_slug(args.tenant)
        return await create_api_key(tenant, args.name, scopes, "cli", expires_at=expires_at)

    print(_shown(await _with_db(settings, work)))
    print("note: the key is shown once; store it now", file=sys.stderr)
    return 0


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, datetime) else str(v) if k in ("id", "replaces") else v)
        for k, v in row.items()
        if v is not None or k in ("last_used_at", "expires_at", "revoked_at")
    }


async def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo apikey list``: every key of the tenant (pages of 100, newest first), one line each
    with prefix, status, name, scopes, last use and expiry (minutes, ISO 8601), or a JSON array with
    ``--json``. Secrets are never listed. Exit 0."""

    async def work() -> list[dict[str, Any]]:
        tenant = await registry.get_by_slug(args.tenant)
        rows: list[dict[str, Any]] = []
        after = None
        while True:
            page = await apikey_admin.list_api_keys(tenant.id, 100, after)
            rows.extend(page[:100])
            if len(page) <= 100:
                return rows
            after = (page[99]["created_at"], page[99]["id"])

    rows = await _with_db(settings, work)
    if args.json:
        print(json.dumps([_plain(r) for r in rows]))
        return 0
    for r in rows:
        used = r["last_used_at"].isoformat(timespec="minutes") if r["last_used_at"] else "never"
        expires = r["expires_at"].isoformat(timespec="minutes") if r["expires_at"] else "-"
        print(
            f"{r['prefix']}  {r['status']:<8}  {r['name']}  [{','.join(r['scopes'])}]"
            f"  last used {used}  expires {expires}"
        )
    return 0


async def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo apikey revoke``: revoke the key given by id or prefix at once and print its record as
    JSON; audited with the actor ``cli``. Raises :class:`NotFound` for an unknown tenant or key."""

    async def work() -> dict[str, Any]:
        tenant = await registry.get_by_slug(args.tenant)
        key_id = await apikey_admin.find_key(tenant.id, args.key)
        return await apikey_admin.revoke_api_key(tenant, key_id, CLI_ACTOR)

    print(json.dumps(_plain(await _with_db(settings, work))))
    return 0


async def cmd_rotate(args: argparse.Namespace, settings: Settings) -> int:
    """``jogo apikey rotate``: issue a replacement key with the same name and scopes; the old
    one keeps working for ``--overlap-hours`` hours (default 24, at most 168). Prints the new key
    as JSON (shown once); audited ``apikey.rotate`` with the actor ``cli``. Raises
    :class:`InvalidInput` (overlap or expiry out of range), :class:`NotFound` (tenant or key),
    ``IllegalTransition`` (key revoked, expired or already rotated)."""
    hours = apikey_admin.check_overlap(args.overlap_hours)
    expires_at = _expiry(args)

    async def work() -> NewApiKey:
        tenant = await registry.get_by_slug(args.tenant)
        key_id = await apikey_admin.find_key(tenant.id, args.key)
        return await apikey_admin.rotate_api_key(
            tenant, key_id, CLI_ACTOR, overlap_hours=hours, expires_at=expires_at
        )

    print(_shown(await _with_db(settings, work)))
    print(
        f"note: the new key is shown once; the old one stops working in {hours} h",
        file=sys.stderr,
    )
    return 0


def _expiry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--expires-at", help="ISO 8601 with an offset")
    parser.add_argument("--expires-days", type=int, help="days from now (1-3650)")


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """``jogo apikey ...`` on the top-level subparsers ``sub``."""
    apikey = sub.add_parser("apikey", help="API keys").add_subparsers(
        dest="apikey_command", required=True, parser_class=parser_class
    )
    create = apikey.add_parser("create", help="create an API key (shown once)")
    create.add_argument("--tenant", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", required=True, help="comma-separated, e.g. reports:read")
    _expiry_options(create)
    create.set_defaults(run=cmd_create)
    listing = apikey.add_parser("list", help="the tenant's keys with status and last use")
    listing.add_argument("--tenant", required=True)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_list)
    revoke = apikey.add_parser("revoke", help="revoke a key now (by prefix or id)")
    revoke.add_argument("--tenant", required=True)
    revoke.add_argument("key", metavar="PREFIX_OR_ID")
    revoke.set_defaults(run=cmd_revoke)
    rotate = apikey.add_parser("rotate", help="a new key; the old one expires after the overlap")
    rotate.add_argument("--tenant", required=True)
    rotate.add_argument("key", metavar="PREFIX_OR_ID")
    rotate.add_argument(
        "--overlap-hours", type=int, default=None, help="0-168 (default 24) the old key still works"
    )
    _expiry_options(rotate)
    rotate.set_defaults(run=cmd_rotate)
