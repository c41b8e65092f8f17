"""What a command still lacks before it should go live (issue 14 part 2).

Each item has a stable ``code``, a ``severity`` (``BLOCKER``: citizens or operators
would be let down on day one; ``WARNING``: part of the service will not work;
``INFO``: worth doing), an optional ``subject`` (the category or role concerned) and a
message in Bahasa Indonesia then English. An empty list: ready. Read in one tenant
transaction, in three statements, whatever the size of the directory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from jogo.platform import db
from jogo.tenants.agencies.roles import role_name

BLOCKER, WARNING, INFO = "BLOCKER", "WARNING", "INFO"


@dataclass(frozen=True)
class ReadinessItem:
    code: str
    severity: str
    message: str
    subject: str | None = None


async def readiness(tenant_id: uuid.UUID) -> list[ReadinessItem]:
    """The command's open items, blockers first."""
    async with db.tenant_tx(tenant_id):
        counts = (
            await db.fetch(
                "SELECT"
                " (SELECT count(*) FROM agencies WHERE kind = 'hospital' AND is_active"
                "   AND latitude IS NOT NULL) AS hospitals,"
                " (SELECT count(*) FROM police_posts WHERE is_active) AS posts,"
                " (SELECT count(*) FROM cameras WHERE is_active) AS cameras,"
                " (SELECT count(*) FROM agencies WHERE is_active AND is_sample) AS samples,"
                " (SELECT jurisdiction IS NOT NULL FROM tenants WHERE id = $1) AS bounded",
                tenant_id,
            )
        )[0]
        people = {
            r["role"]: r["n"]
            for r in await db.fetch(
                "SELECT m.role, count(*) AS n FROM memberships m JOIN users u ON u.id = m.user_id"
                " WHERE m.tenant = $1 AND u.is_active GROUP BY m.role",
                tenant_id,
            )
        }
        uncovered = await db.fetch(
            "SELECT c.code, c.name_id, c.name_en, c.agency_role FROM report_categories c"
            " WHERE c.is_active AND c.agency_role IS NOT NULL AND NOT EXISTS (SELECT 1"
            " FROM agencies a WHERE a.is_active AND a.role = c.agency_role)"
            " ORDER BY c.sort_order, c.code"
        )
    items: list[ReadinessItem] = []
    if not people.get("tenant_admin"):
        items.append(
            ReadinessItem(
                "NO_TENANT_ADMIN",
                BLOCKER,
                "Belum ada admin komando yang aktif. / The command has no active tenant admin.",
            )
        )
    if not people.get("operator"):
        items.append(
            ReadinessItem(
                "NO_OPERATOR",
                BLOCKER,
                "Belum ada operator yang aktif: laporan tidak akan diverifikasi. / No active"
                " operator: nobody will verify reports.",
            )
        )
    if not counts["hospitals"]:
        items.append(
            ReadinessItem(
                "NO_HOSPITALS",
                BLOCKER,
                "Belum ada rumah sakit aktif dengan lokasi: tombol darurat hanya memberi nomor"
                " 112/110/119. / No active hospital with a location: the panic button can only"
                " give the numbers 112/110/119.",
            )
        )
    if not people.get("officer"):
        items.append(
            ReadinessItem(
                "NO_OFFICER",
                WARNING,
                "Belum ada petugas (officer) yang aktif: laporan hanya bisa ditugaskan ke"
                " operator. / No active officer: reports can only be assigned to operators.",
            )
        )
    for row in uncovered:
        role_id, role_en = role_name(row["agency_role"])
        items.append(
            ReadinessItem(
                "NO_AGENCY_FOR_CATEGORY",
                WARNING,
                f"Kategori {row['name_id']} butuh {role_id}, tetapi belum ada yang aktif. /"
                f" Category {row['name_en']} needs a {role_en.lower()}, and none is active.",
                subject=row["code"],
            )
        )
    if not counts["posts"]:
        items.append(
            ReadinessItem(
                "NO_POLICE_POSTS",
                WARNING,
                "Belum ada Polsek atau Pos Polisi aktif. / No active police post (Polsek, Pos"
                " Polisi).",
            )
        )
    if counts["samples"]:
        items.append(
            ReadinessItem(
                "SAMPLE_DIRECTORY",
                WARNING,
                f"{counts['samples']} entri direktori masih data contoh: periksa atau ganti. /"
                f" {counts['samples']} directory entries are still sample data: confirm or"
                " replace them.",
            )
        )
    if not counts["bounded"]:
        items.append(
            ReadinessItem(
                "NO_JURISDICTION",
                WARNING,
                "Wilayah hukum belum diisi: laporan di luar wilayah tidak ditandai. / No"
                " jurisdiction set: reports from outside the command are not flagged.",
            )
        )
    if not counts["cameras"]:
        items.append(
            ReadinessItem(
                "NO_CAMERAS",
                INFO,
                "Belum ada kamera CCTV aktif. / No active CCTV camera.",
            )
        )
    return items
