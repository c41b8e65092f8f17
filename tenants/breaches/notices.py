"""The two written notices UU PDP Pasal 46 asks for, filled from an incident: to the data
subjects and to the authority ("lembaga"), Bahasa Indonesia first with English beside.

Ayat (2) says what each holds at least: (a) the personal data disclosed, (b) when and
how it was disclosed, (c) the handling and recovery measures. The authority's notice
adds the number of people, whose data, the dates of the clock and whether the subjects
were told. The texts are drafts for the command: it reviews them, decides, and sends
them itself (the product neither contacts the authority nor writes to the people).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jogo.platform.regions import TIME_ZONES
from jogo.platform.registry import TenantInfo
from jogo.tenants.breaches.vocab import DATA_CATEGORIES, SUBJECT_CATEGORIES, names

LAW_ID = "Pasal 46 Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data Pribadi"
LAW_EN = "Article 46 of Law No. 27 of 2022 on Personal Data Protection"


@dataclass(frozen=True)
class Notice:
    text_id: str
    text_en: str


def reference(breach_id: uuid.UUID) -> str:
    """The incident's short reference for letters and messages: ``PDP-`` and the first 8
    hex digits of its id, upper case."""
    return "PDP-" + breach_id.hex[:8].upper()


def when(moment: datetime | None, tenant: TenantInfo, locale: str) -> str:
    """``DD-MM-YYYY HH:MM WIB`` in the command's zone; "not known" for None."""
    if moment is None:
        return "belum diketahui" if locale == "id" else "not known"
    local = moment.astimezone(ZoneInfo(TIME_ZONES.get(tenant.time_zone, "Asia/Jakarta")))
    return local.strftime("%d-%m-%Y %H:%M") + f" {tenant.time_zone}"


def _or_none(text: str, locale: str) -> str:
    return text.strip() or ("(belum dicatat)" if locale == "id" else "(not yet recorded)")


def subjects_notice(row: dict[str, Any], tenant: TenantInfo) -> Notice:
    """The notice to the data subjects."""
    ref = reference(row["id"])
    text_id = (
        "PEMBERITAHUAN KEGAGALAN PELINDUNGAN DATA PRIBADI\n"
        f"Nomor insiden: {ref}\n\n"
        f"Kepada Yth. {names(row['subject_categories'], SUBJECT_CATEGORIES, 'id')},\n\n"
        f"{tenant.name} memberitahukan bahwa telah terjadi kegagalan pelindungan data pribadi"
        " yang dapat menyangkut data pribadi Anda.\n\n"
        f"1. Data pribadi yang terungkap: {names(row['data_categories'], DATA_CATEGORIES, 'id')}.\n"
        f"2. Kapan dan bagaimana: terjadi {when(row['occurred_at'], tenant, 'id')}, diketahui"
        f" {when(row['found_at'], tenant, 'id')}. {row['description']}\n"
        f"3. Upaya penanganan dan pemulihan: {_or_none(row['measures'], 'id')}\n\n"
        f"Pemberitahuan ini disampaikan berdasarkan {LAW_ID}. Untuk pertanyaan, hubungi"
        f" {tenant.name} dengan menyebut nomor insiden {ref}."
    )
    text_en = (
        "NOTICE OF A PERSONAL DATA PROTECTION FAILURE\n"
        f"Incident number: {ref}\n\n"
        f"To: {names(row['subject_categories'], SUBJECT_CATEGORIES, 'en')},\n\n"
        f"{tenant.name} informs you that a failure of personal data protection occurred"
        " which may concern your personal data.\n\n"
        f"1. Personal data disclosed: {names(row['data_categories'], DATA_CATEGORIES, 'en')}.\n"
        f"2. When and how: it occurred {when(row['occurred_at'], tenant, 'en')} and was found"
        f" {when(row['found_at'], tenant, 'en')}. {row['description']}\n"
        f"3. Handling and recovery measures: {_or_none(row['measures'], 'en')}\n\n"
        f"This notice is given under {LAW_EN}. For questions, contact {tenant.name} quoting"
        f" incident number {ref}."
    )
    return Notice(text_id, text_en)


def authority_notice(row: dict[str, Any], tenant: TenantInfo) -> Notice:
    """The notice to the authority (lembaga pelindungan data pribadi)."""
    ref = reference(row["id"])
    told_id = (
        f"sudah, {when(row['subjects_notified_at'], tenant, 'id')}"
        if row["subjects_notified_at"]
        else "belum"
    )
    told_en = (
        f"yes, {when(row['subjects_notified_at'], tenant, 'en')}"
        if row["subjects_notified_at"]
        else "not yet"
    )
    text_id = (
        "PEMBERITAHUAN KEGAGALAN PELINDUNGAN DATA PRIBADI KEPADA LEMBAGA\n"
        f"Pengendali data pribadi: {tenant.name} ({tenant.slug})\n"
        f"Nomor insiden: {ref}\n\n"
        f"1. Data pribadi yang terungkap: {names(row['data_categories'], DATA_CATEGORIES, 'id')}.\n"
        f"2. Subjek data: {names(row['subject_categories'], SUBJECT_CATEGORIES, 'id')};"
        f" perkiraan jumlah orang: {row['subjects_estimate']}.\n"
        f"3. Kapan dan bagaimana: terjadi {when(row['occurred_at'], tenant, 'id')}, diketahui"
        f" {when(row['found_at'], tenant, 'id')}. {row['title']}. {row['description']}\n"
        f"4. Upaya penanganan dan pemulihan: {_or_none(row['measures'], 'id')}\n"
        f"5. Pemberitahuan kepada subjek data: {told_id}.\n"
        f"6. Batas waktu pemberitahuan (3 x 24 jam sejak diketahui):"
        f" {when(row['due_at'], tenant, 'id')}.\n\n"
        f"Disampaikan berdasarkan {LAW_ID}."
    )
    text_en = (
        "NOTICE OF A PERSONAL DATA PROTECTION FAILURE TO THE AUTHORITY\n"
        f"Personal data controller: {tenant.name} ({tenant.slug})\n"
        f"Incident number: {ref}\n\n"
        f"1. Personal data disclosed: {names(row['data_categories'], DATA_CATEGORIES, 'en')}.\n"
        f"2. Data subjects: {names(row['subject_categories'], SUBJECT_CATEGORIES, 'en')};"
        f" estimated number of people: {row['subjects_estimate']}.\n"
        f"3. When and how: it occurred {when(row['occurred_at'], tenant, 'en')} and was found"
        f" {when(row['found_at'], tenant, 'en')}. {row['title']}. {row['description']}\n"
        f"4. Handling and recovery measures: {_or_none(row['measures'], 'en')}\n"
        f"5. Data subjects notified: {told_en}.\n"
        f"6. Notification deadline (3 x 24 hours from discovery):"
        f" {when(row['due_at'], tenant, 'en')}.\n\n"
        f"Given under {LAW_EN}."
    )
    return Notice(text_id, text_en)
