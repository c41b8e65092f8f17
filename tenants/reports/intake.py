"""``do_submit_report``: a citizen's (or an integrator's) report, in one transaction.

The reporter is a signed-in user, or anonymous with a PIN shown once and stored as an
argon2 hash. Photos are cleaned (:mod:`jogo.platform.images`: decoded, upright, no
metadata, re-encoded) and stored before the transaction; if it fails they are removed
again, so nothing is left half-written.

With a client key (:mod:`jogo.platform.idempotency`) a retry gets the report of the first
try (same ticket, same PIN: :func:`~jogo.tenants.reports.retries.derived_pin`) and writes
nothing: no second report, outbox message or rate-limit hit.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import anyio

from jogo.platform import db, idempotency
from jogo.platform.auth.passwords import hash_secret
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.platform.idempotency import ClientKey
from jogo.platform.ratelimit import Hit
from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo
from jogo.platform.storage import FileStore
from jogo.tenants.reports import events, jurisdiction, retries, sla
from jogo.tenants.reports.calendar import load_calendar
from jogo.tenants.reports.limits import ANONYMOUS_BY_CLIENT, per_tenant
from jogo.tenants.reports.photos import MAX_PER_REPORT, Photo, check_photo
from jogo.tenants.reports.queries import REPORT_COLUMNS
from jogo.tenants.reports.retries import PIN_DIGITS
from jogo.tenants.reports.validation import ReportInput, clean

DUPLICATE_RADIUS_M = 200
# How a report reached us (reports.channel, migration 0025).
CHANNELS = ("API", "WEB", "WHATSAPP", "SMS", "OPEN311")
DUPLICATE_WINDOW = "2 hours"


@dataclass(frozen=True)
class Submitted:
    """The new report as committed. ``row`` holds the report's columns as the insert
    returned them (``queries.REPORT_COLUMNS``), so the answer needs no read after the
    commit: a read that failed there would make a client retry into a duplicate."""

    report_id: uuid.UUID
    ticket: str
    status: str
    pin: str | None
    duplicate_of: uuid.UUID | None
    row: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # A retry under a client key: this is the first try's report, nothing was written.
    replayed: bool = False

    @classmethod
    def of(cls, row: dict[str, Any], pin: str | None, *, replayed: bool) -> Submitted:
        """A :class:`Submitted` from the inserted (or, when ``replayed``, the earlier) report row
        and its PIN (shown once; None unless the report is anonymous)."""
        return cls(row["id"], row["ticket"], row["status"], pin, row["duplicate_of"], row, replayed)


async def next_ticket(tenant: TenantInfo, now: datetime) -> str:
    """The next ticket number of the tenant: ``<prefix>-<year>-<NNNNNN>``, the year of ``now`` in
    the tenant's zone (WIB, WITA or WIT), numbered per year from 000001. Inside the submitting
    transaction: the counter row is locked until it ends, so tickets never repeat."""
    year = now.astimezone(ZoneInfo(TIME_ZONES[tenant.time_zone])).year
    rows = await db.fetch(
        "INSERT INTO ticket_counters (tenant_id, year, last_value) VALUES ($1, $2, 1)"
        " ON CONFLICT (tenant_id, year)"
        " DO UPDATE SET last_value = ticket_counters.last_value + 1 RETURNING last_value",
        tenant.id,
        year,
    )
    return f"{tenant.ticket_prefix}-{year}-{rows[0]['last_value']:06d}"


async def find_duplicate(
    category_id: uuid.UUID, latitude: float, longitude: float
) -> uuid.UUID | None:
    """The nearest open report of the same category within 200 m, submitted in 2 h; when
    that one is itself a duplicate, the report it duplicates (chains stay one deep)."""
    rows = await db.fetch(
        f"""SELECT coalesce(duplicate_of, id) AS id FROM (
              SELECT id, duplicate_of, created_at, 2 * 6371000 * asin(sqrt(
                       power(sin(radians(latitude - $2) / 2), 2) +
                       cos(radians($2)) * cos(radians(latitude)) *
                       power(sin(radians(longitude - $3) / 2), 2))) AS metres
                FROM reports
               WHERE category_id = $1
                 AND status IN ('SUBMITTED', 'VERIFIED', 'DISPATCHED', 'IN_PROGRESS')
                 AND created_at >= now() - interval '{DUPLICATE_WINDOW}'
                 AND latitude BETWEEN $2 - 0.002 AND $2 + 0.002
                 AND longitude BETWEEN $3 - 0.002 AND $3 + 0.002) near
            WHERE metres <= $4
            ORDER BY metres, duplicate_of IS NOT NULL, created_at LIMIT 1""",
        category_id,
        latitude,
        longitude,
        DUPLICATE_RADIUS_M,
    )
    return rows[0]["id"] if rows else None


def _reporter(principal: Principal, data: ReportInput, tenant: TenantInfo) -> None:
    if principal.is_anonymous:
        if not data.anonymous:
            raise InvalidInput("sign in, or report anonymously", field="anonymous")
        return
    if Cap.REPORTS_SUBMIT not in principal.tenant_caps(tenant.id):
        raise denied(principal, "this caller may not submit reports")


async def _photos(raw: list[bytes]) -> list[Photo]:
    """The clean photos (metadata gone, re-encoded): only these are stored."""
    if len(raw) > MAX_PER_REPORT:
        raise InvalidInput(f"at most {MAX_PER_REPORT} photos per report", field="photos")
    return [await check_photo(p) for p in raw]


# Runs inside the report's transaction with the new report's id; raising undoes it all.
OnInsert = Callable[[uuid.UUID], Awaitable[None]]


async def do_submit_report(
    tenant: TenantInfo,
    principal: Principal,
    data: ReportInput,
    store: FileStore,
    on_insert: OnInsert | None = None,
    *,
    client: str | None = None,
    client_key: str | None = None,
    secret_key: str = "",
    channel: str = "API",
) -> Submitted:
    """``channel``: how the report reached us (``reports.channel``: ``API``, ``WEB``,
    ``WHATSAPP``, ``SMS`` or ``OPEN311``; else ``ValueError``).

    ``client``: the caller's address; a caller who is not signed in is limited per
    address (:data:`~jogo.tenants.reports.limits.ANONYMOUS_BY_CLIENT`, ``RateLimited``).

    ``client_key``: 16-100 characters of ``[A-Za-z0-9_-]`` (else ``InvalidInput`` on
    ``clientKey``); a retry with the same key and input returns the first try's report
    (``replayed``), other input is ``IdempotencyConflict``. ``secret_key``
    (``JOGO_SECRET_KEY``) derives the PIN of an anonymous report sent with a key."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown report channel {channel!r}")
    now = datetime.now(UTC)
    given_occurred_at = data.occurred_at
    idempotency.check_key(client_key)
    data = clean(data, now)
    _reporter(principal, data, tenant)
    if data.polling_station_code and "election" not in tenant.modules:
        raise InvalidInput(
            "this command does not run the election module", field="pollingStationCode"
        )
    photos = await _photos(data.photos)
    anonymous = data.anonymous or principal.is_anonymous
    key = idempotency.client_key(
        retries.operation_of(data),
        principal,
        client_key,
        retries.canonical(data, given_occurred_at, anonymous, photos),
    )
    pin = _pin(tenant, key, secret_key) if anonymous else None
    if key is not None:
        # A retry is answered before the limit counts it or a PIN is hashed.
        async with db.tenant_tx(tenant.id):
            earlier = await idempotency.recall(key)
            if earlier is not None:
                return await _replay(earlier, key, tenant, secret_key)
    hit: Hit | None = None
    if principal.is_anonymous:
        # Counted before the PIN's argon2 hash: a refused caller costs one statement.
        hit = await ANONYMOUS_BY_CLIENT.hit(per_tenant(tenant.id, client))
    pin_hash = await anyio.to_thread.run_sync(hash_secret, pin) if pin else None
    report_id = uuid.uuid4()
    stored = [(uuid.uuid4(), p) for p in photos]
    keys = [f"{tenant.id}/{report_id}/{aid}.{p.extension}" for aid, p in stored]
    try:
        for path, (_, photo) in zip(keys, stored, strict=True):
            await store.put(path, photo.data)
        done = await _insert(
            _Pending(
                tenant=tenant,
                principal=principal,
                data=data,
                now=now,
                report_id=report_id,
                pin=pin,
                pin_hash=pin_hash,
                anonymous=anonymous,
                stored=stored,
                keys=keys,
                on_insert=on_insert,
                key=key,
                secret_key=secret_key,
                channel=channel,
            )
        )
    except BaseException:
        for path in keys:
            await store.delete(path)
        raise
    if done.replayed:
        # A parallel duplicate made it first: this try leaves no trace.
        for path in keys:
            await store.delete(path)
        if hit is not None:
            await ANONYMOUS_BY_CLIENT.refund(hit)
    return done


