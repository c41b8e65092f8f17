"""The write path of ``submitReport`` under load (issue 18).

- argon2 (passwords) runs at most ``ARGON2_CONCURRENCY`` at once in a process, from async
  and from plain threads alike; the others wait (bounded memory). Seen with a counting
  argon2 hasher (the library is the outside world here), not with timing.
- The ticket counter is taken last: a submission's reads run before it, and after it only
  the report's insert statement and the commit. Ten signed-in submitters of one command all
  get distinct, consecutive tickets.
- Two reports at one spot sent at once: the later one links the earlier as its duplicate.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from argon2 import PasswordHasher
from helpers import MALANG, SUBMIT, auth_header, eventually, gql, onboard, report_input, submit

from jogo.platform.auth import passwords
from jogo.platform.auth.principal import ANONYMOUS
from jogo.platform.auth.roles import Role
from jogo.platform.auth.users import authenticate
from jogo.platform.errors import Unauthenticated
from jogo.platform.storage import FileStore
from jogo.tenants.notifications.actions import EVENT_TEMPLATES
from jogo.tenants.reports.intake import do_submit_report
from jogo.tenants.reports.validation import ReportInput

TICKET = re.compile(r"^[A-Z0-9]+-\d{4}-(\d{6,})$")


class _CountingHasher(PasswordHasher):
    """argon2 that counts the hashes and verifications running at once; with ``hold`` set,
    each waits for :attr:`release` before it runs (so the ones let in can be counted)."""

    def __init__(self, hold: bool = False) -> None:
        super().__init__()
        self.running = self.peak = self.calls = 0
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self._lock = threading.Lock()

    def _counted(self, run):
        with self._lock:
            self.running += 1
            self.calls += 1
            self.peak = max(self.peak, self.running)
        try:
            assert self.release.wait(30), "argon2 was never released"
            return run()
        finally:
            with self._lock:
                self.running -= 1

    def hash(self, password, *, salt=None):
        return self._counted(lambda: super(_CountingHasher, self).hash(password, salt=salt))

    def verify(self, hash, password):
        return self._counted(lambda: super(_CountingHasher, self).verify(hash, password))


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[_CountingHasher]:
    hasher = _CountingHasher(hold=True)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    try:
        yield hasher
    finally:
        hasher.release.set()


async def test_argon2_runs_at_most_the_bound_at_once_from_async_callers(counting):
    bound = passwords.ARGON2_CONCURRENCY
    stored = PasswordHasher().hash("kata sandi yang benar")
    tasks = [
        asyncio.ensure_future(passwords.verify_password_async(stored, "kata sandi yang benar"))
        for _ in range(8)
    ] + [
        asyncio.ensure_future(passwords.hash_password_async(f"kata sandi baru {i}"))
        for i in range(4)
    ]
    await eventually(lambda: counting.running >= bound, "argon2 slots taken")
    # Twelve callers, all started: only the bound got in, the rest wait for a slot.
    await asyncio.sleep(0.3)
    assert counting.running == counting.calls == bound
    counting.release.set()
    results = await asyncio.gather(*tasks)
    assert results[:8] == [True] * 8 and all(r.startswith("$argon2id$") for r in results[8:])
    assert counting.calls == 12 and counting.peak == bound


async def test_argon2_bound_holds_for_threads_and_for_unknown_users(counting, database):
    bound = passwords.ARGON2_CONCURRENCY
    stored = PasswordHasher().hash("kata sandi yang benar")
    answers: list[bool] = []
    threads = [
        threading.Thread(
            target=lambda: answers.append(passwords.verify_password(stored, "salah sekali"))
        )
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    # Sign-ins of users who do not exist still cost one argon2 check each (the timing
    # equaliser), and wait for the same slots as the threads.
    logins = [
        asyncio.ensure_future(authenticate(f"tidak-ada-{uuid.uuid4().hex[:8]}", "apa saja"))
        for _ in range(4)
    ]
    await eventually(lambda: counting.running >= bound, "argon2 slots taken")
    await asyncio.sleep(0.3)
    assert counting.running == counting.calls == bound
    counting.release.set()
    for t in threads:
        await asyncio.to_thread(t.join, 30)
    for login in logins:
        with pytest.raises(Unauthenticated):
            await login
    assert answers == [False] * 6
    assert counting.calls == 10 and counting.peak == bound


def _number(ticket: str) -> int:
    match = TICKET.match(ticket)
    assert match, ticket
    return int(match.group(1))


async def test_ten_signed_in_submitters_of_one_command_get_consecutive_tickets(
    app_client, settings
):
    tenant = await onboard("minimal")
    citizens = [await auth_header(settings, Role.CITIZEN, tenant) for _ in range(10)]
    first = await submit(app_client, tenant.slug, citizens[0], latitude=MALANG[0] - 0.3)
    answers = await asyncio.gather(
        *(
            gql(
                app_client,
                f"/t/{tenant.slug}/graphql",
                SUBMIT,
                headers,
                # Far apart: no duplicates among them.
                input=report_input(latitude=MALANG[0] + i * 0.01, title=f"Pohon tumbang {i}"),
            )
            for i, headers in enumerate(citizens)
        )
    )
    payloads = [body["data"]["submitReport"] for status, body in answers if status == 200]
    assert len(payloads) == 10 and all(p["errors"] == [] for p in payloads), answers
    numbers = sorted(_number(p["report"]["ticket"]) for p in payloads)
    start = _number(first["report"]["ticket"]) + 1
    assert numbers == list(range(start, start + 10))


async def test_the_ticket_counter_is_not_held_while_a_submission_reads(settings, owner, database):
    """A submission blocked in its reads (a table it reads locked by the test) holds no
    lock on the command's ticket counter: another transaction takes the counter row with
    NOWAIT. Before issue 18 the counter was taken first and held through ~9 round trips."""
    tenant = await onboard("minimal")
    store = FileStore(Path(settings.data_dir) / "attachments")

    def report(title: str, shift: float) -> ReportInput:
        return ReportInput(
            "FLOOD",
            title,
            "Genangan air setinggi lutut di jalan utama.",
            MALANG[0] + shift,
            MALANG[1],
            anonymous=True,
        )

    await do_submit_report(
        tenant, ANONYMOUS, report("Banjir pertama", 0.0), store, secret_key=settings.secret_key
    )
    blocker = owner
    probe = await asyncpg.connect(database)
    try:
        await blocker.execute("BEGIN")
        # Every submission reads the command's days off: this makes it wait there.
        await blocker.execute("LOCK TABLE sla_non_working_days IN ACCESS EXCLUSIVE MODE")
        pending = asyncio.ensure_future(
            do_submit_report(
                tenant,
                ANONYMOUS,
                report("Banjir kedua", 0.1),
                store,
                client=f"10.{secrets.randbelow(250)}.0.1",
                secret_key=settings.secret_key,
            )
        )
        waiting = await eventually(
            lambda: _waiting_on(probe, "sla_non_working_days"), "the submission waits"
        )
        # Blocked in its reads, before the counter. While asyncpg prepares that read on a
        # connection that has not yet (Parse takes the table's lock too), the activity
        # still shows the transaction's first message, BEGIN with the tenant.
        assert "report_categories" in waiting or waiting.startswith("BEGIN;"), waiting
        async with probe.transaction():
            row = await probe.fetchrow(
                "SELECT last_value FROM ticket_counters WHERE tenant_id = $1 FOR UPDATE NOWAIT",
                tenant.id,
            )
        assert row is not None and row["last_value"] == 1
        await blocker.execute("ROLLBACK")
        done = await asyncio.wait_for(pending, 30)
        assert _number(done.ticket) == 2 and done.pin is not None
    finally:
        if blocker.is_in_transaction():
            await blocker.execute("ROLLBACK")
        await probe.close()


async def _waiting_on(conn, table: str) -> str | None:
    """The query of a backend waiting for a lock on ``table``, if one is."""
    query: str | None = await conn.fetchval(
        "SELECT a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE NOT l.granted AND l.relation = $1::regclass",
        table,
    )
    return query


async def test_after_the_ticket_counter_only_the_insert_and_the_commit_run(
    app_client, settings, span_exporter
):
    tenant = await onboard("minimal")
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    await submit(app_client, tenant.slug, citizen, latitude=MALANG[0] - 0.3)  # a warm pool
    for anonymous in (False, True):
        statements = await _statements(
            app_client, span_exporter, tenant.slug, None if anonymous else citizen, anonymous
        )
        counter = next(i for i, s in enumerate(statements) if "ticket_counters" in s)
        after = [s.split()[0].upper() for s in statements[counter + 1 :]]
        assert after == ["WITH", "COMMIT"], statements[counter:]
        assert "INSERT INTO reports" in statements[counter + 1]
        # Authenticate (signed in) or count the caller (anonymous), BEGIN with the tenant,
        # the reads, 2 announcements (live feed; outbox for the rollups), the counter, the
        # insert, COMMIT; and (issue 20) the query-cost budget's upsert before all of them,
        # and the event webhooks' deliveries (one insert-select, before the counter: nothing
        # when the command has no subscriber). Before issue 18: 13 each, the counter fourth.
        assert len(statements) == 10, "\n".join(s[:70] for s in statements)


async def _statements(client, span_exporter, slug, headers, anonymous) -> list[str]:
    """The SQL statements of one submitReport, in order (only spans of its own trace)."""
    trace_id = secrets.randbits(128) or 1
    traced = {
        **(headers or {}),
        "traceparent": f"00-{trace_id:032x}-{secrets.randbits(64) or 1:016x}-01",
    }
    lat = MALANG[0] + (0.2 if anonymous else 0.25)
    status, body = await gql(
        client,
        f"/t/{slug}/graphql",
        SUBMIT,
        traced,
        input=report_input(latitude=lat, anonymous=anonymous),
    )
    assert status == 200 and body["data"]["submitReport"]["errors"] == [], body
    spans = sorted(
        (
            s
            for s in span_exporter.get_finished_spans()
            if s.context.trace_id == trace_id
            and s.attributes
            and s.attributes.get("db.system") == "postgresql"
        ),
        key=lambda s: s.start_time,
    )
    return [str(s.attributes.get("db.statement", s.name)) for s in spans]


async def test_two_reports_at_one_spot_sent_at_once_link_as_duplicates(app_client, settings, owner):
    tenant = await onboard("minimal")
    staff = [await auth_header(settings, Role.OPERATOR, tenant) for _ in range(2)]
    answers = await asyncio.gather(
        *(
            gql(
                app_client,
                f"/t/{tenant.slug}/graphql",
                SUBMIT,
                headers,
                input=report_input(categoryCode="FLOOD", title=f"Banjir di Ijen {i}"),
            )
            for i, headers in enumerate(staff)
        )
    )
    reports = [body["data"]["submitReport"]["report"] for _, body in answers]
    earlier, later = sorted(reports, key=lambda r: _number(r["ticket"]))
    assert earlier["duplicateOfId"] is None and later["duplicateOfId"] == earlier["id"]
    kinds = await owner.fetch(
        "SELECT kind, public FROM report_events WHERE report_id = $1::uuid ORDER BY created_at, id",
        uuid.UUID(later["id"]),
    )
    assert [(k["kind"], k["public"]) for k in kinds] == [
        ("SUBMITTED", True),
        ("DUPLICATE_HINT", False),
    ]


def test_a_submitted_event_tells_no_reporter():
    """Report intake announces its SUBMITTED event before the report's row exists (to take
    the ticket counter last); that holds while no reporter template reads the report for
    it. Give SUBMITTED a template, and intake must announce it after its insert."""
    assert "SUBMITTED" not in EVENT_TEMPLATES
