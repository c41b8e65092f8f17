"""``do_import_directory``: agencies, hospitals or cameras from a CSV file, with the TPS
import's rules: every faulty row reported with its line and column, all or nothing by
default (``partial`` keeps the valid rows), an entry already known by its code updated.
Rows are checked as ``createAgency`` / ``createCamera`` check one entry, URLs the platform
calls by the egress rule; one transaction and one audit row per import."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal
from jogo.platform.egress import check_url
from jogo.platform.errors import InputErrors, InvalidInput
from jogo.platform.registry import TenantInfo
from jogo.tenants.agencies.actions import AgencyInput, check_agency
from jogo.tenants.agencies.csvrows import RowError, check_kind, coordinates, read_rows, snake
from jogo.tenants.agencies.directory import require_directory_writer
from jogo.tenants.facilities.actions import CameraInput, check_camera

AGENCY_KINDS = ("dinas", "cctv_operator", "utility", "other")  # hospitals: their own file

_UPSERT_AGENCIES = """
INSERT INTO agencies (tenant_id, code, name, kind, role, phone, email, address, latitude,
                      longitude, capacity_url, capacity_format)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[],
                         $12::text[])
ON CONFLICT (tenant_id, code) DO UPDATE SET
    name = EXCLUDED.name, kind = EXCLUDED.kind, role = EXCLUDED.role,
    phone = EXCLUDED.phone, email = EXCLUDED.email, address = EXCLUDED.address,
    latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
    capacity_url = EXCLUDED.capacity_url, capacity_format = EXCLUDED.capacity_format,
    is_sample = false, updated_at = now()
WHERE (agencies.kind = 'hospital') = (EXCLUDED.kind = 'hospital')
RETURNING code, (xmax = 0) AS inserted
"""
_UPSERT_CAMERAS = """
INSERT INTO cameras (tenant_id, code, name, latitude, longitude, stream_url, snapshot_url,
                     operator_agency_id)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[],
                         $7::text[], $8::uuid[])
ON CONFLICT (tenant_id, code) DO UPDATE SET
    name = EXCLUDED.name, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
    stream_url = EXCLUDED.stream_url, snapshot_url = EXCLUDED.snapshot_url,
    operator_agency_id = EXCLUDED.operator_agency_id, updated_at = now()
RETURNING code, (xmax = 0) AS inserted
"""


@dataclass
class DirectoryImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    kept: bool = True  # False: the file had errors and nothing was written


def _text(raw: dict[str, str | None], key: str) -> str | None:
    return (raw.get(key) or "").strip() or None


def _check_row(kind: str, raw: dict[str, str | None]) -> tuple[Any, list[tuple[str, str]]]:
    """The checked entry (AgencyInput or CameraInput), or the row's (column, message)."""
    faults: list[tuple[str, str]] = []
    try:
        latitude, longitude = coordinates(raw)
    except InvalidInput as exc:
        return None, [(exc.field or "latitude", exc.message)]
    try:
        if kind == "cameras":
            camera = check_camera(
                CameraInput(
                    code=_text(raw, "code") or "",
                    name=raw.get("name") or "",
                    latitude=latitude,  # type: ignore[arg-type]  # checked: None is a fault
                    longitude=longitude,  # type: ignore[arg-type]
                    stream_url=_text(raw, "stream_url") or "",
                    snapshot_url=_text(raw, "snapshot_url"),
                )
            )
            if camera.code is None:
                return None, [("code", "a camera needs a code to be imported")]
            return camera, []
        agency_kind = "hospital" if kind == "hospitals" else (_text(raw, "kind") or "dinas")
        if kind == "agencies" and agency_kind.lower() not in AGENCY_KINDS:
            faults.append(
                ("kind", f"kind must be one of {', '.join(AGENCY_KINDS)} (hospitals: their file)")
            )
        if kind == "hospitals" and latitude is None:
            faults.append(("latitude", "a hospital needs its latitude and longitude"))
        entry = check_agency(
            AgencyInput(
                code=raw.get("code") or "",
                name=raw.get("name") or "",
                kind=agency_kind.lower(),
                role=_text(raw, "role"),
                phone=_text(raw, "phone"),
                email=_text(raw, "email"),
                address=" ".join((raw.get("address") or "").split()) or None,
                latitude=latitude,
                longitude=longitude,
                capacity_url=_text(raw, "capacity_url"),
                capacity_format=(_text(raw, "capacity_format") or "").lower() or None,
            )
        )
    except InputErrors as exc:
        return None, faults + [(snake(e.field) or "", e.message) for e in exc.errors]
    return (None if faults else entry), faults


async def _egress(kind: str, entry: Any, allow_private: bool) -> list[tuple[str, str]]:
    url, column = (
        (entry.snapshot_url, "snapshot_url")
        if kind == "cameras"
        else (entry.capacity_url, "capacity_url")
    )
    if not url:
        return []
    try:
        await check_url(url, allow_private=allow_private, field=column)
    except InvalidInput as exc:
        return [(column, exc.message)]
    return []


