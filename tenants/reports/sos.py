"""The panic button: a signed-in citizen's SOS becomes an urgent report at once (on the
operators' live feed through the usual SUBMITTED event), and the answer names the
nearest police post and hospital. Limited per user, counted in the database so the limit
holds across every API replica."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jogo.platform import db
from jogo.platform.auth.principal import Principal
from jogo.platform.errors import Forbidden, InvalidInput
from jogo.platform.ratelimit import RateLimited
from jogo.platform.registry import TenantInfo
from jogo.platform.storage import FileStore
from jogo.tenants.facilities.queries import nearest
from jogo.tenants.reports.intake import Submitted, do_submit_report
from jogo.tenants.reports.validation import ReportInput, in_indonesia

SOS_CATEGORY = "PUBLIC_ORDER"  # in every template; an SOS is flagged, not a category
SOS_PER_WINDOW = 3
SOS_WINDOW = "10 minutes"


@dataclass(frozen=True)
class SosResult:
    report: Submitted
    police_post: dict[str, Any] | None
    hospital: dict[str, Any] | None


async def do_raise_sos(
    tenant: TenantInfo,
    principal: Principal,
    latitude: float,
    longitude: float,
    note: str | None,
    store: FileStore,
) -> SosResult:
    if principal.kind != "user":
        raise Forbidden("sign in to use the panic button")
    if not in_indonesia(latitude, longitude):
        raise InvalidInput("the location must lie in Indonesia", field="latitude")
    text = " ".join((note or "").split())
    if len(text) > 500:
        raise InvalidInput("the note may be at most 500 characters", field="note")
    async with db.tenant_tx(tenant.id):
        recent = await db.fetch(
            "SELECT count(*) FROM reports WHERE sos AND reporter_user_id = $1"
            f" AND created_at > now() - interval '{SOS_WINDOW}'",
            principal.id,
        )
    if recent[0][0] >= SOS_PER_WINDOW:
        raise RateLimited(f"at most {SOS_PER_WINDOW} SOS in {SOS_WINDOW}; call 110 if you can")
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
    )
    return SosResult(
        report=submitted,
        police_post=await nearest(tenant.id, latitude, longitude, "police_post"),
        hospital=await nearest(tenant.id, latitude, longitude, "hospital"),
    )
