"""What a command holds about one person (UU PDP Pasal 7 and 32): as JSON, and as a
readable HTML page, Bahasa Indonesia first with English beside it.

Made when it is read, never stored (a stored copy would be one more place to erase).
Keys of :func:`collect`: ``generated_at``, ``command``, ``account``, ``reports`` (each with
its public ``timeline`` and ``photos``: references, not the files), ``notification_channels``,
``notifications``, ``consents`` (``privacy_consents``), ``identity_reads`` (who read the
person's identity on their reports, and when, from the audit log), ``requests`` and
``restrictions``.
"""

from __future__ import annotations

import html
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from jogo.platform import db
from jogo.platform.registry import TenantInfo

KEYS = (
    "generated_at",
    "command",
    "account",
    "reports",
    "notification_channels",
    "notifications",
    "consents",
    "identity_reads",
    "requests",
    "restrictions",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _rows(rows: list[Any]) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in dict(r).items()} for r in rows]


async def subject_targets(tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[str]:
    """The audit targets that concern this person here: ``user:<id>`` and
    ``report:<ticket>`` of each report they made (in the caller's transaction)."""
    rows = await db.fetch(
        "SELECT 'report:' || ticket AS t FROM reports WHERE tenant_id = $1"
        " AND reporter_user_id = $2",
        tenant_id,
        user_id,
    )
    return [f"user:{user_id}", *(r["t"] for r in rows)]


async def collect(tenant: TenantInfo, user_id: uuid.UUID) -> dict[str, Any]:
    """Everything this command holds about ``user_id`` (keys: :data:`KEYS`)."""
    tid = tenant.id
    async with db.read_tx(tid):
        account = await db.fetch(
            "SELECT u.id, u.username, u.full_name, u.phone, u.created_at, u.is_active,"
            " coalesce((SELECT array_agg(m.role ORDER BY m.role) FROM memberships m"
            " WHERE m.user_id = u.id AND m.tenant = $2), '{}') AS roles FROM users u"
            " WHERE u.id = $1",
            user_id,
            tid,
        )
        reports = _rows(
            await db.fetch(
                "SELECT r.id, r.ticket, c.code AS category, r.title, r.description, r.address,"
                " r.latitude, r.longitude, r.occurred_at, r.status, r.anonymous,"
                " r.reporter_name, r.reporter_phone, r.channel, r.created_at, r.updated_at,"
                " r.closed_at FROM reports r JOIN report_categories c ON c.tenant_id ="
                " r.tenant_id AND c.id = r.category_id WHERE r.tenant_id = $1"
                " AND r.reporter_user_id = $2 ORDER BY r.created_at, r.id",
                tid,
                user_id,
            )
        )
        ids = [uuid.UUID(r["id"]) for r in reports]
        events = await db.fetch(
            "SELECT report_id, kind, from_status, to_status, note, created_at"
            " FROM report_events WHERE tenant_id = $1 AND report_id = ANY($2::uuid[])"
            " AND public ORDER BY created_at, id",
            tid,
            ids,
        )
        photos = await db.fetch(
            "SELECT report_id, id, content_type, size_bytes, sha256, created_at"
            " FROM report_attachments WHERE tenant_id = $1 AND report_id = ANY($2::uuid[])"
            " ORDER BY created_at, id",
            tid,
            ids,
        )
        channels = _rows(
            await db.fetch(
                "SELECT channel, address, locale, created_at, removed_at FROM"
                " notification_channels WHERE tenant_id = $1 AND user_id = $2"
                " ORDER BY created_at, id",
                tid,
                user_id,
            )
        )
        addresses = [c["address"] for c in channels]
        if account and account[0]["phone"]:
            addresses.append(account[0]["phone"])
        notifications = _rows(
            await db.fetch(
                "SELECT n.channel, n.address, n.template, n.status, n.created_at, n.sent_at,"
                " r.ticket FROM notifications n LEFT JOIN reports r ON r.tenant_id ="
                " n.tenant_id AND r.id = n.report_id WHERE n.tenant_id = $1 AND"
                " (n.report_id = ANY($2::uuid[]) OR n.address = ANY($3::text[]))"
                " ORDER BY n.created_at, n.id LIMIT 1000",
                tid,
                ids,
                addresses,
            )
        )
        consents = _rows(
            await db.fetch(
                "SELECT notice_version, accepted_at, client, (tenant = $2) AS this_command"
                " FROM privacy_consents WHERE user_id = $1 ORDER BY accepted_at",
                user_id,
                tid,
            )
        )
        reads = _rows(
            await db.fetch(
                "SELECT at, actor, actor_kind, role, substr(target, 8) AS ticket FROM audit_log"
                " WHERE tenant = $1 AND action = 'report.reporter_identity.read'"
                " AND target = ANY($2::text[]) ORDER BY id LIMIT 5000",
                tid,
                [f"report:{r['ticket']}" for r in reports],
            )
        )
        requests = _rows(
            await db.fetch(
                "SELECT id, request_right, status, made_by, received_at, due_at, done_at,"
                " refusal_reason FROM data_subject_requests WHERE tenant_id = $1"
                " AND subject_user_id = $2 ORDER BY received_at",
                tid,
                user_id,
            )
        )
        restrictions = _rows(
            await db.fetch(
                "SELECT purpose, since FROM processing_restrictions WHERE tenant_id = $1"
                " AND user_id = $2",
                tid,
                user_id,
            )
        )
    by_report: dict[str, dict[str, Any]] = {r["id"]: r for r in reports}
    for r in reports:
        r["timeline"], r["photos"] = [], []
    for e in _rows(events):
        by_report[e.pop("report_id")]["timeline"].append(e)
    for p in _rows(photos):
        by_report[p.pop("report_id")]["photos"].append(p)
    acc = _rows(account)[0] if account else None
    if acc is not None:
        acc["roles"] = list(acc["roles"])
    return {
        "generated_at": datetime.now(UTC).isoformat(),
        "command": {"slug": tenant.slug, "name": tenant.name},
        "account": acc,
        "reports": reports,
        "notification_channels": channels,
        "notifications": notifications,
        "consents": consents,
        "identity_reads": reads,
        "requests": requests,
        "restrictions": restrictions,
    }


_SECTIONS = (
    ("account", "Akun", "Account"),
    ("reports", "Laporan", "Reports"),
    ("notification_channels", "Saluran pemberitahuan", "Notification channels"),
    ("notifications", "Pemberitahuan terkirim", "Notifications sent"),
    ("consents", "Persetujuan", "Consents"),
    ("identity_reads", "Siapa membaca identitas Anda", "Who read your identity"),
    ("requests", "Permintaan Anda", "Your requests"),
    ("restrictions", "Pembatasan pemrosesan", "Restrictions of processing"),
)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>Tidak ada / None</p>"
    cols = [k for k in rows[0] if k not in ("timeline", "photos")]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for row in rows:
        cells = "".join(
            f"<td>{html.escape(str(row.get(c) if row.get(c) is not None else ''))}</td>"
            for c in cols
        )
        body.append(f"<tr>{cells}</tr>")
        for sub in ("timeline", "photos"):
            if row.get(sub):
                body.append(
                    f'<tr><td colspan="{len(cols)}"><details><summary>{sub}</summary>'
                    f"{_table(row[sub])}</details></td></tr>"
                )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(data: dict[str, Any]) -> str:
    """The export as one self-contained HTML page (every value escaped), sections in
    Bahasa Indonesia with English beside, the raw JSON at the end."""
    parts = [
        '<!doctype html><html lang="id"><head><meta charset="utf-8">',
        "<title>Data pribadi Anda / Your personal data</title>",
        "<style>body{font-family:sans-serif;margin:1rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 6px;font-size:.9em}</style></head><body>",
        "<h1>Data pribadi Anda <small>/ Your personal data</small></h1>",
        f"<p>{html.escape(data['command']['name'])} &middot; dibuat / made"
        f" {html.escape(data['generated_at'])}</p>",
        "<p>Menurut UU No. 27 Tahun 2022 Pasal 7 dan 32. / Under Law No. 27 of 2022,"
        " articles 7 and 32.</p>",
    ]
    for key, title_id, title_en in _SECTIONS:
        value = data.get(key)
        rows = [value] if isinstance(value, dict) else list(value or [])
        parts.append(f'<h2 id="{key}">{title_id} <small>/ {title_en}</small></h2>{_table(rows)}')
    raw = html.escape(json.dumps(data, ensure_ascii=False, indent=1))
    parts.append(f"<h2>JSON</h2><pre>{raw}</pre></body></html>")
    return "".join(parts)
