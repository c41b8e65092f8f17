"""Mutation testing of the rule modules (issue 15, item 1), with cosmic-ray.

For each rule in :data:`TARGETS` the script copies the tracked source into a scratch
folder (cosmic-ray edits files in place: the work tree is never touched), makes a
cosmic-ray session for the rule's module, keeps only the mutants on the rule's lines
(``line-filter``) and not under ``# pragma: no mutate``, and runs the rule's tests
against every mutant. A mutant is *killed* when the tests fail or time out.

    python -m bench.mutation                 # every rule, one after another
    python -m bench.mutation --only lifecycle --only sla
    python -m bench.mutation --jobs 2        # two rules at a time (one core each)
    python -m bench.mutation --check         # exit 1 below 90 % or on an unlisted survivor

``--check`` fails when a rule kills under 90 % of its mutants not listed as equivalent,
when all rules together kill under 90 % of all mutants, or on an unlisted survivor.

It prints a markdown table, one row per rule: mutants, killed, survived, killed %, the
baseline (one run of the rule's tests on the unmutated code, measured in the same run)
and the whole run as a multiple of that baseline. Survivors follow, as
``module:line operator`` with the mutated line; ``tests/MUTATION.md`` lists those
judged equivalent, with why. ``--check`` fails on a survivor that file does not name.

It needs PostgreSQL (and RabbitMQ for the rollups), as the tests do. Durations are in
the closing note of issue 15 and in the README.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tests" / "MUTATION.md"
THRESHOLD = 0.90


@dataclass(frozen=True)
class Target:
    """One rule: the module that holds it, the parts of it that are the rule, and the
    tests that pin it.

    ``parts`` names top-level functions, classes or assignments (by name) whose lines
    are mutated; empty means the whole module. ``tests`` are paths under ``tests/``.
    """

    name: str
    module: str
    tests: tuple[str, ...]
    parts: tuple[str, ...] = ()
    timeout: float = 120.0
    extra: tuple[str, ...] = field(default=())


# For tests of pure functions: no conftest (no database, no app) and none of the heavy
# pytest plugins, so a mutant's run costs about a second instead of several.
LIGHT = ("-p", "no:hypothesispytest", "-p", "no:faker", "-p", "no:anyio")
PURE = ("--noconftest", *LIGHT)

TARGETS: tuple[Target, ...] = (
    # Rules whose tests need no database run them without conftest.py and the unused
    # pytest plugins (PURE), and cut a mutant that loops for ever after 4x the baseline
    # rather than 120 s: a third of the time per mutant.
    Target(
        "lifecycle",
        "tenants/reports/lifecycle.py",
        ("tests/test_rules_lifecycle.py",),
        timeout=20,
        extra=PURE,
    ),
    Target("sla-calendar", "tenants/reports/calendar.py", ("tests/test_rules_sla_calendar.py",)),
    Target("sla", "tenants/reports/sla.py", ("tests/test_rules_sla.py",), timeout=20, extra=PURE),
    Target(
        "duplicates",
        "tenants/reports/intake.py",
        ("tests/test_rules_duplicates.py",),
        parts=("DUPLICATE_RADIUS_M", "DUPLICATE_WINDOW", "DUPLICATE_OF"),
    ),
    Target(
        "roles", "platform/auth/roles.py", ("tests/test_rules_roles.py",), timeout=20, extra=PURE
    ),
    Target(
        "permissions",
        "graphql/permissions.py",
        ("tests/test_rules_permissions.py", "tests/test_rules_roles.py"),
        timeout=20,
        extra=PURE,
    ),
    Target(
        "redaction",
        "tenants/oversight/redaction.py",
        ("tests/test_rules_redaction.py", "tests/test_redaction.py"),
        extra=PURE,
    ),
    Target("ssrf", "platform/egress.py", ("tests/test_rules_ssrf.py",), extra=PURE),
    Target("rate-limits", "platform/ratelimit.py", ("tests/test_rules_ratelimit.py",), extra=LIGHT),
    Target(
        "rate-limits-reports",
        "tenants/reports/limits.py",
        ("tests/test_rules_ratelimit.py",),
        extra=LIGHT,
    ),
    Target(
        "hmac-callback",
        "tenants/agencies/answers.py",
        ("tests/test_rules_hmac.py", "tests/test_rules_hmac_db.py"),
        parts=("signature", "do_apply_callback"),
        extra=LIGHT,
    ),
    Target(
        "hmac-apikeys",
        "platform/auth/apikeys.py",
        ("tests/test_rules_hmac.py", "tests/test_rules_hmac_db.py"),
        parts=("_digest", "looks_like_api_key", "_secret", "_recalled"),
        extra=LIGHT,
    ),
    Target(
        "hmac-refresh",
        "platform/auth/sessions.py",
        ("tests/test_rules_hmac.py",),
        parts=("_successor",),
        extra=PURE,
    ),
    Target(
        "hmac-codes",
        "platform/auth/codes.py",
        ("tests/test_rules_hmac.py",),
        parts=("_digest", "derived_code"),
        extra=PURE,
    ),
    Target(
        "hmac-pin",
        "tenants/reports/retries.py",
        ("tests/test_rules_hmac.py",),
        parts=("PIN_DIGITS", "derived_pin"),
        extra=PURE,
    ),
    Target(
        "hmac-sealed",
        "graphql/idempotency.py",
        ("tests/test_rules_hmac.py",),
        parts=("sealed",),
        extra=PURE,
    ),
    Target(
        "tenant-tx",
        "platform/db.py",
        ("tests/test_rules_tenancy.py",),
        # What sets the tenant setting and ends it; not the pool plumbing (acquire, release).
        parts=("_as_uuid", "_transaction", "tenant_tx", "control_tx"),
    ),
    Target(
        "rollups",
        "tenants/oversight/rollups.py",
        ("tests/test_rules_rollups.py",),
        # Keeping the rollups exact; not bucket_seconds (reading), announce (the outbox)
        # nor refresh_station_counts (station counts, not report rollups).
        parts=(
            "CELL",
            "BUCKET_BASE",
            "BUCKET_MAX",
            "METRICS",
            "ALL_CATEGORIES",
            "_BUCKET_SQL",
            "_CONTRIBUTION_SQL",
            "_KEYS",
            "_TABLES",
            "_tenant_lock",
            "_shift",
            "do_apply_report",
            "_fill",
            "_clear",
            "rebuild_polda",
            "do_rebuild_tenant",
            "do_rebuild_all",
        ),
    ),
)


@dataclass
class Outcome:
    """What one rule's session gave."""

    target: Target
    mutants: int = 0
    killed: int = 0
    survivors: list[str] = field(default_factory=list)
    baseline_s: float = 0.0
    run_s: float = 0.0
    error: str | None = None

    @property
    def score(self) -> float:
        return self.killed / self.mutants if self.mutants else 0.0


