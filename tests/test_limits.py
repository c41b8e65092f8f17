"""Limits that hold (issue 12, part 6): every counted limit is atomic in the database
and is tested with parallel calls; sign-in is throttled by username and by client; the
anonymous intake is limited per client; forwarded headers count only from trusted
proxies.

The numbers come from the rules as written: SOS 3 in 10 minutes, shared posts 10 an
hour, tracking 10 guesses a minute per ticket, anonymous reports 10 in 10 minutes per
address, sign-in 10 failures per username and 30 per client in 15 minutes (README).
The issue's own examples: ten parallel SOS, 60 wrong passwords then the right one, 30
anonymous urgent reports, a rotating X-Forwarded-For.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import re
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from helpers import PASSWORD, SUBMIT, auth_header, bearer_for, gql, make_user, report_input

from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.auth.roles import Role
from jogo.platform.clients import client_address
from jogo.platform.errors import SettingsError
from jogo.platform.settings import Settings, load_settings

SOS = """mutation($lat: Float!, $lon: Float!) { raiseSos(latitude: $lat, longitude: $lon) {
  report { id } errors { code field message } } }"""
SHARE = """mutation($input: SharePostInput!) { sharePost(input: $input) { post { id }
  errors { code field message } } }"""
TRACK = "query($t: String!, $p: String!) { trackReport(ticket: $t, pin: $p) { ticket } }"
LOCAL = [ipaddress.ip_network("127.0.0.1/32")]


def some_address() -> str:
    """A fresh client address for one test (TEST-NET-3 and friends never collide)."""
    return f"203.0.{random.randint(0, 255)}.{random.randint(1, 254)}"


@pytest.fixture
async def proxied(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app behind a trusted proxy at 127.0.0.1 (the test client's peer address), so
    each test can speak for its own client address through X-Forwarded-For."""
    from jogo.platform.app.factory import create_app
    from jogo.platform.registry import clear_cache

    clear_cache()
    app = create_app(replace(settings, trusted_proxies=tuple(LOCAL)), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def errors_of(body: dict, field: str) -> list[str]:
    return [e["code"] for e in body["data"][field]["errors"]]


# --- counted limits under parallel calls ---


async def test_ten_parallel_sos_accept_exactly_three(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    user_id, username = await make_user(Role.CITIZEN, tenant)
    citizen = bearer_for(user_id, username, settings)
    answers = await asyncio.gather(
        *[
            gql(app_client, f"/t/{tenant.slug}/graphql", SOS, citizen, lat=-7.97, lon=112.63)
            for _ in range(10)
        ]
    )
    codes = sorted(tuple(errors_of(body, "raiseSos")) for _, body in answers)
    assert codes == [()] * 3 + [("RATE_LIMITED",)] * 7, answers
    stored = await owner.fetchval(
        "SELECT count(*) FROM reports WHERE sos AND reporter_user_id = $1", user_id
    )
    assert stored == 3
    # The other tenant's citizens are counted apart.
    other = await auth_header(settings, Role.CITIZEN, two_tenants.b)
    _, body = await gql(
        app_client, f"/t/{two_tenants.b.slug}/graphql", SOS, other, lat=-7.0, lon=110.4
    )
    assert errors_of(body, "raiseSos") == []


async def test_twelve_parallel_posts_accept_exactly_ten(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    user_id, username = await make_user(Role.CITIZEN, tenant)
    author = bearer_for(user_id, username, settings)
    answers = await asyncio.gather(
        *[
            gql(
                app_client,
                f"/t/{tenant.slug}/graphql",
                SHARE,
                author,
                input={
                    "noticeVersion": NOTICE_VERSION,
                    "body": f"Situasi lalu lintas di Jalan Ijen, nomor {i}",
                },
            )
            for i in range(12)
        ]
    )
    codes = sorted(tuple(errors_of(body, "sharePost")) for _, body in answers)
    assert codes == [()] * 10 + [("RATE_LIMITED",)] * 2, answers
    assert (
        await owner.fetchval("SELECT count(*) FROM shared_posts WHERE author_user_id = $1", user_id)
        == 10
    )


async def test_parallel_pin_guesses_stop_at_ten_per_ticket(proxied, two_tenants):
    slug = two_tenants.b.slug
    _, made = await gql(proxied, f"/t/{slug}/graphql", SUBMIT, input=report_input(anonymous=True))
    ticket = made["data"]["submitReport"]["report"]["ticket"]
    # Every guess from another address: only the per-ticket limit can stop them.
    answers = await asyncio.gather(
        *[
            gql(
                proxied,
                f"/t/{slug}/graphql",
                TRACK,
                {"X-Forwarded-For": some_address()},
                t=ticket,
                p=f"{n:08d}",
            )
            for n in range(15)
        ]
    )
    refused = [b for _, b in answers if b.get("errors")]
    assert len(refused) == 5, answers
    assert {e["errors"][0]["extensions"]["code"] for e in refused} == {"RATE_LIMITED"}


# --- anonymous intake per client ---


async def test_thirty_anonymous_urgent_reports_from_one_client(proxied, settings, two_tenants):
    slug = two_tenants.a.slug
    client = {"X-Forwarded-For": some_address()}
    urgent = report_input(anonymous=True, urgent=True)
    answers = await asyncio.gather(
        *[gql(proxied, f"/t/{slug}/graphql", SUBMIT, client, input=urgent) for _ in range(30)]
    )
    payloads = [body["data"]["submitReport"] for _, body in answers]
    accepted = [p for p in payloads if p["report"] is not None]
    refused = [p for p in payloads if p["report"] is None]
    assert len(accepted) == 10 and len(refused) == 20, payloads
    assert all(p["errors"][0]["code"] == "RATE_LIMITED" and p["pin"] is None for p in refused)
    operator = await auth_header(settings, Role.OPERATOR, two_tenants.a)
    _, listed = await gql(
        proxied,
        f"/t/{slug}/graphql",
        "{ reports(first: 100, filter: { urgent: true }) { totalCount } }",
        operator,
    )
    assert listed["data"]["reports"]["totalCount"] == 10, listed
    # Another address, a signed-in citizen, and the same address in another tenant go on.
    _, other = await gql(
        proxied, f"/t/{slug}/graphql", SUBMIT, {"X-Forwarded-For": some_address()}, input=urgent
    )
    assert other["data"]["submitReport"]["errors"] == []
    citizen = await auth_header(settings, Role.CITIZEN, two_tenants.a)
    _, signed = await gql(proxied, f"/t/{slug}/graphql", SUBMIT, client | citizen, input=urgent)
    assert signed["data"]["submitReport"]["errors"] == []
    _, elsewhere = await gql(
        proxied, f"/t/{two_tenants.b.slug}/graphql", SUBMIT, client, input=urgent
    )
    assert elsewhere["data"]["submitReport"]["errors"] == []


async def test_rotating_forwarded_for_gains_nothing_without_a_trusted_proxy(
    app_client, two_tenants
):
    """The default: no proxy is trusted, so the peer address is the client."""
    slug = two_tenants.b.slug
    answers = [
        await gql(
            app_client,
            f"/t/{slug}/graphql",
            SUBMIT,
            {"X-Forwarded-For": some_address(), "Forwarded": f"for={some_address()}"},
            input=report_input(anonymous=True, urgent=True),
        )
        for _ in range(12)
    ]
    codes = [tuple(errors_of(body, "submitReport")) for _, body in answers]
    assert codes == [()] * 10 + [("RATE_LIMITED",)] * 2


async def test_behind_a_trusted_proxy_only_its_own_entry_counts(proxied, two_tenants):
    """Entries left of what the trusted proxy appended were written by the client."""
    slug = two_tenants.b.slug
    real = some_address()
    answers = [
        await gql(
            proxied,
            f"/t/{slug}/graphql",
            SUBMIT,
            {"X-Forwarded-For": f"{some_address()}, {real}"},
            input=report_input(anonymous=True),
        )
        for _ in range(12)
    ]
    codes = [tuple(errors_of(body, "submitReport")) for _, body in answers]
    assert codes == [()] * 10 + [("RATE_LIMITED",)] * 2


async def test_the_real_server_ignores_forwarded_headers_from_localhost(settings, two_tenants):
    """``jogo serve``'s own uvicorn settings: uvicorn would otherwise believe
    X-Forwarded-For from 127.0.0.1 before the app sees the request."""
    from jogo.platform.app.factory import create_app
    from jogo.platform.app.runner import api_config
    from jogo.platform.registry import clear_cache

    clear_cache()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    import uvicorn

    config = api_config(
        create_app(settings, manage_database=False),
        "127.0.0.1",
        port,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the server did not start within 10 s")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            codes = []
            for _ in range(12):
                _, body = await gql(
                    client,
                    f"/t/{two_tenants.a.slug}/graphql",
                    SUBMIT,
                    {"X-Forwarded-For": some_address()},
                    input=report_input(anonymous=True),
                )
                codes.append(tuple(errors_of(body, "submitReport")))
    finally:
        server.should_exit = True
        await task
    assert codes == [()] * 10 + [("RATE_LIMITED",)] * 2


def test_client_address_rules():
    proxies = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]
    # An untrusted peer is the client, whatever it says.
    assert client_address("198.51.100.7", proxies, ["1.2.3.4"]) == "198.51.100.7"
    assert client_address("198.51.100.7", [], ["1.2.3.4"], ["for=1.2.3.4"]) == "198.51.100.7"
    # Behind two trusted hops, the first untrusted address from the right.
    assert client_address("10.0.0.1", proxies, ["6.6.6.6, 198.51.100.7", "10.1.1.1"]) == (
        "198.51.100.7"
    )
    # Ports, brackets, IPv4-mapped peers, RFC 7239 Forwarded.
    assert client_address("10.0.0.1", proxies, ["198.51.100.7:4711"]) == "198.51.100.7"
    assert client_address("::ffff:10.0.0.1", proxies, ["2001:db8::1"]) == "2001:db8::1"
    assert (
        client_address(
            "fd00::2", proxies, [], ['for=6.6.6.6, for="[2001:db8::17]:4711";proto=https']
        )
        == "2001:db8::17"
    )
    # X-Forwarded-For wins over Forwarded; garbage or "unknown" stops the walk.
    assert client_address("10.0.0.1", proxies, ["198.51.100.7"], ["for=6.6.6.6"]) == (
        "198.51.100.7"
    )
    assert client_address("10.0.0.1", proxies, ["6.6.6.6, unknown"]) == "10.0.0.1"
    assert client_address("10.0.0.1", proxies, [], ["for=unknown"]) == "10.0.0.1"
    # Only proxies, all the way: the leftmost.
    assert client_address("10.0.0.1", proxies, ["10.2.2.2, 10.3.3.3"]) == "10.2.2.2"
    assert client_address(None, proxies, ["1.2.3.4"]) is None


def test_trusted_proxies_setting():
    settings = load_settings({"JOGO_TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.1 ,fd00::/8"})
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "192.0.2.1/32", "fd00::/8"]
    assert load_settings({}).trusted_proxies == ()
    for bad in ("10.0.0.0/33", "proxy.local", "10.0.0.1/8"):
        with pytest.raises(SettingsError) as caught:
            load_settings({"JOGO_TRUSTED_PROXIES": bad})
        assert "JOGO_TRUSTED_PROXIES" in caught.value.message and "\n" not in caught.value.message


def test_a_bad_trusted_proxies_value_stops_start_up_with_one_line(monkeypatch, capsys):
    from jogo.platform.app.cli import main

    monkeypatch.setenv("JOGO_TRUSTED_PROXIES", "10.0.0.0/8,not-a-network")
    assert main(["tenant", "list"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "JOGO_TRUSTED_PROXIES" in err and "not-a-network" in err


# --- sign-in throttle ---


async def login(client, username: str, password: str, address: str) -> httpx.Response:
    return await client.post(
        "/auth/token",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )


async def test_sixty_wrong_passwords_then_the_right_one_is_refused(proxied, two_tenants, owner):
    _, username = await make_user(Role.OPERATOR, two_tenants.a)
    answers = []
    for _ in range(60):  # each from another address: the username's own limit stops them
        answers.append(
            (await login(proxied, username, "wrong password!", some_address())).status_code
        )
    assert answers == [401] * 10 + [429] * 50
    right = await login(proxied, username, PASSWORD, some_address())
    assert right.status_code == 429
    assert 0 < int(right.headers["retry-after"]) <= 15 * 60
    assert right.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # One lockout, audited once.
    rows = await owner.fetch(
        "SELECT target, detail FROM audit_log WHERE action = 'auth.lockout' AND target = $1",
        f"user:{username}",
    )
    assert len(rows) == 1 and json.loads(rows[0]["detail"])["scope"] == "username"


async def test_unknown_and_known_usernames_are_throttled_alike(proxied, two_tenants):
    _, known = await make_user(Role.CITIZEN, two_tenants.a)
    unknown = f"nobody-{uuid.uuid4().hex[:8]}"
    seen = {}
    for name in (known, unknown):
        answers = [await login(proxied, name, "wrong password!", some_address()) for _ in range(11)]
        seen[name] = (
            [a.status_code for a in answers],
            answers[9].json(),
            # The wait in seconds may differ by one between the two runs.
            re.sub(r"[0-9]+", "N", json.dumps(answers[10].json())),
            "retry-after" in answers[10].headers,
        )
    assert seen[known] == seen[unknown]
    assert seen[known][0] == [401] * 10 + [429]


async def test_parallel_guesses_get_exactly_ten_tries(proxied, two_tenants):
    _, username = await make_user(Role.OPERATOR, two_tenants.b)
    answers = await asyncio.gather(
        *[login(proxied, username, f"guess number {i}", some_address()) for i in range(25)]
    )
    assert sorted(a.status_code for a in answers) == [401] * 10 + [429] * 15


async def test_one_client_is_throttled_across_usernames(proxied, two_tenants, owner):
    address = some_address()
    statuses = [
        (
            await login(proxied, f"spray-{uuid.uuid4().hex[:8]}", "wrong password!", address)
        ).status_code
        for _ in range(60)
    ]
    assert statuses == [401] * 30 + [429] * 30
    _, username = await make_user(Role.OPERATOR, two_tenants.a)
    assert (await login(proxied, username, PASSWORD, address)).status_code == 429
    assert (await login(proxied, username, PASSWORD, some_address())).status_code == 200
    rows = await owner.fetch(
        "SELECT detail FROM audit_log WHERE action = 'auth.lockout' AND target = $1",
        f"client:{address}",
    )
    assert len(rows) == 1 and json.loads(rows[0]["detail"])["scope"] == "client"


async def test_successful_sign_ins_do_not_count(proxied, two_tenants):
    _, username = await make_user(Role.OPERATOR, two_tenants.a)
    address = some_address()
    for _ in range(12):
        assert (await login(proxied, username, PASSWORD, address)).status_code == 200
    # Nine failures, a success, then the tenth failure still gets its own answer.
    for _ in range(9):
        assert (await login(proxied, username, "wrong password!", address)).status_code == 401
    assert (await login(proxied, username, PASSWORD, address)).status_code == 200
    assert (await login(proxied, username, "wrong password!", address)).status_code == 401
    assert (await login(proxied, username, "wrong password!", address)).status_code == 429


# --- the counter itself ---


async def test_a_limit_slides_and_cleans_up_after_itself(database, owner):
    from jogo.platform.ratelimit import Limit, RateLimited

    limit = Limit(f"test-{uuid.uuid4().hex[:8]}", 2, 600)
    await limit.hit("a")
    await limit.hit("a")
    with pytest.raises(RateLimited) as first:
        await limit.hit("a")
    assert first.value.first and 0 < first.value.retry_after <= 600
    with pytest.raises(RateLimited) as again:
        await limit.hit("a")
    assert not again.value.first  # one lockout, not one per refusal
    assert (
        await owner.fetchval(
            "SELECT cardinality(hits) FROM rate_limits WHERE key = $1", limit.key("a")
        )
        == 2
    )  # refusals are not stored
    # Hits older than the window no longer count, even on a row that has expired.
    await owner.execute(
        "UPDATE rate_limits SET hits = ARRAY(SELECT t - interval '11 minutes' FROM unnest(hits) t),"
        " expires_at = now() - interval '1 minute' WHERE key = $1",
        limit.key("a"),
    )
    await limit.hit("a")
    # Expired rows of other keys go away as hits come in, the longest expired first.
    await owner.execute(
        "UPDATE rate_limits SET expires_at = '2000-01-01' WHERE key = $1",
        limit.key("a"),
    )
    await limit.hit("b")
    assert (
        await owner.fetchval("SELECT count(*) FROM rate_limits WHERE key = $1", limit.key("a")) == 0
    )
    # Whatever a caller sends becomes a short key.
    await limit.hit("x" * 10_000 + "\x00\ud800")


async def test_a_locked_username_does_not_use_up_its_clients_tries(proxied, two_tenants):
    """Behind one address (an office's NAT), a colleague still signs in while one
    username is locked and keeps being tried."""
    _, locked = await make_user(Role.OPERATOR, two_tenants.a)
    _, colleague = await make_user(Role.OPERATOR, two_tenants.a)
    office = some_address()
    statuses = [
        (await login(proxied, locked, "wrong password!", office)).status_code for _ in range(40)
    ]
    assert statuses == [401] * 10 + [429] * 30
    assert (await login(proxied, colleague, PASSWORD, office)).status_code == 200


async def test_parallel_right_sign_ins_are_a_burst_not_a_lockout(proxied, two_tenants, owner):
    """30 parallel sign-ins with the right password (an integration starting its workers)
    hold the username's places while they are checked: those refused are told to retry
    in a second, nothing is audited as a lockout, and the account signs in right after."""
    _, username = await make_user(Role.OPERATOR, two_tenants.a)
    answers = await asyncio.gather(
        *[login(proxied, username, PASSWORD, some_address()) for _ in range(30)]
    )
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {200, 429} and statuses.count(200) >= 10, statuses
    for answer in answers:
        if answer.status_code == 429:
            assert answer.headers["retry-after"] == "1"
    rows = await owner.fetch(
        "SELECT 1 FROM audit_log WHERE action = 'auth.lockout' AND target = $1",
        f"user:{username}",
    )
    assert rows == []
    assert (await login(proxied, username, PASSWORD, some_address())).status_code == 200


async def test_parallel_wrong_guesses_end_in_an_audited_lockout(proxied, two_tenants, owner):
    _, username = await make_user(Role.OPERATOR, two_tenants.b)
    answers = await asyncio.gather(
        *[login(proxied, username, f"guess number {i}", some_address()) for i in range(25)]
    )
    assert sorted(a.status_code for a in answers) == [401] * 10 + [429] * 15
    # Once the ten are judged, the account is locked for the window, and audited once.
    for _ in range(3):
        after = await login(proxied, username, PASSWORD, some_address())
        assert after.status_code == 429 and int(after.headers["retry-after"]) > 60
    rows = await owner.fetch(
        "SELECT 1 FROM audit_log WHERE action = 'auth.lockout' AND target = $1",
        f"user:{username}",
    )
    assert len(rows) == 1


# --- the limits at their boundaries (issue 15): the numbers are the README's ---


def _codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def test_tracking_allows_thirty_a_minute_per_client_then_refuses(proxied, two_tenants):
    """README: tracking is limited per client (30 a minute) and per ticket (10 a minute).
    Four tickets, at most 8 guesses each: only the per-client limit can refuse the 31st."""
    slug = two_tenants.a.slug
    tickets = []
    for _ in range(4):
        _, made = await gql(
            proxied,
            f"/t/{slug}/graphql",
            SUBMIT,
            {"X-Forwarded-For": some_address()},
            input=report_input(anonymous=True),
        )
        tickets.append(made["data"]["submitReport"]["report"]["ticket"])
    client = {"X-Forwarded-For": some_address()}
    for n in range(30):
        _, body = await gql(
            proxied, f"/t/{slug}/graphql", TRACK, client, t=tickets[n % 4], p=f"{n:08d}"
        )
        assert "RATE_LIMITED" not in _codes(body), (n, body)
    _, body = await gql(proxied, f"/t/{slug}/graphql", TRACK, client, t=tickets[3], p="00000099")
    assert _codes(body) == ["RATE_LIMITED"], body
    # Another client still may track the same ticket.
    _, body = await gql(
        proxied,
        f"/t/{slug}/graphql",
        TRACK,
        {"X-Forwarded-For": some_address()},
        t=tickets[3],
        p="00000099",
    )
    assert "RATE_LIMITED" not in _codes(body), body


async def _age_hits(owner, key: str, age: str) -> None:
    """Make every recorded hit of ``key`` exactly ``age`` old (no waiting in tests).

    Every hit gets the same time, so the window's edge is tested exactly however long
    the hits took to make: shifting them by ``age`` would leave the first ones older
    than ``age`` by the time the test spent (seconds, on a loaded machine)."""
    done = await owner.execute(
        "UPDATE rate_limits SET hits = array_fill(now() - $2::text::interval, ARRAY[cardinality(hits)])"
        " WHERE key = $1",
        key,
        age,
    )
    assert done == "UPDATE 1"


async def test_the_anonymous_window_is_ten_minutes(proxied, owner, two_tenants):
    from jogo.tenants.reports.limits import ANONYMOUS_BY_CLIENT, per_tenant

    tenant = two_tenants.a
    address = some_address()
    client = {"X-Forwarded-For": address}
    anonymous = report_input(anonymous=True)
    for n in range(10):
        _, body = await gql(proxied, f"/t/{tenant.slug}/graphql", SUBMIT, client, input=anonymous)
        assert body["data"]["submitReport"]["errors"] == [], (n, body)
    key = ANONYMOUS_BY_CLIENT.key(per_tenant(tenant.id, address))
    # 9 min 50 s later the ten still count: the eleventh is refused, and nothing written.
    await _age_hits(owner, key, "9 minutes 50 seconds")
    _, body = await gql(proxied, f"/t/{tenant.slug}/graphql", SUBMIT, client, input=anonymous)
    assert [e["code"] for e in body["data"]["submitReport"]["errors"]] == ["RATE_LIMITED"]
    assert body["data"]["submitReport"]["report"] is None
    count = "SELECT count(*) FROM reports WHERE tenant_id = $1"
    assert await owner.fetchval(count, tenant.id) == 10
    # Past 10 minutes they no longer do.
    await _age_hits(owner, key, "10 minutes 1 second")
    _, body = await gql(proxied, f"/t/{tenant.slug}/graphql", SUBMIT, client, input=anonymous)
    assert body["data"]["submitReport"]["errors"] == [], body
    assert await owner.fetchval(count, tenant.id) == 11


async def test_the_tracking_window_is_one_minute(proxied, owner, two_tenants):
    from jogo.tenants.reports.limits import TRACK_BY_TICKET, per_tenant

    tenant = two_tenants.a
    _, made = await gql(
        proxied,
        f"/t/{tenant.slug}/graphql",
        SUBMIT,
        {"X-Forwarded-For": some_address()},
        input=report_input(anonymous=True),
    )
    ticket = made["data"]["submitReport"]["report"]["ticket"]

    async def guess() -> list[str]:
        # Each guess from a new address: only the per-ticket limit counts.
        _, body = await gql(
            proxied,
            f"/t/{tenant.slug}/graphql",
            TRACK,
            {"X-Forwarded-For": some_address()},
            t=ticket,
            p="00000000",
        )
        return _codes(body)

    for n in range(10):
        assert "RATE_LIMITED" not in await guess(), n
    assert await guess() == ["RATE_LIMITED"]
    key = TRACK_BY_TICKET.key(per_tenant(tenant.id, ticket.strip().upper()))
    await _age_hits(owner, key, "50 seconds")
    assert await guess() == ["RATE_LIMITED"]
    await _age_hits(owner, key, "1 minute 1 second")
    assert "RATE_LIMITED" not in await guess()
