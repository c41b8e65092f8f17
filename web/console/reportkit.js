// What the console's report views share: status and category labels, the running
// service-level deadline, one live connection per page, and the SOS alarm (a banner
// above every view and a tone, raised by the reportEvents feed).

import { config, gql, session } from "../common/api.js";
import { LiveClient } from "../common/live.js";
import { h } from "../common/dom.js";
import { extend, lang, t } from "../common/i18n.js";
import { has } from "../common/shell.js";

extend({
  id: {
    "st.SUBMITTED": "Masuk", "st.VERIFIED": "Terverifikasi", "st.DISPATCHED": "Diteruskan",
    "st.IN_PROGRESS": "Ditangani", "st.RESOLVED": "Selesai", "st.CLOSED": "Ditutup", "st.REJECTED": "Ditolak",
    "r.urgent": "Mendesak", "r.sos": "SOS", "r.outside": "Di luar wilayah", "r.duplicate": "Kemungkinan ganda",
    "r.overdue": "Lewat tenggat", "r.due": "Tenggat",
    "sos.banner": "SOS dari warga: {ticket}. Segera tangani!", "sos.open": "Buka", "sos.ack": "Tandai dilihat",
    "ds.PENDING": "Menunggu kirim", "ds.FAILED": "Gagal, dicoba lagi", "ds.DELIVERING": "Sedang dikirim",
    "ds.DELIVERED": "Terkirim", "ds.AWAITING_LIAISON": "Menunggu jawaban instansi", "ds.ACCEPTED": "Diterima instansi",
    "ds.IN_PROGRESS": "Ditangani instansi", "ds.RESOLVED": "Selesai oleh instansi", "ds.RETURNED": "Dikembalikan",
    "ds.DEAD": "Gagal terkirim", "r.photo": "Foto laporan", "r.photo.missing": "Foto tidak dapat dimuat",
    "rc.via": "Masuk lewat", "rc.WHATSAPP": "WhatsApp", "rc.SMS": "SMS", "rc.WEB": "Aplikasi warga (Web)",
    "rc.API": "API", "rc.OPEN311": "Open311", "rc.short.WHATSAPP": "WA", "rc.short.SMS": "SMS", "rc.short.WEB": "Web",
  },
  en: {
    "st.SUBMITTED": "Submitted", "st.VERIFIED": "Verified", "st.DISPATCHED": "Dispatched",
    "st.IN_PROGRESS": "In progress", "st.RESOLVED": "Resolved", "st.CLOSED": "Closed", "st.REJECTED": "Rejected",
    "r.urgent": "Urgent", "r.sos": "SOS", "r.outside": "Outside jurisdiction", "r.duplicate": "Possible duplicate",
    "r.overdue": "Overdue", "r.due": "Deadline",
    "sos.banner": "SOS from a citizen: {ticket}. Act now!", "sos.open": "Open", "sos.ack": "Acknowledge",
    "ds.PENDING": "Waiting to send", "ds.FAILED": "Failed, retrying", "ds.DELIVERING": "Sending",
    "ds.DELIVERED": "Delivered", "ds.AWAITING_LIAISON": "Awaiting the agency", "ds.ACCEPTED": "Accepted by the agency",
    "ds.IN_PROGRESS": "Agency working on it", "ds.RESOLVED": "Resolved by the agency", "ds.RETURNED": "Returned",
    "ds.DEAD": "Undeliverable", "r.photo": "Report photo", "r.photo.missing": "The photo could not be loaded",
    "rc.via": "Came in by", "rc.WHATSAPP": "WhatsApp", "rc.SMS": "SMS", "rc.WEB": "Citizen app (Web)",
    "rc.API": "API", "rc.OPEN311": "Open311", "rc.short.WHATSAPP": "WA", "rc.short.SMS": "SMS", "rc.short.WEB": "Web",
  },
});

