"""Attacks on issue 18's fast paths: plans shared between requests, one read transaction
per query, keyed PINs and the ticket counter taken last.

Each test plays a caller from outside (another command, a citizen, an officer with an
assigned scope, a read-only API key, an expired token, a client that hangs up, a database
that kills a backend) and checks what DESIGN.md promises: the same answers as
graphql-core alone, no data across tenants, typed errors, no connection left inside a
transaction, gap-free tickets.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from helpers import (
    ASSIGN,
    SUBMIT,
    TRACK,
    act,
    auth_header,
    bearer_for,
    create_unit,
    dispatch_to,
    gql,
    idle_in_transaction,
    make_user,
    manual_agencies,
    onboard,
    report_input,
    submit,
    waiting_on_lock,
)

from jogo.graphql import compiled
from jogo.platform import db
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role

# One text, many callers: aliases of one field with different selections, a fragment
# spread and an inline fragment under directives, a field asked twice.
SHARED = """query($first: Int!, $a: Boolean!, $b: Boolean!) { reports(first: $first) {
  totalCount edges { cursor node {
    ...Staff @include(if: $a)
    ... on Report @skip(if: $b) { lastEvent { kind actorName public } }
    id ticket status duplicateOfId outsideJurisdiction
    c1: category { code } c2: category { nameEn nameId }
    officer: assignedOfficer { username } again: assignedOfficer @include(if: $b) { id }
    timeline { kind actorName note public }
    latestDispatch { agencyName status }
  } } pageInfo { hasNextPage endCursor } } }
  fragment Staff on Report { dispatches { agencyCode status } lastEvent { note } }"""


async def _command(app_client, settings, tenant):
    """Four reports (one by a citizen, one assigned to an officer, one dispatched) and
    the callers: admin, officer, citizen, read-only API key."""
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    officer_id, officer_name = await make_user(Role.OFFICER, tenant)
    citizen_id, citizen_name = await make_user(Role.CITIZEN, tenant)
    citizen = bearer_for(citizen_id, citizen_name, settings)
    ids = [(await submit(app_client, tenant.slug, admin))["report"]["id"] for _ in range(2)]
    ids.append((await submit(app_client, tenant.slug, citizen))["report"]["id"])
    ids.append((await submit(app_client, tenant.slug, None, anonymous=True))["report"]["id"])
    await act(app_client, tenant.slug, ASSIGN, admin, id=ids[0], o=str(officer_id), u=None)
    agency = (await manual_agencies(app_client, tenant.slug, admin))[0]
    await dispatch_to(app_client, tenant, admin, agency, ids[0])
    await dispatch_to(app_client, tenant, admin, agency, ids[2])
    key = await create_api_key(tenant, "Dasbor kota", ["reports:read"], "pytest")
    return {
        "admin": admin,
        "officer": bearer_for(officer_id, officer_name, settings),
        "citizen": citizen,
        "apikey": {"X-API-Key": key.key},
    }


async def test_one_query_text_answers_each_caller_as_graphql_core_does(
    app_client, settings, two_tenants, monkeypatch
):
    """Interleaved callers of two commands, every @include/@skip combination: each answer
    equals graphql-core's own (the plan cache keeps no caller, tenant or variable)."""
    callers = {
        t.slug: await _command(app_client, settings, t) for t in (two_tenants.a, two_tenants.b)
    }
    combos = [(a, b) for a in (True, False) for b in (True, False)]
    fast = {}
    for _round in range(2):  # the second round runs on plans the first one cached
        for a, b in combos:
            for slug, people in callers.items():
                for who, headers in people.items():
                    status, body = await gql(
                        app_client, f"/t/{slug}/graphql", SHARED, headers, first=10, a=a, b=b
                    )
                    assert status == 200, body
                    fast[(slug, who, a, b)] = body
    admin_a = fast[(two_tenants.a.slug, "admin", True, False)]["data"]["reports"]
    assert admin_a["totalCount"] == 4
    officer_a = fast[(two_tenants.a.slug, "officer", True, False)]["data"]["reports"]
    assert officer_a["totalCount"] == 1  # the assigned scope
    monkeypatch.setattr(compiled, "_PLANNED", set())
    for (slug, who, a, b), body in fast.items():
        _, slow = await gql(
            app_client, f"/t/{slug}/graphql", SHARED, callers[slug][who], first=10, a=a, b=b
        )
        # ``extensions.cost`` differs (each request spent the same budget); the rest is equal.
        assert {**slow, "extensions": None} == {**body, "extensions": None}, (slug, who, a, b)
    # Nothing of one command in the other's answers.
    for (slug, _who, _a, _b), body in fast.items():
        other = two_tenants.b if slug == two_tenants.a.slug else two_tenants.a
        assert other.ticket_prefix + "-" not in str(body)


