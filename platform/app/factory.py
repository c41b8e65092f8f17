"""The Litestar app factory."""

from __future__ import annotations

import logging

from litestar import Litestar
from litestar.logging.config import LoggingConfig
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from opentelemetry.sdk.trace.export import SpanExporter

from jogo.platform import db
from jogo.platform.app.audit_http import AUDIT_ROUTES
from jogo.platform.app.citizen_web import CITIZEN_ROUTES
from jogo.platform.app.exports_http import EXPORT_ROUTES
from jogo.platform.app.feeds import FEED_ROUTES
from jogo.platform.app.http_errors import HANDLERS
from jogo.platform.app.intake_http import INTAKE_ROUTES
from jogo.platform.app.lacak import LACAK_ROUTES
from jogo.platform.app.open311_http import OPEN311_ROUTES
from jogo.platform.app.phone_routes import PHONE_ROUTES
from jogo.platform.app.privacy_http import PRIVACY_ROUTES
from jogo.platform.app.routes import ROUTES, healthz, readyz
from jogo.platform.app.sdl_http import SDL_ROUTES
from jogo.platform.app.session_routes import SESSION_ROUTES
from jogo.platform.app.totp_routes import TOTP_ROUTES
from jogo.platform.app.web import WEB_ROUTES
from jogo.platform.app.web_session import WEB_SESSION_ROUTES
from jogo.platform.notify import HUB
from jogo.platform.settings import Settings, load_settings
from jogo.platform.telemetry import setup_telemetry

log = logging.getLogger("jogo")


def create_app(
    settings: Settings | None = None,
    *,
    manage_database: bool = True,
    span_exporter: SpanExporter | None = None,
    listeners: dict[str, db.ListenerCheck] | None = None,
) -> Litestar:
    """``manage_database=False`` when the caller already started the engine (tests).
    ``listeners``: the process's other LISTEN connections that ``/readyz`` proves (the
    relay's, under ``jogo up``); the live events' hub (:data:`jogo.platform.notify.HUB`)
    is added to them."""
    settings = settings or load_settings()
    provider = setup_telemetry(exporter=span_exporter, sql_spans=settings.sql_spans)
    listeners = {} if listeners is None else listeners
    listeners["live events"] = HUB.prove_listening

    async def start() -> None:
        if manage_database:
            await db.start_engine_for(settings)

    async def stop() -> None:
        if manage_database:
            await db.stop_engine()

    app = Litestar(
        route_handlers=[
            *ROUTES,
            *SDL_ROUTES,
            *SESSION_ROUTES,
            *FEED_ROUTES,
            *AUDIT_ROUTES,
            *PRIVACY_ROUTES,
            *EXPORT_ROUTES,
            *WEB_ROUTES,
            *CITIZEN_ROUTES,
            *WEB_SESSION_ROUTES,
            *TOTP_ROUTES,
            *INTAKE_ROUTES,
            *PHONE_ROUTES,
            *LACAK_ROUTES,
            *OPEN311_ROUTES,
        ],
        on_startup=[start],
        on_shutdown=[stop],
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        plugins=[
            OpenTelemetryPlugin(
                # One span per request, not three more per ASGI message (http receive,
                # http send): they measured about a third of a small request's CPU.
                OpenTelemetryConfig(tracer_provider=provider, exclude_spans=["receive", "send"])
            )
        ],
        openapi_config=None,
        # Logging is the process's (uvicorn, the CLI); the app does not take over the root
        # logger, and our exception handlers log what they turn into responses.
        logging_config=LoggingConfig(configure_root_logger=False, log_exceptions="never"),
        debug=False,
    )
    app.state.settings = settings
    app.state.listeners = listeners
    return app


def create_health_app(
    settings: Settings,
    needs: tuple[str, ...] = ("database",),
    listeners: dict[str, db.ListenerCheck] | None = None,
) -> Litestar:
    """``/healthz`` and ``/readyz`` alone, for the worker, relay and scheduler processes
    (their Kubernetes probes); the process has started the engine already. ``needs``
    names what ``/readyz`` checks: ``"database"``, ``"broker"``; ``listeners`` the LISTEN
    connections it proves (the relay's, filled in once the relay exists)."""
    app = Litestar(
        route_handlers=[healthz, readyz],
        openapi_config=None,
        logging_config=LoggingConfig(configure_root_logger=False, log_exceptions="never"),
        debug=False,
    )
    app.state.settings = settings
    app.state.needs = needs
    app.state.listeners = {} if listeners is None else listeners
    return app
