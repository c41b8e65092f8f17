"""Writes of the agency directory: template seeds (inside the onboarding transaction),
agencies with their connectors, and routing rules."""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import asyncpg

from jogo.platform import contacts, db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.crypto import encrypt
from jogo.platform.egress import check_url
from jogo.platform.errors import Conflict, InputErrors, InvalidInput, NotFound
from jogo.platform.urls import normalise
from jogo.tenants.agencies.directory import constraint_field
from jogo.tenants.agencies.roles import check_role
from jogo.tenants.agencies.tables import AGENCY_KINDS, CONNECTORS, Agency
from jogo.tenants.reports.validation import LAT_RANGE, LON_RANGE


@dataclass(frozen=True)
class AgencySeed:
    code: str
    name: str
    kind: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    role: str | None = None


async def do_seed_agencies(
    tenant_id: uuid.UUID, seeds: Sequence[AgencySeed], *, sample: bool
) -> int:
    """Inside the caller's tenant transaction. An agency whose code exists is left as it
    is (a command may have confirmed, changed or deactivated it); returns how many were
    added."""
    if not seeds:
        return 0
    rows = await db.fetch(
        "INSERT INTO agencies (tenant_id, code, name, kind, address, latitude, longitude,"
        " role, is_sample) SELECT $1, * , $9 FROM unnest($2::text[], $3::text[], $4::text[],"
        " $5::text[], $6::float8[], $7::float8[], $8::text[])"
        " ON CONFLICT (tenant_id, code) DO NOTHING RETURNING id",
        tenant_id,
        [s.code for s in seeds],
        [s.name for s in seeds],
        [s.kind for s in seeds],
        [s.address for s in seeds],
        [s.latitude for s in seeds],
        [s.longitude for s in seeds],
        [s.role for s in seeds],
        sample,
    )
    return len(rows)


# --- the directory and its connectors (tenant admins) ---

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")


@dataclass
class AgencyInput:
    code: str
    name: str
    kind: str
    connector: str = "manual"
    endpoint_url: str | None = None
    secret: str | None = None
    service_codes: dict[str, str] = field(default_factory=dict)
    timeout_seconds: int = 10
    contacts: list[dict[str, str]] = field(default_factory=list)
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    capacity_url: str | None = None
    capacity_format: str | None = None
    jurisdiction_id: str | None = None
    role: str | None = None


MAX_URL = 2000
MAX_ADDRESS = 300


def location_error(latitude: float | None, longitude: float | None) -> InvalidInput | None:
    """``InvalidInput`` on ``latitude`` or ``longitude`` (the first that is off) for a
    point outside Indonesia's bounds (``LAT_RANGE``/``LON_RANGE`` of
    :mod:`jogo.tenants.reports.validation`, inside the database's checks), else None.
    None values are the caller's to judge."""
    for value, name, (low, high) in (
        (latitude, "latitude", LAT_RANGE),
        (longitude, "longitude", LON_RANGE),
    ):
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            return InvalidInput(
                f"{name} must be decimal degrees from {low:g} to {high:g} (Indonesia)",
                field=name,
            )
    return None


# An Open311 jurisdiction_id: a server's own identifier, often a domain name.
JURISDICTION = re.compile(r"^[A-Za-z0-9._:/-]{1,100}$")


def check_jurisdiction(value: str | None, connector: str) -> str | None:
    """The Open311 ``jurisdiction_id`` as stored: None for empty; ``InvalidInput`` on
    ``jurisdictionId`` unless the agency speaks Open311 and the value is 1-100 of
    letters, digits and ``. _ : / -``."""
    text = (value or "").strip()
    if not text:
        return None
    if connector != "open311":
        raise InvalidInput("only Open311 agencies have a jurisdiction", field="jurisdictionId")
    if not JURISDICTION.match(text):
        raise InvalidInput(
            "jurisdictionId must be 1-100 of letters, digits and . _ : / -",
            field="jurisdictionId",
        )
    return text