export const STATUSES = ["SUBMITTED", "VERIFIED", "DISPATCHED", "IN_PROGRESS", "RESOLVED", "CLOSED", "REJECTED"];
export const OPEN = ["SUBMITTED", "VERIFIED", "DISPATCHED", "IN_PROGRESS"];
/** Marker colours by status (the map and the queue's status badges). */
export const STATUS_COLORS = {
  SUBMITTED: "#d32f2f", VERIFIED: "#f57c00", DISPATCHED: "#7b1fa2", IN_PROGRESS: "#1976d2",
  RESOLVED: "#388e3c", CLOSED: "#757575", REJECTED: "#212121",
};

/** The report fields a list row needs. */
export const ROW_FIELDS = `id ticket title status urgent sos createdAt latitude longitude verifyDueAt
  followupDueAt autocloseAt slaBreached duplicateOfId outsideJurisdiction
  category { code nameId nameEn } assignedOfficer { username fullName } assignedUnit { name } channel`;

export const statusText = (status) => t(`st.${status}`);

/** How a report came in (Report.channel: API, WEB, WHATSAPP, SMS, OPEN311) in words. */
export const reportChannelText = (channel) => (t(`rc.${channel}`) === `rc.${channel}` ? channel : t(`rc.${channel}`));

/** The report page's badge of how a report came in ("Masuk lewat: WhatsApp" to a reader). */
export function channelBadge(channel) {
  if (!channel) return null;
  const text = reportChannelText(channel);
  return h("span", { class: `badge ch ch-${channel}`, dataset: { channel }, title: `${t("rc.via")}: ${text}`, "aria-label": `${t("rc.via")}: ${text}`, text });
}

/** The queue row's small marker for the channels people write in on (WhatsApp, SMS, the
 * citizen app); null for API and Open311 (integrations: the usual case needs no mark). */
export function channelMarker(channel) {
  if (!["WHATSAPP", "SMS", "WEB"].includes(channel)) return null;
  return h("span", { class: `badge ch ch-${channel}`, dataset: { channel }, title: `${t("rc.via")}: ${reportChannelText(channel)}`, text: t(`rc.short.${channel}`) });
}
/** A dispatch's state in words (an unknown one as it is). */
export const dispatchText = (status) => (t(`ds.${status}`) === `ds.${status}` ? status : t(`ds.${status}`));
export const categoryText = (category) => (category ? (lang() === "en" ? category.nameEn : category.nameId) : "—");

/** The deadline running now: verification while SUBMITTED, follow-up while being worked,
 * auto-close once resolved; null for finished reports. */
export function deadlineOf(report) {
  if (report.status === "SUBMITTED") return report.verifyDueAt;
  if (["VERIFIED", "DISPATCHED", "IN_PROGRESS"].includes(report.status)) return report.followupDueAt || null;
  if (report.status === "RESOLVED") return report.autocloseAt || null;
  return null;
}

/** Operators and tenant admins work every report; officers only theirs; liaisons their inbox. */
export const isOperator = (me) => has(me, "operator", "tenant_admin");
export const isOfficerOnly = (me) => !isOperator(me) && has(me, "officer");
export const isLiaisonOnly = (me) => !isOperator(me) && !has(me, "officer") && has(me, "agency_liaison");

let categories = null;
/** The command's active categories (cached for the page). */
export async function loadCategories() {
  if (!categories) categories = gql("query { categories { code nameId nameEn } }").then((d) => d.categories).catch((e) => { categories = null; throw e; });
  return categories;
}

// --- one live connection for the page, shared by the views ---

let client = null;
/** The page's LiveClient (made again after a sign-out closed the last one). */
export function liveClient(ctx) {
  if (!client || client.closed) {
    client = new LiveClient(config.endpoint, (on) => ctx.setLive(on));
    sosWatch = null;
  }
  return client;
}

// --- the SOS alarm ---

