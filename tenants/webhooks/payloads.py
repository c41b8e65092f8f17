"""What a webhook carries: the body of one delivery, made on its first attempt from what
its ``about`` names and kept unchanged for every retry and replay.

Shape (Standard Webhooks): ``{"type": "report.submitted", "timestamp": "<ISO 8601>",
"command": "<tenant slug>", "data": {...}}``. Report payloads follow the visibility recorded
on the subscription: without reporter identity (the default, and always for API keys) the
title, description and notes are masked as an agency reads them and no ``reporter`` is
sent; with it, the text as written and ``reporter {name, phone, anonymous}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from jogo.platform import db
from jogo.tenants.oversight.redaction import redact
from jogo.tenants.webhooks.events import EVENT_TYPES

_REPORT = (
    "SELECT r.id, r.ticket, r.status, r.title, r.description, r.latitude, r.longitude,"
    " r.address, r.urgent, r.sos, r.anonymous, r.reporter_name, r.reporter_phone,"
    " r.occurred_at, r.created_at, r.updated_at, c.code AS category_code,"
    " c.name_id AS category_name, s.code AS polling_station_code"
    " FROM reports r JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id"
    " LEFT JOIN polling_stations s ON s.tenant_id = r.tenant_id AND s.id = r.polling_station_id"
    " WHERE r.id = $1"
)
_EVENT = (
    "SELECT id, kind, from_status, to_status, note, created_at FROM report_events WHERE id = $1"
)
_BULLETIN = (
    "SELECT id, chain_id, msg_type, status, category, severity, urgency, certainty, headline,"
    " description, instruction, headline_en, description_en, instruction_en, area_desc,"
    " region_codes, valid_from, valid_until, published_at FROM bulletins WHERE id = $1"
)
_POST = (
    "SELECT id, body, latitude, longitude, (photo_key IS NOT NULL) AS has_photo, created_at,"
    " moderated_at AS approved_at, report_id FROM shared_posts WHERE id = $1"
)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _plain(row: Any) -> dict[str, Any]:
    return {k: (str(v) if k.endswith("id") and v is not None else _iso(v)) for k, v in row.items()}


async def build(delivery: dict[str, Any], slug: str, identity: bool) -> dict[str, Any]:
    """The body of ``delivery`` (its row: ``event_type``, ``report_id``, ``about``), inside a
    tenant transaction. ``identity``: the subscription's recorded visibility."""
    about = delivery["about"]
    ref = about if isinstance(about, dict) else json.loads(about)
    data: dict[str, Any] = {}
    if delivery["report_id"] is not None:
        data.update(await _report(delivery["report_id"], ref, identity))
    if "bulletin_id" in ref:
        data["bulletin"] = await _one(_BULLETIN, ref["bulletin_id"])
        if delivery["event_type"] == "BULLETIN_CANCELLED":
            data["cancel"] = {"id": ref.get("cancel_id"), "reason": ref.get("reason")}
    if "post_id" in ref:
        data["post"] = await _one(_POST, ref["post_id"])
    return {
        "type": EVENT_TYPES[delivery["event_type"]],
        "timestamp": _iso(delivery["created_at"] or datetime.now(UTC)),
        "command": slug,
        "data": data,
    }


async def _one(sql: str, ref_id: str) -> dict[str, Any] | None:
    rows = await db.fetch(sql, ref_id)
    return _plain(dict(rows[0])) if rows else None


async def _report(report_id: Any, ref: dict[str, Any], identity: bool) -> dict[str, Any]:
    rows = await db.fetch(_REPORT, report_id)
    if not rows:
        return {"report": None}
    r = dict(rows[0])
    own = {"name": r["reporter_name"], "phone": r["reporter_phone"], "address": r["address"]}

    def text(value: str | None) -> str | None:
        return value if identity else redact(value, **own)

    report = _plain({k: v for k, v in r.items() if not k.startswith("reporter_")})
    report["title"], report["description"] = text(r["title"]), text(r["description"])
    out: dict[str, Any] = {"report": report}
    if identity:
        out["reporter"] = {
            "name": r["reporter_name"],
            "phone": r["reporter_phone"],
            "anonymous": r["anonymous"],
        }
    if ref.get("report_event_id"):
        event = await _one(_EVENT, ref["report_event_id"])
        if event is not None:
            event["note"] = text(event["note"])
        out["event"] = event
    if ref.get("dispatch_id"):
        out["dispatch"] = {
            "id": ref["dispatch_id"],
            "agency_id": ref.get("agency_id"),
            "agency_name": ref.get("agency_name"),
            "status": ref.get("status"),
            "outcome": ref.get("outcome"),
            "note": text(ref.get("note")),
        }
    return out