async def do_import_directory(
    tenant: TenantInfo,
    principal: Principal,
    kind: str,
    data: bytes,
    *,
    partial: bool = False,
    allow_private_egress: bool = False,
) -> DirectoryImportResult:
    """``kind``: agencies, hospitals or cameras. All or nothing by default: one faulty row
    and nothing is written (``kept`` false, every fault in ``errors`` with its line and
    column). With ``partial`` the valid rows are kept. A code already in the command
    updates that entry (and confirms a sample one), unless that entry is of the other
    file (a hospital named in the agencies file, or the reverse: a row error on
    ``code``); codes are per command, so two commands may use the same one.
    ``Forbidden`` without directory rights; ``InvalidInput`` on ``file`` for a file
    that cannot be read as the kind's CSV."""
    require_directory_writer(tenant.id, principal)
    check_kind(kind)
    result = DirectoryImportResult(kind=kind)
    good: list[tuple[int, Any, str | None]] = []  # (line, entry, operator code)
    seen: dict[str, int] = {}
    for line, raw in read_rows(kind, data):
        result.rows += 1
        entry, faults = _check_row(kind, raw)
        if entry is not None:
            faults += await _egress(kind, entry, allow_private_egress)
        if entry is not None and not faults and entry.code in seen:
            faults.append(("code", f"code {entry.code} is already on line {seen[entry.code]}"))
        result.errors += [RowError(line, f or None, m) for f, m in faults]
        if entry is not None and not faults:
            seen[entry.code] = line
            good.append((line, entry, (_text(raw, "operator_code") or "").upper() or None))
    async with db.tenant_tx(tenant.id):
        operators = await _operators(good) if kind == "cameras" else {}
        if kind != "cameras":
            result.errors += await _kind_changes(good)
        for line, _, operator in good:
            if operator and operator not in operators:
                result.errors.append(
                    RowError(line, "operator_code", f"no active agency has code {operator}")
                )
        result.errors.sort(key=lambda e: e.line)
        bad = {e.line for e in result.errors}
        result.rejected = len(bad)
        if result.errors and not partial:
            result.kept = False
            return result
        rows = [(e, op) for line, e, op in good if line not in bad]
        if rows:
            result.created, result.updated = await _upsert(tenant.id, kind, rows, operators)
        await write_audit(
            "directory.import",
            principal=principal,
            tenant_id=tenant.id,
            target=f"tenant:{tenant.slug}",
            detail={
                "kind": kind,
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "rejected": result.rejected,
                "codes": [e.code for e, _ in rows],
            },
        )
    return result


async def _kind_changes(good: list[tuple[int, Any, str | None]]) -> list[RowError]:
    """A row whose code names an entry of the other file (a hospital in the agencies
    file, an agency in the hospitals file): a row error on ``code``, never an update that
    would move a hospital out of ``hospitals`` and the SOS answer (or a dinas into them)."""
    codes = [e.code for _, e, _ in good]
    if not codes:
        return []
    found = await db.fetch("SELECT code, kind FROM agencies WHERE code = ANY($1::text[])", codes)
    kinds = {r["code"]: r["kind"] for r in found}
    faults = []
    for line, entry, _ in good:
        stored = kinds.get(entry.code)
        if stored is None or (stored == "hospital") == (entry.kind == "hospital"):
            continue
        message = (
            f"{entry.code} is a hospital; use the hospitals import"
            if stored == "hospital"
            else f"{entry.code} is an agency ({stored}), not a hospital; use the agencies import"
        )
        faults.append(RowError(line, "code", message))
    return faults


async def _operators(good: list[tuple[int, Any, str | None]]) -> dict[str, uuid.UUID]:
    codes = sorted({op for _, _, op in good if op})
    if not codes:
        return {}
    found = await db.fetch(
        "SELECT code, id FROM agencies WHERE code = ANY($1::text[]) AND is_active", codes
    )
    return {r["code"]: r["id"] for r in found}


async def _upsert(
    tenant_id: uuid.UUID,
    kind: str,
    rows: list[tuple[Any, str | None]],
    operators: dict[str, uuid.UUID],
) -> tuple[int, int]:
    entries = [e for e, _ in rows]
    if kind == "cameras":
        done = await db.fetch(
            _UPSERT_CAMERAS,
            tenant_id,
            [e.code for e in entries],
            [e.name for e in entries],
            [e.latitude for e in entries],
            [e.longitude for e in entries],
            [e.stream_url for e in entries],
            [e.snapshot_url for e in entries],
            [operators.get(op) if op else None for _, op in rows],
        )
    else:
        done = await db.fetch(
            _UPSERT_AGENCIES,
            tenant_id,
            *(
                [getattr(e, name) for e in entries]
                for name in (
                    "code",
                    "name",
                    "kind",
                    "role",
                    "phone",
                    "email",
                    "address",
                    "latitude",
                    "longitude",
                    "capacity_url",
                    "capacity_format",
                )
            ),
        )
    created = sum(1 for r in done if r["inserted"])
    return created, len(done) - created
