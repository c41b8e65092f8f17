"""Test helpers shared by the test modules (no test module imports another): tenants,
users, tokens and GraphQL calls, waits with deadlines, the broker's queues, and the
queries and steps several domains' tests use (one section each, below)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import hmac
import io
import ipaddress
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import dramatiq
import httpx
import pytest
import websockets
import yaml
from lxml import etree
from own_postgres import OwnPostgres

from jogo.platform import db, outbox
from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.platform.auth.users import create_user
from jogo.platform.migrate import migrate
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import DEV_SECRET, Settings
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant
from jogo.tenants.onboarding.malang import REGION as MALANG_REGION
from jogo.tenants.onboarding.malang import do_import_sample_directory

PASSWORD = "correct horse battery"
ADMIN_URL = os.environ.get("JOGO_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("JOGO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def db_url(name: str) -> str:
    """The URL of database ``name`` on the test server, as its superuser."""
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


def free_port() -> int:
    """A port the system has just handed out (bound to 0, then released): never a fixed one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def delete_queues(name: str) -> None:
    """Drop a run's queues (``name`` and Dramatiq's ``.DQ``/``.XQ``) on a fresh
    connection (tests close the broker's on purpose)."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        for queue in (name, f"{name}.DQ", f"{name}.XQ"):
            channel.queue_delete(queue)
    finally:
        connection.close()


def unique_slug(prefix: str = "polres") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def onboard(
    template: str = "jogo-malang-presisi",
    *,
    polda: str = "JATIM",
    region: str = "35.73",
    modules: list[str] | None = None,
    slug: str | None = None,
    sample_directory: bool | None = None,
) -> TenantInfo:
    """``sample_directory``: seed the Kota Malang sample directory (16 agencies, 9
    hospitals) through the action ``jogo up`` uses for its demo tenant; by default for
    the jogo-malang-presisi template (templates themselves seed no agencies). Tests of a
    real command elsewhere (Batu) pass False."""
    if sample_directory is None:
        sample_directory = template == "jogo-malang-presisi"
    result = await do_onboard_tenant(
        OnboardInput(
            slug=slug or unique_slug(),
            name="Polresta Uji Coba",
            polda_code=polda,
            region_code=region,
            template=template,
            modules=modules,
        ),
        actor=("pytest", "system"),
    )
    if sample_directory:
        await do_import_sample_directory(
            result.tenant.id,
            result.tenant.region_code,
            actor=("pytest", "system"),
            outside_malang=region != MALANG_REGION,  # e.g. two_tenants' second command
        )
    return result.tenant


async def make_user(
    role: Role, tenant: TenantInfo | None = None, *, polda: str | None = None
) -> tuple[uuid.UUID, str]:
    username = f"u{uuid.uuid4().hex[:12]}"
    user_id = await create_user(username, PASSWORD, role, tenant=tenant, polda_code=polda)
    return user_id, username


def bearer_for(user_id: uuid.UUID, username: str, settings: Settings, ttl: int = 300) -> dict:
    token = issue_token(user_id, username, settings.secret_key, ttl).token
    return {"Authorization": f"Bearer {token}"}


async def auth_header(
    settings: Settings, role: Role, tenant: TenantInfo | None = None, *, polda: str | None = None
) -> dict[str, str]:
    user_id, username = await make_user(role, tenant, polda=polda)
    return bearer_for(user_id, username, settings)


async def gql(
    client: httpx.AsyncClient,
    path: str,
    query: str,
    headers: dict | None = None,
    **variables: Any,
) -> tuple[int, dict]:
    response = await client.post(
        path, json={"query": query, "variables": variables or None}, headers=headers or {}
    )
    body = response.json()
    # ``extensions.cost`` (the query cost and the caller's budget, tests/test_query_cost.py)
    # differs from one request to the next: answers compare by their data and errors.
    if isinstance(body, dict):
        body.pop("extensions", None)
    return response.status_code, body


MALANG = (-7.9666, 112.6326)  # Alun-alun Malang

SUBMIT = """mutation($input: SubmitReportInput!) {
  submitReport(input: $input) {
    report { id ticket status verifyDueAt duplicateOfId urgent }
    pin errors { code field message } } }"""


def report_input(**overrides: Any) -> dict[str, Any]:
    data = {
        "categoryCode": "FALLEN_TREE",
        "title": "Pohon tumbang di Jalan Ijen",
        "description": "Pohon besar tumbang menutup dua lajur jalan, kendaraan tertahan.",
        "latitude": MALANG[0],
        "longitude": MALANG[1],
        "address": "Jl. Ijen, Klojen",
    }
    if "notify" in overrides:
        # A channel on the report is consent to notifications: the notice shown.
        data["noticeVersion"] = NOTICE_VERSION
    data.update(overrides)
    return data


async def submit(
    client: httpx.AsyncClient, slug: str, headers: dict | None = None, **overrides: Any
) -> dict[str, Any]:
    status, body = await gql(
        client, f"/t/{slug}/graphql", SUBMIT, headers, input=report_input(**overrides)
    )
    assert status == 200, body
    assert "errors" not in body, body
    return body["data"]["submitReport"]


async def act(
    client: httpx.AsyncClient, slug: str, mutation: str, headers: dict, **variables: Any
) -> dict[str, Any]:
    """Run one report mutation; return its payload (report + errors)."""
    status, body = await gql(client, f"/t/{slug}/graphql", mutation, headers, **variables)
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


VERIFY = "mutation($id: ID!) { verifyReport(reportId: $id) { report { status } errors { code field message } } }"
REJECT = "mutation($id: ID!, $r: String!) { rejectReport(reportId: $id, reason: $r) { report { status rejectReason } errors { code field message } } }"
DISPATCH = "mutation($id: ID!, $a: ID!) { dispatchReport(reportId: $id, agencyId: $a) { report { status followupDueAt } errors { code field message } } }"
ASSIGN = "mutation($id: ID!, $o: ID, $u: ID) { assignReport(reportId: $id, officerId: $o, unitId: $u) { report { assignedUnit { name } assignedOfficer { username } } errors { code field message } } }"
CREATE_UNIT = "mutation($n: String!, $k: UnitKind!) { createUnit(name: $n, kind: $k) { unit { id name kind status } errors { code field message } } }"


async def create_unit(
    client: httpx.AsyncClient, slug: str, headers: dict, name: str, kind: str = "SAMAPTA"
) -> str:
    """A new unit of the tenant; its id."""
    done = await act(client, slug, CREATE_UNIT, headers, n=name, k=kind)
    assert done["errors"] == [], done
    unit_id: str = done["unit"]["id"]
    return unit_id


STATUS = "mutation($id: ID!, $s: ReportStatus!, $n: String) { updateReportStatus(reportId: $id, status: $s, note: $n) { report { status autocloseAt } errors { code field message } } }"
NOTE = "mutation($id: ID!, $n: String!, $p: Boolean!) { addReportNote(reportId: $id, note: $n, public: $p) { report { id } errors { code field message } } }"


class FinishedMessages(dramatiq.Middleware):
    """A Dramatiq middleware the test broker carries: each message the worker is done
    with (its actor returned or raised, its transaction over), as (actor, tenant id).
    Tests wait on it instead of sleeping until a job is "probably" done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.done: list[tuple[str, str | None]] = []

    def after_process_message(self, broker: Any, message: Any, **_: Any) -> None:
        self._record(message)

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self._record(message)

    def _record(self, message: Any) -> None:
        with self._lock:
            self.done.append((message.actor_name, message.options.get("tenant_id")))

    def count(self, actor: str, tenant_id: uuid.UUID) -> int:
        with self._lock:
            return self.done.count((actor, str(tenant_id)))


FINISHED = FinishedMessages()


def live_listeners(tenant_id: uuid.UUID | None = None) -> int:
    """Live feeds listening in this process (of one tenant, or all): each is in the
    hub once its LISTEN is active, so an event committed after that reaches it."""
    from jogo.platform.notify import HUB

    return sum(
        len(queues)
        for (_, tenant), queues in list(HUB._subscribers.items())
        if tenant_id is None or tenant == tenant_id
    )


async def wait_for_listeners(
    count: int, tenant_id: uuid.UUID | None = None, within: float = 10.0
) -> None:
    """Wait until ``count`` live feeds listen (see ``live_listeners``); fail at the deadline."""
    import asyncio
    import time

    deadline = time.monotonic() + within
    while live_listeners(tenant_id) < count:
        assert time.monotonic() < deadline, f"{count} live feeds never started listening"
        await asyncio.sleep(0.02)


async def eventually(check: Any, what: str, within: float = 10.0) -> Any:
    """Wait until ``check()`` is truthy and return its value; fail with ``what`` at the
    deadline. ``check`` may be sync or return an awaitable (a database read)."""
    import asyncio
    import inspect
    import time

    deadline = time.monotonic() + within
    while True:
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def relay_running(broker: Any) -> AsyncIterator[Any]:
    """The outbox relay on the caller's loop while the block runs (the ``relay``
    fixture; a test that must prepare its rows before anything is published starts
    it itself, later)."""
    import asyncio

    from jogo.workers.relay import Relay

    runner = Relay(broker)
    task = asyncio.create_task(runner.run_forever())
    try:
        yield runner
    finally:
        task.cancel()
        # Bounded: a relay that ignored its stop fails here, not at the test's timeout.
        with contextlib.suppress(asyncio.CancelledError):
            async with asyncio.timeout(30):
                await task
        runner.close()