def _line_ranges(path: Path, parts: tuple[str, ...]) -> list[str]:
    """``["start-end", …]`` of the named top-level definitions in ``path``."""
    tree = ast.parse(path.read_text())
    ranges: list[str] = []
    found: set[str] = set()
    for node in tree.body:
        names: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names = [node.target.id]
        hit = [n for n in names if n in parts]
        if hit:
            found.update(hit)
            ranges.append(f"{node.lineno}-{node.end_lineno}")
    missing = set(parts) - found
    if missing:
        raise SystemExit(f"mutation: {path}: no top-level {', '.join(sorted(missing))}")
    return ranges


def _annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``((line, col), (end_line, end_col))`` of every annotation in ``path``, when the
    module has ``from __future__ import annotations`` (PEP 563: annotations are kept as
    strings and never evaluated, so a mutant inside one is equivalent by construction).
    Empty otherwise: strawberry, for one, evaluates the annotations of its types."""
    tree = ast.parse(path.read_text())
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    if not postponed:
        return []
    spans = []
    for node in ast.walk(tree):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            annotations = [node.annotation]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations = [node.returns]
        elif isinstance(node, ast.AnnAssign):
            annotations = [node.annotation]
        for ann in annotations:
            if ann is not None and ann.end_lineno is not None and ann.end_col_offset is not None:
                spans.append(((ann.lineno, ann.col_offset), (ann.end_lineno, ann.end_col_offset)))
    return spans


def _skip_annotations(session: Path, module: Path) -> None:
    """Mark the mutants inside postponed annotations as skipped (see
    :func:`_annotation_spans`); cosmic-ray's positions are (1-based line, column)."""
    spans = _annotation_spans(module)
    if not spans:
        return
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    def inside(start: tuple[int, int], end: tuple[int, int]) -> bool:
        return any(a <= start and end <= b for a, b in spans)

    with use_db(str(session), WorkDB.Mode.open) as work_db:
        skipped = [
            item.job_id
            for item in work_db.pending_work_items
            if all(inside(tuple(m.start_pos), tuple(m.end_pos)) for m in item.mutations)
        ]
        if skipped:
            work_db.set_multiple_results(
                skipped,
                WorkResult(
                    output="inside a postponed annotation (PEP 563)",
                    worker_outcome=WorkerOutcome.SKIPPED,
                ),
            )


