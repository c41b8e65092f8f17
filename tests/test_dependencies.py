"""Every third-party module the product imports comes from a runtime dependency.

`jogo up` from a fresh clone installs ``pip install -e .`` without the dev extra. A module
that the product imports but that only the dev extra (or another package, transitively)
brings works on every developer's machine and fails there: lxml, imported by the Open311
server's XML answers, was only a dev dependency, and `jogo up` died at start-up with
ModuleNotFoundError. These tests read every product module with ``ast`` (imports inside
functions too), drop the standard library and our own modules, find the distribution that
provides each module in this venv, and ask for it in pyproject's ``[project] dependencies``.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from importlib.metadata import distribution, packages_distributions
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
# What `jogo` runs: the kernel, the domains, the schemas, the workers, the package's root.
# Not tests/ or bench/ (the dev extra's), nor web/'s two developer tools below.
PRODUCT = ("platform", "tenants", "graphql", "workers", "infra")
PRODUCT_FILES = ("__init__.py", "web/__init__.py")
# web/screenshots.py (the README's pictures, Playwright) and web/vendor.py (runs npm) are
# run by hand by a developer; nothing in the product imports them (tested below).
DEVELOPER_TOOLS = ("web/screenshots.py", "web/vendor.py")
# Product code names itself as ``jogo.<folder>`` or relatively. The repo's own folder names
# imported bare would only work with the repo root on sys.path; ``platform`` and
# ``graphql`` bare are Python's platform module and graphql-core (tests/test_layout.py).
OWN_FOLDERS = {"tenants", "workers", "web", "infra", "bench", "tests"}
# Runtime dependencies that no product module imports by name, each with the reason.
NOT_IMPORTED = {
    # Pinned so the contrib release stays in step with the SDK (tests/test_layout.py).
    "opentelemetry-instrumentation": "the base the asyncpg/httpx instrumentations build on",
    "opentelemetry-instrumentation-asgi": "litestar.plugins.opentelemetry's middleware",
}


def _normalise(name: str) -> str:
    """PEP 503: runs of ``-``, ``_`` and ``.`` are one ``-``, case folded."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(group: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return {_normalise(Requirement(spec).name) for spec in specs}


def product_files() -> list[Path]:
    """The product's Python files, sorted: the folders above, the package's root files."""
    files = [ROOT / name for name in PRODUCT_FILES]
    for folder in PRODUCT:
        files.extend(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)
    return sorted(files)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import under ``node``, in functions and classes too, but not the ones under
    ``if TYPE_CHECKING:`` (never run; its ``else:`` is)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child):
            for other in child.orelse:
                yield from _import_nodes(ast.Module(body=[other], type_ignores=[]))
        else:
            yield from _import_nodes(child)


