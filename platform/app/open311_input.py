"""What an Open311 caller sends, read for :mod:`jogo.platform.app.open311_http`: the
filters of ``GET requests`` and the form of ``POST requests`` (400 in GeoReport's format
for anything wrong)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from litestar import Request

from jogo.platform.app.open311_wire import Open311Error
from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo
from jogo.tenants.reports import open311
from jogo.tenants.reports.validation import ReportInput

MAX_WINDOW = timedelta(days=90)


def _list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items[:100]


def _date(params: Mapping[str, str], name: str, tenant: TenantInfo) -> datetime | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(
            400,
            f"{name} harus tanggal-waktu W3C, mis. 2026-12-01T08:00:00+07:00. /"
            f" {name} must be a W3C date-time, e.g. 2026-12-01T08:00:00+07:00.",
        ) from None
    if moment.tzinfo is None:  # a caller's time without a zone is the command's
        moment = moment.replace(tzinfo=ZoneInfo(TIME_ZONES.get(tenant.time_zone, "Asia/Jakarta")))
    return moment


def _int(params: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    value = params.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
        if not lo <= number <= hi:
            raise ValueError
    except ValueError:
        raise Open311Error(
            400,
            f"{name} harus bilangan bulat {lo}-{hi}. / {name} must be a whole number {lo}-{hi}.",
        ) from None
    return number


def request_filter(params: Mapping[str, str], tenant: TenantInfo) -> open311.RequestFilter:
    """The filters of ``GET requests`` (module doc). 400 for bad dates, a range over 90
    days or inverted, an unknown status, a bad page."""
    size = _int(params, "page_size", open311.MAX_PAGE, 1, open311.MAX_PAGE)
    page = _int(params, "page", 1, 1, 10_000)
    offset = (page - 1) * size
    tickets = _list(params.get("service_request_id"))
    if tickets is not None:
        return open311.RequestFilter(tickets=tickets, limit=size, offset=offset)
    start, end = _date(params, "start_date", tenant), _date(params, "end_date", tenant)
    try:
        if start is None and end is None:
            start = datetime.now(UTC) - MAX_WINDOW
        elif start is None and end is not None:
            start = end - MAX_WINDOW
        elif end is None and start is not None:
            end = start + MAX_WINDOW
    except OverflowError:
        raise Open311Error(400, "Tanggal di luar jangkauan. / The date is out of range.") from None
    if start is not None and end is not None:
        if start > end:
            raise Open311Error(
                400,
                "start_date harus sebelum end_date. / start_date must be before end_date.",
            )
        if end - start > MAX_WINDOW:
            raise Open311Error(
                400,
                "Rentang tanggal paling lama 90 hari. / The date range may span at most 90 days.",
            )
    statuses = None
    wanted = _list(params.get("status"))
    if wanted:
        if any(s.lower() not in ("open", "closed") for s in wanted):
            raise Open311Error(
                400, "status harus open atau closed. / status must be open or closed."
            )
        statuses = open311.statuses_of(wanted)
    return open311.RequestFilter(
        service_codes=_list(params.get("service_code")),
        start=start,
        end=end,
        statuses=statuses,
        limit=size,
        offset=offset,
    )


# --- POST requests ---


def _float(form: Mapping[str, str], name: str) -> float:
    value = (form.get(name) or "").strip()
    if not value:
        raise Open311Error(
            400,
            f"{name} wajib diisi (lat dan long; alamat saja tidak dapat dipetakan). /"
            f" {name} is required (lat and long; this server does not geocode an address).",
        )
    try:
        return float(value)
    except ValueError:
        raise Open311Error(
            400, f"{name} harus angka derajat WGS84. / {name} must be WGS84 degrees."
        ) from None


def title_of(description: str, service_name: str) -> str:
    """A report's title from an Open311 description (which has none): its first line, cut
    at a word within 120 characters; the service's name when that is under 5 characters."""
    first = " ".join(description.strip().split("\n", 1)[0].split())
    if len(first) > 120:
        first = first[:120].rsplit(" ", 1)[0] or first[:120]
    return first if len(first) >= 5 else service_name


def report_input(form: Mapping[str, str]) -> ReportInput:
    """The intake's input from a GeoReport v2 form (module doc); 400 without lat/long."""
    lat, lon = _float(form, "lat"), _float(form, "long")
    description = (form.get("description") or "").strip()
    code = (form.get("service_code") or "").strip()
    name = " ".join(
        part for part in ((form.get("first_name") or ""), (form.get("last_name") or "")) if part
    )
    return ReportInput(
        category_code=code,
        title=title_of(description, code),
        description=description,
        latitude=lat,
        longitude=lon,
        address=form.get("address_string") or None,
        reporter_name=name.strip() or None,
        reporter_phone=(form.get("phone") or "").strip() or None,
    )


async def form_of(request: Request) -> dict[str, str]:
    """The posted form, first value of each field, NULs removed; 400 when it is not
    ``application/x-www-form-urlencoded`` or holds over 50 fields."""
    try:
        body = (await request.body()).decode("utf-8", "replace")
        parsed = parse_qs(body, max_num_fields=50)
    except ValueError:
        raise Open311Error(
            400,
            "Kirim formulir application/x-www-form-urlencoded. /"
            " Send an application/x-www-form-urlencoded form.",
        ) from None
    return {k: v[0].replace("\x00", "") for k, v in parsed.items()}
