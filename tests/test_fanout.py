"""Live feeds for many screens (issue 19): an event is read once, rendered once per
document and view, and fanned out in memory; each subscriber still gets exactly what
its scope allows, once, and the feed still ends when its caller may no longer read.

- Subscribers of every role in two tenants, over two documents: operators get every
  event of their tenant, an officer what is assigned to them (from the assignment on),
  a citizen the public entries of their own reports, with their own name where they
  acted; the other tenant's subscribers get none of it.
- A rendered result with errors is never shared; one without is, as the same text.
- The SQL statements an event costs do not grow with its subscribers.
- A subscriber whose membership ends, or whose token expires, is ended while the
  others sharing its renders go on.
- Closed sockets leave no feed, timer, delivery task or cache behind.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncGenerator
from typing import Any, cast

import jwt
import strawberry
from helpers import (
    ASSIGN,
    NOTE,
    VERIFY,
    SocketReader,
    act,
    auth_header,
    bearer_for,
    connect_graphql_socket,
    eventually,
    make_user,
    sql_statements,
    submit,
)
from strawberry.extensions import ParserCache

from jogo.graphql import live
from jogo.graphql.live import RENDERS, LiveEvent, SharedData, encode_json, next_message
from jogo.graphql.reports import subscriptions
from jogo.graphql.schemas import Schema
from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.platform.notify import HUB

PLAIN = "subscription { reportEvents { ticket event { kind public actorName } } }"
FRAGMENT = (
    "subscription($u: Boolean!) { reportEvents(urgentOnly: $u) { ...F } }"
    " fragment F on ReportLiveEvent { ticket event { kind public actorName } }"
)
DOCS: list[tuple[str, dict[str, Any] | None]] = [(PLAIN, None), (FRAGMENT, {"u": False})]
EVENT_READ = "FROM report_events e JOIN reports r"


class Feed(SocketReader):
    """One socket with one ``reportEvents`` subscription; what it receives, in order."""

    def __init__(self, ws: Any, name: str, doc: int) -> None:
        super().__init__(ws)
        self.name = name
        self.doc = doc

    def events(self) -> list[tuple[str, str, bool, str]]:
        """(ticket, kind, public, actorName) of each ``next`` message."""
        found = []
        for message in self.messages:
            if message.get("type") == "next" and message["payload"]["data"] is not None:
                data = message["payload"]["data"]["reportEvents"]
                event = data["event"]
                found.append((data["ticket"], event["kind"], event["public"], event["actorName"]))
        return found


async def open_feed(server: str, slug: str, authorization: str, doc: int, name: str) -> Feed:
    feed = Feed(
        await connect_graphql_socket(server, slug, {"Authorization": authorization}), name, doc
    )
    await feed.subscribe("1", *DOCS[doc])
    return feed


async def listening(count: int) -> None:
    await eventually(lambda: HUB.subscribers() >= count, f"{count} feeds listening")


def far(i: int) -> dict[str, Any]:
    """A location and category of its own: no duplicate hint joins the reports."""
    categories = ["FALLEN_TREE", "POWER_FAULT", "PUBLIC_ORDER", "FLOOD"]
    return {
        "latitude": -7.90 - 0.03 * i,
        "longitude": 112.60 + 0.03 * i,
        "categoryCode": categories[i % len(categories)],
    }


async def test_every_subscriber_gets_exactly_its_scope_once(
    app_client, live_server, settings, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    op1_id, op1_name = await make_user(Role.OPERATOR, a)
    op2_id, op2_name = await make_user(Role.OPERATOR, a)
    operator1 = bearer_for(op1_id, op1_name, settings)["Authorization"]
    operator2 = bearer_for(op2_id, op2_name, settings)["Authorization"]
    officers = [await make_user(Role.OFFICER, a) for _ in range(2)]
    citizens = [await make_user(Role.CITIZEN, a) for _ in range(2)]
    officer_auth = [bearer_for(u, n, settings)["Authorization"] for u, n in officers]
    citizen_auth = [bearer_for(u, n, settings)["Authorization"] for u, n in citizens]
    b_operator = (await auth_header(settings, Role.OPERATOR, b))["Authorization"]

    plan = [
        *[(operator1, d, "op1") for d in (0, 1, 0)],
        *[(operator2, d, "op2") for d in (1, 0, 1)],
        (officer_auth[0], 0, "officer1"),
        (officer_auth[0], 1, "officer1"),
        (officer_auth[1], 1, "officer2"),
        (citizen_auth[0], 0, "citizen1"),
        (citizen_auth[0], 1, "citizen1"),
        (citizen_auth[1], 0, "citizen2"),
    ]
    feeds = [await open_feed(live_server, a.slug, auth, d, name) for auth, d, name in plan]
    b_feeds = [await open_feed(live_server, b.slug, b_operator, d, "b") for d in (0, 1)]
    try:
        await listening(len(feeds) + len(b_feeds))
        renders = RENDERS.renders
        sentinel = feeds[0]

        async def step(coro: Any, ticket: str, kind: str) -> None:
            """Run one write and wait until an operator heard its event: each event is
            read (with its report's scope) before the next write commits."""
            await coro
            await eventually(
                lambda: any(e[:2] == (ticket, kind) for e in sentinel.events()),
                f"{kind} of {ticket} on the operator's feed",
            )

        c1, c2 = (
            bearer_for(*citizens[0], settings),
            bearer_for(*citizens[1], settings),
        )
        mine1 = (await submit(app_client, a.slug, c1, **far(1)))["report"]
        await eventually(
            lambda: any(e[:2] == (mine1["ticket"], "SUBMITTED") for e in sentinel.events()),
            "the first submission",
        )
        mine2 = (await submit(app_client, a.slug, c2, **far(2)))["report"]
        await eventually(
            lambda: any(e[:2] == (mine2["ticket"], "SUBMITTED") for e in sentinel.events()),
            "the second submission",
        )
        staff = (await submit(app_client, a.slug, {"Authorization": operator1}, **far(3)))["report"]
        await eventually(
            lambda: any(e[:2] == (staff["ticket"], "SUBMITTED") for e in sentinel.events()),
            "the operator's submission",
        )
        other = await submit(app_client, b.slug, {"Authorization": b_operator}, **far(4))
        assign = act(
            app_client,
            a.slug,
            ASSIGN,
            {"Authorization": operator1},
            id=mine1["id"],
            o=str(officers[0][0]),
            u=None,
        )
        await step(assign, mine1["ticket"], "ASSIGNMENT")
        internal = act(
            app_client, a.slug, NOTE, {"Authorization": operator2}, id=mine1["id"], n="x", p=False
        )
        await step(internal, mine1["ticket"], "NOTE")
        verify = act(app_client, a.slug, VERIFY, {"Authorization": operator1}, id=mine1["id"])
        await step(verify, mine1["ticket"], "STATUS")
        assign2 = act(
            app_client,
            a.slug,
            ASSIGN,
            {"Authorization": operator2},
            id=mine2["id"],
            o=str(officers[1][0]),
            u=None,
        )
        await step(assign2, mine2["ticket"], "ASSIGNMENT")
        # The last events: a public note on each citizen's report.
        for report in (mine1, mine2):
            note = act(
                app_client,
                a.slug,
                NOTE,
                {"Authorization": operator1},
                id=report["id"],
                n="penanda",
                p=True,
            )
            await step(note, report["ticket"], "NOTE")
        b_marker = await submit(app_client, b.slug, {"Authorization": b_operator}, **far(5))

        everything = sentinel.events()
        last = (mine2["ticket"], "NOTE")
        assert everything[-1][:2] == last, everything

        def expected(name: str) -> list[tuple[str, str, bool, str]]:
            """What this subscriber may see, from the operator's view of every event."""
            seen = []
            assigned = False
            for ticket, kind, public, actor in everything:
                if name in ("op1", "op2"):
                    seen.append((ticket, kind, public, actor))
                elif name.startswith("officer"):
                    report = mine1 if name == "officer1" else mine2
                    if ticket == report["ticket"] and kind == "ASSIGNMENT":
                        assigned = True
                    if assigned and ticket == report["ticket"]:
                        seen.append((ticket, kind, public, actor))
                else:
                    report = mine1 if name == "citizen1" else mine2
                    if ticket == report["ticket"] and public:
                        seen.append((ticket, kind, public, actor))
            return seen

        for feed in feeds:
            want = expected(feed.name)
            await eventually(lambda f=feed, w=want: len(f.events()) >= len(w), feed.name)
            # The actor's name depends on the view: compare without it here.
            assert [g[:3] for g in feed.events()] == [w[:3] for w in want], feed.name
        # Feeds of one caller read alike, whatever their document.
        by_name: dict[str, list[Any]] = {}
        for feed in feeds:
            by_name.setdefault(feed.name, []).append(feed.events())
        for name, lists in by_name.items():
            assert all(events == lists[0] for events in lists), name
        # Each caller reads their own name where they acted, and the other's view of
        # the same event reads as the others see it: shared renders stay per view.
        actors = {name: {g[:2]: g[3] for g in lists[0]} for name, lists in by_name.items()}
        staff_submitted = (staff["ticket"], "SUBMITTED")
        assert actors["op1"][staff_submitted] == op1_name
        assert actors["op2"][staff_submitted] != op1_name
        own_submitted = (mine1["ticket"], "SUBMITTED")
        assert actors["citizen1"][own_submitted] == citizens[0][1]
        assert actors["op1"][own_submitted] != citizens[0][1]
        # A citizen reads "petugas" for staff, never a staff member's name.
        for feed in feeds:
            if feed.name.startswith("citizen"):
                staff_entries = [g for g in feed.events() if g[1] in ("STATUS", "NOTE")]
                assert staff_entries and all(g[3] == "petugas" for g in staff_entries)
        # Tenant B's feeds: B's reports only, each once.
        b_tickets = [other["report"]["ticket"], b_marker["report"]["ticket"]]
        for feed in b_feeds:
            await eventually(lambda f=feed: len(f.events()) >= 2, "B's events")
            assert [g[:2] for g in feed.events()] == [(t, "SUBMITTED") for t in b_tickets]
        for feed in feeds:
            assert not set(b_tickets) & {g[0] for g in feed.events()}
        # Rendered once per event, document and view (internal or not; the caller acted
        # or not), not once per subscriber: 14 feeds of A and 2 of B.
        usernames = {
            "op1": op1_name,
            "op2": op2_name,
            "officer1": officers[0][1],
            "officer2": officers[1][1],
            "citizen1": citizens[0][1],
            "citizen2": citizens[1][1],
        }
        keys = {
            (g[:3], f.doc, not f.name.startswith("citizen"), g[3] == usernames[f.name])
            for f in feeds
            for g in f.events()
        }
        b_keys = {(g[0], g[1], f.doc) for f in b_feeds for g in f.events()}
        delivered = sum(len(f.events()) for f in feeds + b_feeds)
        assert RENDERS.renders - renders == len(keys) + len(b_keys) < delivered
    finally:
        for feed in feeds + b_feeds:
            await feed.close()


TOY_TENANT = uuid.uuid4()


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def secret(self, info: strawberry.Info) -> str | None:
        """Fails for a caller whose context says ``deny``."""
        if info.context["deny"]:
            raise PermissionError("not for this caller")
        return "rahasia"


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def items(self) -> AsyncGenerator[Item, None]:
        yield cast(Item, LiveEvent(TOY_TENANT, ("item", 1), lambda: Item(name="satu")))


async def test_a_result_with_errors_is_not_shared():
    tenant_id = TOY_TENANT
    # The parser cache gives every subscriber of one text the same parsed document, as the
    # tenant schemas' does: renders are shared per parsed operation.
    schema = Schema(
        query=Query, subscription=Subscription, extensions=[lambda: ParserCache(maxsize=16)]
    )
    document = "subscription { items { name secret } }"

    async def first(deny: bool) -> Any:
        stream = await schema.subscribe(document, context_value={"deny": deny})
        async for result in stream:
            await stream.aclose()
            return result
        raise AssertionError("no result")

    before = RENDERS.renders
    try:
        denied = await first(True)
        assert denied.errors and denied.data == {"items": {"name": "satu", "secret": None}}
        assert type(denied.data) is not SharedData
        # The same key: the result with an error was not kept, this caller renders its own.
        allowed = await first(False)
        assert not allowed.errors and allowed.data == {
            "items": {"name": "satu", "secret": "rahasia"}
        }
        assert RENDERS.renders == before + 2
        # ... which has no error: the next caller with the same key shares it.
        shared = await first(False)
        assert RENDERS.renders == before + 2
        assert type(shared.data) is SharedData and shared.data is allowed.data
        # The shared text is exactly what the socket would have encoded.
        assert next_message("7", shared.data) == encode_json(
            {"id": "7", "type": "next", "payload": {"data": dict(shared.data)}}
        )
    finally:
        RENDERS.forget(tenant_id)


async def test_statements_per_event_do_not_grow_with_subscribers(
    app_client, live_server, settings, two_tenants, span_exporter
):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    citizen_id, citizen_name = await make_user(Role.CITIZEN, a)
    citizen = bearer_for(citizen_id, citizen_name, settings)
    feeds = [await open_feed(live_server, a.slug, operator["Authorization"], 0, "op")]
    try:
        counts = []
        for more, i in ((0, 1), (24, 2)):
            for n in range(more):
                auth = citizen if n % 3 == 0 else operator
                feeds.append(
                    await open_feed(live_server, a.slug, auth["Authorization"], n % 2, "x")
                )
            await listening(len(feeds))
            span_exporter.clear()
            mine = (await submit(app_client, a.slug, citizen, **far(i)))["report"]
            await eventually(
                lambda t=mine["ticket"]: all(any(e[0] == t for e in f.events()) for f in feeds),
                "the event on every feed",
            )
            counts.append(
                (sql_statements(span_exporter), sql_statements(span_exporter, EVENT_READ))
            )
        # One subscriber or 25 of two roles over two documents: the same statements.
        assert counts[0] == counts[1], counts
        assert counts[1][1] == 1
        # The shared read runs as its tenant: its span says which.
        reads = [
            span
            for span in span_exporter.get_finished_spans()
            if any(isinstance(v, str) and EVENT_READ in v for v in (span.attributes or {}).values())
        ]
        assert [(span.attributes or {}).get("jogo.tenant") for span in reads] == [a.slug]
    finally:
        for feed in feeds:
            await feed.close()


async def test_a_revoked_or_expired_subscriber_ends_and_the_others_go_on(
    app_client, live_server, settings, two_tenants, owner, monkeypatch
):
    monkeypatch.setattr(subscriptions, "RECHECK_SECONDS", 0.3)
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    leaver_id, leaver_name = await make_user(Role.OPERATOR, a)
    leaver = bearer_for(leaver_id, leaver_name, settings)["Authorization"]
    brief_id, brief_name = await make_user(Role.OPERATOR, a)
    token = issue_token(brief_id, brief_name, settings.secret_key, ttl_seconds=3).token
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    stayers = [
        await open_feed(live_server, a.slug, operator["Authorization"], d % 2, "op")
        for d in range(4)
    ]
    leaving = [await open_feed(live_server, a.slug, leaver, d, "leaver") for d in (0, 1)]
    expiring = await open_feed(live_server, a.slug, f"Bearer {token}", 0, "brief")
    everyone = stayers + leaving + [expiring]
    try:
        await listening(len(everyone))
        first = (await submit(app_client, a.slug, operator, **far(1)))["report"]
        for feed in everyone:
            await eventually(lambda f=feed: f.events(), "the first event on every feed")
        await owner.execute("DELETE FROM memberships WHERE user_id = $1", leaver_id)
        for feed in leaving:
            await eventually(
                lambda f=feed: any("membership has ended" in json.dumps(m) for m in f.messages),
                "the revoked caller's feed to end",
            )
        await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.1)  # the token's own TTL
        second = (await submit(app_client, a.slug, operator, **far(2)))["report"]
        for feed in stayers:
            await eventually(
                lambda f=feed: [e[0] for e in f.events()] == [first["ticket"], second["ticket"]],
                "the second event on the staying feeds",
            )
        # Each ends as before: the typed error as its last result, then complete.
        await eventually(
            lambda: any(m.get("type") == "complete" for m in expiring.messages),
            "the expired caller's feed to end",
        )
        assert "the access token has expired" in json.dumps(expiring.messages[-2])
        for feed in leaving:
            assert "the membership has ended" in json.dumps(feed.messages[-2])
            assert feed.messages[-1] == {"id": "1", "type": "complete"}
        # Neither ended feed got the event after its end.
        for feed in [*leaving, expiring]:
            assert second["ticket"] not in [e[0] for e in feed.events()]
    finally:
        for feed in everyone:
            await feed.close()


