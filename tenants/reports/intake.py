"""``do_submit_report``: a citizen's (or an integrator's) report, in one transaction.

The reporter is a signed-in user, or anonymous with a PIN shown once and stored as its
keyed HMAC (:func:`~jogo.platform.auth.passwords.pin_hash`: microseconds, no memory; not
argon2, issue 18). Photos are cleaned (:mod:`jogo.platform.images`: decoded, upright, no
metadata, re-encoded) and stored before the transaction; if it fails they are removed
again, so nothing is left half-written.

With a client key (:mod:`jogo.platform.idempotency`) a retry gets the report of the first
try (same ticket, same PIN: :func:`~jogo.tenants.reports.retries.derived_pin`) and writes
nothing: no second report, outbox message or rate-limit hit.

The transaction takes the tenant's ticket counter last (issue 18): its reads (category,
polling station, jurisdiction, working calendar) are one statement, the SUBMITTED
announcements come before the counter, and after it one statement inserts the report with
its duplicate link, its events and its photos. Submissions of one command wait on each
other only for that statement and the commit (and ``on_insert``), not the whole
transaction.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jogo.platform import db, idempotency
from jogo.platform.auth.passwords import pin_hash as hash_pin
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.platform.idempotency import ClientKey
from jogo.platform.ratelimit import Hit, RateLimited
from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo
from jogo.platform.storage import FileStore
from jogo.tenants.consent.purposes import PURPOSES
from jogo.tenants.reports import events, jurisdiction, retries, sla
from jogo.tenants.reports.calendar import CALENDAR_COLUMNS, calendar_of
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
    transaction: the counter row is locked until it ends, so tickets never repeat and never
    skip (a transaction that rolls back takes its number back). Submissions of the tenant
    queue on that lock, so take it as late as possible: just before the report's insert."""
    year = now.astimezone(ZoneInfo(TIME_ZONES[tenant.time_zone])).year
    rows = await db.fetch(
        "INSERT INTO ticket_counters (tenant_id, year, last_value) VALUES ($1, $2, 1)"
        " ON CONFLICT (tenant_id, year)"
        " DO UPDATE SET last_value = ticket_counters.last_value + 1 RETURNING last_value",
        tenant.id,
        year,
    )
    return f"{tenant.ticket_prefix}-{year}-{rows[0]['last_value']:06d}"


