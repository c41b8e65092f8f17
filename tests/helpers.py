"""Test helpers: tenants, users, tokens and GraphQL calls."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import dramatiq
import httpx

from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.platform.auth.users import create_user
from jogo.platform.registry import TenantInfo
from jogo.platform.settings import Settings
from jogo.tenants.onboarding.actions import OnboardInput, do_onboard_tenant
from jogo.tenants.onboarding.malang import REGION as MALANG_REGION
from jogo.tenants.onboarding.malang import do_import_sample_directory

PASSWORD = "correct horse battery"


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
    return response.status_code, response.json()


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


async def eventually(check: Any, what: str, within: float = 10.0) -> None:
    """Wait until ``check()`` (sync) is true; fail with ``what`` at the deadline."""
    import asyncio
    import time

    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


ROOT = Path(__file__).resolve().parent.parent


def run_jogo(
    args: list[str], database: str | None, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """The ``jogo`` command as a real process (measured by coverage), with no ``JOGO_*`` or
    ``OTEL_*`` variable of ours leaking in but ``JOGO_DATABASE_URL=database`` and ``env``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    if database:
        environ["JOGO_DATABASE_URL"] = database
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "jogo.platform.app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=120,
    )


async def run_job(
    actor: str, owner: Any, tenant: TenantInfo, wait: float = 60.0, **payload: Any
) -> None:
    """What the scheduler does each tick for this tenant (one outbox message with
    ``payload`` as the actor's keyword arguments), then wait until the worker has finished
    it (not only the relay published it); fail at the deadline. Only this tenant's message
    counts, so the wait does not grow with the tenants earlier tests made. Needs the
    ``worker`` and ``relay`` fixtures."""
    import asyncio
    import time

    from jogo.platform import db, outbox

    before = FINISHED.count(actor, tenant.id)
    async with db.control_tx():
        await outbox.enqueue(actor, payload, tenant.id)
    deadline = time.monotonic() + wait
    while FINISHED.count(actor, tenant.id) <= before:
        assert time.monotonic() < deadline, f"{actor} for {tenant.slug} did not finish"
        await asyncio.sleep(0.05)
