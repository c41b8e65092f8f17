"""Retention (UU PDP Pasal 42-44: data is erased when its retention period ends): per
category, a number of days after which personal data goes, while the report stays.

Defaults (:data:`DEFAULT_DAYS`), which a command's tenant admin changes
(``setRetentionRule``, audited ``privacy.retention.set``):

- ``REPORTER_IDENTITY``: 730 days after a report was closed (CLOSED or REJECTED), the
  reporter's identity is removed (:func:`.anonymise.anonymise_reports`);
- ``REPORT_PHOTOS``: 365 days after it was closed, its photos (rows and files);
- ``NOTIFICATIONS``: 365 days after a notification was made, its address (SENT or DEAD
  only: one still being delivered keeps it);
- ``WEBHOOK_DELIVERIES``: 90 days after an event-webhook delivery was made, the
  delivery and its stored body (DELIVERED or DEAD only; one of a report under a legal
  hold stays): the delivery log and replays reach back that far.

The scheduled ``apply_retention`` actor (daily) runs :func:`do_run_retention` per
command. A run never touches a report under a legal hold (nor its notifications), does
at most :data:`BATCH` reports per category (the next run does the rest), records what it
did in ``retention_runs``, and is idempotent: what was removed is marked, so a second run
finds nothing. The national rollups keep counting: they hold no identity.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal
from jogo.platform.errors import InvalidInput
from jogo.platform.storage import FileStore
from jogo.tenants.privacy import anonymise

CATEGORIES = ("REPORTER_IDENTITY", "REPORT_PHOTOS", "NOTIFICATIONS", "WEBHOOK_DELIVERIES")
DEFAULT_DAYS = {
    "REPORTER_IDENTITY": 730,
    "REPORT_PHOTOS": 365,
    "NOTIFICATIONS": 365,
    "WEBHOOK_DELIVERIES": 90,
}
MAX_DAYS = 36500
BATCH = 5000

_CLOSED = (
    "SELECT id FROM reports WHERE tenant_id = $1 AND status IN ('CLOSED', 'REJECTED')"
    " AND coalesce(closed_at, updated_at) < $2 AND {done} IS NULL AND legal_hold_at IS NULL"
    "{more} ORDER BY id LIMIT $3"
)
_HELD = (
    "SELECT count(*) AS n FROM reports WHERE tenant_id = $1 AND status IN ('CLOSED',"
    " 'REJECTED') AND coalesce(closed_at, updated_at) < $2 AND legal_hold_at IS NOT NULL"
    " AND (identity_erased_at IS NULL OR photos_erased_at IS NULL)"
)


@dataclass(frozen=True)
class Rule:
    """A category's retention at a command: ``days`` in force, the default, whether changed."""

    category: str
    days: int
    default_days: int
    changed: bool


async def rules(tenant_id: uuid.UUID) -> list[Rule]:
    """Every category's rule at this command (in its transaction), in :data:`CATEGORIES` order."""
    rows = await db.fetch(
        "SELECT category, days FROM retention_rules WHERE tenant_id = $1", tenant_id
    )
    own = {r["category"]: r["days"] for r in rows}
    return [Rule(c, own.get(c, DEFAULT_DAYS[c]), DEFAULT_DAYS[c], c in own) for c in CATEGORIES]


async def do_set_rule(
    tenant_id: uuid.UUID, principal: Principal, category: str, days: int | None
) -> None:
    """Set ``category``'s retention to ``days`` (1-36500), or back to the default with
    None. Audited ``privacy.retention.set``. ``INVALID_INPUT`` on ``category`` or ``days``."""
    if category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be 1-{MAX_DAYS}", field="days")
    async with db.tenant_tx(tenant_id):
        if days is None:
            await db.fetch(
                "DELETE FROM retention_rules WHERE tenant_id = $1 AND category = $2",
                tenant_id,
                category,
            )
        else:
            await db.fetch(
                "INSERT INTO retention_rules (tenant_id, category, days, updated_by)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, category) DO UPDATE"
                " SET days = EXCLUDED.days, updated_by = EXCLUDED.updated_by, updated_at = now()",
                tenant_id,
                category,
                days,
                principal.name,
            )
        await write_audit(
            "privacy.retention.set",
            principal=principal,
            tenant_id=tenant_id,
            target=f"retention:{category}",
            detail={"days": days, "default_days": DEFAULT_DAYS[category]},
        )