# The report a new one at (``latitude``, ``longitude``) of category ``category_id`` (the
# columns of a CTE ``given``) duplicates: the nearest open report of the same category
# within 200 m, submitted in 2 h; when that one is itself a duplicate, the report it
# duplicates (chains stay one deep). One column ``id``, at most one row.
DUPLICATE_OF = f"""SELECT coalesce(near.duplicate_of, near.id) AS id FROM (
      SELECT r.id, r.duplicate_of, r.created_at, 2 * 6371000 * asin(sqrt(
               power(sin(radians(r.latitude - g.latitude) / 2), 2) +
               cos(radians(g.latitude)) * cos(radians(r.latitude)) *
               power(sin(radians(r.longitude - g.longitude) / 2), 2))) AS metres
        FROM reports r, given g
       WHERE r.category_id = g.category_id
         AND r.status IN ('SUBMITTED', 'VERIFIED', 'DISPATCHED', 'IN_PROGRESS')
         AND r.created_at >= now() - interval '{DUPLICATE_WINDOW}'
         AND r.latitude BETWEEN g.latitude - 0.002 AND g.latitude + 0.002
         AND r.longitude BETWEEN g.longitude - 0.002 AND g.longitude + 0.002) near
    WHERE near.metres <= {DUPLICATE_RADIUS_M}
    ORDER BY near.metres, near.duplicate_of IS NOT NULL, near.created_at LIMIT 1"""


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
    """A new report in ``tenant`` (see the module); the caller is ``principal``.

    ``channel``: how the report reached us (``reports.channel``: ``API``, ``WEB``,
    ``WHATSAPP``, ``SMS`` or ``OPEN311``; else ``ValueError``).

    ``client``: the caller's address; a caller who is not signed in is limited per
    address (:data:`~jogo.tenants.reports.limits.ANONYMOUS_BY_CLIENT`, ``RateLimited``).

    ``client_key``: 16-100 characters of ``[A-Za-z0-9_-]`` (else ``InvalidInput`` on
    ``clientKey``); a retry with the same key and input returns the first try's report
    (``replayed``), other input is ``IdempotencyConflict``. ``secret_key``
    (``JOGO_SECRET_KEY``) keys the stored PIN of an anonymous report and derives the PIN of
    one sent with a client key; an anonymous report without it is ``ValueError``."""
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
        # A retry is answered before the limit counts it or anything is stored.
        async with db.tenant_tx(tenant.id):
            earlier = await idempotency.recall(key)
            if earlier is not None:
                return await _replay(earlier, key, tenant, secret_key)
    hit: Hit | None = None
    if principal.is_anonymous:
        # Counted first: a refused caller costs one statement.
        try:
            hit = await ANONYMOUS_BY_CLIENT.hit(per_tenant(tenant.id, client))
        except RateLimited:
            # Parallel duplicates each count until the first commits: a refused one
            # answers with the report a try of its own key is storing, if any.
            in_flight = await _in_flight(tenant, key, secret_key) if key else None
            if in_flight is None:
                raise
            return in_flight
    report_id = uuid.uuid4()
    # The PIN's HMAC names the report (microseconds: no thread, no memory to speak of).
    pin_hash = hash_pin(secret_key, report_id, pin) if pin else None
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
                client=client,
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


class _NotInFlight(Exception):
    """No other try holds the key: the probing claim is rolled back."""


async def _in_flight(tenant: TenantInfo, key: ClientKey, secret_key: str) -> Submitted | None:
    """For a keyed try the rate limit refused: the report a parallel try under the same
    key stored (waiting for that try to commit or roll back, as ``idempotency.claim``
    does), or ``None`` when there is none (nothing is kept: the claim rolls back)."""
    try:
        async with db.tenant_tx(tenant.id):
            earlier = await idempotency.claim(tenant.id, key, uuid.uuid4())
            if earlier is not None:
                return await _replay(earlier, key, tenant, secret_key)
            raise _NotInFlight
    except _NotInFlight:
        return None


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


# Everything the report's row needs from the tenant's data, in one statement (see
# :func:`_context`): $1 category code, $2 polling station code (or NULL), $3 tenant id,
# $4 the jurisdiction version this process has prepared.
_CONTEXT = f"""SELECT c.id AS category_id, c.verify_working_days, c.urgent_verify_minutes,
      (SELECT s.id FROM polling_stations s WHERE s.code = $2) AS station_id,
      t.jurisdiction_version,
      CASE WHEN t.jurisdiction_version IS DISTINCT FROM $4 THEN t.jurisdiction END
        AS jurisdiction,
      {CALENDAR_COLUMNS}
  FROM (SELECT 1) AS one
  LEFT JOIN report_categories c ON c.code = $1 AND c.is_active
  LEFT JOIN tenants t ON t.id = $3"""


@dataclass(frozen=True)
class _Context:
    category: dict[str, Any]  # id, verify_working_days, urgent_verify_minutes
    station: uuid.UUID | None
    outside: bool  # outside the tenant's jurisdiction
    verify_due: datetime


