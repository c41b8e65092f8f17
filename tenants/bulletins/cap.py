"""Bulletins as CAP 1.2 (OASIS, ``urn:oasis:names:tc:emergency:cap:1.2``).

Each published message is one ``<alert>``; an update or a cancel lists the earlier
messages of its chain in ``<references>`` ("sender,identifier,sent" each). The feed is
Atom with one alert embedded per entry (the CAP-over-Atom layout alert hubs read), and
every alert is also served alone. Times are in the tenant's zone with a numeric offset,
no fractions and no "Z", as CAP 1.2 requires. Bahasa Indonesia is the first ``<info>``;
English, where given, the second.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET  # only to build XML, never to parse it
from zoneinfo import ZoneInfo

from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo
from jogo.tenants.bulletins.vocab import CATEGORIES, CERTAINTY, MSG_TYPE, SEVERITY, URGENCY

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
ATOM_MEDIA_TYPE = "application/atom+xml"
EMERGENCY_CONTACT = "Call Center Polri 110"


def cap_time(moment: datetime, zone: str) -> str:
    """``zone`` is the tenant's WIB, WITA or WIT."""
    text = moment.astimezone(ZoneInfo(TIME_ZONES[zone])).replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


def identifier(bulletin_id: uuid.UUID) -> str:
    """The CAP 1.2 ``<identifier>`` of a bulletin message: ``urn:uuid:<id>``, unique for the sender
    as the standard requires."""
    return f"urn:uuid:{bulletin_id}"


def sender(tenant: TenantInfo, public_url: str) -> str:
    """The CAP 1.2 ``<sender>``: ``<slug>@<host of public_url>`` (``localhost`` when it has none),
    one per tenant, with no spaces or commas."""
    return f"{tenant.slug}@{urlsplit(public_url).hostname or 'localhost'}"


def alert_url(tenant: TenantInfo, public_url: str, bulletin_id: uuid.UUID) -> str:
    """The public URL of a message's own CAP document:
    ``<public_url>/t/<slug>/alerts/<id>.cap.xml``."""
    return f"{public_url.rstrip('/')}/t/{tenant.slug}/alerts/{bulletin_id}.cap.xml"


def feed_url(tenant: TenantInfo, public_url: str) -> str:
    """The public URL of the tenant's CAP-over-Atom feed:
    ``<public_url>/t/<slug>/alerts.cap.xml``."""
    return f"{public_url.rstrip('/')}/t/{tenant.slug}/alerts.cap.xml"


def _sub(parent: ET.Element, tag: str, text: str | None = None, ns: str = CAP_NS) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _area(info: ET.Element, row: dict[str, Any]) -> None:
    area = _sub(info, "area")
    _sub(area, "areaDesc", row["area_desc"])
    if row["polygon"]:
        _sub(area, "polygon", " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in row["polygon"]))
    if row["circle"]:
        c = row["circle"]
        radius_km = c["radius_m"] / 1000
        _sub(area, "circle", f"{c['latitude']:.6f},{c['longitude']:.6f} {radius_km:.3f}")
    for code in row["region_codes"]:
        geocode = _sub(area, "geocode")
        _sub(geocode, "valueName", "KEMENDAGRI")
        _sub(geocode, "value", code)


def _info(alert: ET.Element, row: dict[str, Any], tenant: TenantInfo, web: str, en: bool) -> None:
    category = CATEGORIES[row["category"]]
    zone = tenant.time_zone
    info = _sub(alert, "info")
    _sub(info, "language", "en-US" if en else "id-ID")
    _sub(info, "category", category.cap_category)
    _sub(info, "event", category.name_en if en else category.name_id)
    if row["msg_type"] == "CANCEL":
        _sub(info, "responseType", "AllClear")
    _sub(info, "urgency", URGENCY[row["urgency"]])
    _sub(info, "severity", SEVERITY[row["severity"]])
    _sub(info, "certainty", CERTAINTY[row["certainty"]])
    # Never before <sent>: a message is not in force before it exists.
    _sub(info, "effective", cap_time(max(row["valid_from"], row["published_at"]), zone))
    _sub(info, "expires", cap_time(row["valid_until"], zone))
    _sub(info, "senderName", tenant.name)
    suffix = "_en" if en else ""
    _sub(info, "headline", row[f"headline{suffix}"])
    if row[f"description{suffix}"]:
        _sub(info, "description", row[f"description{suffix}"])
    if row[f"instruction{suffix}"]:
        _sub(info, "instruction", row[f"instruction{suffix}"])
    _sub(info, "web", web)
    _sub(info, "contact", EMERGENCY_CONTACT)
    _area(info, row)


def alert_element(row: dict[str, Any], tenant: TenantInfo, public_url: str) -> ET.Element:
    """One CAP alert; ``row`` is a bulletin with ``refs`` [(id, published_at), ...]."""
    who = sender(tenant, public_url)
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", identifier(row["id"]))
    _sub(alert, "sender", who)
    _sub(alert, "sent", cap_time(row["published_at"], tenant.time_zone))
    _sub(alert, "status", "Actual")
    _sub(alert, "msgType", MSG_TYPE[row["msg_type"]])
    _sub(alert, "scope", "Public")
    if row["note"]:
        _sub(alert, "note", row["note"])
    if row["refs"]:
        _sub(
            alert,
            "references",
            " ".join(
                f"{who},{identifier(ref_id)},{cap_time(sent, tenant.time_zone)}"
                for ref_id, sent in row["refs"]
            ),
        )
    web = alert_url(tenant, public_url, row["id"])
    _info(alert, row, tenant, web, en=False)
    if row["headline_en"]:
        _info(alert, row, tenant, web, en=True)
    return alert


def _serialise(root: ET.Element) -> bytes:
    ET.register_namespace("", CAP_NS)
    ET.register_namespace("atom", ATOM_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def alert_document(row: dict[str, Any], tenant: TenantInfo, public_url: str) -> bytes:
    """One CAP 1.2 alert (see :func:`alert_element`) serialised as a UTF-8 XML document with its
    declaration."""
    return _serialise(alert_element(row, tenant, public_url))


def feed_document(
    rows: list[dict[str, Any]], tenant: TenantInfo, public_url: str, now: datetime
) -> bytes:
    """An Atom feed with each message's CAP alert embedded in its entry."""
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    url = feed_url(tenant, public_url)
    _sub(feed, "id", url, ATOM_NS)
    _sub(feed, "title", f"Informasi {tenant.name}", ATOM_NS)
    updated = max((r["published_at"] for r in rows), default=now)
    _sub(feed, "updated", updated.replace(microsecond=0).isoformat(), ATOM_NS)
    author = _sub(feed, "author", None, ATOM_NS)
    _sub(author, "name", tenant.name, ATOM_NS)
    link = _sub(feed, "link", None, ATOM_NS)
    link.set("rel", "self")
    link.set("href", url)
    for row in rows:
        entry = _sub(feed, "entry", None, ATOM_NS)
        _sub(entry, "id", identifier(row["id"]), ATOM_NS)
        _sub(entry, "title", row["headline"], ATOM_NS)
        _sub(entry, "updated", row["published_at"].replace(microsecond=0).isoformat(), ATOM_NS)
        alternate = _sub(entry, "link", None, ATOM_NS)
        alternate.set("rel", "alternate")
        alternate.set("type", CAP_MEDIA_TYPE)
        alternate.set("href", alert_url(tenant, public_url, row["id"]))
        content = _sub(entry, "content", None, ATOM_NS)
        content.set("type", "text/xml")
        content.append(alert_element(row, tenant, public_url))
    return _serialise(feed)
