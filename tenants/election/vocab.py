"""Vulnerability levels of a polling station (TPS), the election incident categories,
and the default deployment rules."""

from __future__ import annotations

from dataclasses import dataclass

from jogo.tenants.reports.actions import CategorySeed

# Level → (Bahasa, English).
VULNERABILITIES: dict[str, tuple[str, str]] = {
    "AMAN": ("Aman", "Safe"),
    "KURANG_RAWAN": ("Kurang rawan", "Slightly vulnerable"),
    "RAWAN": ("Rawan", "Vulnerable"),
    "SANGAT_RAWAN": ("Sangat rawan", "Highly vulnerable"),
    "KHUSUS": ("Khusus (lapas, rumah sakit)", "Special (prisons, hospitals)"),
}

ELECTION_CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed(
        "ELECTION_INTIMIDATION",
        "Intimidasi Pemilih",
        "Voter intimidation",
        "Ancaman atau tekanan kepada pemilih, saksi atau petugas",
    ),
    CategorySeed(
        "ELECTION_VOTE_BUYING",
        "Politik Uang",
        "Vote buying",
        "Pembagian uang atau barang untuk memengaruhi pilihan",
    ),
    CategorySeed(
        "ELECTION_UNREST",
        "Kericuhan Pemilu",
        "Election unrest",
        "Keributan, bentrokan atau pengerahan massa di sekitar TPS",
    ),
    CategorySeed(
        "ELECTION_HOAX",
        "Hoaks Pemilu",
        "Election hoax",
        "Berita bohong atau ujaran kebencian tentang pemilu",
    ),
    CategorySeed(
        "ELECTION_LOGISTICS",
        "Logistik Pemilu",
        "Election logistics",
        "Surat suara, kotak suara atau perlengkapan TPS kurang, rusak atau terlambat",
    ),
    CategorySeed(
        "ELECTION_NEUTRALITY",
        "Netralitas ASN/TNI/Polri",
        "Neutrality of officials",
        "Keberpihakan aparatur sipil negara, TNI atau Polri",
    ),
)


@dataclass(frozen=True)
class DeploymentRule:
    """``officers_per_group`` officers watch a group of at most ``max_tps_per_group``
    TPS of one kecamatan (a group of one TPS is a post of its own); every TPS also has
    ``linmas_per_tps`` Linmas."""

    vulnerability: str
    max_tps_per_group: int
    officers_per_group: int
    linmas_per_tps: int


# Practice (pola pengamanan TPS): 2 officers per 4-8 safe TPS, 2 per at most 4
# vulnerable TPS, one post (2 officers) per highly vulnerable or special TPS; 2 Linmas
# per TPS (petugas ketertiban TPS). KURANG_RAWAN is not named in the pattern; it gets
# RAWAN's density, erring on the side of more officers.
DEFAULT_RULES: dict[str, DeploymentRule] = {
    r.vulnerability: r
    for r in (
        DeploymentRule("AMAN", 8, 2, 2),
        DeploymentRule("KURANG_RAWAN", 4, 2, 2),
        DeploymentRule("RAWAN", 4, 2, 2),
        DeploymentRule("SANGAT_RAWAN", 1, 2, 2),
        DeploymentRule("KHUSUS", 1, 2, 2),
    )
}
