"""The plain handler that ``bench.read_write`` measures the product against: Litestar and
an asyncpg pool, nothing else.

It serves one tenant's reports with the SQL shape the product should need at best. Each
request authenticates with the product's own HS256 token and the product's one user and
membership statement, then runs one transaction: BEGIN, the tenant setting,
one data statement, COMMIT. It connects as the product's app role (``jogo_app``, no
BYPASSRLS), so row-level security applies. Answers are msgspec JSON with the field
names of the product's GraphQL answers, inside the same ``{"data": ...}`` envelope.

    GET  /t/{slug}/reports        50 newest reports: category, officer, last event and
                                  the agency of the latest dispatch (operator token)
    GET  /t/{slug}/reports/{id}   one report with its timeline, photos and dispatches
    POST /t/{slug}/reports        submit (body: SubmitReportInput's fields). With a
                                  Bearer token the report is the user's; without one it
                                  is anonymous, limited per client address, with an
                                  8-digit PIN kept as HMAC-SHA256

Configured by environment (``bench.read_write`` sets it): ``PLAIN_DSN`` (the app role's
URL), ``PLAIN_SECRET`` (``JOGO_SECRET_KEY``), ``PLAIN_TENANT_ID``, ``PLAIN_TICKET_PREFIX``,
``PLAIN_UTC_OFFSET`` (the tenant's hours from UTC, for the ticket year) and
``PLAIN_POOL_SIZE`` (default 10, the product's default). Run it as one uvicorn worker:

    uvicorn bench.plain_app:create_app --factory --workers 1
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import jwt
import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.exceptions import HTTPException

# The product's token rules (jogo.platform.auth.tokens), restated: this app imports
# nothing of the product.
ISSUER = "jogo"
AUDIENCE = "jogo-api"
PIN_DIGITS = 8
ANONYMOUS_NAME = "pelapor anonim"
PAGE = 50
# The product's message labels of timeline entries (Bahasa Indonesia).
LABELS = {
    "SUBMITTED": "Laporan diterima",
    "STATUS": "Status laporan berubah",
    "NOTE": "Catatan",
    "ASSIGNMENT": "Laporan ditugaskan",
    "DISPATCH": "Diteruskan ke instansi",
    "DUPLICATE_HINT": "Kemungkinan laporan ganda",
    "SLA_BREACH": "Melewati batas waktu layanan",
    "ATTACHMENT": "Foto ditambahkan",
}

# --- SQL -------------------------------------------------------------------------------

# The product's statement (jogo.platform.auth.users.load_user_principal).
AUTH_SQL = """SELECT u.username, u.is_active, m.tenant, m.role, m.polda_code,
 (SELECT s.revoked_at IS NULL AND s.expires_at > now() AND s.idle_until > now()
  FROM auth_sessions s WHERE s.id = $2 AND s.user_id = u.id) AS session_live
 FROM users u LEFT JOIN memberships m ON m.user_id = u.id WHERE u.id = $1"""

BEGIN_SQL = (
    "SELECT set_config('app.tenant_id', $1, true),"
    " set_config('app.tenant_at', transaction_timestamp()::text, true)"
)

LIST_SQL = f"""
SELECT r.id, r.ticket, r.title, r.status, r.created_at,
       c.code AS category_code, c.name_id AS category_name_id,
       u.username AS officer,
       e.kind AS event_kind, e.created_at AS event_at,
       d.agency_name
  FROM reports r
  JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id
  LEFT JOIN users u ON u.id = r.assigned_officer_id
  LEFT JOIN LATERAL (
       SELECT ev.kind, ev.created_at FROM report_events ev
        WHERE ev.tenant_id = r.tenant_id AND ev.report_id = r.id
        ORDER BY ev.created_at DESC, ev.id DESC LIMIT 1) e ON true
  LEFT JOIN LATERAL (
       SELECT a.name AS agency_name FROM dispatches dp
         JOIN agencies a ON a.tenant_id = dp.tenant_id AND a.id = dp.agency_id
        WHERE dp.tenant_id = r.tenant_id AND dp.report_id = r.id
        ORDER BY dp.created_at DESC, dp.id DESC LIMIT 1) d ON true
 ORDER BY r.created_at DESC, r.id DESC
 LIMIT {PAGE}"""

DETAIL_SQL = """
SELECT r.id, r.ticket, r.title, r.description, r.status,
       c.code AS category_code, c.name_id AS category_name_id,
       (SELECT coalesce(json_agg(json_build_object('kind', ev.kind, 'createdAt', ev.created_at)
                                 ORDER BY ev.created_at, ev.id), '[]')
          FROM report_events ev
         WHERE ev.tenant_id = r.tenant_id AND ev.report_id = r.id) AS timeline,
       (SELECT coalesce(json_agg(at.id ORDER BY at.created_at, at.id), '[]')
          FROM report_attachments at
         WHERE at.tenant_id = r.tenant_id AND at.report_id = r.id) AS attachments,
       (SELECT coalesce(json_agg(json_build_object('agencyName', a.name, 'status', dp.status,
                                                   'createdAt', dp.created_at)
                                 ORDER BY dp.created_at, dp.id), '[]')
          FROM dispatches dp
          JOIN agencies a ON a.tenant_id = dp.tenant_id AND a.id = dp.agency_id
         WHERE dp.tenant_id = r.tenant_id AND dp.report_id = r.id) AS dispatches
  FROM reports r
  JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id
 WHERE r.id = $1"""

# One statement for what submitReport writes: the ticket counter (taken in the same
# statement, so its row lock lasts only until the COMMIT that follows), the duplicate
# hint, the report, its SUBMITTED event, the rollup's outbox message and the live feed.
SUBMIT_SQL = """
WITH cat AS (
    SELECT id, verify_working_days FROM report_categories WHERE code = $4::text AND is_active
), dup AS (
    SELECT coalesce(r.duplicate_of, r.id) AS id FROM reports r, cat
     WHERE r.category_id = cat.id
       AND r.status IN ('SUBMITTED', 'VERIFIED', 'DISPATCHED', 'IN_PROGRESS')
       AND r.created_at >= now() - interval '2 hours'
       AND r.latitude BETWEEN $7::float8 - 0.002 AND $7::float8 + 0.002
       AND r.longitude BETWEEN $8::float8 - 0.002 AND $8::float8 + 0.002
     ORDER BY r.created_at LIMIT 1
), counter AS (
    INSERT INTO ticket_counters (tenant_id, year, last_value)
    SELECT $1::uuid, $3::int, 1 FROM cat
    ON CONFLICT (tenant_id, year) DO UPDATE SET last_value = ticket_counters.last_value + 1
    RETURNING last_value
), rep AS (
    INSERT INTO reports (tenant_id, id, ticket, category_id, title, description, latitude,
                         longitude, occurred_at, anonymous, pin_hash, reporter_user_id,
                         submitted_by, duplicate_of, verify_due_at, created_at, updated_at)
    SELECT $1::uuid, $2::uuid,
           $9::text || '-' || $3::int || '-' || lpad(counter.last_value::text, 6, '0'),
           cat.id, $5::text, $6::text, $7::float8, $8::float8, now(), $10::bool, $11::text,
           $12::uuid, $13::text, (SELECT id FROM dup),
           now() + make_interval(days => cat.verify_working_days), now(), now()
      FROM cat, counter
    RETURNING tenant_id, id, ticket
), ev AS (
    INSERT INTO report_events (tenant_id, report_id, kind, to_status, public, actor_id,
                               actor_name, data)
    SELECT rep.tenant_id, rep.id, 'SUBMITTED', 'SUBMITTED', true, $12::uuid, $13::text,
           '{"by_reporter": true}'
      FROM rep
    RETURNING id
), box AS (
    INSERT INTO outbox (tenant, actor, payload)
    SELECT rep.tenant_id, 'rollup_report', jsonb_build_object('report_id', rep.id) FROM rep
)
SELECT rep.id, rep.ticket,
       pg_notify('jogo_events', json_build_object('topic', 'report_events',
                                                  'tenant', rep.tenant_id, 'id', ev.id)::text)
  FROM rep, ev"""

# A sliding window of hits per client address, in one statement (the product's limit of
# 10 anonymous reports per address in 10 minutes).
RATE_SQL = """
INSERT INTO rate_limits AS r (key, hits, refused, expires_at)
VALUES ($1, ARRAY[now()], 0, now() + interval '10 minutes')
ON CONFLICT (key) DO UPDATE SET
    hits = ARRAY(SELECT t FROM unnest(r.hits) t WHERE t > now() - interval '10 minutes')
           || now(),
    expires_at = now() + interval '10 minutes'
