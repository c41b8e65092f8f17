"""Attacks on the shared live renders of issue 19 (graphql/live.py, the report and board
feeds, the hub's delivery): rendered text shared between subscribers must never carry
one caller's view to another, and feeds must end cleanly whatever the network does.

- Two tenants, one socket each, the same documents and variables (aliases, fragments,
  ``@include``/``@skip`` on variables, ``__typename``, operation names, a document with
  two operations): each subscription gets exactly its own document's shape, its own
  operation id, and its own tenant's event.
- Every caller's feed agrees, entry for entry (actor's name, note, public), with what
  HTTP answers that caller for the same report's timeline: citizens, officers,
  operators (internal notes), a read-only API key, an actor and a non-actor.
- A membership revoked mid-burst, while the socket's re-check is slow: no event
  committed after the revocation reaches the revoked caller; the others go on.
- A token that expires mid-burst: nothing committed after its expiry reaches it.
- Duplicate subscription ids, subscribe/complete storms and sockets dropped mid-send
  leave no feed, timer or delivery task behind, and the other subscribers go on.
- A consumer that stops reading its socket does not hold back the others.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import jwt
import websockets
from helpers import (
    ASSIGN,
    NOTE,
    VERIFY,
    act,
    auth_header,
    bearer_for,
    connect_graphql_socket,
    eventually,
    gql,
    make_user,
    submit,
)
from helpers import SocketReader as Sock

from jogo.graphql.reports import subscriptions
from jogo.platform.app import ws as ws_module
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.platform.auth.tokens import issue_token
from jogo.platform.notify import HUB
from jogo.tenants.reports.events import TOPIC

WAIT = 10.0
ENTRY = "subscription { reportEvents { reportId ticket event { id kind public note actorName } } }"
TIMELINE = "query($id: ID!) { report(id: $id) { timeline { id kind public note actorName } } }"


def far(i: int) -> dict[str, Any]:
    """A location and category of its own: no duplicate hint joins the reports."""
    categories = ["FALLEN_TREE", "POWER_FAULT", "PUBLIC_ORDER", "FLOOD"]
    return {
        "latitude": -7.70 - 0.011 * (i % 50),
        "longitude": 112.40 + 0.013 * (i % 50),
        "categoryCode": categories[i % len(categories)],
    }


async def open_sock(server: str, slug: str, init: dict[str, str]) -> Sock:
    return Sock(await connect_graphql_socket(server, slug, init, WAIT))


async def listening(count: int) -> None:
    await eventually(lambda: HUB.subscribers() >= count, f"{count} feeds listening")


async def no_feed_left() -> None:
    await eventually(lambda: HUB.subscribers() == 0, "every feed to leave the hub")
    await eventually(lambda: not HUB._delivering and not HUB._pending, "no delivery left")
    await eventually(lambda: not ws_module._RUNNING, "no operation counted as running")
    loop = asyncio.get_running_loop()
    armed = [
        h
        for h in getattr(loop, "_scheduled", [])
        if not h.cancelled() and getattr(h, "_callback", None) is subscriptions._nudge
    ]
    assert armed == []


# (document, variables, operation name, the expected data from (ticket, status, kind))
SHAPES: list[tuple[str, dict[str, Any] | None, str | None, Any]] = [
    (
        "subscription { feed: reportEvents { t: ticket e: event { k: kind } } }",
        None,
        None,
        lambda t, s, k: {"feed": {"t": t, "e": {"k": k}}},
    ),
    (
        "subscription { reportEvents { ticket event { kind } } }",
        None,
        None,
        lambda t, s, k: {"reportEvents": {"ticket": t, "event": {"kind": k}}},
    ),
    (
        "subscription { reportEvents { __typename ticket event { kind } } }",
        None,
        None,
        lambda t, s, k: {
            "reportEvents": {"__typename": "ReportLiveEvent", "ticket": t, "event": {"kind": k}}
        },
    ),
    (
        "subscription Papan { reportEvents { ticket event { kind __typename } } }",
        None,
        "Papan",
        lambda t, s, k: {
            "reportEvents": {"ticket": t, "event": {"kind": k, "__typename": "ReportEvent"}}
        },
    ),
    (
        "subscription A { reportEvents { ticket } } subscription B { reportEvents { status } }",
        None,
        "A",
        lambda t, s, k: {"reportEvents": {"ticket": t}},
    ),
    (
        "subscription A { reportEvents { ticket } } subscription B { reportEvents { status } }",
        None,
        "B",
        lambda t, s, k: {"reportEvents": {"status": s}},
    ),
    (
        "subscription($x: Boolean!) { reportEvents { ticket event @include(if: $x) { kind } } }",
        {"x": True},
        None,
        lambda t, s, k: {"reportEvents": {"ticket": t, "event": {"kind": k}}},
    ),
    (
        "subscription($x: Boolean!) { reportEvents { ticket event @include(if: $x) { kind } } }",
        {"x": False},
        None,
        lambda t, s, k: {"reportEvents": {"ticket": t}},
    ),
    (
        "subscription($x: Boolean!) { reportEvents { ticket ...F @skip(if: $x) } }"
        " fragment F on ReportLiveEvent { status }",
        {"x": True},
        None,
        lambda t, s, k: {"reportEvents": {"ticket": t}},
    ),
    (
        "subscription($x: Boolean!) { reportEvents { ticket ...F @skip(if: $x) } }"
        " fragment F on ReportLiveEvent { status }",
        {"x": False},
        None,
        lambda t, s, k: {"reportEvents": {"ticket": t, "status": s}},
    ),
    (
        "subscription($x: Boolean = false) { reportEvents { ticket ... @include(if: $x)"
        " { urgent } } }",
        {"x": True},
        None,
        lambda t, s, k: {"reportEvents": {"ticket": t, "urgent": False}},
    ),
    (
        "subscription($x: Boolean = false) { reportEvents { ticket ... @include(if: $x)"
        " { urgent } } }",
        None,
        None,
        lambda t, s, k: {"reportEvents": {"ticket": t}},
    ),
]


async def test_documents_variables_and_tenants_never_share_text(
    app_client, live_server, settings, two_tenants
):
    a, b = two_tenants.a, two_tenants.b
    op_a = await auth_header(settings, Role.OPERATOR, a)
    op_b = await auth_header(settings, Role.OPERATOR, b)
    socks = {
        a.slug: await open_sock(live_server, a.slug, op_a),
        b.slug: await open_sock(live_server, b.slug, op_b),
    }
    try:
        # Interleaved: every document and variables subscribed in both tenants.
        for n, (query, variables, name, _) in enumerate(SHAPES):
            for slug, sock in socks.items():
                await sock.subscribe(f"{slug}-{n}", query, variables, name)
        await listening(2 * len(SHAPES))
        # The same report (same title, place and category) in each tenant.
        mine = {
            slug: (await submit(app_client, slug, hdr, **far(1)))["report"]
            for slug, hdr in ((a.slug, op_a), (b.slug, op_b))
        }
        for slug, sock in socks.items():
            ticket, status = mine[slug]["ticket"], mine[slug]["status"]
            for n, (*_, shape) in enumerate(SHAPES):
                op = f"{slug}-{n}"
                await eventually(lambda s=sock, o=op: s.data(o), f"the event on {op}")
                assert sock.data(op) == [shape(ticket, status, "SUBMITTED")], op
        # Nothing for an id that is not the socket's own.
        for slug, sock in socks.items():
            assert all(m.get("id", "").startswith(slug) for m in sock.messages)
    finally:
        for sock in socks.values():
            await sock.close()
    await no_feed_left()


async def _timeline(client: Any, slug: str, headers: dict, report_id: str) -> list[dict] | None:
    status, body = await gql(client, f"/t/{slug}/graphql", TIMELINE, headers, id=report_id)
    assert status == 200 and "errors" not in body, body
    report = body["data"]["report"]
    return None if report is None else report["timeline"]


async def test_every_feed_entry_is_what_http_shows_that_caller(
    app_client, live_server, settings, two_tenants
):
    a = two_tenants.a
    people: dict[str, dict[str, str]] = {}
    for name, role in (
        ("op1", Role.OPERATOR),
        ("op2", Role.OPERATOR),
        ("off1", Role.OFFICER),
        ("off2", Role.OFFICER),
        ("cit1", Role.CITIZEN),
        ("cit2", Role.CITIZEN),
    ):
        uid, username = await make_user(role, a)
        people[name] = {**bearer_for(uid, username, settings), "id": str(uid)}
    key = await create_api_key(a, "Dasbor kota", ["reports:read"], "pytest")
    people["key"] = {"Authorization": f"Bearer {key.key}"}

    def hdr(name: str) -> dict[str, str]:
        return {"Authorization": people[name]["Authorization"]}

    # Two subscriptions per caller (the same document twice, on two sockets) so renders
    # are shared both within a caller and across callers of one view.
    socks = {}
    for name in people:
        for copy in (0, 1):
            sock = await open_sock(live_server, a.slug, hdr(name))
            await sock.subscribe("1", ENTRY)
            socks[(name, copy)] = sock
    try:
        await listening(len(socks))
        r1 = (await submit(app_client, a.slug, hdr("cit1"), **far(2)))["report"]
        r2 = (await submit(app_client, a.slug, hdr("cit2"), **far(3)))["report"]
        r3 = (await submit(app_client, a.slug, hdr("op1"), **far(4)))["report"]
        steps = [
            (ASSIGN, "op1", {"id": r1["id"], "o": people["off1"]["id"], "u": None}),
            (ASSIGN, "op2", {"id": r2["id"], "o": people["off2"]["id"], "u": None}),
            (NOTE, "op2", {"id": r1["id"], "n": "catatan internal rahasia", "p": False}),
            (NOTE, "off1", {"id": r1["id"], "n": "petugas tiba", "p": True}),
            (NOTE, "off2", {"id": r2["id"], "n": "internal petugas 2", "p": False}),
            (VERIFY, "op1", {"id": r1["id"]}),
            (NOTE, "cit1", {"id": r1["id"], "n": "terima kasih", "p": True}),
            (NOTE, "op1", {"id": r3["id"], "n": "penanda", "p": True}),
        ]
        for mutation, who, variables in steps:
            done = await act(app_client, a.slug, mutation, hdr(who), **variables)
            assert not done.get("errors"), (who, done)
        last = r3["ticket"]
        sentinel = socks[("op1", 0)]
        await eventually(
            lambda: sum(d["reportEvents"]["ticket"] == last for d in sentinel.data("1")) == 2,
            "the marker note on the operator's feed",
        )
        await asyncio.sleep(0.5)  # the others' deliveries: the same event, a moment later
        for (name, _), sock in socks.items():
            got = [d["reportEvents"] for d in sock.data("1")]
            by_report: dict[str, list[dict]] = {}
            for entry in got:
                by_report.setdefault(entry["reportId"], []).append(entry["event"])
            for report in (r1, r2, r3):
                http = await _timeline(app_client, a.slug, hdr(name), report["id"])
                feed = by_report.get(report["id"], [])
                if http is None:
                    assert feed == [], (name, report["ticket"], feed)
                    continue
                if name.startswith("off"):
                    # An officer's feed starts at the assignment: a tail of the timeline.
                    assert feed == http[len(http) - len(feed) :], (name, feed, http)
                else:
                    assert feed == http, (name, report["ticket"], feed, http)
        # The views a leak would show: no citizen reads an internal note or a staff name.
        for (name, _), sock in socks.items():
            if name.startswith("cit"):
                for d in sock.data("1"):
                    event = d["reportEvents"]["event"]
                    assert event["public"], (name, event)
                    assert "rahasia" not in json.dumps(d) and "internal" not in json.dumps(d)
    finally:
        for sock in socks.values():
            await sock.close()
    await no_feed_left()


async def _slow(recheck: Any, seconds: float) -> Any:
    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(seconds)
        return await recheck(*args, **kwargs)

    return slow


async def test_a_membership_revoked_mid_burst_gets_nothing_committed_after(
    app_client, live_server, settings, two_tenants, owner, monkeypatch
):
    """The socket's re-check after the revocation is slow (a loaded database): the
    feed itself must not hand the revoked caller anything committed after it."""
    monkeypatch.setattr(ws_module, "recheck", await _slow(ws_module.recheck, 1.5))
    a = two_tenants.a
    stayer = await auth_header(settings, Role.OPERATOR, a)
    leaver_id, leaver_name = await make_user(Role.OPERATOR, a)
    leaver = bearer_for(leaver_id, leaver_name, settings)
    stay = await open_sock(live_server, a.slug, stayer)
    await stay.subscribe("s", ENTRY)
    leave = await open_sock(live_server, a.slug, leaver)
    await leave.subscribe("l", ENTRY)
    try:
        await listening(2)
        before = (await submit(app_client, a.slug, stayer, **far(5)))["report"]
        await eventually(lambda: leave.data("l"), "the first event on the leaver's feed")
        async with owner.transaction():
            await owner.execute("DELETE FROM memberships WHERE user_id = $1", leaver_id)
            await owner.execute(
                "SELECT pg_notify('jogo_principal_revoked', 'user:' || $1::text)", str(leaver_id)
            )
        after = [
            (await submit(app_client, a.slug, stayer, **far(6 + i)))["report"] for i in range(4)
        ]
        late = {r["ticket"] for r in after}
        await eventually(
            lambda: late <= {d["reportEvents"]["ticket"] for d in stay.data("s")},
            "the burst on the staying feed",
        )
        await eventually(lambda: leave.closed is not None, "the leaver's socket to close")
        got = {d["reportEvents"]["ticket"] for d in leave.data("l")}
        assert before["ticket"] in got
        assert not got & late, got & late
        assert "the membership has ended" in json.dumps(leave.of("l"))
    finally:
        await stay.close()
        await leave.close()
    await no_feed_left()


async def test_an_operator_demoted_mid_burst_reads_as_a_citizen_at_once(
    app_client, live_server, settings, two_tenants, owner, monkeypatch
):
    """Demoted to citizen (announced), while the socket's re-check is slow: the internal
    note and the others' reports committed after it never reach the feed, which goes on
    with the citizen's view."""
    monkeypatch.setattr(ws_module, "recheck", await _slow(ws_module.recheck, 1.5))
    a = two_tenants.a
    stayer = await auth_header(settings, Role.OPERATOR, a)
    user_id, username = await make_user(Role.OPERATOR, a)
    demoted = bearer_for(user_id, username, settings)
    stay = await open_sock(live_server, a.slug, stayer)
    await stay.subscribe("s", ENTRY)
    feed = await open_sock(live_server, a.slug, demoted)
    await feed.subscribe("d", ENTRY)
    try:
        await listening(2)
        report = (await submit(app_client, a.slug, stayer, **far(30)))["report"]
        await eventually(lambda: feed.data("d"), "the first event on the operator's feed")
        async with owner.transaction():
            await owner.execute(
                "UPDATE memberships SET role = 'citizen' WHERE user_id = $1", user_id
            )
            await owner.execute(
                "SELECT pg_notify('jogo_principal_revoked', 'user:' || $1::text)", str(user_id)
            )
        secret = "catatan internal setelah penurunan"
        done = await act(app_client, a.slug, NOTE, stayer, id=report["id"], n=secret, p=False)
        assert not done["errors"], done
        later = (await submit(app_client, a.slug, stayer, **far(31)))["report"]
        await eventually(
            lambda: later["ticket"] in {d["reportEvents"]["ticket"] for d in stay.data("s")},
            "the burst on the staying feed",
        )
        await asyncio.sleep(2.0)  # the socket's slow re-check ends: the feed goes on
        got = feed.data("d")
        assert len(got) == 1, got
        assert secret not in json.dumps(feed.messages)
        assert later["ticket"] not in json.dumps(feed.messages)
    finally:
        await stay.close()
        await feed.close()
    await no_feed_left()