def _pin(tenant: TenantInfo, key: ClientKey | None, secret_key: str) -> str:
    """An anonymous report's PIN: derived under a client key, so a retry can show it
    again (:func:`~jogo.tenants.reports.retries.derived_pin`), random otherwise."""
    if key is None:
        return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
    if not secret_key:
        raise ValueError("a report sent with a client key needs the secret key for its PIN")
    return retries.derived_pin(secret_key, tenant.id, key.scope, key.key)


async def _replay(
    report_id: uuid.UUID, key: ClientKey, tenant: TenantInfo, secret_key: str
) -> Submitted:
    """Inside the tenant's transaction: the first try's report, and its PIN again."""
    row = await retries.stored_report(report_id)
    pin = _pin(tenant, key, secret_key) if row["anonymous"] else None
    return Submitted.of(row, pin, replayed=True)


async def _polling_station(code: str | None) -> uuid.UUID | None:
    """Inside the report's transaction: the TPS a report is about, if it names one."""
    if code is None:
        return None
    rows = await db.fetch("SELECT id FROM polling_stations WHERE code = $1", code)
    if not rows:
        raise InvalidInput(f"there is no TPS {code} in this command", field="pollingStationCode")
    station_id: uuid.UUID = rows[0]["id"]
    return station_id


@dataclass(frozen=True)
class _Pending:
    """A checked submission on its way into the database (photos already stored)."""

    tenant: TenantInfo
    principal: Principal
    data: ReportInput  # cleaned (:func:`~jogo.tenants.reports.validation.clean`)
    now: datetime  # the submission time, UTC; the SLA clock starts here
    report_id: uuid.UUID
    pin: str | None  # shown once to an anonymous reporter
    pin_hash: str | None  # argon2 hash of ``pin``
    anonymous: bool
    stored: list[tuple[uuid.UUID, Photo]]  # (attachment id, cleaned photo)
    keys: list[str]  # storage key of each stored photo, in the same order
    on_insert: OnInsert | None
    key: ClientKey | None  # the client's idempotency key, if any
    secret_key: str  # JOGO_SECRET_KEY, derives a retried anonymous report's PIN
    channel: str = "API"  # reports.channel: how the report reached us


