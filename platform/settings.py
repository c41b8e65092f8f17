"""Settings from the environment (``JOGO_*``), validated once, with one-line errors."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from jogo.platform.errors import SettingsError

APP_ROLE = "jogo_app"
DEV_SECRET = "jogo-dev-secret-change-me-0123456789abcdef"


@dataclass(frozen=True)
class SqlSpans:
    """How SQL statements show in traces (``JOGO_SQL_SPANS``).

    ``mode`` is one of:

    - ``"off"``: no SQL spans and no statement count;
    - ``"count"``: no SQL spans; the request's or job's span (the local root) carries
      ``db.statements`` (statements run) and ``db.duration_ms`` (their summed time, ms);
    - ``"sampled"``: as ``count``, plus one span per statement in a fraction ``ratio``
      (0 < ratio < 1) of the traces, chosen by trace id: a sampled request has all its
      statements, the others none;
    - ``"statement"``: as ``count``, plus one span per statement everywhere (ratio 1.0).
    """

    mode: str
    ratio: float

    def __str__(self) -> str:
        return str(self.ratio) if self.mode == "sampled" else self.mode


SQL_SPAN_MODES = ("off", "count", "statement")
# The default in production: a tenth of the traces carry their SQL spans, every request
# its statement count (measured in issue 18: about the cost of "count").
PRODUCTION_SQL_SPANS = "0.1"


def parse_sql_spans(raw: str, name: str = "JOGO_SQL_SPANS") -> SqlSpans:
    """``off``, ``count``, ``statement`` or a fraction strictly between 0 and 1 (``0.1``:
    the SQL spans of one trace in ten); ``0`` is ``count`` and ``1`` is ``statement``.
    Raises :class:`SettingsError` (one line) for anything else."""
    value = raw.strip().lower()
    if value in SQL_SPAN_MODES:
        return SqlSpans(value, {"off": 0.0, "count": 0.0, "statement": 1.0}[value])
    try:
        ratio = float(value)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:  # nan fails both comparisons
        raise SettingsError(
            f"{name} must be off, count, statement or a fraction between 0 and 1, got {raw!r}"
        )
    if ratio == 0.0:
        return SqlSpans("count", 0.0)
    if ratio == 1.0:
        return SqlSpans("statement", 1.0)
    return SqlSpans("sampled", ratio)


@dataclass(frozen=True)
class Settings:
    """``database_url`` is the owner's (migrations); ``app_database_url`` the app role's."""

    database_url: str | None
    app_database_url: str | None
    app_db_password: str | None
    amqp_url: str | None
    secret_key: str
    token_ttl_seconds: int
    data_dir: Path
    db_pool_size: int
    environment: str
    # Where the public reaches the API (links in CAP feeds, agencies' callback_url).
    # None unless JOGO_PUBLIC_URL is set: then links follow the request's own host and
    # port, and outside a request (the worker) the address `jogo up` is bound to
    # (``jogo.platform.app.links``).
    public_url: str | None = None
    queue_name: str = "jogo"
    # "quorum" (replicated, for a cluster; the default) or "classic" (a broker whose
    # queues were declared classic before).
    queue_type: str = "quorum"
    # worker, relay and scheduler serve /healthz and /readyz here when set (probes).
    health_port: int | None = None
    # Outbound calls to private addresses (agencies on the same network): off in
    # production unless set, on elsewhere so local fakes and demos work.
    allow_private_egress: bool = True
    # Peers whose X-Forwarded-For / Forwarded headers name the client (reverse proxies,
    # load balancers). Empty: no header is believed; the peer address is the client.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # Seconds a request waits for a pooled database connection before it answers 503.
    db_acquire_timeout: int = 5
    # /healthz fails when a long-lived loop (relay, scheduler, worker consumer or pool)
    # has not completed a pass for this many seconds.
    liveness_seconds: int = 180
    # Sessions: a refresh token's family lives at most this long (a shift) ...
    refresh_ttl_seconds: int = 43200
    # ... and ends when no refresh came for this long.
    refresh_idle_seconds: int = 7200
    # A rotated refresh token sent again this soon, before its successor was used, is a
    # retry (a lost response, two tabs): it answers the same successor instead of reuse.
    refresh_retry_seconds: int = 30
    # Map tiles for the web clients' maps: an XYZ template with {z}, {x}, {y} (and an
    # optional {s}), http(s); None shows the data without a base layer (offline networks).
    map_tiles_url: str | None = None
    # SQL statements in traces (JOGO_SQL_SPANS): see :class:`SqlSpans`.
    sql_spans: SqlSpans = field(default_factory=lambda: SqlSpans("statement", 1.0))
    # asyncpg's prepared statements cached per pooled connection (asyncpg's default, 100);
    # 0 behind a transaction pooler that keeps none (PgBouncer < 1.21, or without
    # max_prepared_statements).
    db_statement_cache_size: int = 100
    # The app role's URL for LISTEN (live events, the relay's wake-ups): direct to
    # PostgreSQL or a session-mode pool. None: the app URL.
    listen_database_url: str | None = None
    # GraphQL query cost (graphql/cost.py): the most one operation may cost, and the cost
    # points a caller may spend per minute: API keys and anonymous addresses, and signed-in
    # users (the product's own web clients: generous, not unlimited).
    graphql_max_cost: int = 5000
    graphql_budget: int = 20000
    graphql_user_budget: int = 100000
    # Persisted queries (graphql/persisted.py): the largest document (UTF-8 bytes) that is
    # persisted (automatic persisted queries, trusted documents), and the bytes of
    # documents each API process keeps for automatic persisted queries (0: none kept).
    graphql_max_document_bytes: int = 32768
    graphql_apq_cache_bytes: int = 8 * 1024 * 1024
    # Event webhooks: hours a rotated-out secret keeps signing beside the new one.
    webhook_secret_overlap_hours: int = 24
    # A TOTP second factor is required of every national and platform role
    # (JOGO_STAFF_TOTP_REQUIRED; default on in production, off elsewhere). A command's
    # operators and tenant admins follow their command's own setting.
    staff_totp_required: bool = False

    @property
    def embedded(self) -> bool:
        """True when no ``JOGO_DATABASE_URL`` is set: the embedded PostgreSQL in ``data_dir`` is
        used."""
        return self.database_url is None

    def resolved_app_url(self) -> str:
        """The app role's URL: explicit, or the owner's URL with the user swapped."""
        if self.app_database_url:
            return self.app_database_url
        if not self.database_url:
            raise SettingsError("JOGO_DATABASE_URL is not set and no embedded database runs")
        return swap_user(self.database_url, APP_ROLE, self.app_db_password)

    def resolved_listen_url(self) -> str:
        """The app role's URL for LISTEN connections: ``JOGO_LISTEN_DATABASE_URL``, else
        :meth:`resolved_app_url`."""
        return self.listen_database_url or self.resolved_app_url()


def swap_user(url: str, user: str, password: str | None) -> str:
    """``url`` with its user and password replaced (both percent-encoded; no password when
    ``password`` is empty), keeping host, port, path and query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = quote(user, safe="")
    if password:
        netloc += ":" + quote(password, safe="")
    netloc += "@" + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _check_url(name: str, value: str | None, schemes: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes or not (parts.netloc or parts.query):
        raise SettingsError(f"{name} must be a URL starting with {' or '.join(schemes)}://")
    return value


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the ``JOGO_*`` variables of ``env`` (default ``os.environ``). Durations are
    seconds (``JOGO_TOKEN_TTL_SECONDS`` 60-86400, default 900; refresh TTL 12 h, idle 2 h). Raises
    :class:`SettingsError` with one line for a bad value: ``JOGO_ENV`` not
    development/test/production, no ``JOGO_SECRET_KEY`` in production or one shorter than 32
    characters, a URL of the wrong scheme, a number out of range (``JOGO_DB_STATEMENT_CACHE_SIZE``
    0-10000, default 100), a ``JOGO_SQL_SPANS`` that is not off/count/statement/a fraction
    (default ``statement``, in production ``0.1``)."""
    env = os.environ if env is None else env
    environment = env.get("JOGO_ENV", "development")
    if environment not in ("development", "test", "production"):
        raise SettingsError("JOGO_ENV must be development, test or production")
    secret = env.get("JOGO_SECRET_KEY") or ""
    if not secret:
        if environment == "production":
            raise SettingsError("JOGO_SECRET_KEY must be set in production")
        secret = DEV_SECRET
    if len(secret) < 32:
        raise SettingsError("JOGO_SECRET_KEY must be at least 32 characters")
    pg = ("postgresql", "postgres")
    _check_budgets(env)
    return Settings(
        database_url=_check_url("JOGO_DATABASE_URL", env.get("JOGO_DATABASE_URL"), pg),
        app_database_url=_check_url("JOGO_APP_DATABASE_URL", env.get("JOGO_APP_DATABASE_URL"), pg),
        listen_database_url=_check_url(
            "JOGO_LISTEN_DATABASE_URL", env.get("JOGO_LISTEN_DATABASE_URL"), pg
        ),
        app_db_password=env.get("JOGO_APP_DB_PASSWORD") or None,
        amqp_url=_check_url("JOGO_AMQP_URL", env.get("JOGO_AMQP_URL"), ("amqp", "amqps")),
        secret_key=secret,
        token_ttl_seconds=_int(env, "JOGO_TOKEN_TTL_SECONDS", 900, 60, 86400),
        data_dir=Path(env.get("JOGO_DATA_DIR") or ".jogo"),
        db_pool_size=_int(env, "JOGO_DB_POOL_SIZE", 10, 1, 200),
        db_acquire_timeout=_int(env, "JOGO_DB_ACQUIRE_TIMEOUT", 5, 1, 60),
        db_statement_cache_size=_int(env, "JOGO_DB_STATEMENT_CACHE_SIZE", 100, 0, 10000),
        liveness_seconds=_int(env, "JOGO_LIVENESS_SECONDS", 180, 1, 86400),
        refresh_ttl_seconds=_int(env, "JOGO_REFRESH_TTL_SECONDS", 43200, 60, 7 * 86400),
        refresh_idle_seconds=_int(env, "JOGO_REFRESH_IDLE_SECONDS", 7200, 60, 7 * 86400),
        refresh_retry_seconds=_int(env, "JOGO_REFRESH_RETRY_SECONDS", 30, 0, 300),
        environment=environment,
        public_url=_public_url(env.get("JOGO_PUBLIC_URL")),
        queue_name=_queue(env.get("JOGO_QUEUE") or "jogo"),
        queue_type=_queue_type(env.get("JOGO_QUEUE_TYPE") or "quorum"),
        health_port=_int(env, "JOGO_HEALTH_PORT", 0, 0, 65535) or None,
        allow_private_egress=_bool(
            env, "JOGO_ALLOW_PRIVATE_EGRESS", default=environment != "production"
        ),
        trusted_proxies=_networks(env, "JOGO_TRUSTED_PROXIES"),
        map_tiles_url=_tiles_url(env.get("JOGO_MAP_TILES_URL")),
        graphql_max_cost=_int(env, "JOGO_GRAPHQL_MAX_COST", 5000, 1, 10_000_000),
        graphql_budget=_int(env, "JOGO_GRAPHQL_BUDGET", 20000, 1, 100_000_000),
        graphql_user_budget=_int(env, "JOGO_GRAPHQL_USER_BUDGET", 100000, 1, 100_000_000),
        graphql_max_document_bytes=_int(
            env, "JOGO_GRAPHQL_MAX_DOCUMENT_BYTES", 32768, 1024, 256 * 1024
        ),
        graphql_apq_cache_bytes=_int(
            env, "JOGO_GRAPHQL_APQ_CACHE_BYTES", 8 * 1024 * 1024, 0, 1024 * 1024 * 1024
        ),
        webhook_secret_overlap_hours=_int(env, "JOGO_WEBHOOK_SECRET_OVERLAP_HOURS", 24, 0, 168),
        staff_totp_required=_bool(
            env, "JOGO_STAFF_TOTP_REQUIRED", default=environment == "production"
        ),
        sql_spans=parse_sql_spans(
            env.get("JOGO_SQL_SPANS")
            or (PRODUCTION_SQL_SPANS if environment == "production" else "statement")
        ),
    )


def _check_budgets(env: Mapping[str, str]) -> None:
    """A budget per minute below the most one operation may cost would refuse the costlier
    allowed operations for ever: ``JOGO_GRAPHQL_BUDGET`` and ``JOGO_GRAPHQL_USER_BUDGET``
    must each be at least ``JOGO_GRAPHQL_MAX_COST``."""
    maximum = _int(env, "JOGO_GRAPHQL_MAX_COST", 5000, 1, 10_000_000)
    for name, default in (("JOGO_GRAPHQL_BUDGET", 20000), ("JOGO_GRAPHQL_USER_BUDGET", 100000)):
        if _int(env, name, default, 1, 100_000_000) < maximum:
            raise SettingsError(f"{name} must be at least JOGO_GRAPHQL_MAX_COST ({maximum})")


def _tiles_url(value: str | None) -> str | None:
    """``JOGO_MAP_TILES_URL``: an http(s) XYZ tile template naming ``{z}``, ``{x}`` and ``{y}``
    (e.g. ``https://tiles.example/{z}/{x}/{y}.png``); empty or unset is None."""
    checked = _check_url("JOGO_MAP_TILES_URL", value, ("http", "https"))
    if checked and not all(part in checked for part in ("{z}", "{x}", "{y}")):
        raise SettingsError("JOGO_MAP_TILES_URL must name {z}, {x} and {y}")
    return checked


def _public_url(value: str | None) -> str | None:
    checked = _check_url("JOGO_PUBLIC_URL", value, ("http", "https"))
    return checked.rstrip("/") if checked else None


def _networks(
    env: Mapping[str, str], name: str
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or CIDR networks (``10.0.0.0/8, ::1``)."""
    found = []
    for item in (env.get(name) or "").split(","):
        if not item.strip():
            continue
        try:
            found.append(ipaddress.ip_network(item.strip()))
        except ValueError:
            raise SettingsError(
                f"{name} must be comma-separated IP addresses or CIDR networks,"
                f" got {item.strip()!r}"
            ) from None
    return tuple(found)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _queue_type(value: str) -> str:
    value = value.strip().lower()
    if value not in ("quorum", "classic"):
        raise SettingsError(f"JOGO_QUEUE_TYPE must be quorum or classic, got {value!r}")
    return value


def _queue(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,60}", name):
        raise SettingsError("JOGO_QUEUE must be 1-61 lowercase letters, digits, '.', '_' or '-'")
    return name
