"""The panic button: a signed-in citizen's SOS becomes an urgent report at once (on the
operators' live feed through the usual SUBMITTED event), and the answer names the
nearest police post and hospital. Limited per user (:data:`SOS_PER_WINDOW` in
:data:`SOS_WINDOW`), counted in the database inside the report's transaction, so the
limit holds under parallel presses and across every API replica."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jogo.platform import db
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.errors import InvalidInput
from jogo.platform.ratelimit import RateLimited
from jogo.platform.registry import TenantInfo
from jogo.platform.storage import FileStore
from jogo.tenants.facilities.queries import nearest
from jogo.tenants.reports.intake import Submitted, do_submit_report
from jogo.tenants.reports.validation import ReportInput, in_indonesia

SOS_CATEGORY = "PUBLIC_ORDER"  # in every template; an SOS is flagged, not a category
SOS_PER_WINDOW = 3
SOS_WINDOW = "10 minutes"
# Farther than this, a hospital or post is no help in an emergency: the answer gives the
# national numbers instead of naming one (a command's directory is its own, so this only
# bounds a command whose area is large or whose directory is sparse).
SOS_MAX_METRES = 25_000
NO_HOSPITAL = (
    "Belum ada rumah sakit terdaftar dalam 25 km dari Anda. Dalam keadaan darurat telepon"
    " 112 (darurat), 110 (polisi) atau 119 (ambulans). / No hospital is listed within 25 km"
    " of you. In an emergency call 112 (emergency), 110 (police) or 119 (ambulance)."
)
SENT = (
    "SOS Anda sudah diterima petugas. Bila bisa, telepon juga 110 (polisi) atau 119"
    " (ambulans). / Your SOS has reached the operators. If you can, also call 110 (police)"
    " or 119 (ambulance)."
)


@dataclass(frozen=True)
class SosResult:
    """``advice``: what the citizen reads, Bahasa Indonesia then English; names the
    national emergency numbers, and says so when no hospital lies within
    :data:`SOS_MAX_METRES`."""

    report: Submitted
    police_post: dict[str, Any] | None
    hospital: dict[str, Any] | None
    advice: str = SENT


async def do_raise_sos(
    tenant: TenantInfo,
    principal: Principal,
    latitude: float,
    longitude: float,
    note: str | None,
    store: FileStore,
    *,
    client_key: str | None = None,
    secret_key: str = "",
) -> SosResult:
    """``client_key``: as for ``do_submit_report``; a retried press under the same key
    answers with the first press's report and counts once towards the limit."""
    if principal.kind != "user":
        raise denied(principal, "the panic button is for signed-in people, not API keys")
    if not in_indonesia(latitude, longitude):
        raise InvalidInput("the location must lie in Indonesia", field="latitude")
    text = " ".join((note or "").split())
    if len(text) > 500:
        raise InvalidInput("the note may be at most 500 characters", field="note")

    async def within_limit(report_id: uuid.UUID) -> None:
        # In the report's own transaction, after its insert, under a per-citizen lock:
        # a parallel press waits here until this one commits or rolls back, then counts
        # it. Counting first and inserting in another transaction let ten through.
        await db.fetch("SELECT pg_advisory_xact_lock(hashtext($1))", f"sos:{principal.id}")
        rows = await db.fetch(
            "SELECT count(*) AS n, ceil(extract(epoch FROM min(created_at) FILTER"
            f" (WHERE id <> $2) + interval '{SOS_WINDOW}' - now()))::int AS wait"
            " FROM reports WHERE sos AND reporter_user_id = $1"
            f" AND created_at > now() - interval '{SOS_WINDOW}'",
            principal.id,
            report_id,
        )
        if rows[0]["n"] > SOS_PER_WINDOW:
            raise RateLimited(
                f"Paling banyak {SOS_PER_WINDOW} SOS dalam 10 menit; bila bisa, telepon 110. /"
                f" At most {SOS_PER_WINDOW} SOS in {SOS_WINDOW}; call 110 if you can.",
                retry_after=max(1, rows[0]["wait"] or 1),
            )

    submitted = await do_submit_report(
        tenant,
        principal,
        ReportInput(
            category_code=SOS_CATEGORY,
            title="SOS / Darurat",
            description=text if len(text) >= 10 else f"Tombol darurat ditekan. {text}".strip(),
            latitude=latitude,
            longitude=longitude,
            sos=True,
        ),
        store,
        on_insert=within_limit,
        client_key=client_key,
        secret_key=secret_key,
    )
    # Only the command's own active entries, and only within SOS_MAX_METRES.
    hospital = await nearest(tenant.id, latitude, longitude, "hospital", SOS_MAX_METRES)
    return SosResult(
        report=submitted,
        police_post=await nearest(tenant.id, latitude, longitude, "police_post", SOS_MAX_METRES),
        hospital=hospital,
        advice=SENT if hospital is not None else NO_HOSPITAL,
    )
