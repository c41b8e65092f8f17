"""Citus layout, generated from the live catalog: every tenant table (one with a
``tenant_id`` column) is distributed by ``tenant_id`` and co-located with the others;
every other table (the control plane) becomes a reference table, copied to each node.

``layout_problems`` lists what Citus would refuse: a primary key or unique constraint of a
tenant table without ``tenant_id``, a foreign key between tenant tables without it, and a
foreign key from a reference table to a distributed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

_TABLES = """
SELECT c.relname AS name,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
               AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
   -- Unlogged tables (query_budgets: counters worth losing in a crash) stay local
   -- tables of the coordinator, which every API process writes through.
   AND c.relpersistence = 'p'
 ORDER BY c.relname
"""
_CONSTRAINTS = """
SELECT con.conname AS name, con.contype::text AS kind, src.relname AS source,
       dst.relname AS target,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) k
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k) AS columns,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) k
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k) AS target_columns
  FROM pg_constraint con
  JOIN pg_class src ON src.oid = con.conrelid
  JOIN pg_namespace n ON n.oid = src.relnamespace
  LEFT JOIN pg_class dst ON dst.oid = con.confrelid
 WHERE n.nspname = 'public' AND con.contype IN ('p', 'u', 'f')
"""
_UNIQUE_INDEXES = """
SELECT i.relname AS name, t.relname AS source,
       ARRAY(SELECT a.attname FROM unnest(x.indkey) k
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k) AS columns
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname = 'public' AND x.indisunique
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
"""
# Functions that shards' policies and queries call on every node.
FUNCTIONS = ("jogo_current_tenant()",)


@dataclass(frozen=True)
class Layout:
    distributed: list[str]  # in creation order; the first is the co-location anchor
    reference: list[str]
    problems: list[str]


def _ordered(tables: set[str], edges: list[tuple[str, str]]) -> list[str]:
    """Referenced tables before the tables that reference them (then by name)."""
    deps = {
        t: {dst for src, dst in edges if src == t and dst in tables and dst != t} for t in tables
    }
    done: list[str] = []
    while len(done) < len(tables):
        ready = sorted(t for t in tables if t not in done and deps[t] <= set(done))
        if not ready:  # a cycle: take the rest by name
            ready = sorted(t for t in tables if t not in done)
        done.append(ready[0])
    return done


async def layout(conn: asyncpg.Connection) -> Layout:
    """Read the ``public`` schema's catalog over ``conn`` (as the owner): tenant tables (those with
    ``tenant_id``) to distribute, the rest as reference tables, each list ordered so a foreign key's
    target comes first, and the ``problems`` Citus would refuse (keys, foreign keys and unique
    indexes of tenant tables without ``tenant_id``, a reference table pointing at a tenant table).
    One line per problem."""
    tables = {r["name"]: r["tenant"] for r in await conn.fetch(_TABLES)}
    tenant = {t for t, has in tables.items() if has}
    control = set(tables) - tenant
    problems: list[str] = []
    edges: list[tuple[str, str]] = []
    for c in await conn.fetch(_CONSTRAINTS):
        src, dst, cols = c["source"], c["target"], list(c["columns"])
        if c["kind"] in ("p", "u") and src in tenant and "tenant_id" not in cols:
            problems.append(f"{src}: {c['name']} ({', '.join(cols)}) lacks tenant_id")
        if c["kind"] != "f":
            continue
        edges.append((src, dst))
        if (
            src in tenant
            and dst in tenant
            and ("tenant_id" not in cols or "tenant_id" not in list(c["target_columns"]))
        ):
            problems.append(f"{src}: foreign key {c['name']} to {dst} lacks tenant_id")
        if src in control and dst in tenant:
            problems.append(f"{src}: reference table with a foreign key to tenant table {dst}")
    for i in await conn.fetch(_UNIQUE_INDEXES):
        if i["source"] in tenant and "tenant_id" not in list(i["columns"]):
            problems.append(f"{i['source']}: unique index {i['name']} lacks tenant_id")
    return Layout(
        distributed=_ordered(tenant, edges),
        reference=_ordered(control, edges),
        problems=problems,
    )


def citus_sql(found: Layout, generated_at: datetime | None = None) -> str:
    """The SQL script, one transaction, that turns ``found`` into a Citus layout: the extension,
    :data:`FUNCTIONS` distributed, reference tables, then tenant tables distributed by ``tenant_id``
    and co-located with the first one. ``generated_at`` (default now, UTC) is stamped in the header
    comment. Does not check ``found.problems``."""
    moment = (generated_at or datetime.now(UTC)).replace(microsecond=0).isoformat()
    anchor = found.distributed[0] if found.distributed else None
    lines = [
        f"-- Citus layout of Jogo Indonesia Presisi, generated {moment} from the live catalog",
        f"-- by `jogo db citus-sql`: {len(found.distributed)} tenant tables distributed by"
        f" tenant_id, {len(found.reference)} control-plane tables as reference tables.",
        "-- Run once on the coordinator after `jogo db migrate`, as the table owner.",
        "BEGIN;",
        "CREATE EXTENSION IF NOT EXISTS citus;",
    ]
    lines += [f"SELECT create_distributed_function('{f}');" for f in FUNCTIONS]
    lines += [f"SELECT create_reference_table('{t}');" for t in found.reference]
    for table in found.distributed:
        colocate = "none" if table == anchor else anchor
        lines.append(
            f"SELECT create_distributed_table('{table}', 'tenant_id',"
            f" colocate_with => '{colocate}');"
        )
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"
