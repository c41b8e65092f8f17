// Bahasa Indonesia first, English beside it. Every client adds its strings with extend().
// The API's own messages are English; every typed error is shown by its code (errorText).

const STORE = "jogo.lang";
const dictionaries = { id: {}, en: {} };
const listeners = new Set();
let current = (() => {
  try { return localStorage.getItem(STORE) === "en" ? "en" : "id"; } catch { return "id"; }
})();

/** Add strings: extend({id: {key: "…"}, en: {key: "…"}}). Later calls win. */
export function extend(strings) {
  for (const lang of ["id", "en"]) Object.assign(dictionaries[lang], strings[lang] || {});
}

/** The string for key in the current language ({name} placeholders filled from vars);
 * a key missing in English falls back to Indonesian, then to the key itself. */
export function t(key, vars = {}) {
  const text = dictionaries[current][key] ?? dictionaries.id[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export const lang = () => current;

export function setLang(value) {
  current = value === "en" ? "en" : "id";
  try { localStorage.setItem(STORE, current); } catch { /* private mode */ }
  document.documentElement.lang = current;
  for (const fn of [...listeners]) fn(current);
}

export function onLangChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

extend({
  id: {
    "app.signin": "Masuk",
    "app.activate.open": "Punya kode aktivasi atau kode reset?",
    "app.activate.title": "Atur kata sandi",
    "app.activate.code": "Kode (jpc_…)",
    "app.activate.password": "Kata sandi baru (minimal 10 karakter)",
    "app.activate.repeat": "Ulangi kata sandi",
    "app.activate.submit": "Simpan kata sandi",
    "app.activate.mismatch": "Kedua kata sandi tidak sama.",
    "app.activate.done": "Kata sandi tersimpan. Silakan masuk.",
    "app.signout": "Keluar",
    "app.username": "Nama pengguna",
    "app.password": "Kata sandi",
    "app.loading": "Memuat…",
    "app.noaccess": "Akun ini tidak memiliki akses ke halaman ini.",
    "app.noaccess.hint": "Masuk dengan akun lain, atau hubungi admin komando Anda.",
    "app.session.ended": "Sesi berakhir. Silakan masuk kembali.",
    "app.offline": "Koneksi terputus, mencoba lagi…",
    "app.live.on": "Langsung",
    "app.live.off": "Terputus",
    "app.lang": "English",
    "app.save": "Simpan",
    "app.cancel": "Batal",
    "app.close": "Tutup",
    "app.refresh": "Muat ulang",
    "app.search": "Cari",
    "app.none": "Tidak ada data.",
    "app.more": "Muat lebih banyak",
    "app.saved": "Tersimpan.",
    "app.confirm": "Yakin?",
    "err.INVALID_INPUT": "Isian tidak valid.",
    "err.NOT_FOUND": "Tidak ditemukan.",
    "err.CONFLICT": "Bentrok dengan data yang ada.",
    "err.UNAUTHENTICATED": "Silakan masuk terlebih dahulu.",
    "err.FORBIDDEN": "Anda tidak berwenang melakukan ini.",
    "err.ILLEGAL_TRANSITION": "Perubahan status ini tidak diperbolehkan pada tahap sekarang.",
    "err.ALREADY_NOTIFIED": "Pemberitahuan ini sudah dicatat; waktu dan pencatat pertamanya tetap.",
    "err.RATE_LIMITED": "Terlalu banyak permintaan. Coba lagi sebentar lagi.",
    "err.QUERY_TOO_COSTLY": "Permintaan terlalu besar. Persempit filter atau muat lebih sedikit.",
    "err.PERSISTED_QUERY_NOT_FOUND": "Kueri tersimpan tidak dikenal server ini; kirim teks kuerinya.",
    "err.PERSISTED_QUERY_HASH_MISMATCH": "Hash SHA-256 tidak cocok dengan teks kueri.",
    "err.TRUSTED_DOCUMENT_REQUIRED": "Kunci API ini hanya boleh menjalankan dokumen tepercaya yang didaftarkan untuknya.",
    "err.UNAVAILABLE": "Layanan sedang tidak tersedia. Coba lagi sebentar lagi.",
    "err.MODULE_DISABLED": "Modul ini tidak aktif untuk komando ini.",
    "err.NETWORK": "Tidak dapat menghubungi server. Periksa jaringan.",
    "err.HTTP_404": "Tidak ditemukan.",
    "err.HTTP_405": "Permintaan tidak didukung.",
    "err.INTERNAL": "Terjadi kesalahan pada server.",
    "err.ERROR": "Permintaan tidak dapat diproses.",
    "err.HELD_CONTENT": "Unggahan ini ditahan untuk ditinjau; periksa alasan penahanan dan konfirmasi.",
    "err.BAD_SETTING": "Pengaturan server tidak valid.",
    "err.SECRET_UNREADABLE": "Rahasia tersimpan tidak dapat dibaca; minta admin memasangnya ulang.",
    "err.NO_DATABASE": "Basis data belum tersedia.",
    "err.MIGRATION_FAILED": "Pembaruan basis data gagal.",
    "err.DATABASE_NOT_CONFIGURED": "Basis data belum diatur.",
    "err.INVALID_CODE": "Kode salah, kedaluwarsa, atau sudah dipakai. Minta kode baru.",
    "err.CONSENT_REQUIRED": "Setujui Pemberitahuan Privasi untuk melanjutkan.",
    "err.CONSENT_NOT_WITHDRAWABLE": "Persetujuan ini tidak dapat ditarik: laporan kepada polisi tetap menjadi catatan kepolisian karena dasarnya tugas dan kewajiban hukum, bukan persetujuan semata.",
    "err.GATEWAY_UNAVAILABLE": "Komando ini belum dapat mengirim pesan lewat saluran ini. Coba saluran lain.",
    "err.unknown": "Terjadi kesalahan ({code}).",
    "err.signin": "Nama pengguna atau kata sandi salah.",
    "err.totp": "Kode salah, sudah terpakai, atau sudah lewat waktunya.",
    "err.totp.expired": "Waktu verifikasi habis. Silakan masuk lagi.",
    "app.totp.title": "Verifikasi dua langkah",
    "app.totp.hint": "Masukkan 6 angka dari aplikasi autentikator Anda, atau salah satu kode pemulihan.",
    "app.totp.code": "Kode verifikasi",
    "app.totp.submit": "Verifikasi",
    "app.totp.enrol.title": "Aktifkan verifikasi dua langkah",
    "app.totp.enrol.hint": "Tambahkan kunci ini di aplikasi autentikator (mis. FreeOTP, Google Authenticator): ketik kuncinya atau tempel alamat otpauth://, lalu masukkan kode yang tampil.",
    "app.totp.secret": "Kunci rahasia",
    "app.totp.uri": "Alamat otpauth://",
    "app.totp.recovery.title": "Kode pemulihan",
    "app.totp.recovery.hint": "Simpan kode ini di tempat aman: masing-masing dapat dipakai sekali untuk masuk bila ponsel Anda hilang. Kode ini tidak ditampilkan lagi.",
    "app.totp.continue": "Lanjut",
    "app.security": "Keamanan",
    "app.security.on": "Verifikasi dua langkah aktif ({n} kode pemulihan tersisa).",
    "app.security.off": "Verifikasi dua langkah belum aktif.",
    "app.security.off.required": "Verifikasi dua langkah wajib untuk Anda dan belum aktif.",
    "app.security.enable": "Aktifkan verifikasi dua langkah",
    "app.security.regenerate": "Buat kode pemulihan baru",
    "app.security.events": "Kejadian keamanan terakhir",
    "app.security.none": "Belum ada kejadian.",
    "app.security.required": "Wajibkan verifikasi dua langkah untuk operator dan admin komando ini",
    "app.security.saved": "Tersimpan.",
  },
  en: {
    "app.signin": "Sign in",
    "app.activate.open": "Have an activation or reset code?",
    "app.activate.title": "Set your password",
    "app.activate.code": "Code (jpc_…)",
    "app.activate.password": "New password (at least 10 characters)",
    "app.activate.repeat": "Repeat the password",
    "app.activate.submit": "Save password",
    "app.activate.mismatch": "The two passwords differ.",
    "app.activate.done": "Password saved. Please sign in.",
    "app.signout": "Sign out",
    "app.username": "Username",
    "app.password": "Password",
    "app.loading": "Loading…",
    "app.noaccess": "This account has no access to this page.",
    "app.noaccess.hint": "Sign in with another account, or ask your command's admin.",
    "app.session.ended": "Your session has ended. Please sign in again.",
    "app.offline": "Connection lost, retrying…",
    "app.live.on": "Live",
    "app.live.off": "Disconnected",
    "app.lang": "Bahasa Indonesia",
    "app.save": "Save",
    "app.cancel": "Cancel",
    "app.close": "Close",
    "app.refresh": "Refresh",
    "app.search": "Search",
    "app.none": "Nothing here.",
    "app.more": "Load more",
    "app.saved": "Saved.",
    "app.confirm": "Are you sure?",
    "err.INVALID_INPUT": "The input is not valid.",
    "err.NOT_FOUND": "Not found.",
    "err.CONFLICT": "This conflicts with existing data.",
    "err.UNAUTHENTICATED": "Please sign in first.",
    "err.FORBIDDEN": "You are not allowed to do this.",
    "err.ILLEGAL_TRANSITION": "This status change is not allowed at this stage.",
    "err.ALREADY_NOTIFIED": "This notification was recorded already; its first time and author stay.",
    "err.RATE_LIMITED": "Too many requests. Try again shortly.",
    "err.QUERY_TOO_COSTLY": "This request is too large. Narrow the filter or load less.",
    "err.PERSISTED_QUERY_NOT_FOUND": "This server does not know the persisted query; send its text.",
    "err.PERSISTED_QUERY_HASH_MISMATCH": "The SHA-256 hash does not match the query text.",
    "err.TRUSTED_DOCUMENT_REQUIRED": "This API key may run only the trusted documents registered for it.",
    "err.UNAVAILABLE": "The service is unavailable. Try again shortly.",
    "err.MODULE_DISABLED": "This module is not enabled for this command.",
    "err.NETWORK": "Cannot reach the server. Check the network.",
    "err.HTTP_404": "Not found.",
    "err.HTTP_405": "Request not supported.",
    "err.INTERNAL": "The server had an error.",
    "err.ERROR": "The request could not be processed.",
    "err.HELD_CONTENT": "This post is held for review; check the hold reasons and confirm.",
    "err.BAD_SETTING": "A server setting is not valid.",
    "err.SECRET_UNREADABLE": "A stored secret cannot be read; ask an admin to set it again.",
    "err.NO_DATABASE": "The database is not available yet.",
    "err.MIGRATION_FAILED": "The database upgrade failed.",
    "err.DATABASE_NOT_CONFIGURED": "The database is not configured.",
    "err.INVALID_CODE": "The code is wrong, expired or already used. Ask for a new one.",
    "err.CONSENT_REQUIRED": "Accept the privacy notice to continue.",
    "err.CONSENT_NOT_WITHDRAWABLE": "This consent cannot be withdrawn: a report to the police stays a police record, as its basis is the police's task and a legal obligation, not consent alone.",
    "err.GATEWAY_UNAVAILABLE": "This command cannot send messages on this channel yet. Try another channel.",
    "err.unknown": "Something went wrong ({code}).",
    "err.signin": "Wrong username or password.",
    "err.totp": "The code is wrong, already used, or too old.",
    "err.totp.expired": "The verification timed out. Please sign in again.",
    "app.totp.title": "Two-step verification",
    "app.totp.hint": "Enter the 6 digits from your authenticator app, or one of your recovery codes.",
    "app.totp.code": "Verification code",
    "app.totp.submit": "Verify",
    "app.totp.enrol.title": "Turn on two-step verification",
    "app.totp.enrol.hint": "Add this key to an authenticator app (e.g. FreeOTP, Google Authenticator): type the key or paste the otpauth:// address, then enter the code it shows.",
    "app.totp.secret": "Secret key",
    "app.totp.uri": "otpauth:// address",
    "app.totp.recovery.title": "Recovery codes",
    "app.totp.recovery.hint": "Keep these codes somewhere safe: each signs you in once if you lose your phone. They are not shown again.",
    "app.totp.continue": "Continue",
    "app.security": "Security",
    "app.security.on": "Two-step verification is on ({n} recovery codes left).",
    "app.security.off": "Two-step verification is off.",
    "app.security.off.required": "Two-step verification is required of you and is off.",
    "app.security.enable": "Turn on two-step verification",
    "app.security.regenerate": "Make new recovery codes",
    "app.security.events": "Recent security events",
    "app.security.none": "No events yet.",
    "app.security.required": "Require two-step verification of this command's operators and admins",
    "app.security.saved": "Saved.",
  },
});

/** A typed API error ({code, message, field}) in the user's language, by its code; an
 * unknown code still reads sensibly and names the code. The API's English message is
 * added in English mode, where it is the user's language. */
export function errorText(error) {
  const code = (error && error.code) || "INTERNAL";
  const key = `err.${code}`;
  const known = dictionaries.id[key] !== undefined;
  const base = known ? t(key) : t("err.unknown", { code });
  if (current === "en" && error && error.message && error.message !== base) return `${base} ${error.message}`;
  return base;
}

// The command's own time zone (WIB, WITA or WIT) on its console, from the page config;
// the browser's elsewhere (national pages span zones and say so).
const ZONE = (() => {
  try { return JSON.parse(document.querySelector('meta[name="jogo-config"]')?.content || "{}").timeZone || undefined; } catch { return undefined; }
})();

/** A date-time in the user's language, on the command's wall clock (its time zone) on
 * the console, else the browser's. */
export function fmtDateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString(current === "en" ? "en-GB" : "id-ID", { dateStyle: "medium", timeStyle: "short", timeZone: ZONE });
}

/** "3 j 05 m" / "3 h 05 m" for a number of seconds (negative: overdue, prefixed with −). */
export function fmtDuration(seconds) {
  const sign = seconds < 0 ? "−" : "";
  let s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60);
  const [dd, hu] = current === "en" ? ["d", "h"] : ["h", "j"];
  if (d > 0) return `${sign}${d} ${dd} ${hh} ${hu}`;
  if (hh > 0) return `${sign}${hh} ${hu} ${String(mm).padStart(2, "0")} m`;
  return `${sign}${mm} m ${String(s % 60).padStart(2, "0")} d`.replace(/ d$/, current === "en" ? " s" : " d");
}
