// What the console's notification pieces share (issue 17): the words for a notification's
// channel, template and status, the "Kirim ulang" control for a DEAD one (retryNotification
// with a clientKey kept for retries of the same press), and the report page's card of
// what was sent to the reporter (`notifications(reportId)`, operators).

import { gql, newClientKey } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { errorText, extend, fmtDateTime, t } from "../common/i18n.js";
import { submitForm } from "./ops.js";

extend({
  id: {
    "nf.title": "Notifikasi ke pelapor",
    "nf.none": "Belum ada notifikasi untuk laporan ini.",
    "nf.channel": "Saluran", "nf.address": "Alamat", "nf.template": "Pesan", "nf.status": "Status",
    "nf.attempts": "Percobaan", "nf.lastError": "Galat terakhir", "nf.sent": "Terkirim", "nf.created": "Dibuat",
    "nf.next": "Dicoba lagi", "nf.ticket": "Tiket", "nf.tries": "{n}× dicoba",
    "nf.retry": "Kirim ulang", "nf.retried": "Notifikasi dijadwalkan ulang.",
    "nf.notDead": "Hanya notifikasi yang gagal terkirim yang dapat dikirim ulang; muat ulang untuk melihat statusnya sekarang.",
    "nk.WHATSAPP": "WhatsApp", "nk.SMS": "SMS", "nk.EMAIL": "E-mail", "nk.WEBPUSH": "Web Push",
    "ns.PENDING": "Menunggu kirim", "ns.SENDING": "Sedang dikirim", "ns.SENT": "Terkirim",
    "ns.FAILED": "Gagal, dicoba lagi", "ns.DEAD": "Gagal terkirim",
    "tpl.otp_code": "Kode masuk",
    "tpl.report_received": "Laporan diterima (tiket & PIN)",
    "tpl.report_status": "Perubahan status",
    "tpl.report_transferred": "Dialihkan ke komando lain",
    "tpl.report_note": "Pesan dari petugas",
    "tpl.intake_ask_description": "Tanya uraian kejadian",
    "tpl.intake_description_short": "Uraian terlalu pendek",
    "tpl.intake_ask_category": "Tanya kategori",
    "tpl.intake_category_unknown": "Kategori tidak dikenali",
    "tpl.intake_ask_place_whatsapp": "Tanya lokasi",
    "tpl.intake_ask_place_sms": "Tanya lokasi",
    "tpl.intake_place_unknown_whatsapp": "Lokasi tidak dikenali",
    "tpl.intake_place_unknown_sms": "Lokasi tidak dikenali",
    "tpl.intake_cancelled": "Percakapan dibatalkan",
    "tpl.intake_limited": "Terlalu banyak laporan dari nomor ini",
    "tpl.intake_failed": "Laporan gagal dibuat",
  },
  en: {
    "nf.title": "Notifications to the reporter",
    "nf.none": "No notifications for this report yet.",
    "nf.channel": "Channel", "nf.address": "Address", "nf.template": "Message", "nf.status": "Status",
    "nf.attempts": "Attempts", "nf.lastError": "Last error", "nf.sent": "Sent", "nf.created": "Created",
    "nf.next": "Next attempt", "nf.ticket": "Ticket", "nf.tries": "{n} attempt(s)",
    "nf.retry": "Retry", "nf.retried": "The notification is queued again.",
    "nf.notDead": "Only an undeliverable notification can be retried; refresh to see its status now.",
    "nk.WHATSAPP": "WhatsApp", "nk.SMS": "SMS", "nk.EMAIL": "E-mail", "nk.WEBPUSH": "Web Push",
    "ns.PENDING": "Waiting to send", "ns.SENDING": "Sending", "ns.SENT": "Sent",
    "ns.FAILED": "Failed, retrying", "ns.DEAD": "Undeliverable",
    "tpl.otp_code": "Sign-in code",
    "tpl.report_received": "Report received (ticket & PIN)",
    "tpl.report_status": "Status change",
    "tpl.report_transferred": "Transferred to another command",
    "tpl.report_note": "Message from the officers",
    "tpl.intake_ask_description": "Asks what happened",
    "tpl.intake_description_short": "Description too short",
    "tpl.intake_ask_category": "Asks for the category",
    "tpl.intake_category_unknown": "Category not recognised",
    "tpl.intake_ask_place_whatsapp": "Asks for the place",
    "tpl.intake_ask_place_sms": "Asks for the place",
    "tpl.intake_place_unknown_whatsapp": "Place not recognised",
    "tpl.intake_place_unknown_sms": "Place not recognised",
    "tpl.intake_cancelled": "Conversation cancelled",
    "tpl.intake_limited": "Too many reports from this number",
    "tpl.intake_failed": "The report could not be made",
  },
});