def check_agency(data: AgencyInput, *, stored_secret: bool = False) -> AgencyInput:
    """The agency as it will be stored, or ``InputErrors`` naming each faulty field.
    ``stored_secret``: an update of an agency that has a secret need not send it again."""
    errors: list[InvalidInput] = []
    code = (data.code or "").strip().upper()
    if not CODE.match(code):
        errors.append(InvalidInput("code must be 2-40 of A-Z, 0-9, '_' or '-'", field="code"))
    name = " ".join((data.name or "").split())
    if not 3 <= len(name) <= 200:
        errors.append(InvalidInput("name must be 3-200 characters", field="name"))
    if data.kind not in AGENCY_KINDS:
        errors.append(InvalidInput(f"kind must be one of {', '.join(AGENCY_KINDS)}", field="kind"))
    if data.connector not in CONNECTORS:
        errors.append(
            InvalidInput(f"connector must be one of {', '.join(CONNECTORS)}", field="connector")
        )
    elif data.connector != "manual":
        url = urlsplit(data.endpoint_url or "")
        if url.scheme not in ("http", "https") or not url.netloc:
            errors.append(InvalidInput("an http(s) endpoint URL is needed", field="endpointUrl"))
        if (data.secret is not None or not stored_secret) and len(data.secret or "") < 16:
            errors.append(
                InvalidInput("a secret of at least 16 characters is needed", field="secret")
            )
    if not 1 <= data.timeout_seconds <= 60:
        errors.append(InvalidInput("timeout must be 1-60 seconds", field="timeoutSeconds"))
    phone = contacts.checked(data.phone, "phone", contacts.directory_phone, errors)
    email = contacts.checked(data.email, "email", contacts.normalise_email, errors)
    checked_contacts: list[dict[str, str]] = []
    for contact in data.contacts:
        if not str(contact.get("name", "")).strip():
            errors.append(InvalidInput("every contact needs a name", field="contacts"))
            break
        entry = dict(contact)
        for key, check in (
            ("phone", contacts.directory_phone),
            ("email", contacts.normalise_email),
        ):
            value = contacts.checked(contact.get(key), "contacts", check, errors)
            if value is not None:
                entry[key] = value
            else:
                entry.pop(key, None)
        checked_contacts.append(entry)
    for key, value in data.service_codes.items():
        if not CODE.match(key.upper()) or not str(value).strip() or len(str(value)) > 64:
            errors.append(
                InvalidInput("service codes map category codes to codes", field="serviceCodes")
            )
            break
    if data.capacity_url or data.capacity_format:
        url = urlsplit(data.capacity_url or "")
        if data.kind != "hospital":
            errors.append(InvalidInput("only hospitals report capacity", field="capacityUrl"))
        elif url.scheme not in ("http", "https") or not url.netloc:
            errors.append(InvalidInput("the capacity URL must be http(s)", field="capacityUrl"))
        if data.capacity_format not in ("fhir", "json"):
            errors.append(
                InvalidInput("capacity format must be fhir or json", field="capacityFormat")
            )
    if (data.latitude is None) != (data.longitude is None):
        errors.append(
            InvalidInput("give both latitude and longitude, or neither", field="latitude")
        )
    elif (where := location_error(data.latitude, data.longitude)) is not None:
        errors.append(where)
    address = " ".join((data.address or "").split()) or None
    if address is not None and len(address) > MAX_ADDRESS:
        errors.append(
            InvalidInput(f"address may be at most {MAX_ADDRESS} characters", field="address")
        )
    for link, url_field in ((data.endpoint_url, "endpointUrl"), (data.capacity_url, "capacityUrl")):
        if link is not None and len(link) > MAX_URL:
            errors.append(
                InvalidInput(f"a URL may be at most {MAX_URL} characters", field=url_field)
            )
    try:
        data.jurisdiction_id = check_jurisdiction(data.jurisdiction_id, data.connector)
    except InvalidInput as exc:
        errors.append(exc)
    try:
        data.role = check_role(data.role) or ("hospital" if data.kind == "hospital" else None)
    except InvalidInput as exc:
        errors.append(exc)
    if errors:
        raise InputErrors(errors)
    data.code, data.name, data.phone, data.email = code, name, phone, email
    data.address = address
    data.contacts = checked_contacts
    data.endpoint_url = normalise(data.endpoint_url) if data.endpoint_url else None
    data.capacity_url = normalise(data.capacity_url) if data.capacity_url else None
    data.service_codes = {k.upper(): str(v).strip() for k, v in data.service_codes.items()}
    return data


async def check_destinations(
    data: AgencyInput, allow_private_egress: bool, unchanged: frozenset[str] = frozenset()
) -> None:
    """The URLs the platform will call must pass the egress rule now, not only later.
    ``unchanged``: URLs already stored (an update re-checks only what it changes)."""
    errors: list[InvalidInput] = []
    for url, field_name in ((data.endpoint_url, "endpointUrl"), (data.capacity_url, "capacityUrl")):
        if not url or url in unchanged:
            continue
        try:
            await check_url(url, allow_private=allow_private_egress, field=field_name)
        except InvalidInput as exc:
            errors.append(exc)
    if errors:
        raise InputErrors(errors)