async def _context(tenant: TenantInfo, data: ReportInput, now: datetime) -> _Context:
    """Inside the report's transaction: its category (active, else ``InvalidInput`` on
    ``categoryCode``), its TPS (unknown: ``InvalidInput`` on ``pollingStationCode``),
    whether it lies outside the jurisdiction and when it must be verified."""
    rows = await db.fetch(
        _CONTEXT,
        data.category_code,
        data.polling_station_code,
        tenant.id,
        jurisdiction.known_version(tenant.id),
    )
    row = rows[0]
    if row["category_id"] is None:
        raise InvalidInput(f"unknown category {data.category_code!r}", field="categoryCode")
    code = data.polling_station_code
    if code is not None and row["station_id"] is None:
        raise InvalidInput(f"there is no TPS {code} in this command", field="pollingStationCode")
    category = {
        "id": row["category_id"],
        "verify_working_days": row["verify_working_days"],
        "urgent_verify_minutes": row["urgent_verify_minutes"],
    }
    geometry = jurisdiction.geometry_at(tenant.id, row["jurisdiction_version"], row["jurisdiction"])
    calendar = calendar_of(tenant, row["leave_off"], row["extra_days"])
    return _Context(
        category=category,
        station=row["station_id"],
        outside=jurisdiction.is_outside(geometry, data.latitude, data.longitude),
        verify_due=sla.verify_due(now, category, data.urgent, calendar),
    )


# The report, its SUBMITTED event, its DUPLICATE_HINT event when it has a duplicate
# (DUPLICATE_OF) and its photos, in one statement that returns the report's columns and
# the hint's id (NULL: none). Run right after the ticket counter is taken: under READ
# COMMITTED this statement's snapshot then holds every report committed before, so two
# submissions near each other see each other whatever their timing.
_INSERT = f"""WITH given AS (
      SELECT $4::uuid AS category_id, $7::double precision AS latitude,
             $8::double precision AS longitude),
    duplicate AS ({DUPLICATE_OF}),
    report AS (
      INSERT INTO reports AS r (tenant_id, id, ticket, category_id, title, description,
             latitude, longitude, address, occurred_at, urgent, anonymous, pin_hash,
             reporter_user_id, reporter_name, reporter_phone, submitted_by, duplicate_of,
             verify_due_at, created_at, updated_at, sos, polling_station_id,
             outside_jurisdiction, channel, notice_version)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
              (SELECT id FROM duplicate), $18, $19, $19, $20, $21, $22, $23, $34)
      RETURNING {REPORT_COLUMNS}),
    seen AS (
      -- The notice the reporter saw, in the consent log under the report's lawful basis
      -- (tenants/consent): a signed-in reporter who is not anonymous only ($35 NULL
      -- otherwise). In this statement, so nothing more runs under the ticket counter.
      INSERT INTO consent_log (tenant_id, user_id, report_id, purpose, action,
             lawful_basis, notice_version, client)
      SELECT $1, $35::uuid, report.id, 'report', 'seen', $36, $34, $37
        FROM report WHERE $35::uuid IS NOT NULL),
    submitted AS (
      INSERT INTO report_events (tenant_id, id, report_id, kind, to_status, public,
             actor_id, actor_name, data)
      SELECT $1, $24, report.id, 'SUBMITTED', 'SUBMITTED', true, $25, $17, $26::jsonb
        FROM report
      RETURNING created_at),
    hint AS (
      -- just after SUBMITTED on the timeline, even within one clock tick
      INSERT INTO report_events (tenant_id, id, report_id, kind, public, actor_id,
             actor_name, data, created_at)
      SELECT $1, $27, $2, 'DUPLICATE_HINT', false, NULL, $28,
             jsonb_build_object('duplicate_of', duplicate.id::text),
             submitted.created_at + interval '1 microsecond'
        FROM duplicate, submitted
      RETURNING id),
    photos AS (
      INSERT INTO report_attachments (tenant_id, id, report_id, content_type, size_bytes,
             sha256, storage_key, uploaded_by)
      SELECT $1, a.id, $2, a.content_type, a.size_bytes, a.sha256, a.storage_key, $17
        FROM unnest($29::uuid[], $30::text[], $31::integer[], $32::text[], $33::text[])
             AS a (id, content_type, size_bytes, sha256, storage_key))
SELECT report.*, (SELECT id FROM hint) AS hint_id FROM report"""