RETURNING cardinality(r.hits) > 10 AS refused"""


# --- answers ---------------------------------------------------------------------------


class Category(msgspec.Struct):
    code: str
    nameId: str


class Officer(msgspec.Struct):
    username: str


class LastEvent(msgspec.Struct):
    kind: str
    createdAt: datetime


class LatestDispatch(msgspec.Struct):
    agencyName: str


class ListNode(msgspec.Struct):
    id: str
    ticket: str
    title: str
    status: str
    createdAt: datetime
    category: Category
    assignedOfficer: Officer | None
    lastEvent: LastEvent | None
    latestDispatch: LatestDispatch | None


class Edge(msgspec.Struct):
    node: ListNode


class Event(msgspec.Struct):
    kind: str
    createdAt: str
    messageId: str = ""


class Attachment(msgspec.Struct):
    id: str
    url: str = ""


class Dispatch(msgspec.Struct):
    agencyName: str
    status: str
    createdAt: str


class Detail(msgspec.Struct):
    id: str
    ticket: str
    title: str
    description: str
    status: str
    category: Category
    timeline: list[Event]
    attachments: list[Attachment]
    dispatches: list[Dispatch]


class SubmitInput(msgspec.Struct):
    categoryCode: str
    title: str
    description: str
    latitude: float
    longitude: float
    anonymous: bool = False


class Submitted(msgspec.Struct):
    id: str
    ticket: str


class SubmitPayload(msgspec.Struct):
    report: Submitted | None
    pin: str | None
    errors: list[dict[str, str]]


_events = msgspec.json.Decoder(list[Event])
_attachments = msgspec.json.Decoder(list[str])
_dispatches = msgspec.json.Decoder(list[Dispatch])
_submit = msgspec.json.Decoder(SubmitInput)
_encode = msgspec.json.Encoder().encode


def _json(data: Any) -> Response[bytes]:
    return Response(_encode({"data": data}), media_type="application/json")


# --- the app ---------------------------------------------------------------------------


class Plain:
    """The pool and the tenant this process serves (one tenant, like the benchmark)."""

    def __init__(self) -> None:
        self.dsn = os.environ["PLAIN_DSN"]
        self.secret = os.environ["PLAIN_SECRET"]
        self.tenant_id = uuid.UUID(os.environ["PLAIN_TENANT_ID"])
        self.tenant_text = str(self.tenant_id)
        self.prefix = os.environ["PLAIN_TICKET_PREFIX"]
        self.offset = timedelta(hours=float(os.environ.get("PLAIN_UTC_OFFSET", "7")))
        self.pool_size = int(os.environ.get("PLAIN_POOL_SIZE", "10"))
        # The PIN key is derived from the secret and stored nowhere.
        self.pin_key = hmac.new(self.secret.encode(), b"jogo-pin", hashlib.sha256).digest()
        self.pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        async def no_reset(conn: asyncpg.Connection) -> None:
            # The tenant setting ends with its transaction: nothing to reset.
            return None

        self.pool = await asyncpg.create_pool(
            self.dsn, min_size=0, max_size=self.pool_size, reset=no_reset
        )

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def user(self, request: Request[Any, Any, Any], *, required: bool) -> tuple[Any, str]:
        """The caller's id and username from the Bearer token and its one statement
        (401 for a bad token, a gone user or no membership in this tenant); anonymous:
        ``(None, "")`` when ``required`` is false."""
        header = request.headers.get("authorization")
        if not header:
            if required:
                raise HTTPException(status_code=401, detail="sign in")
            return None, ""
        try:
            claims = jwt.decode(
                header.partition(" ")[2],
                self.secret,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
            user_id = uuid.UUID(claims["sub"])
            sid = uuid.UUID(claims["sid"]) if claims.get("sid") else None
        except (jwt.InvalidTokenError, ValueError) as exc:
            raise HTTPException(status_code=401, detail="the access token is invalid") from exc
        assert self.pool is not None
        rows = await self.pool.fetch(AUTH_SQL, user_id, sid)
        if (
            not rows
            or not rows[0]["is_active"]
            or (sid is not None and not rows[0]["session_live"])
        ):
            raise HTTPException(status_code=401, detail="the access token is invalid")
        if not any(r["tenant"] == self.tenant_id for r in rows):
            raise HTTPException(status_code=403, detail="not a member of this command")
        return user_id, rows[0]["username"]

    async def in_tenant(self, method: str, sql: str, *args: Any) -> Any:
        """BEGIN; the tenant setting; ``sql``; COMMIT (ROLLBACK on an error)."""
        assert self.pool is not None
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.fetchval(BEGIN_SQL, self.tenant_text)
            return await getattr(conn, method)(sql, *args)


PLAIN: Plain | None = None


def _plain() -> Plain:
    assert PLAIN is not None
    return PLAIN


@get("/t/{slug:str}/reports")
async def list_reports(request: Request[Any, Any, Any], slug: str) -> Response[bytes]:
    """The operator list: 50 newest reports with their relations."""
    p = _plain()
    await p.user(request, required=True)
    rows = await p.in_tenant("fetch", LIST_SQL)
    edges = [
        Edge(
            ListNode(
                id=str(r["id"]),
                ticket=r["ticket"],
                title=r["title"],
                status=r["status"],
                createdAt=r["created_at"],
                category=Category(r["category_code"], r["category_name_id"]),
                assignedOfficer=Officer(r["officer"]) if r["officer"] else None,
                lastEvent=LastEvent(r["event_kind"], r["event_at"]) if r["event_kind"] else None,
                latestDispatch=LatestDispatch(r["agency_name"]) if r["agency_name"] else None,
            )
        )
        for r in rows
    ]
    return _json({"reports": {"edges": edges}})


@get("/t/{slug:str}/reports/{report_id:uuid}")
async def one_report(
    request: Request[Any, Any, Any], slug: str, report_id: uuid.UUID
) -> Response[bytes]:
    """One report with its timeline, photos and dispatches."""
    p = _plain()
    await p.user(request, required=True)
    r = await p.in_tenant("fetchrow", DETAIL_SQL, report_id)
    if r is None:
        return _json({"report": None})
    timeline = _events.decode(r["timeline"])
    for e in timeline:
        e.messageId = LABELS.get(e.kind, e.kind)
    attachments = [
        Attachment(a, f"/t/{slug}/attachments/{a}") for a in _attachments.decode(r["attachments"])
    ]
    detail = Detail(
        id=str(r["id"]),
        ticket=r["ticket"],
        title=r["title"],
        description=r["description"],
        status=r["status"],
        category=Category(r["category_code"], r["category_name_id"]),
        timeline=timeline,
        attachments=attachments,
        dispatches=_dispatches.decode(r["dispatches"]),
    )
    return _json({"report": detail})


@post("/t/{slug:str}/reports", status_code=200)
async def submit_report(request: Request[Any, Any, Any], slug: str) -> Response[bytes]:
    """Submit a report, signed in or anonymous (a rate limit per address, a PIN)."""
    p = _plain()
    data = _submit.decode(await request.body())
    user_id, username = await p.user(request, required=False)
    pin = pin_hash = None
    if user_id is None:
        assert p.pool is not None
        client = request.headers.get("x-forwarded-for") or (
            request.client.host if request.client else "?"
        )
        if await p.pool.fetchval(RATE_SQL, f"plain-anonymous:{p.tenant_id}:{client}"):
            payload = SubmitPayload(None, None, [{"code": "RATE_LIMITED"}])
            return _json({"submitReport": payload})
        pin = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
        pin_hash = "hmac$" + hmac.new(p.pin_key, pin.encode(), hashlib.sha256).hexdigest()
    year = (datetime.now(UTC) + p.offset).year
    row = await p.in_tenant(
        "fetchrow",
        SUBMIT_SQL,
        p.tenant_id,
        uuid.uuid4(),
        year,
        data.categoryCode,
        data.title,
        data.description,
        data.latitude,
        data.longitude,
        p.prefix,
        user_id is None,
        pin_hash,
        user_id,
        username or ANONYMOUS_NAME,
    )
    if row is None:
        payload = SubmitPayload(None, None, [{"code": "INVALID_INPUT"}])
    else:
        payload = SubmitPayload(Submitted(str(row["id"]), row["ticket"]), pin, [])
    return _json({"submitReport": payload})


@get("/readyz")
async def readyz() -> Response[bytes]:
    """Up once the pool is open."""
    return _json({"ready": True})


def create_app() -> Litestar:
    """The plain app (uvicorn ``--factory``), configured from the environment."""
    global PLAIN
    PLAIN = Plain()
    return Litestar(
        route_handlers=[list_reports, one_report, submit_report, readyz],
        on_startup=[PLAIN.start],
        on_shutdown=[PLAIN.stop],
        openapi_config=None,
        debug=False,
    )