# --- the jogo command as a subprocess ---


ROOT = Path(__file__).resolve().parent.parent


JOGO = [sys.executable, "-m", "jogo.platform.app.cli"]


def run_jogo(
    args: list[str], database: str | None, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """The ``jogo`` command as a real process (measured by coverage), with no ``JOGO_*`` or
    ``OTEL_*`` variable of ours leaking in but ``JOGO_DATABASE_URL=database`` and ``env``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    if database:
        environ["JOGO_DATABASE_URL"] = database
        environ.update(pooled_env(database))
    environ.update(env)
    return subprocess.run(
        JOGO + args, input=stdin, capture_output=True, text=True, env=environ, cwd=ROOT, timeout=120
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("jogo: ")
    return lines[0]


# --- report uploads ---


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


async def upload_report(client, slug, headers, files: list[tuple[str, bytes, str]], **overrides):
    operations = {
        "query": SUBMIT.replace("report { id", "report { id") + "",
        "variables": {"input": report_input(photos=[None] * len(files), **overrides)},
    }
    operations["query"] = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
      report { id ticket } pin errors { code field message } } }"""
    mapping = {str(i): [f"variables.input.photos.{i}"] for i in range(len(files))}
    multipart = {
        str(i): (name, io.BytesIO(data), ctype) for i, (name, data, ctype) in enumerate(files)
    }
    response = await client.post(
        f"/t/{slug}/graphql",
        headers=headers or {},
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files=multipart,
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["submitReport"]


# --- agencies and dispatches ---


SECRET = "s3cret-for-the-dishub-webhook"


CREATE_AGENCY = """mutation($input: CreateAgencyInput!) { createAgency(input: $input) {
  agency { id code connector hasSecret endpointUrl } errors { code field message } } }"""


AGENCY_DISPATCH = """mutation($r: ID!, $a: ID!) { dispatchReport(reportId: $r, agencyId: $a) {
  report { status } errors { code field message } } }"""


DISPATCHES = """query($r: ID!) { dispatches(reportId: $r) { id status attempts maxAttempts
  lastError nextAttemptAt idempotencyKey externalRef agencyName } }"""


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def make_agency(client, slug, admin, url, connector="webhook", code="DISHUB-HOOK", **extra):
    data = {
        "code": code,
        "name": "Dinas Perhubungan (webhook)",
        "kind": "dinas",
        "connector": connector,
        "endpointUrl": url,
        "secret": SECRET,
    } | extra
    _, body = await gql(client, f"/t/{slug}/graphql", CREATE_AGENCY, admin, input=data)
    payload = body["data"]["createAgency"]
    assert payload["errors"] == [], payload
    return payload["agency"]["id"]


async def dispatched_report(client, settings, tenant, agency_id=None, url=None, **agency_extra):
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    if agency_id is None:
        agency_id = await make_agency(client, tenant.slug, admin, url, **agency_extra)
    rid = (await submit(client, tenant.slug, admin))["report"]["id"]
    await act(client, tenant.slug, VERIFY, admin, id=rid)
    done = await act(client, tenant.slug, AGENCY_DISPATCH, admin, r=rid, a=agency_id)
    assert done["errors"] == [] and done["report"]["status"] == "DISPATCHED", done
    return admin, rid, agency_id


async def wait_status(owner, report_id, status, wait=60.0):
    deadline = time.monotonic() + wait
    rows = []
    while time.monotonic() < deadline:
        rows = await owner.fetch(
            "SELECT status, attempts FROM dispatches WHERE report_id = $1::uuid", report_id
        )
        if rows and all(r["status"] == status for r in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"dispatches of {report_id}: {[dict(r) for r in rows]}, wanted {status}")


CALLBACK_URL = "/t/{slug}/integrations/{agency}/callback"

# --- scheduled jobs ---


async def run_job(actor: str, owner: Any, tenant: Any, wait: float = 60.0, **payload: Any) -> None:
    """What the scheduler does each tick for this tenant (one outbox message with
    ``payload`` as the actor's keyword arguments; the scheduler's own loop over every
    tenant is tested apart), then wait until the worker has finished it (not only the
    relay published it); fail at the deadline. Only this tenant's message counts, so the
    wait does not grow with the tenants earlier tests made. Needs the ``worker`` and
    ``relay`` fixtures."""
    before = FINISHED.count(actor, tenant.id)
    async with db.control_tx():
        await outbox.enqueue(actor, payload, tenant.id)
    deadline = time.monotonic() + wait
    while FINISHED.count(actor, tenant.id) <= before:
        assert time.monotonic() < deadline, f"{actor} for {tenant.slug} did not finish"
        await asyncio.sleep(0.05)


# --- a dispatched anonymous report ---


async def anonymous_dispatched(client, settings, tenant, agency_id):
    """A citizen's anonymous report, verified and sent to the agency by an operator."""
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    made = await submit(client, tenant.slug, None, anonymous=True)
    rid = made["report"]["id"]
    await act(client, tenant.slug, VERIFY, admin, id=rid)
    sent = await act(client, tenant.slug, AGENCY_DISPATCH, admin, r=rid, a=agency_id)
    assert sent["errors"] == [] and sent["report"]["status"] == "DISPATCHED", sent
    return admin, rid, made["report"]["ticket"], made["pin"]


# --- bulletins (CAP 1.2) ---


CAP = "urn:oasis:names:tc:emergency:cap:1.2"


ATOM = "http://www.w3.org/2005/Atom"


CAP_SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "CAP-v1.2.xsd")))


BULLETIN_FIELDS = """id messageType status category categoryName severity urgency certainty headline
  headlineEn area { description polygon circle { latitude longitude radiusM } regionCodes }
  validFrom validUntil publishedAt note"""


PUBLISH = f"""mutation($input: BulletinContentInput, $draft: ID) {{
  publishBulletin(input: $input, draftId: $draft) {{ bulletin {{ {BULLETIN_FIELDS} }}
  errors {{ code field message }} }} }}"""


DRAFT = f"""mutation($input: BulletinContentInput!) {{ draftBulletin(input: $input) {{
  bulletin {{ {BULLETIN_FIELDS} }} errors {{ code field message }} }} }}"""


UPDATE = f"""mutation($id: ID!, $input: BulletinContentInput!) {{ updateBulletin(id: $id,
  input: $input) {{ bulletin {{ {BULLETIN_FIELDS} }} errors {{ code field message }} }} }}"""


def content(**overrides):
    now = datetime.now(UTC)
    data = {
        "category": "TRAFFIC",
        "severity": "MODERATE",
        "urgency": "EXPECTED",
        "certainty": "LIKELY",
        "headline": "Penutupan Jalan Ijen untuk Car Free Day",
        "description": "Jalan Ijen ditutup untuk kendaraan pukul 06.00-10.00 WIB.",
        "instruction": "Gunakan Jalan Semeru atau Jalan Kawi.",
        "headlineEn": "Jalan Ijen closed for Car Free Day",
        "descriptionEn": "Jalan Ijen is closed to vehicles from 06:00 to 10:00.",
        "area": {
            "description": "Jalan Ijen, Klojen, Kota Malang",
            "polygon": [
                {"latitude": -7.9700, "longitude": 112.6200},
                {"latitude": -7.9700, "longitude": 112.6260},
                {"latitude": -7.9560, "longitude": 112.6260},
                {"latitude": -7.9560, "longitude": 112.6200},
            ],
            "circle": {"latitude": -7.9630, "longitude": 112.6230, "radiusM": 1500},
            "regionCodes": ["35.73"],
        },
        "validFrom": (now - timedelta(minutes=1)).isoformat(),
        "validUntil": (now + timedelta(hours=6)).isoformat(),
    }
    data.update(overrides)
    return data


async def call(client, tenant, query, headers=None, **variables):
    status, body = await gql(client, f"/t/{tenant.slug}/graphql", query, headers, **variables)
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


async def feed(client, tenant) -> etree._Element:
    response = await client.get(f"/t/{tenant.slug}/alerts.cap.xml")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    return etree.fromstring(response.content)


def alerts_in(root) -> list:
    return root.findall(f"{{{ATOM}}}entry/{{{ATOM}}}content/{{{CAP}}}alert")


def assert_valid(alert) -> None:
    tree = etree.ElementTree(copy.deepcopy(alert))
    assert CAP_SCHEMA.validate(tree), CAP_SCHEMA.error_log.last_error


# --- shared posts ---


POST_FIELDS = """id body latitude longitude photoUrl status statusLabel holdReasons
  rejectionReason reportId mine"""


SHARE_POST = f"""mutation($input: SharePostInput!) {{ sharePost(input: $input) {{
  post {{ {POST_FIELDS} }} errors {{ code field message }} }} }}"""


async def share(client, tenant, headers, body="Lampu lalu lintas di Tugu mati sejak pagi", **more):
    more.setdefault("noticeVersion", NOTICE_VERSION)
    return await call(client, tenant, SHARE_POST, headers, input={"body": body, **more})


