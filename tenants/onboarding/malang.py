"""Sample directory of Kota Malang (seed article: 16 dinas, 9 rumah sakit).

Names follow the Pemkot Malang organisation; coordinates of hospitals are approximate.
It belongs only to the Kota Malang demo tenant that ``jogo up`` seeds
(:func:`jogo.platform.app.bootstrap.seed_demo`), through
:func:`do_import_sample_directory`; templates seed no agencies. Seeded with
``is_sample = true``: the command confirms or replaces each entry, and adds contacts,
before relying on it. No phone numbers are invented here.
"""

from __future__ import annotations

import uuid

from jogo.platform import db
from jogo.platform.audit import write_audit
from jogo.platform.errors import InvalidInput
from jogo.tenants.agencies.actions import AgencySeed, do_seed_agencies

REGION = "35.73"  # Kota Malang

# code → role (tenants/onboarding/templates.py AGENCY_ROLES); the others have none.
ROLES = {
    "DISHUB": "transport",
    "DPUPRPKP": "public_works",
    "DLH": "environment",
    "DINKES": "health",
    "DINSOS-P3AP2KB": "social",
    "DISKOMINFO": "cctv",
    "DAMKAR": "fire",
    "SATPOLPP": "public_order",
    "BPBD": "disaster",
}

AGENCIES: tuple[AgencySeed, ...] = tuple(
    AgencySeed(code, name, kind, role=ROLES.get(code))
    for code, name, kind in (
        ("DISHUB", "Dinas Perhubungan", "dinas"),
        (
            "DPUPRPKP",
            "Dinas Pekerjaan Umum, Penataan Ruang, Perumahan dan Kawasan Permukiman",
            "dinas",
        ),
        ("DLH", "Dinas Lingkungan Hidup", "dinas"),
        ("DINKES", "Dinas Kesehatan", "dinas"),
        (
            "DINSOS-P3AP2KB",
            "Dinas Sosial, Pemberdayaan Perempuan dan Perlindungan Anak,"
            " Pengendalian Penduduk dan Keluarga Berencana",
            "dinas",
        ),
        ("DISKOMINFO", "Dinas Komunikasi dan Informatika (operator CCTV kota)", "cctv_operator"),
        ("DAMKAR", "Dinas Pemadam Kebakaran dan Penyelamatan", "dinas"),
        ("SATPOLPP", "Satuan Polisi Pamong Praja", "dinas"),
        ("BPBD", "Badan Penanggulangan Bencana Daerah", "dinas"),
        ("DISDIKBUD", "Dinas Pendidikan dan Kebudayaan", "dinas"),
        ("DISPENDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", "dinas"),
        ("DISKOPINDAG", "Dinas Koperasi, Perindustrian dan Perdagangan", "dinas"),
        ("DISPORAPAR", "Dinas Kepemudaan, Olahraga dan Pariwisata", "dinas"),
        (
            "DISNAKER-PMPTSP",
            "Dinas Tenaga Kerja, Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
            "dinas",
        ),
        ("DISPANGTAN", "Dinas Ketahanan Pangan dan Pertanian", "dinas"),
        ("BAKESBANGPOL", "Badan Kesatuan Bangsa dan Politik", "dinas"),
    )
)

HOSPITALS: tuple[AgencySeed, ...] = tuple(
    AgencySeed(code, name, "hospital", address, lat, lng, role="hospital")
    for code, name, address, lat, lng in (
        (
            "RSUD-SAIFUL-ANWAR",
            "RSUD Dr. Saiful Anwar",
            "Jl. Jaksa Agung Suprapto 2",
            -7.9722,
            112.6316,
        ),
        ("RSUD-KOTA-MALANG", "RSUD Kota Malang", "Jl. Rajasa 27, Bumiayu", -8.0205, 112.6433),
        ("RST-SOEPRAOEN", "RS Tk. II dr. Soepraoen", "Jl. S. Supriadi 22", -7.9955, 112.6180),
        ("RS-LAVALETTE", "RS Lavalette", "Jl. W.R. Supratman 10", -7.9713, 112.6396),
        ("RS-PANTI-NIRMALA", "RS Panti Nirmala", "Jl. Kebalen Wetan 2-8", -7.9905, 112.6375),
        ("RS-PANTI-WALUYA", "RS Panti Waluya Sawahan", "Jl. Nusakambangan 56", -7.9890, 112.6240),
        ("RSI-AISYIYAH", "RS Islam Aisyiyah Malang", "Jl. Sulawesi 16", -7.9788, 112.6245),
        ("RSI-UNISMA", "RS Islam Unisma", "Jl. M.T. Haryono 139", -7.9380, 112.6070),
        ("RS-PERSADA", "Persada Hospital", "Jl. Panji Suroso, Araya", -7.9350, 112.6500),
    )
)


async def do_import_sample_directory(
    tenant_id: uuid.UUID,
    region_code: str,
    *,
    actor: tuple[str, str],
    outside_malang: bool = False,
) -> int:
    """Seed the Kota Malang sample directory (16 agencies, 9 hospitals, ``is_sample``)
    into a Kota Malang tenant; entries whose code exists are left alone, so a rerun adds
    nothing. Returns how many were added. ``InvalidInput`` on ``regionCode`` for a
    tenant outside Kota Malang, since another city's hospitals must never answer its
    SOS, unless ``outside_malang`` says the caller means it (test fixtures that need a
    second command with the same directory)."""
    if region_code != REGION and not outside_malang:
        raise InvalidInput(
            "the Kota Malang sample directory is only for a command in Kota Malang (35.73)",
            field="regionCode",
        )
    async with db.tenant_tx(tenant_id):
        added = await do_seed_agencies(tenant_id, AGENCIES + HOSPITALS, sample=True)
        if added:
            await write_audit(
                "directory.import_sample",
                actor=actor,
                tenant_id=tenant_id,
                target=f"tenant:{tenant_id}",
                detail={"added": added},
            )
    return added
