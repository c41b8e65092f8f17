"""graphql-transport-ws on ``/t/{slug}/graphql``, through strawberry's protocol handler.

The caller authenticates with the upgrade's ``Authorization`` header or, as browsers
must, with ``{"Authorization": "Bearer ..."}`` (or an API key as ``{"X-API-Key": ...}``)
in ``connection_init``. A caller that
does not belong to the tenant is refused (4403); an unknown slug is closed at once.

A socket is a series of requests: before each operation starts (query, mutation or
subscription), the caller and the tenant are checked again as an HTTP request would be
at that moment (:func:`jogo.platform.auth.revalidate.recheck`), and the operation runs
with the caller's current roles and the tenant's current modules. When the check fails
the socket is closed, and every operation on it ends:

- ``4401`` ``Unauthorized: <why>``: the credential is no longer valid (expired token,
  disabled user, revoked or expired API key). Sign in again and reconnect.
- ``4403`` ``Forbidden: <why>``: the credential is valid but may no longer use this
  tenant (membership ended, tenant suspended).
- ``1013`` ``Try again later: ...``: the check could not be made (database unavailable).

Live feeds (``reportEvents``, ``electionBoard``) keep re-checking on their own between
operations (``still_allowed``). Their results, rendered once for every subscriber who
sees an event alike (:mod:`jogo.graphql.live`), go out as the same text on every socket,
not encoded again per socket; after a burst of closed sockets the heap is trimmed
(:mod:`jogo.platform.memory`).

Revocations close at once: logging out, a refresh token's reuse, a password reset or
change, a membership ended or changed, an API key revoked, a tenant suspended are
announced at commit (:mod:`jogo.platform.auth.revocation`); every API process listens
and re-checks the sockets of that caller (or tenant) right away, closing those no longer
allowed (4401/4403) and giving the others the caller's current roles.

Re-authentication: an access token lives ``JOGO_TOKEN_TTL_SECONDS``. Before it expires
the client refreshes it (``POST /auth/refresh``) and sends the new one in a
graphql-transport-ws ``ping``: ``{"type": "ping", "payload": {"Authorization": "Bearer
<new token>"}}`` (an API key's socket: ``{"X-API-Key": "<key>"}`` or ``Authorization:
Bearer <key>``). Credentials of either form are checked the same way: they must name
the same caller (else 4403); invalid or revoked ones close 4401; a ping without them is
a plain ``pong``. The socket then answers ``pong`` and runs on, with every operation and
running feed under the new token's expiry: no reconnect, no lost event.

One caller (a user, an API key, or an anonymous client address) runs at most
:data:`MAX_OPERATIONS_PER_CALLER` operations at once on this process, across all its
sockets: each live subscription costs every event a message, so one caller opening
sockets without end could otherwise take the event loop from every tenant. An operation
over the limit gets an ``error`` message with code ``RATE_LIMITED``; the socket stays.

Every operation is also priced and spent from its caller's query-cost budget, as over
HTTP (:mod:`jogo.graphql.cost`): an operation over the maximum gets an ``error`` message
with code ``QUERY_TOO_COSTLY``, one over the budget an ``error`` message with code
``RATE_LIMITED`` (and ``retryAfter`` seconds in its ``extensions``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter
from collections.abc import Hashable
from datetime import timedelta
from typing import Any

from graphql.error import GraphQLError
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.litestar.controller import LitestarWebSocketAdapter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage,
    PingMessage,
    SubscribeMessage,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from jogo.graphql.context import Context
from jogo.graphql.live import SharedData, encode_json, next_message
from jogo.graphql.schemas import tenant_schema
from jogo.platform import registry
from jogo.platform.app.auth_http import (
    client_of,
    header_of,
    principal_from_headers,
    principal_of,
)
from jogo.platform.auth.revalidate import LiveCaller, recheck
from jogo.platform.errors import Forbidden, JogoError, Unauthenticated
from jogo.platform.memory import BurstTrimmer
from jogo.platform.notify import HUB
from jogo.platform.outage import describe, is_unavailable
from jogo.platform.settings import Settings
from jogo.platform.telemetry import set_current_tenant

INIT_TIMEOUT = timedelta(seconds=10)
MAX_SUBSCRIPTIONS = 20  # per socket (strawberry's own limit)
MAX_OPERATIONS_PER_CALLER = 50  # per caller, across its sockets, on this process
RATE_LIMITED = (
    "Terlalu banyak operasi berjalan untuk akun ini; tutup langganan lain dulu. /"
    " Too many operations are running for this caller; end some subscriptions first."
)
# Close codes when a caller is no longer valid (graphql-transport-ws and RFC 6455).
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013
REASON_BYTES = 123  # the most a close frame's reason may hold

log = logging.getLogger("jogo.ws")


class _View:
    """The slice of strawberry's view that its protocol handler calls."""

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except RecursionError:  # nested too deeply: strawberry closes with 4400
            raise json.JSONDecodeError("nested too deeply", str(data)[:20], 0) from None

    def encode_json(self, data: object) -> str:
        return encode_json(data)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        tenant = context.require_tenant()
        authorization, api_key = header_of(params, "authorization"), header_of(params, "x-api-key")
        if authorization is not None or api_key is not None:
            try:
                context.principal = await principal_from_headers(
                    authorization, api_key, context.settings
                )
            except JogoError:
                raise ConnectionRejectionError from None
        if not context.principal.belongs_to(tenant.id):
            raise ConnectionRejectionError
        if context.caller is not None:
            context.caller.update(context.principal)
        return UNSET


