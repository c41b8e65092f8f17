"""Database set-up shared by the CLI and ``jogo up``: pick the database, migrate, seed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from jogo.platform import db, registry
from jogo.platform.app.embedded import has_embedded_database, start_embedded_postgres
from jogo.platform.auth.roles import Role
from jogo.platform.auth.users import create_user, user_exists
from jogo.platform.errors import JogoError
from jogo.platform.migrate import migrate
from jogo.platform.settings import Settings
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant
from jogo.tenants.onboarding.malang import do_import_sample_directory

DEMO_SLUG = "polresta-malang-kota"
DEMO_ADMIN = "admin"


class NoDatabase(JogoError):
    """A command that needs a database found none where it looked."""

    code = "NO_DATABASE"


def resolve_database(settings: Settings, *, create: bool = False) -> Settings:
    """With no ``JOGO_DATABASE_URL``, start or join the embedded server in the data dir.
    Only ``create`` (``jogo up``, ``jogo db migrate``) makes a new one; any other
    command finding none there stops with :class:`NoDatabase` instead of starting an
    empty database that would answer nothing."""
    if settings.database_url:
        return settings
    if not create and not has_embedded_database(settings.data_dir):
        raise NoDatabase(
            f"no database in the data folder {settings.data_dir.resolve()}; choose the one"
            " `jogo up` runs on with --data-dir D (or JOGO_DATA_DIR, or JOGO_DATABASE_URL),"
            " or start one with `jogo up --data-dir D`"
        )
    owner_url = start_embedded_postgres(settings.data_dir)
    return replace(settings, database_url=owner_url, app_database_url=None)


async def connect(
    settings: Settings, *, run_migrations: bool = False, create: bool = False
) -> Settings:
    """Resolve the database (embedded when no ``JOGO_DATABASE_URL``), migrate it when asked or when
    it is the embedded one, and start the app-role engine. Returns the settings with the resolved
    database URL. Raises :class:`NoDatabase` (no embedded database and not ``create``), and whatever
    migrating or connecting raises (``OSError``, ``asyncpg.PostgresError``)."""
    # The embedded database is ours to keep current; a configured one is migrated by
    # ``jogo db migrate`` (or ``jogo up``), as the owner, not by every command.
    run_migrations = run_migrations or settings.embedded
    settings = resolve_database(settings, create=create)
    if run_migrations:
        assert settings.database_url is not None
        await migrate(settings.database_url, settings.app_db_password)
    await db.start_engine_for(settings)
    return settings


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str | None  # None when the demo existed already (printed at first start)


async def seed_demo() -> DemoLogin | None:
    """On a fresh database: the demo tenant with the Kota Malang sample directory, and an
    admin of it, of the platform and a national supervisor (so one login opens the three
    web clients). Only this tenant gets the sample directory.

    Each step checks what exists, so a start that failed half-way is completed by the
    next one instead of being skipped; a database with other tenants is left alone.
    """
    tenant = await registry.find_by_slug(DEMO_SLUG)
    if tenant is None:
        if await registry.list_tenants():
            return None
        result = await do_onboard_tenant(
            OnboardInput(
                slug=DEMO_SLUG,
                name="Polresta Malang Kota",
                polda_code="JATIM",
                region_code="35.73",
                template="jogo-malang-presisi",
                ticket_prefix="MLG",
            ),
            actor=("jogo up", "system"),
        )
        tenant = result.tenant
    # Entries already there are kept as the command left them: a rerun adds none.
    await do_import_sample_directory(tenant.id, tenant.region_code, actor=("jogo up", "system"))
    if await user_exists(DEMO_ADMIN):
        return None
    password = secrets.token_urlsafe(12)
    await create_user(
        DEMO_ADMIN,
        password,
        Role.TENANT_ADMIN,
        tenant=tenant,
        also=[Role.PLATFORM_ADMIN, Role.NATIONAL_SUPERVISOR],
    )
    return DemoLogin(DEMO_ADMIN, password)