async def test_a_token_expiring_mid_burst_gets_nothing_committed_after(
    app_client, live_server, settings, two_tenants
):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    brief_id, brief_name = await make_user(Role.OPERATOR, a)
    token = issue_token(brief_id, brief_name, settings.secret_key, ttl_seconds=2).token
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    stay = await open_sock(live_server, a.slug, operator)
    await stay.subscribe("s", ENTRY)
    brief = await open_sock(live_server, a.slug, {"Authorization": f"Bearer {token}"})
    await brief.subscribe("b", ENTRY)
    try:
        await listening(2)
        late: set[str] = set()
        n = 10
        while time.time() < expires_at + 0.5:
            started = time.time()
            done = await submit(app_client, a.slug, operator, **far(n))
            assert done["report"] is not None, done
            report = done["report"]
            n += 1
            if started >= expires_at:
                late.add(report["ticket"])
        assert late
        await eventually(
            lambda: late <= {d["reportEvents"]["ticket"] for d in stay.data("s")},
            "the burst on the staying feed",
        )
        await eventually(
            lambda: (
                any(m["type"] in ("complete", "error") for m in brief.of("b"))
                or brief.closed is not None
            ),
            "the expired feed to end",
        )
        got = {d["reportEvents"]["ticket"] for d in brief.data("b")}
        assert not got & late, got & late
    finally:
        await stay.close()
        await brief.close()
    await no_feed_left()


