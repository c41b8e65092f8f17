"""The privacy notice (Pemberitahuan Privasi) a citizen accepts at sign-up, versioned in code.

A change of wording that changes what is done with personal data gets a new
:data:`NOTICE_VERSION`: every citizen is then asked again (``409 CONSENT_REQUIRED`` at
their next sign-in by phone) and the acceptance is recorded, with the version, the time,
the command and the client, in ``privacy_consents`` (:mod:`jogo.platform.auth.phone`).
Bahasa Indonesia is the text of record; the English is a translation beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

NOTICE_VERSION = "2026-12-01"

TEXT_ID = """\
Pemberitahuan Privasi Jogo Indonesia Presisi (versi {version})

1. Data yang kami kumpulkan: nomor telepon Anda (untuk masuk dan pemberitahuan), nama bila \
Anda mengisinya, isi laporan, foto, dan lokasi yang Anda kirim, serta alamat jaringan \
perangkat Anda saat masuk.
2. Tujuan: menerima dan menindaklanjuti laporan Anda, mengirim kode masuk dan kabar \
perkembangan laporan lewat saluran yang Anda pilih (SMS, WhatsApp, e-mail atau notifikasi \
web), serta menjaga keamanan layanan.
3. Siapa yang melihat: petugas kepolisian komando yang menangani laporan Anda, dan instansi \
terkait bila laporan diteruskan kepada mereka. Laporan anonim tidak menampilkan identitas \
Anda kepada petugas. Pengawas nasional hanya melihat data yang disamarkan.
4. Penyimpanan: data disimpan selama diperlukan untuk tujuan di atas dan sesuai ketentuan \
peraturan perundang-undangan, termasuk Undang-Undang Nomor 27 Tahun 2022 tentang \
Pelindungan Data Pribadi.
5. Hak Anda: meminta akses, perbaikan, atau penghapusan data pribadi Anda, dan menarik \
persetujuan ini, melalui komando kepolisian setempat. Menarik persetujuan dapat membuat \
Anda tidak dapat lagi masuk dengan nomor telepon.
6. Dalam keadaan darurat, hubungi 110."""

TEXT_EN = """\
Jogo Indonesia Presisi privacy notice (version {version})

1. What we collect: your phone number (to sign in and to notify you), your name if you give \
it, what you report, the photos and place you send, and your device's network address when \
you sign in.
2. Why: to receive and follow up your reports, to send sign-in codes and news of your \
reports on the channels you choose (SMS, WhatsApp, e-mail or web notifications), and to keep \
the service safe.
3. Who sees it: the police officers of the command handling your report, and the agencies \
it is sent to. Anonymous reports do not show your identity to officers. National oversight \
sees redacted data only.
4. Keeping: data is kept as long as these purposes need it and as the law requires, \
including Law No. 27 of 2022 on Personal Data Protection.
5. Your rights: to ask for access to, correction or deletion of your personal data, and to \
withdraw this consent, through your local police command. Withdrawing consent may mean you \
can no longer sign in with your phone number.
6. In an emergency, call 110."""


@dataclass(frozen=True)
class Notice:
    """A version of the notice and its text in Bahasa Indonesia and English."""

    version: str
    text_id: str
    text_en: str


def current_notice() -> Notice:
    """The privacy notice in force (:data:`NOTICE_VERSION`)."""
    return Notice(
        NOTICE_VERSION,
        TEXT_ID.format(version=NOTICE_VERSION),
        TEXT_EN.format(version=NOTICE_VERSION),
    )
