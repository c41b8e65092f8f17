"""Schema fuzz (issue 12, part 8): operations generated from the tenant, national and
platform schemas (hypothesis-graphql), sent over HTTP to the real app as a signed-in
operator and tenant admin, a national supervisor and a platform admin.

"Unexpected error." is a defect: no answer may be an HTTP 5xx, say "Unexpected error",
or show SQL, a traceback or a Python exception name; and every error is typed
(``extensions.code``). Mutations write, so the tenant schema is fuzzed on a tenant of
its own, and the platform admin's mutations aim at another.

Bounded for CI: a fixed number of examples per strategy, derandomized (the same
operations every run, unless JOGO_FUZZ_SEED is set), no example database, no deadline.
Every failure is collected (deduplicated by root field and message) and reported
together, with its operation.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from helpers import bearer_for, make_user, onboard, submit
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes
from hypothesis_graphql import strategies as gql_st

import graphql
from jogo.graphql.schemas import national_schema, platform_schema, tenant_schema
from jogo.platform.auth.privacy import NOTICE_VERSION
from jogo.platform.auth.roles import Role
from jogo.platform.registry import MODULES

# Examples per strategy; 10 strategies in all: about a minute on a CI machine. To look
# further than CI does, run with JOGO_FUZZ_EXAMPLES=2000 JOGO_FUZZ_SEED=<any number>.
EXAMPLES = int(os.environ.get("JOGO_FUZZ_EXAMPLES", "250"))
SEED = os.environ.get("JOGO_FUZZ_SEED")

# What an answer must never show.
LEAKS = [
    re.compile(p)
    for p in (
        r"Unexpected error",
        r"Traceback",
        r'File "',
        r"asyncpg",
        r"psycopg",
        r"piccolo",
        r"\bSELECT\s",
        r"\bINSERT INTO\b",
        r"\bDELETE FROM\b",
        r"\bUPDATE \w+ SET\b",
        r"syntax error at or near",
        r"invalid input syntax for type",
        r"violates \w+ constraint",
        r'relation "',
        r'column "',
        # A Python exception class name (UserError is our GraphQL type, not one).
        r"\b(?!UserError\b)[A-Z][A-Za-z]*(Error|Exception)\b",
    )
]


def _dates() -> st.SearchStrategy[str]:
    """Dates as text: everyday ones, the ends of Python's range, and non-dates."""
    return st.one_of(
        st.dates().map(lambda d: d.isoformat()),
        st.sampled_from(["0001-01-01", "9999-12-31", "2024-02-29", "2023-02-29", ""]),
        st.text(max_size=12),
    )


def _datetimes() -> st.SearchStrategy[str]:
    return st.one_of(
        st.datetimes().map(lambda d: d.isoformat()),
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.sampled_from(
            ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00"]
        ),
        _dates(),
    )


def _json_values() -> st.SearchStrategy[graphql.ValueNode]:
    leaves = st.one_of(
        st.just(nodes.Null),
        st.booleans().map(nodes.Boolean),
        st.integers(-(2**31), 2**31 - 1).map(nodes.Int),
        st.text(max_size=20).map(nodes.String),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(nodes.List),
            st.dictionaries(
                st.text(string.ascii_letters, min_size=1, max_size=8), inner, max_size=3
            ).map(
                lambda d: nodes.Object(
                    [
                        graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v)
                        for k, v in d.items()
                    ]
                )
            ),
        ),
        max_leaves=6,
    )


# Text the schemas expect somewhere, so that generated operations get past the first
# checks and reach the database: codes, slugs, kinds, URLs, phones, TPS and region codes.
# fmt: off
KNOWN_TEXT = [
    "FALLEN_TREE", "FLOOD", "FIRE", "CRIME", "ELECTION", "TRAFFIC_ACCIDENT",
    "JATIM", "JATENG", "35.73", "35.73.01", "35.73.01.1001", "3573011001001",
    "dinas", "hospital", "cctv_operator", "manual", "webhook", "open311", "fhir", "json",
    "accepted", "in_progress", "resolved", "ONLINE", "OFFLINE", "POLRESTA", "WIB", "WIT",
    "minimal", "jogo-malang-presisi", "election", "facilities", "sharing", "bulletins",
    "integrations", "DISHUB", "polsek", "pos_polisi", "0812 3456 7890", "+6281234567890",
    "https://example.org/hook", "http://127.0.0.1/x", "http://100.100.100.200/latest/",
    "rtsp://example.org/cam", "https://example.org/live.m3u8", "a@b.id",
    "Pohon tumbang di Jalan Ijen", "Pohon besar tumbang menutup dua lajur jalan, macet.",
    "0001-01-01", "9999-12-31", "2024-02-14", "99999999999999999999", "-1", "0", "\x00",
    "x" * 6000,
    # Cursors: one that overflows when read as UTC, one that is not a cursor at all.
    base64.urlsafe_b64encode(
        b'["9999-12-31T23:59:59-14:00", "00000000-0000-0000-0000-000000000000"]'
    ).decode(),
    base64.urlsafe_b64encode(b"[" * 150).decode(),
]
# fmt: on


