"""The product's privacy notice (Pemberitahuan Privasi): the default version of every
command, and the template a tenant admin starts from when publishing its own.

A command that has published no notice of its own shows this one (version
:data:`NOTICE_VERSION`); one that has, shows its newest (``tenants/consent``). A change
of this wording that changes what is done with personal data gets a new
:data:`NOTICE_VERSION`, so every citizen of a command still on the default is asked
again (``409 CONSENT_REQUIRED`` at their next sign-in by phone). Bahasa Indonesia is the
text of record; the English is a translation beside it.

The purposes and their lawful basis (UU PDP No. 27/2022, Pasal 20 ayat (2)) are stated
in the text and recorded per purpose by ``tenants/consent/purposes.py``. The text is a
template: a command's data-protection officer has it reviewed before publishing it.
"""

from __future__ import annotations

from dataclasses import dataclass

NOTICE_VERSION = "2027-01-01"

TEXT_ID = """\
Pemberitahuan Privasi Jogo Indonesia Presisi (versi {version})

Pengendali data: komando kepolisian (Polres/Polresta/Polrestabes) tempat Anda melapor \
atau mendaftar, sesuai Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data \
Pribadi (UU PDP).

1. Data yang kami kumpulkan: nomor telepon Anda (untuk masuk dan pemberitahuan), nama bila \
Anda mengisinya, isi laporan, foto, dan lokasi yang Anda kirim, alamat pemberitahuan yang \
Anda pilih, serta alamat jaringan perangkat Anda saat masuk.

2. Tujuan dan dasar pemrosesan (Pasal 20 ayat (2) UU PDP):
a. Laporan kepada polisi: menerima, memverifikasi dan menindaklanjuti laporan, termasuk \
meneruskannya kepada instansi terkait. Dasarnya bukan persetujuan semata, melainkan \
pelaksanaan tugas dan kewenangan kepolisian berdasarkan peraturan perundang-undangan \
(huruf e), pemenuhan kewajiban hukum (huruf c), dan pelindungan kepentingan vital \
(huruf d) dalam keadaan darurat.
b. Pendaftaran akun dengan nomor telepon: persetujuan Anda (huruf a).
c. Pemberitahuan perkembangan laporan lewat SMS, WhatsApp, e-mail atau notifikasi web: \
persetujuan Anda (huruf a), yang dapat Anda tarik kapan saja.
d. Berbagi kiriman kepada masyarakat: persetujuan Anda (huruf a), yang dapat Anda tarik \
kapan saja.

3. Menarik persetujuan: Anda dapat menarik persetujuan untuk pemberitahuan dan berbagi \
di halaman Akun. Sejak itu pemberitahuan kepada Anda dihentikan dan kiriman Anda tidak \
lagi ditampilkan. Menarik persetujuan TIDAK membatalkan laporan yang sudah Anda buat \
kepada polisi, karena dasar pemrosesan laporan bukan persetujuan semata (butir 2a); \
laporan tetap menjadi catatan kepolisian.

4. Penerima: petugas kepolisian komando yang menangani laporan Anda, dan instansi \
terkait bila laporan diteruskan kepada mereka. Laporan anonim tidak menampilkan \
identitas Anda kepada petugas. Pengawas nasional hanya melihat data yang disamarkan.

5. Penyimpanan: data disimpan selama diperlukan untuk tujuan di atas dan selama \
diwajibkan peraturan perundang-undangan; identitas pada laporan yang sudah ditutup \
dihapus menurut jadwal retensi komando.

6. Hak Anda (Pasal 5 sampai Pasal 13 UU PDP): mendapat informasi, mengakses, \
memperbaiki, menghapus, membatasi pemrosesan, dan menarik persetujuan (Pasal 9), \
melalui akun Anda atau komando kepolisian setempat.

7. Dalam keadaan darurat, hubungi 110."""

TEXT_EN = """\
Jogo Indonesia Presisi privacy notice (version {version})

Controller: the police command (Polres, Polresta or Polrestabes) where you report or \
sign up, under Law No. 27 of 2022 on Personal Data Protection (UU PDP).

1. What we collect: your phone number (to sign in and to notify you), your name if you \
give it, what you report, the photos and place you send, the notification addresses you \
choose, and your device's network address when you sign in.

2. Purposes and lawful basis (UU PDP art. 20 (2)):
a. Reports to the police: to receive, verify and follow up reports, including passing \
them to the agencies concerned. The basis is not consent alone but the police's task \
and authority under the law (point e), a legal obligation (point c), and the vital \
interest of people in an emergency (point d).
b. Signing up for an account with a phone number: your consent (point a).
c. News of your reports by SMS, WhatsApp, e-mail or web notification: your consent \
(point a), which you may withdraw at any time.
d. Sharing posts with the public: your consent (point a), which you may withdraw at any \
time.

3. Withdrawing consent: you may withdraw your consent to notifications and to sharing on \
the Account page. From then on no notification is sent to you and your posts are no \
longer shown. Withdrawing consent does NOT undo a report you have made to the police, \
because the lawful basis for a report is not consent alone (point 2a); the report \
remains a police record.

4. Recipients: the police officers of the command handling your report, and the \
agencies it is sent to. Anonymous reports do not show your identity to officers. \
National oversight sees redacted data only.

5. Keeping: data is kept as long as these purposes need it and as the law requires; the \
identity on closed reports is removed on the command's retention schedule.

6. Your rights (UU PDP art. 5 to 13): to be informed, to access, correct and erase your \
data, to restrict processing, and to withdraw consent (art. 9), through your account or \
your local police command.

7. In an emergency, call 110."""


@dataclass(frozen=True)
class Notice:
    """A version of the notice and its text in Bahasa Indonesia and English."""

    version: str
    text_id: str
    text_en: str


def current_notice() -> Notice:
    """The product's default notice (:data:`NOTICE_VERSION`), the one in force at every
    command that has published none of its own."""
    return Notice(
        NOTICE_VERSION,
        TEXT_ID.format(version=NOTICE_VERSION),
        TEXT_EN.format(version=NOTICE_VERSION),
    )


def template() -> Notice:
    """The text a tenant admin starts from, ``{version}`` left in place for the label
    it is published under."""
    return Notice("{version}", TEXT_ID, TEXT_EN)
