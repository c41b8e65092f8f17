"""``do_transfer_report``: the one cross-tenant write. A report reached the wrong command;
an operator moves it, its timeline and its photos to the right one.

The rows move in ONE transaction, inside the source tenant's ``tenant_tx``, through the
SECURITY DEFINER function ``transfer_report`` (migration 0022, owned by the NOLOGIN role
``jogo_transfer``; the app role still cannot bypass row-level security, and the function
refuses any source but the transaction's own tenant). In the same transaction: a
control-plane ``report_transfers`` row (ticket -> new command), an audit row for each
command, and the rollup events of both (the report's national contribution moves).

Decisions:
- Only ``SUBMITTED`` or ``VERIFIED`` reports move (else ``ILLEGAL_TRANSITION``), and not
  while an agency dispatch of the source is open (``CONFLICT``): the source's agencies
  must not end up working for another command. Finished dispatches are dropped.
- The target gets it as ``SUBMITTED``, with its own verification deadline (its category
  of the same code, its calendar), nobody assigned, no duplicate link or TPS, flagged
  against its own jurisdiction, and a public timeline entry "Dialihkan dari <command> /
  Transferred from <command>". The ticket, the PIN and the report id stay the same
  (ticket prefixes are unique platform-wide, so the ticket cannot collide there).
- The source keeps no personal data: report, timeline, photos, finished dispatches, its
  event webhook deliveries about it and its idempotency keys for them are gone; its
  links to the report are cut. The target's event webhooks see it as submitted.
- Photos (``JOGO_DATA_DIR/attachments/<tenant>/<report>/<id>.<ext>``) are copied under
  the target with new ids before the transaction, removed again if it fails, and the
  source's files are deleted after the commit.
- Only a signed-in user with ``reports:triage`` (an operator) transfers; API keys don't.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from jogo.platform import db, notify, registry
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import Conflict, Forbidden, InvalidInput, JogoError, NotFound
from jogo.platform.registry import TenantInfo
from jogo.platform.storage import FileStore
from jogo.tenants.notifications import actions as notifications
from jogo.tenants.oversight import rollups
from jogo.tenants.reports import events, jurisdiction, sla
from jogo.tenants.reports.calendar import load_calendar
from jogo.tenants.reports.lifecycle import IllegalTransition
from jogo.tenants.webhooks import events as webhooks

TARGET = "toTenantSlug"


@dataclass(frozen=True)
class Transferred:
    report_id: uuid.UUID
    ticket: str
    from_status: str
    source: TenantInfo
    target: TenantInfo


def _refusal(exc: asyncpg.PostgresError, target: TenantInfo) -> JogoError | None:
    """The typed error for the function's SQLSTATEs (migration 0022)."""
    message = getattr(exc, "message", "") or str(exc)
    return {
        "JG403": Forbidden("reports move only out of this command"),
        "JG400": InvalidInput("the report is already in this command", field=TARGET),
        "JG404": NotFound("report not found", field="id"),
        "JG4T4": NotFound(f"command {target.slug!r} not found", field=TARGET),
        "JG4T9": Conflict(f"{target.name} is suspended and takes no reports", field=TARGET),
        "JG409": Conflict(
            "an agency dispatch of this report is still open; wait for its answer first",
            field="id",
        ),
        "JG4C9": Conflict(f"{target.name} has no active category {message}", field=TARGET),
        "JG422": IllegalTransition(
            "only SUBMITTED or VERIFIED reports can be transferred", field="id"
        ),
        "JG4A9": Conflict("the report's photos changed meanwhile; try again", field="id"),
    }.get(getattr(exc, "sqlstate", "") or "")


async def _target(tenant: TenantInfo, slug: str) -> TenantInfo:
    target = await registry.find_by_slug((slug or "").strip().lower())
    if target is None:
        raise NotFound(f"command {slug!r} not found", field=TARGET)
    if target.id == tenant.id:
        raise InvalidInput("the report is already in this command", field=TARGET)
    if not target.active:
        raise Conflict(f"{target.name} is suspended and takes no reports", field=TARGET)
    return target


def _check(tenant: TenantInfo, principal: Principal, reason: str) -> str:
    if principal.kind != "user" or Cap.REPORTS_TRIAGE not in principal.tenant_caps(tenant.id):
        raise Forbidden("only an operator of this command transfers its reports")
    reason = " ".join((reason or "").split())
    if not 5 <= len(reason) <= 1000:
        raise InvalidInput("give a reason of 5-1000 characters", field="reason")
    return reason


