"""Packaging and architecture rules that a fresh clone must keep."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("platform", "tenants", "graphql", "workers")


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


def test_only_the_kernel_sets_the_tenant():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "build", "tests"} or rel == Path("platform/db.py"):
            continue
        assert "app.tenant_id" not in path.read_text(encoding="utf-8"), rel


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