# --- photos of shared posts ---


SHARE_PHOTO = """mutation($input: SharePostInput!) { sharePost(input: $input) {
  post { id latitude longitude photoUrl status } errors { code field message } } }"""
APPROVE_PHOTO = """mutation($id: ID!) { approvePost(id: $id, acknowledgeHold: false) {
  post { id status } errors { code field message } } }"""


async def share_photo(client, tenant, headers, photo: bytes, name="foto.jpg", ctype="image/jpeg"):
    """A post with a photo and no location, as in the issue."""
    operations = {
        "query": SHARE_PHOTO,
        "variables": {
            "input": {
                "body": "Banjir di depan rumah",
                "photo": None,
                "noticeVersion": NOTICE_VERSION,
            }
        },
    }
    response = await client.post(
        f"/t/{tenant.slug}/graphql",
        headers=headers,
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.photo"]}),
        },
        files={"0": (name, io.BytesIO(photo), ctype)},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["sharePost"]


async def approved_photo(client, tenant, people, photo: bytes, **file) -> tuple[dict, bytes, str]:
    author, moderator = people
    shared = await share_photo(client, tenant, author, photo, **file)
    assert shared["errors"] == [], shared
    post = shared["post"]
    status, body = await gql(
        client, f"/t/{tenant.slug}/graphql", APPROVE_PHOTO, moderator, id=post["id"]
    )
    assert status == 200 and body["data"]["approvePost"]["errors"] == [], body
    got = await client.get(post["photoUrl"])  # anonymous
    assert got.status_code == 200
    return post, got.content, got.headers["content-type"]


# --- SOS and sharing mutations ---


SOS = """mutation($lat: Float!, $lon: Float!, $n: String, $k: String) {
  raiseSos(latitude: $lat, longitude: $lon, note: $n, clientKey: $k) {
    report { id ticket } errors { code field message } } }"""


SHARE = """mutation($input: SharePostInput!) { sharePost(input: $input) {
  post { id body } errors { code field message } } }"""

# --- agency liaisons ---


BIND_LIAISON = """mutation($a: ID!, $u: ID!) { addAgencyLiaison(agencyId: $a, userId: $u) {
  agency { id } errors { code field } } }"""


async def manual_agencies(client, slug, admin) -> list[str]:
    _, body = await gql(
        client, f"/t/{slug}/graphql", '{ agencies(kind: "dinas") { id connector } }', admin
    )
    return [a["id"] for a in body["data"]["agencies"] if a["connector"] == "manual"]


async def dispatch_to(client, tenant, admin, agency_id, rid) -> str:
    await act(client, tenant.slug, VERIFY, admin, id=rid)
    done = await act(client, tenant.slug, AGENCY_DISPATCH, admin, r=rid, a=agency_id)
    assert done["errors"] == [], done
    _, body = await gql(
        client,
        f"/t/{tenant.slug}/graphql",
        "query($r: ID!) { dispatches(reportId: $r) { id } }",
        admin,
        r=rid,
    )
    return body["data"]["dispatches"][-1]["id"]


async def liaison_of(client, settings, tenant, admin, agency_id) -> dict[str, str]:
    user_id, name = await make_user(Role.AGENCY_LIAISON, tenant)
    _, bound = await gql(
        client, f"/t/{tenant.slug}/graphql", BIND_LIAISON, admin, a=agency_id, u=str(user_id)
    )
    assert bound["data"]["addAgencyLiaison"]["errors"] == [], bound
    return bearer_for(user_id, name, settings)


# --- API keys ---


API_KEYS = """query($after: String) { apiKeys(first: 50, after: $after) {
  nodes { id name prefix scopes status createdBy lastUsedAt expiresAt revokedAt revokedBy
          replacesId }
  hasNextPage endCursor } }"""


CREATE_API_KEY = """mutation($name: String!, $scopes: [String!]!, $exp: DateTime, $ck: String) {
  createApiKey(name: $name, scopes: $scopes, expiresAt: $exp, clientKey: $ck) {
    key apiKey { id prefix status expiresAt } errors { code field message } } }"""


ROTATE_API_KEY = """mutation($id: ID!, $h: Int, $ck: String) {
  rotateApiKey(id: $id, overlapHours: $h, clientKey: $ck) {
    key apiKey { id prefix status replacesId expiresAt } errors { code field message } } }"""

# --- directory imports ---


IMPORT_DIRECTORY = """mutation($k: DirectoryKind!, $csv: String, $p: Boolean!) { importDirectory(kind: $k,
  csv: $csv, partial: $p) { kind rows created updated rejected kept
  rowErrors { line field message } errors { code field } } }"""


async def run_import(client, tenant, headers, kind, text, partial=False):
    _, body = await gql(
        client, f"/t/{tenant.slug}/graphql", IMPORT_DIRECTORY, headers, k=kind, csv=text, p=partial
    )
    assert "errors" not in body, body
    return body["data"]["importDirectory"]


# --- transfers and tracking ---


TRANSFER = """mutation($id: ID!, $to: String!, $r: String!) {
  transferReport(id: $id, toTenantSlug: $to, reason: $r) {
    transfer { reportId ticket fromStatus fromTenantSlug toTenantSlug toTenantName }
    errors { code field message } } }"""


TRACK = """query($t: String!, $p: String!) { trackReport(ticket: $t, pin: $p) {
  ticket status commandSlug commandName timeline { kind messageId messageEn } } }"""

# --- jogo processes ---


class Part:
    """A ``jogo`` process; its output goes to a file (a full pipe would stall it)."""

    def __init__(self, args: list[str], database: str, settings, log_dir: Path) -> None:
        self.args = args
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
        env |= {
            "JOGO_DATABASE_URL": database,
            "JOGO_AMQP_URL": AMQP_URL,
            "JOGO_QUEUE": os.environ["JOGO_QUEUE"],
            "JOGO_ENV": "test",
            "JOGO_SECRET_KEY": settings.secret_key,
            "JOGO_DATA_DIR": str(settings.data_dir),
            "JOGO_ALLOW_PRIVATE_EGRESS": "true",
        } | pooled_env(database)
        self.log = log_dir / f"{'-'.join(args)}-{time.monotonic_ns()}.log"
        self.env = env
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> Part:
        out = self.log.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            *JOGO, *self.args, env=self.env, cwd=ROOT, stdout=out, stderr=out
        )
        out.close()
        return self

    async def stop(self, deadline: float = 30.0) -> tuple[int, float]:
        """SIGTERM; the exit code and how long the process took to finish."""
        assert self.process is not None
        started = time.monotonic()
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), deadline)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()


async def wait_until(check, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# --- a stack of jogo processes on a PostgreSQL of its own ---


def grace_of(name: str) -> float:
    """The deadline a part must stop within on SIGTERM: its Kubernetes grace period."""
    for doc in yaml.safe_load_all((ROOT / f"infra/k8s/{name}.yaml").read_text()):
        if doc and doc.get("kind") == "Deployment":
            return float(doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"])
    raise AssertionError(f"no Deployment in infra/k8s/{name}.yaml")


GRACE = {name: grace_of(name) for name in ("api", "relay", "worker", "scheduler")}


async def jogo_cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    process = await asyncio.create_subprocess_exec(
        *JOGO,
        *args,
        env=env,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


ADMIN = ("kapolres", "kata sandi yang panjang")


@dataclass
class Stack:
    """A migrated database ``jogo`` on our own server, with one tenant (integrations on)
    and its admin, and the ``jogo`` processes started against it (killed at the end)."""

    owner_url: str
    slug: str
    queue: str
    env: dict[str, str]
    log_dir: Path
    started: list[Part] = field(default_factory=list)

    async def part(self, *args: str, **env: str) -> Part:
        config = SimpleNamespace(secret_key=DEV_SECRET, data_dir=self.log_dir / "data")
        made = Part(list(args), self.owner_url, config, self.log_dir)
        made.env |= {"JOGO_QUEUE": self.queue, "JOGO_DB_POOL_SIZE": "5"} | env
        self.started.append(await made.start())
        return made

    async def stop_all(self) -> None:
        for p in self.started:
            p.kill()
            if p.process is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(p.process.wait(), 10)

    def logs(self) -> dict[str, str]:
        return {" ".join(p.args): p.log.read_text()[-3000:] for p in self.started}


async def provision(pg: OwnPostgres, log_dir: Path) -> Stack:
    admin_conn = await asyncpg.connect(pg.url())
    await admin_conn.execute("CREATE DATABASE jogo")
    await admin_conn.close()
    owner_url = pg.url("jogo")
    await migrate(owner_url)
    queue = f"jogo-own-pg-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    config = SimpleNamespace(secret_key=DEV_SECRET, data_dir=log_dir / "data")
    env = Part([], owner_url, config, log_dir).env | {"JOGO_QUEUE": queue}
    slug = f"polres-pulih-{uuid.uuid4().hex[:6]}"
    await jogo_cli(
        env, "tenant", "create", "--slug", slug, "--name", "Polres Uji Pulih",
        "--polda", "JATIM", "--region", "35.73", "--template", "minimal",
        "--modules", "integrations",
    )  # fmt: skip
    await jogo_cli(
        env, "user", "create", "--username", ADMIN[0], "--password-stdin",
        "--role", "tenant_admin", "--tenant", slug, stdin=ADMIN[1] + "\n",
    )  # fmt: skip
    return Stack(owner_url, slug, queue, env, log_dir)


async def sign_in_admin(client: httpx.AsyncClient) -> dict[str, str]:
    token = await client.post("/auth/token", json={"username": ADMIN[0], "password": ADMIN[1]})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


# --- members ---


NEW_PASSWORD = "a brand new passphrase"


MEMBER_FIELDS = (
    "member { id username fullName roles status deactivatedAt } errors { code field message }"
)


CREATE_MEMBER = f"""mutation($i: CreateMemberInput!, $k: String) {{ createMember(input: $i, clientKey: $k) {{
  activationCode activationExpiresAt {MEMBER_FIELDS} }} }}"""


DEACTIVATE = f"mutation($u: ID!) {{ deactivateMember(userId: $u) {{ {MEMBER_FIELDS} }} }}"


RESET = "mutation($u: ID!) { issuePasswordReset(userId: $u) { code expiresAt errors { code field message } } }"


async def run_as(client: Any, slug: str, headers: dict, query: str, **variables: Any) -> Any:
    status, body = await gql(client, f"/t/{slug}/graphql", query, headers, **variables)
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


async def redeem(client: Any, code: str, password: str = NEW_PASSWORD) -> Any:
    return await client.post("/auth/reset", json={"code": code, "password": password})


# --- sessions and live sockets ---


ME = "{ me { kind name roles } }"


EVENTS = "subscription { reportEvents { ticket status } }"


SOCKET_WAIT = 5.0


async def sign_in(client: Any, username: str) -> dict[str, Any]:
    r = await client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def refresh(client: Any, token: str) -> Any:
    return await client.post("/auth/refresh", json={"refresh_token": token})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def me_status(client: Any, slug: str, access: str) -> int:
    status, _ = await gql(client, f"/t/{slug}/graphql", ME, bearer(access))
    return status


async def open_socket(server: str, slug: str, access: str) -> Any:
    ws = await websockets.connect(
        f"ws://{server}/t/{slug}/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": bearer(access)}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), SOCKET_WAIT))
    assert ack["type"] == "connection_ack", ack
    return ws


