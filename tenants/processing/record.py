"""A command's record of processing activities (UU PDP Pasal 31), generated from live data.

The fixed activities come from :mod:`jogo.tenants.processing.catalogue`; the recipients
and transfers are read now, in one read transaction of the command: the agencies of its
directory, its API keys and webhook subscriptions, the commands it transferred reports
to, the gateways it configured (WhatsApp, SMS, e-mail, Web Push) and the push services
its citizens' browsers use. Live counts show how much each activity holds. Only this
command's rows are read: row-level security keeps the others out, and the control-plane
tables (API keys, memberships) are filtered by the command.

The result is JSON-ready (camelCase keys, times ISO 8601), Bahasa Indonesia first with
English beside (``{"id": …, "en": …}``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from jogo.platform import db
from jogo.platform.auth.apikey_admin import status_of
from jogo.platform.registry import TenantInfo
from jogo.tenants.breaches.vocab import DATA_CATEGORIES, SUBJECT_CATEGORIES
from jogo.tenants.processing.catalogue import ACTIVITIES, BASES, RECIPIENT_GROUPS, abroad

WHATSAPP_DEFAULT = "https://graph.facebook.com/v21.0"

_COUNTS = (
    "SELECT (SELECT count(*) FROM reports) AS reports,"
    " (SELECT count(*) FROM reports WHERE reporter_name IS NOT NULL"
    " OR reporter_phone IS NOT NULL OR reporter_user_id IS NOT NULL) AS reports_identified,"
    " (SELECT count(*) FROM report_attachments) AS photos,"
    " (SELECT count(*) FROM notification_channels WHERE removed_at IS NULL) AS channels,"
    " (SELECT count(*) FROM notifications) AS notifications,"
    " (SELECT count(*) FROM intake_conversations) AS conversations,"
    " (SELECT count(*) FROM reports WHERE sos) AS sos,"
    " (SELECT count(*) FROM shared_posts) AS posts,"
    " (SELECT count(*) FROM memberships WHERE tenant = $1 AND role = 'citizen') AS citizens,"
    " (SELECT count(*) FROM memberships WHERE tenant = $1 AND role <> 'citizen') AS staff"
)
# The count each activity shows, from _COUNTS.
_ACTIVITY_COUNT = {
    "REPORTS": "reports",
    "CITIZEN_ACCOUNTS": "citizens",
    "NOTIFICATIONS": "channels",
    "INTAKE": "conversations",
    "SOS": "sos",
    "SHARING": "posts",
    "STAFF": "staff",
}


def _both(pair: tuple[str, str]) -> dict[str, str]:
    return {"id": pair[0], "en": pair[1]}


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


async def generate(tenant: TenantInfo, now: datetime | None = None) -> dict[str, Any]:
    """The record of ``tenant`` at ``now`` (see the module): ``controller``, ``law``,
    ``generatedAt``, ``activities``, ``recipients`` (``agencies``, ``apiKeys``,
    ``webhookSubscriptions``, ``otherCommands``) and ``transfers``."""
    now = now or datetime.now(UTC)
    async with db.read_tx(tenant.id):
        counts = dict((await db.fetch(_COUNTS, tenant.id))[0])
        agencies = await db.fetch(
            "SELECT code, name, kind, connector, endpoint_url, is_active FROM agencies"
            " ORDER BY kind, name, code"
        )
        keys = await db.fetch(
            "SELECT name, prefix, scopes, created_at, expires_at, revoked_at FROM api_keys"
            " WHERE tenant = $1 ORDER BY created_at, id",
            tenant.id,
        )
        hooks = await db.fetch(
            "SELECT url, event_types, enabled, reporter_identity, created_at"
            " FROM webhook_subscriptions ORDER BY created_at, id"
        )
        gateways = await db.fetch(
            "SELECT kind, config, enabled FROM notification_gateways ORDER BY kind"
        )
        push = await db.fetch(
            "SELECT DISTINCT address::json->>'endpoint' AS endpoint FROM notification_channels"
            " WHERE channel = 'WEBPUSH' AND removed_at IS NULL"
        )
        moved = await db.fetch(
            "SELECT t.slug, t.name, count(*) AS n FROM report_transfers x"
            " JOIN tenants t ON t.id = x.to_tenant WHERE x.from_tenant = $1"
            " GROUP BY t.slug, t.name ORDER BY t.slug",
            tenant.id,
        )
    return {
        "controller": {
            "name": tenant.name,
            "slug": tenant.slug,
            "poldaCode": tenant.polda_code,
            "regionCode": tenant.region_code,
            "timeZone": tenant.time_zone,
        },
        "law": _both(
            (
                "Pasal 31 UU No. 27 Tahun 2022: Pengendali Data Pribadi wajib melakukan"
                " perekaman terhadap seluruh kegiatan pemrosesan Data Pribadi.",
                "Art. 31 of Law No. 27/2022: the controller records all processing of"
                " personal data.",
            )
        ),
        "generatedAt": now.isoformat(),
        "activities": [_activity(a, counts) for a in ACTIVITIES],
        "recipients": {
            "groups": {k: _both(v) for k, v in RECIPIENT_GROUPS.items()},
            "agencies": [
                {
                    "code": a["code"],
                    "name": a["name"],
                    "kind": a["kind"],
                    "connector": a["connector"],
                    "host": _host(a["endpoint_url"]),
                    "active": a["is_active"],
                }
                for a in agencies
            ],
            "apiKeys": [
                {
                    "name": k["name"],
                    "prefix": k["prefix"],
                    "scopes": list(k["scopes"]),
                    "status": status_of(k, now),
                    "createdAt": k["created_at"].isoformat(),
                }
                for k in keys
            ],
            "webhookSubscriptions": [
                {
                    "host": _host(h["url"]),
                    "eventTypes": list(h["event_types"]),
                    "enabled": h["enabled"],
                    "reporterIdentity": h["reporter_identity"],
                    "createdAt": h["created_at"].isoformat(),
                }
                for h in hooks
            ],
            "otherCommands": [
                {"slug": m["slug"], "name": m["name"], "reportsTransferred": m["n"]} for m in moved
            ],
        },
        "transfers": _transfers(gateways, push),
    }


def _activity(a: Any, counts: dict[str, Any]) -> dict[str, Any]:
    count_key = _ACTIVITY_COUNT.get(a.code)
    return {
        "code": a.code,
        "name": _both(a.name),
        "purpose": _both(a.purpose),
        "lawfulBasis": [{"code": b} | _both(BASES[b]) for b in a.bases],
        "dataCategories": [{"code": c} | _both(DATA_CATEGORIES[c]) for c in a.data],
        "subjects": [{"code": s} | _both(SUBJECT_CATEGORIES[s]) for s in a.subjects],
        "retention": _both(a.retention),
        "recipients": list(a.recipients),
        "records": int(counts[count_key]) if count_key else None,
        **(
            {
                "recordsWithIdentity": int(counts["reports_identified"]),
                "photos": int(counts["photos"]),
            }
            if a.code == "REPORTS"
            else {}
        ),
    }


def _transfers(gateways: list[Any], push: list[Any]) -> list[dict[str, Any]]:
    """Each configured gateway (and each push service in use) with its host, and whether
    its operator is known to keep data abroad (UU PDP Pasal 56: the command assesses it)."""
    out = []
    for g in gateways:
        config = json.loads(g["config"]) if isinstance(g["config"], str) else dict(g["config"])
        if g["kind"] == "WHATSAPP":
            host = _host(config.get("endpoint") or WHATSAPP_DEFAULT)
        elif g["kind"] == "SMS":
            host = _host(config.get("endpoint"))
        elif g["kind"] == "EMAIL":
            host = config.get("host")
        else:
            continue  # Web Push: the push services in use are listed below
        out.append(
            {"kind": g["kind"], "host": host, "enabled": g["enabled"], "abroad": abroad(host)}
        )
    hosts = sorted({h for p in push if (h := _host(p["endpoint"]))})
    for host in hosts:
        out.append({"kind": "WEBPUSH", "host": host, "enabled": True, "abroad": abroad(host)})
    return out
