"""HTTP routes: health, token, and the three GraphQL audiences."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import FromPath, JSONBody

from jogo.graphql.context import Context
from jogo.graphql.http import GraphQLRequest, UploadedFile, execute, parse_body, parse_multipart
from jogo.graphql.permissions import allowed
from jogo.graphql.schemas import national_schema, platform_schema, tenant_schema
from jogo.platform import db, registry
from jogo.platform.app.auth_http import principal_from_header
from jogo.platform.app.ws import tenant_graphql_ws
from jogo.platform.auth.roles import Cap
from jogo.platform.auth.tokens import issue_token
from jogo.platform.auth.users import authenticate
from jogo.platform.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from jogo.platform.settings import Settings
from jogo.platform.storage import FileStore
from jogo.platform.telemetry import set_current_tenant
from jogo.tenants.agencies.answers import do_apply_callback
from jogo.tenants.reports.access import Viewer
from jogo.tenants.reports.photos import MAX_BYTES as MAX_UPLOAD
from jogo.tenants.reports.queries import attachment_for
from jogo.tenants.sharing.queries import visible_post
from jogo.workers.broker import check_broker

READY_TIMEOUT = 3.0


def _settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz")
async def readyz(state: State) -> Response[dict[str, str]]:
    settings = _settings(state)
    checks = {"database": db.ping(), "broker": check_broker(settings.amqp_url)}
    report: dict[str, str] = {}
    for name, probe in checks.items():
        try:
            outcome = await asyncio.wait_for(probe, READY_TIMEOUT)
            report[name] = outcome if isinstance(outcome, str) else "ok"
        except Exception as exc:  # a readiness probe reports every failure, whatever it is
            report[name] = f"unavailable: {type(exc).__name__}"
    ok = all(not v.startswith("unavailable") for v in report.values())
    report["status"] = "ok" if ok else "unavailable"
    return Response(report, status_code=200 if ok else 503)


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


@post("/auth/token", status_code=200)
async def token(data: JSONBody[TokenRequest], state: State) -> dict[str, Any]:
    settings = _settings(state)
    user_id, username = await authenticate(data.username, data.password)
    issued = issue_token(user_id, username, settings.secret_key, settings.token_ttl_seconds)
    return {"access_token": issued.token, "token_type": "bearer", "expires_in": issued.expires_in}


async def _tenant_context(slug: str, request: Request) -> Context:
    """404 for an unknown slug and for a caller of another tenant: the two look alike."""
    tenant = await registry.find_by_slug(slug)
    if tenant is None:
        raise NotFound("not found")
    settings = _settings(request.app.state)
    principal = await principal_from_header(request.headers.get("authorization"), settings)
    if not principal.belongs_to(tenant.id):
        raise NotFound("not found")
    if not tenant.active:
        raise Forbidden("this command's service is suspended")
    set_current_tenant(tenant.slug)
    client = request.client.host if request.client else None
    return Context(principal=principal, settings=settings, tenant=tenant, client=client)


async def _global_context(request: Request, cap: Cap) -> Context:
    settings = _settings(request.app.state)
    principal = await principal_from_header(request.headers.get("authorization"), settings)
    context = Context(principal=principal, settings=settings)
    if principal.is_anonymous:
        raise Unauthenticated("sign in to use this endpoint")
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


# Five photos of 10 MB each, plus the form around them.
@post("/t/{slug:str}/graphql", status_code=200, request_max_body_size=52 * 1024 * 1024)
async def tenant_graphql(slug: FromPath[str], request: Request) -> dict[str, Any]:
    context = await _tenant_context(slug, request)
    assert context.tenant is not None
    body = await _read_request(request)
    return await execute(tenant_schema(context.tenant.modules), body, context)


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
    row = await attachment_for(tenant.id, Viewer.of(context.principal, tenant.id), attachment_id)
    try:
        data = await FileStore(context.settings.data_dir / "attachments").read(row["storage_key"])
    except FileNotFoundError:
        raise NotFound("attachment not found") from None
    return Response(
        data,
        media_type=row["content_type"],
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
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
    if row is None or row["photo_key"] is None:
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
async def national_graphql(request: Request) -> dict[str, Any]:
    context = await _global_context(request, Cap.NATIONAL_READ)
    return await execute(national_schema(), parse_body(await request.body()), context)


@post("/platform/graphql", status_code=200)
async def platform_graphql(request: Request) -> dict[str, Any]:
    context = await _global_context(request, Cap.PLATFORM_ADMIN)
    return await execute(platform_schema(), parse_body(await request.body()), context)


def _graphiql() -> str:
    from strawberry.http.ides import get_graphql_ide_html

    return get_graphql_ide_html("graphiql")


@get("/t/{slug:str}/graphql", media_type=MediaType.HTML)
async def tenant_graphiql(slug: FromPath[str]) -> str:
    if await registry.find_by_slug(slug) is None:
        raise NotFound("not found")
    return _graphiql()


@get(["/national/graphql", "/platform/graphql"], media_type=MediaType.HTML, sync_to_thread=False)
def global_graphiql() -> str:
    return _graphiql()


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