async def subscribe(ws: Any, query: str) -> str:
    op_id = uuid.uuid4().hex
    before = live_listeners()
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query}}))
    await wait_for_listeners(before + 1)
    return op_id


async def closed_with(ws: Any) -> tuple[int, str]:
    """Wait (at most SOCKET_WAIT seconds) for the server to close the socket; messages that
    arrive first are skipped."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(SOCKET_WAIT):
            while True:
                await ws.recv()
    frame = closed.value.rcvd
    assert frame is not None
    return frame.code, frame.reason


# --- polling stations ---


STATIONS_HEADER = "code,village_code,address,latitude,longitude,voters,vulnerability,notes\n"


IMPORT_STATIONS = """mutation($f: Upload!, $p: Boolean!) { importPollingStations(file: $f, partial: $p) {
  rows created updated rejected kept rowErrors { line field message } errors { code field message } } }"""


def csv_bytes(*rows: str) -> bytes:
    return (STATIONS_HEADER + "\n".join(rows) + "\n").encode()


async def upload_stations(client, tenant, headers, data: bytes, partial=False):
    operations = {"query": IMPORT_STATIONS, "variables": {"f": None, "p": partial}}
    response = await client.post(
        f"/t/{tenant.slug}/graphql",
        headers=headers,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
        files={"0": ("tps.csv", io.BytesIO(data), "text/csv")},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["importPollingStations"]


# --- the live report feed ---


REPORT_EVENTS = "subscription { reportEvents { ticket status event { kind toStatus public } } }"


async def feed_socket(url: str, headers: dict | None = None):
    return await websockets.connect(
        url, subprotocols=["graphql-transport-ws"], additional_headers=headers or {}
    )


async def start_feed(ws, auth: str | None = None, query: str = REPORT_EVENTS) -> None:
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": auth} if auth else {}})
    )
    ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert ack["type"] == "connection_ack", ack
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))


async def next_message(ws, wait=5.0):
    return json.loads(await asyncio.wait_for(ws.recv(), wait))


# --- API key scopes ---


READ_SCOPES = ["agencies:read", "reports:read"]


# --- moved from test modules for tests/test_refusals_*.py ---


ANSWER_DISPATCH = """mutation($d: ID!, $s: String!, $n: String) { updateDispatchStatus(dispatchId: $d,
  status: $s, note: $n) { dispatch { status outcome } errors { code field } } }"""


UPDATE_CAMERA = """mutation($id: ID!, $input: UpdateCameraInput!) { updateCamera(cameraId: $id,
  input: $input) { camera { id name code isActive } errors { code field } } }"""


CREATE_POLICE_POST = """mutation($n: String!, $lat: Float!, $lon: Float!) { createPolicePost(name: $n,
  kind: "POLSEK", latitude: $lat, longitude: $lon) { id errors { code } } }"""


UPDATE_POST = """mutation($id: ID!, $input: UpdatePolicePostInput!) { updatePolicePost(
  policePostId: $id, input: $input) { policePost { name phone isActive } errors { code field } } }"""


REJECT_POST = f"""mutation($id: ID!, $r: String!) {{ rejectPost(id: $id, reason: $r) {{
  post {{ {POST_FIELDS} }} errors {{ code field message }} }} }}"""


CONVERT_POST = """mutation($id: ID!, $input: ConvertPostInput!) { convertPostToReport(postId: $id,
  input: $input) { report { id ticket status title latitude attachments { contentType } }
  errors { code field message } } }"""


async def upload_post(client, tenant, headers, data: bytes, body="Banjir di Jalan Soekarno Hatta"):
    operations = {
        "query": SHARE_POST,
        "variables": {
            "input": {"body": body, "photo": None, "noticeVersion": NOTICE_VERSION, **TUGU_POINT}
        },
    }
    response = await client.post(
        f"/t/{tenant.slug}/graphql",
        headers=headers,
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.photo"]}),
        },
        files={"0": ("foto.jpg", io.BytesIO(data), "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["sharePost"]


# Tugu, Kota Malang, as GraphQL latitude/longitude arguments.
TUGU_POINT = {"latitude": -7.9770, "longitude": 112.6340}


# --- browser tests (fixtures `browser` and `page` in conftest.py) ---

CHROMIUM = os.environ.get("JOGO_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
OUTSIDE_REQUESTS: list[str] = []


async def offline_route(route: Any) -> None:
    """Let requests to this machine through; refuse (and record) every other host."""
    from urllib.parse import urlsplit

    url = route.request.url
    host = urlsplit(url).hostname or ""
    if url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
        await route.continue_()
    else:
        OUTSIDE_REQUESTS.append(url)
        await route.abort("internetdisconnected")


class BrowserLog:
    """Page errors, console errors and CSP violations seen by one page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.console: list[str] = []

    @classmethod
    def attach(cls, page: Any) -> BrowserLog:
        log = cls()
        page.on(
            "pageerror", lambda exc: log.errors.append(f"{exc} {getattr(exc, 'stack', '') or ''}")
        )
        page.on(
            "console",
            lambda msg: log.console.append(msg.text) if msg.type == "error" else None,
        )
        return log

    def check(self) -> None:
        assert not self.errors, f"uncaught errors in the page: {self.errors}"
        csp = [m for m in self.console if "Content Security Policy" in m]
        assert not csp, f"Content-Security-Policy violations: {csp}"


async def screenshot(page: Any, name: str) -> Path:
    """Save a PNG of the page to tests/screenshots/<name>.png (git ignores the folder)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)[:120]}.png"
    with contextlib.suppress(Exception):  # a page already closed or crashed: nothing to save
        await page.screenshot(path=str(path))
    return path


async def browser_sign_in(page: Any, url: str, username: str, password: str = PASSWORD) -> None:
    """Open ``url`` and sign in through the page's own form."""
    await page.goto(url)
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk").click()
    await page.locator(".topbar").wait_for(timeout=10_000)


# --- web: console live ---


async def seed_open_reports(tenant: TenantInfo, count: int, data_dir: Path) -> None:
    """``count`` open reports from one citizen through the intake action the API runs
    (``do_submit_report``), spread over Kota Malang and five categories: the load of a
    busy command's live queue, without a thousand HTTP round trips."""
    import random

    from jogo.platform.auth.principal import Membership, Principal
    from jogo.platform.storage import FileStore
    from jogo.tenants.reports.intake import do_submit_report
    from jogo.tenants.reports.validation import ReportInput

    user_id, username = await make_user(Role.CITIZEN, tenant)
    citizen = Principal(
        kind="user", id=user_id, name=username, memberships=(Membership(Role.CITIZEN, tenant.id),)
    )
    store = FileStore(data_dir / "attachments")
    rnd = random.Random(count)
    codes = ["FALLEN_TREE", "FLOOD", "TRAFFIC_ACCIDENT", "PUBLIC_ORDER", "FIRE"]
    for i in range(count):
        await do_submit_report(
            tenant,
            citizen,
            ReportInput(
                codes[i % len(codes)],
                f"Laporan uji antrean {i}",
                "Uraian kejadian untuk uji antrean langsung di konsol.",
                MALANG[0] + rnd.uniform(-0.05, 0.05),
                MALANG[1] + rnd.uniform(-0.05, 0.05),
                urgent=i % 50 == 0,
            ),
            store,
        )