def _copy_tree(into: Path) -> Path:
    """A copy of the tracked files as ``<into>/jogo``: importable as ``jogo`` with
    ``PYTHONPATH=<into>``, ahead of the editable install."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    dest = into / "jogo"
    for name in files:
        src = ROOT / name
        if not src.is_file():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)


def _config(target: Target, timeout: float, pytest_cmd: str) -> str:
    lines = [
        "[cosmic-ray]",
        f'module-path = "{target.module}"',
        f"timeout = {timeout:.0f}",
        "excluded-modules = []",
        f"test-command = {json.dumps(pytest_cmd)}",
        "",
        "[cosmic-ray.distributor]",
        'name = "local"',
    ]
    return "\n".join(lines) + "\n"


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def run_target(target: Target, keep: bool = False) -> Outcome:
    """Run one rule's mutation session in a scratch copy; never raises for a failed
    session (the outcome carries ``error``)."""
    outcome = Outcome(target)
    scratch = Path(tempfile.mkdtemp(prefix=f"jogo-mut-{target.name}-"))
    try:
        tree = _copy_tree(scratch)
        env = dict(os.environ, PYTHONPATH=str(scratch), PYTHONDONTWRITEBYTECODE="1")
        pytest_cmd = " ".join(
            [
                sys.executable,
                "-m pytest -x -q -p no:randomly -p no:cacheprovider",
                *target.tests,
                *target.extra,
            ]
        )
        started = time.perf_counter()
        base = _run(pytest_cmd.split(), tree, env)
        outcome.baseline_s = time.perf_counter() - started
        if base.returncode != 0:
            tail = (base.stdout + base.stderr).strip().splitlines()[-3:]
            outcome.error = "baseline failed: " + " | ".join(tail)
            return outcome
        timeout = max(target.timeout, outcome.baseline_s * 4)
        cfg = tree / "cosmic-ray.toml"
        cfg_text = _config(target, timeout, pytest_cmd)
        if target.parts:
            ranges = _line_ranges(tree / target.module, target.parts)
            cfg_text += "\n[cosmic-ray.filters.line-filter.lines]\n"
            cfg_text += f"{json.dumps(target.module)} = {json.dumps(ranges)}\n"
        cfg.write_text(cfg_text)
        session = tree / "session.sqlite"
        started = time.perf_counter()
        steps = [[_bin("cosmic-ray"), "init", str(cfg), str(session)]]
        if target.parts:
            steps.append([_bin("cr-filter-lines"), "--config", str(cfg), str(session)])
        steps.append([_bin("cr-filter-pragma"), str(session)])
        for step in steps:
            done = _run(step, tree, env)
            if done.returncode != 0:
                outcome.error = f"{Path(step[0]).name} {step[1]}: " + done.stderr.strip()[-300:]
                return outcome
        _skip_annotations(session, tree / target.module)
        done = _run([_bin("cosmic-ray"), "exec", str(cfg), str(session)], tree, env)
        if done.returncode != 0:
            outcome.error = "cosmic-ray exec: " + done.stderr.strip()[-300:]
            return outcome
        outcome.run_s = time.perf_counter() - started
        dump = _run([_bin("cosmic-ray"), "dump", str(session)], tree, env)
        source = (tree / target.module).read_text().splitlines()
        for line in dump.stdout.splitlines():
            item, result = json.loads(line)
            if result is None or result.get("worker_outcome") == "skipped":
                continue
            outcome.mutants += 1
            if result.get("test_outcome") in ("killed", "incompetent"):
                outcome.killed += 1
                continue
            for mutation in item["mutations"]:
                row = mutation["start_pos"][0]
                text = source[row - 1].strip() if row - 1 < len(source) else ""
                outcome.survivors.append(
                    f"{target.module}:{row} {mutation['operator_name']}"
                    f" #{mutation['occurrence']} `{text}`"
                )
        return outcome
    finally:
        if keep:
            print(f"mutation: kept {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def _listed_equivalents() -> str:
    return EQUIVALENTS.read_text() if EQUIVALENTS.exists() else ""


def _survivor_key(survivor: str) -> str:
    """``module operator #occurrence `line```: what tests/MUTATION.md names (line
    numbers move with every edit; the mutated line's text and the operator do not)."""
    location, _, rest = survivor.partition(" ")
    module = location.rsplit(":", 1)[0]
    return f"{module} {rest}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="rule name; repeatable")
    parser.add_argument("--jobs", type=int, default=1, help="rules run at a time")
    parser.add_argument("--check", action="store_true", help="fail below 90 %% or unlisted")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies")
    args = parser.parse_args(argv)
    known = {t.name for t in TARGETS}
    unknown = set(args.only) - known
    if unknown:
        print(f"mutation: unknown rule {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    chosen = [t for t in TARGETS if not args.only or t.name in args.only]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda t: run_target(t, args.keep), chosen))
    total_s = time.perf_counter() - started

    listed = _listed_equivalents()

    def equivalent(o: Outcome) -> int:
        return sum(1 for s in o.survivors if _survivor_key(s) in listed)

    def adjusted(o: Outcome) -> float:
        """Killed over the mutants that are not listed as equivalent."""
        real = o.mutants - equivalent(o)
        return o.killed / real if real else 1.0

    print(
        "| rule | module | mutants | killed | survived (equivalent) | killed % "
        "| killed % of non-equivalent | baseline s | run s | run ÷ baseline |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    mutants = killed = equivalents = 0
    for o in outcomes:
        if o.error:
            print(f"| {o.target.name} | `{o.target.module}` | error: {o.error} |||||||")
            continue
        mutants += o.mutants
        killed += o.killed
        equivalents += equivalent(o)
        ratio = o.run_s / o.baseline_s if o.baseline_s else 0.0
        print(
            f"| {o.target.name} | `{o.target.module}` | {o.mutants} | {o.killed} "
            f"| {len(o.survivors)} ({equivalent(o)}) | {100 * o.score:.1f} "
            f"| {100 * adjusted(o):.1f} | {o.baseline_s:.1f} | {o.run_s:.0f} | {ratio:.0f}x |"
        )
    score = killed / mutants if mutants else 0.0
    real = mutants - equivalents
    print(
        f"| **all** | | {mutants} | {killed} | {mutants - killed} ({equivalents}) "
        f"| **{100 * score:.1f}** | **{100 * killed / real if real else 100:.1f}** "
        f"| | {total_s:.0f} | |"
    )

    unlisted: list[str] = []
    survivors = [s for o in outcomes for s in o.survivors]
    if survivors:
        print("\nSurvivors:")
        for s in survivors:
            known_one = _survivor_key(s) in listed
            if not known_one:
                unlisted.append(s)
            print(f"- {s}{'' if known_one else '  (not in tests/MUTATION.md)'}")
    if not args.check:
        return 0
    # A rule fails below 90 % of its non-equivalent mutants killed (a rule of five
    # mutants with one equivalent survivor is at 80 % raw and 100 % of the real ones);
    # all rules together must reach 90 % raw as well.
    failed = [o for o in outcomes if o.error or adjusted(o) < THRESHOLD]
    if score < THRESHOLD:
        print(f"mutation: {100 * score:.1f} % killed over all rules", file=sys.stderr)
        return 1
    if failed or unlisted:
        names = ", ".join(o.target.name for o in failed)
        print(
            f"mutation: {len(failed)} rule(s) below {THRESHOLD:.0%} or failed ({names}); "
            f"{len(unlisted)} survivor(s) not in tests/MUTATION.md",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