async def test_staff_relations_stay_empty_for_non_staff_on_a_cached_plan(app_client, settings):
    """The plan an admin's request cached does not carry the admin's view to a citizen:
    no officer, no dispatches, public timeline only (a ``reports:read`` API key reads
    all reports, as staff do: the first test compares its answers)."""
    tenant = await onboard()
    people = await _command(app_client, settings, tenant)
    path = f"/t/{tenant.slug}/graphql"
    _, staff = await gql(app_client, path, SHARED, people["admin"], first=10, a=True, b=False)
    assert any(e["node"]["dispatches"] for e in staff["data"]["reports"]["edges"])
    for who in ("citizen",):
        status, body = await gql(app_client, path, SHARED, people[who], first=10, a=True, b=False)
        assert status == 200, body
        for edge in body["data"]["reports"]["edges"]:
            node = edge["node"]
            assert node["officer"] is None and node["latestDispatch"] is None, who
            assert node["dispatches"] == [] and node["duplicateOfId"] is None, who
            assert node["outsideJurisdiction"] is None, who
            assert all(e["public"] for e in node["timeline"]), who


async def test_an_expired_token_is_refused_typed(app_client, settings):
    tenant = await onboard("minimal")
    user_id, name = await make_user(Role.TENANT_ADMIN, tenant)
    expired = bearer_for(user_id, name, settings, ttl=-60)
    response = await app_client.post(
        f"/t/{tenant.slug}/graphql",
        json={"query": SHARED, "variables": {"first": 5, "a": True, "b": True}},
        headers=expired,
    )
    assert response.status_code == 401, response.text
    assert "Unexpected error" not in response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


BLOCKED = "{ categories { code } reports(first: 2) { edges { node { ticket } } } }"


async def _blocked_request(app_client, owner, database, tenant, headers):
    """Start ``BLOCKED`` while the owner holds a lock on report_categories; returns the
    request's task, the locking connection and the app's backend pid that waits."""
    locker = await asyncpg.connect(database)
    await locker.execute("BEGIN; LOCK TABLE report_categories IN ACCESS EXCLUSIVE MODE")
    task = asyncio.ensure_future(
        app_client.post(f"/t/{tenant.slug}/graphql", json={"query": BLOCKED}, headers=headers)
    )
    pid = await waiting_on_lock(owner)
    return task, locker, pid


async def test_a_backend_killed_mid_query_is_a_typed_error_and_leaves_nothing_open(
    app_client, settings, owner, database
):
    tenant = await onboard()
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    await submit(app_client, tenant.slug, admin)
    task, locker, pid = await _blocked_request(app_client, owner, database, tenant, admin)
    try:
        await owner.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await locker.execute("COMMIT")
        await locker.close()
    response = await asyncio.wait_for(task, 20)
    assert response.status_code in (200, 503), response.text
    assert "Unexpected error" not in response.text, response.text
    codes = {e.get("extensions", {}).get("code") for e in response.json().get("errors", [])}
    assert codes == {"UNAVAILABLE"}, response.json()
    assert await idle_in_transaction(owner) == 0
    status, body = await gql(app_client, f"/t/{tenant.slug}/graphql", BLOCKED, admin)
    assert status == 200 and "errors" not in body, body


async def test_a_client_that_hangs_up_mid_query_leaves_no_open_transaction(
    app_client, settings, owner, database
):
    tenant = await onboard()
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    await submit(app_client, tenant.slug, admin)
    task, locker, _ = await _blocked_request(app_client, owner, database, tenant, admin)
    task.cancel()
    try:
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await locker.execute("COMMIT")
        await locker.close()
    for _ in range(100):
        if await idle_in_transaction(owner) == 0:
            break
        await asyncio.sleep(0.05)
    assert await idle_in_transaction(owner) == 0
    status, body = await gql(app_client, f"/t/{tenant.slug}/graphql", BLOCKED, admin)
    assert status == 200 and "errors" not in body, body