async def do_create_agency(
    tenant_id: uuid.UUID,
    principal: Principal,
    data: AgencyInput,
    secret_key: str,
    *,
    allow_private_egress: bool,
    retry: idempotency.ClientKey | None = None,
) -> uuid.UUID:
    """``allow_private_egress``: the process's ``JOGO_ALLOW_PRIVATE_EGRESS``; the endpoint
    and capacity URLs are refused (``INVALID_INPUT`` on their field) when they point
    where the platform may not connect (:mod:`jogo.platform.egress`). ``retry``: a
    retry under the same client key returns the first try's agency and writes nothing
    (:mod:`jogo.platform.idempotency`)."""
    if Cap.DIRECTORY_WRITE not in principal.tenant_caps(tenant_id):
        raise denied(
            principal, "only a tenant admin (or a key with agencies:write) can add agencies"
        )
    data = check_agency(data)
    await check_destinations(data, allow_private_egress)
    agency_id = uuid.uuid4()
    try:
        async with db.tenant_tx(tenant_id):
            if (earlier := await idempotency.claim(tenant_id, retry, agency_id)) is not None:
                return earlier
            await Agency.insert(
                Agency(
                    tenant_id=tenant_id,
                    id=agency_id,
                    code=data.code,
                    name=data.name,
                    kind=data.kind,
                    connector=data.connector,
                    endpoint_url=data.endpoint_url,
                    secret_enc=encrypt(data.secret, secret_key) if data.secret else None,
                    service_codes=json.dumps(data.service_codes),
                    timeout_seconds=data.timeout_seconds,
                    contacts=json.dumps(data.contacts),
                    phone=data.phone,
                    email=data.email,
                    address=data.address,
                    latitude=data.latitude,
                    longitude=data.longitude,
                    capacity_url=data.capacity_url,
                    capacity_format=data.capacity_format,
                    jurisdiction_id=data.jurisdiction_id,
                    role=data.role,
                )
            )
            await write_audit(
                "agency.create",
                principal=principal,
                tenant_id=tenant_id,
                target=f"agency:{data.code}",
                detail={"connector": data.connector, "kind": data.kind},
            )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"an agency with code {data.code!r} exists", field="code") from None
    except asyncpg.CheckViolationError as exc:
        raise InvalidInput(
            f"the agency breaks a rule ({exc.constraint_name})",
            field=constraint_field(exc, "agencies") or "code",
        ) from None
    return agency_id


async def do_set_agency_jurisdiction(
    tenant_id: uuid.UUID, principal: Principal, agency_id: uuid.UUID, jurisdiction_id: str | None
) -> uuid.UUID:
    """Set (or, with None or empty, clear) an Open311 agency's ``jurisdiction_id``, sent
    on every later request. ``Forbidden`` without directory rights, ``NotFound`` for an
    unknown agency, ``InvalidInput`` as :func:`check_jurisdiction`."""
    if Cap.DIRECTORY_WRITE not in principal.tenant_caps(tenant_id):
        raise denied(
            principal, "only a tenant admin (or a key with agencies:write) can change agencies"
        )
    async with db.tenant_tx(tenant_id):
        rows = await db.fetch(
            "SELECT connector, code FROM agencies WHERE id = $1 FOR UPDATE", agency_id
        )
        if not rows:
            raise NotFound("agency not found", field="agencyId")
        value = check_jurisdiction(jurisdiction_id, rows[0]["connector"])
        await db.fetch("UPDATE agencies SET jurisdiction_id = $2 WHERE id = $1", agency_id, value)
        await write_audit(
            "agency.jurisdiction",
            principal=principal,
            tenant_id=tenant_id,
            target=f"agency:{rows[0]['code']}",
            detail={"jurisdiction_id": value},
        )
    return agency_id


async def do_set_routing_rule(
    tenant_id: uuid.UUID,
    principal: Principal,
    category_code: str,
    agency_id: uuid.UUID,
    auto_dispatch: bool,
) -> uuid.UUID:
    """Route a category to an agency (upsert); auto-dispatch sends on verification."""
    if Cap.DIRECTORY_WRITE not in principal.tenant_caps(tenant_id):
        raise denied(
            principal, "only a tenant admin (or a key with agencies:write) can route categories"
        )
    async with db.tenant_tx(tenant_id):
        category = await db.fetch(
            "SELECT id FROM report_categories WHERE code = $1",
            (category_code or "").strip().upper(),
        )
        if not category:
            raise NotFound(f"unknown category {category_code!r}", field="categoryCode")
        agency = await db.fetch("SELECT id FROM agencies WHERE id = $1 AND is_active", agency_id)
        if not agency:
            raise NotFound("agency not found", field="agencyId")
        rows = await db.fetch(
            "INSERT INTO routing_rules (tenant_id, category_id, agency_id, auto_dispatch)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, category_id, agency_id)"
            " DO UPDATE SET auto_dispatch = EXCLUDED.auto_dispatch RETURNING id",
            tenant_id,
            category[0]["id"],
            agency_id,
            auto_dispatch,
        )
    rule_id: uuid.UUID = rows[0]["id"]
    return rule_id
