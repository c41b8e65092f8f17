"""What the product itself processes, per activity: the fixed part of a command's record of
processing (UU PDP Pasal 31). The live part (recipients, transfers, counts) is read from
the command's data by :mod:`jogo.tenants.processing.record`.

Lawful bases are those of UU PDP Pasal 20 ayat (2): (a) consent, (b) a contract, (c) a
legal obligation of the controller, (d) vital interests, (e) a task in the public
interest, public service or the exercise of the controller's lawful authority, (f)
legitimate interests. The retention lines say what the product does by itself; where a
command sets its own retention schedule (issue 21 part 3) that schedule governs.
"""

from __future__ import annotations

from dataclasses import dataclass

BASES: dict[str, tuple[str, str]] = {
    "CONSENT": ("Persetujuan (Pasal 20 ayat 2 huruf a)", "Consent (Art. 20(2)(a))"),
    "CONTRACT": ("Perjanjian (Pasal 20 ayat 2 huruf b)", "Contract (Art. 20(2)(b))"),
    "LEGAL_OBLIGATION": (
        "Kewajiban hukum Pengendali (Pasal 20 ayat 2 huruf c)",
        "The controller's legal obligation (Art. 20(2)(c))",
    ),
    "VITAL_INTEREST": (
        "Kepentingan vital Subjek Data (Pasal 20 ayat 2 huruf d)",
        "The data subject's vital interests (Art. 20(2)(d))",
    ),
    "PUBLIC_TASK": (
        "Tugas kepentingan umum, pelayanan publik, atau kewenangan berdasarkan peraturan"
        " perundang-undangan (Pasal 20 ayat 2 huruf e)",
        "A task in the public interest, public service or lawful authority (Art. 20(2)(e))",
    ),
}


@dataclass(frozen=True)
class Activity:
    code: str
    name: tuple[str, str]
    purpose: tuple[str, str]
    bases: tuple[str, ...]
    data: tuple[str, ...]  # tenants/breaches/vocab.py DATA_CATEGORIES codes
    subjects: tuple[str, ...]  # tenants/breaches/vocab.py SUBJECT_CATEGORIES codes
    retention: tuple[str, str]
    recipients: tuple[str, ...]  # AGENCIES, INTEGRATORS, OTHER_COMMANDS, GATEWAYS, NATIONAL


