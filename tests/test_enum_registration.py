"""A domain enum (``tenants/``) is registered with strawberry once, in one GraphQL module,
under its GraphQL name (``strawberry.enum(Status, name="ReportStatus")``). A module that
annotates a field with it must import it from there (or sit in the package whose
``__init__`` registers it): otherwise, imported first and resolved before the
registration ran, strawberry names the enum after the Python class, and the served SDL
depends on import order (``status: Status`` in the national schema once the export routes
imported the oversight types first; the committed SDL says ``ReportStatus``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAPHQL = ROOT / "graphql"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return "jogo." + ".".join(parts)


def _registrations() -> dict[str, str]:
    """Name of each domain enum registered by ``strawberry.enum(Name, ...)`` -> the module."""
    found: dict[str, str] = {}
    for path in sorted(GRAPHQL.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "enum"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "strawberry"
                and node.args
                and isinstance(node.args[0], ast.Name)
            ):
                found[node.args[0].id] = _module(path)
    return found


def test_domain_enums_are_imported_from_where_they_are_registered():
    registered = _registrations()
    assert {"Status", "UnitKind", "UnitStatus", "Outcome"} <= set(registered), registered
    wrong = []
    for path in sorted(GRAPHQL.rglob("*.py")):
        module = _module(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jogo.tenants")
            ):
                continue
            for alias in node.names:
                home = registered.get(alias.name)
                if home is None or module == home:
                    continue
                if (
                    Path(path).name != "__init__.py"
                    and module.startswith(home + ".")
                    and (
                        ROOT / home.removeprefix("jogo.").replace(".", "/") / "__init__.py"
                    ).exists()
                ):
                    continue  # inside the package whose __init__ registers it
                wrong.append(f"{module} imports {alias.name} from {node.module}; use {home}")
    assert not wrong, "\n".join(wrong)


def test_the_national_schema_is_the_committed_one_when_its_types_come_first():
    """The order that failed: the oversight types imported and resolved before any other
    GraphQL module, then the schemas built."""
    code = (
        "import jogo.graphql.oversight.types as t\n"
        "for v in vars(t).values():\n"
        "    d = getattr(v, '__strawberry_definition__', None)\n"
        "    for f in getattr(d, 'fields', ()):\n"
        "        f.type\n"
        "from jogo.graphql.sdl import SCHEMA_DIR, current_sdl\n"
        "bad = [k for k, v in current_sdl().items() if (SCHEMA_DIR / k).read_text() != v]\n"
        "print(bad)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