# --- a request that needs a second connection while its read session holds one -------

REPORTER = "query($id: ID!) { report(id: $id) { ticket reporter { anonymous } } }"


async def test_a_query_needs_one_pooled_connection_at_a_time(app_client, settings, monkeypatch):
    """With one pooled connection free, a query that reads a report and audits the
    reporter's identity is answered: the read session steps aside (commits and gives its
    connection back) before the audit borrows one, so a request never holds one
    connection while it waits for a second."""
    tenant = await onboard()
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    rid = (await submit(app_client, tenant.slug, admin))["report"]["id"]
    monkeypatch.setattr(db, "ACQUIRE_TIMEOUT", 0.5)
    pool = db.ENGINE.pool
    assert pool is not None
    held = [await pool.acquire() for _ in range(pool.get_max_size() - 1)]
    try:
        status, body = await gql(app_client, f"/t/{tenant.slug}/graphql", REPORTER, admin, id=rid)
    finally:
        for conn in held:
            await pool.release(conn)
    assert status == 200 and "errors" not in body, body


# --- PINs ---


async def test_two_right_tracks_of_an_argon2_pin_at_once_both_open_it(app_client, settings, owner):
    from argon2 import PasswordHasher

    tenant = await onboard("minimal")
    made = await submit(app_client, tenant.slug, None, anonymous=True)
    report = made["report"]
    pin = "13572468"
    await owner.execute(
        "UPDATE reports SET pin_hash = $2 WHERE id = $1::uuid",
        uuid.UUID(report["id"]),
        PasswordHasher().hash(pin),
    )
    path = f"/t/{tenant.slug}/graphql"
    answers = await asyncio.gather(
        *(gql(app_client, path, TRACK, t=report["ticket"], p=pin) for _ in range(3))
    )
    for status, body in answers:
        assert status == 200 and "errors" not in body, body
        assert body["data"]["trackReport"]["ticket"] == report["ticket"]
    stored = await owner.fetchval(
        "SELECT pin_hash FROM reports WHERE id = $1::uuid", uuid.UUID(report["id"])
    )
    assert stored.startswith("hmac-sha256$v1$")
    assert await idle_in_transaction(owner) == 0


async def test_tracking_beside_another_read_still_counts_and_opens(app_client, settings):
    """trackReport in one query with a tenant read (which opens the read session first):
    the right PIN opens, the wrong one is null, and guesses are still counted."""
    tenant = await onboard("minimal")
    made = await submit(app_client, tenant.slug, None, anonymous=True)
    ticket, pin = made["report"]["ticket"], made["pin"]
    query = """query($t: String!, $p: String!) { categories { code }
      trackReport(ticket: $t, pin: $p) { ticket status } }"""
    path = f"/t/{tenant.slug}/graphql"
    _, body = await gql(app_client, path, query, t=ticket, p=pin)
    assert body["data"]["trackReport"]["ticket"] == ticket, body
    wrong = pin[:-1] + str((int(pin[-1]) + 1) % 10)
    codes = []
    for _ in range(12):
        _, body = await gql(app_client, path, query, t=ticket, p=wrong)
        codes.append(tuple(e["extensions"]["code"] for e in body.get("errors", [])))
    assert ("RATE_LIMITED",) in codes, codes
    assert "Unexpected error" not in str(codes)


# --- the ticket counter ---


def _number(ticket: str) -> int:
    return int(ticket.rsplit("-", 1)[1])


async def test_a_refused_submit_takes_no_ticket_and_two_commands_count_apart(
    app_client, settings, two_tenants
):
    """Parallel submitters in two commands, with refused submissions (unknown category)
    among them: each command's tickets are unique and consecutive."""
    headers = {
        t.slug: await auth_header(settings, Role.TENANT_ADMIN, t)
        for t in (two_tenants.a, two_tenants.b)
    }

    async def one(slug: str, i: int) -> str | None:
        bad = i % 3 == 0
        data = report_input(categoryCode="NO_SUCH_THING" if bad else "FLOOD")
        _, body = await gql(app_client, f"/t/{slug}/graphql", SUBMIT, headers[slug], input=data)
        payload = body["data"]["submitReport"]
        if bad:
            assert payload["errors"][0]["field"] == "categoryCode", payload
            return None
        assert payload["errors"] == [], payload
        ticket: str = payload["report"]["ticket"]
        return ticket

    jobs = [one(slug, i) for i in range(12) for slug in headers]
    tickets = [t for t in await asyncio.gather(*jobs) if t is not None]
    for tenant in (two_tenants.a, two_tenants.b):
        mine = sorted(_number(t) for t in tickets if t.startswith(tenant.ticket_prefix + "-"))
        assert len(mine) == 8
        assert mine == list(range(mine[0], mine[0] + 8)), mine


