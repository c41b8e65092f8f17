"""The Piccolo table classes mirror the SQL migrations (the promise in platform/migrate.py).

For every Table class in ``platform/tables.py`` and ``tenants/*/tables.py``: the table
exists in the migrated database, every declared column exists with a compatible type
and the same nullability, and every column the database has is declared.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import asyncpg
from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    BigSerial,
    Boolean,
    Column,
    DoublePrecision,
    Integer,
    Text,
    Timestamptz,
)
from piccolo.table import Table

import jogo.tenants

# Piccolo column class -> PostgreSQL udt_name (information_schema.columns).
_UDT: dict[type[Column], str] = {
    UUID: "uuid",
    Text: "text",
    Boolean: "bool",
    Integer: "int4",
    BigSerial: "int8",
    DoublePrecision: "float8",
    Timestamptz: "timestamptz",
    JSONB: "jsonb",
}

# Database columns deliberately not mirrored in Piccolo: (table, column) -> why.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("reports", "search"): "a GENERATED tsvector (migration 0003); Piccolo has no tsvector"
    " column and the app never writes it",
}


def _table_modules() -> list[str]:
    names = ["jogo.platform.tables"]
    for info in pkgutil.iter_modules(jogo.tenants.__path__):
        name = f"jogo.tenants.{info.name}.tables"
        if importlib.util.find_spec(name) is not None:
            names.append(name)
    return names


def _tables() -> list[type[Table]]:
    found: list[type[Table]] = []
    for name in _table_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Table)
                and value is not Table
                and value.__module__ == name
            ):
                found.append(value)
    return found


def _udt(column: Column) -> str:
    if isinstance(column, Array):
        return "_" + _udt(column.base_column)
    for cls in type(column).__mro__:
        if cls in _UDT:
            return _UDT[cls]
    raise AssertionError(f"no type mapping for {type(column).__name__}")


def test_every_tables_module_is_found() -> None:
    modules = _table_modules()
    for name in ("platform", "agencies", "facilities", "reports", "units"):
        assert any(m.split(".")[-2] == name for m in modules), name
    names = {t._meta.tablename for t in _tables()}
    assert {"tenants", "reports", "police_posts", "cameras", "units"} <= names


def test_udt_mapping_tells_types_apart() -> None:
    assert _udt(Text()) == "text"
    assert _udt(Array(base_column=UUID())) == "_uuid"
    assert _udt(Integer()) != _udt(BigSerial())


async def test_piccolo_tables_match_the_migrations(owner: asyncpg.Connection) -> None:
    rows = await owner.fetch(
        "SELECT table_name, column_name, udt_name, is_nullable"
        " FROM information_schema.columns WHERE table_schema = 'public'"
    )
    db: dict[str, dict[str, tuple[str, bool]]] = {}
    for r in rows:
        db.setdefault(r["table_name"], {})[r["column_name"]] = (
            r["udt_name"],
            r["is_nullable"] == "YES",
        )
    problems: list[str] = []
    tables = _tables()
    assert len(tables) >= 20
    for table in tables:
        name = table._meta.tablename
        if name not in db:
            problems.append(f"{name}: table missing from the database")
            continue
        declared = set()
        for column in table._meta.columns:
            col = column._meta.db_column_name
            declared.add(col)
            if col not in db[name]:
                problems.append(f"{name}.{col}: declared in Piccolo, not in the database")
                continue
            udt, nullable = db[name][col]
            if _udt(column) != udt:
                problems.append(f"{name}.{col}: Piccolo {_udt(column)}, database {udt}")
            if column._meta.null != nullable:
                problems.append(
                    f"{name}.{col}: Piccolo null={column._meta.null}, database {nullable}"
                )
        for col in sorted(set(db[name]) - declared):
            if (name, col) not in EXCEPTIONS:
                problems.append(f"{name}.{col}: in the database, not declared in Piccolo")
    assert problems == [], "\n".join(problems)