async def test_duplicate_ids_storms_and_dropped_sockets_leave_nothing_behind(
    app_client, live_server, settings, two_tenants, caplog
):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    witness = await open_sock(live_server, a.slug, operator)
    await witness.subscribe("w", ENTRY)
    await listening(1)
    # The same id twice at once on one socket: strawberry closes it (4409).
    dup = await open_sock(live_server, a.slug, operator)
    await asyncio.gather(dup.subscribe("x", ENTRY), dup.subscribe("x", ENTRY))
    await eventually(lambda: dup.closed is not None, "the duplicate's socket to close")
    assert dup.closed is not None and dup.closed[0] == 4409, dup.closed
    # Subscribe/complete storms on a few sockets.
    stormers = [await open_sock(live_server, a.slug, operator) for _ in range(3)]
    for round_ in range(15):
        for sock in stormers:
            await sock.subscribe(f"s{round_}", ENTRY)
            if round_ % 3:
                await sock.ws.send(json.dumps({"id": f"s{round_}", "type": "complete"}))
    # Past the per-caller limit across sockets: refused with RATE_LIMITED, counted right.
    flood = [await open_sock(live_server, a.slug, operator) for _ in range(3)]
    for k, sock in enumerate(flood):
        for j in range(20):
            await sock.subscribe(f"f{k}-{j}", ENTRY)
    await eventually(
        lambda: any("RATE_LIMITED" in json.dumps(m) for s in flood for m in s.messages),
        "the flood to be refused",
    )
    for sock in flood:
        await sock.close()
    # Sockets with feeds that drop their TCP connection while events are being sent.
    droppers = []
    for _ in range(6):
        sock = await open_sock(live_server, a.slug, operator)
        for k in range(3):
            await sock.subscribe(f"d{k}", ENTRY)
        droppers.append(sock)
    await listening(1 + 5 * 3 + 6 * 3)
    reports = []
    for i in range(3):
        reports.append((await submit(app_client, a.slug, operator, **far(20 + i)))["report"])
        if i == 0:
            for sock in droppers:
                sock.ws.transport.abort()  # no close frame: a lost network
    for sock in stormers:
        await sock.close()
    tickets = {r["ticket"] for r in reports}
    await eventually(
        lambda: tickets <= {d["reportEvents"]["ticket"] for d in witness.data("w")},
        "every event on the witness's feed",
    )
    await witness.close()
    for sock in droppers:
        await sock._task
    await no_feed_left()
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")], [
        r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")
    ]