# --- DataLoader batches outlive a request that is cancelled ---

TWO_LOADERS = """query($id: ID!) { report(id: $id) { ticket assignedUnit { name }
  nearbyCameras { name } } }"""


async def test_a_loader_batch_after_a_hang_up_leaves_no_connection_behind(
    app_client, settings, owner, database
):
    """Two DataLoader batches of one query take turns on the read session; the client
    hangs up while the first waits on a lock and the second waits for the session. The
    batches are tasks of their own (the hang-up does not cancel them): whatever they do
    afterwards, no connection stays borrowed inside a transaction."""
    tenant = await onboard()
    admin = await auth_header(settings, Role.TENANT_ADMIN, tenant)
    rid = (await submit(app_client, tenant.slug, admin))["report"]["id"]
    unit = await create_unit(app_client, tenant.slug, admin, "Sabhara Uji")
    await act(app_client, tenant.slug, ASSIGN, admin, id=rid, o=None, u=unit)
    locker = await asyncpg.connect(database)
    await locker.execute("BEGIN; LOCK TABLE units IN ACCESS EXCLUSIVE MODE")
    task = asyncio.ensure_future(
        app_client.post(
            f"/t/{tenant.slug}/graphql",
            json={"query": TWO_LOADERS, "variables": {"id": rid}},
            headers=admin,
        )
    )
    try:
        await waiting_on_lock(owner)
        await asyncio.sleep(0.2)  # the cameras batch now waits for the session
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await locker.execute("COMMIT")
        await locker.close()
    await asyncio.sleep(1.0)  # the batches run on
    assert await idle_in_transaction(owner) == 0
    status, body = await gql(app_client, f"/t/{tenant.slug}/graphql", TWO_LOADERS, admin, id=rid)
    assert status == 200 and "errors" not in body, body


async def test_a_read_waiting_for_the_session_when_the_request_ends_leaves_nothing_open(
    owner, two_tenants
):
    """A straggling read (a task the request does not wait for) queued on the read session
    while the request ends: it must not open a transaction on a session nobody will close."""
    tenant = two_tenants.a
    gate = asyncio.Event()

    async def first() -> None:
        async with db.read_tx(tenant.id):
            await db.fetch("SELECT 1")
            await gate.wait()

    async def second() -> int:
        async with db.read_tx(tenant.id):
            value: int = (await db.fetch("SELECT 2 AS n"))[0]["n"]
            return value

    async with db.request_reads(tenant.id) as session:
        session.active = True
        one = asyncio.ensure_future(first())
        await asyncio.sleep(0.05)
        two = asyncio.ensure_future(second())
        await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(one, return_exceptions=True)
    assert await asyncio.wait_for(two, 10) == 2  # answered, in a transaction of its own
    assert await idle_in_transaction(owner) == 0


async def test_a_read_opening_the_session_when_the_request_ends_leaves_nothing_open(
    owner, two_tenants, monkeypatch
):
    """The request ends while its first read still waits for a pooled connection (every
    one busy): when that read gets one, the transaction it opens is ended too."""
    tenant = two_tenants.a
    monkeypatch.setattr(db, "ACQUIRE_TIMEOUT", 20.0)
    pool = db.ENGINE.pool
    assert pool is not None
    held = [await pool.acquire() for _ in range(pool.get_max_size())]

    async def straggler() -> int:
        async with db.read_tx(tenant.id):
            value: int = (await db.fetch("SELECT 3 AS n"))[0]["n"]
            return value

    try:
        async with db.request_reads(tenant.id) as session:
            session.active = True
            late = asyncio.ensure_future(straggler())
            await asyncio.sleep(0.1)  # waiting in acquire
    finally:
        for conn in held:
            await pool.release(conn)
    assert await asyncio.wait_for(late, 10) == 3
    assert await idle_in_transaction(owner) == 0
