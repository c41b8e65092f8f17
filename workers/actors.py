"""Dramatiq actors. Import after :func:`jogo.workers.broker.make_broker`: actors bind to
the global broker when they are declared.

Actor bodies are coroutines run on the worker's event loop thread (Dramatiq's AsyncIO
middleware), inside a copy of the worker thread's context, where the tenant-and-trace
middleware has restored the message's tenant and trace.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import dramatiq
import httpx
from dramatiq.asyncio import get_event_loop_thread
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from jogo.platform import db
from jogo.platform.crypto import SecretUnreadable, decrypt
from jogo.platform.outage import describe, is_unavailable
from jogo.platform.registry import TenantInfo, find_by_id
from jogo.platform.settings import Settings, load_settings
from jogo.platform.telemetry import TENANT_ATTRIBUTE, current_tenant_slug, meter
from jogo.tenants.agencies import answers, delivery
from jogo.tenants.notifications import delivery as notices
from jogo.tenants.webhooks import delivery as hooks
from jogo.workers.broker import Outage
from jogo.workers.connectors import event_webhook, mail, open311, sms, webhook, webpush, whatsapp
from jogo.workers.connectors.base import AddressGone, DeliveryFailed, egress_client, within
from jogo.workers.middleware import MissingTenant, message_tenant

log = logging.getLogger("jogo.workers")
tracer = trace.get_tracer("jogo.workers")
deliveries = meter().create_counter(
    "jogo.dispatch.deliveries", description="Delivery attempts by outcome"
)
notifications_sent = meter().create_counter(
    "jogo.notification.deliveries", description="Notification attempts by channel and outcome"
)
webhooks_sent = meter().create_counter(
    "jogo.webhook.deliveries", description="Event webhook attempts by outcome"
)
# Read at import for the queue name (actors are declared then); configure() may replace
# the rest (secret key, public URL, egress rule) with the process's validated settings.
SETTINGS = load_settings()
_client: httpx.AsyncClient | None = None


def configure(settings: Settings) -> None:
    """Replace the settings the actors use (secret key, public URL, egress rule) with the process's
    validated ones; the queue name was fixed at import."""
    global SETTINGS
    SETTINGS = settings


def _http() -> httpx.AsyncClient:
    global _client
    if _client is None or _client.is_closed:
        # Every connection is checked against the egress rule where it is made.
        _client = egress_client(lambda: SETTINGS.allow_private_egress)
    return _client


async def _in_context(ctx: contextvars.Context, coro: Awaitable[Any]) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.create_task(coro, context=ctx)  # type: ignore[arg-type]


def jogo_actor(fn: Callable[..., Awaitable[Any]] | None = None, **options: Any) -> Any:
    """Declare an async actor that runs in the message's tenant and trace context.
    A failure because the database (or another backing service) is away becomes
    :class:`~jogo.workers.broker.Outage`: retried on its own budget, not dead-lettered."""

    def wrap(body: Callable[..., Awaitable[Any]]) -> Any:
        @functools.wraps(body)
        def entry(*args: Any, **kwargs: Any) -> None:
            thread = get_event_loop_thread()
            if thread is None:
                raise RuntimeError("the AsyncIO middleware is not running")
            ctx = contextvars.copy_context()
            try:
                outcome = thread.run_coroutine(_in_context(ctx, body(*args, **kwargs)))
            except Exception as exc:
                if is_unavailable(exc):
                    # Not this message's fault: retried on the outage budget, quietly.
                    raise Outage(describe(exc)) from exc
                raise
            log.debug("%s: %s", body.__name__, outcome)

        declare = dramatiq.actor(
            actor_name=body.__name__, queue_name=SETTINGS.queue_name, **options
        )
        return declare(entry)

    return wrap(fn) if fn is not None else wrap


async def _tenant() -> TenantInfo | None:
    tenant_id = message_tenant.get()
    if tenant_id is None:
        raise MissingTenant("this actor needs a tenant")
    tenant = await find_by_id(tenant_id)
    return tenant if tenant is not None and tenant.active else None


@jogo_actor(max_retries=3, time_limit=120_000)
async def deliver_dispatch(dispatch_id: str, attempt: int) -> str:
    """Deliver attempt ``attempt`` of a dispatch (id as text) to its agency, by webhook (signed
    JSON) or Open311, in the message's tenant: lease, call the agency outside any transaction,
    record. Returns the outcome (``delivered``, ``failed``, ``dead``, ``busy``, ``skipped``,
    ``stale``, or ``no-tenant`` for an unknown or suspended tenant) and counts it in
    ``jogo.dispatch.deliveries``. Agency failures are retried through the outbox, not by Dramatiq; a
    missing tenant in the message raises ``MissingTenant``."""
    tenant = await _tenant()
    if tenant is None:
        return "no-tenant"
    with tracer.start_as_current_span(
        "deliver_dispatch",
        kind=SpanKind.CONSUMER,
        attributes={
            TENANT_ATTRIBUTE: current_tenant_slug.get() or tenant.slug,
            "jogo.dispatch_id": dispatch_id,
            "jogo.attempt": attempt,
        },
    ) as span:
        outcome = await _deliver(tenant, uuid.UUID(dispatch_id), attempt)
        span.set_attribute("jogo.outcome", outcome)
    deliveries.add(1, {"outcome": outcome})
    return outcome


async def _deliver(tenant: TenantInfo, dispatch_id: uuid.UUID, attempt: int) -> str:
    # 1. Lease the dispatch in a short transaction.
    async with db.tenant_tx(tenant.id):
        job = await delivery.lease(dispatch_id, attempt)
        if isinstance(job, delivery.Busy):
            # Another delivery is under way (or its worker died): look again when its
            # lease ends, durably, through the outbox.
            await delivery.enqueue_attempt(tenant.id, dispatch_id, attempt, job.until)
            return "busy"
    if job is None:
        return "skipped"
    # 2. Call the agency holding no lock and no connection.
    error: str | None = None
    ref: str | None = None
    try:
        secret = (
            decrypt(job.agency["secret_enc"], SETTINGS.secret_key)
            if job.agency["secret_enc"]
            else ""
        )
        payload = delivery.delivery_payload(job, tenant.slug, SETTINGS.public_url)
        # One deadline for the whole call (the agency's timeout; its lease adds a margin):
        # a server that trickles bytes must not hold it past the lease and be sent twice.
        deadline = float(job.agency["timeout_seconds"])
        if job.agency["connector"] == "open311":
            ref = await within(deadline, open311.deliver(_http(), job, payload, secret))
        else:
            await within(deadline, webhook.deliver(_http(), job, payload, secret))
    except DeliveryFailed as exc:
        error = str(exc)
    except Exception as exc:  # our own failure still counts the attempt: never stuck
        log.exception("delivery of %s crashed", dispatch_id)
        error = f"internal error ({type(exc).__name__})"
    # 3. Record what happened.
    async with db.tenant_tx(tenant.id):
        if error is None:
            await delivery.record_success(job, ref)
            return "delivered"
        return await delivery.record_failure(job, error, tenant.id)


@jogo_actor(max_retries=3, time_limit=120_000)
async def deliver_notification(notification_id: str, attempt: int) -> str:
    """Send attempt ``attempt`` (1-based) of a notification (id as text) through the
    command's gateway of its channel (WhatsApp Cloud API, HTTP SMS gateway, SMTP, Web
    Push), in the message's tenant: lease, call the gateway outside any transaction,
    record. Returns the outcome (``sent``, ``failed``, ``dead``, ``busy``, ``skipped``,
    ``stale``, or ``no-tenant`` for an unknown or suspended tenant) and counts it in
    ``jogo.notification.deliveries``. Gateway failures are retried through the outbox
    with backoff, not by Dramatiq; a missing tenant in the message raises
    ``MissingTenant``."""
    tenant = await _tenant()
    if tenant is None:
        return "no-tenant"
    with tracer.start_as_current_span(
        "deliver_notification",
        kind=SpanKind.CONSUMER,
        attributes={
            TENANT_ATTRIBUTE: current_tenant_slug.get() or tenant.slug,
            "jogo.notification_id": notification_id,
            "jogo.attempt": attempt,
        },
    ) as span:
        outcome, channel = await _notify(tenant, uuid.UUID(notification_id), attempt)
        span.set_attribute("jogo.outcome", outcome)
    notifications_sent.add(1, {"outcome": outcome, "channel": channel})
    return outcome


async def _notify(tenant: TenantInfo, notification_id: uuid.UUID, attempt: int) -> tuple[str, str]:
    # 1. Lease the notification in a short transaction.
    async with db.tenant_tx(tenant.id):
        job = await notices.lease(notification_id, attempt)
        if isinstance(job, notices.Busy):
            await notices.enqueue_attempt(tenant.id, notification_id, attempt, job.until)
            return "busy", "-"
    if job is None:
        return "skipped", "-"
    channel = job.notification["channel"]
    # 2. Call the gateway holding no lock and no connection.
    error: str | None = None
    gone = False
    try:
        await _send_notification(job, tenant)
    except AddressGone as exc:
        error, gone = str(exc), True
    except DeliveryFailed as exc:
        error = str(exc)
    except Exception as exc:  # our own failure still counts the attempt: never stuck
        log.exception("notification %s crashed", notification_id)
        error = f"internal error ({type(exc).__name__})"
    # 3. Record what happened.
    async with db.tenant_tx(tenant.id):
        if error is None:
            await notices.record_success(job)
            return "sent", channel
        if gone:
            await notices.forget_address(job)
        return await notices.record_failure(job, error, tenant.id, permanent=gone), channel


async def _send_notification(job: notices.Job, tenant: TenantInfo) -> None:
    """One gateway call for a leased notification; :class:`DeliveryFailed` on failure."""
    channel, gateway = job.notification["channel"], job.gateway
    if gateway is None:
        raise DeliveryFailed(f"no enabled {channel} gateway")
    try:
        secret = (
            decrypt(gateway["secret_enc"], SETTINGS.secret_key) if gateway["secret_enc"] else ""
        )
    except SecretUnreadable:
        raise DeliveryFailed("the gateway's secret cannot be read; set it again") from None
    config, address = gateway["config"], job.notification["address"]
    message = notices.compose(job, tenant, SETTINGS.public_url)
    seconds = notices.SEND_TIMEOUT_SECONDS
    # HTTP gateways get a deadline for the whole call (``within``); SMTP bounds each
    # socket operation in its thread.
    if channel == "WHATSAPP":
        await within(
            seconds, whatsapp.send(_http(), config, secret, address, message.text, seconds)
        )
    elif channel == "SMS":
        await within(
            seconds,
            sms.send(
                _http(), config, secret, address, message.text, key=str(job.id), seconds=seconds
            ),
        )
    elif channel == "EMAIL":
        sender_domain = str(config.get("sender") or "").rpartition("@")[2] or "localhost"
        await mail.send(
            config,
            secret,
            address,
            f"{message.title}: {job.ticket}" if job.ticket else message.title,
            message.text,
            message_id=f"<{job.id}@{sender_domain}>",
            allow_private=SETTINGS.allow_private_egress,
            seconds=seconds,
        )
    else:
        payload = {
            "title": message.title,
            "body": message.text,
            "url": message.url,
            "ticket": job.ticket,
        }
        await within(
            seconds, webpush.send(_http(), config, secret, address, payload, seconds=seconds)
        )


@jogo_actor(max_retries=3, time_limit=60_000)
async def deliver_webhook(delivery_id: str, attempt: int) -> str:
    """Send one attempt of an event webhook delivery (id as text; ``attempt``: its
    ``attempts`` when the attempt was scheduled) to the subscriber, signed by Standard
    Webhooks, in the message's tenant: lease, POST outside any transaction (at most the
    subscription's timeout, 1-30 s), record. Returns the outcome (``delivered``, ``failed``,
    ``dead``, ``busy``, ``skipped``, ``stale``, or ``no-tenant``) and counts it in
    ``jogo.webhook.deliveries``. Failures are retried through the outbox with backoff (2 s
    doubling, at most 5 min), not by Dramatiq; the time limit stays far below RabbitMQ's
    consumer_timeout."""
    tenant = await _tenant()
    if tenant is None:
        return "no-tenant"
    with tracer.start_as_current_span(
        "deliver_webhook",
        kind=SpanKind.CONSUMER,
        attributes={
            TENANT_ATTRIBUTE: current_tenant_slug.get() or tenant.slug,
            "jogo.webhook_delivery_id": delivery_id,
            "jogo.attempt": attempt,
        },
    ) as span:
        outcome = await _hook(tenant, uuid.UUID(delivery_id), attempt)
        span.set_attribute("jogo.outcome", outcome)
    webhooks_sent.add(1, {"outcome": outcome})
    return outcome


async def _hook(tenant: TenantInfo, delivery_id: uuid.UUID, attempt: int) -> str:
    async with db.tenant_tx(tenant.id):
        job = await hooks.lease(tenant, delivery_id, attempt)
        if isinstance(job, hooks.Busy):
            await hooks.enqueue_attempt(tenant.id, delivery_id, attempt, job.until)
            return "busy"
    if job is None:
        return "skipped"
    error: str | None = None
    gone = False
    try:
        secrets = hooks.signing_secrets(job.subscription, SETTINGS.secret_key)
        deadline = float(job.subscription["timeout_seconds"])
        await within(deadline, event_webhook.deliver(_http(), job, secrets))
    except SecretUnreadable:
        error = "the subscription's secret cannot be read; rotate it"
    except AddressGone as exc:
        error, gone = str(exc), True
    except DeliveryFailed as exc:
        error = str(exc)
    except Exception as exc:  # our own failure still counts the attempt: never stuck
        log.exception("webhook delivery %s crashed", delivery_id)
        error = f"internal error ({type(exc).__name__})"
    async with db.tenant_tx(tenant.id):
        if error is None:
            await hooks.record_success(job)
            return "delivered"
        return await hooks.record_failure(job, error, tenant.id, gone=gone)


@jogo_actor(max_retries=1, time_limit=300_000)
async def sweep_report_slas() -> str:
    """The scheduler's SLA job for one tenant; also re-sends dispatches and
    notifications whose message was lost."""
    from jogo.tenants.reports.sla_sweep import do_sweep_report_slas

    tenant = await _tenant()
    if tenant is None:
        return "skipped"
    result = await do_sweep_report_slas(tenant)
    stalled = await delivery.do_requeue_stalled(tenant)
    stalled += await notices.do_requeue_stalled(tenant)
    stalled += await hooks.do_requeue_stalled(tenant)
    return f"{result.verify_breaches}/{result.followup_breaches}/{result.auto_closed}/{stalled}"


@jogo_actor(max_retries=1, time_limit=120_000)
async def sweep_breach_clocks() -> str:
    """The scheduler's breach job for one tenant: record and announce each escalation of a
    running UU PDP clock once (``tenants/breaches/sweep.py``). Returns
    ``<escalations>/<messages>``, or ``skipped`` for an unknown or suspended tenant."""
    from jogo.tenants.breaches.sweep import do_sweep_breach_clocks

    tenant = await _tenant()
    if tenant is None:
        return "skipped"
    result = await do_sweep_breach_clocks(tenant)
    return f"{result.escalations}/{result.messages}"


@jogo_actor(max_retries=1, time_limit=300_000)
async def poll_hospital_capacity() -> str:
    """Each hospital's emergency beds, fetched outside any transaction, stored in one."""
    from jogo.tenants.facilities import actions as facilities
    from jogo.tenants.facilities import queries as places
    from jogo.workers.connectors.fhir import fetch_capacity

    tenant = await _tenant()
    if tenant is None:
        return "skipped"
    sources = await places.capacity_sources(tenant.id)

    async def one(source: dict[str, Any]) -> tuple[Any, Any, str | None]:
        try:
            seen = await fetch_capacity(_http(), source["capacity_url"], source["capacity_format"])
            return source["id"], seen, None
        except Exception as exc:  # one hospital's bad feed must not stop the others
            return source["id"], None, str(exc) or type(exc).__name__

    results = await asyncio.gather(*[one(s) for s in sources])
    async with db.tenant_tx(tenant.id):
        for agency_id, seen, error in results:
            await facilities.record_capacity(agency_id, seen, error)
    return f"{sum(1 for r in results if r[1] is not None)}/{len(results)}"