def imported_modules(path: Path) -> dict[str, int]:
    """Absolute module names ``path`` imports, each with its first line; relative imports
    (our own) are left out. ``from a.b import c`` gives ``a.b.c``: ``c`` may be a module."""
    found: dict[str, int] = {}
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif node.level or not node.module:
            continue
        else:
            names = [f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"]
            names = names or [node.module]
        for name in names:
            found.setdefault(name, node.lineno)
    return found


@cache
def _modules_of(dist_name: str) -> frozenset[str]:
    """Dotted names of the modules and packages in one distribution's installed files."""
    modules: set[str] = set()
    for file in distribution(dist_name).files or ():
        parts = PurePosixPath(str(file)).parts
        if not parts or parts[0] == ".." or not parts[-1].endswith((".py", ".so", ".pyd")):
            continue
        stem = parts[-1].split(".")[0]
        dotted = parts[:-1] if stem == "__init__" else (*parts[:-1], stem)
        modules.update(".".join(dotted[:depth]) for depth in range(1, len(dotted) + 1))
    return frozenset(modules)


@cache
def _top_level_owners() -> dict[str, list[str]]:
    return packages_distributions()


def providers(module: str) -> frozenset[str]:
    """The distributions (PEP 503 names) that provide ``module`` in this environment: the
    top-level name through ``packages_distributions()``; where several share it
    (``opentelemetry`` is a namespace of a dozen), the longest dotted prefix of ``module``
    that only one of them holds in its installed files decides."""
    parts = module.split(".")
    by_top = _top_level_owners().get(parts[0], [])
    if len(set(map(_normalise, by_top))) <= 1:
        return frozenset(map(_normalise, by_top))
    for depth in range(len(parts), 1, -1):
        prefix = ".".join(parts[:depth])
        owners = {_normalise(d) for d in by_top if prefix in _modules_of(d)}
        if len(owners) == 1:
            return frozenset(owners)
    return frozenset(map(_normalise, by_top))


def third_party_imports() -> dict[str, list[str]]:
    """Third-party module -> where it is imported (``path:line``), over the product."""
    stdlib = sys.stdlib_module_names
    where: dict[str, list[str]] = {}
    for path in product_files():
        for module, line in imported_modules(path).items():
            top = module.split(".")[0]
            if top in stdlib or top == "jogo" or top == "__future__":
                continue
            where.setdefault(module, []).append(f"{path.relative_to(ROOT)}:{line}")
    return where


def test_the_walk_sees_imports_in_functions_and_skips_type_checking(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import a.b as ab\n"
        "from . import sibling\n"
        "from .x import y\n"
        "if TYPE_CHECKING:\n    import typing_only\nelse:\n    import runtime_else\n"
        "def f():\n    from lxml import etree\n"
        "class C:\n    def g(self):\n        import msgspec.json\n"
    )
    assert set(imported_modules(source)) == {
        "typing.TYPE_CHECKING",
        "a.b",
        "runtime_else",
        "lxml.etree",
        "msgspec.json",
    }


def test_product_files_cover_every_product_folder():
    files = {p.relative_to(ROOT).parts[0] for p in product_files()}
    assert {"platform", "tenants", "graphql", "workers", "__init__.py", "web"} <= files
    assert (ROOT / "platform" / "app" / "open311_wire.py") in product_files()


def test_product_imports_itself_as_jogo():
    """``import tenants`` runs from the repo root and fails once installed."""
    bare = [
        f"{where}: {module}"
        for module, places in third_party_imports().items()
        if module.split(".")[0] in OWN_FOLDERS
        for where in places
    ]
    assert not bare, f"import these as jogo.<folder>: {bare}"


def test_the_developer_tools_are_not_imported_by_the_product():
    tools = {"jogo." + t.removesuffix(".py").replace("/", ".") for t in DEVELOPER_TOOLS}
    for path in product_files():
        for module in imported_modules(path):
            assert not any(module == t or module.startswith(t + ".") for t in tools), path


def test_every_third_party_import_is_a_runtime_dependency():
    runtime = _requirements()
    dev = _requirements("dev")
    missing: dict[str, list[str]] = {}
    for module, places in sorted(third_party_imports().items()):
        if module.split(".")[0] in OWN_FOLDERS:
            continue  # test_product_imports_itself_as_jogo
        found = providers(module)
        if not found & runtime:
            key = " or ".join(sorted(found)) or f"nothing installed provides {module}"
            missing.setdefault(key, []).append(f"{module} ({places[0]})")
    problems = []
    for dists, where in missing.items():
        if set(dists.split(" or ")) & dev:
            why = "only in the dev extra: `jogo up` from a fresh clone (no extras) fails"
        else:
            why = "not in [project] dependencies: it comes only through another package's"
        problems.append(f"{dists}: {why}; imported as {', '.join(where[:3])}")
    assert not problems, "\n".join(problems)


def test_every_runtime_dependency_is_imported():
    """The reverse, lightly: a dependency that no product module imports is dead weight,
    unless it is loaded by name (listed in NOT_IMPORTED with the reason)."""
    imported: set[str] = set()
    for module in third_party_imports():
        imported |= providers(module)
    unused = _requirements() - imported - set(NOT_IMPORTED)
    assert not unused, f"runtime dependencies no product module imports: {sorted(unused)}"
    stale = set(NOT_IMPORTED) & imported
    assert not stale, f"imported after all, drop from NOT_IMPORTED: {sorted(stale)}"