def scalars(ids: list[str], texts: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Strategies per scalar, built-in ones included: plain random values rarely pass
    the first check, so half of them are values the schemas expect (real ids of the
    fuzzed tenant, known codes, coordinates in Indonesia, small counts)."""
    known_ids = st.sampled_from(ids) if ids else st.nothing()
    text = st.one_of(st.text(max_size=30), st.sampled_from(KNOWN_TEXT + texts))
    return {
        "String": text.map(nodes.String),
        "ID": st.one_of(
            known_ids.map(nodes.String),
            st.text(max_size=40).map(nodes.String),
            st.integers(-(2**31), 2**31 - 1).map(nodes.Int),
            st.uuids().map(nodes.String),
        ),
        "Int": st.one_of(
            st.integers(-3, 300),
            st.sampled_from([-(2**31), 2**31 - 1, 2**15, 2**16 + 1, 86_400, 10**9]),
            st.integers(-(2**31), 2**31 - 1),
        ).map(nodes.Int),
        "Float": st.one_of(
            st.floats(-11, 6),
            st.floats(95, 141),
            st.sampled_from([-7.9666, 112.6326, 0.0, -0.0, 1e308, -1e308, 5e-324, 20_000.0]),
            st.floats(allow_nan=False, allow_infinity=False),
        ).map(nodes.Float),
        "Date": _dates().map(nodes.String),
        "DateTime": _datetimes().map(nodes.String),
        "JSON": _json_values(),
        "Upload": st.text(max_size=10).map(nodes.String),
    }


@dataclass
class Findings:
    """Failures by (root field, message), with the first operation that showed each."""

    seen: dict[tuple[str, str], str] = field(default_factory=dict)
    requests: int = 0

    def check(self, query: str, status: int, body: Any) -> None:
        self.requests += 1
        root = re.search(r"\{\s*(\w+)", query)
        first = root.group(1) if root else "?"
        if status >= 500:
            self.seen.setdefault((first, f"HTTP {status}"), query)
            return
        for path, message in _messages(body):
            if any(p.search(message) for p in LEAKS):
                self.seen.setdefault((path or first, message[:200]), query)
        for error in body.get("errors") or [] if isinstance(body, dict) else []:
            if not (error.get("extensions") or {}).get("code"):
                where = (error.get("path") or [first])[0]
                self.seen.setdefault((where, f"untyped: {error.get('message')}"[:200]), query)

    def report(self) -> str:
        return "\n\n".join(
            f"{where}: {message}\n  {query[:600]}"
            for (where, message), query in sorted(self.seen.items())
        )


def _messages(body: Any) -> list[tuple[str | None, str]]:
    """Every error message with its root field: top-level errors, and the typed
    UserError messages in data."""
    if not isinstance(body, dict):
        return [(None, "the answer is not a JSON object")]
    found: list[tuple[str | None, str]] = []
    for error in body.get("errors") or []:
        path = error.get("path") or [None]
        found.append((path[0], str(error.get("message"))))

    def walk(root: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "errors" and isinstance(item, list):
                    found.extend((root, str(e.get("message"))) for e in item if isinstance(e, dict))
                else:
                    walk(root, item)
        elif isinstance(value, list):
            for item in value:
                walk(root, item)

    for root, value in (body.get("data") or {}).items():
        walk(root, value)
    return found


def fuzz(
    loop: asyncio.AbstractEventLoop,
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    strategy: st.SearchStrategy[str],
    findings: Findings,
) -> None:
    """Run one strategy on a worker thread; each request runs on the app's own loop."""

    def post(query: str) -> tuple[int, Any]:
        async def send() -> tuple[int, Any]:
            response = await client.post(path, json={"query": query}, headers=headers)
            try:
                return response.status_code, response.json()
            except ValueError:
                return response.status_code, None

        return asyncio.run_coroutine_threadsafe(send(), loop).result(timeout=60)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(query=strategy)
    def run(query: str) -> None:
        status, body = post(query)
        findings.check(query, status, body)

    if SEED is not None:
        run = seed(int(SEED))(run)
    run()


async def signed_in(settings_, role: Role, tenant: Any = None) -> tuple[str, dict[str, str]]:
    """A new user's id, and a bearer header that outlives a long exploratory run."""
    user_id, username = await make_user(role, tenant)
    return str(user_id), bearer_for(user_id, username, settings_, ttl=3 * 3600)


SEED_QUERY = "{ agencies { id } cameras { id } }"
SEED_POST = (
    'mutation { sharePost(input: {body: "Jalan Ijen macet total sore ini", noticeVersion: "'
    + NOTICE_VERSION
    + '"}) { post { id } } }'
)
SEED_DRAFT = """mutation($until: DateTime!) { draftBulletin(input: {category: TRAFFIC,
  severity: MINOR, urgency: EXPECTED, certainty: LIKELY, headline: "Car Free Day Jalan Ijen",
  description: "Jalan Ijen ditutup pukul 06.00-10.00 WIB.",
  area: {description: "Jalan Ijen", regionCodes: ["35.73"]}, validUntil: $until})
  { bulletin { id } errors { message } } }"""


async def _seed(client: httpx.AsyncClient, settings_) -> tuple[Any, dict, dict, list[str]]:
    """A tenant with every module, its operator and admin, and real object ids: the
    operator, reports, agencies, cameras, a shared post and a draft bulletin."""
    tenant = await onboard(modules=list(MODULES), polda="JATIM", region="35.73")
    operator_id, operator = await signed_in(settings_, Role.OPERATOR, tenant)
    _, admin = await signed_in(settings_, Role.TENANT_ADMIN, tenant)
    path = f"/t/{tenant.slug}/graphql"

    async def ask(query: str, **variables: Any) -> dict[str, Any]:
        body = {"query": query, "variables": variables}
        response = await client.post(path, json=body, headers=operator)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        return response.json()["data"]

    ids = [operator_id]
    for _ in range(2):
        ids.append((await submit(client, tenant.slug, operator))["report"]["id"])
    data = await ask(SEED_QUERY)
    ids += [a["id"] for a in data["agencies"]] + [c["id"] for c in data["cameras"]]
    ids.append((await ask(SEED_POST))["sharePost"]["post"]["id"])
    until = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    draft = (await ask(SEED_DRAFT, until=until))["draftBulletin"]
    assert draft["errors"] == [], draft
    ids.append(draft["bulletin"]["id"])
    return tenant, operator, admin, ids


# Mutations that need tenant:admin or directory:write: fuzzed as a tenant admin too.
ADMIN_MUTATIONS = [
    "setCategorySla",
    "createAgency",
    "setRoutingRule",
    "addAgencyLiaison",
    "createCamera",
    "createPolicePost",
]


# Hundreds of generated operations over HTTP: minutes under coverage on a loaded machine,
# so a longer bound than the suite's 300 s per test.
@pytest.mark.timeout(900)
async def test_schema_fuzz_finds_no_unexpected_error(app_client, settings):
    loop = asyncio.get_running_loop()
    tenant, operator, admin, ids = await _seed(app_client, settings)
    # The platform admin's mutations (suspend, modules) aim at a tenant of their own, so
    # that they do not switch the fuzzed tenant off halfway.
    target = await onboard("minimal", polda="JATENG", region="33.74")
    _, national = await signed_in(settings, Role.NATIONAL_SUPERVISOR)
    _, platform = await signed_in(settings, Role.PLATFORM_ADMIN)
    tenant_scalars = scalars(ids, [tenant.slug])
    platform_scalars = scalars([str(target.id)], [target.slug])
    tenant_gql = tenant_schema(tenant.modules)._schema
    national_gql = national_schema()._schema
    platform_gql = platform_schema()._schema
    tenant_path = f"/t/{tenant.slug}/graphql"

    runs: list[tuple[str, dict[str, str], st.SearchStrategy[str]]] = []
    for mode in (Mode.POSITIVE, Mode.NEGATIVE):
        tenant_ops = {"custom_scalars": tenant_scalars, "mode": mode}
        runs += [
            (tenant_path, operator, gql_st.queries(tenant_gql, **tenant_ops)),
            (tenant_path, operator, gql_st.mutations(tenant_gql, **tenant_ops)),
            (
                tenant_path,
                admin,
                gql_st.mutations(tenant_gql, fields=ADMIN_MUTATIONS, **tenant_ops),
            ),
            ("/national/graphql", national, gql_st.queries(national_gql, **tenant_ops)),
            (
                "/platform/graphql",
                platform,
                # The platform's queries take no arguments: nothing to get wrong there.
                gql_st.from_schema(platform_gql, custom_scalars=platform_scalars)
                if mode is Mode.POSITIVE
                else gql_st.mutations(platform_gql, custom_scalars=platform_scalars, mode=mode),
            ),
        ]

    findings = Findings()
    for path, headers, strategy in runs:
        before = findings.requests
        await asyncio.to_thread(fuzz, loop, app_client, path, headers, strategy, findings)
        # Hypothesis may stop early on a small search space; never on a silent failure.
        assert findings.requests - before >= EXAMPLES // 2, (path, findings.requests - before)
    assert not findings.seen, (
        f"{len(findings.seen)} kinds of bad answer in {findings.requests} requests:\n\n"
        + findings.report()
    )


def test_leak_patterns_catch_what_they_must():
    """The oracle itself: internals are caught, ordinary messages are not."""
    bad = [
        "Unexpected error.",
        'relation "reports" does not exist',
        "ValueError: year 0 is out of range",
        'invalid input syntax for type uuid: "x"',
        "SELECT * FROM reports",
        "asyncpg.exceptions.DataError: invalid input",
    ]
    good = [
        "first must be between 1 and 100",
        "Cannot query field 'x' on type 'UserError'.",
        "Syntax Error: Unexpected Name 'x'.",
        "text may not contain NUL characters",
    ]
    for message in bad:
        assert any(p.search(message) for p in LEAKS), message
    for message in good:
        assert not any(p.search(message) for p in LEAKS), message