@dataclass(frozen=True)
class _Pending:
    """A checked submission on its way into the database (photos already stored)."""

    tenant: TenantInfo
    principal: Principal
    data: ReportInput  # cleaned (:func:`~jogo.tenants.reports.validation.clean`)
    now: datetime  # the submission time, UTC; the SLA clock starts here
    report_id: uuid.UUID
    pin: str | None  # shown once to an anonymous reporter
    pin_hash: str | None  # ``pin`` as stored (passwords.pin_hash: its keyed HMAC)
    anonymous: bool
    stored: list[tuple[uuid.UUID, Photo]]  # (attachment id, cleaned photo)
    keys: list[str]  # storage key of each stored photo, in the same order
    on_insert: OnInsert | None
    key: ClientKey | None  # the client's idempotency key, if any
    client: str | None  # the caller's address (consent_log.client)
    secret_key: str  # JOGO_SECRET_KEY, derives a retried anonymous report's PIN
    channel: str = "API"  # reports.channel: how the report reached us


async def _insert(p: _Pending) -> Submitted:
    """One transaction: the report, its events and attachments, then ``on_insert``. The
    tenant's ticket counter is taken last, just before the statement that inserts them."""
    tenant, principal, data, now, report_id = p.tenant, p.principal, p.data, p.now, p.report_id
    anonymous, stored, keys, key = p.anonymous, p.stored, p.keys, p.key
    # An anonymous report names nobody, even when a signed-in user sent it.
    actor = events.ANONYMOUS if anonymous else events.actor_of(principal)
    submitted_id = uuid.uuid4()
    async with db.tenant_tx(tenant.id):
        if key is not None:
            # First, so a parallel duplicate waits here until this try commits (then it
            # answers with this report) or rolls back (then it makes the report).
            earlier = await idempotency.claim(tenant.id, key, report_id)
            if earlier is not None:
                return await _replay(earlier, key, tenant, p.secret_key)
        context = await _context(tenant, data, now)
        # What events.record does beside its insert (live feeds, national rollups), before
        # the counter: it all takes effect on commit, and a SUBMITTED event has no
        # reporter template that would read the report (tests/test_submit_speed.py).
        await events.announce(
            tenant.id,
            report_id,
            submitted_id,
            "SUBMITTED",
            public=True,
            actor=actor,
            to_status="SUBMITTED",
            webhook_types=(("SOS_RAISED",) if data.sos else ())
            + (("ELECTION_INCIDENT",) if context.station else ()),
        )
        # Taken last: other submissions of this command wait from here to the commit.
        ticket = await next_ticket(tenant, now)
        rows = await db.fetch(
            _INSERT,
            tenant.id,
            report_id,
            ticket,
            context.category["id"],
            data.title,
            data.description,
            data.latitude,
            data.longitude,
            data.address,
            data.occurred_at,
            data.urgent,
            anonymous,
            p.pin_hash,
            None if anonymous else actor[1],
            data.reporter_name,
            data.reporter_phone,
            actor[0],
            context.verify_due,
            now,
            data.sos,
            context.station,
            context.outside,
            p.channel,
            submitted_id,
            actor[1],
            json.dumps({"by_reporter": True}),
            uuid.uuid4(),
            events.SYSTEM[0],
            [attachment_id for attachment_id, _ in stored],
            [photo.content_type for _, photo in stored],
            [len(photo.data) for _, photo in stored],
            [photo.sha256 for _, photo in stored],
            keys,
            data.notice_version,
            None if anonymous or principal.kind != "user" else principal.id,
            PURPOSES["report"].basis,
            (p.client or "")[:64] or None,
        )
        inserted = dict(rows[0])
        hint_id = inserted.pop("hint_id")
        if hint_id is not None:
            await events.announce(
                tenant.id, report_id, hint_id, "DUPLICATE_HINT", public=False, actor=events.SYSTEM
            )
        if p.on_insert is not None:
            await p.on_insert(report_id)
    return Submitted.of(inserted, p.pin, replayed=False)
