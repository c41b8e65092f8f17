"""``do_update_agency``: change an agency or hospital of the directory (not its code)."""

from __future__ import annotations

import json
import uuid
from dataclasses import fields, replace
from typing import Any

from jogo.platform.auth.principal import Principal
from jogo.platform.errors import InvalidInput
from jogo.tenants.agencies.actions import AgencyInput, check_agency, check_destinations
from jogo.tenants.agencies.directory import (
    SECRET,
    apply_update,
    as_json,
    read_entry,
    require_directory_writer,
    sealed_secret,
)

# AgencyInput fields an update may change; the code is the entry's key and stays.
EDITABLE = frozenset(f.name for f in fields(AgencyInput)) - {"code"}


def _input_of(row: dict[str, Any]) -> AgencyInput:
    return AgencyInput(
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        connector=row["connector"],
        endpoint_url=row["endpoint_url"],
        secret=None,
        service_codes=as_json(row["service_codes"], {}),
        timeout_seconds=row["timeout_seconds"],
        contacts=as_json(row["contacts"], []),
        phone=row["phone"],
        email=row["email"],
        address=row["address"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        capacity_url=row["capacity_url"],
        capacity_format=row["capacity_format"],
        jurisdiction_id=row["jurisdiction_id"],
        role=row["role"],
    )


async def do_update_agency(
    tenant_id: uuid.UUID,
    principal: Principal,
    agency_id: uuid.UUID,
    given: dict[str, Any],
    secret_key: str,
    *,
    allow_private_egress: bool,
) -> uuid.UUID:
    """``given``: the :class:`AgencyInput` fields to change (absent ones stay; None
    clears a nullable one). The result is checked as a whole, as ``createAgency``
    checks a new agency (``InputErrors`` per field: contacts by
    :mod:`jogo.platform.contacts`, a changed endpoint or capacity URL by the egress rule
    of :mod:`jogo.platform.egress`). ``Forbidden`` without directory rights, ``NotFound``
    on ``agencyId`` for an unknown id, ``CONFLICT`` when the agency changed meanwhile.
    A secret is only replaced, never shown; an edit also confirms a sample entry.
    ``InvalidInput`` on ``kind`` for a change between ``hospital`` and another kind."""
    require_directory_writer(tenant_id, principal)
    unknown = set(given) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    row = await read_entry(tenant_id, "agency", agency_id)
    stored = _input_of(row)
    kind = given.get("kind", row["kind"])
    if (kind == "hospital") != (row["kind"] == "hospital"):
        # A hospital is in `hospitals`, SOS answers and capacity polling by its kind:
        # turning one into a dinas (or back) would quietly move it in or out of them.
        raise InvalidInput(
            "a hospital stays a hospital and an agency stays an agency: deactivate this"
            " entry and add the other kind anew",
            field="kind",
        )
    merged = check_agency(replace(stored, **given), stored_secret=row["secret_enc"] is not None)
    await check_destinations(
        merged,
        allow_private_egress,
        unchanged=frozenset(u for u in (row["endpoint_url"], row["capacity_url"]) if u),
    )
    values: dict[str, Any] = {
        "name": merged.name,
        "kind": merged.kind,
        "role": merged.role,
        "connector": merged.connector,
        "endpoint_url": merged.endpoint_url,
        "service_codes": json.dumps(merged.service_codes),
        "timeout_seconds": merged.timeout_seconds,
        "contacts": json.dumps(merged.contacts),
        "phone": merged.phone,
        "email": merged.email,
        "address": merged.address,
        "latitude": merged.latitude,
        "longitude": merged.longitude,
        "capacity_url": merged.capacity_url,
        "capacity_format": merged.capacity_format,
        "jurisdiction_id": merged.jurisdiction_id,
    }
    # Compared as JSON text would differ on key order: the audit compares the values.
    shown = values | {
        "service_codes": merged.service_codes,
        "contacts": merged.contacts,
    }
    stored_json = {
        "service_codes": as_json(row["service_codes"], {}),
        "contacts": as_json(row["contacts"], []),
    }
    for key, value in stored_json.items():
        if value == shown[key]:
            del values[key], shown[key]
    if given.get("secret"):
        values["secret_enc"] = sealed_secret(merged.secret, secret_key)
        shown["secret"] = SECRET
    await apply_update(
        tenant_id,
        principal,
        "agency",
        agency_id,
        values,
        seen_at=row["updated_at"],
        audit_values=shown,
    )
    return agency_id
