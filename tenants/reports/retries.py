"""What a retried ``submitReport`` / ``raiseSos`` needs: the canonical input that decides
whether a retry is the same submission, the PIN of an anonymous report made under a client
key, and the stored report to answer with (:mod:`jogo.platform.idempotency`)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from typing import Any

from jogo.platform import db
from jogo.platform.errors import NotFound
from jogo.tenants.reports.photos import Photo
from jogo.tenants.reports.queries import REPORT_COLUMNS
from jogo.tenants.reports.validation import ReportInput

PIN_DIGITS = 8


def operation_of(data: ReportInput) -> str:
    """Reports and panic-button presses keep their client keys apart."""
    return "raiseSos" if data.sos else "submitReport"


def canonical(
    data: ReportInput, occurred_at: datetime | None, anonymous: bool, photos: list[Photo]
) -> dict[str, Any]:
    """What decides the report, from the cleaned input (trimmed text, ``+62`` phones).
    ``occurred_at`` is the time as the client gave it (``None``: "now", which a retry
    can't repeat, so it must not count), in UTC; photos count by their SHA-256."""
    return {
        "categoryCode": data.category_code,
        "title": data.title,
        "description": data.description,
        "latitude": data.latitude,
        "longitude": data.longitude,
        "address": data.address,
        "occurredAt": occurred_at.astimezone(UTC).isoformat() if occurred_at else None,
        "anonymous": anonymous,
        "reporterName": data.reporter_name,
        "reporterPhone": data.reporter_phone,
        "urgent": data.urgent,
        "sos": data.sos,
        "pollingStationCode": data.polling_station_code,
        "photos": [p.sha256 for p in photos],
    }


def derived_pin(secret_key: str, tenant_id: uuid.UUID, scope: str, client_key: str) -> str:
    """The tracking PIN of an anonymous report sent with a client key: 8 digits of
    HMAC-SHA256(``JOGO_SECRET_KEY``, tenant | scope | client key).

    Why derived: the PIN is shown once and stored only as its keyed HMAC
    (:func:`~jogo.platform.auth.passwords.pin_hash`: HMAC-SHA256 under a key derived from
    ``JOGO_SECRET_KEY``, over the report id and the PIN), so a retry whose first answer was
    lost could not show it again if it were random; derived, the retry shows the same PIN,
    and ``trackReport`` accepts it.

    The trade-off: whoever holds the client key (and sends the same input) gets the ticket
    and this PIN back, so the key is exactly as secret as the PIN. The app must make it
    at random (a UUID4 has 122 bits; 8 digits have 27) and keep it on the phone like the
    PIN. The ticket is left out of this HMAC: it is only known inside the tenant's
    transaction, after the ticket counter is taken, and the PIN must be known before (its
    stored HMAC goes into the report's insert). Rotating ``JOGO_SECRET_KEY`` changes the
    PIN a later retry would show, and every stored PIN stops opening its report (its HMAC
    key changes too). Without a client key the PIN stays random.

    What a copy of the database gives: the PIN is kept nowhere but as its HMAC, and
    ``idempotency_keys`` keeps only a SHA-256 of the client key
    (:attr:`~jogo.platform.idempotency.ClientKey.stored`). Without ``JOGO_SECRET_KEY`` a
    stored HMAC can't even be searched (10^8 PINs, but an unknown 256-bit key; argon2
    hashes could be, at about 200 ms each). With the key beside the copy, the 10^8 PINs
    of one report are searched in seconds (argon2 made that months of CPU per report): at
    rest, the PIN is as safe as ``JOGO_SECRET_KEY`` is kept apart from the database and its
    backups; online, the tracking rate limits stop guessing. Deriving a PIN from this
    function also needs the client key, which only the client holds. A key reused after
    its 24 hours derives the same PIN for its new report (which has a new ticket; both
    belong to whoever holds the key).
    """
    message = f"jogo-report-pin-v1|{tenant_id}|{scope}|{client_key}".encode()
    mac = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10**PIN_DIGITS:0{PIN_DIGITS}d}"


async def stored_report(report_id: uuid.UUID) -> dict[str, Any]:
    """Inside the tenant's transaction: the report an earlier try made
    (``queries.REPORT_COLUMNS``), as it is now."""
    rows = await db.fetch(f"SELECT {REPORT_COLUMNS} FROM reports r WHERE r.id = $1", report_id)
    if not rows:
        # Reports are not deleted; only a deleted tenant takes its keys and reports.
        raise NotFound("report not found", field="clientKey")
    return dict(rows[0])