async def do_transfer_report(
    tenant: TenantInfo,
    principal: Principal,
    report_id: uuid.UUID,
    to_slug: str,
    reason: str,
    store: FileStore,
) -> Transferred:
    """Move a report to the command ``to_slug``. Errors: ``FORBIDDEN`` (not an operator
    or a key), ``INVALID_INPUT`` (reason, same command), ``NOT_FOUND`` (report, or on
    ``toTenantSlug`` the command), ``CONFLICT`` (target suspended or lacking the
    category, an open agency dispatch, a parallel transfer's photos),
    ``ILLEGAL_TRANSITION`` (the report is not SUBMITTED or VERIFIED)."""
    reason = _check(tenant, principal, reason)
    target = await _target(tenant, to_slug)
    now = datetime.now(UTC)
    async with db.tenant_tx(tenant.id):
        rows = await db.fetch(
            "SELECT r.latitude, r.longitude, r.urgent, c.code FROM reports r"
            " JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id"
            " WHERE r.id = $1",
            report_id,
        )
        photos = await db.fetch(
            "SELECT id, storage_key FROM report_attachments WHERE report_id = $1", report_id
        )
    if not rows:
        raise NotFound("report not found", field="id")
    report = rows[0]
    async with db.tenant_tx(target.id):
        categories = await db.fetch(
            "SELECT * FROM report_categories WHERE code = $1 AND is_active", report["code"]
        )
        calendar = await load_calendar(target)
        outside = await jurisdiction.outside(target.id, report["latitude"], report["longitude"])
    if not categories:
        raise Conflict(f"{target.name} has no active category {report['code']}", field=TARGET)
    due = sla.verify_due(now, dict(categories[0]), report["urgent"], calendar)
    moves = [
        (p["id"], uuid.uuid4(), p["storage_key"], p["storage_key"].rsplit(".", 1)[-1])
        for p in photos
    ]
    new_keys = [f"{target.id}/{report_id}/{new}.{ext}" for _, new, _, ext in moves]
    copied: list[str] = []
    try:
        for (_, _, old_key, _), new_key in zip(moves, new_keys, strict=True):
            try:
                data = await store.read(old_key)
            except FileNotFoundError:
                continue  # never served anyway; the row still moves
            await store.put(new_key, data)
            copied.append(new_key)
        moved = await _move(tenant, principal, report_id, target, reason, due, outside, moves)
    except BaseException:
        for key in copied:
            await store.delete(key)
        raise
    for _, _, old_key, _ in moves:
        await store.delete(old_key)
    return Transferred(report_id, moved["ticket"], moved["from_status"], tenant, target)


async def _move(
    tenant: TenantInfo,
    principal: Principal,
    report_id: uuid.UUID,
    target: TenantInfo,
    reason: str,
    due: datetime,
    outside: bool,
    moves: list[tuple[uuid.UUID, uuid.UUID, str, str]],
) -> asyncpg.Record:
    actor = events.actor_of(principal)
    async with db.tenant_tx(tenant.id):
        try:
            rows = await db.fetch(
                "SELECT * FROM transfer_report($1, $2, $3, $4, $5, $6, $7, $8, $9::uuid[],"
                " $10::uuid[], $11::text[])",
                tenant.id,
                report_id,
                target.id,
                actor[0],
                actor[1],
                reason,
                due,
                outside,
                [m[0] for m in moves],
                [m[1] for m in moves],
                [f"{target.id}/{report_id}/{m[1]}.{m[3]}" for m in moves],
            )
        except asyncpg.PostgresError as exc:
            typed = _refusal(exc, target)
            if typed is None:
                raise
            raise typed from None
        moved = rows[0]
        detail = {
            "ticket": moved["ticket"],
            "report_id": str(report_id),
            "from": tenant.slug,
            "to": target.slug,
            "from_status": moved["from_status"],
            "reason": reason,
        }
        for action, tenant_id in (
            ("report.transfer_out", tenant.id),
            ("report.transfer_in", target.id),
        ):
            await write_audit(
                action,
                principal=principal,
                tenant_id=tenant_id,
                target=f"report:{moved['ticket']}",
                detail=detail,
            )
        # The national rollups: the source's share goes, the target's comes.
        await rollups.announce(tenant.id, report_id)
        await rollups.announce(target.id, report_id)
        await notify.publish(events.TOPIC, target.id, moved["event_id"])
        # The source's event webhooks about it go with its timeline (their bodies carry
        # the report, with the reporter for an identity subscription).
        await db.fetch("DELETE FROM webhook_deliveries WHERE report_id = $1", report_id)
    # The reporter hears of it from the command that now has the report (its gateways,
    # its name), and its integrators get it as a new report (REPORT_SUBMITTED, the
    # TRANSFER event). After the move commits: a lost message must not undo a transfer.
    async with db.tenant_tx(target.id):
        await webhooks.emit(
            target.id,
            ["REPORT_SUBMITTED"],
            moved["event_id"],
            report_id=report_id,
            ref={"report_event_id": str(moved["event_id"])},
        )
        await notifications.announce_report_event(
            target.id,
            report_id,
            moved["event_id"],
            "TRANSFER",
            actor_id=actor[1],
            by_reporter=False,
            to_status="SUBMITTED",
            note=None,
        )
    return moved


async def current_home(tenant_id: uuid.UUID, ticket: str) -> TenantInfo | None:
    """Where a ticket this command once held lives now (following every later transfer),
    or None when this command never transferred it. Only the ticket's own trail is read:
    nothing about any other report or command."""
    rows = await db.fetch(
        "SELECT to_tenant FROM report_transfers WHERE ticket = $1"
        " AND EXISTS (SELECT 1 FROM report_transfers WHERE ticket = $1 AND from_tenant = $2)"
        " ORDER BY id DESC LIMIT 1",
        (ticket or "").strip().upper(),
        tenant_id,
    )
    if not rows or rows[0]["to_tenant"] == tenant_id:
        return None
    return await registry.find_by_id(rows[0]["to_tenant"])