class _SocketAdapter(LitestarWebSocketAdapter):
    """strawberry's Litestar socket, which can also send text encoded already."""

    async def send_text(self, text: str) -> None:
        """Send one text message as is (a shared live payload: encoded once for all)."""
        try:
            await self.ws.send_data(data=text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


def _reason(prefix: str, message: str) -> str:
    text = f"{prefix}: {message}"
    return text.encode()[:REASON_BYTES].decode(errors="ignore")


# Operations running per caller on this process (see MAX_OPERATIONS_PER_CALLER).
_RUNNING: Counter[Hashable] = Counter()


def _caller(context: Context) -> Hashable:
    """Whose operations count together: a user or key by id, an anonymous caller by
    client address."""
    principal = context.principal
    if principal.id is not None:
        return (principal.kind, principal.id)
    return ("client", context.client)


def _finished(caller: Hashable) -> None:
    _RUNNING[caller] -= 1
    if _RUNNING[caller] <= 0:
        del _RUNNING[caller]


REFUSALS = frozenset({"RATE_LIMITED", "QUERY_TOO_COSTLY"})


def _refused(result: object) -> bool:
    """Whether an operation's first result is a refusal before execution (over its cost
    maximum, or its caller's budget spent: ``graphql/cost.py``), which the socket answers
    with an ``error`` message, not a ``next``."""
    errors = getattr(result, "errors", None) or ()
    return getattr(result, "data", None) is None and any(
        (e.extensions or {}).get("code") in REFUSALS for e in errors
    )


def _coded(error: GraphQLError) -> GraphQLError:
    """The error with ``extensions.code``: a document's own fault is INVALID_INPUT."""
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": "INVALID_INPUT"}
    return error


class _TenantSocket(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's handler, with the caller and tenant checked before every operation,
    re-checked at once when the caller is revoked, and renewed by a ``ping``."""

    async def handle_ping(self, message: PingMessage) -> None:
        """A ``ping`` whose payload carries credentials (``Authorization`` or
        ``X-API-Key``, any case, a user's token or an API key) renews the socket's
        caller: the same caller is renewed and answered ``pong``; another caller closes
        the socket with 4403; an invalid credential (or one that is not text) with 4401.
        A ping without credentials is a plain ``pong``."""
        payload = message.get("payload")
        if isinstance(payload, dict) and self.connection_acknowledged:
            given = {
                str(k).lower(): v
                for k, v in payload.items()
                if str(k).lower() in ("authorization", "x-api-key") and v is not None
            }
            if given and not await self._reauthenticate(given):
                return
        await super().handle_ping(message)

    async def _reauthenticate(self, given: dict[str, object]) -> bool:
        """Take fresh credentials for the same caller; close the socket and say False when
        they are not valid (4401) or name another caller (4403)."""
        current = self.context.principal
        try:
            if not all(isinstance(v, str) and v.strip() for v in given.values()):
                raise Unauthenticated("credentials in a ping payload are non-empty text")
            authorization, api_key = given.get("authorization"), given.get("x-api-key")
            assert authorization is None or isinstance(authorization, str)
            assert api_key is None or isinstance(api_key, str)
            fresh = await principal_from_headers(authorization, api_key, self.context.settings)
        except Unauthenticated as exc:
            await self.websocket.close(CLOSE_UNAUTHORIZED, _reason("Unauthorized", exc.message))
            return False
        except Exception as exc:
            if not (isinstance(exc, JogoError) or is_unavailable(exc)):
                raise
            await self.websocket.close(CLOSE_TRY_AGAIN, "Try again later: re-authentication")
            return False
        if (fresh.kind, fresh.id) != (current.kind, current.id):
            reason = "Forbidden: a socket keeps its caller; open a new socket for another"
            await self.websocket.close(CLOSE_FORBIDDEN, reason)
            return False
        self.context.principal = fresh
        return await self._recheck()

    def concerns(self, kind: str, principal_id: uuid.UUID) -> bool:
        """True when a revocation of ``kind`` (``user``, ``apikey`` or ``tenant``) for
        ``principal_id`` touches this socket: its caller, or its tenant."""
        if kind == "tenant":
            tenant = self.context.tenant
            return tenant is not None and tenant.id == principal_id
        principal = self.context.principal
        wanted = "api_key" if kind == "apikey" else kind
        return principal.kind == wanted and principal.id == principal_id

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged:
            if not await self._recheck():
                return
            caller = _caller(self.context)
            if _RUNNING[caller] >= MAX_OPERATIONS_PER_CALLER:
                error = GraphQLError(RATE_LIMITED, extensions={"code": "RATE_LIMITED"})
                refusal: ErrorMessage = {
                    "id": message["id"],
                    "type": "error",
                    "payload": [error.formatted],
                }
                await self.send_message(refusal)
                return
            before = self.operations.get(message["id"])
            await super().handle_subscribe(message)
            operation = self.operations.get(message["id"])
            if operation is not None and operation is not before and operation.task is not None:
                _RUNNING[caller] += 1
                operation.task.add_done_callback(lambda _task: _finished(caller))
            # Let the new operation's task start: it takes ``self.context`` and
            # ``self.schema`` as set for it before the next message can replace them.
            await asyncio.sleep(0)
            return
        await super().handle_subscribe(message)  # closes 4401: no connection_init yet

    async def handle_task_exception(self, error: Exception) -> None:
        """A client that hung up while its answer was being sent is not a fault of
        ours: one debug line, not an ERROR with a traceback per operation."""
        if isinstance(error, (OSError, WebSocketDisconnect)):  # uvicorn's ClientDisconnected
            log.debug("socket client went away mid-operation: %r", error)
            return
        await super().handle_task_exception(error)

    async def _send_result_stream(self, operation: Any, result_source: Any) -> None:
        """strawberry's loop over an operation's results, except that a document that
        can't run (a syntax error or a parser limit, which the parser cache raises, and
        any validation error) answers an ``error`` message with ``extensions.code``
        ``INVALID_INPUT``, as HTTP does, instead of a bare ``complete``."""
        first = True
        try:
            async for result in result_source:
                if first and (isinstance(result, PreExecutionError) or _refused(result)):
                    result.errors = [_coded(e) for e in result.errors or ()]
                    await self._handle_pre_execution_error(operation, result)
                    return
                if not isinstance(result, ExecutionResult):
                    await self._reject_incremental_delivery(operation)
                    return
                await self._send_next(operation, result)
                first = False
        except GraphQLError as error:
            if not first:
                raise
            await operation.send_initial_errors([_coded(error)])

    async def _send_next(
        self,
        operation: Operation[Context, None],
        result: ExecutionResult,
    ) -> None:
        """strawberry's ``next`` message; a shared live result (``graphql.live``) goes out
        as the text rendered for every subscriber alike, not encoded again per socket."""
        data = result.data
        if type(data) is not SharedData or result.errors or result.extensions:
            await operation.send_next(result)
            return
        if operation.completed:  # as Operation.send_operation_message
            return
        assert isinstance(self.websocket, _SocketAdapter)
        await self.websocket.send_text(next_message(operation.id, data))

    async def _recheck(self) -> bool:
        """Give the next operation a fresh context; close the socket and say False when
        the caller or the tenant is no longer valid."""
        current = self.context
        try:
            principal, tenant = await recheck(current.principal, current.require_tenant().id)
        except Unauthenticated as exc:
            await self.websocket.close(CLOSE_UNAUTHORIZED, _reason("Unauthorized", exc.message))
            return False
        except Forbidden as exc:
            await self.websocket.close(CLOSE_FORBIDDEN, _reason("Forbidden", exc.message))
            return False
        except Exception as exc:
            if not (isinstance(exc, JogoError) or is_unavailable(exc)):
                raise
            log.warning("could not re-check a socket's caller: %s", describe(exc))
            reason = "Try again later: a backing service is unavailable"
            await self.websocket.close(CLOSE_TRY_AGAIN, reason)
            return False
        # A new context per operation: current roles, current modules, own DataLoaders.
        self.context = Context(
            principal=principal,
            settings=current.settings,
            tenant=tenant,
            connection_params=current.connection_params,
            client=current.client,
            caller=current.caller,
        )
        if current.caller is not None:
            current.caller.update(principal)
        self.schema = tenant_schema(tenant.modules)
        return True


# The open sockets of this process, and the re-checks that revocations started.
_SOCKETS: set[_TenantSocket] = set()
_CHECKS: set[asyncio.Task[bool]] = set()
# Hundreds of screens leaving at once free much memory glibc would otherwise keep.
TRIMMER = BurstTrimmer()


def _on_revocation(kind: str, principal_id: uuid.UUID) -> None:
    """Re-check, now, every socket of this caller (or of this tenant) on this process."""
    if kind == "tenant":
        # The re-check reads the tenant through the registry's cache: drop its entry, or
        # this process would serve the old status for up to CACHE_SECONDS.
        registry.forget(principal_id)
    for socket in list(_SOCKETS):
        if socket.concerns(kind, principal_id):
            # At once, before any later event is handed out: the socket's re-check below
            # may take a while, and an event committed after the revocation must not
            # reach the feeds meanwhile (they re-check first).
            if socket.context.caller is not None:
                socket.context.caller.alarm()
            task = asyncio.ensure_future(socket._recheck())
            _CHECKS.add(task)
            task.add_done_callback(_checked)


def _checked(task: asyncio.Task[bool]) -> None:
    _CHECKS.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("re-checking a revoked caller's socket failed: %r", task.exception())


HUB.on_revocation(_on_revocation)


@websocket("/t/{slug:str}/graphql")
async def tenant_graphql_ws(socket: WebSocket[Any, Any, Any], slug: FromPath[str]) -> None:
    """``/t/{slug}/graphql`` over WebSocket (graphql-transport-ws): tenant subscriptions. Closes
    with 4404 for an unknown or suspended tenant or a caller of another tenant, 4401 for a bad
    token, 4406 without the subprotocol. Each operation on the socket is re-authorised as the same
    HTTP request would be (``LiveCaller``)."""
    settings: Settings = socket.app.state.settings
    tenant = await registry.find_by_slug(slug)
    if tenant is None or not tenant.active:
        await socket.close(code=4404, reason="Not found")
        return
    try:
        principal = await principal_of(socket.headers, settings)
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
    client = client_of(socket, settings)
    context = Context(
        principal=principal,
        settings=settings,
        tenant=tenant,
        client=client,
        caller=LiveCaller(principal),
    )
    handler = _TenantSocket(
        view=view,  # type: ignore[arg-type]
        websocket=_SocketAdapter(view, socket, socket),  # type: ignore[arg-type]
        context=context,
        root_value=None,
        schema=tenant_schema(tenant.modules),
        connection_init_wait_timeout=INIT_TIMEOUT,
        max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
    )
    _SOCKETS.add(handler)
    try:
        async with HUB.watching():
            await handler.handle()
    finally:
        _SOCKETS.discard(handler)
        TRIMMER.closed_one()