async def open_console(page: Any, live_server: str, tenant: TenantInfo, username: str) -> None:
    """Sign in to the operator console and wait until its first view has loaded its list."""
    await browser_sign_in(page, f"http://{live_server}/t/{tenant.slug}/console/", username)
    await page.locator("#main[data-loaded]").wait_for(timeout=20_000)


# --- web: national ---

NATIONAL_GQL = "/national/graphql"
NATIONAL_SUMMARY = """query($f: NationalFilter) { summary(filter: $f) { tenants reports urgent
  slaBreaches slaBreachRate } }"""
NATIONAL_BY_TENANT = """query($f: NationalFilter) { byTenant(filter: $f) { tenant { slug name
  poldaCode } summary { reports urgent slaBreaches slaBreachRate } } }"""


async def national_reports(
    client: Any, settings: Settings, tenant: TenantInfo, n: int
) -> list[str]:
    """Submit ``n`` reports to ``tenant`` through its API (every third urgent, the first one
    verified), then rebuild its rollups from the rows (no worker needed); returns their ids."""
    from jogo.tenants.oversight.rollups import do_rebuild_tenant

    operator = await auth_header(settings, Role.OPERATOR, tenant)
    ids = []
    for i in range(n):
        payload = await submit(
            client,
            tenant.slug,
            operator,
            categoryCode=["FLOOD", "FIRE", "CRIME"][i % 3],
            urgent=i % 3 == 0,
            title=f"Laporan uji nasional {i}",
            latitude=-7.95 - i * 0.02,
            longitude=112.61 + i * 0.02,
        )
        ids.append(payload["report"]["id"])
    if ids:
        await act(client, tenant.slug, VERIFY, operator, id=ids[0])
    assert await do_rebuild_tenant(tenant) == n
    return ids


def page_int(text: str) -> int:
    """A count as the page shows it (1.234 in Bahasa Indonesia, 1,234 in English)."""
    digits = re.sub(r"[^0-9]", "", text)
    assert digits, f"no number in {text!r}"
    return int(digits)


async def kpi_number(page: Any, key: str) -> int:
    """The number in the national dashboard's KPI tile ``data-kpi=key``."""
    return page_int(await page.locator(f'[data-kpi="{key}"] .value').inner_text())


async def compliance_rows(page: Any) -> dict[str, dict[str, str]]:
    """The SLA compliance table as {slug: {column: text}}, in the page's order (dicts keep it)."""
    return await page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("table.compliance tbody tr")]
          .map((tr) => [tr.dataset.tenant, Object.fromEntries([...tr.querySelectorAll("td[data-col]")]
            .map((td) => [td.dataset.col, td.textContent])) ]))"""
    )


# --- web: platform ---


async def graphiql_run(page: Any, url: str, query: str, headers: dict[str, str]) -> str:
    """Open GraphiQL at ``url``, put ``headers`` (JSON) in its Headers editor and ``query``
    in its query editor, run it with the Execute button and return the result pane's text."""
    import json

    await page.goto(url)
    query_editor = page.locator(".graphiql-query-editor .CodeMirror").first
    await query_editor.wait_for(timeout=15_000)
    # The page opens with the Headers editor showing (defaultEditorToolsVisibility).
    await page.locator(".graphiql-editor-tool .CodeMirror").locator("visible=true").click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(json.dumps(headers))
    await query_editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(query)
    await page.locator(".graphiql-execute-button").click()
    result = page.locator(".result-window .CodeMirror-code")
    await page.wait_for_function(
        """() => /"(data|errors)"/.test(document.querySelector('.result-window')?.innerText || '')""",
        timeout=15_000,
    )
    return str(await result.inner_text())


PLATFORM_TENANTS = """{ tenants { slug name kind poldaCode regionCode ticketPrefix status modules
  timeZone } }"""


async def platform_tenant(client: httpx.AsyncClient, headers: dict, slug: str) -> dict | None:
    """Tenant ``slug`` as the platform API's ``tenants`` lists it, or None."""
    status, body = await gql(client, "/platform/graphql", PLATFORM_TENANTS, headers)
    assert status == 200, body
    return next((t for t in body["data"]["tenants"] if t["slug"] == slug), None)


async def pick_region(page: Any, typed: str, name: str) -> None:
    """Type ``typed`` into the onboarding wizard's region field and pick ``name`` from the
    type-ahead list."""
    field = page.get_by_role("combobox", name="Kabupaten/kota")
    await field.fill("")
    await field.press_sequentially(typed, delay=30)
    await page.get_by_role("option", name=name).first.click()


# --- web: console ops ---


# Kota Malang TPS (Blimbing 35.73.01, Klojen 35.73.02); one without coordinates.
CONSOLE_TPS = [
    "3573011001001,35.73.01.1001,SDN Balearjosari 1,-7.9300,112.6500,250,AMAN,",
    "3573011001002,35.73.01.1001,Balai RW 03 Balearjosari,-7.9310,112.6510,240,RAWAN,dekat pasar",
    "3573011002001,35.73.01.1002,Lapangan Arjosari,,,260,SANGAT_RAWAN,riwayat kericuhan",
    "3573021001001,35.73.02.1001,Aula Kelurahan Klojen,-7.9800,112.6300,230,AMAN,",
]


def console_url(live_server: str, tenant: TenantInfo, route: str = "") -> str:
    """The operator console of ``tenant`` on the live server, at hash ``route`` (e.g.
    ``bulletins/new``)."""
    return f"http://{live_server}/t/{tenant.slug}/console/" + (f"#/{route}" if route else "")


async def click_map(
    page: Any, selector: str, offsets: list[tuple[int, int]], *, last_double: bool = True
) -> None:
    """Click the map ``selector`` at pixel offsets from its top-left corner; the last one a
    double-click (closing a polygon) unless ``last_double`` is False."""
    box = await page.locator(selector).bounding_box()
    assert box is not None, selector
    for i, (dx, dy) in enumerate(offsets):
        x, y = box["x"] + dx, box["y"] + dy
        if last_double and i == len(offsets) - 1:
            await page.mouse.dblclick(x, y)
        else:
            await page.mouse.click(x, y)
            await page.wait_for_timeout(350)  # apart: not read as a double-click


async def go_to_view(page: Any, route: str) -> None:
    """Follow the console's router to ``#/route`` (a view already signed in)."""
    await page.evaluate("(r) => { location.hash = '#/' + r; }", route)


# --- web: attacks ---

XSS = '<img src=x onerror="document.body.dataset.pwned=1"><script>document.body.dataset.pwned=2</script>'
"""Markup a citizen or an admin may type: a page must show it as text, never run it."""


async def web_csrf(client: httpx.AsyncClient) -> str:
    """The ``jogo_csrf`` cookie a page sets (reading ``/national/`` once)."""
    await client.get("/national/")
    return str(client.cookies["jogo_csrf"])


class FlakyLive:
    """The page's live sockets, routed through Playwright so a test can drop them as a
    network loss does (``context.set_offline`` leaves open WebSockets alone). While
    ``down``, a new socket is refused (closed with 1013, "try again later")."""

    def __init__(self) -> None:
        self.down = False
        self.links: list[tuple[Any, Any]] = []

    async def install(self, context: Any) -> None:
        await context.route_web_socket(re.compile(r".*/graphql$"), self._route)

    async def _route(self, ws: Any) -> None:
        if self.down:
            await ws.close(code=1013, reason="offline")
            return
        self.links.append((ws, ws.connect_to_server()))

    async def drop(self, context: Any) -> None:
        """Cut the network: HTTP offline, every open socket closed, new ones refused."""
        self.down = True
        await context.set_offline(True)
        links, self.links = self.links, []
        for page_side, server_side in links:
            with contextlib.suppress(Exception):
                await page_side.close(code=1001, reason="network lost")
            with contextlib.suppress(Exception):
                await server_side.close()

    async def restore(self, context: Any) -> None:
        self.down = False
        await context.set_offline(False)


async def timeline_notes(client: httpx.AsyncClient, slug: str, headers: dict, rid: str) -> list:
    """The NOTE events of a report's timeline (through the API)."""
    status, body = await gql(
        client,
        f"/t/{slug}/graphql",
        "query($id: ID!) { report(id: $id) { timeline { kind note } } }",
        headers,
        id=rid,
    )
    assert status == 200 and "errors" not in body, body
    return [e for e in body["data"]["report"]["timeline"] if e["note"]]


# --- citizen accounts (phone sign-in, issue 17) and the tracking page ---


def fresh_client() -> dict[str, str]:
    """Headers that speak for a client address of this test's own (IPv6 documentation
    prefix), for an app behind :func:`proxied_app`: each test gets its own limits."""
    groups = uuid.uuid4().hex[:16]
    address = "2001:db8::" + ":".join(groups[i : i + 4] for i in range(0, 16, 4))
    # In the canonical form the app stores and compares (a group "004c" reads "4c"):
    # written as typed, a test comparing it with a stored address failed by chance.
    return {"X-Forwarded-For": str(ipaddress.ip_address(address))}