async def test_a_consumer_that_stops_reading_holds_back_no_one(
    app_client, live_server, settings, two_tenants, caplog
):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    # Seven aliased copies of each event per message (the alias limit allows 15).
    big = (
        "subscription { reportEvents { "
        + " ".join(
            f"e{i}: event {{ id kind note actorName messageId messageEn }}" for i in range(7)
        )
        + " } }"
    )
    # A tiny receive buffer, then no reading at all: the server's sends to it block.
    host, port = live_server.rsplit(":", 1)
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, (host, int(port)))
    stalled_ws = await websockets.connect(
        f"ws://{live_server}/t/{a.slug}/graphql", subprotocols=["graphql-transport-ws"], sock=raw
    )
    await stalled_ws.send(json.dumps({"type": "connection_init", "payload": operator}))
    assert json.loads(await asyncio.wait_for(stalled_ws.recv(), WAIT))["type"] == "connection_ack"
    for k in range(20):
        await stalled_ws.send(
            json.dumps({"id": f"z{k}", "type": "subscribe", "payload": {"query": big}})
        )
    # Stop reading: pause the transport, as a phone in a tunnel would.
    stalled_ws.transport.pause_reading()
    others = [await open_sock(live_server, a.slug, operator) for _ in range(3)]
    for sock in others:
        await sock.subscribe("o", big)
    try:
        await listening(20 + 3)
        # Public notes near the longest allowed: each event is about 35 kB per message,
        # 700 kB for the stalled socket, more than the kernel's buffers hold.
        report = (await submit(app_client, a.slug, operator, **far(40)))["report"]
        tickets = [report["ticket"]]
        for i in range(12):
            done = await act(
                app_client, a.slug, NOTE, operator, id=report["id"], n=f"{i} " + "x" * 4900, p=True
            )
            assert not done["errors"], done
            tickets.append(report["ticket"])
        for sock in others:
            await eventually(
                lambda s=sock: len(s.data("o")) == len(tickets),
                "every event on a reading socket",
            )
        # The stalled socket's feeds are really held up: events wait in their queues.
        queues = HUB._subscribers.get((TOPIC, a.id), {})
        assert sum(q.qsize() for q in queues) > 0
    finally:
        stalled_ws.transport.abort()
        for sock in others:
            await sock.close()
    await no_feed_left()
    errors = [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not errors, errors
