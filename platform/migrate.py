"""``jogo db migrate``: apply the SQL migrations in order, as the table owner.

Migrations are plain SQL because what tenancy needs (composite primary keys, forced
row-level security, policies, grants) is beyond Piccolo's auto-migrations; the Piccolo
table classes mirror them, and tests/test_tables_match.py compares the two. Safe to run
twice and safe to run concurrently: an advisory lock serialises runs and applied
versions are skipped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import asyncpg

from jogo.platform.errors import JogoError
from jogo.platform.settings import APP_ROLE

OWNER_ROLE = "jogo_owner"
# Owns the one SECURITY DEFINER function that reads reports across tenants (redacted):
# NOLOGIN, so nothing connects as it; the app role only EXECUTEs that function.
OVERSIGHT_ROLE = "jogo_oversight"
# Owns transfer_report() (migration 0022), the one cross-tenant write: NOLOGIN, BYPASSRLS.
TRANSFER_ROLE = "jogo_transfer"
_LOCK_KEY = 0x4A4F474F  # "JOGO"


class MigrationError(JogoError):
    code = "MIGRATION_FAILED"


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the migration's SQL, hex: recorded when applied so a later edit of an applied
        file stops ``migrate`` with :class:`MigrationError`."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> list[Migration]:
    """Every ``NNNN_name.sql`` of the package's ``migrations`` folder (package data), sorted by
    version (the text before the first ``_``)."""
    folder = resources.files("jogo.platform") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            found.append(Migration(version, rest.removesuffix(".sql"), entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


async def _ensure_roles(conn: asyncpg.Connection, app_password: str | None) -> None:
    existing = {
        r["rolname"]
        for r in await conn.fetch(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])",
            [OWNER_ROLE, APP_ROLE, OVERSIGHT_ROLE, TRANSFER_ROLE],
        )
    }
    try:
        if OWNER_ROLE not in existing:
            await conn.execute(f"CREATE ROLE {OWNER_ROLE} NOLOGIN")
        if APP_ROLE not in existing:
            # The app role must never bypass row-level security or own a table.
            await conn.execute(
                f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
            )
        if OVERSIGHT_ROLE not in existing:
            await conn.execute(f"CREATE ROLE {OVERSIGHT_ROLE} NOLOGIN BYPASSRLS")
        if TRANSFER_ROLE not in existing:
            await conn.execute(f"CREATE ROLE {TRANSFER_ROLE} NOLOGIN BYPASSRLS")
        # The owner hands those functions to their roles during migrations.
        await conn.execute(f"GRANT {OVERSIGHT_ROLE} TO {OWNER_ROLE}")
        await conn.execute(f"GRANT {TRANSFER_ROLE} TO {OWNER_ROLE}")
        if app_password:
            await conn.execute(f"ALTER ROLE {APP_ROLE} PASSWORD {_literal(app_password)}")
    except asyncpg.InsufficientPrivilegeError:
        raise MigrationError(
            f"roles {OWNER_ROLE}, {APP_ROLE}, {OVERSIGHT_ROLE} and {TRANSFER_ROLE} must exist;"
            " the migration"
            " user may not "
            "create them (ask the DBA, see infra/README.md)"
        ) from None


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def _bootstrap(conn: asyncpg.Connection) -> None:
    """Schema grants and default privileges, so tables the owner makes reach the app."""
    statements = [
        f"GRANT USAGE, CREATE ON SCHEMA public TO {OWNER_ROLE}",
        f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
        # CREATE only so it can own its one function (it is NOLOGIN: nobody acts as it).
        f"GRANT USAGE, CREATE ON SCHEMA public TO {OVERSIGHT_ROLE}",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {TRANSFER_ROLE}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER_ROLE} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER_ROLE} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}",
        f"SET ROLE {OWNER_ROLE}",
        "CREATE TABLE IF NOT EXISTS jogo_migrations ("
        " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())",
        f"REVOKE ALL ON jogo_migrations FROM {APP_ROLE}",
        "RESET ROLE",
    ]
    for sql in statements:
        await conn.execute(sql)


async def migrate(owner_url: str, app_password: str | None = None) -> list[str]:
    """Apply pending migrations; returns the versions applied by this call."""
    try:
        conn = await asyncpg.connect(dsn=owner_url, timeout=15)
    except (OSError, asyncpg.PostgresError) as exc:
        raise MigrationError(f"cannot connect to the database: {exc}") from None
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        await _ensure_roles(conn, app_password)
        await _bootstrap(conn)
        applied = {
            r["version"]: r["checksum"]
            for r in await conn.fetch("SELECT version, checksum FROM jogo_migrations")
        }
        done: list[str] = []
        for m in load_migrations():
            if m.version in applied:
                if applied[m.version] != m.checksum:
                    raise MigrationError(f"migration {m.version}_{m.name} changed after it ran")
                continue
            async with conn.transaction():
                await conn.execute(f"SET LOCAL ROLE {OWNER_ROLE}")
                try:
                    await conn.execute(m.sql)
                except asyncpg.PostgresError as exc:
                    raise MigrationError(f"migration {m.version}_{m.name} failed: {exc}") from None
                await conn.execute(
                    "INSERT INTO jogo_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    m.version,
                    m.name,
                    m.checksum,
                )
            done.append(m.version)
        return done
    finally:
        await conn.close()