ACTIVITIES: tuple[Activity, ...] = (
    Activity(
        "REPORTS",
        ("Laporan dan pengaduan masyarakat", "Reports and complaints"),
        (
            "Menerima, memverifikasi, meneruskan dan menindaklanjuti laporan Kamtibmas.",
            "Receive, verify, pass on and follow up public-order reports.",
        ),
        ("PUBLIC_TASK", "LEGAL_OBLIGATION"),
        ("IDENTITY", "CONTACT", "LOCATION", "REPORT_CONTENT", "PHOTOS"),
        ("REPORTERS", "THIRD_PARTIES"),
        (
            "Selama laporan ditangani dan sesudahnya menurut jadwal retensi komando; identitas"
            " pelapor hanya dibaca personel berwenang dan setiap pembacaan diaudit.",
            "While the report is handled and afterwards per the command's retention schedule;"
            " reporter identity is read by authorised staff only and every read is audited.",
        ),
        ("AGENCIES", "INTEGRATORS", "OTHER_COMMANDS", "NATIONAL"),
    ),
    Activity(
        "CITIZEN_ACCOUNTS",
        ("Akun warga (masuk dengan nomor telepon)", "Citizen accounts (phone sign-in)"),
        (
            "Masuk ke aplikasi warga, melihat laporan sendiri.",
            "Sign in to the citizen app and follow one's own reports.",
        ),
        ("CONSENT",),
        ("IDENTITY", "CONTACT", "ACCOUNT"),
        ("CITIZEN_ACCOUNTS",),
        (
            "Sampai akun dihapus atau persetujuan ditarik.",
            "Until the account is erased or consent is withdrawn.",
        ),
        ("GATEWAYS",),
    ),
    Activity(
        "NOTIFICATIONS",
        ("Notifikasi kepada pelapor", "Notifications to reporters"),
        (
            "Memberi tahu perkembangan laporan lewat WhatsApp, SMS, e-mail atau Web Push.",
            "Tell reporters how their report goes, by WhatsApp, SMS, e-mail or Web Push.",
        ),
        ("CONSENT",),
        ("CONTACT", "COMMUNICATIONS"),
        ("REPORTERS", "CITIZEN_ACCOUNTS"),
        (
            "Alamat sampai dihapus pemiliknya; kode rahasia dalam pesan dihapus begitu terkirim.",
            "Addresses until their owner removes them; secrets in a message leave it once sent.",
        ),
        ("GATEWAYS",),
    ),
    Activity(
        "INTAKE",
        ("Laporan lewat WhatsApp dan SMS", "Reports by WhatsApp and SMS"),
        (
            "Percakapan bot yang mengumpulkan laporan.",
            "The bot conversation that collects a report.",
        ),
        ("PUBLIC_TASK",),
        ("CONTACT", "LOCATION", "REPORT_CONTENT", "COMMUNICATIONS"),
        ("REPORTERS",),
        (
            "Percakapan berakhir setelah 30 menit tanpa balasan; pesan disimpan bersama laporan.",
            "A conversation expires after 30 minutes of silence; messages stay with the report.",
        ),
        ("GATEWAYS",),
    ),
    Activity(
        "SOS",
        ("Tombol darurat", "Panic button"),
        (
            "Mengirim petugas ke lokasi orang yang dalam bahaya.",
            "Send officers to where a person in danger is.",
        ),
        ("VITAL_INTEREST", "PUBLIC_TASK"),
        ("IDENTITY", "CONTACT", "LOCATION"),
        ("CITIZEN_ACCOUNTS",),
        ("Seperti laporan.", "As reports."),
        ("AGENCIES",),
    ),
    Activity(
        "SHARING",
        ("Berbagi informasi warga", "Citizen sharing"),
        (
            "Unggahan warga yang dimoderasi sebelum tampil.",
            "Citizens' posts, moderated before they show.",
        ),
        ("CONSENT",),
        ("IDENTITY", "LOCATION", "PHOTOS", "REPORT_CONTENT"),
        ("CITIZEN_ACCOUNTS", "THIRD_PARTIES"),
        ("Sampai dihapus atau ditolak.", "Until removed or rejected."),
        (),
    ),
    Activity(
        "STAFF",
        ("Akun personel dan petugas", "Staff accounts"),
        (
            "Masuk, peran, unit dan penugasan personel.",
            "Sign-in, roles, units and assignments of staff.",
        ),
        ("CONTRACT", "LEGAL_OBLIGATION"),
        ("IDENTITY", "ACCOUNT"),
        ("STAFF", "AGENCY_CONTACTS"),
        (
            "Selama bertugas; keanggotaan yang diakhiri disimpan untuk audit.",
            "While serving; ended memberships are kept for the audit.",
        ),
        (),
    ),
    Activity(
        "AUDIT",
        ("Log audit", "Audit log"),
        (
            "Mencatat siapa membaca identitas pelapor dan setiap perubahan administrasi.",
            "Record who read reporter identity and every administrative change.",
        ),
        ("LEGAL_OBLIGATION",),
        ("ACCOUNT",),
        ("STAFF", "REPORTERS"),
        (
            "Tidak dapat diubah atau dihapus oleh aplikasi.",
            "Append-only: the application cannot change or delete it.",
        ),
        ("NATIONAL",),
    ),
)

# Recipient groups, as named in the record.
RECIPIENT_GROUPS: dict[str, tuple[str, str]] = {
    "AGENCIES": (
        "Instansi dalam direktori komando (laporan yang diteruskan; identitas pelapor disamarkan)",
        "Agencies of the command's directory (dispatched reports; reporter identity masked)",
    ),
    "INTEGRATORS": (
        "Integrator dengan kunci API dan langganan webhook",
        "Integrators with API keys and webhook subscriptions",
    ),
    "OTHER_COMMANDS": (
        "Komando lain (laporan yang dialihkan karena wilayah hukum)",
        "Other commands (reports transferred for jurisdiction)",
    ),
    "GATEWAYS": (
        "Penyedia gateway WhatsApp, SMS, e-mail dan Web Push",
        "WhatsApp, SMS, e-mail and Web Push gateway providers",
    ),
    "NATIONAL": (
        "Pengawasan nasional (hanya angka agregat dan data yang disamarkan)",
        "National oversight (aggregates and redacted data only)",
    ),
}

# Hosts whose operators keep data outside Indonesia as far as publicly known: a transfer
# there is a cross-border transfer (UU PDP Pasal 56) the command must assess.
ABROAD_HOSTS: tuple[str, ...] = (
    "graph.facebook.com",
    "fcm.googleapis.com",
    "android.googleapis.com",
    "updates.push.services.mozilla.com",
    "push.services.mozilla.com",
    "notify.windows.com",
    "push.apple.com",
    "web.push.apple.com",
    "smtp.gmail.com",
    "smtp.office365.com",
)


def abroad(host: str | None) -> bool:
    """Whether ``host`` is (a subdomain of) one of :data:`ABROAD_HOSTS`."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in ABROAD_HOSTS)