let audio = null;
// Browsers let a page make sound only after a user gesture: the sign-in click is one.
for (const kind of ["pointerdown", "keydown"]) {
  document.addEventListener(kind, () => {
    try {
      audio = audio || new AudioContext();
      if (audio.state === "suspended") audio.resume();
    } catch { /* no WebAudio: the banner alone */ }
  }, { capture: true });
}

/** Three short high tones (WebAudio; no sound file). */
export function alarmTone() {
  if (!audio || audio.state !== "running") return;
  const start = audio.currentTime;
  for (let i = 0; i < 3; i++) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "square";
    osc.frequency.value = 880;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    osc.start(start + i * 0.35);
    osc.stop(start + i * 0.35 + 0.2);
  }
}

let sosWatch = null;
const raised = new Set();

function bannerBox() {
  let box = document.getElementById("sos-banners");
  const main = document.getElementById("main");
  if (!box && main) {
    // A new frame (signed in again): its banners start afresh.
    raised.clear();
    box = h("div", { id: "sos-banners" });
    main.before(box);
  }
  return box;
}

/** Raise the SOS banner for one report (once per report and page). */
export function raiseSos(ctx, report, sound = true) {
  const box = bannerBox();
  if (!box || raised.has(report.id)) return;
  raised.add(report.id);
  const banner = h("div", { class: "banner sos", role: "alert", dataset: { id: report.id } },
    h("span", { text: t("sos.banner", { ticket: report.ticket }) }),
    h("button", { type: "button", text: t("sos.open"), onclick: () => ctx.navigate(`#/report/${report.id}`) }),
    h("button", { type: "button", text: t("sos.ack"), onclick: () => banner.remove() }),
  );
  box.append(banner);
  if (sound) alarmTone();
}

/** Watch the live feed for SOS reports for as long as the page is signed in (every view). */
export function watchSos(ctx) {
  const live = liveClient(ctx);
  if (sosWatch === live) return;
  sosWatch = live;
  live.subscribe("subscription { reportEvents(urgentOnly: true) { reportId ticket status sos event { kind } } }", {}, {
    next: (payload) => {
      const e = payload.data && payload.data.reportEvents;
      if (e && e.sos && e.status === "SUBMITTED" && e.event.kind === "SUBMITTED") raiseSos(ctx, { id: e.reportId, ticket: e.ticket });
    },
  });
}

/** A countdown text and its state for a deadline (ISO) at `now` (ms). */
export function countdown(due, now) {
  if (!due) return { text: "—", state: "" };
  const seconds = (Date.parse(due) - now) / 1000;
  const state = seconds < 0 ? "overdue" : seconds < 3600 ? "soon" : "";
  return { text: seconds < 0 ? `${t("r.overdue")} ${fmtShort(-seconds)}` : fmtShort(seconds), state };
}

function fmtShort(seconds) {
  let s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60); s -= mm * 60;
  const [dl, hl] = lang() === "en" ? ["d", "h"] : ["h", "j"];
  if (d > 0) return `${d}${dl} ${hh}${hl}`;
  if (hh > 0) return `${hh}${hl} ${String(mm).padStart(2, "0")}m`;
  return `${mm}m ${String(s).padStart(2, "0")}${lang() === "en" ? "s" : "d"}`;
}

/** Show a report's photos in `box`: each fetched with the bearer header (the attachment
 * URLs need it) and shown as a blob: URL, pushed to `urls` for the caller to revoke. */
export async function showPhotos(attachments, box, urls, alive = () => true) {
  for (const a of attachments) {
    try {
      const response = await fetch(a.url, { headers: { Authorization: session.authorization() }, credentials: "omit" });
      if (!response.ok) throw new Error(String(response.status));
      const url = URL.createObjectURL(await response.blob());
      if (!alive()) { URL.revokeObjectURL(url); return; }
      urls.push(url);
      box.append(h("a", { href: url, target: "_blank", rel: "noopener" }, h("img", { src: url, alt: t("r.photo"), class: "photo" })));
    } catch {
      box.append(h("span", { class: "muted", text: t("r.photo.missing") }));
    }
  }
}
