"""``do_submit_report``: a citizen's (or an integrator's) report, in one transaction.

The reporter is a signed-in user, or anonymous with a PIN shown once and stored as an
argon2 hash. Photos are checked by content and stored before the transaction; if it
fails they are removed again, so nothing is left half-written.
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

from jogo.platform import db
from jogo.platform.auth.passwords import hash_secret
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import Forbidden, InvalidInput
from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo
from jogo.platform.storage import FileStore
from jogo.tenants.reports import events, sla
from jogo.tenants.reports.limits import ANONYMOUS_BY_CLIENT, per_tenant
from jogo.tenants.reports.photos import MAX_PER_REPORT, Photo, check_photo
from jogo.tenants.reports.queries import REPORT_COLUMNS
from jogo.tenants.reports.validation import ReportInput, clean

PIN_DIGITS = 8
DUPLICATE_RADIUS_M = 200
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


async def next_ticket(tenant: TenantInfo, now: datetime) -> str:
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
        raise Forbidden("this caller may not submit reports")


def _photos(raw: list[bytes]) -> list[Photo]:
    if len(raw) > MAX_PER_REPORT:
        raise InvalidInput(f"at most {MAX_PER_REPORT} photos per report", field="photos")
    return [check_photo(p) for p in raw]


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
) -> Submitted:
    """``client``: the caller's address; a caller who is not signed in is limited per
    address (:data:`~jogo.tenants.reports.limits.ANONYMOUS_BY_CLIENT`, ``RateLimited``)."""
    now = datetime.now(UTC)
    data = clean(data, now)
    _reporter(principal, data, tenant)
    if data.polling_station_code and "election" not in tenant.modules:
        raise InvalidInput(
            "this command does not run the election module", field="pollingStationCode"
        )
    photos = _photos(data.photos)
    if principal.is_anonymous:
        # Counted before the PIN's argon2 hash: a refused caller costs one statement.
        await ANONYMOUS_BY_CLIENT.hit(per_tenant(tenant.id, client))
    anonymous = data.anonymous or principal.is_anonymous
    pin = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}" if anonymous else None
    pin_hash = await anyio.to_thread.run_sync(hash_secret, pin) if pin else None
    report_id = uuid.uuid4()
    stored = [(uuid.uuid4(), p) for p in photos]
    keys = [f"{tenant.id}/{report_id}/{aid}.{p.extension}" for aid, p in stored]
    try:
        for key, (_, photo) in zip(keys, stored, strict=True):
            await store.put(key, photo.data)
        return await _insert(
            tenant,
            principal,
            data,
            now,
            report_id,
            pin,
            pin_hash,
            anonymous,
            stored,
            keys,
            on_insert,
        )
    except BaseException:
        for key in keys:
            await store.delete(key)
        raise


async def _polling_station(code: str | None) -> uuid.UUID | None:
    """Inside the report's transaction: the TPS a report is about, if it names one."""
    if code is None:
        return None
    rows = await db.fetch("SELECT id FROM polling_stations WHERE code = $1", code)
    if not rows:
        raise InvalidInput(f"there is no TPS {code} in this command", field="pollingStationCode")
    station_id: uuid.UUID = rows[0]["id"]
    return station_id


async def _insert(
    tenant: TenantInfo,
    principal: Principal,
    data: ReportInput,
    now: datetime,
    report_id: uuid.UUID,
    pin: str | None,
    pin_hash: str | None,
    anonymous: bool,
    stored: list[tuple[uuid.UUID, Photo]],
    keys: list[str],
    on_insert: OnInsert | None,
) -> Submitted:
    # An anonymous report names nobody, even when a signed-in user sent it.
    actor = events.ANONYMOUS if anonymous else events.actor_of(principal)
    async with db.tenant_tx(tenant.id):
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
        inserted = await db.fetch(
            f"""INSERT INTO reports AS r (tenant_id, id, ticket, category_id, title,
                 description, latitude, longitude, address, occurred_at, urgent, anonymous,
                 pin_hash, reporter_user_id, reporter_name, reporter_phone, submitted_by,
                 duplicate_of, verify_due_at, created_at, updated_at, sos, polling_station_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                       $16, $17, $18, $19, $20, $20, $21, $22)
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
            sla.verify_due(now, category, data.urgent, tenant.time_zone),
            now,
            data.sos,
            station,
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
        for (attachment_id, photo), key in zip(stored, keys, strict=True):
            await db.fetch(
                "INSERT INTO report_attachments (tenant_id, id, report_id, content_type,"
                " size_bytes, sha256, storage_key, uploaded_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                tenant.id,
                attachment_id,
                report_id,
                photo.content_type,
                len(photo.data),
                photo.sha256,
                key,
                actor[0],
            )
        if on_insert is not None:
            await on_insert(report_id)
    return Submitted(report_id, ticket, "SUBMITTED", pin, duplicate, dict(inserted[0]))