@contextlib.asynccontextmanager
async def proxied_app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app behind a trusted proxy at 127.0.0.1 (the test client's peer), so a test
    speaks for its own client address through X-Forwarded-For (:func:`fresh_client`)."""
    import ipaddress
    from dataclasses import replace

    from jogo.platform.app.factory import create_app
    from jogo.platform.registry import clear_cache

    clear_cache()
    local = (ipaddress.ip_network("127.0.0.1/32"),)
    app = create_app(replace(settings, trusted_proxies=local), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def new_phone() -> tuple[str, str]:
    """A valid Indonesian mobile number no other test uses: ``(as typed, E.164)``."""
    from jogo.platform.contacts import parse_phone

    while True:
        digits = f"{uuid.uuid4().int % 10**8:08d}"
        e164 = parse_phone(f"0812{digits}")
        if e164:
            return f"0812-{digits[:4]}-{digits[4:]}", e164


async def enable_gateway(tenant_id: uuid.UUID, kind: str = "SMS") -> None:
    """Give a command an enabled notification gateway (pointing nowhere: nothing is sent
    by these tests; they read the notification and outbox rows)."""
    async with db.tenant_tx(tenant_id):
        await db.fetch(
            "INSERT INTO notification_gateways (tenant_id, kind, config) VALUES ($1, $2,"
            ' \'{"url": "http://127.0.0.1:9/"}\') ON CONFLICT DO NOTHING',
            tenant_id,
            kind,
        )


async def sent_codes(owner: Any, tenant_id: uuid.UUID, e164: str) -> list[Any]:
    """The ``otp_code`` notifications (with their outbox rows) queued for a number at a
    command, oldest first: ``channel``, ``address``, ``status``, ``params`` (dict) and
    the outbox ``actor`` and ``payload`` (dict)."""
    rows = await owner.fetch(
        "SELECT n.id, n.channel, n.address, n.status, n.params, o.actor, o.payload"
        " FROM notifications n LEFT JOIN outbox o"
        " ON o.payload->>'notification_id' = n.id::text"
        " WHERE n.tenant_id = $1 AND n.address = $2 AND n.template = 'otp_code'"
        " ORDER BY n.created_at, n.id",
        tenant_id,
        e164,
    )
    out = []
    for row in rows:
        item = dict(row)
        for key in ("params", "payload"):
            if isinstance(item[key], str):
                item[key] = json.loads(item[key])
        out.append(item)
    return out


async def start_phone(
    client: httpx.AsyncClient, slug: str, phone: str, headers: dict | None = None, **more: Any
) -> httpx.Response:
    """``POST /auth/phone/start`` (channel SMS unless given)."""
    body = {"tenant": slug, "phone": phone, "channel": "SMS", **more}
    return await client.post("/auth/phone/start", json=body, headers=headers or {})


async def verify_phone(
    client: httpx.AsyncClient,
    slug: str,
    phone: str,
    code: str,
    headers: dict | None = None,
    path: str = "/auth/phone/verify",
    **more: Any,
) -> httpx.Response:
    """``POST /auth/phone/verify`` (or ``path``) with ``consent`` and ``name`` in ``more``."""
    body = {"tenant": slug, "phone": phone, "code": code, **more}
    return await client.post(path, json=body, headers=headers or {})


async def phone_code(
    client: httpx.AsyncClient, owner: Any, tenant: TenantInfo, phone: str, headers: dict
) -> str:
    """Ask for a code for ``phone`` at ``tenant`` and read it from the notification."""
    from jogo.platform.contacts import normalise_phone

    started = await start_phone(client, tenant.slug, phone, headers)
    assert started.status_code == 200, started.text
    sent = await sent_codes(owner, tenant.id, normalise_phone(phone, "phone"))
    return str(sent[-1]["params"]["code"])


async def phone_sign_up(
    client: httpx.AsyncClient, owner: Any, tenant: TenantInfo, phone: str, headers: dict
) -> dict[str, Any]:
    """A citizen signed up by phone at ``tenant`` (consenting): the token answer."""
    from jogo.platform.auth.privacy import NOTICE_VERSION

    code = await phone_code(client, owner, tenant, phone, headers)
    done = await verify_phone(client, tenant.slug, phone, code, headers, consent=NOTICE_VERSION)
    assert done.status_code == 200, done.text
    return dict(done.json())


# --- web: citizen app ---

PHONE = {"width": 360, "height": 640}
"""A cheap Android phone's screen, in CSS pixels."""


async def phone_context(browser: Any, **more: Any) -> Any:
    """A fresh browser context like the ``page`` fixture's, but a 360x640 touch phone in
    Bahasa Indonesia with GPS at Alun-alun Malang (geolocation granted); only 127.0.0.1
    is reachable."""
    context = await browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        geolocation={"latitude": MALANG[0], "longitude": MALANG[1], "accuracy": 20},
        permissions=["geolocation"],
        **more,
    )
    await context.route("**/*", offline_route)
    return context


def citizen_url(live_server: str, tenant: TenantInfo, route: str = "") -> str:
    """The citizen app of ``tenant`` on the live server, at hash ``route`` (e.g. ``lapor``)."""
    return f"http://{live_server}/t/{tenant.slug}/" + (f"#/{route}" if route else "")


async def open_citizen(page: Any, url: str) -> None:
    """Open the citizen app and wait until its view has loaded."""
    await page.goto(url)
    await page.locator("#main[data-loaded]").wait_for(timeout=20_000)


async def citizen_password_sign_in(page: Any, live_server: str, username: str) -> None:
    """Sign a citizen in on the page's origin through ``/auth/web/login`` (the refresh
    cookie the app restores on its next load), then reload the app."""
    status = await page.evaluate(
        """async ([username, password]) => {
          const csrf = document.cookie.split('; ').find((c) => c.startsWith('jogo_csrf='));
          const response = await fetch('/auth/web/login', {
            method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json',
                      'X-Jogo-CSRF': decodeURIComponent(csrf.slice('jogo_csrf='.length))},
            body: JSON.stringify({username, password}),
          });
          return response.status;
        }""",
        [username, PASSWORD],
    )
    assert status == 200, status
    await page.reload()
    await page.locator("#main[data-loaded]").wait_for(timeout=20_000)


async def hold(page: Any, selector: str, ms: int) -> None:
    """Press the pointer on ``selector``'s centre for ``ms`` milliseconds, then let go."""
    box = await page.locator(selector).bounding_box()
    assert box is not None, selector
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()
    await page.wait_for_timeout(ms)
    await page.mouse.up()


