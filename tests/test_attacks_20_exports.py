"""Issue 20 under attack: bulk exports and persisted queries / trusted documents driven
over real HTTP as another tenant, a citizen, a read-only, revoked or expired credential,
with parallel duplicates, clients that vanish mid-download, and malformed input. Nothing
answers 500, leaks another command's data, or leaves a connection in a transaction."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
from typing import Any

import httpx
import pytest
from helpers import (
    PUBLISH,
    auth_header,
    call,
    content,
    idle_in_transaction,
    seed_reports_sql,
    submit,
)

from jogo.platform import db
from jogo.platform.app.exports_http import SLOTS
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text[:300]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


async def pool_settled() -> None:
    pool = db.ENGINE.pool
    assert pool is not None
    for _ in range(200):
        if pool.get_idle_size() == pool.get_size() and SLOTS.busy == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError((pool.get_idle_size(), pool.get_size(), SLOTS.busy))


# --- CSV injection -------------------------------------------------------------------

SNEAKY = [
    " =cmd|' /C calc'!A0",
    "  +1+1",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " \t@SUM(A1)",
    "\u00a0=HYPERLINK(\"http://evil.example\")",
    "-2+3",
]
SNEAKY = [t + " pohon tumbang di jalan" for t in SNEAKY]


async def test_formula_cells_are_neutralised_behind_leading_whitespace(
    app_client, settings, owner, two_tenants
):
    a = two_tenants.a
    operator = await auth_header(settings, Role.OPERATOR, a)
    made = [await submit(app_client, a.slug, operator) for _ in SNEAKY]
    # Text that reaches the table by another way than the form (imports, Open311, SQL).
    for text, done in zip(SNEAKY, made, strict=True):
        await owner.execute(
            "UPDATE reports SET title = $2, address = $2 WHERE id = $1::uuid",
            done["report"]["id"],
            text,
        )
    rows = csv_rows(await app_client.get(f"/t/{a.slug}/export/reports.csv", headers=operator))
    by_ticket = {r["ticket"]: r for r in rows}
    for text, done in zip(SNEAKY, made, strict=True):
        row = by_ticket[done["report"]["ticket"]]
        for column in ("title", "address"):
            assert row[column] == "'" + text, (column, row[column])
