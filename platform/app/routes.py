"""HTTP routes: health, token, and the three GraphQL audiences."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import FromPath

from jogo.graphql.context import Context
from jogo.graphql.http import GraphQLRequest, UploadedFile, execute, parse_body, parse_multipart
from jogo.graphql.permissions import allowed
from jogo.graphql.schemas import national_schema, platform_schema, tenant_schema
from jogo.platform import db, registry
from jogo.platform.app.auth_http import client_of, principal_of
from jogo.platform.app.http_errors import RETRY_AFTER
from jogo.platform.app.web import GRAPHIQL_CSP, render_page
from jogo.platform.app.ws import tenant_graphql_ws
from jogo.platform.auth.login import sign_in
from jogo.platform.auth.roles import Cap
from jogo.platform.auth.sessions import after_password
from jogo.platform.auth.totp import device_of
from jogo.platform.errors import Forbidden, InvalidInput, JogoError, NotFound, sign_in_first
from jogo.platform.liveness import HEARTBEATS
from jogo.platform.settings import Settings
from jogo.platform.storage import FileStore
from jogo.platform.telemetry import set_current_tenant
from jogo.tenants.agencies.answers import do_apply_callback
from jogo.tenants.agencies.inbox import liaison_attachment
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.photos import MAX_BYTES as MAX_UPLOAD
from jogo.tenants.reports.queries import attachment_for
from jogo.tenants.sharing.queries import visible_post
from jogo.workers.broker import check_broker

# Seconds. /readyz runs its checks at once, each bounded by READY_TIMEOUT, so its worst
# case (every check hung) answers in about READY_TIMEOUT: well within the 5 s
# ``timeoutSeconds`` of the probes in infra/k8s. A LISTEN connection's proof
# (``notifications``) is bounded a little sooner, so that its reason names the listener.
READY_TIMEOUT = 3.5
LISTENER_TIMEOUT = 3.25


def _settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


@get("/healthz", sync_to_thread=False)
def healthz(state: State) -> Response[dict[str, Any]]:
    """Liveness: 503 when a long-lived loop of this process (relay, scheduler, a worker
    consumer or the worker's pool) has not completed a pass for ``liveness_seconds``;
    it names them with their age in seconds. A restart is what helps then."""
    stalled = HEARTBEATS.stalled(_settings(state).liveness_seconds)
    if stalled:
        return Response({"status": "stalled", "stalled": stalled}, status_code=503)
    return Response({"status": "ok"}, status_code=200)


# What each process needs to do its work, for /readyz. The API writes the outbox and
# never talks to the broker, so a broker outage must not take it out of service.
NEEDS_API = ("database",)


@get("/readyz")
async def readyz(state: State) -> Response[dict[str, str]]:
    """Readiness: each dependency this process needs (``state.needs``; the API's by
    default), all checked at once, each within ``READY_TIMEOUT`` seconds (so the answer
    comes within about that, whatever hangs); 503 naming what is missing
    (``"unavailable: <why>"``; ``"unavailable: no answer within 3.5 s"`` for a check that
    hung). With LISTEN connections in the process (``state.listeners``: the API's live
    events, the relay's), ``notifications`` proves that a NOTIFY sent through the app
    pool reaches each of them (:func:`jogo.platform.db.prove_listening`)."""
    settings = _settings(state)
    needs: tuple[str, ...] = state.get("needs") or NEEDS_API
    listeners: dict[str, db.ListenerCheck] = state.get("listeners") or {}
    if listeners:
        needs = (*needs, "notifications")
    probes: dict[str, Callable[[], Awaitable[object]]] = {
        "database": db.ping,
        "broker": partial(check_broker, settings.amqp_url),
        "notifications": partial(_notifications, listeners),
    }
    outcomes = await asyncio.gather(*(_bounded(probes[name], READY_TIMEOUT) for name in needs))
    report = dict(zip(needs, outcomes, strict=True))
    ok = all(not v.startswith("unavailable") for v in report.values())
    report["status"] = "ok" if ok else "unavailable"
    return Response(report, status_code=200 if ok else 503)


async def _bounded(check: Callable[[], Awaitable[object]], seconds: float) -> str:
    """What ``check`` answered (``"ok"`` unless it said otherwise), or
    ``"unavailable: <exception type>"``, or ``"unavailable: no answer within <seconds> s"``."""
    try:
        async with asyncio.timeout(seconds):  # not wait_for: see workers/relay.py
            outcome = await check()
    except TimeoutError:
        return f"unavailable: no answer within {seconds:g} s"
    except Exception as exc:  # a readiness probe reports every failure, whatever it is
        return f"unavailable: {type(exc).__name__}"
    return outcome if isinstance(outcome, str) else "ok"


async def _notifications(listeners: dict[str, db.ListenerCheck]) -> str:
    """``"ok"`` (``"busy"`` when the pool had no connection to send a probe with) when
    every listener heard its probe; else ``"unavailable: <listener>: <why>"`` for each
    that did not (not listening, the notification lost, the database away, no answer
    within ``LISTENER_TIMEOUT`` seconds)."""
    names = list(listeners)
    outcomes = await asyncio.gather(*(_proved(listeners[n]) for n in names), return_exceptions=True)
    failed = [
        f"{name}: {outcome.message if isinstance(outcome, JogoError) else _why(outcome)}"
        for name, outcome in zip(names, outcomes, strict=True)
        if isinstance(outcome, BaseException)
    ]
    if failed:
        return "unavailable: " + "; ".join(failed)
    return "busy" if "busy" in outcomes else "ok"


async def _proved(check: db.ListenerCheck) -> str:
    async with asyncio.timeout(LISTENER_TIMEOUT):
        return await check()


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {LISTENER_TIMEOUT:g} s"
    return type(exc).__name__


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


def token_request(body: bytes) -> TokenRequest:
    """``{"username", "password"}`` for ``/auth/token`` and ``/auth/web/login``, decoded
    straight into the struct: a generic decode first would recurse through whatever
    nesting a caller sends (a RecursionError, once an HTTP 500). Else ``InvalidInput``."""
    try:
        return msgspec.json.decode(body, type=TokenRequest)
    except (msgspec.DecodeError, RecursionError):
        raise InvalidInput(
            'send a JSON object {"username": ..., "password": ...}', field="body"
        ) from None


@post("/auth/token", status_code=200)
async def token(request: Request) -> dict[str, Any]:
    """Throttled by username and by client: 429 with ``Retry-After`` (see
    :mod:`jogo.platform.auth.login`). Opens a session: the answer carries a refresh
    token too (see :mod:`jogo.platform.auth.sessions`). A user with TOTP on, or who must
    enrol, gets ``{"second_factor", "challenge", "expires_in", "message"}`` instead
    (:mod:`jogo.platform.app.totp_routes`)."""
    data = token_request(await request.body())
    settings = _settings(request.app.state)
    client = client_of(request, settings)
    user_id, username = await sign_in(data.username, data.password, client)
    device = device_of(client, request.headers.get("user-agent"))
    return (await after_password(user_id, username, settings, client, device)).body()


async def _tenant_context(slug: str, request: Request) -> Context:
    """404 for an unknown slug and for a caller of another tenant: the two look alike."""
    tenant = await registry.find_by_slug(slug)
    if tenant is None:
        raise NotFound("not found")
    settings = _settings(request.app.state)
    principal = await principal_of(request.headers, settings)
    if not principal.belongs_to(tenant.id):
        raise NotFound("not found")
    if not tenant.active:
        raise Forbidden("this command's service is suspended")
    set_current_tenant(tenant.slug)
    client = client_of(request, settings)
    return Context(
        principal=principal,
        settings=settings,
        tenant=tenant,
        client=client,
        idempotency_key=request.headers.get("idempotency-key"),
        app_client=request.headers.get("x-jogo-client"),
    )


async def _global_context(request: Request, cap: Cap) -> Context:
    settings = _settings(request.app.state)
    principal = await principal_of(request.headers, settings)
    context = Context(
        principal=principal,
        settings=settings,
        idempotency_key=request.headers.get("idempotency-key"),
    )
    if principal.is_anonymous:
        raise sign_in_first()
    if not allowed(context, cap):
        raise Forbidden(f"this endpoint needs the {cap.value} permission")
    return context


async def _read_request(request: Request) -> GraphQLRequest:
    """JSON, or the GraphQL multipart request spec for photo uploads."""
    if request.content_type[0] != "multipart/form-data":
        return parse_body(await request.body())
    form = await request.form()
    files: dict[str, UploadedFile] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read(MAX_UPLOAD + 1)
            files[key] = UploadedFile(value.filename, value.content_type, data)
    operations, file_map = form.get("operations"), form.get("map")
    if not isinstance(operations, str) or not isinstance(file_map, str):
        raise InvalidInput("a multipart request needs 'operations' and 'map' fields")
    return parse_multipart(operations, file_map, files)


NO_STORE = {"Cache-Control": "no-store"}


def _answer(payload: dict[str, Any], context: Context) -> Response[dict[str, Any]]:
    """200 for a GraphQL result, with the caller's query-cost budget in ``X-RateLimit-Limit``,
    ``X-RateLimit-Remaining`` (cost points) and ``X-RateLimit-Reset`` (Unix seconds) once
    one was spent (``graphql/cost.py``). 429 with ``Retry-After`` when the operation did not
    fit the budget (``RATE_LIMITED``). 503 with ``Retry-After`` when a field failed because
    the database could not serve it (busy pool, restart), so clients and load balancers back
    off instead of reading a partial page as the truth. Mutations report that as a typed
    ``UNAVAILABLE`` error in their payload, which stays a 200."""
    codes = {(e.get("extensions") or {}).get("code") for e in payload.get("errors", ())}
    # An answer is the caller's own data: no browser or proxy keeps a copy of it.
    headers = {**NO_STORE, **(context.cost.headers() if context.cost is not None else {})}
    spent = context.cost.spent if context.cost is not None else None
    if spent is not None and spent.refused:  # not a field's own limit (trackReport's): 200
        return Response(payload, status_code=429, headers=headers)
    if "UNAVAILABLE" in codes:
        return Response(payload, status_code=503, headers={"Retry-After": RETRY_AFTER, **headers})
    return Response(payload, status_code=200, headers=headers)


@post("/t/{slug:str}/graphql", status_code=200, request_max_body_size=52 * 1024 * 1024)
async def tenant_graphql(slug: FromPath[str], request: Request) -> Response[dict[str, Any]]:
    """``POST /t/{slug}/graphql``: the tenant schema for the tenant's modules, JSON or multipart
    (photo uploads, body up to 52 MiB). 404 for an unknown tenant or a caller of another tenant, 403
    when the tenant is suspended, 401 for a bad token; 503 when a field failed because the database
    was unavailable (see ``_answer``)."""
    context = await _tenant_context(slug, request)
    assert context.tenant is not None
    body = await _read_request(request)
    return _answer(await execute(tenant_schema(context.tenant.modules), body, context), context)


@post("/t/{slug:str}/integrations/{agency_id:uuid}/callback", status_code=200)
async def agency_callback(
    slug: FromPath[str], agency_id: FromPath[uuid.UUID], request: Request
) -> dict[str, str]:
    """An agency's status update, signed with its secret: X-Jogo-Signature: sha256=<HMAC>."""
    tenant = await registry.find_by_slug(slug)
    if tenant is None or not tenant.active:
        raise NotFound("not found")
    set_current_tenant(tenant.slug)
    settings = _settings(request.app.state)
    outcome = await do_apply_callback(
        tenant,
        agency_id,
        await request.body(),
        request.headers.get("x-jogo-signature"),
        settings.secret_key,
    )
    return {"status": outcome}


@get("/t/{slug:str}/attachments/{attachment_id:uuid}")
async def attachment(
    slug: FromPath[str], attachment_id: FromPath[uuid.UUID], request: Request
) -> Response[bytes]:
    """A report photo, for callers who may see the report (same scope as GraphQL)."""
    context = await _tenant_context(slug, request)
    tenant = context.require_tenant()
    principal = context.principal
    try:
        row = await attachment_for(tenant.id, Viewer.of(principal, tenant.id), attachment_id)
    except NotFound:
        if not (
            principal.kind == "user"
            and principal.id is not None
            and Cap.DISPATCH_UPDATE in principal.tenant_caps(tenant.id)
        ):
            raise
        # An agency liaison: photos of reports dispatched to its agencies, no others.
        row = await liaison_attachment(tenant.id, principal.id, attachment_id)
    if not row["cleaned"]:
        # Stored before photos were cleaned: not served until `jogo photos clean` ran.
        raise NotFound("attachment not found")
    try:
        data = await FileStore(context.settings.data_dir / "attachments").read(row["storage_key"])
    except FileNotFoundError:
        raise NotFound("attachment not found") from None
    return Response(
        data,
        media_type=row["content_type"],
        # Not kept by the browser: on a shared command-centre screen the next person
        # signed in (who may not see this report) must not get it from the cache.
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


@get("/t/{slug:str}/shared-posts/{post_id:uuid}/photo")
async def shared_post_photo(
    slug: FromPath[str], post_id: FromPath[uuid.UUID], request: Request
) -> Response[bytes]:
    """A shared post's photo: public once the post is approved; before that, only its
    author and the moderators see it. Anything else is a 404."""
    context = await _tenant_context(slug, request)
    tenant = context.require_tenant()
    if "sharing" not in tenant.modules:
        raise NotFound("not found")
    principal = context.principal
    row = await visible_post(
        tenant.id,
        post_id,
        principal.id if principal.kind == "user" else None,
        Cap.SHARING_MODERATE in principal.tenant_caps(tenant.id),
    )
    if row is None or row["photo_key"] is None or not row["photo_cleaned"]:
        # (A photo stored before photos were cleaned waits for `jogo photos clean`.)
        raise NotFound("not found")
    try:
        data = await FileStore(context.settings.data_dir / "shared").read(row["photo_key"])
    except FileNotFoundError:
        raise NotFound("not found") from None
    public = row["status"] == "APPROVED"
    return Response(
        data,
        media_type=row["photo_type"],
        headers={
            # Revalidated every time: a post taken down stops showing at once.
            "Cache-Control": "public, no-cache" if public else "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@post("/national/graphql", status_code=200)
async def national_graphql(request: Request) -> Response[dict[str, Any]]:
    """``POST /national/graphql``: the national oversight schema. 401 for an anonymous caller, 403
    without ``national:read``; 503 as in ``_answer``."""
    context = await _global_context(request, Cap.NATIONAL_READ)
    return _answer(
        await execute(national_schema(), parse_body(await request.body()), context), context
    )


@post("/platform/graphql", status_code=200)
async def platform_graphql(request: Request) -> Response[dict[str, Any]]:
    """``POST /platform/graphql``: the platform administration schema. 401 for an anonymous caller,
    403 without ``platform:admin``; 503 as in ``_answer``."""
    context = await _global_context(request, Cap.PLATFORM_ADMIN)
    return _answer(
        await execute(platform_schema(), parse_body(await request.body()), context), context
    )


def _graphiql(request: Request, endpoint: str) -> Response[str]:
    """The vendored GraphiQL page (``web/graphiql/``) for ``endpoint``, with the clients'
    security headers and the few CSP additions GraphiQL needs (:data:`GRAPHIQL_CSP`)."""
    return render_page(request, "graphiql", {"endpoint": endpoint}, csp=GRAPHIQL_CSP)


@get("/t/{slug:str}/graphql", media_type=MediaType.HTML)
async def tenant_graphiql(request: Request, slug: FromPath[str]) -> Response[str]:
    """``GET /t/{slug}/graphql``: the offline GraphiQL page; 404 for an unknown slug."""
    tenant = await registry.find_by_slug(slug)
    if tenant is None:
        raise NotFound("not found")
    return _graphiql(request, f"/t/{tenant.slug}/graphql")


@get(["/national/graphql", "/platform/graphql"], media_type=MediaType.HTML, sync_to_thread=False)
def global_graphiql(request: Request) -> Response[str]:
    """``GET /national/graphql`` and ``/platform/graphql``: the offline GraphiQL page."""
    return _graphiql(request, request.url.path)


ROUTES = [
    healthz,
    readyz,
    token,
    tenant_graphql,
    national_graphql,
    platform_graphql,
    tenant_graphiql,
    global_graphiql,
    attachment,
    shared_post_photo,
    agency_callback,
    tenant_graphql_ws,
]