async def _insert(p: _Pending) -> Submitted:
    """One transaction: the report, its events and attachments, then ``on_insert``."""
    tenant, principal, data, now, report_id = p.tenant, p.principal, p.data, p.now, p.report_id
    pin, pin_hash, anonymous = p.pin, p.pin_hash, p.anonymous
    stored, keys, on_insert, key, secret_key = p.stored, p.keys, p.on_insert, p.key, p.secret_key
    # An anonymous report names nobody, even when a signed-in user sent it.
    actor = events.ANONYMOUS if anonymous else events.actor_of(principal)
    async with db.tenant_tx(tenant.id):
        if key is not None:
            # First, so a parallel duplicate waits here until this try commits (then it
            # answers with this report) or rolls back (then it makes the report).
            earlier = await idempotency.claim(tenant.id, key, report_id)
            if earlier is not None:
                return await _replay(earlier, key, tenant, secret_key)
        # The counter row lock serialises submissions per tenant, so the duplicate
        # check below sees every report committed before this one.
        ticket = await next_ticket(tenant, now)
        categories = await db.fetch(
            "SELECT * FROM report_categories WHERE code = $1 AND is_active", data.category_code
        )
        if not categories:
            raise InvalidInput(f"unknown category {data.category_code!r}", field="categoryCode")
        category = dict(categories[0])
        station = await _polling_station(data.polling_station_code)
        duplicate = await find_duplicate(category["id"], data.latitude, data.longitude)
        outside = await jurisdiction.outside(tenant.id, data.latitude, data.longitude)
        inserted = await db.fetch(
            f"""INSERT INTO reports AS r (tenant_id, id, ticket, category_id, title,
                 description, latitude, longitude, address, occurred_at, urgent, anonymous,
                 pin_hash, reporter_user_id, reporter_name, reporter_phone, submitted_by,
                 duplicate_of, verify_due_at, created_at, updated_at, sos, polling_station_id,
                 outside_jurisdiction, channel)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                       $16, $17, $18, $19, $20, $20, $21, $22, $23, $24)
               RETURNING {REPORT_COLUMNS}""",
            tenant.id,
            report_id,
            ticket,
            category["id"],
            data.title,
            data.description,
            data.latitude,
            data.longitude,
            data.address,
            data.occurred_at,
            data.urgent,
            anonymous,
            pin_hash,
            None if anonymous else actor[1],
            data.reporter_name,
            data.reporter_phone,
            actor[0],
            duplicate,
            sla.verify_due(now, category, data.urgent, await load_calendar(tenant)),
            now,
            data.sos,
            station,
            outside,
            p.channel,
        )
        await events.record(
            tenant.id,
            report_id,
            "SUBMITTED",
            public=True,
            actor=actor,
            to_status="SUBMITTED",
            data={"by_reporter": True},
        )
        if duplicate is not None:
            await events.record(
                tenant.id,
                report_id,
                "DUPLICATE_HINT",
                public=False,
                actor=events.SYSTEM,
                data={"duplicate_of": str(duplicate)},
            )
        for (attachment_id, photo), path in zip(stored, keys, strict=True):
            await db.fetch(
                "INSERT INTO report_attachments (tenant_id, id, report_id, content_type,"
                " size_bytes, sha256, storage_key, uploaded_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                tenant.id,
                attachment_id,
                report_id,
                photo.content_type,
                len(photo.data),
                photo.sha256,
                path,
                actor[0],
            )
        if on_insert is not None:
            await on_insert(report_id)
    return Submitted.of(dict(inserted[0]), pin, replayed=False)