def big_photo(path: Path, size: tuple[int, int] = (4000, 3000)) -> Path:
    """A JPEG of ``size`` pixels (a phone camera's) with some detail, written to ``path``."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (40, 90, 160))
    draw = ImageDraw.Draw(image)
    for i in range(0, size[0], 200):
        draw.rectangle([i, 0, i + 100, size[1]], fill=(200, 160 + i % 90, 40))
    image.save(path, "JPEG", quality=85)
    return path


async def reports_titled(owner: Any, tenant: TenantInfo, title: str) -> list[Any]:
    """The reports of ``tenant`` with ``title`` (as the database's owner sees them)."""
    return list(
        await owner.fetch(
            "SELECT id, ticket, anonymous, channel FROM reports WHERE tenant_id = $1 AND title = $2",
            tenant.id,
            title,
        )
    )


# --- WhatsApp and SMS intake (tenants/intake/) ---

WA_APP_SECRET = "meta-app-secret-for-tests"
WA_VERIFY_TOKEN = "verify-token-for-tests"
SMS_SECRET = "sms-gateway-secret-for-tests"


async def set_intake_gateways(
    tenant: TenantInfo,
    settings: Settings,
    *,
    app_secret: str = WA_APP_SECRET,
    sms_secret: str = SMS_SECRET,
    kinds: tuple[str, ...] = ("WHATSAPP", "SMS"),
) -> None:
    """The command's WHATSAPP and SMS gateways as the intake reads them: WhatsApp's
    verify token in ``config``, its app secret encrypted in ``config.app_secret_enc``;
    the SMS gateway's secret encrypted in ``secret_enc``."""
    from jogo.platform.crypto import encrypt

    async with db.tenant_tx(tenant.id):
        for kind in kinds:
            config: dict[str, Any] = {}
            secret = None
            if kind == "WHATSAPP":
                config = {
                    "verify_token": WA_VERIFY_TOKEN,
                    "app_secret_enc": encrypt(app_secret, settings.secret_key),
                }
                secret = encrypt("access-token", settings.secret_key)
            else:
                secret = encrypt(sms_secret, settings.secret_key)
            await db.fetch(
                "INSERT INTO notification_gateways (tenant_id, kind, config, secret_enc)"
                " VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (tenant_id, kind) DO UPDATE"
                " SET config = EXCLUDED.config, secret_enc = EXCLUDED.secret_enc",
                tenant.id,
                kind,
                json.dumps(config),
                secret,
            )


def a_sender() -> str:
    """A fresh Indonesian mobile number as WhatsApp writes it (no "+")."""
    return f"62812{uuid.uuid4().int % 10**8:08d}"


def wa_message(sender: str, kind: str = "text", message_id: str | None = None, **content: Any):
    """One WhatsApp Cloud API message object: ``text`` (body=...), ``location``
    (latitude, longitude, name, address) or ``image`` (id, caption)."""
    message: dict[str, Any] = {
        "from": sender,
        "id": message_id or f"wamid.{uuid.uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": kind,
    }
    message[kind] = content
    return message


def wa_body(*messages: dict, statuses: list | None = None, phone_number_id: str = "1055") -> bytes:
    """A WhatsApp Cloud API webhook body carrying ``messages`` (and ``statuses``)."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": phone_number_id},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Warga"}, "wa_id": messages[0]["from"]}]
        value["messages"] = list(messages)
    if statuses is not None:
        value["statuses"] = statuses
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


def hub_signature(body: bytes, secret: str = WA_APP_SECRET) -> str:
    """``X-Hub-Signature-256`` of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post_whatsapp(client, slug: str, body: bytes, signature: str | None = "sign"):
    """POST a WhatsApp webhook; ``signature="sign"`` signs it with the test app secret,
    None sends no signature, anything else is sent as it is."""
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = hub_signature(body)
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return await client.post(f"/t/{slug}/intake/whatsapp", content=body, headers=headers)


async def wa_say(client, slug: str, sender: str, kind: str = "text", **content: Any) -> dict:
    """One signed WhatsApp message; asserts 200 and returns the answer."""
    response = await post_whatsapp(client, slug, wa_body(wa_message(sender, kind, **content)))
    assert response.status_code == 200, response.text
    return response.json()


async def post_sms(
    client,
    slug: str,
    sender: str,
    text: str,
    message_id: str | None = None,
    secret: str | None = SMS_SECRET,
):
    """POST an SMS gateway webhook ``{from, text, id}`` signed with ``secret`` (None:
    unsigned)."""
    body = json.dumps(
        {"from": sender, "text": text, "id": message_id or f"sms-{uuid.uuid4().hex}"}
    ).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Jogo-Signature"] = sign(body, secret)
    return await client.post(f"/t/{slug}/intake/sms", content=body, headers=headers)


async def intake_replies(owner, tenant_id: uuid.UUID, address: str) -> list[dict]:
    """The notifications queued to ``address`` (E.164), oldest first, params decoded."""
    rows = await owner.fetch(
        "SELECT channel, address, template, params, report_id FROM notifications"
        " WHERE tenant_id = $1 AND address = $2 ORDER BY created_at, id",
        tenant_id,
        address,
    )
    return [dict(r) | {"params": json.loads(r["params"])} for r in rows]


# --- attacks 17 ---


@dataclass
class RudeServer:
    """A gateway that misbehaves at the socket level, in its own thread: ``silent`` (takes
    the request, never answers), ``close`` (closes the connection at once), ``trickle``
    (a status line, then a header byte every ``pace`` seconds, forever) or ``redirect``
    (307 to ``location``). ``tls``: serve HTTPS with this server context. ``hits`` counts
    the connections it took."""

    mode: str
    location: str = ""
    tls: Any = None
    pace: float = 0.3
    hits: int = 0
    port: int = 0
    _sock: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @staticmethod
    def _read_request(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        found = re.search(rb"(?i)content-length:\s*(\d+)", head)
        left = int(found.group(1)) - len(body) if found else 0
        while left > 0:
            chunk = conn.recv(min(left, 65536))
            if not chunk:
                return
            left -= len(chunk)

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            conn.settimeout(30)
            self._read_request(conn)
            if self.mode == "close":
                return
            if self.mode == "redirect":
                conn.sendall(
                    b"HTTP/1.1 307 Temporary Redirect\r\nLocation: "
                    + self.location.encode()
                    + b"\r\nContent-Length: 0\r\n\r\n"
                )
                return
            if self.mode == "trickle":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                while not self._stop.is_set():
                    conn.sendall(b"X-Slow: 1\r\n")
                    time.sleep(self.pace)
            self._stop.wait(30)  # silent
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def start(self) -> RudeServer:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.settimeout(0.2)
        self._sock, self.port = sock, sock.getsockname()[1]

        def accept() -> None:
            while not self._stop.is_set():
                try:
                    conn, _ = sock.accept()
                except (TimeoutError, OSError):
                    continue
                self.hits += 1
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()


async def put_gateway(
    tenant_id: uuid.UUID, kind: str, config: dict[str, Any], secret: str | None, key: str
) -> None:
    """Set a command's gateway of ``kind`` directly (``secret`` encrypted under ``key``)."""
    from jogo.platform.crypto import encrypt

    async with db.tenant_tx(tenant_id):
        await db.fetch(
            "INSERT INTO notification_gateways (tenant_id, kind, config, secret_enc)"
            " VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (tenant_id, kind) DO UPDATE"
            " SET config = EXCLUDED.config, secret_enc = EXCLUDED.secret_enc, enabled = true",
            tenant_id,
            kind,
            json.dumps(config),
            encrypt(secret, key) if secret else None,
        )


async def queue_notice(
    tenant_id: uuid.UUID,
    channel: str,
    address: str,
    template: str = "report_status",
    params: dict[str, Any] | None = None,
) -> uuid.UUID:
    """One notification queued through ``notifications.do_send``; its id."""
    from jogo.tenants.notifications import actions as notifications

    async with db.tenant_tx(tenant_id):
        made = await notifications.do_send(
            tenant_id,
            channel=channel,
            address=address,
            template=template,
            params=params if params is not None else {"status": "VERIFIED", "ticket": "T-1"},
        )
    assert made is not None
    return made


# --- issue 18 attacks: the app role's connections as PostgreSQL sees them ---


async def idle_in_transaction(owner: Any) -> int:
    """How many of the app role's connections to this database sit inside a transaction
    between statements (``idle in transaction``, aborted or not)."""
    value: int = await owner.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE usename = 'jogo_app'"
        " AND datname = current_database() AND state LIKE 'idle in transaction%'"
    )
    return value


async def waiting_on_lock(owner: Any, within: float = 10.0) -> int:
    """The pid of an app-role backend waiting on a lock (``wait_event_type = 'Lock'``)."""

    async def found() -> int | None:
        pid: int | None = await owner.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE usename = 'jogo_app'"
            " AND datname = current_database() AND wait_event_type = 'Lock' LIMIT 1"
        )
        return pid

    pid: int = await eventually(found, "an app backend waiting on a lock", within)
    return pid


# --- SQL statements counted without spans (issue 18) ---------------------------------


async def counted_request(
    client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Response, list[str]]:
    """One request through an in-process client (``app_client``: the app runs in this
    task's context) and the SQL statements it ran, in order, whatever ``JOGO_SQL_SPANS``
    says (:func:`jogo.platform.telemetry.count_statements`; a ``BEGIN; SELECT
    set_config(...)`` message is one statement). Statements of other tasks (a worker, the
    relay, a live server's requests) are not counted."""
    from jogo.platform.telemetry import count_statements

    with count_statements() as counted:
        response = await client.request(method, url, **kwargs)
    return response, counted.queries


# --- a transaction pooler in front of the test server (issue 19) ---------------------


PGBOUNCER = os.environ.get("JOGO_PGBOUNCER", "/usr/sbin/pgbouncer")