/** The notification fields the console shows. */
export const NOTIFICATION_FIELDS = "id reportId channel address locale template status attempts lastError nextAttemptAt createdAt sentAt";
const RETRY = `mutation Retry($id: ID!, $ck: String) { retryNotification(id: $id, clientKey: $ck) {
  notification { id status } errors { code field message } } }`;

const known = (key, value) => (t(key) === key ? value : t(key));
/** A channel kind (WHATSAPP, SMS, EMAIL, WEBPUSH) in words. */
export const kindText = (kind) => known(`nk.${kind}`, kind);
/** A template name (report_status, …) in words; an unknown one as it is. */
export const templateText = (template) => known(`tpl.${template}`, template);

/** A notification's status as a coloured badge (data-status for tests and styles). */
export const statusBadge = (status) => h("span", { class: `badge ns ns-${status}`, dataset: { status }, text: known(`ns.${status}`, status) });

/** When a notification went out, or when it was queued (and its next attempt) if not. */
export function whenText(n) {
  if (n.sentAt) return `${t("nf.sent")}: ${fmtDateTime(n.sentAt)}`;
  const made = `${t("nf.created")}: ${fmtDateTime(n.createdAt)}`;
  return n.nextAttemptAt && n.status === "FAILED" ? `${made} · ${t("nf.next")}: ${fmtDateTime(n.nextAttemptAt)}` : made;
}

/**
 * The "Kirim ulang" control of a DEAD notification (null for any other): a small form
 * whose typed errors show in its own error line. One clientKey per control: pressing
 * again after a lost answer requeues once. done() runs after a successful retry.
 */
export function retryControl(n, done) {
  if (n.status !== "DEAD") return null;
  const clientKey = newClientKey();
  // The id travels in a hidden control so that an error on `id` (no longer DEAD) is shown
  // next to the button with what to do.
  const form = h("form", { class: "row nf-retry", novalidate: true },
    h("input", { type: "hidden", name: "id", value: n.id }),
    h("button", { type: "submit", class: "primary", text: t("nf.retry") }),
    h("p", { class: "form-error", role: "alert" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = await submitForm(form, RETRY, { id: n.id, ck: clientKey }, { hints: { id: "nf.notDead" } });
    if (!payload) return;
    toast(t("nf.retried"));
    done(payload.notification);
  });
  return form;
}

/** The report page's card: what was sent to the reporter about report `reportId`,
 * oldest first, each with its channel, masked address, message, status, attempts, last
 * error and time, and "Kirim ulang" on the DEAD ones. The card's `reload()` reads the list
 * again in place, so a page redrawn on a live event keeps the card (and an error shown on it). */
export function notificationsCard(reportId) {
  const box = h("div", { class: "nf-body" }, h("p", { class: "muted", text: t("app.loading") }));
  const card = h("section", { class: "card notifications" }, h("h2", { text: t("nf.title") }), box);
  const load = async () => {
    try {
      const list = (await gql(`query Notifications($id: ID!) { notifications(reportId: $id) { ${NOTIFICATION_FIELDS} } }`, { id: reportId })).notifications || [];
      if (!list.length) { replace(box, h("p", { class: "muted", text: t("nf.none") })); return; }
      replace(box, h("ul", { class: "plain nf-list" }, list.map((n) => h("li", { class: "nf-item", dataset: { id: n.id, status: n.status } },
        h("div", { class: "row" },
          h("span", { class: "badge", text: kindText(n.channel) }),
          h("code", { class: "nf-address", text: n.address }),
          h("strong", { class: "nf-template", text: templateText(n.template) }),
          statusBadge(n.status)),
        h("div", { class: "muted nf-meta" }, `${t("nf.tries", { n: n.attempts })} · ${whenText(n)}`),
        n.lastError ? h("div", { class: "error nf-error", text: `${t("nf.lastError")}: ${n.lastError}` }) : null,
        retryControl(n, load)))));
    } catch (e) {
      replace(box, h("p", { class: "muted", text: errorText(e) }));
    }
  };
  load();
  card.reload = load;
  return card;
}