async def do_run_retention(
    tenant_id: uuid.UUID, store: FileStore, now: datetime | None = None
) -> dict[str, Any]:
    """Apply this command's rules as of ``now`` (default: now, UTC) in one tenant
    transaction, deleting the photo files at its end. Returns (and stores in ``retention_runs``)
    the counts: ``identities``, ``photo_reports``, ``photo_files``, ``notifications``,
    ``webhook_deliveries``, ``held`` (closed reports past a rule but under a legal hold),
    and the ``rules`` used."""
    now = now or datetime.now(UTC)
    async with db.tenant_tx(tenant_id):
        days = {r.category: r.days for r in await rules(tenant_id)}
        cut = {c: now - timedelta(days=d) for c, d in days.items()}
        ident_ids = [
            r["id"]
            for r in await db.fetch(
                _CLOSED.format(
                    done="identity_erased_at",
                    more=" AND (reporter_user_id IS NOT NULL OR reporter_name IS NOT NULL"
                    " OR reporter_phone IS NOT NULL)",
                ),
                tenant_id,
                cut["REPORTER_IDENTITY"],
                BATCH,
            )
        ]
        identity = await anonymise.anonymise_reports(
            tenant_id, ident_ids, identity=True, photos=False, now=now
        )
        photo_ids = [
            r["id"]
            for r in await db.fetch(
                _CLOSED.format(done="photos_erased_at", more=""),
                tenant_id,
                cut["REPORT_PHOTOS"],
                BATCH,
            )
        ]
        photos = await anonymise.anonymise_reports(
            tenant_id, photo_ids, identity=False, photos=True, now=now
        )
        notified = await db.fetch(
            "UPDATE notifications n SET address = 'dihapus:' || n.id::text WHERE"
            " n.tenant_id = $1 AND n.created_at < $2 AND n.status IN ('SENT', 'DEAD')"
            " AND n.address NOT LIKE 'dihapus:%' AND NOT EXISTS (SELECT 1 FROM reports r"
            " WHERE r.tenant_id = n.tenant_id AND r.id = n.report_id"
            " AND r.legal_hold_at IS NOT NULL) RETURNING n.id",
            tenant_id,
            cut["NOTIFICATIONS"],
        )
        deliveries = await db.fetch(
            "DELETE FROM webhook_deliveries d WHERE d.tenant_id = $1 AND d.created_at < $2"
            " AND d.status IN ('DELIVERED', 'DEAD') AND NOT EXISTS (SELECT 1 FROM reports r"
            " WHERE r.tenant_id = d.tenant_id AND r.id = d.report_id"
            " AND r.legal_hold_at IS NOT NULL) RETURNING d.id",
            tenant_id,
            cut["WEBHOOK_DELIVERIES"],
        )
        held = await db.fetch(_HELD, tenant_id, min(cut["REPORTER_IDENTITY"], cut["REPORT_PHOTOS"]))
        counts: dict[str, Any] = {
            "identities": len(identity.identities),
            "photo_reports": len(photos.photo_reports),
            "photo_files": len(photos.storage_keys),
            "notifications": len(notified),
            "webhook_deliveries": len(deliveries),
            "held": held[0]["n"],
            "rules": days,
        }
        await db.fetch(
            "INSERT INTO retention_runs (tenant_id, as_of, counts) VALUES ($1, $2, $3::jsonb)",
            tenant_id,
            now,
            json.dumps(counts),
        )
        # Before commit: a run killed here rolls back, and the next one does it all again.
        await anonymise.delete_files(store, photos.storage_keys)
    return counts


async def runs(tenant_id: uuid.UUID, first: int) -> list[dict[str, Any]]:
    """The newest retention runs here: id, as_of, started_at, finished_at, counts (dict)."""
    async with db.read_tx(tenant_id):
        rows = await db.fetch(
            "SELECT id, as_of, started_at, finished_at, counts::text AS counts FROM"
            " retention_runs WHERE tenant_id = $1 ORDER BY started_at DESC, id LIMIT $2",
            tenant_id,
            first,
        )
    return [{**dict(r), "counts": json.loads(r["counts"])} for r in rows]