async def test_closed_sockets_leave_no_feed_timer_or_cache_behind(
    app_client, live_server, settings, two_tenants
):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    feeds = [
        await open_feed(live_server, a.slug, operator["Authorization"], n % 2, "op")
        for n in range(12)
    ]
    await listening(12)
    mine = (await submit(app_client, a.slug, operator, **far(1)))["report"]
    for feed in feeds:
        await eventually(lambda f=feed: f.events(), "the event on every feed")
    assert mine["ticket"] in {feed.events()[0][0] for feed in feeds}
    assert RENDERS.tenants() >= 1
    for feed in feeds:
        await feed.close()
    await eventually(lambda: HUB.subscribers() == 0, "every feed to leave the hub")
    assert not HUB._delivering and not HUB._pending
    # The tenant's shared reads and renders went with its last feed.
    assert a.id not in RENDERS._by_tenant
    assert not any(
        isinstance(key, tuple) and key[1:2] == (a.id,)
        for tasks in subscriptions.LIVE_READS._by_loop.values()
        for key in tasks
    )
    # No re-check timer of a feed is still armed.
    loop = asyncio.get_running_loop()
    armed = [
        h
        for h in getattr(loop, "_scheduled", [])
        if not h.cancelled() and getattr(h, "_callback", None) is subscriptions._nudge
    ]
    assert armed == []
    assert live.RENDERS is RENDERS