class Pgbouncer:
    """Debian's PgBouncer (1.18) in transaction mode on a spare port, in front of the test
    server (``* = host port`` of ``ADMIN_URL``): trust authentication with an auth file
    naming the roles the tests connect as. Its log is ``folder/pgbouncer.log``. Under root
    it runs as the ``postgres`` user (PgBouncer refuses root). Start with :meth:`start`,
    always :meth:`stop` (the process is killed, the folder kept for the log)."""

    def __init__(self, folder: Path, pool_size: int = 20) -> None:
        import pwd
        from urllib.parse import urlsplit

        self.folder = folder
        self.port = free_port()
        self.pool_size = pool_size
        target = urlsplit(ADMIN_URL)
        self.upstream = (target.hostname or "127.0.0.1", target.port or 5432)
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / "pgbouncer.log"

    def url(self, database: str, user: str = "jogo_app") -> str:
        """A URL of ``database`` through the pooler, as ``user``."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _write_config(self) -> Path:
        host, port = self.upstream
        (self.folder / "users.txt").write_text('"jogo_app" ""\n"postgres" ""\n')
        ini = self.folder / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host={host} port={port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.folder / 'users.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\nmax_client_conn = 1000\n"
            "server_check_delay = 0\nlog_connections = 0\nlog_disconnections = 0\n"
        )
        return ini

    def start(self, within: float = 10.0) -> Pgbouncer:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o755)  # the postgres user reads its config here
        ini = self._write_config()
        command = [PGBOUNCER, str(ini)] + (["-u", self.user.pw_name] if self.user else [])
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=out)
        deadline = time.monotonic() + within
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pgbouncer did not listen: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


# JOGO_TEST_POOLER=1 (.ci/run's second pass): every app-role connection of the suite goes
# through one PgBouncer in transaction mode (conftest's ``pooler``), with asyncpg's
# statement cache off and LISTEN direct, as README *Behind a connection pooler* says.
POOLED = os.environ.get("JOGO_TEST_POOLER", "") == "1"
SESSION_POOLER: list[Pgbouncer] = []  # the session's pooler, once conftest started it


def pooler_env(pooler: Pgbouncer, database: str, *, listen_through_pooler: bool = False) -> dict:
    """The ``JOGO_*`` variables for a process whose app connections to ``database`` (an
    owner URL on the test server) go through ``pooler``: statement cache 0 and LISTEN
    direct (or, to show readiness fail, through the pooler too)."""
    from jogo.platform.settings import APP_ROLE, swap_user

    name = database.rpartition("/")[2]
    direct = swap_user(database, APP_ROLE, None)
    return {
        "JOGO_APP_DATABASE_URL": pooler.url(name),
        "JOGO_DB_STATEMENT_CACHE_SIZE": "0",
        "JOGO_LISTEN_DATABASE_URL": pooler.url(name) if listen_through_pooler else direct,
    }


def pooled_env(database: str) -> dict[str, str]:
    """:func:`pooler_env` of the session's pooler when ``JOGO_TEST_POOLER=1`` and
    ``database`` is on the shared test server (not a test's own PostgreSQL); else none."""
    shared = database.startswith(ADMIN_URL.rpartition("/")[0] + "/")
    if not (POOLED and SESSION_POOLER and shared):
        return {}
    return pooler_env(SESSION_POOLER[0], database)


# --- issue 19 attacks: engines through a pooler (moved from tests/test_pooler.py) ----


def through_pooler(
    settings: Settings, pooler: Pgbouncer, database: str, *, listen_through_pooler: bool = False
) -> Settings:
    """``settings`` with the app role through ``pooler`` as the README says (or with
    LISTEN through it too)."""
    from dataclasses import replace

    from jogo.platform.settings import load_settings

    env = pooler_env(pooler, database, listen_through_pooler=listen_through_pooler)
    loaded = load_settings({"JOGO_ENV": "test", **env})
    return replace(
        settings,
        app_database_url=loaded.app_database_url,
        db_statement_cache_size=loaded.db_statement_cache_size,
        listen_database_url=loaded.listen_database_url,
    )


@contextlib.asynccontextmanager
async def engine_as(settings: Settings) -> AsyncIterator[Settings]:
    """The session loop's engine as ``settings`` say while the block runs, then back as it
    was; the live events' hub listens anew on both sides (on the block's listen URL)."""
    from dataclasses import replace

    from jogo.platform.notify import HUB

    before, pool = db.ENGINE.options, db.ENGINE.pool
    assert before is not None and pool is not None
    size = pool.get_max_size()
    await HUB.close()
    await db.start_engine_for(replace(settings, db_pool_size=size))
    try:
        yield settings
    finally:
        await HUB.close()
        await db.start_engine(
            before.dsn,
            size,
            statement_cache_size=before.statement_cache_size,
            listen_url=before.listen_dsn,
        )


# --- counting SQL statements through spans (moved from test_attacks.py, issue 19) ---


def sql_statements(span_exporter: Any, text: str = "") -> int:
    """SQL statements run so far (OpenTelemetry spans, ``span_exporter`` fixture) whose
    attributes hold ``text`` (every statement when ``text`` is empty)."""
    found = 0
    for span in span_exporter.get_finished_spans():
        attributes = span.attributes or {}
        if attributes.get("db.system") != "postgresql":
            continue
        if not text or any(isinstance(v, str) and text in v for v in attributes.values()):
            found += 1
    return found


class SocketReader:
    """One graphql-transport-ws socket (a ``websockets`` client) read in the background:
    ``messages``, every message received in order, parsed; ``closed``, the close frame's
    ``(code, reason)`` once the socket closed (``(0, "")`` when no frame came), else None."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                self.messages.append(json.loads(text))
        except websockets.ConnectionClosed:
            pass
        frame = self.ws.protocol.close_rcvd
        self.closed = (frame.code, frame.reason) if frame is not None else (0, "")

    def of(self, op: str) -> list[dict[str, Any]]:
        """The messages of operation ``op``."""
        return [m for m in self.messages if m.get("id") == op]

    def data(self, op: str) -> list[Any]:
        """The non-null ``data`` of operation ``op``'s ``next`` messages."""
        found = [m["payload"].get("data") for m in self.of(op) if m["type"] == "next"]
        return [d for d in found if d is not None]

    async def subscribe(
        self,
        op: str,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> None:
        """Send a ``subscribe`` message for operation id ``op``."""
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        if operation_name is not None:
            payload["operationName"] = operation_name
        await self.ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))

    async def close(self) -> None:
        """Close the socket and wait for the reader to finish."""
        await self.ws.close()
        await self._task


async def connect_graphql_socket(
    server: str, slug: str, init: dict[str, str], wait: float = 10.0
) -> Any:
    """A ``websockets`` client on ``ws://{server}/t/{slug}/graphql`` (graphql-transport-ws),
    initialised with ``init`` as the ``connection_init`` payload; asserts the ack."""
    ws = await websockets.connect(
        f"ws://{server}/t/{slug}/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": init}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), wait))
    assert ack["type"] == "connection_ack", ack
    return ws


# --- issue 20 part 5: exports ---


async def seed_reports_sql(owner: Any, tenant: TenantInfo, count: int) -> None:
    """``count`` submitted reports of ``tenant`` written by the owner in one statement (no
    events, no rollups): bulk rows for exports, in seconds. Tickets ``SEED-<n>``."""
    await owner.execute(
        """INSERT INTO reports (tenant_id, ticket, category_id, title, description, latitude,
             longitude, occurred_at, anonymous, pin_hash, submitted_by, status,
             verify_due_at, created_at, updated_at)
           SELECT $1, 'SEED-' || lpad(i::text, 7, '0'),
             (SELECT id FROM report_categories WHERE tenant_id = $1 AND is_active
               ORDER BY code LIMIT 1),
             'Laporan massal nomor ' || i,
             'Uraian kejadian untuk uji ekspor massal, baris nomor ' || i,
             -7.90 - (i % 97) * 0.001, 112.60 + (i % 89) * 0.001, now(), true, 'seeded',
             'pelapor anonim', 'SUBMITTED', now() + interval '3 days',
             now() - i * interval '1 second', now()
           FROM generate_series(1, $2::int) i""",
        tenant.id,
        count,
    )


# --- event webhooks (tests/test_event_webhooks.py, tests/test_attacks_20_webhooks.py) ---

CREATE_WEBHOOK = """mutation($input: WebhookSubscriptionInput!, $key: String) {
  createWebhookSubscription(input: $input, clientKey: $key) {
    subscription { id url eventTypes enabled reporterIdentity disabledReason disabledAt }
    secret errors { code field message } } }"""
WEBHOOK_DELIVERIES = """query($s: ID, $first: Int!) {
  webhookDeliveries(subscriptionId: $s, first: $first) {
    edges { node { id webhookId eventType status attempts lastError } }
    pageInfo { hasNextPage endCursor } } }"""


async def subscribe_webhook(
    client: Any, slug: str, headers: dict, url: str, types: list[str], **more: Any
) -> dict[str, Any]:
    """createWebhookSubscription; returns its payload (subscription, secret, errors)."""
    status, body = await gql(
        client,
        f"/t/{slug}/graphql",
        CREATE_WEBHOOK,
        headers,
        input={"url": url, "eventTypes": types, **more},
    )
    assert status == 200 and "errors" not in body, body
    return body["data"]["createWebhookSubscription"]


def worker_process(database: str) -> Any:
    """``jogo worker`` as a child process on the test broker (to kill mid-delivery)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(JOGO_DATABASE_URL=database, JOGO_AMQP_URL=AMQP_URL, JOGO_ENV="test")
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "jogo"), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# --- personal data (UU PDP): data-subject requests and retention ---

REQUEST_MY_DATA = """mutation($input: DataSubjectRequestInput!) { requestMyData(input: $input) {
  request { id right status dueAt receivedAt madeBy log { actor step note } }
  errors { code field message } } }"""
FULFIL_REQUEST = """mutation($id: ID!) { fulfilDataSubjectRequest(id: $id) {
  request { id status doneAt log { actor step note } } errors { code field message } } }"""
SET_LEGAL_HOLD = """mutation($r: ID!, $why: String!) { setLegalHold(reportId: $r, reason: $why) {
  ticket held errors { code field message } } }"""


async def text_columns_holding(owner: Any, values: list[str]) -> list[str]:
    """Every ``table.column`` (all tables of the public schema, text, varchar, json,
    jsonb and arrays, read as text by the superuser, so RLS hides nothing) where any of
    ``values`` occurs: ``["reports.reporter_name", ...]``; empty when none holds one."""
    columns = await owner.fetch(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c"
        " JOIN information_schema.tables t ON t.table_schema = c.table_schema"
        " AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'"
        " WHERE c.table_schema = 'public' AND c.data_type IN"
        " ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'tsvector')"
    )
    found = []
    for col in columns:
        table, column = col["table_name"], col["column_name"]
        hit = await owner.fetchval(
            f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE ANY($1::text[]))',
            [f"%{v}%" for v in values],
        )
        if hit:
            found.append(f"{table}.{column}")
    return found
