"""Packaging and architecture rules that a fresh clone must keep."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("platform", "tenants", "graphql", "workers", "web")


def test_repo_root_does_not_shadow_platform_or_graphql_core():
    code = (
        "import platform, graphql, strawberry, sys;"
        "print(graphql.__file__); print(platform.__file__); print(platform.python_version())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "site-packages" in out[0] and out[0].endswith("graphql/__init__.py")
    assert not out[1].startswith(str(ROOT)) and out[1].endswith("platform.py")
    assert out[2].startswith("3.")


def test_shadowing_folders_have_no_init():
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert not (ROOT / "graphql" / "__init__.py").exists()


def test_every_subpackage_is_packaged():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {"jogo"}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.parent.relative_to(ROOT)
            if "__pycache__" not in rel.parts:
                found.add("jogo." + ".".join(rel.parts))
    assert found == listed, f"missing: {found - listed}, stale: {listed - found}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def _folder_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "jogo" or len(parts) < 2:
        return None
    if parts[1] == "platform" and len(parts) > 2 and parts[2] == "app":
        return "app"
    return parts[1]


ALLOWED = {
    "platform": {"platform"},
    "tenants": {"platform", "tenants"},
    "graphql": {"platform", "tenants", "graphql"},
    "workers": {"platform", "tenants", "workers"},
    "app": {"platform", "tenants", "graphql", "workers", "app"},
}


def test_imports_run_one_way():
    """kernel <- tenants <- graphql, workers <- platform/app; no cycles between folders."""
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT)
            owner = "app" if rel.parts[:2] == ("platform", "app") else folder
            for module in _imports(path):
                target = _folder_of(module)
                if target is not None:
                    assert target in ALLOWED[owner], f"{rel} imports {module}"


# The plain baseline of bench/read_write.py is a separate app that sets the tenant the
# way the kernel does, and the bench reads its statements back: neither is the product.
PLAIN_BASELINE = {Path("bench/plain_app.py"), Path("bench/read_write.py")}


def test_only_the_kernel_sets_the_tenant():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "build", "tests"} or rel == Path("platform/db.py"):
            continue
        if rel in PLAIN_BASELINE:
            continue
        assert "app.tenant_id" not in path.read_text(encoding="utf-8"), rel


# Session state on a pooled connection outlives its borrower: the pool sends no reset
# statement (issue 18, jogo.platform.db). Each pattern is matched case-insensitively in
# the product's Python and SQL; the modules that may use one hold a connection of their
# own (asyncpg.connect, or db.connect_listener for LISTEN: JOGO_LISTEN_DATABASE_URL,
# issue 19), never a pooled one.
SESSION_STATE = {
    "set_config(..., false): a setting for the whole session": (
        r"set_config\s*\([^)]*,\s*false\s*\)",
        set(),
    ),
    "SET app.*: a setting for the whole session (SET LOCAL is the transaction's)": (
        r"\bSET\s+(?:SESSION\s+)?app\.",
        set(),
    ),
    "SET SESSION": (r"\bSET\s+SESSION\b", set()),
    "a session-level advisory lock (pg_advisory_xact_lock ends with the transaction)": (
        r"pg_(?:try_)?advisory_lock(?:_shared)?\s*\(",
        {"platform/migrate.py"},
    ),
    "LISTEN": (r"add_listener\s*\(|[\"']\s*LISTEN\s", {"platform/notify.py", "workers/relay.py"}),
}


def test_pooled_connections_keep_no_session_state():
    """No session-level setting, lock or listener on a pooled connection; and the tenant
    is named only by the kernel (Python) or set transaction-locally (SQL functions)."""
    import re

    for path in sorted(
        p for f in FOLDERS for e in ("py", "sql") for p in (ROOT / f).rglob(f"*.{e}")
    ):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "platform/db.py":
            continue
        text = path.read_text(encoding="utf-8")
        for what, (pattern, allowed) in SESSION_STATE.items():
            if re.search(pattern, text, re.IGNORECASE) is None:
                continue
            assert rel in allowed, f"{rel}: {what}"
            own = ("asyncpg.connect(", "db.connect_listener(")
            assert any(c in text for c in own), f"{rel}: {what} on a connection of its own"
        for call in re.findall(r"set_config\s*\(\s*'app\.tenant_id'[^;]*?\)", text):
            assert rel.endswith(".sql") and re.search(r",\s*true\s*\)$", call), f"{rel}: {call}"


def test_only_oversight_reads_across_tenants():
    """Rollup tables and the cross-tenant function are touched by tenants/oversight only."""
    names = (
        "oversight_daily",
        "oversight_durations",
        "oversight_cells",
        "oversight_contributions",
        "oversight_election",
        "election_station_counts",
        "oversight_reports(",
    )
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if rel.parts[:2] == ("tenants", "oversight"):
                continue
            text = path.read_text(encoding="utf-8")
            assert not any(n in text for n in names), rel


def _otel_pins() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins: dict[str, str] = {}
    for dep in deps:
        if dep.startswith("opentelemetry-"):
            name, sep, version = dep.partition("==")
            assert sep, f"{dep}: OpenTelemetry packages are pinned exactly (==), in lockstep"
            pins[name] = version
    return pins


def test_opentelemetry_moves_in_lockstep():
    """Open ranges let pip 23.2 (Python 3.11's venv) pick contrib betas that want two
    different opentelemetry-instrumentation releases, and it gives up with
    ResolutionImpossible. One core release and one contrib release, each pinned."""
    pins = _otel_pins()
    assert "opentelemetry-instrumentation" in pins and "opentelemetry-sdk" in pins
    contrib = {v for k, v in pins.items() if k.startswith("opentelemetry-instrumentation")}
    core = {
        v
        for k, v in pins.items()
        if k in ("opentelemetry-api", "opentelemetry-sdk") or k.startswith("opentelemetry-exporter")
    }
    assert len(contrib) == 1, pins
    assert len(core) == 1, pins
    # contrib 0.Nb* is built against core 1.(N-21).*: 0.66b1 goes with 1.45.1.
    (contrib_version,) = contrib
    (core_version,) = core
    assert int(contrib_version.split(".")[1].split("b")[0]) - 21 == int(core_version.split(".")[1])


def test_installed_opentelemetry_matches_the_pins():
    from importlib.metadata import version

    for name, pinned in _otel_pins().items():
        assert version(name) == pinned, name


def test_ci_runs_the_readme_install_line_with_the_stock_pip():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    first = next(line for line in readme.splitlines() if line.startswith("python3 -m venv .venv"))
    install = first.split(" && .venv/bin/jogo up")[0]
    assert install in ci.replace('"$PYTHON"', "python3")
    assert "install --upgrade pip" not in ci and "-U pip" not in ci