@jogo_actor(max_retries=1, time_limit=300_000)
async def check_cameras() -> str:
    """Check every active camera of the tenant with a snapshot URL (GET, 5 s timeout, all at once)
    and record each as ONLINE or OFFLINE in one tenant transaction. Returns ``<online>/<checked>
    online``, or ``skipped`` for an unknown or suspended tenant."""
    from jogo.tenants.facilities import actions as facilities
    from jogo.tenants.facilities import queries as places
    from jogo.workers.connectors.cctv import snapshot_ok

    tenant = await _tenant()
    if tenant is None:
        return "skipped"
    cameras = await places.snapshot_sources(tenant.id)

    async def one(url: str) -> tuple[bool, str | None]:
        return await snapshot_ok(_http(), url)

    checks = await asyncio.gather(*[one(c["snapshot_url"]) for c in cameras])
    async with db.tenant_tx(tenant.id):
        for camera, (online, error) in zip(cameras, checks, strict=True):
            await facilities.record_camera_check(camera["id"], online, error)
    return f"{sum(1 for ok, _ in checks if ok)}/{len(cameras)} online"


@jogo_actor(max_retries=1, time_limit=300_000)
async def poll_open311() -> str:
    """Ask Open311 agencies how their requests are going; apply what changed."""
    tenant = await _tenant()
    if tenant is None:
        return "skipped"
    pending = await answers.open311_to_poll(tenant.id)

    async def one(d: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
        try:
            request = await open311.fetch_request(
                _http(), d["endpoint_url"], d["external_ref"], d["jurisdiction_id"]
            )
            return d["id"], request
        except DeliveryFailed as exc:
            log.info("Open311 status of %s unavailable: %s", d["id"], exc)
            return d["id"], None

    answered = await asyncio.gather(*[one(d) for d in pending])
    changed = 0
    async with db.tenant_tx(tenant.id):
        for dispatch_id, request in answered:
            if request is not None:
                changed += await answers.apply_open311_request(tenant, dispatch_id, request)
    return f"{changed}/{len(pending)} changed"


@jogo_actor(max_retries=3, time_limit=60_000)
async def rollup_report(report_id: str) -> str:
    """Bring one report's share of the national rollups up to date (idempotent)."""
    from jogo.tenants.oversight.rollups import do_apply_report

    # A suspended tenant's reports still count nationally: no active check here.
    tenant_id = message_tenant.get()
    tenant = await find_by_id(tenant_id) if tenant_id else None
    if tenant is None:
        return "skipped"
    changed = await do_apply_report(tenant, uuid.UUID(report_id))
    return "changed" if changed else "unchanged"


@jogo_actor(max_retries=1, time_limit=600_000)
async def rebuild_rollups() -> str:
    """The reconcile job: recompute one tenant's rollups from its report rows."""
    from jogo.tenants.oversight.rollups import do_rebuild_tenant

    tenant = await _tenant()
    if tenant is None:
        return "skipped"
    return f"{await do_rebuild_tenant(tenant)} reports"


@jogo_actor(max_retries=1, time_limit=300_000)
async def apply_retention(as_of: str | None = None) -> str:
    """The daily retention job for one tenant (tenants/privacy/retention.py): personal
    data past its category's days goes, reports under a legal hold stay. ``as_of``: an
    ISO 8601 time to apply the rules at (tests and back-dated runs); default now."""
    from jogo.platform.storage import FileStore
    from jogo.tenants.privacy.retention import do_run_retention

    tenant = await _tenant()
    if tenant is None:
        return "skipped"
    now = datetime.fromisoformat(as_of) if as_of else None
    store = FileStore(SETTINGS.data_dir / "attachments")
    counts = await do_run_retention(tenant.id, store, now)
    return f"{counts['identities']}/{counts['photo_reports']}/{counts['notifications']}"
