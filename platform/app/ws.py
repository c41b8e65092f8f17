"""graphql-transport-ws on ``/t/{slug}/graphql``, through strawberry's protocol handler.

The caller authenticates with the upgrade's ``Authorization`` header or, as browsers
must, with ``{"Authorization": "Bearer ..."}`` in ``connection_init``. A caller that
does not belong to the tenant is refused (4403); an unknown slug is closed at once.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from litestar import WebSocket, websocket
from litestar.params import FromPath
from strawberry.exceptions import ConnectionRejectionError
from strawberry.litestar.controller import LitestarWebSocketAdapter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.unset import UNSET, UnsetType

from jogo.graphql.context import Context
from jogo.graphql.schemas import tenant_schema
from jogo.platform import registry
from jogo.platform.app.auth_http import principal_from_header
from jogo.platform.errors import JogoError
from jogo.platform.settings import Settings
from jogo.platform.telemetry import set_current_tenant

INIT_TIMEOUT = timedelta(seconds=10)
MAX_SUBSCRIPTIONS = 20


class _View:
    """The slice of strawberry's view that its protocol handler calls."""

    def decode_json(self, data: str | bytes) -> object:
        return json.loads(data)

    def encode_json(self, data: object) -> str:
        return json.dumps(data, separators=(",", ":"), default=str)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        tenant = context.require_tenant()
        if isinstance(header, str):
            try:
                context.principal = await principal_from_header(header, context.settings)
            except JogoError:
                raise ConnectionRejectionError from None
        if not context.principal.belongs_to(tenant.id):
            raise ConnectionRejectionError
        return UNSET


@websocket("/t/{slug:str}/graphql")
async def tenant_graphql_ws(socket: WebSocket[Any, Any, Any], slug: FromPath[str]) -> None:
    settings: Settings = socket.app.state.settings
    tenant = await registry.find_by_slug(slug)
    if tenant is None or not tenant.active:
        await socket.close(code=4404, reason="Not found")
        return
    try:
        principal = await principal_from_header(socket.headers.get("authorization"), settings)
    except JogoError:
        await socket.close(code=4401, reason="Unauthorized")
        return
    if not principal.belongs_to(tenant.id):
        await socket.close(code=4404, reason="Not found")
        return
    if GRAPHQL_TRANSPORT_WS_PROTOCOL not in socket.scope.get("subprotocols", []):
        await socket.close(code=4406, reason="Subprotocol not acceptable")
        return
    await socket.accept(subprotocols=GRAPHQL_TRANSPORT_WS_PROTOCOL)
    set_current_tenant(tenant.slug)
    view = _View()
    context = Context(principal=principal, settings=settings, tenant=tenant)
    handler: BaseGraphQLTransportWSHandler[Context, None] = BaseGraphQLTransportWSHandler(
        view=view,  # type: ignore[arg-type]
        websocket=LitestarWebSocketAdapter(view, socket, socket),  # type: ignore[arg-type]
        context=context,
        root_value=None,
        schema=tenant_schema(tenant.modules),
        connection_init_wait_timeout=INIT_TIMEOUT,
        max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
    )
    await handler.handle()
